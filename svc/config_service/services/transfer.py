"""Export an application with its configurations by name, and import such a document: a plan
first (what would be created, updated, deleted or left alone), applied in one unit of work."""

from typing import Any

from config_service.domain.access import Access
from config_service.domain.errors import SchemaViolation, TooLarge
from config_service.domain.rows import KEEP, Keep
from config_service.services import applications, configurations
from config_service.services.ports import UnitOfWork
from config_service.services.schemas import SchemaRules, violations

FORMAT = "config-service/v1"


def export_application(uow: UnitOfWork, access: Access, id: str, budget: int) -> dict[str, Any]:
    """Names, no ids: portable between environments; configurations by name (code-point order).
    TooLarge when they take more than about `budget` bytes."""
    application = applications.get_application(uow, access, id)
    if uow.configurations.bytes_of(id) > budget:
        raise TooLarge(
            f"the application's configurations take more than {budget} bytes: export is refused"
            " (page through GET /api/v1/configurations?application_id= instead)"
        )
    return {
        "format": FORMAT,
        "application": {"name": application["name"], "comments": application["comments"]},
        "configurations": [
            {"name": row["name"], "comments": row["comments"], "config": row["config"], "schema": row["schema"]}
            for row in uow.configurations.of_application(id)
        ],
    }


def import_document(
    uow: UnitOfWork,
    access: Access,
    document: dict[str, Any],
    replace: bool,
    apply: bool,
    limit: int,
    rules: SchemaRules | None = None,
) -> dict[str, Any]:
    """The plan; with `apply`, carried out as well (ids then name what was created). TooLarge
    when it would write more than `limit` configurations (creates, updates and deletes).

    Each configuration's config must fit the schema it will have (the document's, or when the
    document leaves `schema` out, the stored one): a dry run lists each item's `errors`, and
    applied, the first item that does not fit refuses the whole import (SchemaViolation).

    Applied, it locks what it touches before it writes, as a transaction does: the
    application's row, then its configurations' rows in id order. What is unchanged is
    PostgreSQL's to say (jsonb equality), so a second import of the same document plans
    and answers `unchanged` throughout.
    """
    access.require_unlimited()
    wanted = document["application"]
    application = uow.applications.by_name(wanted["name"])
    if application is not None and apply:
        locked = uow.applications.lock(application["id"])
        application = uow.applications.get(application["id"]) if locked else None
        if application is not None and application["name"] != wanted["name"]:
            application = None  # renamed meanwhile: this name is free, or taken by another (409)
    if application is None:
        action = "create"
        application_id = (
            applications.create_application(uow, access, wanted["name"], wanted.get("comments"))["id"]
            if apply
            else None
        )
    else:
        application_id = application["id"]
        action = "unchanged"
        if application["comments"] != wanted.get("comments"):
            action = "update"
            if apply:
                applications.update_application(uow, access, application_id, wanted["name"], wanted.get("comments"))
    current = (
        {row["name"]: row for row in uow.configurations.of_application(application_id, for_update=apply)}
        if application_id
        else {}
    )
    unchanged = (
        uow.configurations.unchanged_names(application_id, document["configurations"]) if application_id else set()
    )
    named = {item["name"] for item in document["configurations"]}
    writes = len(named) + (sum(name not in named for name in current) if replace else 0)
    if writes > limit:
        raise TooLarge(
            f"the import would write {writes} configurations, more than {limit} (MAX_TRANSACTION_OPERATIONS)"
        )
    rules = rules or SchemaRules()
    plan: list[dict[str, Any]] = []
    for index, item in enumerate(document["configurations"]):
        row = current.pop(item["name"], None)
        schema = item["schema"] if "schema" in item else KEEP  # left out: kept (or none, for a new one)
        errors = []
        if row is None or item["name"] not in unchanged:
            wanted_schema = (row and row["schema"]) if isinstance(schema, Keep) else schema
            errors = violations(item["config"], wanted_schema, rules, ("body", "configurations", index))
            if errors and apply:
                raise SchemaViolation(f"configuration {index} does not match its schema", errors)
        if row is None:
            created = (
                configurations.create_configuration(
                    uow,
                    access,
                    application_id,
                    item["name"],
                    item.get("comments"),
                    item["config"],
                    None if isinstance(schema, Keep) else schema,
                    rules,
                )
                if apply
                else None
            )
            plan.append({"name": item["name"], "action": "create", "id": created and created["id"]})
        elif item["name"] not in unchanged:
            if apply:
                configurations.update_configuration(
                    uow,
                    access,
                    row["id"],
                    None,
                    item["name"],
                    item.get("comments"),
                    item["config"],
                    None,
                    schema,
                    rules,
                )
            plan.append({"name": item["name"], "action": "update", "id": row["id"]})
        else:
            plan.append({"name": item["name"], "action": "unchanged", "id": row["id"]})
        if errors:
            plan[-1]["errors"] = errors
    for name, row in current.items():
        if replace:
            if apply:
                configurations.delete_configuration(uow, access, row["id"])
            plan.append({"name": name, "action": "delete", "id": row["id"]})
    plan.sort(key=lambda entry: entry["name"])
    return {"application": {"id": application_id, "action": action}, "configurations": plan}
