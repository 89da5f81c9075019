"""The layering of docs/architecture.md, held: every import of the package (at module level or
inside a function) is read with ast and checked against the rooms' order."""

import re
from pathlib import Path

import pytest

from config_service.testing import layering

PACKAGE = Path(__file__).resolve().parent.parent


def test_every_import_runs_down_the_layers_and_none_forms_a_circle():
    assert layering.violations(PACKAGE) == []


def test_every_room_of_the_package_has_a_place_in_the_layers():
    rooms = {layering.room_of(name) for name in layering.modules(PACKAGE)} - {""}
    assert rooms - set(layering.LAYERS) == set()


def test_the_table_in_docs_architecture_is_the_one_the_checker_holds():
    text = (PACKAGE.parent / "docs" / "architecture.md").read_text()
    rows = re.findall(r"^\| (\d+) \| ([^|]+) \|", text, re.M)
    documented = {room: int(layer) for layer, rooms in rows for room in re.findall(r"`(\w+)`", rooms)}
    assert documented == layering.LAYERS


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / "config_service" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root / "config_service"


@pytest.mark.parametrize(
    "files, found",
    [
        (
            {"domain/errors.py": "from config_service.services import ports\n", "services/ports.py": ""},
            "config_service.domain.errors imports config_service.services.ports: domain may not import services",
        ),
        (
            {"repositories/base.py": "from config_service.services.ports import UnitOfWork\n", "services/ports.py": ""},
            "config_service.repositories.base imports config_service.services.ports:"
            " repositories may not import services",
        ),
        (
            {
                "api/routes.py": "def f():\n    from config_service.repositories import base\n",
                "repositories/base.py": "",
            },
            "config_service.api.routes imports config_service.repositories.base: api may not import repositories",
        ),
        ({"services/uses.py": "import psycopg2\n"}, "config_service.services.uses imports psycopg2: only"),
        ({"domain/rules.py": "from fastapi import Request\n"}, "config_service.domain.rules imports fastapi: only"),
        (
            {
                "bench/run.py": "from config_service.bench import batch\n",
                "bench/batch.py": "from config_service.bench.run import x\n",
            },
            "a circle of imports: config_service.bench.batch -> config_service.bench.run -> config_service.bench.batch",
        ),
        ({"nursery/new.py": ""}, "config_service.nursery.new is in no layer"),
        ({"services/uses.py": "import uvicorn\n"}, "config_service.services.uses imports uvicorn: only"),
        (
            {"domain/errors.py": "import config_service\n"},
            "config_service.domain.errors imports config_service: import the module",
        ),
        (
            {"__init__.py": "from config_service.api import reads\n", "api/reads.py": ""},
            "config_service imports config_service.api.reads: the package's __init__ imports nothing",
        ),
        (
            {
                "cli/serve.py": 'APP = "config_service.api.routes:app"\n',
                "api/routes.py": 'CLI = "config_service.cli.serve"\n',
            },
            "config_service.api.routes imports config_service.cli.serve: api may not import cli",
        ),
        (
            {"api/routes.py": "def f(request):\n    return request.app.state.runtime\n"},
            "config_service.api.routes touches app or request state",
        ),
        (
            {"feed/worker.py": 'def f(scope):\n    return scope["state"]\n'},
            "config_service.feed.worker touches app or request state",
        ),
    ],
)
def test_a_wrong_way_import_is_found(tmp_path, files, found):
    problems = layering.violations(write(tmp_path, files))
    assert any(problem.startswith(found) for problem in problems), problems


def test_imports_within_a_room_and_down_the_layers_pass(tmp_path):
    root = write(
        tmp_path,
        {
            "api/routes.py": "from config_service.api import bodies\nfrom config_service.services import x\n",
            "api/bodies.py": "from .. domain import errors\n",
            "services/x.py": "",
            "domain/errors.py": "",
            "api/routes_test.py": "from config_service.repositories import base\n",
        },
    )
    assert layering.violations(root) == []
