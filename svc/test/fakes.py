"""An in-memory UnitOfWork for service tests: the same interface, no database."""
from datetime import datetime, timezone

from errors import Conflict, InvalidReference


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _matches(row: dict, versions: list[int] | None) -> bool:
    return versions is None or row["version"] in versions


class FakeApplications:
    def __init__(self, rows: dict, configurations: dict):
        self.rows, self.configurations = rows, configurations

    def add(self, id, name, comments):
        if any(row["name"] == name for row in self.rows.values()):
            raise Conflict("an application with this name already exists")
        self.rows[id] = {"id": id, "name": name, "comments": comments, "version": 1, "created_at": _now(),
                         "updated_at": _now()}
        return {**self.rows[id], "configuration_ids": []}

    def get(self, id):
        row = self.rows.get(id)
        ids = sorted(key for key, c in self.configurations.items() if c["application_id"] == id)
        return None if row is None else {**row, "configuration_ids": ids}

    def version_of(self, id):
        return self.rows[id]["version"] if id in self.rows else None

    def update(self, id, name, comments, versions=None):
        if id not in self.rows or not _matches(self.rows[id], versions):
            return None
        if any(row["name"] == name and key != id for key, row in self.rows.items()):
            raise Conflict("an application with this name already exists")
        row = self.rows[id]
        row.update(name=name, comments=comments, version=row["version"] + 1, updated_at=_now())
        return self.get(id)

    def delete(self, id, versions=None):
        if id not in self.rows or not _matches(self.rows[id], versions):
            return False
        if any(c["application_id"] == id for c in self.configurations.values()):
            raise Conflict("the application still has configurations; delete them first")
        del self.rows[id]
        return True

    def list(self, limit, after):
        return [self.rows[id] for id in sorted(self.rows) if id > (after or "")][:limit]


class FakeConfigurations:
    def __init__(self, rows: dict, applications: dict):
        self.rows, self.applications = rows, applications

    def add(self, id, application_id, name, comments, config):
        if application_id not in self.applications:
            raise InvalidReference("application_id names no application", "application_id")
        if any(r["application_id"] == application_id and r["name"] == name for r in self.rows.values()):
            raise Conflict("this application already has a configuration with this name")
        self.rows[id] = {"id": id, "application_id": application_id, "name": name, "comments": comments,
                         "config": config, "version": 1, "created_at": _now(), "updated_at": _now()}
        self.applications[application_id]["version"] += 1
        return dict(self.rows[id])

    def get(self, id):
        row = self.rows.get(id)
        return None if row is None else dict(row)

    def version_of(self, id):
        return self.rows[id]["version"] if id in self.rows else None

    def list(self, application_id, limit, after):
        rows = [self.rows[id] for id in sorted(self.rows) if id > (after or "")]
        return [dict(r) for r in rows if application_id in (None, r["application_id"])][:limit]

    def update(self, id, name, comments, config, versions=None):
        if id not in self.rows or not _matches(self.rows[id], versions):
            return None
        row = self.rows[id]
        row.update(name=name, comments=comments, config=config, version=row["version"] + 1, updated_at=_now())
        return dict(row)

    def delete(self, id, versions=None):
        if id not in self.rows or not _matches(self.rows[id], versions):
            return False
        self.applications[self.rows.pop(id)["application_id"]]["version"] += 1
        return True


class FakeUnitOfWork:
    """Writes land in `committed` only when commit() is called, as with the real one."""

    def __init__(self):
        self.committed = {"applications": {}, "configurations": {}}
        self.commits = 0

    def __enter__(self):
        self._work = {name: {k: dict(v) for k, v in rows.items()} for name, rows in self.committed.items()}
        self.applications = FakeApplications(self._work["applications"], self._work["configurations"])
        self.configurations = FakeConfigurations(self._work["configurations"], self._work["applications"])
        return self

    def commit(self):
        self.committed = {name: {k: dict(v) for k, v in rows.items()} for name, rows in self._work.items()}
        self.commits += 1

    def __exit__(self, *exc):
        return None


def run(uow, use_case, *args):
    """Run a use case inside the unit of work, as RequestUnitOfWork does."""
    with uow:
        return use_case(uow, *args)
