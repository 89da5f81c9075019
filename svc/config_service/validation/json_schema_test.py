import socket
import threading
import time

import pytest

from config_service.validation.json_schema import (
    MAX_WORK,
    InvalidSchema,
    TooCostly,
    compile_schema,
)

DATABASE = {
    "type": "object",
    "properties": {
        "host": {"type": "string", "minLength": 1},
        "port": {"type": "integer", "minimum": 1, "maximum": 65535},
        "replicas": {"type": "array", "items": {"type": "string"}, "maxItems": 2},
    },
    "required": ["host"],
    "additionalProperties": False,
}


def test_a_config_that_fits_has_no_violations_and_one_that_does_not_has_each_of_them():
    schema = compile_schema(DATABASE)
    assert schema.violations({"host": "db1", "port": 5432}, 20, 1) == []
    found = schema.violations({"port": "secret-value", "replicas": ["a", 7, "b"], "extra": 1}, 20, 1)
    assert {(v.path, v.message) for v in found} == {
        (("port",), "must be of type integer"),
        (("replicas",), "must have at most 2 items"),
        (("replicas", 1), "must be of type string"),
        ((), "has a property the schema does not allow"),
        ((), "lacks the required property host"),
    }
    assert all("secret-value" not in v.message and "extra" not in v.message for v in found)  # never echoed
    assert {v.schema_path for v in found} >= {("properties", "port", "type"), ("required",)}
    assert len(schema.violations({"port": "x", "extra": 1}, 2, 1)) == 2  # up to the limit


@pytest.mark.parametrize(
    "schema, where",
    [
        ({"type": "nope"}, ("type",)),
        ({"$schema": "http://json-schema.org/draft-07/schema#"}, ("$schema",)),
        ({"properties": {"a": {"$ref": "#/$defs/missing"}}}, ("$ref",)),
        ({"$ref": "other.json#/x"}, ("$ref",)),
        ({"$ref": "file:///etc/passwd"}, ("$ref",)),
        ({"$defs": {"a": {"$ref": "#/$defs/a"}}, "$ref": "#/$defs/a"}, ()),  # a loop in place
        ({"type": "string", "pattern": "(?=lookahead)"}, ("pattern",)),  # the linear engine has none
        ({"$dynamicRef": "#meta"}, ("$dynamicRef",)),
    ],
)
def test_a_schema_that_is_not_one_this_service_runs_is_refused_saying_where(schema, where):
    with pytest.raises(InvalidSchema) as refused:
        compile_schema(schema)
    assert refused.value.path == where
    assert "nope" not in refused.value.message and "lookahead" not in refused.value.message


def test_a_remote_ref_is_never_fetched():
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.2)
    port = listener.getsockname()[1]
    contacted = []

    def accept():
        try:
            contacted.append(listener.accept())
        except TimeoutError:
            pass

    thread = threading.Thread(target=accept)
    thread.start()
    for ref in (f"http://127.0.0.1:{port}/schema.json", f"http://127.0.0.1:{port}/schema.json#/defs/x"):
        with pytest.raises(InvalidSchema):
            compile_schema({"properties": {"a": {"$ref": ref}}})
        with pytest.raises(InvalidSchema):  # also where the estimate of the work never looks
            compile_schema({"$id": f"http://127.0.0.1:{port}/", "allOf": [{"$ref": "schema.json"}]})
    thread.join()
    listener.close()
    assert contacted == []


def test_a_pattern_can_never_backtrack_catastrophically():
    schema = compile_schema({"type": "string", "pattern": "^(a+)+$"})
    started = time.perf_counter()
    assert [v.message for v in schema.violations("a" * 30 + "!", 20, 1)] == ["does not match the pattern"]
    assert time.perf_counter() - started < 0.1
    keys = compile_schema({"type": "object", "patternProperties": {"^(a+)+$": {"type": "integer"}}})
    started = time.perf_counter()
    assert keys.violations({"a" * 30 + "!": "x", "aaa": "y"}, 20, 1)[0].path == ("aaa",)
    assert time.perf_counter() - started < 0.1


def test_references_that_multiply_the_work_are_refused_before_they_run():
    depth = 30  # each level's anyOf evaluates the next twice: 2**30 evaluations for one value
    defs = {f"d{i}": {"anyOf": [{"$ref": f"#/$defs/d{i + 1}"}, {"$ref": f"#/$defs/d{i + 1}"}]} for i in range(depth)}
    defs[f"d{depth}"] = {"type": "string"}
    schema = compile_schema({"$defs": defs, "$ref": "#/$defs/d0"})
    started = time.perf_counter()
    with pytest.raises(TooCostly):
        schema.violations({"n": 1}, 20, 1)
    assert time.perf_counter() - started < 0.1


def test_recursion_that_descends_into_the_value_is_fine_and_its_work_grows_with_the_value():
    tree = compile_schema(
        {
            "$defs": {
                "node": {"type": "object", "properties": {"kids": {"type": "array", "items": {"$ref": "#/$defs/node"}}}}
            },
            "$ref": "#/$defs/node",
        }
    )
    assert tree.violations({"kids": [{"kids": []}, {"kids": [{"kids": 5}]}]}, 20, 1)[0].path == (
        "kids",
        1,
        "kids",
        0,
        "kids",
    )
    wide = compile_schema({"type": "object", "additionalProperties": {"anyOf": [{"type": "string"}] * 50}})
    with pytest.raises(TooCostly):  # 50 branches for each of many values
        wide.violations({f"k{n}": n for n in range(MAX_WORK // 50 + 1)}, 20, 10)


def test_a_validation_over_its_time_budget_is_refused_saying_so():
    schema = compile_schema({"type": "array", "items": {"type": "string", "pattern": "^[a-z]+$"}})
    with pytest.raises(TooCostly) as slow:
        schema.violations(["abc"] * 100_000, 20, budget_seconds=1e-6)
    assert "0.001 ms" in str(slow.value)


def test_compiled_schemas_are_kept_by_text_and_by_the_databases_digest():
    first = compile_schema(DATABASE)
    assert compile_schema(dict(DATABASE)) is first
    assert compile_schema(DATABASE, digest="d1") is first
    assert compile_schema({"type": "object"}, digest="d1") is first  # the digest names what was stored
    assert compile_schema({"const": True}) is not compile_schema({"const": 1})  # JSON's true is not 1


def ladder(depth: int, through: str) -> dict:
    """A chain of anyOfs, each level evaluating the next twice, reached through `through`."""
    defs = {f"l{i}": {"anyOf": [{"$ref": f"#/$defs/l{i + 1}"}, {"$ref": f"#/$defs/l{i + 1}"}]} for i in range(depth)}
    defs[f"l{depth}"] = {"type": "string"}
    places = {
        "dependencies": {"dependencies": {"a": {"$ref": "#/$defs/l0"}}},
        "dependentSchemas": {"dependentSchemas": {"a": {"$ref": "#/$defs/l0"}}},
        "if": {"if": {"$ref": "#/$defs/l0"}, "then": True},
        "contains": {"contains": {"$ref": "#/$defs/l0"}},
        "unevaluatedProperties": {"unevaluatedProperties": {"$ref": "#/$defs/l0"}},
    }
    return {"$defs": defs, **places[through]}


@pytest.mark.parametrize("through", ["dependencies", "dependentSchemas", "if", "contains", "unevaluatedProperties"])
def test_work_that_multiplies_is_found_whichever_keyword_leads_to_it(through):
    schema = compile_schema(ladder(30, through))
    with pytest.raises(TooCostly):
        schema.violations({"a": [1], "b": 2}, 20, 1)


@pytest.mark.parametrize(
    "schema",
    [
        {"$defs": {"x": {"$id": "http://inner/", "$defs": {"y": {}}, "$ref": "#/$defs/y"}}},  # another base
        {"$defs": {"a b": {}}, "$ref": "#/$defs/a%20b"},
        {"$defs": {"a": {"$anchor": "n"}, "b": {"$anchor": "n"}}, "$ref": "#n"},
        {"const": {"$anchor": "n"}, "$ref": "#n"},  # not an anchor: a value
    ],
)
def test_references_the_estimate_could_read_otherwise_than_the_validator_are_refused(schema):
    with pytest.raises(InvalidSchema):
        compile_schema(schema)


def test_a_chain_of_thousands_of_references_is_refused_not_a_crash():
    defs = {f"d{i}": {"$ref": f"#/$defs/d{i + 1}"} for i in range(1500)}
    defs["d1500"] = {"type": "string"}
    with pytest.raises(InvalidSchema):
        compile_schema({"$defs": defs, "$ref": "#/$defs/d0"})


def test_an_enum_counts_as_many_steps_as_its_values_and_named_properties_once_per_object():
    big_enum = compile_schema({"type": "array", "items": {"enum": [f"v{n}" for n in range(7000)]}})
    with pytest.raises(TooCostly):  # 200 values, each compared with 7,000
        big_enum.violations(["v1"] * 200, 20, 1)
    wide = {f"k{n}": {"type": "integer"} for n in range(1000)}
    schema = compile_schema({"type": "object", "properties": wide})
    assert schema.violations({f"k{n}": n for n in range(1000)}, 20, 1) == []  # 1,000 keys, 1,000 schemas


def test_a_large_config_that_does_not_fit_gets_its_first_violation_at_once():
    schema = compile_schema({"type": "object", "additionalProperties": {"type": "array", "items": {"type": "string"}}})
    started = time.perf_counter()
    found = schema.violations({"a": list(range(100_000))}, 20, 5)
    assert len(found) == 1 and found[0].message == "must be of type string"
    assert time.perf_counter() - started < 0.5
