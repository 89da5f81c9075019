"""`configctl apply`: a folder of `APP/CONFIG.json` files as the desired state, the plan that brings
the service there, and that plan as the operations of one transaction.

Reading the folder and the service is kept apart from planning: `make_plan` is a pure function of
what was read, so it is tested without a service."""

import json
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

from config_client.client import ConfigClient
from config_client.models import Application, Configuration

Action = Literal["create", "update", "delete", "unchanged"]
ACTIONS: tuple[Action, ...] = ("create", "update", "delete", "unchanged")
Desired = dict[str, dict[str, dict[str, Any]]]  # application name -> configuration name -> config
MAX_NAMES = 5  # keys named in a summary before "+N more"


class StateError(ValueError):
    """A file or folder that is not what it should be: the message says which and why."""


# --- reading JSON and the folder --------------------------------------------------------------


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """The service refuses a key twice in one object; say so here, before anything is sent."""
    seen: dict[str, Any] = {}
    for key, value in pairs:
        if key in seen:
            raise ValueError(f"the key {key!r} appears twice in one object")
        seen[key] = value
    return seen


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def parse_object(text: str, where: str) -> dict[str, Any]:
    """The JSON object in `text` (read from `where`, named in the error)."""
    try:
        value = json.loads(text, object_pairs_hook=_no_duplicate_keys, parse_constant=_no_constant)
    except ValueError as error:  # json.JSONDecodeError is one
        raise StateError(f"{where}: not valid JSON ({error})") from None
    if not isinstance(value, dict):
        raise StateError(f"{where}: a JSON object is needed, not {type(value).__name__}")
    return value


def read_object(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise StateError(f"{path}: cannot be read ({error})") from None
    return parse_object(text, str(path))


def _visible(path: Path) -> bool:
    return not path.name.startswith(".")


def read_folder(root: Path) -> Desired:
    """Every ROOT/APP/CONFIG.json: APP is the folder's name, CONFIG the file's stem. Hidden entries
    (`.git`, editors' files), files at the top and files not ending in `.json` are ignored."""
    if not root.is_dir():
        raise StateError(f"{root}: not a folder")
    desired: Desired = {}
    for folder in sorted(filter(_visible, root.iterdir())):
        if folder.is_dir():
            files = [file for file in sorted(folder.glob("*.json")) if _visible(file) and file.is_file()]
            desired[folder.name] = {file.stem: read_object(file) for file in files}
    return desired


# --- reading the service --------------------------------------------------------------------


@dataclass(frozen=True)
class Current:
    """An application as stored, with its configurations by name."""

    application: Application
    configurations: dict[str, Configuration]


def read_current(client: ConfigClient, names: Iterable[str]) -> dict[str, Current]:
    """The stored state of the applications named (those that exist), by name."""
    current = {}
    for name in names:
        application = client.find_application(name)
        if application is not None:
            stored = {c.name: c for c in client.configurations(application_id=application.id)}
            current[name] = Current(application, stored)
    return current


# --- comparing ------------------------------------------------------------------------------


def _number(value: int | float) -> Decimal:
    # repr: the shortest text that reads back as this float, so 1e23 equals the integer 10**23
    return Decimal(repr(value)) if isinstance(value, float) else Decimal(value)


def same_json(a: Any, b: Any) -> bool:
    """Equal as PostgreSQL's jsonb compares: numbers by value (1 equals 1.0), but `true` is not 1
    (as it is for Python's ==), and objects regardless of key order."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return _number(a) == _number(b)
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same_json(a[key], b[key]) for key in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(map(same_json, a, b))
    return type(a) is type(b) and a == b


def _names(keys: list[str]) -> str:
    shown = ", ".join(keys[:MAX_NAMES])
    return shown + (f" +{len(keys) - MAX_NAMES} more" if len(keys) > MAX_NAMES else "")


@dataclass(frozen=True)
class KeyChanges:
    """What changed between two configs, at their top level."""

    added: list[str]
    removed: list[str]
    changed: list[str]

    @classmethod
    def between(cls, old: dict[str, Any], new: dict[str, Any]) -> "KeyChanges":
        return cls(
            added=sorted(new.keys() - old.keys()),
            removed=sorted(old.keys() - new.keys()),
            changed=sorted(key for key in old.keys() & new.keys() if not same_json(old[key], new[key])),
        )

    def __bool__(self) -> bool:
        return bool(self.added or self.removed or self.changed)

    def __str__(self) -> str:
        parts = [(label, keys) for label, keys in self.as_dict().items() if keys]
        return "; ".join(f"{label}: {_names(keys)}" for label, keys in parts) or "no keys changed"

    def as_dict(self) -> dict[str, list[str]]:
        return {"added": self.added, "removed": self.removed, "changed": self.changed}


# --- the plan -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    action: Action
    application: str
    configuration: str | None  # None: the application itself
    detail: str = ""
    keys: KeyChanges | None = None
    operation: dict[str, Any] | None = None  # what the transaction does; None when unchanged
    guard: dict[str, Any] | None = None  # for an unchanged one: a check that it still is

    @property
    def target(self) -> str:
        return self.application if self.configuration is None else f"{self.application}/{self.configuration}"

    def as_dict(self) -> dict[str, Any]:
        shown = {"action": self.action, "application": self.application, "configuration": self.configuration}
        return {**shown, "detail": self.detail, **(self.keys.as_dict() if self.keys is not None else {})}


@dataclass(frozen=True)
class Plan:
    steps: list[Step]

    @property
    def changes(self) -> list[Step]:
        """The steps that write, in the order of their operations."""
        return [step for step in self.steps if step.operation is not None]

    def written(self) -> list[tuple[Step, dict[str, Any]]]:
        """The transaction's operations with their steps: the changes, then a check of each
        configuration planned as unchanged (so one edited since fails the apply with 412)."""
        changes = [(step, step.operation) for step in self.changes if step.operation is not None]
        return changes + [(step, step.guard) for step in self.steps if step.guard is not None]

    def operations(self) -> list[dict[str, Any]]:
        return [operation for _, operation in self.written()]

    def counts(self) -> dict[str, int]:
        return {action: sum(step.action == action for step in self.steps) for action in ACTIONS}

    def summary(self) -> str:
        counts = self.counts()
        return (
            f"Plan: {counts['create']} to create, {counts['update']} to update, "
            f"{counts['delete']} to delete, {counts['unchanged']} unchanged."
        )


def make_plan(desired: Desired, current: dict[str, Current], prune: bool = False) -> Plan:
    """What brings the service to `desired`: applications created when absent (never changed or
    deleted), configurations created, updated when their config differs, and with `prune` those of
    the desired applications that have no file deleted. Every update and delete carries `if_match`,
    the version read, so a change made since fails the transaction instead of being overwritten."""
    steps: list[Step] = []
    for index, (name, configs) in enumerate(sorted(desired.items())):
        existing = current.get(name)
        if existing is None:
            ref = f"application-{index}"  # app names may hold any character; a ref may not
            operation = {"op": "create_application", "ref": ref, "body": {"name": name}}
            steps.append(Step("create", name, None, "new application", operation=operation))
            steps += _configuration_steps(name, configs, {}, {"application_ref": ref}, prune)
        else:
            owner = {"application_id": existing.application.id}
            steps += _configuration_steps(name, configs, existing.configurations, owner, prune)
    return Plan(steps)


def _configuration_steps(
    application: str,
    configs: dict[str, dict[str, Any]],
    stored: dict[str, Configuration],
    owner: dict[str, str],
    prune: bool,
) -> list[Step]:
    # Only what a file could name is pruned: a stored name holding "/" or starting with "." has no
    # file (those are not read), so it is kept.
    prunable = {name for name in stored if "/" not in name and not name.startswith(".")} if prune else set()
    names = sorted(configs.keys() | prunable)
    return [_configuration_step(application, name, configs.get(name), stored.get(name), owner) for name in names]


def _configuration_step(
    application: str, name: str, config: dict[str, Any] | None, stored: Configuration | None, owner: dict[str, str]
) -> Step:
    operation: dict[str, Any]
    if stored is None:
        assert config is not None  # a name comes from the files or from what is stored
        keys = KeyChanges.between({}, config)
        operation = {"op": "create_configuration", "body": {**owner, "name": name, "config": config}}
        return Step("create", application, name, str(keys) if keys else "empty", keys, operation)
    seen = f"version {stored.version}"
    if config is None:
        operation = {"op": "delete_configuration", "id": stored.id, "if_match": stored.version}
        return Step("delete", application, name, f"{seen}, no file", operation=operation)
    keys = KeyChanges.between(stored.config, config)
    if not keys:  # top-level keys compared with same_json: none differs, so neither does the whole
        guard = {"op": "check", "kind": "configuration", "id": stored.id, "if_match": stored.version}
        return Step("unchanged", application, name, seen, guard=guard)
    body = {"name": name, "comments": stored.comments, "config": config}  # PUT replaces: keep the comments
    operation = {"op": "update_configuration", "id": stored.id, "if_match": stored.version, "body": body}
    return Step("update", application, name, f"{seen}: {keys}", keys, operation)
