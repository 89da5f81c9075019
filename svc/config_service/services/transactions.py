"""Many use cases in one unit of work, all or none: every row they touch (or check) locked in a
stable order first, then each operation as it would run alone; a failure names the operation.

Operations are plain dicts, as the API validated them: `op` names one in OPERATIONS, which
runs its use case and says what came of it (an Outcome); the API maps that to HTTP."""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from config_service.domain.access import Access
from config_service.domain.errors import OperationFailed, PreconditionMissing, ServiceError, not_found_or_stale
from config_service.domain.rows import KEEP
from config_service.services import applications, configurations
from config_service.services.ports import UnitOfWork
from config_service.services.schemas import SchemaRules


@dataclass(frozen=True)
class Outcome:
    kind: Literal["created", "updated", "deleted", "checked"]
    resource: Literal["application", "configuration", "check"]
    row: Mapping[str, Any] | None = None  # a row, or a check's kind, id and version


Refs = dict[str, str]  # the ids of what earlier operations created, by their `ref`


@dataclass
class Context:
    """What every operation of one transaction shares."""

    uow: UnitOfWork
    access: Access
    rules: SchemaRules
    refs: Refs = field(default_factory=dict)


Operation = Callable[[Context, dict[str, Any]], Outcome]


def _versions(op: dict[str, Any]) -> list[int] | None:
    return None if op.get("if_match") is None else [op["if_match"]]


def _create_application(ctx: Context, op: dict[str, Any]) -> Outcome:
    row = applications.create_application(ctx.uow, ctx.access, op["body"]["name"], op["body"].get("comments"))
    return _created(op, ctx.refs, "application", row)


def _created(
    op: dict[str, Any], refs: Refs, resource: Literal["application", "configuration"], row: Mapping[str, Any]
) -> Outcome:
    """What a create came to; its id is kept under the op's `ref` for later operations."""
    if op.get("ref"):
        refs[op["ref"]] = row["id"]
    return Outcome("created", resource, row)


def _update_application(ctx: Context, op: dict[str, Any]) -> Outcome:
    body = op["body"]
    return Outcome(
        "updated",
        "application",
        applications.update_application(
            ctx.uow, ctx.access, op["id"], body["name"], body.get("comments"), _versions(op)
        ),
    )


def _delete_application(ctx: Context, op: dict[str, Any]) -> Outcome:
    applications.delete_application(ctx.uow, ctx.access, op["id"], _versions(op))
    return Outcome("deleted", "application")


def _create_configuration(ctx: Context, op: dict[str, Any]) -> Outcome:
    body = op["body"]
    application_id = body.get("application_id") or ctx.refs.get(body.get("application_ref") or "")
    row = configurations.create_configuration(
        ctx.uow,
        ctx.access,
        application_id,
        body["name"],
        body.get("comments"),
        body["config"],
        body.get("schema"),
        ctx.rules,
    )
    return _created(op, ctx.refs, "configuration", row)


def _update_configuration(ctx: Context, op: dict[str, Any]) -> Outcome:
    body = op["body"]
    return Outcome(
        "updated",
        "configuration",
        configurations.update_configuration(
            ctx.uow,
            ctx.access,
            op["id"],
            body.get("application_id"),
            body["name"],
            body.get("comments"),
            body["config"],
            _versions(op),
            body["schema"] if "schema" in body else KEEP,
            ctx.rules,
        ),
    )


def _delete_configuration(ctx: Context, op: dict[str, Any]) -> Outcome:
    configurations.delete_configuration(ctx.uow, ctx.access, op["id"], _versions(op))
    return Outcome("deleted", "configuration")


def _restore_configuration(ctx: Context, op: dict[str, Any]) -> Outcome:
    return Outcome(
        "updated",
        "configuration",
        configurations.restore_revision(ctx.uow, ctx.access, op["id"], op["version"], _versions(op), ctx.rules),
    )


def _check(ctx: Context, op: dict[str, Any]) -> Outcome:
    """Assert that a resource exists (for this caller) and, with if_match, is at that version."""
    uow, access, kind, id = ctx.uow, ctx.access, op["kind"], op["id"]
    if kind == "application":
        current, owner = uow.applications.version_of(id), id
    else:
        current, owner = uow.configurations.version_of(id), uow.configurations.owner_of(id)
    if current is None or not access.sees(owner):
        raise not_found_or_stale(kind, None, False)
    if op.get("if_match") is not None and op["if_match"] != current:
        raise not_found_or_stale(kind, current, True)
    return Outcome("checked", "check", {"kind": kind, "id": id, "version": current})


OPERATIONS: dict[str, Operation] = {
    "create_application": _create_application,
    "update_application": _update_application,
    "delete_application": _delete_application,
    "create_configuration": _create_configuration,
    "update_configuration": _update_configuration,
    "delete_configuration": _delete_configuration,
    "restore_configuration": _restore_configuration,
    "check": _check,
}
ON_EXISTING = {
    "update_application",
    "delete_application",
    "update_configuration",
    "delete_configuration",
    "restore_configuration",
}


def run_transaction(
    uow: UnitOfWork,
    access: Access,
    operations: list[dict[str, Any]],
    require_if_match: bool = False,
    rules: SchemaRules | None = None,
) -> list[Outcome]:
    """Run every operation, or raise OperationFailed (the unit of work then rolls all back).

    Rows are locked up front, applications then configurations, each in id order (what a
    `check` reads included: two transactions that each check what the other writes queue, and
    the second sees the first's write), so transactions never deadlock.
    """
    _lock(uow, operations)
    context = Context(uow, access, rules or SchemaRules())
    outcomes = []
    for index, op in enumerate(operations):
        try:
            if require_if_match and op["op"] in ON_EXISTING and op.get("if_match") is None:
                raise PreconditionMissing("this service requires if_match on every operation on an existing resource")
            outcomes.append(OPERATIONS[op["op"]](context, op))
        except ServiceError as error:
            raise OperationFailed(index, error) from None
    return outcomes


def authorize(uow: UnitOfWork, access: Access, operations: list[dict[str, Any]]) -> None:
    """The access checks of every operation, for a replay of the transaction's stored answer."""
    owners = uow.configurations.owners_of(sorted(_configurations(operations)))
    for index, op in enumerate(operations):
        try:
            match op["op"], op.get("kind"):
                case "create_application", _:
                    access.require_unlimited()
                case "create_configuration", _:
                    if op["body"].get("application_id"):
                        access.require_names(op["body"]["application_id"])
                case (("update_application" | "delete_application" | "check"), ("application" | None)):
                    access.require_sees(op["id"])
                case _:
                    access.require_sees(owners.get(op["id"]), "configuration")
        except ServiceError as error:
            raise OperationFailed(index, error) from None


def _configurations(operations: list[dict[str, Any]]) -> set[str]:
    return {
        op["id"]
        for op in operations
        if op["op"] in ("update_configuration", "delete_configuration", "restore_configuration")
        or (op["op"] == "check" and op["kind"] == "configuration")
    }


def _lock(uow: UnitOfWork, operations: list[dict[str, Any]]) -> None:
    configuration_ids = sorted(_configurations(operations))
    owners = uow.configurations.owners_of(configuration_ids)
    application_ids = {
        op["id"]
        for op in operations
        if op["op"] in ("update_application", "delete_application")
        or (op["op"] == "check" and op["kind"] == "application")
    }
    application_ids |= {
        op["body"]["application_id"]
        for op in operations
        if op["op"] == "create_configuration" and op["body"].get("application_id")
    }
    uow.applications.lock_all(sorted(application_ids | set(owners.values())))
    uow.configurations.lock_all(configuration_ids)
