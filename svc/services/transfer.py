"""Export an application with its configurations by name, and import such a document: a plan
first (what would be created, updated, deleted or left alone), applied in one unit of work."""
from typing import Any

from services import applications, configurations
from services.contracts import UnitOfWork

FORMAT = "config-service/v1"


def export_application(uow: UnitOfWork, id: str) -> dict[str, Any]:
    """Names, no ids: portable between environments; configurations by name (code-point order)."""
    application = applications.get_application(uow, id)
    return {"format": FORMAT, "application": {"name": application["name"], "comments": application["comments"]},
            "configurations": [{"name": row["name"], "comments": row["comments"], "config": row["config"]}
                               for row in uow.configurations.of_application(id)]}


def import_document(uow: UnitOfWork, document: dict[str, Any], replace: bool, apply: bool) -> dict[str, Any]:
    """The plan; with `apply`, carried out as well (ids then name what was created)."""
    wanted = document["application"]
    application = uow.applications.by_name(wanted["name"])
    if application is None:
        action = "create"
        application_id = applications.create_application(uow, wanted["name"], wanted["comments"])["id"] \
            if apply else None
    elif application["comments"] != wanted["comments"]:
        action, application_id = "update", application["id"]
        if apply:
            applications.update_application(uow, application_id, wanted["name"], wanted["comments"])
    else:
        action, application_id = "unchanged", application["id"]
    current = {row["name"]: row for row in uow.configurations.of_application(application_id)} \
        if application_id else {}
    plan = []
    for item in document["configurations"]:
        row = current.pop(item["name"], None)
        if row is None:
            created = configurations.create_configuration(uow, application_id, item["name"], item["comments"],
                                                          item["config"]) if apply else None
            plan.append({"name": item["name"], "action": "create", "id": created and created["id"]})
        elif (row["comments"], row["config"]) != (item["comments"], item["config"]):
            if apply:
                configurations.update_configuration(uow, row["id"], None, item["name"], item["comments"],
                                                    item["config"])
            plan.append({"name": item["name"], "action": "update", "id": row["id"]})
        else:
            plan.append({"name": item["name"], "action": "unchanged", "id": row["id"]})
    for name, row in current.items():
        if replace:
            if apply:
                configurations.delete_configuration(uow, row["id"])
            plan.append({"name": name, "action": "delete", "id": row["id"]})
    plan.sort(key=lambda entry: entry["name"])
    return {"application": {"id": application_id, "action": action}, "configurations": plan}

