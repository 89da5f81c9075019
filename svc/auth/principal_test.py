from auth.principal import ANONYMOUS, Principal


def test_scopes_include_the_ones_below_them():
    read, write, admin = (Principal("t", scope) for scope in ("read", "write", "admin"))
    assert read.has("read") and not read.has("write") and not read.has("admin")
    assert write.has("read") and write.has("write") and not write.has("admin")
    assert admin.has("admin") and ANONYMOUS.has("admin") and ANONYMOUS.name == "anonymous"


def test_a_limited_token_sees_only_its_applications():
    limited = Principal("t", "write", frozenset({"A"}))
    assert limited.limited and limited.sees("A") and not limited.sees("B")
    assert not Principal("t", "write").limited and Principal("t", "write").sees("B")
