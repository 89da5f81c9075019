import asyncio

import pytest

from config_service.api.applications_test import assert_problem

APPS, CONFIGS, CHANGES, TXN = (
    "/api/v1/applications",
    "/api/v1/configurations",
    "/api/v1/changes",
    "/api/v1/transactions",
)
MISSING = "01J0000000000000000000000Z"


def snapshot(client) -> tuple:
    """Everything a failed transaction must leave as it was: rows, versions, history, feed."""
    apps = client.get(APPS, params={"limit": 1000}).json()
    configs = client.get(CONFIGS, params={"limit": 1000}).json()
    history = {c["id"]: client.get(f"{CONFIGS}/{c['id']}/revisions").json() for c in configs}
    return apps, configs, history, client.get(CHANGES, params={"limit": 1000}).json()


def test_the_example_runs_and_answers_each_result_in_order(client):
    other = client.post(APPS, json={"name": "other"}).json()
    db = client.post(CONFIGS, json={"application_id": other["id"], "name": "db", "config": {"v": 1}}).json()
    gone = client.post(CONFIGS, json={"application_id": other["id"], "name": "gone", "config": {}}).json()
    response = client.post(
        TXN,
        json={
            "operations": [
                {"op": "create_application", "ref": "pay", "body": {"name": "payments"}},
                {
                    "op": "create_configuration",
                    "body": {"application_ref": "pay", "name": "db", "config": {"host": "db1"}},
                },
                {"op": "check", "kind": "application", "id": other["id"], "if_match": 3},
                {
                    "op": "update_configuration",
                    "id": db["id"],
                    "if_match": 1,
                    "body": {"name": "db", "config": {"v": 2}},
                },
                {"op": "delete_configuration", "id": gone["id"]},
                {"op": "restore_configuration", "id": db["id"], "version": 1},
            ]
        },
    )
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert [r["status"] for r in results] == [201, 201, 200, 200, 204, 200]
    assert results[1]["body"]["application_id"] == results[0]["body"]["id"]
    assert results[2]["body"] == {"kind": "application", "id": other["id"], "version": 3}
    assert results[5]["body"]["config"] == {"v": 1} and results[4]["body"] is None
    feed = client.get(CHANGES).json()["changes"]
    assert int(response.headers["change-seq"]) == feed[-1]["seq"]
    assert [c["seq"] for c in feed[-5:]] == list(range(feed[-5]["seq"], feed[-5]["seq"] + 5))  # consecutive


@pytest.mark.parametrize(
    "failing, status",
    [
        ({"op": "create_configuration", "body": {"application_ref": "a", "name": "c0", "config": {}}}, 409),
        ({"op": "update_configuration", "id": "@FIRST", "if_match": 7, "body": {"name": "c0", "config": {}}}, 412),
        ({"op": "delete_configuration", "id": MISSING}, 404),
    ],
    ids=["name conflict", "stale if_match", "unknown id"],
)
def test_a_50_operation_transaction_failing_at_the_37th_leaves_everything_as_it_was(client, failing, status):
    app_id = client.post(APPS, json={"name": "existing"}).json()["id"]
    first = client.post(CONFIGS, json={"application_id": app_id, "name": "first", "config": {}}).json()["id"]
    before = snapshot(client)
    operations = [{"op": "create_application", "ref": "a", "body": {"name": "new"}}]
    operations += [
        {"op": "create_configuration", "body": {"application_ref": "a", "name": f"c{n}", "config": {"n": n}}}
        for n in range(35)
    ]
    failing = {**failing, "id": first} if failing.get("id") == "@FIRST" else failing
    operations += [failing] + [
        {"op": "update_configuration", "id": first, "body": {"name": "first", "config": {"n": n}}} for n in range(13)
    ]
    assert len(operations) == 50
    problem = assert_problem(client.post(TXN, json={"operations": operations}), status)
    assert problem["operation_index"] == 36
    if status == 412:
        assert problem["current_version"] == 1
    assert snapshot(client) == before


def test_a_malformed_operation_is_422_naming_it_and_limits_hold(client, settings):
    problem = assert_problem(
        client.post(
            TXN,
            json={"operations": [{"op": "create_application", "body": {"name": "ok"}}, {"op": "delete_configuration"}]},
        ),
        422,
    )
    assert problem["operation_index"] == 1
    assert_problem(client.post(TXN, json={"operations": []}), 422)
    assert_problem(client.post(TXN, json={"operations": [{"op": "explode"}]}), 422)
    assert_problem(
        client.post(TXN, json={"operations": [{"op": "delete_configuration", "id": MISSING, "body": {}}]}), 422
    )
    too_many = [{"op": "check", "kind": "application", "id": MISSING}] * (settings.max_transaction_operations + 1)
    assert_problem(client.post(TXN, json={"operations": too_many}), 422)


def test_a_check_without_if_match_asserts_existence(client):
    problem = assert_problem(
        client.post(TXN, json={"operations": [{"op": "check", "kind": "configuration", "id": MISSING}]}), 404
    )
    assert problem["operation_index"] == 0


@pytest.mark.anyio
async def test_two_transactions_racing_on_overlapping_configurations_one_wins_none_deadlocks(api):
    app_id = (await api.post(APPS, json={"name": "shared"})).json()["id"]
    ids = [
        (await api.post(CONFIGS, json={"application_id": app_id, "name": f"c{n}", "config": {}})).json()["id"]
        for n in range(6)
    ]

    for round in range(5):
        if round:  # back to version 1 under new ids for the next round
            ids = [
                (
                    await api.post(CONFIGS, json={"application_id": app_id, "name": f"r{round}-{n}", "config": {}})
                ).json()["id"]
                for n in range(6)
            ]
            names = [f"r{round}-{n}" for n in range(6)]
        else:
            names = [f"c{n}" for n in range(6)]
        forward = {
            "operations": [
                {
                    "op": "update_configuration",
                    "id": ids[n],
                    "if_match": 1,
                    "body": {"name": names[n], "config": {"by": "a"}},
                }
                for n in range(6)
            ]
        }
        backward = {
            "operations": [
                {
                    "op": "update_configuration",
                    "id": ids[n],
                    "if_match": 1,
                    "body": {"name": names[n], "config": {"by": "b"}},
                }
                for n in reversed(range(6))
            ]
        }
        first, second = await asyncio.gather(api.post(TXN, json=forward), api.post(TXN, json=backward))
        assert sorted((first.status_code, second.status_code)) == [200, 412], (first.text, second.text)
