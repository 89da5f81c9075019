"""What a stored value may hold: JSON that PostgreSQL's jsonb keeps as sent, text without NUL."""

import math
from typing import Any

MAX_CONFIG_DEPTH = 32
NUL = "\x00"


def no_nul(value: str | None) -> str | None:
    if value is not None and NUL in value:
        raise ValueError("must not contain the NUL character (\\u0000)")
    return value


def not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be blank")
    return value


def storable_json(config: dict[str, Any]) -> dict[str, Any]:
    """Refuse what PostgreSQL's jsonb cannot hold, or what no client should send."""
    stack = [(config, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, (dict, list)):
            if depth > MAX_CONFIG_DEPTH:
                raise ValueError(f"nesting deeper than {MAX_CONFIG_DEPTH} levels")
            items = value.items() if isinstance(value, dict) else enumerate(value)
            for key, item in items:
                if isinstance(key, str) and NUL in key:
                    raise ValueError("keys must not contain the NUL character (\\u0000)")
                stack.append((item, depth + 1))
        elif isinstance(value, str) and NUL in value:
            raise ValueError("strings must not contain the NUL character (\\u0000)")
        elif isinstance(value, float) and not math.isfinite(value):
            raise ValueError("numbers must be finite (no NaN or Infinity)")
    return config
