"""`ConfigServiceSource`: a configuration as a pydantic-settings source (the `settings` extra)."""

from typing import Any

from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource

from config_client.client import ConfigClient
from config_client.errors import NotFound


class ConfigServiceSource(PydanticBaseSettingsSource):
    """The config of `application`/`configuration`, read once when the settings are made: each
    top-level key that names a field (or its alias) sets it; other keys are left alone. Put it
    after `init_settings` and `env_settings` in `settings_customise_sources`, so arguments and
    environment variables still win over it, as usual.

    `client` is used if given, else one is made from `url` and `token` (default
    CONFIG_SERVICE_URL and CONFIG_SERVICE_TOKEN) for this one read."""

    def __init__(
        self,
        settings_cls: type[BaseSettings],
        application: str,
        configuration: str,
        client: ConfigClient | None = None,
        url: str | None = None,
        token: str | None = None,
        timeout: float = 10,
    ):
        super().__init__(settings_cls)
        self.application, self.configuration = application, configuration
        self._client, self._options = client, {"url": url, "token": token, "timeout": timeout}
        self._config: dict[str, Any] | None = None

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        key = _key_of(field, field_name)
        return self._read().get(key), key, False

    def __call__(self) -> dict[str, Any]:
        config = self._read()
        keys = (_key_of(field, name) for name, field in self.settings_cls.model_fields.items())
        return {key: config[key] for key in keys if key in config}

    def _read(self) -> dict[str, Any]:
        if self._config is None:
            if self._client is not None:
                self._config = self._fetch(self._client)
            else:
                with ConfigClient(**self._options) as client:  # type: ignore[arg-type]
                    self._config = self._fetch(client)
        return self._config

    def _fetch(self, client: ConfigClient) -> dict[str, Any]:
        app = client.find_application(self.application)
        found = app and client.find_configuration(app.id, self.configuration)
        if not found:
            detail = f"no configuration {self.configuration!r} in application {self.application!r}"
            raise NotFound(404, {"title": "Not Found", "status": 404, "detail": detail})
        return found.config


def _key_of(field: FieldInfo, name: str) -> str:
    return field.alias or (field.validation_alias if isinstance(field.validation_alias, str) else None) or name
