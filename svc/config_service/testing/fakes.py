"""An in-memory unit of work for service tests: the Protocols of services/ports.py, no database.

services/ports_test.py checks that every class here has every method its Protocol declares,
with the same parameters, and services/ports_behaviour_test.py runs the same behaviour against
these fakes and the real repositories, so neither can drift from the contract.
"""

import copy
import json
from datetime import UTC, datetime, timedelta

from config_service.domain.errors import Conflict, InvalidReference
from config_service.domain.rows import KEEP, Keep
from config_service.domain.versions import version_matches

LAST_USED_EVERY = timedelta(minutes=1)  # as repositories/tokens.py writes last_used_at


def _now() -> datetime:
    return datetime.now(UTC)


def _matches(row: dict, versions) -> bool:
    return version_matches(versions, row["version"])


def _size(row: dict) -> int:
    return len(json.dumps(row["config"])) + len(row["name"]) + len(row["comments"] or "") + 200


def _within_budget(rows: list[dict], limit: int, budget: int) -> tuple[list[dict], bool]:
    """As the repositories cut a page: at most `limit` rows whose predecessors take under `budget` bytes."""
    kept, used = [], 0
    for row in rows[:limit]:
        if kept and used >= budget:
            break
        kept.append(row)
        used += _size(row)
    return kept, len(rows) > len(kept)


class FakeApplications:
    def __init__(self, tables: dict):
        self.rows, self.configurations = tables["applications"], tables["configurations"]

    def add(self, id, name, comments):
        if any(row["name"] == name for row in self.rows.values()):
            raise Conflict("an application with this name already exists")
        self.rows[id] = {
            "id": id,
            "name": name,
            "comments": comments,
            "version": 1,
            "created_at": _now(),
            "updated_at": _now(),
        }
        return {**self.rows[id], "configuration_ids": []}

    def get(self, id):
        row = self.rows.get(id)
        ids = sorted(key for key, c in self.configurations.items() if c["application_id"] == id)
        return None if row is None else {**row, "configuration_ids": ids}

    def version_of(self, id):
        return self.rows[id]["version"] if id in self.rows else None

    def lock(self, id):
        return id in self.rows

    def lock_all(self, ids):
        return None

    def by_name(self, name):
        return next((self.get(id) for id, row in self.rows.items() if row["name"] == name), None)

    def update(self, id, name, comments, versions=None):
        if id not in self.rows or not _matches(self.rows[id], versions):
            return None
        if (self.rows[id]["name"], self.rows[id]["comments"]) == (name, comments):
            return None
        if any(row["name"] == name and key != id for key, row in self.rows.items()):
            raise Conflict("an application with this name already exists")
        row = self.rows[id]
        row.update(name=name, comments=comments, version=row["version"] + 1, updated_at=_now())
        return self.get(id)

    def delete(self, id, versions=None):
        if id not in self.rows or not _matches(self.rows[id], versions):
            return None
        if any(c["application_id"] == id for c in self.configurations.values()):
            raise Conflict("the application still has configurations; delete them first")
        return {"id": id, "version": self.rows.pop(id)["version"] + 1}

    def list(self, limit, after, only=None, name=None):
        return [
            dict(self.rows[id])
            for id in sorted(self.rows)
            if id > (after or "") and (only is None or id in only) and name in (None, self.rows[id]["name"])
        ][:limit]


class FakeConfigurations:
    actor = "anonymous"  # who writes, as the real unit of work's transaction setting says

    def __init__(self, tables: dict):
        self.rows, self.applications = tables["configurations"], tables["applications"]
        self.history = tables["revisions"]  # (configuration id, version) -> revision

    def _record(self, change: str, row: dict) -> None:
        self.history[(row["id"], row["version"])] = {
            "configuration_id": row["id"],
            "version": row["version"],
            "change": change,
            "application_id": row["application_id"],
            "name": row["name"],
            "comments": row["comments"],
            "config": copy.deepcopy(row["config"]),
            "schema": copy.deepcopy(row["schema"]),
            "changed_at": _now(),
            "changed_by": self.actor,
        }

    def _bump_application(self, application_id: str) -> None:
        application = self.applications[application_id]
        application.update(version=application["version"] + 1, updated_at=_now())

    def _taken(self, application_id: str, name: str, other_than: str | None = None) -> bool:
        return any(
            r["application_id"] == application_id and r["name"] == name and key != other_than
            for key, r in self.rows.items()
        )

    def add(self, id, application_id, name, comments, config, schema=None):
        if application_id not in self.applications:
            raise InvalidReference("application_id names no application", "application_id")
        if self._taken(application_id, name):
            raise Conflict("this application already has a configuration with this name")
        self.rows[id] = {
            "id": id,
            "application_id": application_id,
            "name": name,
            "comments": comments,
            "config": config,
            "schema": schema,
            "version": 1,
            "created_at": _now(),
            "updated_at": _now(),
        }
        self._record("create", self.rows[id])
        self._bump_application(application_id)
        return dict(self.rows[id])

    def get(self, id):
        row = self.rows.get(id)
        return None if row is None else dict(row)

    def version_of(self, id):
        return self.rows[id]["version"] if id in self.rows else None

    def list(self, application_id, limit, after, only, budget, name=None):
        rows = [self.rows[id] for id in sorted(self.rows) if id > (after or "")]
        return _within_budget(
            [
                dict(r)
                for r in rows
                if application_id in (None, r["application_id"])
                and (only is None or r["application_id"] in only)
                and name in (None, r["name"])
            ],
            limit,
            budget,
        )

    def lock(self, id):
        return id in self.rows

    def bytes_of(self, application_id):
        return sum(_size(r) for r in self.rows.values() if r["application_id"] == application_id)

    def unchanged_names(self, application_id, items):
        stored = {r["name"]: r for r in self.rows.values() if r["application_id"] == application_id}
        return {
            item["name"]
            for item in items
            if item["name"] in stored
            and (stored[item["name"]]["comments"], stored[item["name"]]["config"]) == (item["comments"], item["config"])
            and ("schema" not in item or stored[item["name"]]["schema"] == item["schema"])
        }

    def owners_of(self, ids):
        return {id: owner for id in ids if (owner := self.owner_of(id)) is not None}

    def lock_all(self, ids):
        return None

    def of_application(self, application_id, for_update=False):
        return sorted(
            (dict(r) for r in self.rows.values() if r["application_id"] == application_id), key=lambda r: r["name"]
        )

    def owner_of(self, id):
        return next((r["application_id"] for (key, _), r in self.history.items() if key == id), None)

    def update(self, id, name, comments, config, versions=None, schema=KEEP):
        if id not in self.rows or not _matches(self.rows[id], versions):
            return None
        row = self.rows[id]
        schema = row["schema"] if isinstance(schema, Keep) else schema
        if (row["name"], row["comments"], row["config"], row["schema"]) == (name, comments, config, schema):
            return None
        return self._replace(id, "update", name, comments, config, schema)

    def _replace(self, id: str, change: str, name, comments, config, schema) -> dict:
        row = self.rows[id]
        if self._taken(row["application_id"], name, other_than=id):
            raise Conflict("this application already has a configuration with this name")
        row.update(
            name=name, comments=comments, config=config, schema=schema, version=row["version"] + 1, updated_at=_now()
        )
        self._record(change, row)
        return dict(row)

    def delete(self, id, versions=None):
        if id not in self.rows or not _matches(self.rows[id], versions):
            return None
        row = self.rows.pop(id)
        self._record("delete", {**row, "version": row["version"] + 1})
        self._bump_application(row["application_id"])
        revision = self.history[(id, row["version"] + 1)]
        return {key: revision[key] for key in ("application_id", "version", "changed_at")} | {"id": id}

    def revisions(self, id, limit, before, budget):
        versions = sorted((v for (key, v) in self.history if key == id and v < (before or 2**31 - 1)), reverse=True)
        return _within_budget([dict(self.history[(id, v)]) for v in versions], limit, budget)

    def revision(self, id, version):
        row = self.history.get((id, version))
        return None if row is None else dict(row)

    def latest_version(self, id):
        return max((v for (key, v) in self.history if key == id), default=None)

    def restore_existing(self, id, version, versions=None):
        source = self.history.get((id, version))
        if id not in self.rows or source is None or not _matches(self.rows[id], versions):
            return None
        config, schema = copy.deepcopy(source["config"]), copy.deepcopy(source["schema"])
        return self._replace(id, "restore", source["name"], source["comments"], config, schema)

    def restore_deleted(self, id, version):
        source = self.history[(id, version)]
        if self._taken(source["application_id"], source["name"]):
            raise Conflict("this application already has a configuration with this name")
        first = self.history[(id, min(v for (key, v) in self.history if key == id))]
        self.rows[id] = {
            "id": id,
            "application_id": source["application_id"],
            "name": source["name"],
            "comments": source["comments"],
            "config": copy.deepcopy(source["config"]),
            "schema": copy.deepcopy(source["schema"]),
            "version": self.latest_version(id) + 1,
            "created_at": first["changed_at"],
            "updated_at": _now(),
        }
        self._record("restore", self.rows[id])
        self._bump_application(source["application_id"])
        return dict(self.rows[id])


class FakeChanges:
    actor = "anonymous"

    def __init__(self, tables: dict):
        self.rows = tables["changes"]
        self.pending = []
        self.recorded = []

    def record(self, application_id, configuration_id, change, version, changed_at=None):
        self.pending.append((application_id, configuration_id, change, version, changed_at))

    @property
    def unflushed(self):
        return bool(self.pending)

    def flush(self, commit=False):
        for application_id, configuration_id, change, version, changed_at in self.pending:
            row = {
                "seq": len(self.rows) + 1,
                "application_id": application_id,
                "configuration_id": configuration_id,
                "change": change,
                "version": version,
                "changed_at": changed_at or _now(),
                "changed_by": self.actor,
            }
            self.rows.append(row)
            self.recorded.append(row)
        self.pending = []
        return self.recorded

    def since(self, after, upto, application_id, limit, only=None):
        return [
            dict(r)
            for r in self.rows
            if after < r["seq"] <= upto
            and application_id in (None, r["application_id"])
            and (only is None or r["application_id"] in only)
        ][:limit]

    def head(self):
        return len(self.rows)


class FakeTokens:
    def __init__(self, tables: dict):
        self.rows = tables["tokens"]

    def add(self, id, name, scope, application_ids, secret_hash, expires_at):
        if any(row["name"] == name for row in self.rows.values()):
            raise Conflict("a token with this name exists (names are never reused)")
        self.rows[id] = {
            "id": id,
            "name": name,
            "scope": scope,
            "application_ids": application_ids,
            "secret_hash": secret_hash,
            "expires_at": expires_at,
            "created_at": _now(),
            "last_used_at": None,
            "revoked_at": None,
        }
        return self._public(self.rows[id])

    def list(self):
        return [self._public(row) for _, row in sorted(self.rows.items())]

    def usable(self):
        return [dict(row) for row in self.rows.values() if self._usable(row)]

    def by_hash(self, secret_hash):
        return next(
            (dict(row) for row in self.rows.values() if row["secret_hash"] == secret_hash and self._usable(row)), None
        )

    def is_usable(self, id):
        return id in self.rows and self._usable(self.rows[id])

    def revoke(self, id):
        if id not in self.rows:
            return None
        self.rows[id]["revoked_at"] = self.rows[id]["revoked_at"] or _now()
        return self._public(self.rows[id])

    def revoke_by_name(self, name):
        found = next((id for id, row in self.rows.items() if row["name"] == name), None)
        return None if found is None else self.revoke(found)

    def touch(self, ids):
        """As the real one: only where last_used_at is older than a minute."""
        stale = [
            id
            for id in ids
            if id in self.rows
            and (self.rows[id]["last_used_at"] is None or self.rows[id]["last_used_at"] < _now() - LAST_USED_EVERY)
        ]
        for id in stale:
            self.rows[id]["last_used_at"] = _now()
        return len(stale)

    def announce(self):
        self.announced = True

    def any_exist(self):
        return bool(self.rows)

    @staticmethod
    def _usable(row):
        return row["revoked_at"] is None and (row["expires_at"] is None or row["expires_at"] > _now())

    @staticmethod
    def _public(row):
        return {key: value for key, value in row.items() if key != "secret_hash"}


class FakeIdempotency:
    def __init__(self, tables: dict):
        self.rows = tables["idempotency"]

    def claim(self, owner, key, fingerprint):
        if (owner, key) in self.rows:
            return False
        self.rows[(owner, key)] = {"fingerprint": fingerprint, "status": None, "headers": None, "body": None}
        return True

    def stored(self, owner, key):
        return dict(self.rows[(owner, key)]) if (owner, key) in self.rows else None

    def record(self, owner, key, status, headers, body):
        self.rows[(owner, key)].update(status=status, headers=headers, body=body)


class FakeMigrations:
    def __init__(self, tables: dict):
        self.rows = tables["migrations"]

    def applied(self):
        return {name: dict(row) for name, row in sorted(self.rows.items())}


class FakeUnitOfWork:
    """One attempt's working copy of the committed tables."""

    def __init__(self, tables: dict, actor: str = "anonymous"):
        self.tables = tables
        self.applications = FakeApplications(tables)
        self.configurations = FakeConfigurations(tables)
        self.changes = FakeChanges(tables)
        self.tokens = FakeTokens(tables)
        self.configurations.actor = self.changes.actor = actor
        self.idempotency = FakeIdempotency(tables)
        self.migrations = FakeMigrations(tables)


class FakeDatabase:
    """Runs use cases as db.database.Database does: `write` commits only when the use case
    returns, `read` never commits. What was committed is in `committed`."""

    def __init__(self):
        self.committed = {
            "applications": {},
            "configurations": {},
            "revisions": {},
            "changes": [],
            "tokens": {},
            "idempotency": {},
            "migrations": {},
        }
        self.commits = 0

    def write(self, use_case, actor: str = "anonymous"):
        uow = FakeUnitOfWork(copy.deepcopy(self.committed), actor)
        result = use_case(uow)
        uow.changes.flush(commit=True)  # as the real unit of work does, with its commit
        self.committed = uow.tables
        self.commits += 1
        return result

    def read(self, use_case):
        return use_case(FakeUnitOfWork(copy.deepcopy(self.committed)))
