"""SQL for the registry of change listeners: which channels a write notifies."""

from typing import cast

from config_service.repositories.base import Repository, Row

# A listener's channel: this prefix and its session's backend pid (unique among live sessions).
CHANNEL_PREFIX = "config_service_changes_"


class ListenerRepository(Repository):
    def register(self) -> tuple[str, int]:
        """Register this session as a change listener: its channel (not yet listened on) and pid.
        Rows of sessions that have ended are removed first."""
        row = cast(  # INSERT ... ON CONFLICT DO UPDATE ... RETURNING: one row
            Row,
            self._fetch_one(
                "WITH gone AS (DELETE FROM change_listeners l"
                " WHERE NOT EXISTS (SELECT 1 FROM pg_stat_activity a WHERE a.pid = l.pid))"
                " INSERT INTO change_listeners (channel, pid) VALUES (%(prefix)s || pg_backend_pid(), pg_backend_pid())"
                " ON CONFLICT (channel) DO UPDATE SET since = now() RETURNING channel, pid",
                {"prefix": CHANNEL_PREFIX},
            ),
        )
        return row["channel"], row["pid"]

    def keep(self, channel: str, pid: int) -> None:
        """Register a listener's channel again if its row went (a restored database, a hand's
        DELETE); a row that is there is left as it is (no write)."""
        self._fetch_all(
            "INSERT INTO change_listeners (channel, pid) VALUES (%s, %s)"
            " ON CONFLICT (channel) DO NOTHING RETURNING channel",
            (channel, pid),
        )

    def channels(self) -> list[str]:
        return [row["channel"] for row in self._fetch_all("SELECT channel FROM change_listeners ORDER BY channel", ())]
