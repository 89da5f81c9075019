"""The last-known-good copy of a configuration on disk: written whole or not at all, readable by
its owner only, only ever holding a value that validated, and only ever served for the service
and the configuration it was written for."""

import json
import os
import tempfile
from pathlib import Path
from typing import Any

FORMAT = "config-service-client/cache-v1"


def write(path: Path, service: str, application: str, configuration: str, version: int, config: dict[str, Any]) -> None:
    """Replace `path` atomically (a temporary file in the same folder, fsynced, renamed over it),
    mode 0600 from its first byte: a crash leaves the old copy or the new one, never half of one."""
    document = {
        "format": FORMAT,
        "service": service,
        "application": application,
        "configuration": configuration,
        "version": version,
        "config": config,
    }
    folder = path.parent
    folder.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".tmp")  # mode 0600
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as file:
            json.dump(document, file)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    directory = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(directory)  # the rename itself survives a crash
    finally:
        os.close(directory)


def read(path: Path, service: str, application: str, configuration: str) -> tuple[int, dict[str, Any]] | None:
    """The cached version and config of that configuration, or None when there is no usable copy
    (absent, unreadable, or of another service or configuration)."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        return None
    if (document.get("service"), document.get("application"), document.get("configuration")) != (
        service,
        application,
        configuration,
    ):
        return None
    version, config = document.get("version"), document.get("config")
    if not isinstance(version, int) or not isinstance(config, dict):
        return None
    return version, config
