"""SQL for the registry of change listeners: which channels a write notifies."""
from repositories.base import Repository

# A listener's channel: this prefix and its session's backend pid (unique among live sessions).
CHANNEL_PREFIX = "config_service_changes_"


class ListenerRepository(Repository):
    def register(self) -> str:
        """Register this session as a change listener; its channel (not yet listened on).
        Rows of sessions that have ended are removed first."""
        return self._fetch_one(
            "WITH gone AS (DELETE FROM change_listeners l"
            " WHERE NOT EXISTS (SELECT 1 FROM pg_stat_activity a WHERE a.pid = l.pid))"
            " INSERT INTO change_listeners (channel, pid) VALUES (%(prefix)s || pg_backend_pid(), pg_backend_pid())"
            " ON CONFLICT (channel) DO UPDATE SET since = now() RETURNING channel",
            {"prefix": CHANNEL_PREFIX})["channel"]

    def channels(self) -> list[str]:
        return [row["channel"] for row in self._fetch_all("SELECT channel FROM change_listeners ORDER BY channel", ())]
