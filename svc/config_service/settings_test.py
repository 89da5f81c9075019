import pytest

from config_service.settings import Settings, SettingsError, load_settings


def test_defaults_serve_local_development(monkeypatch):
    for name in ("DATABASE_URL", "PORT", "HOST", "POOL_SIZE", "EXECUTOR_WORKERS"):
        monkeypatch.delenv(name, raising=False)
    settings = Settings(_env_file=None)
    assert settings.host == "127.0.0.1"
    assert settings.port == 8000
    assert settings.database_url.path == "/config_service"
    assert settings.executor_workers <= settings.pool_size


def test_environment_overrides_defaults(monkeypatch):
    monkeypatch.setenv("PORT", "9001")
    monkeypatch.setenv("LOG_LEVEL", "DEBUG")
    settings = Settings(_env_file=None)
    assert (settings.port, settings.log_level) == (9001, "DEBUG")


def test_env_file_is_read(tmp_path, monkeypatch):
    monkeypatch.delenv("PORT", raising=False)
    env_file = tmp_path / ".env"
    env_file.write_text("PORT=9123\n")
    assert Settings(_env_file=env_file).port == 9123


def test_bad_value_is_one_clear_line_naming_the_setting(monkeypatch):
    monkeypatch.setenv("PORT", "eighty")
    with pytest.raises(SettingsError) as raised:
        load_settings(_env_file=None)
    message = str(raised.value)
    assert "PORT" in message and "\n" not in message


def test_executor_larger_than_pool_is_refused():
    with pytest.raises(SettingsError, match="EXECUTOR_WORKERS"):
        load_settings(_env_file=None, pool_size=2, executor_workers=3)


def test_database_url_must_be_postgres():
    with pytest.raises(SettingsError, match="DATABASE_URL"):
        load_settings(_env_file=None, database_url="mysql://localhost/db")


@pytest.mark.parametrize("setting", ["head_timeout_seconds", "body_stall_seconds", "max_connections"])
def test_the_slow_client_limits_must_be_positive(setting):
    with pytest.raises(SettingsError, match=setting.upper()):
        load_settings(_env_file=None, **{setting: 0})


def test_the_response_byte_budget_has_a_floor():
    with pytest.raises(SettingsError, match="MAX_RESPONSE_BYTES"):
        load_settings(_env_file=None, max_response_bytes=10)
