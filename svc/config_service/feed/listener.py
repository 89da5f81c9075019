"""One LISTEN connection per worker, read on the event loop, that keeps the hub caught up
(and the worker's token map current).

NOTIFY is only a wake-up: on one naming a seq the hub has not applied, on a reconnect, on a
gap and every few seconds, the listener reads the table's changes after the newest one the
hub applied (through the pool, on the executor) and applies them. A notification of this
worker's own write is not read back: the write applied its changes as it committed (the
listener lets the writes in flight settle before it decides). So a lost notification delays
a change; it never loses one. The newest change applied must still be there, the same
change: if not (a restored database, a failover that lost commits), the hub restarts from
the table's head.
Each listener has a channel of its own (repositories.listeners): a write wakes the other
workers' listeners, and its own only while this worker holds requests or streams that wait (a
worker alone pays for no notification). A held request that needs the token map vouched for
changes no notification named asks for a ping: a notification of its own, which arrives after
every one committed before it (a ping not heard in time means a silent connection: it is
opened again). Token changes come on a channel of their own; each one, and each reconnect,
reloads the map of usable tokens. While disconnected, neither the cache nor the map is trusted.
"""

import asyncio
import logging

import psycopg2

from config_service.auth.registry import TokenRegistry
from config_service.db.database import Database
from config_service.db.pool import Connection, connect
from config_service.domain.errors import Unavailable
from config_service.domain.rows import ChangeRow
from config_service.feed.hub import PING_AFTER_SECONDS, STREAM_WAKE_SECONDS, ChangeHub, identity
from config_service.repositories.listeners import ListenerRepository
from config_service.repositories.tokens import CHANNEL as TOKENS_CHANNEL
from config_service.services import ports
from config_service.settings import Settings

logger = logging.getLogger("config_service.feed")
CATCH_UP_SECONDS = 2.0  # a periodic read covers a notification lost any other way
SETTLE_SECONDS = 0.1  # at most this long for this worker's writes in flight to apply what a notification names
# A ping not heard within this long means a connection that went silent: it is dropped and opened again.
PING_TIMEOUT_SECONDS = 5.0
PING = "ping"  # a ping's payload: "ping <restarts> <seq>", so one sent before a restart vouches for nothing after
PAGE = 1000
BACKOFF_SECONDS = (0.1, 5.0)
NO_LIMIT = 2**62


class ConnectionLost(Exception):
    pass


class ChangeListener:
    def __init__(self, settings: Settings, database: Database, hub: ChangeHub, tokens: TokenRegistry):
        self._settings, self._database, self._hub, self._tokens = settings, database, hub, tokens
        self._token_notices = 0  # token notifications heard that no reload has covered yet
        self._heard = 0  # the highest seq a change notification named
        self._verified: ChangeRow | None = None  # the last change read from the table
        self._due = True  # a read of the table is due (a reconnect, a gap, the periodic one)
        # Every change up to this seq committed when this worker's token map already held every
        # revocation committed before it: a held answer carrying changes up to it may trust the map.
        self.vouched = 0
        self._vouched_moved = asyncio.Event()
        self._wake = asyncio.Event()
        self._lost = False
        self._connection: Connection | None = None  # the LISTEN connection, while connected
        self.channel: str | None = None  # this listener's own, while connected
        self.reconnects = 0  # connections lost so far
        self._pid = 0  # its session's backend pid
        self._pinging = False
        self._ping_again = False  # asked for while one was in flight: it names less than what is applied now
        self._ping_sent_at: float | None = None  # a ping committed and not heard yet
        self._pings_heard = 0
        self._read_at = 0.0  # when the table was last read
        self._beat_at = 0.0  # when the hub's streams were last woken for their keep-alives
        self._fd = -1
        self._task: asyncio.Task | None = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        self._disconnect()
        self._hub.disconnected()  # nothing is heard from here on: held requests look at the table
        self._tokens.trusted = False

    def request_catch_up(self) -> None:
        self._due = True
        self._wake.set()

    def ping(self) -> None:
        """Have a notification sent to this listener, naming every change applied so far: once it
        is heard, the map is vouched for up to them (one ping in flight at a time)."""
        if self.channel is None:
            return
        if self._pinging:
            self._ping_again = True
            return
        self._pinging, self._ping_again = True, False
        payload = f"{PING} {self._hub.restarts} {self._hub.seen}"
        asyncio.get_running_loop().create_task(self._ping(self.channel, payload))

    async def _ping(self, channel: str, payload: str) -> None:
        loop, heard = asyncio.get_running_loop(), self._pings_heard
        try:
            await self._database.read(lambda uow: uow.changes.ping(channel, payload))
            if self._pings_heard == heard and self._ping_sent_at is None:
                self._ping_sent_at = loop.time()  # committed, not heard yet: the clock runs
        except Unavailable:
            self._ping_again = True  # it is asked for again below, a moment later
        finally:
            self._pinging = False
        if self._ping_again:
            loop.call_later(PING_AFTER_SECONDS, self.ping)

    async def vouches_for(self, seq: int, timeout: float) -> bool:
        """Wait (up to `timeout`) until the token map holds every revocation committed before
        change `seq`; False when it does not by then (the listener may be down)."""
        if self.vouched < seq:
            self.ping()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while self.vouched < seq:
            moved = self._vouched_moved
            try:
                await asyncio.wait_for(moved.wait(), deadline - loop.time())
            except TimeoutError:
                return self.vouched >= seq
        return True

    def _vouch(self, seq: int) -> None:
        if seq > self.vouched:
            self.vouched = seq
            self._hub.vouch(seq)  # held answers hear of changes only up to here: one wake, no second wait
            moved, self._vouched_moved = self._vouched_moved, asyncio.Event()
            moved.set()

    async def _run(self) -> None:
        backoff = BACKOFF_SECONDS[0]
        while True:
            try:
                await self._listen()
                await self._reload_tokens()  # after LISTEN, as the catch-up: nothing from here on goes unheard
                await self._catch_up()
                self._hub.listening = self._tokens.trusted = True
                backoff = BACKOFF_SECONDS[0]
                loop = asyncio.get_running_loop()
                while True:
                    try:  # the periodic read is due by the clock, however many wake-ups come between
                        await asyncio.wait_for(
                            self._wake.wait(), max(0.0, self._read_at + CATCH_UP_SECONDS - loop.time())
                        )
                    except TimeoutError:
                        pass
                    self._wake.clear()
                    if (
                        self._lost
                        or self._ping_sent_at is not None
                        and loop.time() - self._ping_sent_at > PING_TIMEOUT_SECONDS
                    ):
                        raise ConnectionLost()
                    if loop.time() - self._beat_at >= STREAM_WAKE_SECONDS:
                        self._beat_at = loop.time()
                        self._hub.heartbeat()
                    if loop.time() - self._read_at >= CATCH_UP_SECONDS:
                        self._due = True
                        await self._register()  # a restored or emptied registry heals within a period
                    if self._token_notices:
                        await self._reload_tokens()
                    if not self._due and self._heard > self._hub.seen:
                        await self._database.writes_settled(SETTLE_SECONDS)  # its own, maybe: they apply it
                    if self._due or self._heard > self._hub.seen:
                        await self._catch_up()
            except (psycopg2.Error, OSError, ConnectionLost, Unavailable) as error:
                if self._hub.listening:
                    self.reconnects += 1  # a connection lost (not each failed attempt to get it back)
                    logger.warning("the change listener lost its connection (%s); reconnecting", type(error).__name__)
                self._hub.disconnected()
                self._tokens.trusted = False
                self._disconnect()
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, BACKOFF_SECONDS[1])

    async def _listen(self) -> None:
        self._lost = False
        self._connection = await asyncio.to_thread(self._open)
        self._fd = self._connection.fileno()
        asyncio.get_running_loop().add_reader(self._fd, self._readable)

    def _open(self) -> Connection:
        connection = connect(self._settings)
        connection.autocommit = True
        channel, self._pid = ListenerRepository(connection).register()
        with connection.cursor() as cursor:
            cursor.execute(f"LISTEN {channel}")  # a generated name: the prefix and a pid
            cursor.execute(f"LISTEN {TOKENS_CHANNEL}")
        self.channel = channel
        return connection

    def _readable(self) -> None:
        """Notifications arrive in commit order: a change heard before any token notification
        committed after every revocation this worker's map holds; after one, it waits for the reload."""
        try:
            assert self._connection is not None  # read only while connected (_disconnect removes the reader)
            self._connection.poll()
            for notify in self._connection.notifies:
                if notify.channel == TOKENS_CHANNEL:
                    self._token_notices += 1
                elif notify.payload.startswith(PING):
                    self._pings_heard += 1
                    self._ping_sent_at = None
                    parts = notify.payload.split()
                    if len(parts) == 3 and parts[1] == str(self._hub.restarts) and parts[2].isdigit():
                        self._heard = max(self._heard, int(parts[2]))
                        if not self._token_notices:
                            self._vouch(self._heard)
                elif notify.payload.isdigit():
                    self._heard = max(self._heard, int(notify.payload))
                    if not self._token_notices:
                        self._vouch(self._heard)
            self._connection.notifies.clear()
        except (psycopg2.Error, OSError):
            self._lost = True
            asyncio.get_running_loop().remove_reader(self._fd)
        self._wake.set()

    async def _reload_tokens(self) -> None:
        """Reload the token map. Every change committed before the head it reads first is then
        vouched for, and, unless a token notification came meanwhile, every change heard so far."""
        notices = self._token_notices
        head, rows = await self._database.read(lambda uow: (uow.changes.head(), uow.tokens.usable()))
        went = self._tokens.load(rows)
        self._token_notices -= notices
        self._vouch(head if self._token_notices else max(head, self._heard))
        if went:
            self._hub.recheck()  # a token went: its held requests and streams end now, not at their next wake

    async def _register(self) -> None:
        channel, pid = self.channel, self._pid
        if channel is not None:
            await self._database.read(lambda uow: uow.listeners.keep(channel, pid))

    async def _catch_up(self) -> None:
        self._due = False
        self._read_at = asyncio.get_running_loop().time()
        while True:
            latest = self._hub.latest()
            # From the newest change known to be committed (own writes too): is it still there?
            verified = (
                latest if latest and (not self._verified or latest["seq"] > self._verified["seq"]) else self._verified
            )
            applied = self._hub.seen  # committed before this read begins (own writes too): the table must hold it
            after = verified["seq"] - 1 if verified else 0

            def since(uow: ports.UnitOfWork, after: int = after) -> list[ChangeRow]:
                return uow.changes.since(after, NO_LIMIT, None, PAGE + 1)

            rows = await self._database.read(since)
            reached = rows[-1]["seq"] if rows else 0
            if (
                verified
                and (not rows or identity(rows[0]) != identity(verified))
                or not self._hub.consistent(rows)
                or (len(rows) <= PAGE and reached < applied)
            ):
                await self._restart()
                continue
            self._hub.apply(rows[1:] if verified else rows)
            if rows:
                self._verified = rows[-1]
            if len(rows) <= PAGE:
                return

    async def _restart(self) -> None:
        listening, self._hub.listening = self._hub.listening, False  # no cached answer until restarted
        self._hub.cache.clear()
        head = await self._database.read(_head_change)
        logger.warning(
            "the changes table no longer holds the changes this worker applied up to seq %s"
            " (a restored database or a failover?); restarting from its head, seq %s",
            self._hub.seen,
            head["seq"] if head else 0,
        )
        self._hub.restart(head)
        self._verified = head
        self.vouched = self._heard = self._hub.vouched = 0  # seqs start again below what was vouched for
        await self._reload_tokens()
        self._hub.listening = listening

    def _disconnect(self) -> None:
        self.channel, self._ping_sent_at = None, None
        connection, self._connection = self._connection, None
        if connection is None:
            return
        asyncio.get_running_loop().remove_reader(self._fd)  # before the number can be reused
        connection.close()


def _head_change(uow: ports.UnitOfWork) -> ChangeRow | None:
    """The table's newest change (None while it has none)."""
    head = uow.changes.head()
    rows = uow.changes.since(head - 1, head, None, 1)
    return rows[0] if rows else None
