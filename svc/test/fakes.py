"""An in-memory UnitOfWork for service tests: the same interface, no database."""
from datetime import datetime, timezone

from errors import Conflict, InvalidReference


def _now() -> datetime:
    return datetime.now(timezone.utc)


class FakeApplications:
    def __init__(self, store: dict):
        self.rows = store

    def add(self, id, name, comments):
        if any(row["name"] == name for row in self.rows.values()):
            raise Conflict("an application with this name already exists")
        self.rows[id] = {"id": id, "name": name, "comments": comments, "created_at": _now(), "updated_at": _now()}
        return {**self.rows[id], "configuration_ids": []}

    def get(self, id):
        row = self.rows.get(id)
        return None if row is None else {**row, "configuration_ids": self._configuration_ids(id)}

    def update(self, id, name, comments):
        if id not in self.rows:
            return None
        if any(row["name"] == name and key != id for key, row in self.rows.items()):
            raise Conflict("an application with this name already exists")
        self.rows[id].update(name=name, comments=comments, updated_at=_now())
        return self.get(id)

    def list(self, limit, after):
        return [self.rows[id] for id in sorted(self.rows) if id > (after or "")][:limit]

    def _configuration_ids(self, id):
        return sorted(key for key, row in self.configurations.items() if row["application_id"] == id)


class FakeConfigurations:
    def __init__(self, store: dict, applications: dict):
        self.rows = store
        self.applications = applications

    def add(self, id, application_id, name, comments, config):
        if application_id not in self.applications:
            raise InvalidReference("application_id names no application", "application_id")
        if any(r["application_id"] == application_id and r["name"] == name for r in self.rows.values()):
            raise Conflict("this application already has a configuration with this name")
        self.rows[id] = {"id": id, "application_id": application_id, "name": name, "comments": comments,
                         "config": config, "created_at": _now(), "updated_at": _now()}
        return dict(self.rows[id])

    def get(self, id):
        row = self.rows.get(id)
        return None if row is None else dict(row)

    def update(self, id, name, comments, config):
        if id not in self.rows:
            return None
        self.rows[id].update(name=name, comments=comments, config=config, updated_at=_now())
        return dict(self.rows[id])


class FakeUnitOfWork:
    """Writes land in `committed` only when commit() is called, as with the real one."""

    def __init__(self):
        self.committed = {"applications": {}, "configurations": {}}
        self.commits = 0

    def __enter__(self):
        self._work = {name: {k: dict(v) for k, v in rows.items()} for name, rows in self.committed.items()}
        self.applications = FakeApplications(self._work["applications"])
        self.applications.configurations = self._work["configurations"]
        self.configurations = FakeConfigurations(self._work["configurations"], self._work["applications"])
        return self

    def commit(self):
        self.committed = {name: {k: dict(v) for k, v in rows.items()} for name, rows in self._work.items()}
        self.commits += 1

    def __exit__(self, *exc):
        return None
