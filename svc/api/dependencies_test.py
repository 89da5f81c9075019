from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.dependencies import Db


def test_db_is_the_apps_database_handle():
    app = FastAPI()
    app.state.database = handle = object()
    seen = []

    @app.get("/")
    async def route(db: Db):
        seen.append(db)

    assert TestClient(app).get("/").status_code == 200
    assert seen == [handle]
