"""Four times the pool in concurrent clients: only 503s beyond the queue wait, and a 503
always means the write never happened."""

import asyncio

import httpx
import pytest

from config_service.conftest import make_settings
from config_service.db.pool import connect
from config_service.main import create_app

pytestmark = pytest.mark.anyio
POOL = 2


def slow_writes(settings) -> None:
    """Every insert takes 20 ms (a test-only trigger), so eight clients overflow two workers."""
    connection = connect(settings)
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE FUNCTION slow() RETURNS trigger LANGUAGE plpgsql AS"
            " $$ BEGIN PERFORM pg_sleep(0.02); RETURN NEW; END $$"
        )
        cursor.execute("CREATE TRIGGER slow BEFORE INSERT ON applications FOR EACH ROW EXECUTE FUNCTION slow()")
    connection.commit()
    connection.close()


async def test_saturation_answers_503_only_for_work_that_never_started(database_url):
    settings = make_settings(database_url, pool_size=POOL, executor_workers=POOL, queue_wait_seconds=0.03)
    slow_writes(settings)
    app = create_app(settings)
    outcomes = []

    async def client(worker: int, api: httpx.AsyncClient) -> None:
        for n in range(40):
            name = f"c{worker}-{n}"
            response = await api.post("/api/v1/applications", json={"name": name})
            outcomes.append((name, response.status_code))
            listed = await api.get("/api/v1/applications", params={"limit": 50})
            outcomes.append((None, listed.status_code))

    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as api:
            await asyncio.gather(*(client(worker, api) for worker in range(4 * POOL)))

    statuses = [status for _, status in outcomes]
    assert set(statuses) <= {200, 201, 503}, sorted(set(statuses))
    assert 503 in statuses and 201 in statuses  # the queue really overflowed, and work still got done

    check = connect(settings)
    try:
        with check.cursor() as cursor:
            cursor.execute("SELECT name FROM applications")
            stored = {row["name"] for row in cursor.fetchall()}
            cursor.execute(
                "SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database()"
                " AND state LIKE 'idle in transaction%%'"
            )
            assert cursor.fetchone()["n"] == 0
    finally:
        check.close()
    assert {name for name, status in outcomes if status == 201} <= stored
    assert not {name for name, status in outcomes if status == 503} & stored
