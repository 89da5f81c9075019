from datetime import UTC, datetime

import pytest

from config_client.desired_state import (
    Current,
    KeyChanges,
    StateError,
    make_plan,
    parse_object,
    read_current,
    read_folder,
    same_json,
)
from config_client.models import Application, Configuration

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def application(name: str, id: str = "A1") -> Application:
    return Application(id=id, name=name, version=1, created_at=NOW, updated_at=NOW)


def stored(name: str, config: dict, id: str, version: int = 1, comments: str | None = None) -> Configuration:
    return Configuration(
        id=id,
        application_id="A1",
        name=name,
        comments=comments,
        config=config,
        version=version,
        created_at=NOW,
        updated_at=NOW,
    )


def test_a_folder_is_read_as_applications_of_configurations(tmp_path):
    (tmp_path / "billing").mkdir()
    (tmp_path / "billing" / "db.json").write_text('{"host": "db1"}')
    (tmp_path / "billing" / "cache.json").write_text("{}")
    (tmp_path / "billing" / "notes.txt").write_text("not a configuration")
    (tmp_path / "billing" / ".draft.json").write_text("[]")  # hidden: an editor's
    (tmp_path / "empty").mkdir()
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "x.json").write_text("[]")
    (tmp_path / "README.md").write_text("# desired state")
    assert read_folder(tmp_path) == {"billing": {"cache": {}, "db": {"host": "db1"}}, "empty": {}}


@pytest.mark.parametrize(
    ("text", "complaint"),
    [
        ("[1, 2]", "a JSON object is needed, not list"),
        ('"x"', "a JSON object is needed, not str"),
        ("{", "not valid JSON"),
        ('{"a": 1, "a": 2}', "the key 'a' appears twice"),
        ('{"a": NaN}', "NaN is not JSON"),
    ],
)
def test_what_is_not_a_json_object_is_refused_with_where_and_why(text, complaint):
    with pytest.raises(StateError) as refused:
        parse_object(text, "app/db.json")
    assert str(refused.value).startswith("app/db.json: ") and complaint in str(refused.value)


def test_a_bad_file_or_a_missing_folder_is_refused(tmp_path):
    with pytest.raises(StateError, match="not a folder"):
        read_folder(tmp_path / "nowhere")
    (tmp_path / "billing").mkdir()
    (tmp_path / "billing" / "db.json").write_text("[]")
    with pytest.raises(StateError, match="db.json: a JSON object is needed"):
        read_folder(tmp_path)


def test_json_compares_as_jsonb_does():
    assert same_json({"a": 1, "b": [1.0, "x"]}, {"b": [1, "x"], "a": 1.0})
    assert same_json(1e23, 10**23)  # the file's float is the integer the service stores
    assert not same_json(True, 1) and not same_json(0, False) and not same_json(None, 0)
    assert not same_json([1, 2], [2, 1]) and not same_json({"a": 1}, {"a": 1, "b": None})
    assert not same_json("1", 1)


def test_key_changes_name_what_was_added_removed_and_changed():
    changes = KeyChanges.between({"a": 1, "b": 2, "c": {"x": 1}}, {"b": 2, "c": {"x": 2}, "d": True})
    assert (changes.added, changes.removed, changes.changed) == (["d"], ["a"], ["c"])
    assert str(changes) == "added: d; removed: a; changed: c"
    assert not KeyChanges.between({"a": 1}, {"a": 1.0})
    many = KeyChanges.between({}, {f"k{n}": n for n in range(7)})
    assert str(many) == "added: k0, k1, k2, k3, k4 +2 more"


def test_a_new_application_is_created_with_a_ref_its_configurations_name():
    plan = make_plan({"billing": {"db": {"host": "db1"}, "cache": {}}}, {})
    assert [(s.action, s.target) for s in plan.steps] == [
        ("create", "billing"),
        ("create", "billing/cache"),
        ("create", "billing/db"),
    ]
    create_app, cache, db = plan.operations()
    assert create_app == {"op": "create_application", "ref": "application-0", "body": {"name": "billing"}}
    assert cache["body"] == {"application_ref": "application-0", "name": "cache", "config": {}}
    assert db["body"]["config"] == {"host": "db1"} and plan.steps[2].detail == "added: host"
    assert plan.summary() == "Plan: 3 to create, 0 to update, 0 to delete, 0 unchanged."


def test_existing_configurations_are_updated_only_when_they_differ_keeping_comments_and_the_version_read():
    current = {
        "billing": Current(
            application("billing"),
            {
                "db": stored("db", {"host": "db1", "port": 5432}, "C1", version=3, comments="primary"),
                "cache": stored("cache", {"ttl": 5}, "C2"),
                "old": stored("old", {}, "C3", version=2),
            },
        )
    }
    desired = {"billing": {"db": {"host": "db2", "pool": 4}, "cache": {"ttl": 5.0}, "queue": {}}}
    plan = make_plan(desired, current)
    assert [(s.action, s.target) for s in plan.steps] == [
        ("unchanged", "billing/cache"),
        ("update", "billing/db"),
        ("create", "billing/queue"),
    ]  # without --prune "old", which has no file, is left alone
    update, create, guard = plan.operations()
    assert guard == {"op": "check", "kind": "configuration", "id": plan_ids(current)["cache"], "if_match": 1}
    assert update == {
        "op": "update_configuration",
        "id": "C1",
        "if_match": 3,
        "body": {"name": "db", "comments": "primary", "config": {"host": "db2", "pool": 4}},
    }
    assert create["body"]["application_id"] == "A1"
    assert plan.steps[1].detail == "version 3: added: pool; removed: port; changed: host"
    assert plan.counts() == {"create": 1, "update": 1, "delete": 0, "unchanged": 1}


def test_prune_deletes_configurations_without_a_file_but_only_of_the_applications_in_the_folder():
    current = {"billing": Current(application("billing"), {"old": stored("old", {}, "C3", version=2)})}
    plan = make_plan({"billing": {}}, current, prune=True)
    assert plan.operations() == [{"op": "delete_configuration", "id": "C3", "if_match": 2}]
    assert plan.summary() == "Plan: 0 to create, 0 to update, 1 to delete, 0 unchanged."
    assert make_plan({}, current, prune=True).steps == []  # an application with no folder is never touched


def plan_ids(current):
    return {name: c.id for name, c in current["billing"].configurations.items()}


def test_an_empty_plan_changes_nothing_and_only_checks():
    current = {"billing": Current(application("billing"), {"db": stored("db", {"a": [1]}, "C1")})}
    plan = make_plan({"billing": {"db": {"a": [1]}}}, current, prune=True)
    assert plan.changes == [] and plan.counts()["unchanged"] == 1
    assert plan.operations() == [{"op": "check", "kind": "configuration", "id": "C1", "if_match": 1}]


def test_the_current_state_is_read_by_name(client):
    app = client.create_application("billing")
    made = client.create_configuration(app.id, "db", {"host": "db1"})
    client.create_application("other")
    current = read_current(client, ["billing", "absent"])
    assert list(current) == ["billing"]
    assert current["billing"].application.id == app.id and current["billing"].configurations == {"db": made}


def test_a_name_no_file_can_hold_is_never_pruned():
    names = ("db", "team/db", ".hidden")
    current = {"billing": Current(application("billing"), {n: stored(n, {}, f"C-{n}", version=3) for n in names})}
    plan = make_plan({"billing": {"db": {}}}, current, prune=True)
    assert plan.changes == [] and [s.target for s in plan.steps] == ["billing/db"]
