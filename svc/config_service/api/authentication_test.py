import pytest

from config_service.api.authentication import bearer, required_scope
from config_service.domain.secrets import hash_secret


@pytest.mark.parametrize(
    "method, path, scope",
    [
        ("GET", "/api/v1/applications", "read"),
        ("HEAD", "/api/v1/changes", "read"),
        ("POST", "/api/v1/configurations", "write"),
        ("PUT", "/api/v1/applications/X", "write"),
        ("DELETE", "/api/v1/configurations/X", "write"),
        ("GET", "/api/v1/tokens", "admin"),
        ("DELETE", "/api/v1/tokens/X", "admin"),
        ("GET", "/api/v1/tokensX", "read"),
    ],
)
def test_the_scope_a_request_needs(method, path, scope):
    assert required_scope(method, path) == scope


@pytest.mark.parametrize(
    "value, token",
    [
        (b"Bearer cfg_abc", b"cfg_abc"),
        (b"bearer   cfg_abc ", b"cfg_abc"),
        (b"Basic dXNlcjpw", None),
        (b"Bearer ", None),
        (b"Bearer", None),
    ],
)
def test_the_bearer_token_of_the_authorization_header(value, token):
    assert bearer([(b"host", b"x"), (b"authorization", value)]) == token
    assert bearer([(b"host", b"x")]) is None


def test_a_presented_token_hashes_as_its_stored_form():
    assert hash_secret(bearer([(b"authorization", b"Bearer cfg_abc")])) == hash_secret("cfg_abc")
