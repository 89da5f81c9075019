from config_client.connection import DEFAULT_URL, Connection


def test_arguments_win_over_the_environment_which_wins_over_the_default(monkeypatch):
    monkeypatch.delenv("CONFIG_SERVICE_URL", raising=False)
    monkeypatch.delenv("CONFIG_SERVICE_TOKEN", raising=False)
    assert Connection.of(None, None, 10) == Connection(DEFAULT_URL, None, 10)
    monkeypatch.setenv("CONFIG_SERVICE_URL", "http://env:1/")
    monkeypatch.setenv("CONFIG_SERVICE_TOKEN", "env-token")
    assert Connection.of(None, None, 10) == Connection("http://env:1", "env-token", 10)
    assert Connection.of("http://arg:2", "arg-token", 3) == Connection("http://arg:2", "arg-token", 3)


def test_the_token_is_sent_as_a_bearer_and_streams_wait_longer_than_a_keep_alive():
    options = Connection("http://x", "secret", 2).http_options()
    assert options["headers"]["Authorization"] == "Bearer secret"
    assert "Authorization" not in Connection("http://x", None, 2).http_options()["headers"]
    assert Connection("http://x", None, 2).timeout_for(30).read == 32
    assert Connection("http://x", None, 2).stream_timeout().read == 45
