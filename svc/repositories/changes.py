"""SQL for the change feed: record a change under the next seq, read changes after a seq."""
from repositories.base import Repository

# NOTIFY carries the seq only (payloads are capped at 8,000 bytes): the table is the truth.
CHANNEL = "config_service_changes"
COLUMNS = "seq, application_id, configuration_id, change, version, changed_at"
READ_COLUMNS = COLUMNS + ", changed_by"  # changed_by: the column's default, the transaction's actor


class ChangeRepository(Repository):
    def __init__(self, connection, before_statement=None):
        super().__init__(connection, before_statement)
        self.recorded: list[dict] = []  # this unit of work's changes, in seq order

    def record(self, application_id: str, configuration_id: str | None, change: str, version: int,
               changed_at=None) -> dict:
        """Take the next seq (its row lock is held until the commit) and write the change under it."""
        row = self._fetch_one(
            "WITH next AS (UPDATE change_counter SET last_seq = last_seq + 1 RETURNING last_seq),"
            f" written AS (INSERT INTO changes ({COLUMNS})"
            " SELECT last_seq, %(application_id)s, %(configuration_id)s, %(change)s, %(version)s,"
            " COALESCE(%(changed_at)s::timestamptz, clock_timestamp()) FROM next RETURNING *)"
            f" SELECT {READ_COLUMNS}, pg_notify(%(channel)s, seq::text)::text AS notified FROM written",
            {"application_id": application_id, "configuration_id": configuration_id, "change": change,
             "version": version, "changed_at": changed_at, "channel": CHANNEL},
        )
        del row["notified"]
        self.recorded.append(row)
        return row

    def since(self, after: int, upto: int, application_id: str | None, limit: int,
              only: list[str] | None = None) -> list[dict]:
        """Up to `limit` changes with after < seq <= upto, of one application or all (of the
        applications `only`, if given), in seq order."""
        return self._fetch_all(
            f"SELECT {READ_COLUMNS} FROM changes WHERE seq > %(after)s AND seq <= %(upto)s"
            " AND (%(application_id)s::varchar IS NULL OR application_id = %(application_id)s)"
            " AND (%(only)s::varchar[] IS NULL OR application_id = ANY(%(only)s::varchar[]))"
            " ORDER BY seq LIMIT %(limit)s",
            {"after": after, "upto": upto, "application_id": application_id, "limit": limit, "only": only},
        )

    def head(self) -> int:
        """The seq of the newest committed change (0 before the first)."""
        return self._fetch_one("SELECT last_seq FROM change_counter", ())["last_seq"]
