"""What a held answer (a watch, a long-poll, a stream) may still send: nothing once its token
was revoked or expired, and nothing written after that, even when the revocation was made by
another worker or instance."""
from auth.principal import Principal
from auth.registry import TokenRegistry
from db.database import Database
from errors import Unauthenticated
from feed.runtime import Feed
from services import tokens as token_service

# How long a held answer waits for the listener to vouch for its changes before asking the database.
VOUCH_WAIT_SECONDS = 1.0


def known_usable(feed: Feed, tokens: TokenRegistry, caller: Principal, upto: int | None) -> bool | None:
    """The answer when the worker's map can give it at once: AUTH=off, or a token the map holds
    while the listener already vouches for change `upto`; None when it cannot (ask `token_usable`)."""
    if caller.token_id is None:
        return True
    if upto is not None and tokens.trusted and tokens.holds(caller) and feed.listener.vouched >= upto:
        return tokens.still_usable(caller)
    return None


async def token_usable(feed: Feed, db: Database, tokens: TokenRegistry, caller: Principal,
                       upto: int | None) -> bool:
    """Whether the caller's token is usable as of change `upto`, the newest the answer carries
    (None: the answer was read from the database, so only the database can say).

    The worker's token map answers once the listener vouches that it held every revocation
    committed before that change (notifications arrive in commit order). The database decides
    for a token the map does not hold (new, or gone), while the map is not trusted (the
    listener is down), and when the listener cannot vouch within a second.
    """
    known = known_usable(feed, tokens, caller, upto)
    if known is not None:
        return known
    if upto is not None and tokens.trusted and tokens.holds(caller):
        if not tokens.still_usable(caller):
            return False
        if await feed.listener.vouches_for(upto, VOUCH_WAIT_SECONDS) and tokens.trusted:
            return tokens.still_usable(caller)
    return await db.read(lambda uow: token_service.is_usable(uow, caller.token_id))


async def require_usable(feed: Feed, db: Database, tokens: TokenRegistry, caller: Principal,
                         upto: int | None) -> None:
    """401 unless the caller's token is usable as of change `upto`."""
    if not await token_usable(feed, db, tokens, caller, upto):
        raise Unauthenticated("the token was revoked or has expired")
