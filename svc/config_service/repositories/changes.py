"""SQL for the change feed: record a change under the next seq, read changes after a seq."""

from collections.abc import Callable
from typing import Any, cast

from config_service.domain.rows import ChangeRow
from config_service.repositories.base import Prepared, Repository, Row

# NOTIFY carries the seq only (payloads are capped at 8,000 bytes): the table is the truth.
COLUMNS = "seq, application_id, configuration_id, change, version, changed_at"
READ_COLUMNS = COLUMNS + ", changed_by"  # changed_by: the column's default, the transaction's actor


# The changes recorded, under the next seqs: the counter's row is locked from here to the commit.
_WRITE = (
    "WITH next AS (UPDATE change_counter SET last_seq = last_seq + %(count)s RETURNING last_seq),"
    " item AS (SELECT * FROM unnest(%(application_ids)s::varchar[], %(configuration_ids)s::varchar[],"
    " %(changes)s::text[], %(versions)s::int[], %(times)s::timestamptz[])"
    " WITH ORDINALITY AS item(application_id, configuration_id, change, version, changed_at, n)),"
    f" written AS (INSERT INTO changes ({COLUMNS})"
    " SELECT next.last_seq - %(count)s + item.n, item.application_id, item.configuration_id, item.change,"
    " item.version, COALESCE(item.changed_at, clock_timestamp()) FROM next, item RETURNING *)"
)
# Every registered listener hears of it (repositories.listeners), but the one named `quiet`: the
# writing worker's own, which applies its changes as they commit.
_NOTIFY = (
    "(SELECT count(pg_notify(l.channel, (SELECT max(seq) FROM written)::text)) FROM change_listeners l"
    " WHERE l.channel IS DISTINCT FROM %(quiet)s::varchar)"
)
FLUSH = Prepared(
    "changes_flush", _WRITE + f" SELECT {READ_COLUMNS}, {_NOTIFY}::text AS notified FROM written ORDER BY seq"
)
KEPT = "config_service.flushed"
FLUSH_KEPT = Prepared(
    "changes_flush_kept",
    _WRITE + f" SELECT {_NOTIFY}, set_config('{KEPT}',"
    " (SELECT json_agg(written ORDER BY seq) FROM written)::text, false)",
)
COMMIT_THEN_READ_KEPT = (
    f"; COMMIT; SELECT {READ_COLUMNS} FROM json_populate_recordset(null::changes,"
    f" current_setting('{KEPT}')::json) ORDER BY seq"
)


class ChangeRepository(Repository):
    """Changes are recorded as the use cases make them and written at the end of the unit of
    work, in one statement just before its commit: the counter's row lock, which makes every
    other writer wait, is held for that statement and the commit only."""

    def __init__(self, connection, before_statement=None) -> None:
        super().__init__(connection, before_statement)
        # Given what the changes touch, the channel of a listener they need not wake (or None).
        self.quiet: Callable[[list[tuple[str, str | None]]], str | None] | None = None
        self._pending: list[tuple[Any, ...]] = []
        self.recorded: list[ChangeRow] = []  # this unit of work's written changes, in seq order

    def record(
        self, application_id: str, configuration_id: str | None, change: str, version: int, changed_at=None
    ) -> None:
        """Keep a change of this unit of work, to be written by `flush` under the next seq."""
        self._pending.append((application_id, configuration_id, change, version, changed_at))

    def prepare(self) -> None:
        """Have the flush's statement ready on this connection (flush then sends only its EXECUTE)."""
        if self._pending:
            FLUSH_KEPT.bind(self._connection)

    @property
    def unflushed(self) -> bool:
        """Whether changes were recorded since the last flush."""
        return bool(self._pending)

    def flush(self, commit: bool = False) -> list[ChangeRow]:
        """Write the changes recorded since the last flush under consecutive seqs and notify the
        listeners (at commit); every change this unit of work wrote, in seq order.

        With `commit`, the transaction's COMMIT goes in the same round trip, and the rows are
        read back, typed as the table holds them, from a setting of the session they were put
        in (a statement's result before the COMMIT is not returned)."""
        pending, self._pending = self._pending, []
        if not pending:
            if commit:
                self._run("COMMIT")
            return self.recorded
        params = {
            "count": len(pending),
            "application_ids": [item[0] for item in pending],
            "configuration_ids": [item[1] for item in pending],
            "changes": [item[2] for item in pending],
            "versions": [item[3] for item in pending],
            "times": [item[4] for item in pending],
            "quiet": self.quiet([(item[0], item[1]) for item in pending]) if self.quiet else None,
        }
        if commit:
            rows = self._fetch_all(FLUSH_KEPT, params, closing=COMMIT_THEN_READ_KEPT)
        else:
            rows = self._fetch_all(FLUSH, params)
            for row in rows:
                del row["notified"]
        self.recorded.extend(cast("list[ChangeRow]", rows))
        return self.recorded

    def since(
        self, after: int, upto: int, application_id: str | None, limit: int, only: list[str] | None = None
    ) -> list[ChangeRow]:
        """Up to `limit` changes with after < seq <= upto, of one application or all (of the
        applications `only`, if given), in seq order."""
        rows = self._fetch_all(
            f"SELECT {READ_COLUMNS} FROM changes WHERE seq > %(after)s AND seq <= %(upto)s"
            " AND (%(application_id)s::varchar IS NULL OR application_id = %(application_id)s)"
            " AND (%(only)s::varchar[] IS NULL OR application_id = ANY(%(only)s::varchar[]))"
            " ORDER BY seq LIMIT %(limit)s",
            {"after": after, "upto": upto, "application_id": application_id, "limit": limit, "only": only},
        )
        return cast("list[ChangeRow]", rows)

    def ping(self, channel: str, payload: str) -> None:
        """Notify one listener (its ping: feed/listener.py)."""
        self._fetch_one("SELECT pg_notify(%s, %s)::text AS sent", (channel, payload))

    def head(self) -> int:
        """The seq of the newest committed change (0 before the first)."""
        return cast(Row, self._fetch_one("SELECT last_seq FROM change_counter", ()))["last_seq"]  # one row, always
