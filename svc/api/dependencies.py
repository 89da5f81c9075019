"""Request dependencies: the app's database handle."""
from typing import Annotated

from fastapi import Depends, Request

from db.database import Database


async def get_database(request: Request) -> Database:
    # async: a plain `def` dependency would cost every request a hop to FastAPI's threadpool.
    return request.app.state.database


Db = Annotated[Database, Depends(get_database)]
