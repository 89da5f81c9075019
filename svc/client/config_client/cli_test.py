import io
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest

from config_client import Change, ConfigClient, InvalidRequest, PreconditionFailed
from config_client.cli import describe, main


@dataclass
class Result:
    code: int
    out: str
    err: str

    @property
    def json(self):
        return json.loads(self.out)


@pytest.fixture
def configctl(service, capsys, monkeypatch):
    """Run configctl in this process against the service; stdin, when given, is that text."""

    def run(*args: str, stdin: str | None = None) -> Result:
        if stdin is not None:
            monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
        code = main(["--url", service.url, "--token", service.token, *args])
        out, err = capsys.readouterr()
        assert "Traceback" not in err
        return Result(code, out, err)

    return run


def write_state(root, files: dict[str, dict]) -> None:
    """files: {"APP/CONFIG": config}, written as root/APP/CONFIG.json."""
    for target, config in files.items():
        path = root / f"{target}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(config))


# --- get, put and errors --------------------------------------------------------------------


def test_get_prints_the_config_as_json_or_the_configuration_as_a_table(configctl, client):
    app = client.create_application("billing")
    made = client.create_configuration(app.id, "db", {"host": "db1", "port": 5432}, comments="primary")
    result = configctl("get", "billing/db")
    assert result.code == 0 and result.json == {"host": "db1", "port": 5432}
    assert result.out.startswith('{\n  "host"')  # indented
    table = configctl("get", "billing/db", "--output", "table")
    fields = dict(line.split(None, 1) for line in table.out.splitlines())
    assert fields["application"] == "billing" and fields["id"] == made.id and fields["version"] == "1"
    assert (fields["comments"], fields["keys"]) == ("primary", "host, port")


def test_unknown_names_and_bad_arguments_fail_with_a_message_and_no_traceback(configctl, client):
    client.create_application("billing")
    missing_app = configctl("get", "nothing/db")
    assert (missing_app.code, missing_app.out) == (1, "")
    assert missing_app.err == "configctl: no application named 'nothing'\n"
    missing_config = configctl("get", "billing/nothing")
    assert (
        missing_config.code == 1 and "application 'billing' has no configuration named 'nothing'" in missing_config.err
    )
    assert configctl("get", "billing").code == 1  # no CONFIG
    assert configctl("history", "billing/").code == 1
    usage = configctl("frobnicate")
    assert usage.code == 1 and "invalid choice" in usage.err  # a usage error is 1, never 2 (which means changes)
    assert configctl("put", "billing/db", "x.json", "--if-match", "0").code == 1
    assert main(["--help"]) == 0


def test_errors_from_the_service_are_one_line_with_status_title_detail_and_what_failed(configctl, client):
    client.create_application("billing")
    deep = '{"a": ' * 40 + "1" + "}" * 40  # deeper than the service stores
    invalid = configctl("put", "billing/db", "-", stdin=deep)
    assert invalid.code == 1 and invalid.err.count("\n") == 1
    assert invalid.err.startswith("configctl: 422 ") and "(body.config: " in invalid.err
    too_long = configctl("get", "billing/" + "x" * 300)  # refused as a name to look for
    assert too_long.code == 1 and "query.name: String should have at most 256 characters" in too_long.err


def test_a_wrong_token_is_a_401_message(capsys, service):
    assert main(["--url", service.url, "--token", "wrong", "get", "billing/db"]) == 1
    out, err = capsys.readouterr()
    assert out == "" and err.startswith("configctl: 401 ") and err.count("\n") == 1


def test_url_and_token_default_to_the_environment(service, client, capsys, monkeypatch):
    monkeypatch.setenv("CONFIG_SERVICE_URL", service.url)
    monkeypatch.setenv("CONFIG_SERVICE_TOKEN", service.token)
    app = client.create_application("billing")
    client.create_configuration(app.id, "db", {"host": "db1"})
    assert main(["get", "billing/db"]) == 0
    assert json.loads(capsys.readouterr().out) == {"host": "db1"}
    assert main(["get", "billing/db", "--token", "wrong"]) == 1  # an option after the command wins too
    assert capsys.readouterr().err.startswith("configctl: 401 ")


def test_put_creates_the_application_and_the_configuration_when_absent(configctl, client, tmp_path):
    file = tmp_path / "db.json"
    file.write_text('{"host": "db1"}')
    result = configctl("put", "billing/db", str(file))
    assert result.code == 0 and result.err == "configctl: created application 'billing'\n"
    assert (result.json["name"], result.json["version"], result.json["config"]) == ("db", 1, {"host": "db1"})
    app = client.find_application("billing")
    assert app is not None and client.find_configuration(app.id, "db").id == result.json["id"]
    other = configctl("put", "billing/cache", "-", stdin='{"ttl": 5}')
    assert other.code == 0 and other.err == "" and other.json["config"] == {"ttl": 5}


def test_a_refused_configuration_leaves_no_empty_application_behind(configctl, client):
    result = configctl("put", "billing/" + "x" * 300, "-", stdin="{}")
    assert result.code == 1 and "422" in result.err
    assert client.find_application("billing") is None


def test_put_updates_keeping_the_comments_and_honours_if_match(configctl, client):
    app = client.create_application("billing")
    made = client.create_configuration(app.id, "db", {"host": "db1"}, comments="primary")
    updated = configctl("put", "billing/db", "-", "--if-match", "1", stdin='{"host": "db2"}')
    assert updated.code == 0
    assert (updated.json["version"], updated.json["config"], updated.json["comments"]) == (
        2,
        {"host": "db2"},
        "primary",
    )
    stale = configctl("put", "billing/db", "-", "--if-match", "1", stdin='{"host": "db3"}')
    assert stale.code == 1 and stale.out == ""
    assert stale.err.startswith("configctl: 412 ") and "version 2" in stale.err
    plain = configctl("put", "billing/db", "-", "-o", "table", stdin='{"host": "db4"}')
    assert plain.code == 0 and "version      3" in plain.out
    stored = client.get_configuration(made.id)
    assert (stored.version, stored.config, stored.comments) == (3, {"host": "db4"}, "primary")


def test_put_with_if_match_of_an_absent_configuration_fails_and_creates_nothing(configctl, client):
    result = configctl("put", "billing/db", "-", "--if-match", "1", stdin="{}")
    assert result.code == 1 and "billing/db does not exist" in result.err
    assert client.find_application("billing") is None


def test_put_refuses_a_file_that_is_not_a_json_object(configctl, client, tmp_path):
    app = client.create_application("billing")
    listed = configctl("put", "billing/db", "-", stdin="[1, 2]")
    assert listed.code == 1 and listed.err == "configctl: stdin: a JSON object is needed, not list\n"
    broken = tmp_path / "db.json"
    broken.write_text("{")
    invalid = configctl("put", "billing/db", str(broken))
    assert invalid.code == 1 and f"{broken}: not valid JSON" in invalid.err
    absent = configctl("put", "billing/db", str(tmp_path / "absent.json"))
    assert absent.code == 1 and "cannot be read" in absent.err
    assert client.find_configuration(app.id, "db") is None


# --- watch, history and diff ----------------------------------------------------------------


def test_watch_prints_each_change_as_a_json_line(configctl, client):
    head = client.head_seq()
    app = client.create_application("orders")
    made = client.create_configuration(app.id, "db", {"v": 1})
    client.create_application("elsewhere")
    client.update_configuration(made.id, name="db", config={"v": 2})
    everything = configctl("watch", "--after", str(head), "--count", "3")
    lines = [json.loads(line) for line in everything.out.splitlines()]
    assert everything.code == 0 and [line["seq"] for line in lines] == [head + 1, head + 2, head + 3]
    assert [(line["change"], line["configuration_id"]) for line in lines] == [
        ("create", None),
        ("create", made.id),
        ("create", None),
    ]
    only_orders = configctl("watch", "orders", "--after", str(head), "--count", "3")
    changes = [json.loads(line) for line in only_orders.out.splitlines()]
    assert [c["change"] for c in changes] == ["create", "create", "update"]
    assert {c["application_id"] for c in changes} == {app.id}
    table = configctl("watch", "--after", str(head), "--count", "1", "--output", "table")
    header, row = table.out.splitlines()
    assert header.split() == [
        "SEQ",
        "CHANGE",
        "VERSION",
        "APPLICATION_ID",
        "CONFIGURATION_ID",
        "CHANGED_AT",
        "CHANGED_BY",
    ]
    assert row.split()[:4] == [str(head + 1), "create", "1", app.id]
    assert configctl("watch", "nothing", "--count", "1").code == 1


def test_watch_ends_with_exit_0_on_ctrl_c(configctl, monkeypatch):
    change = Change(
        seq=7,
        application_id="A",
        change="create",
        version=1,
        changed_at=datetime(2026, 1, 1, tzinfo=UTC),
        changed_by="x",
    )

    def interrupted(self, after=None, application_id=None):
        yield change
        raise KeyboardInterrupt

    monkeypatch.setattr(ConfigClient, "watch", interrupted)
    result = configctl("watch")
    assert result.code == 0 and [json.loads(line)["seq"] for line in result.out.splitlines()] == [7]


def test_history_is_a_table_or_json(configctl, client):
    app = client.create_application("billing")
    made = client.create_configuration(app.id, "db", {"v": 1})
    client.update_configuration(made.id, name="db", config={"v": 2})
    table = configctl("history", "billing/db")
    header, *rows = table.out.splitlines()
    assert table.code == 0 and header.split() == ["VERSION", "CHANGE", "CHANGED_AT", "CHANGED_BY"]
    assert [row.split()[:2] for row in rows] == [["2", "update"], ["1", "create"]]
    assert all(row.split()[3] == "tests" for row in rows)
    listed = configctl("history", "billing/db", "--output", "json")
    assert [(r["version"], r["config"]) for r in listed.json] == [(2, {"v": 2}), (1, {"v": 1})]


def test_diff_is_a_unified_diff_of_sorted_indented_json(configctl, client):
    app = client.create_application("billing")
    made = client.create_configuration(app.id, "db", {"port": 5432, "host": "db1"})
    client.update_configuration(made.id, name="db", config={"host": "db2", "port": 5432, "pool": 4})
    result = configctl("diff", "billing/db", "1", "2")
    assert result.code == 0  # differing is no failure, as for git diff
    assert result.out.splitlines() == [
        "--- billing/db@1",
        "+++ billing/db@2",
        "@@ -1,4 +1,5 @@",
        " {",
        '-  "host": "db1",',
        '+  "host": "db2",',
        '+  "pool": 4,',
        '   "port": 5432',
        " }",
    ]
    assert configctl("diff", "billing/db", "1", "2", "--exit-code").code == 1
    same = configctl("diff", "billing/db", "2", "2", "--exit-code")
    assert (same.code, same.out) == (0, "")
    keys = configctl("diff", "billing/db", "1", "2", "-o", "json")
    assert keys.json == {"from": 1, "to": 2, "differ": True, "added": ["pool"], "removed": [], "changed": ["host"]}
    missing = configctl("diff", "billing/db", "1", "9")
    assert missing.code == 1 and missing.err.startswith("configctl: 404 ")


# --- export and import ----------------------------------------------------------------------


def test_export_and_import_round_trip(configctl, client, tmp_path):
    app = client.create_application("warehouse", comments="team x")
    client.create_configuration(app.id, "db", {"host": "db1"})
    client.create_configuration(app.id, "replica", {"host": "db1"})
    exported = configctl("export", "warehouse")
    assert exported.code == 0 and exported.json["format"] == "config-service/v1"
    assert [c["name"] for c in exported.json["configurations"]] == ["db", "replica"]
    document = exported.json
    document["application"]["name"] = "warehouse-prod"
    document["configurations"] = document["configurations"][:1]
    file = tmp_path / "prod.json"
    file.write_text(json.dumps(document))

    planned = configctl("import", str(file), "--dry-run")
    assert planned.code == 0
    assert planned.out.splitlines() == [
        "ACTION  NAME",
        "create  warehouse-prod",
        "create  warehouse-prod/db",
        "Plan: 2 to create, 0 to update, 0 to delete, 0 unchanged. Dry run: nothing written.",
    ]
    assert client.find_application("warehouse-prod") is None
    imported = configctl("import", str(file))
    assert (
        imported.code == 0
        and imported.out.splitlines()[-1] == "Imported: 2 created, 0 updated, 0 deleted, 0 unchanged."
    )
    prod = client.find_application("warehouse-prod")
    assert (
        prod is not None
        and client.export_application(prod.id).configurations == client.export_application(app.id).configurations[:1]
    )
    again = configctl("import", "-", "--output", "json", stdin=file.read_text())
    assert again.json["application"]["action"] == "unchanged"
    assert [c["action"] for c in again.json["configurations"]] == ["unchanged"]

    # into the original application, with --replace: what the document lacks is deleted
    document["application"]["name"] = "warehouse"
    replaced = configctl("import", "-", "--replace", stdin=json.dumps(document))
    assert replaced.code == 0 and ["delete", "warehouse/replica"] in [
        line.split() for line in replaced.out.splitlines()
    ]
    assert [c.name for c in client.configurations(application_id=app.id)] == ["db"]


def test_export_of_an_unknown_application_and_a_bad_import_fail(configctl, client):
    assert configctl("export", "nothing").code == 1
    bad = configctl("import", "-", stdin='{"format": "config-service/v1", "configurations": []}')
    assert bad.code == 1 and bad.err.startswith("configctl: 422 ") and "application" in bad.err
    assert configctl("import", "-", stdin='"a string"').code == 1


def test_export_as_a_table(configctl, client):
    app = client.create_application("warehouse")
    client.create_configuration(app.id, "db", {"host": "db1", "port": 1}, comments="main")
    table = configctl("export", "warehouse", "-o", "table")
    assert table.out.splitlines() == ["CONFIGURATION  COMMENTS  KEYS", "db             main      host, port"]


# --- apply ----------------------------------------------------------------------------------


def test_apply_creates_an_application_and_its_configurations_and_then_has_nothing_to_do(configctl, client, tmp_path):
    write_state(tmp_path, {"billing/db": {"host": "db1"}, "billing/cache": {"ttl": 5}})
    result = configctl("apply", str(tmp_path))
    assert result.code == 0
    assert result.out.splitlines() == [
        "ACTION  TARGET         DETAIL",
        "create  billing        new application",
        "create  billing/cache  added: ttl",
        "create  billing/db     added: host",
        "Plan: 3 to create, 0 to update, 0 to delete, 0 unchanged.",
        "Applied: 3 created, 0 updated, 0 deleted.",
    ]
    app = client.find_application("billing")
    assert app is not None
    assert {c.name: c.config for c in client.configurations(application_id=app.id)} == {
        "cache": {"ttl": 5},
        "db": {"host": "db1"},
    }
    head = client.head_seq()
    again = configctl("apply", str(tmp_path))
    assert (again.code, again.out) == (0, "No changes.\n")
    assert client.head_seq() == head  # nothing written


def test_apply_updates_what_differs_keeping_comments(configctl, client, tmp_path):
    app = client.create_application("billing")
    db = client.create_configuration(app.id, "db", {"host": "db1", "port": 5432}, comments="primary")
    cache = client.create_configuration(app.id, "cache", {"ttl": 5})
    write_state(tmp_path, {"billing/db": {"host": "db2", "pool": 4}, "billing/cache": {"ttl": 5}})
    result = configctl("apply", str(tmp_path))
    assert result.code == 0 and result.out.splitlines()[:3] == [
        "ACTION  TARGET      DETAIL",
        "update  billing/db  version 1: added: pool; removed: port; changed: host",
        "Plan: 0 to create, 1 to update, 0 to delete, 1 unchanged.",
    ]
    stored = client.get_configuration(db.id)
    assert (stored.version, stored.config, stored.comments) == (2, {"host": "db2", "pool": 4}, "primary")
    assert client.get_configuration(cache.id).version == 1


def test_apply_dry_run_with_exit_code_says_2_and_writes_nothing(configctl, client, tmp_path):
    write_state(tmp_path, {"billing/db": {"host": "db1"}})
    head = client.head_seq()
    planned = configctl("apply", str(tmp_path), "--dry-run", "--exit-code")
    assert planned.code == 2 and "Plan: 2 to create, 0 to update, 0 to delete, 0 unchanged." in planned.out
    assert client.head_seq() == head and client.find_application("billing") is None
    assert configctl("apply", str(tmp_path), "--dry-run").code == 0  # without --exit-code a plan is no failure
    as_json = configctl("apply", str(tmp_path), "--dry-run", "--exit-code", "-o", "json")
    assert as_json.code == 2 and as_json.json["counts"] == {"create": 2, "update": 0, "delete": 0, "unchanged": 0}
    assert [(s["action"], s["application"], s["configuration"]) for s in as_json.json["steps"]] == [
        ("create", "billing", None),
        ("create", "billing", "db"),
    ]
    assert client.head_seq() == head
    assert configctl("apply", str(tmp_path)).code == 0
    done = configctl("apply", str(tmp_path), "--dry-run", "--exit-code")
    assert (done.code, done.out) == (0, "No changes.\n")
    assert configctl("apply", str(tmp_path), "--exit-code").code == 1  # --exit-code goes with --dry-run


def test_apply_prune_deletes_configurations_without_a_file_of_the_folders_applications_only(
    configctl, client, tmp_path
):
    billing = client.create_application("billing")
    client.create_configuration(billing.id, "db", {"host": "db1"})
    old = client.create_configuration(billing.id, "old", {"x": 1})
    other = client.create_application("other")
    kept = client.create_configuration(other.id, "db", {})
    write_state(tmp_path, {"billing/db": {"host": "db1"}})
    without = configctl("apply", str(tmp_path))
    assert without.out == "No changes.\n"
    pruned = configctl("apply", str(tmp_path), "--prune")
    assert pruned.code == 0 and "delete  billing/old  version 1, no file" in pruned.out.splitlines()
    assert "Plan: 0 to create, 0 to update, 1 to delete, 1 unchanged." in pruned.out
    assert [c.name for c in client.configurations(application_id=billing.id)] == ["db"]
    assert next(client.revisions(old.id)).change == "delete"  # its history kept
    assert client.get_configuration(kept.id).version == 1  # "other" has no folder: untouched


def test_an_apply_whose_plan_went_stale_fails_whole_and_writes_nothing(
    configctl, service, client, tmp_path, monkeypatch
):
    app = client.create_application("billing")
    db = client.create_configuration(app.id, "db", {"host": "db1"})
    write_state(tmp_path, {"billing/db": {"host": "db2"}, "billing/cache": {"ttl": 5}, "payments/db": {}})
    transaction = ConfigClient.transaction

    def someone_writes_first(self, operations):
        with service.client() as other:
            other.update_configuration(db.id, name="db", config={"host": "theirs"})
        return transaction(self, operations)

    monkeypatch.setattr(ConfigClient, "transaction", someone_writes_first)
    result = configctl("apply", str(tmp_path))
    assert result.code == 1 and "update  billing/db" in result.out  # the plan was printed first
    assert result.err.startswith("configctl: update billing/db: 412 ") and "version 2" in result.err
    assert result.err.endswith("apply again. Nothing was written.\n") and result.err.count("\n") == 1
    assert client.get_configuration(db.id).config == {"host": "theirs"}  # their change stands
    assert client.find_configuration(app.id, "cache") is None and client.find_application("payments") is None


def test_apply_refuses_a_folder_with_a_file_that_is_not_a_json_object(configctl, client, tmp_path):
    write_state(tmp_path, {"billing/db": {"host": "db1"}})
    (tmp_path / "billing" / "cache.json").write_text("[]")
    result = configctl("apply", str(tmp_path))
    assert result.code == 1 and result.out == "" and "cache.json: a JSON object is needed, not list" in result.err
    assert client.find_application("billing") is None
    assert configctl("apply", str(tmp_path / "absent")).code == 1


def test_an_apply_the_service_refuses_names_the_step_and_writes_nothing(configctl, client, tmp_path):
    write_state(tmp_path, {"billing/cache": {"ttl": 5}, "billing/db": json.loads('{"a": ' * 40 + "1" + "}" * 40)})
    result = configctl("apply", str(tmp_path))
    assert result.code == 1 and result.err.startswith("configctl: create billing/db: 422 ")
    assert "body.config" in result.err and result.err.endswith("Nothing was written.\n")
    assert client.find_application("billing") is None


def test_a_precondition_failure_says_the_current_version():
    plain = PreconditionFailed(412, {"title": "Precondition Failed", "current_version": 4})
    assert describe(plain) == "412 Precondition Failed (current version 4)"
    worded = PreconditionFailed(412, {"title": "Precondition Failed", "detail": "at version 4", "current_version": 4})
    assert describe(worded) == "412 Precondition Failed: at version 4"
    invalid = InvalidRequest(422, {"title": "Invalid", "errors": [{"loc": ["body", "name"], "msg": "too\nlong"}]})
    assert describe(invalid) == "422 Invalid (body.name: too long)"


def test_the_installed_command_exits_with_mains_status_and_no_traceback(service):
    env = {**os.environ, "CONFIG_SERVICE_URL": service.url, "CONFIG_SERVICE_TOKEN": service.token}
    done = subprocess.run(
        [sys.executable, "-m", "config_client.cli", "get", "nothing/db"], env=env, capture_output=True, text=True
    )
    assert (done.returncode, done.stdout, done.stderr) == (1, "", "configctl: no application named 'nothing'\n")


def test_apply_dry_run_asks_the_service_whether_each_update_fits_its_schema(service, client, tmp_path, capsys):
    app = client.create_application("guarded")
    schema = {"type": "object", "properties": {"port": {"type": "integer"}}}
    client.create_configuration(app.id, "db", {"port": 1}, schema=schema)
    (tmp_path / "guarded").mkdir()
    (tmp_path / "guarded" / "db.json").write_text('{"port": "not a number"}')
    status = main(["--url", service.url, "--token", service.token, "apply", str(tmp_path), "--dry-run"])
    assert status == 1
    assert "guarded/db: refused by its schema: body.config.port: must be of type integer" in capsys.readouterr().err
    (tmp_path / "guarded" / "db.json").write_text('{"port": 2}')
    assert main(["--url", service.url, "--token", service.token, "apply", str(tmp_path), "--dry-run"]) == 0
