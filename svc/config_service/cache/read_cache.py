"""A worker's read cache: the encoded responses of recently read resources, LRU-bounded by
entries and by bytes, and never filled with what a change seen meanwhile made old."""

from collections import OrderedDict
from dataclasses import dataclass

ENTRY_OVERHEAD_BYTES = 200  # the key, the headers and the bookkeeping of one entry, roughly
MAX_REMEMBERED_INVALIDATIONS = 100_000


@dataclass(frozen=True)
class Entry:
    body: bytes
    version: int
    last_modified: str
    application_id: str  # whose it is, so a token limited to other applications never sees it

    @property
    def size(self) -> int:
        return len(self.body) + ENTRY_OVERHEAD_BYTES


class ReadCache:
    """Keys are ("configuration", id) or ("application", id).

    A miss takes a fill token before it reads the database; `fill` refuses to store when
    the key was invalidated after that (the fill-after-invalidate race: a read of v1 must
    not be cached once the change to v2 was seen).
    """

    def __init__(self, max_entries: int, max_bytes: int):
        self.max_entries, self.max_bytes = max_entries, max_bytes
        self._entries: OrderedDict[tuple, Entry] = OrderedDict()
        self._bytes = 0
        self._epoch = 0  # one step per invalidation
        self._invalidated: dict[tuple, int] = {}  # key -> epoch of its latest invalidation
        self._floor = 0  # fills whose token is older were begun before what was forgotten

    @property
    def enabled(self) -> bool:
        return self.max_entries > 0

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def bytes(self) -> int:
        return self._bytes

    def get(self, key: tuple) -> Entry | None:
        entry = self._entries.get(key)
        if entry is not None:
            self._entries.move_to_end(key)
        return entry

    def fill_token(self) -> int:
        return self._epoch

    def fill(self, key: tuple, entry: Entry, token: int) -> bool:
        """Store unless the key changed since `token` was taken; True when stored."""
        if (
            not self.enabled
            or token < self._floor
            or self._invalidated.get(key, -1) > token
            or entry.size > self.max_bytes
        ):
            return False
        self._drop(key)
        self._entries[key] = entry
        self._bytes += entry.size
        while len(self._entries) > self.max_entries or self._bytes > self.max_bytes:
            self._drop(next(iter(self._entries)))
        return True

    def invalidate(self, key: tuple) -> None:
        self._epoch += 1
        self._drop(key)
        self._invalidated[key] = self._epoch
        if len(self._invalidated) > MAX_REMEMBERED_INVALIDATIONS:
            self._invalidated.clear()
            self._floor = self._epoch

    def clear(self) -> None:
        """Forget everything, and refuse every fill that began before now."""
        self._entries.clear()
        self._bytes = 0
        self._invalidated.clear()
        self._epoch += 1
        self._floor = self._epoch

    def _drop(self, key: tuple) -> None:
        entry = self._entries.pop(key, None)
        if entry is not None:
            self._bytes -= entry.size
