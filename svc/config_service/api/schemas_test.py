import json
from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from config_service.api.schemas import ApplicationCreate, ApplicationOut, ConfigurationCreate, ConfigurationUpdate
from config_service.domain.json_rules import MAX_CONFIG_DEPTH

APP = "01J0000000000000000000000A"


def config_body(config_json: str) -> str:
    return f'{{"application_id": "{APP}", "name": "n", "config": {config_json}}}'


def test_ids_are_read_in_any_case_and_written_as_canonical_strings():
    body = ConfigurationCreate.model_validate_json(config_body("{}").replace(APP, APP.lower()))
    assert str(body.application_id) == APP
    assert f'"application_id":"{APP}"' in body.model_dump_json()


@pytest.mark.parametrize("bad", ["", "   ", "x" * 257, "a\x00b"])
def test_names_must_be_1_to_256_visible_characters_without_nul(bad):
    with pytest.raises(ValidationError):
        ApplicationCreate(name=bad)


def test_comments_are_optional_and_bounded():
    assert ApplicationCreate(name="x").comments is None
    with pytest.raises(ValidationError):
        ApplicationCreate(name="x", comments="c" * 1025)


def test_unknown_fields_are_refused():
    with pytest.raises(ValidationError, match="Extra inputs"):
        ApplicationCreate.model_validate_json('{"name": "x", "comment": "typo"}')


def test_update_may_omit_application_id():
    assert ConfigurationUpdate.model_validate_json('{"name": "n", "config": {}}').application_id is None


def nested(depth: int) -> str:
    return "[" * (depth - 1) + "{}" + "]" * (depth - 1)


def test_depth_counts_the_config_object_itself():
    ConfigurationCreate.model_validate_json(config_body(f'{{"k": {nested(MAX_CONFIG_DEPTH - 1)}}}'))
    with pytest.raises(ValidationError, match="nesting deeper than 32"):
        ConfigurationCreate.model_validate_json(config_body(f'{{"k": {nested(MAX_CONFIG_DEPTH)}}}'))


@pytest.mark.parametrize(
    "config, message",
    [
        ('{"k": NaN}', "finite"),
        ('{"k": [1, Infinity]}', "finite"),
        ('{"k": {"\\u0000": 1}}', "keys"),
        ('{"k": [{"x": "a\\u0000"}]}', "strings"),
        ("[]", "an object"),
    ],
)
def test_config_refuses_what_jsonb_cannot_store(config, message):
    with pytest.raises(ValidationError, match=message):
        ConfigurationCreate.model_validate_json(config_body(config))


def test_out_model_serializes_without_validation():
    moment = datetime(2026, 1, 1, tzinfo=UTC)
    row = {
        "id": APP,
        "name": "n",
        "comments": None,
        "configuration_ids": [],
        "created_at": moment,
        "updated_at": moment,
    }
    assert ApplicationOut.model_construct(**row).model_dump_json() == (
        '{"id":"01J0000000000000000000000A","name":"n","comments":null,"created_at":"2026-01-01T00:00:00Z",'
        '"updated_at":"2026-01-01T00:00:00Z","configuration_ids":[]}'
    )


@pytest.mark.parametrize("application_id", [-1, 0, 2**128, 1.5, True, None, ["01J0000000000000000000000A"]])
def test_an_application_id_that_is_not_a_string_is_refused(application_id):
    with pytest.raises(ValidationError):
        ConfigurationCreate.model_validate_json(
            json.dumps({"application_id": application_id, "name": "n", "config": {}})
        )
