"""Request dependencies: the app's database handle and its change feed."""
from typing import Annotated

from fastapi import Depends, Request

from db.database import Database
from feed.runtime import Feed


async def get_database(request: Request) -> Database:
    # async: a plain `def` dependency would cost every request a hop to FastAPI's threadpool.
    return request.app.state.database


Db = Annotated[Database, Depends(get_database)]


async def get_feed(request: Request) -> Feed:
    return request.app.state.feed


ChangeFeed = Annotated[Feed, Depends(get_feed)]
