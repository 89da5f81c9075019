import pytest

from config_service.domain.errors import SchemaViolation
from config_service.services.schemas import SchemaRules, require_fits, violations

RULES = SchemaRules(max_schema_bytes=1024, budget_seconds=1, max_errors=3)
PORT = {"type": "object", "properties": {"port": {"type": "integer"}}}


def test_no_schema_lets_anything_through_and_a_fitting_config_passes():
    assert violations({"anything": [1, {"x": None}]}, None, RULES) == []
    require_fits({"port": 1}, PORT, RULES)


def test_each_violation_says_where_in_the_body_what_and_which_keyword():
    errors = violations({"port": "x"}, PORT, RULES, at=("body", "configurations", 2))
    assert errors == [
        {
            "loc": ["body", "configurations", 2, "config", "port"],
            "msg": "must be of type integer",
            "type": "schema",
            "schema_path": ["properties", "port", "type"],
        }
    ]
    with pytest.raises(SchemaViolation) as refused:
        require_fits({"port": "x"}, PORT, RULES)
    assert (
        refused.value.detail == "the config does not match its schema" and refused.value.errors[0]["type"] == "schema"
    )


def test_the_schemas_own_faults_its_size_and_the_budget_are_errors_of_their_own():
    invalid = violations({}, {"type": 5}, RULES)
    assert invalid[0]["loc"][:3] == ["body", "schema", "type"] and invalid[0]["type"] == "schema_invalid"
    big = {"description": "x" * 2000}
    assert violations({}, big, RULES)[0] == {
        "loc": ["body", "schema"],
        "msg": "must take at most 1024 bytes",
        "type": "schema_size",
    }
    assert violations({}, big, RULES, digest="stored") == []  # a stored schema was measured when written
    slow = violations({"k": list(range(100_000))}, {"type": "object"}, SchemaRules(budget_seconds=1e-9))
    assert slow[0]["type"] == "schema_budget" and slow[0]["loc"] == ["body", "config"]
    with pytest.raises(SchemaViolation) as refused:
        require_fits({}, {"type": 5}, RULES)
    assert "not a valid JSON Schema" in refused.value.detail
    assert len(violations({"a": 1, "b": 2, "c": 3, "d": 4}, {"additionalProperties": False}, RULES)) <= 3
