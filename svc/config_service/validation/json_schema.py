"""JSON Schema (draft 2020-12) for configurations: a schema checked once, then each config
validated against it within a budget.

Safe against hostile schemas: no `$ref` is ever fetched (from the network or a file: only
references inside the schema resolve), a `pattern` runs on a regular-expression engine that
never backtracks (linear time), and the work one validation may take is bounded before it
starts: a schema whose `$ref`s and `anyOf`s multiply (each level evaluating the next twice, say)
is refused when the work it implies for a config exceeds MAX_WORK, rather than run for hours.
"""

import itertools
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
MAX_EXPANSION = 200_000  # steps the estimate itself may take, per schema (a schema needing more is refused)
# Every error of an invalid config is listed only for a config this small: the validator builds
# all of them before it hands back the first, and a large config could have hundreds of
# thousands. A larger one gets its first error.
ALL_ERRORS_UP_TO_VALUES = 10_000
COMPILED_KEPT = 256  # schemas kept compiled per worker (most configurations share a few)

# Keywords whose schemas apply to the same value, and those that apply to the values inside it.
IN_PLACE = ("allOf", "anyOf", "oneOf", "not", "if", "then", "else", "dependentSchemas", "dependencies", "$ref")
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
NAMED_SCHEMAS = ("properties", "patternProperties", "dependentSchemas", "dependencies")  # {name: schema}
# Positions where a schema holds schemas (and so where an anchor may stand).
SCHEMA_MAPS = (*NAMED_SCHEMAS, "$defs", "definitions")
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
        try:
            self.levels = _levels(document)  # schema-node evaluations per level of a config, at most
        except RecursionError:
            raise InvalidSchema("nests or chains its references too deeply to be checked") from None
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
        """Up to `limit` violations of `config`. TooCostly when the work it would take exceeds
        MAX_WORK (found before anything runs), or when it took more than `budget_seconds` of this
        thread's CPU time (so a busy machine does not make a valid write fail)."""
        values = _value_levels(config)
        work = sum(count * per for count, per in zip(values, self.levels, strict=False))
        if work > MAX_WORK:
            raise TooCostly(f"validating this config against the schema would take about {work:,} steps")
        started = time.thread_time()
        if self._validator.is_valid(config):  # stops at the first failure; most writes end here
            found = []
        elif sum(values) <= ALL_ERRORS_UP_TO_VALUES:
            found = list(itertools.islice(self._violations(self._validator.iter_errors(config)), limit))
        else:
            try:
                self._validator.validate(config)
                found = []
            except jsonschema_rs.ValidationError as first:
                found = list(self._violations([first]))
        if time.thread_time() - started > budget_seconds:
            raise TooCostly(f"validating this config against the schema took more than {budget_seconds * 1000:g} ms")
        return found

    def _violations(self, errors: Iterable[Any]) -> Iterator[Violation]:
        for error in errors:
            yield Violation(tuple(error.instance_path), self._message(error), tuple(error.schema_path))

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
    database gave one (sha256 of jsonb's canonical text, so no encoding is needed to find it).
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
    root's at 0), `$ref`s followed and every branch of anyOf, oneOf, ... counted, up to MAX_WORK.
    A node with an `enum` counts as many as the values it compares. A `properties` child applies
    to at most one value of each object, so it is counted at the object's level."""
    anchors = _anchors(document)
    memo: dict[tuple[int, int], list[int]] = {}
    active: set[tuple[int, int]] = set()  # being expanded: met again at the same level, a loop
    steps = 0

    def expand(node: Any, depth: int) -> list[int]:
        nonlocal steps
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
        steps += 1
        if steps > MAX_EXPANSION:
            raise InvalidSchema("is too complex to be checked")
        active.add(key)
        enum = node.get("enum")
        counts[0] += len(enum) if isinstance(enum, list) else 0
        for child, place in _applied(node, document, anchors):
            inner = expand(child, depth - 1 if place != SAME else depth)
            for level, count in enumerate(inner):
                target = level if place == SAME or (place == ONE_OF_EACH and level == 0) else level + 1
                counts[target] = min(MAX_WORK + 1, counts[target] + count)
        active.discard(key)
        memo[key] = counts
        return counts

    return tuple(expand(document, MAX_LEVELS))


SAME, INSIDE_EACH, ONE_OF_EACH = "same", "inside", "one"  # where a child schema applies


def _applied(node: dict[str, Any], document: dict[str, Any], anchors: dict[str, Any]) -> Iterator[tuple[Any, str]]:
    """Each schema `node` applies: to the same value, to every value inside it, or (a named
    property) to at most one value inside it."""
    if "$dynamicRef" in node:
        raise InvalidSchema("$dynamicRef is not supported", ("$dynamicRef",))
    for keyword in (*IN_PLACE, *INSIDE):
        if keyword not in node:
            continue
        value = node[keyword]
        place = SAME if keyword in IN_PLACE else ONE_OF_EACH if keyword == "properties" else INSIDE_EACH
        if keyword == "$ref":
            yield _resolve(value, document, anchors), SAME
        elif keyword in NAMED_SCHEMAS:
            if isinstance(value, dict):  # (draft 7's `dependencies` may also name required keys)
                yield from ((child, place) for child in value.values() if isinstance(child, dict | bool))
        elif keyword in LISTED_SCHEMAS and isinstance(value, list):
            yield from ((child, place) for child in value)
        else:
            yield value, place


def _resolve(reference: Any, document: dict[str, Any], anchors: dict[str, Any]) -> Any:
    """The node a `$ref` inside the schema names: `#`, `#/a/json/pointer` or `#anchor`."""
    if not isinstance(reference, str) or not reference.startswith("#") or "%" in reference:
        raise InvalidSchema("a $ref must name a place inside the schema (#/... or #anchor)", ("$ref",))
    fragment = reference[1:]
    if fragment and not fragment.startswith("/"):
        if fragment not in anchors:
            raise InvalidSchema("a $ref names an anchor the schema does not have", ("$ref",))
        return anchors[fragment]
    node: Any = document
    for part in fragment.split("/")[1:]:
        part = part.replace("~1", "/").replace("~0", "~")
        try:
            node = node[int(part)] if isinstance(node, list) else node[part]
        except (KeyError, IndexError, ValueError, TypeError):
            raise InvalidSchema("a $ref names a place the schema does not have", ("$ref",)) from None
    return node


def _anchors(document: dict[str, Any]) -> dict[str, Any]:
    """Every `$anchor` (and `$dynamicAnchor`) of the schema, found where schemas stand (not in
    an `enum` or `const` value), each once; a `$id` below the root, which would give the `$ref`s
    under it another base, is refused."""
    found: dict[str, Any] = {}
    pending: list[tuple[Any, bool]] = [(document, True)]
    while pending:
        node, root = pending.pop()
        if not isinstance(node, dict):
            continue
        if "$id" in node and not root:
            raise InvalidSchema("a $id is allowed at the root only", ("$id",))
        for keyword in ("$anchor", "$dynamicAnchor"):
            name = node.get(keyword)
            if isinstance(name, str):
                if name in found:
                    raise InvalidSchema("an anchor is named twice", (keyword,))
                found[name] = node
        for keyword, value in node.items():
            if keyword in SCHEMA_MAPS and isinstance(value, dict):
                pending.extend((child, False) for child in value.values())
            elif keyword in LISTED_SCHEMAS and isinstance(value, list):
                pending.extend((child, False) for child in value)
            elif keyword in IN_PLACE or keyword in INSIDE:
                pending.append((value, False))
    return found


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
