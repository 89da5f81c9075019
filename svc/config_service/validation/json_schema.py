"""JSON Schema (draft 2020-12) for configurations: a schema checked once, then each config
validated against it within a budget.

Safe against hostile schemas: no `$ref` is ever fetched (from the network or a file: only
references inside the schema resolve), a `pattern` runs on a regular-expression engine that
never backtracks (linear time), and the work one validation may take is bounded before it
starts: a schema whose `$ref`s and `anyOf`s multiply (each level evaluating the next twice, say)
is refused when the work it implies for a config exceeds MAX_WORK, rather than run for hours.
"""

import json
import re
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import jsonschema_rs

DRAFT = "https://json-schema.org/draft/2020-12/schema"
MAX_LEVELS = 33  # a config nests at most 32 levels deep (domain/json_rules.py), plus its root
MAX_WORK = 1_000_000  # schema-node evaluations one validation may take, estimated before it runs
COMPILED_KEPT = 256  # schemas kept compiled per worker (most configurations share a few)

# Keywords whose schemas apply to the same value, and those that apply to the values inside it.
IN_PLACE = ("allOf", "anyOf", "oneOf", "not", "if", "then", "else", "dependentSchemas", "$ref")
INSIDE = (
    "properties",
    "patternProperties",
    "additionalProperties",
    "items",
    "prefixItems",
    "contains",
    "propertyNames",
    "unevaluatedItems",
    "unevaluatedProperties",
)
NAMED_SCHEMAS = ("properties", "patternProperties", "dependentSchemas")  # {name: schema}
LISTED_SCHEMAS = ("allOf", "anyOf", "oneOf", "prefixItems")  # [schema, ...]
PLAIN = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,39}")


class InvalidSchema(Exception):
    """The schema is not one this service accepts; `path` is where, inside it."""

    def __init__(self, message: str, path: tuple[str | int, ...] = ()):
        super().__init__(message)
        self.message, self.path = message, path


class TooCostly(Exception):
    """Validating this config against this schema would take (or took) more than allowed."""


@dataclass(frozen=True)
class Violation:
    path: tuple[str | int, ...]  # where in the config
    message: str  # made from the schema, never from the config's values
    schema_path: tuple[str | int, ...]  # which keyword of the schema


def _refuse_retrieval(uri: str) -> Any:
    raise LookupError("only references inside the schema are resolved")


class Schema:
    """A checked, compiled schema: `violations(config)` says what of a config does not fit."""

    def __init__(self, document: dict[str, Any]):
        if document.get("$schema", DRAFT) != DRAFT:
            raise InvalidSchema(f"$schema must be {DRAFT} (draft 2020-12) or left out", ("$schema",))
        try:
            jsonschema_rs.meta.validate(document)
        except jsonschema_rs.ValidationError as error:
            raise InvalidSchema(_schema_error(error), tuple(error.instance_path)) from None
        self.document = document
        self.levels = _levels(document)  # schema-node evaluations per level of a config, at most
        try:
            self._validator = jsonschema_rs.Draft202012Validator(
                document,
                retriever=_refuse_retrieval,
                pattern_options=jsonschema_rs.RegexOptions(),  # Rust's regex: linear time, no backtracking
                validate_formats=False,  # `format` is an annotation, as the draft says by default
            )
        except jsonschema_rs.ValidationError as error:  # a $ref that does not resolve, a bad pattern
            raise InvalidSchema(_schema_error(error), tuple(error.instance_path)) from None
        except (jsonschema_rs.ReferencingError, ValueError) as error:
            raise InvalidSchema(f"cannot be compiled: {type(error).__name__}") from None

    def violations(self, config: dict[str, Any], limit: int, budget_seconds: float) -> list[Violation]:
        """Up to `limit` violations of `config`; TooCostly when the work it would take exceeds
        MAX_WORK, or the validation ran longer than `budget_seconds`."""
        work = sum(count * per for count, per in zip(_value_levels(config), self.levels, strict=False))
        if work > MAX_WORK:
            raise TooCostly(f"validating this config against the schema would take about {work:,} steps")
        started = time.perf_counter()
        found = []
        for error in self._validator.iter_errors(config):
            found.append(Violation(tuple(error.instance_path), self._message(error), tuple(error.schema_path)))
            if len(found) >= limit:
                break
        if time.perf_counter() - started > budget_seconds:
            raise TooCostly(f"validating this config against the schema took more than {budget_seconds * 1000:g} ms")
        return found

    def _message(self, error: Any) -> str:
        keyword = str(error.schema_path[-1]) if error.schema_path else ""
        value = self._at(error.schema_path)
        return _describe(keyword, value, error.kind)

    def _at(self, path: Any) -> Any:
        node: Any = self.document
        for part in path:
            try:
                node = node[part]
            except (KeyError, IndexError, TypeError):
                return None
        return node


@lru_cache(maxsize=COMPILED_KEPT)
def _compiled(text: str) -> Schema:
    return Schema(json.loads(text))


_by_digest: dict[str, Schema] = {}
_digests = threading.Lock()


def compile_schema(document: dict[str, Any], digest: str | None = None) -> Schema:
    """The schema checked and compiled, kept per worker by its text, or by `digest` when the
    database gave one (md5 of jsonb's canonical text, so no encoding is needed to find it).
    InvalidSchema when it is not valid draft 2020-12, holds a `$ref` to anything outside itself,
    a pattern the linear engine cannot run, or a `$ref` loop that never descends into the value."""
    if digest is not None and (known := _by_digest.get(digest)) is not None:
        return known
    compiled = _compiled(json.dumps(document, separators=(",", ":"), ensure_ascii=False))
    if digest is not None:
        with _digests:
            if len(_by_digest) >= COMPILED_KEPT:
                _by_digest.clear()
            _by_digest[digest] = compiled
    return compiled


def _schema_error(error: Any) -> str:
    """What is wrong, without the schema's own text (it is input too)."""
    if "is not present in a registry" in str(error.message):
        return "a $ref resolves only inside the schema"
    keyword = str(error.schema_path[-1]) if error.schema_path else ""
    return f"is not valid draft 2020-12 ({keyword})" if PLAIN.fullmatch(keyword) else "is not valid draft 2020-12"


# --- what a validation may cost, found before it runs ----------------------------------------


def _levels(document: dict[str, Any]) -> tuple[int, ...]:
    """How many schema nodes may be evaluated against one value at each level of a config (the
    root's at 0), `$ref`s followed and every branch of anyOf, oneOf, ... counted, up to MAX_WORK."""
    memo: dict[tuple[int, int], list[int]] = {}
    active: set[tuple[int, int]] = set()  # being expanded: met again at the same level, a loop

    def expand(node: Any, depth: int) -> list[int]:
        counts = [0] * depth
        if depth == 0:
            return counts
        counts[0] = 1
        if not isinstance(node, dict):
            return counts  # true, false
        key = (id(node), depth)
        if key in memo:
            return memo[key]
        if key in active:
            raise InvalidSchema("a $ref loop that never descends into the value")
        active.add(key)
        for child, inside in _applied(node, document):
            for level, count in enumerate(expand(child, depth - 1 if inside else depth)):
                target = level + 1 if inside else level
                counts[target] = min(MAX_WORK + 1, counts[target] + count)
        active.discard(key)
        memo[key] = counts
        return counts

    return tuple(expand(document, MAX_LEVELS))


def _applied(node: dict[str, Any], document: dict[str, Any]) -> Iterator[tuple[Any, bool]]:
    """Each schema `node` applies, and whether it applies to the values inside (True) or the same value."""
    for keyword in (*IN_PLACE, *INSIDE):
        if keyword not in node:
            continue
        value, inside = node[keyword], keyword in INSIDE
        if keyword == "$ref":
            yield _resolve(value, document), False
        elif keyword in NAMED_SCHEMAS and isinstance(value, dict):
            yield from ((child, inside) for child in value.values())
        elif keyword in LISTED_SCHEMAS and isinstance(value, list):
            yield from ((child, inside) for child in value)
        else:
            yield value, inside
    if "$dynamicRef" in node:
        raise InvalidSchema("$dynamicRef is not supported", ("$dynamicRef",))


def _resolve(reference: Any, document: dict[str, Any]) -> Any:
    """The node a `$ref` inside the schema names: `#`, `#/a/json/pointer` or `#anchor`."""
    if not isinstance(reference, str) or not reference.startswith("#"):
        raise InvalidSchema("a $ref must name a place inside the schema (#/...)", ("$ref",))
    fragment = reference[1:]
    if fragment and not fragment.startswith("/"):
        anchored = _anchor(document, fragment)
        if anchored is None:
            raise InvalidSchema("a $ref names an anchor the schema does not have", ("$ref",))
        return anchored
    node: Any = document
    for part in fragment.split("/")[1:]:
        part = part.replace("~1", "/").replace("~0", "~")
        try:
            node = node[int(part)] if isinstance(node, list) else node[part]
        except (KeyError, IndexError, ValueError, TypeError):
            raise InvalidSchema("a $ref names a place the schema does not have", ("$ref",)) from None
    return node


def _anchor(node: Any, name: str) -> Any:
    children: Iterable[Any]
    if isinstance(node, dict):
        if node.get("$anchor") == name:
            return node
        children = node.values()
    elif isinstance(node, list):
        children = node
    else:
        return None
    for child in children:
        found = _anchor(child, name)
        if found is not None:
            return found
    return None


def _value_levels(value: Any) -> list[int]:
    """How many values a config holds at each level (the root at 0)."""
    counts = [0] * MAX_LEVELS
    level = [value]
    for depth in range(MAX_LEVELS):
        if not level:
            break
        counts[depth] = len(level)
        inner: list[Any] = []
        for item in level:
            if isinstance(item, dict):
                inner.extend(item.values())
            elif isinstance(item, list):
                inner.extend(item)
        level = inner
    return counts


# --- messages made from the schema, never echoing the config ---------------------------------

BOUNDS = {
    "minimum": "must be at least {}",
    "maximum": "must be at most {}",
    "exclusiveMinimum": "must be more than {}",
    "exclusiveMaximum": "must be less than {}",
    "multipleOf": "must be a multiple of {}",
    "minLength": "must have at least {} characters",
    "maxLength": "must have at most {} characters",
    "minItems": "must have at least {} items",
    "maxItems": "must have at most {} items",
    "minProperties": "must have at least {} properties",
    "maxProperties": "must have at most {} properties",
    "minContains": "must contain at least {} matching items",
    "maxContains": "must contain at most {} matching items",
}
PHRASES = {
    "enum": "is not one of the allowed values",
    "const": "is not the allowed value",
    "pattern": "does not match the pattern",
    "additionalProperties": "has a property the schema does not allow",
    "unevaluatedProperties": "has a property the schema does not allow",
    "unevaluatedItems": "has an item the schema does not allow",
    "uniqueItems": "has items that repeat",
    "anyOf": "matches none of the schemas of anyOf",
    "oneOf": "does not match exactly one of the schemas of oneOf",
    "not": "matches a schema it must not",
    "contains": "contains no matching item",
    "propertyNames": "has a property name the schema does not allow",
    "false": "is not allowed here",
}


def _describe(keyword: str, value: Any, kind: Any) -> str:
    if keyword == "type":
        types = value if isinstance(value, list) else [value]
        return "must be of type " + " or ".join(str(t) for t in types if isinstance(t, str))
    if keyword == "required":
        name = getattr(kind, "property", None)
        return (
            f"lacks the required property {name}"
            if isinstance(name, str) and PLAIN.fullmatch(name)
            else ("lacks a required property")
        )
    if keyword in BOUNDS and isinstance(value, int | float) and not isinstance(value, bool):
        return BOUNDS[keyword].format(value)
    if keyword in PHRASES:
        return PHRASES[keyword]
    return f"does not match the schema's {keyword}" if PLAIN.fullmatch(keyword) else "does not match the schema"
