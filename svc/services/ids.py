"""New primary keys."""
from ulid import ULID


def new_id() -> str:
    """A fresh ULID as its 26-character canonical string (sorts by creation time)."""
    return str(ULID())
