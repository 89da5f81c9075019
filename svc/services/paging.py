"""Keyset pages: ask for one row more than the page holds to learn whether more follow."""


def page(fetch, limit: int) -> tuple[list[dict], bool]:
    """Call fetch(limit + 1); return at most `limit` rows and whether more follow them."""
    rows = fetch(limit + 1)
    return rows[:limit], len(rows) > limit
