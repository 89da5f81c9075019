import asyncio
import inspect

import pytest

from config_client import AsyncConfigClient, ConfigClient, Conflict, NotFound, PreconditionFailed


def test_both_clients_offer_the_same_methods_with_the_same_parameters():
    def public(kind):
        return {
            name: list(inspect.signature(member).parameters)
            for name, member in inspect.getmembers(kind, inspect.isfunction)
            if not name.startswith("_")
        }

    assert public(AsyncConfigClient) == public(ConfigClient)
    for name, member in inspect.getmembers(AsyncConfigClient, inspect.isfunction):
        if not name.startswith("_") and name not in ("pages", "applications", "configurations", "revisions", "watch"):
            assert inspect.iscoroutinefunction(member), name


def test_every_method_as_a_coroutine(service):
    async def scenario():
        async with service.async_client() as client:
            head = await client.head_seq()
            app = await client.create_application("billing", comments="c")
            assert (await client.get_application(app.id)).configuration_ids == []
            assert (await client.find_application("billing")).id == app.id
            assert await client.find_application("nope") is None
            assert [a.id async for a in client.applications(page_size=1)] == [app.id]
            app = await client.update_application(app.id, name="invoicing", if_match=1)
            made = await client.create_configuration(app.id, "db", {"v": 1})
            assert (await client.find_configuration(app.id, "db")).id == made.id
            assert (await client.get_configuration(made.id, fresh=True)).config == {"v": 1}
            updated = await client.update_configuration(made.id, name="db", config={"v": 2}, if_match=1)
            with pytest.raises(PreconditionFailed):
                await client.update_configuration(made.id, name="db", config={"v": 3}, if_match=1)
            assert [r.version async for r in client.revisions(made.id)] == [2, 1]
            assert (await client.revision(made.id, 1)).config == {"v": 1}
            assert (await client.restore(made.id, 1, if_match=updated.version)).version == 3
            assert [c.id async for c in client.configurations(application_id=app.id)] == [made.id]
            results = await client.transaction([{"op": "check", "kind": "configuration", "id": made.id, "if_match": 3}])
            assert results[0].status == 200
            document = await client.export_application(app.id)
            plan = await client.import_document(document, dry_run=True)
            assert plan.application.action == "unchanged"
            page = await client.changes(after=head, application_id=app.id)
            assert [c.change for c in page.changes] == ["create", "update", "create", "update", "restore"]
            seen = []
            async for change in client.watch(after=head, application_id=app.id):
                seen.append(change.seq)
                if len(seen) == len(page.changes):
                    break
            assert seen == [c.seq for c in page.changes]
            with pytest.raises(Conflict):
                await client.delete_application(app.id)
            await client.delete_configuration(made.id, if_match=3)
            await client.delete_application(app.id)
            with pytest.raises(NotFound):
                await client.get_application(app.id)
            assert (await client.me()).scope == "admin"
            token = await client.create_token("reader", "read")
            assert {t.name for t in await client.tokens()} == {"tests", "reader"}
            await client.revoke_token(token.id)
            assert (await client.health())["status"] == "ok"

    asyncio.run(scenario())
