from datetime import UTC, datetime, timedelta

from config_service.auth.registry import UNKNOWN_LOOKUPS_PER_SECOND, TokenRegistry
from config_service.domain.access import Principal
from config_service.domain.secrets import hash_secret


def row(id, name, secret, expires_at=None, application_ids=None):
    return {
        "id": id,
        "name": name,
        "scope": "read",
        "application_ids": application_ids,
        "secret_hash": hash_secret(secret),
        "expires_at": expires_at,
    }


def test_a_known_token_is_found_by_the_hash_of_its_secret():
    registry = TokenRegistry()
    registry.load([row("1", "ci", "cfg_a", application_ids=["A"])])
    digest, principal = registry.known("cfg_a")
    assert digest == hash_secret("cfg_a") and principal == Principal("ci", "read", frozenset({"A"}), "1")
    assert registry.known("cfg_b")[1] is None


def test_an_expired_token_is_not_known():
    registry = TokenRegistry()
    registry.load([row("1", "old", "cfg_a", datetime.now(UTC) - timedelta(seconds=1))])
    assert registry.known("cfg_a")[1] is None


def test_a_token_no_longer_loaded_is_no_longer_usable_once_the_map_is_trusted():
    registry = TokenRegistry()
    registry.load([row("1", "ci", "cfg_a")])
    principal = registry.known("cfg_a")[1]
    registry.load([])
    assert registry.still_usable(principal)  # untrusted: the map cannot say
    registry.trusted = True
    assert not registry.still_usable(principal)


def test_database_look_ups_of_unknown_tokens_are_rate_limited():
    registry = TokenRegistry()
    allowed = sum(registry.may_look_up() for _ in range(UNKNOWN_LOOKUPS_PER_SECOND * 3))
    assert UNKNOWN_LOOKUPS_PER_SECOND <= allowed < UNKNOWN_LOOKUPS_PER_SECOND + 3


def test_a_revoked_token_is_forgotten_at_once():
    registry = TokenRegistry()
    registry.load([row("1", "ci", "cfg_a"), row("2", "other", "cfg_b")])
    registry.forget("1")
    assert registry.known("cfg_a")[1] is None and registry.known("cfg_b")[1] is not None


def test_the_map_vouches_only_while_trusted_and_sends_unknown_tokens_to_the_database_at_a_limited_rate():
    registry = TokenRegistry()
    registry.load([row("1", "ci", "cfg_a")])
    known = registry.known("cfg_a")[1]
    assert not registry.vouches(known) and not registry.vouches(None)  # untrusted: the database decides
    registry.trusted = True
    assert registry.vouches(known)
    looked_up = sum(not registry.vouches(None) for _ in range(UNKNOWN_LOOKUPS_PER_SECOND * 3))
    assert UNKNOWN_LOOKUPS_PER_SECOND <= looked_up < UNKNOWN_LOOKUPS_PER_SECOND + 3


def test_a_held_request_learns_how_long_its_token_stays_usable_and_that_an_expired_one_is_not():
    registry = TokenRegistry()
    soon = datetime.now(UTC) + timedelta(seconds=30)
    registry.load(
        [
            row("1", "ci", "cfg_a"),
            row("2", "brief", "cfg_b", soon),
            row("3", "old", "cfg_c", datetime.now(UTC) - timedelta(seconds=1)),
        ]
    )
    registry.trusted = True
    forever, brief, old = (
        Principal(name, "read", None, id) for id, name in (("1", "ci"), ("2", "brief"), ("3", "old"))
    )
    assert registry.usable_for(forever) == float("inf") and registry.still_usable(forever)
    assert 29 < registry.usable_for(brief) <= 30 and registry.still_usable(brief)
    assert registry.usable_for(old) == 0 and not registry.still_usable(old)
    registry.trusted = False  # the map cannot say whether it was revoked, but it knows it expired
    assert not registry.still_usable(old)
    assert registry.usable_for(Principal("anonymous", "admin")) == float("inf")  # AUTH=off


def test_a_load_says_whether_a_token_of_the_last_load_went_even_one_forgotten_meanwhile():
    registry = TokenRegistry()
    assert not registry.load([row("1", "ci", "cfg_a"), row("2", "other", "cfg_b")])
    assert not registry.load([row("1", "ci", "cfg_a"), row("2", "other", "cfg_b"), row("3", "new", "cfg_c")])
    registry.forget("2")  # this worker revoked it: the notification's reload must still wake its held requests
    assert registry.load([row("1", "ci", "cfg_a"), row("3", "new", "cfg_c")])


def test_the_map_says_which_tokens_it_holds():
    registry = TokenRegistry()
    registry.load([row("1", "ci", "cfg_a")])
    principal = registry.known("cfg_a")[1]
    assert registry.holds(principal) and not registry.holds(Principal("new", "read", None, "2"))
    registry.forget("1")
    assert not registry.holds(principal)
