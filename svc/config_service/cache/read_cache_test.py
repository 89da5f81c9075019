from config_service.cache.read_cache import ENTRY_OVERHEAD_BYTES, Entry, ReadCache

A, B, C = ("configuration", "A"), ("configuration", "B"), ("application", "C")


def entry(size=10, version=1) -> Entry:
    return Entry(b"x" * size, version, "Fri, 27 Nov 2026 08:00:05 GMT", "01J0000000000000000000000A")


def test_a_filled_entry_is_found_and_the_least_recently_used_goes_first():
    cache = ReadCache(2, 10**6)
    assert cache.fill(A, entry(), cache.fill_token()) and cache.fill(B, entry(), cache.fill_token())
    assert cache.get(A) is not None  # A is now the most recently used
    cache.fill(C, entry(), cache.fill_token())
    assert cache.get(B) is None and cache.get(A) is not None and len(cache) == 2


def test_bytes_bound_the_cache_too():
    cache = ReadCache(1000, 3 * (1000 + ENTRY_OVERHEAD_BYTES))
    for key in (A, B, C):
        cache.fill(key, entry(1000), cache.fill_token())
    assert len(cache) == 3
    cache.fill(("configuration", "D"), entry(1000), cache.fill_token())
    assert len(cache) == 3 and cache.bytes <= cache.max_bytes and cache.get(A) is None
    assert not cache.fill(("configuration", "huge"), entry(10**6), cache.fill_token())  # never one entry over the bound


def test_a_fill_that_began_before_an_invalidation_of_its_key_is_refused():
    """The fill-after-invalidate race: a miss read v1, the change to v2 was seen, then v1 comes to be stored."""
    cache = ReadCache(10, 10**6)
    token = cache.fill_token()  # the miss starts reading v1
    cache.invalidate(A)  # the change to v2 is seen
    assert not cache.fill(A, entry(version=1), token) and cache.get(A) is None
    assert cache.fill(B, entry(), token)  # another key is not affected
    assert cache.fill(A, entry(version=2), cache.fill_token())  # a read begun after the change is fine


def test_clear_empties_the_cache_and_refuses_fills_begun_before_it():
    cache = ReadCache(10, 10**6)
    cache.fill(A, entry(), cache.fill_token())
    token = cache.fill_token()
    cache.clear()
    assert len(cache) == 0 and cache.bytes == 0
    assert not cache.fill(B, entry(), token) and cache.fill(B, entry(), cache.fill_token())


def test_forgetting_old_invalidations_refuses_fills_that_began_before(monkeypatch):
    monkeypatch.setattr("config_service.cache.read_cache.MAX_REMEMBERED_INVALIDATIONS", 2)
    cache = ReadCache(10, 10**6)
    token = cache.fill_token()
    for key in (A, B, C):
        cache.invalidate(key)
    assert not cache.fill(("configuration", "other"), entry(), token)


def test_size_zero_turns_the_cache_off():
    cache = ReadCache(0, 10**6)
    assert not cache.enabled and not cache.fill(A, entry(), cache.fill_token())
