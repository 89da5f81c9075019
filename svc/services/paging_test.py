from services.paging import page


def test_a_full_page_says_more_follow():
    asked = []
    rows, more = page(lambda n: asked.append(n) or list(range(n)), 3)
    assert (rows, more, asked) == ([0, 1, 2], True, [4])


def test_the_last_page_says_none_follow():
    assert page(lambda n: [1, 2], 3) == ([1, 2], False)
