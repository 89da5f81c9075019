import re

from config_service.domain.rows import new_id


def test_new_ids_are_canonical_ulids_that_sort_by_creation():
    first, second = new_id(), new_id()
    assert re.fullmatch(r"[0-7][0-9A-HJKMNP-TV-Z]{25}", first)
    assert first != second
    assert first[:10] <= second[:10]  # the 48-bit millisecond timestamp leads
