import pytest

from config_service.domain.json_rules import MAX_CONFIG_DEPTH, no_nul, not_blank, storable_json


def nested(depth: int) -> dict:
    value: dict = {}
    for _ in range(depth - 1):
        value = {"k": value}
    return value


def test_json_within_the_depth_limit_is_kept_as_it_is():
    config = nested(MAX_CONFIG_DEPTH)
    assert storable_json(config) is config


@pytest.mark.parametrize(
    "config, why",
    [
        (nested(MAX_CONFIG_DEPTH + 1), "nesting deeper"),
        ({"a\x00": 1}, "keys must not contain"),
        ({"a": ["x\x00"]}, "strings must not contain"),
        ({"a": float("nan")}, "finite"),
        ({"a": [float("inf")]}, "finite"),
    ],
)
def test_what_jsonb_cannot_hold_is_refused(config, why):
    with pytest.raises(ValueError, match=why):
        storable_json(config)


def test_text_must_hold_no_nul_and_names_no_blank():
    assert no_nul(None) is None and no_nul("a") == "a" and not_blank(" a ") == " a "
    with pytest.raises(ValueError, match="NUL"):
        no_nul("a\x00")
    with pytest.raises(ValueError, match="blank"):
        not_blank("  ")
