"""A configuration's JSON Schema, enforced: every write that sets a config or a schema checks
the config against the schema current after it, here, on the path every write takes."""

import json
from dataclasses import dataclass
from typing import Any

from config_service.domain.errors import SchemaViolation
from config_service.domain.rows import Schema
from config_service.validation.json_schema import InvalidSchema, TooCostly, compile_schema

Location = tuple[str | int, ...]
DETAILS = {
    "schema_invalid": "the schema is not a valid JSON Schema (draft 2020-12) this service accepts",
    "schema_size": "the schema is too large",
    "schema_budget": "the config could not be validated within the schema's budget",
}


@dataclass(frozen=True)
class SchemaRules:
    """The limits of MAX_SCHEMA_BYTES, SCHEMA_VALIDATION_MS and MAX_SCHEMA_ERRORS."""

    max_schema_bytes: int = 65536
    budget_seconds: float = 0.05
    max_errors: int = 20


def violations(
    config: dict[str, Any], schema: Schema, rules: SchemaRules, at: Location = ("body",), digest: str | None = None
) -> list[dict[str, Any]]:
    """Every way (up to `rules.max_errors`) `config` does not fit `schema`, each as
    {loc, msg, type, schema_path}; the schema's own faults and a validation over budget too."""
    if schema is None:
        return []
    if (
        digest is None
        and len(json.dumps(schema, separators=(",", ":"), ensure_ascii=False).encode()) > rules.max_schema_bytes
    ):
        return [_error((*at, "schema"), f"must take at most {rules.max_schema_bytes} bytes", "schema_size")]
    try:
        compiled = compile_schema(schema, digest)
        found = compiled.violations(config, rules.max_errors, rules.budget_seconds)
    except InvalidSchema as invalid:
        return [_error((*at, "schema", *invalid.path), invalid.message, "schema_invalid")]
    except TooCostly as costly:
        return [_error((*at, "config"), f"{costly} (the schema's budget)", "schema_budget")]
    return [
        {**_error((*at, "config", *item.path), item.message, "schema"), "schema_path": list(item.schema_path)}
        for item in found
    ]


def require_fits(
    config: dict[str, Any], schema: Schema, rules: SchemaRules, at: Location = ("body",), digest: str | None = None
) -> None:
    """SchemaViolation unless `config` fits `schema` (None: anything fits)."""
    errors = violations(config, schema, rules, at, digest)
    if errors:
        raise SchemaViolation(DETAILS.get(errors[0]["type"], "the config does not match its schema"), errors)


def _error(loc: Location, msg: str, kind: str) -> dict[str, Any]:
    return {"loc": list(loc), "msg": msg, "type": kind}
