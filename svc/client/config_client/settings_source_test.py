import pytest
from pydantic import Field
from pydantic_settings import BaseSettings

from config_client import NotFound
from config_client.settings_source import ConfigServiceSource


def settings_class(application="billing", configuration="database", **options):
    class Settings(BaseSettings):
        host: str = "localhost"
        port: int = 5432
        pool_size: int = Field(default=4, alias="poolSize")
        debug: bool = False

        @classmethod
        def settings_customise_sources(
            cls, settings_cls, init_settings, env_settings, dotenv_settings, file_secret_settings
        ):
            source = ConfigServiceSource(settings_cls, application, configuration, **options)
            return init_settings, env_settings, source

    return Settings


@pytest.fixture
def stored(client):
    app = client.create_application("billing")
    return client.create_configuration(app.id, "database", {"host": "db1", "port": 6432, "poolSize": 9, "other": 1})


def test_settings_read_the_configuration_below_arguments_and_the_environment(service, client, stored, monkeypatch):
    Settings = settings_class(client=client)
    settings = Settings()
    assert (settings.host, settings.port, settings.pool_size, settings.debug) == ("db1", 6432, 9, False)
    monkeypatch.setenv("PORT", "7000")
    assert Settings().port == 7000  # the environment wins
    assert Settings(host="db9").host == "db9"  # and arguments win over both
    monkeypatch.setenv("CONFIG_SERVICE_URL", service.url)
    monkeypatch.setenv("CONFIG_SERVICE_TOKEN", service.token)
    assert settings_class()().host == "db1"  # a client of its own, from the environment


def test_a_configuration_that_does_not_exist_fails_the_settings(client, stored):
    with pytest.raises(NotFound):
        settings_class(configuration="cache", client=client)()
    with pytest.raises(NotFound):
        settings_class(application="nope", client=client)()


def test_the_source_answers_field_by_field_too(client, stored):
    Settings = settings_class(client=client)
    source = ConfigServiceSource(Settings, "billing", "database", client=client)
    assert source.get_field_value(Settings.model_fields["pool_size"], "pool_size") == (9, "poolSize", False)
    assert source.get_field_value(Settings.model_fields["debug"], "debug") == (None, "debug", False)
