"""Every fenced `sh` and `python` block of the README, of svc/docs/ and of the client's README,
run top to bottom in one shell against a fresh service, with only TOKEN exported (and, for the
client, CONFIG_SERVICE_URL and CONFIG_SERVICE_TOKEN): the examples can never rot.

The service listens on a free port rather than 8000, so `http://127.0.0.1:8000` is replaced by
its address; `pipenv run tokens|migrate` runs the same command lines with this interpreter, and
`configctl` is the one installed beside it."""

import importlib.util
import os
import re
import subprocess
import sys
import time
from pathlib import Path

from fastapi.testclient import TestClient

from config_service.conftest import make_settings
from config_service.testing.live import live_app
from config_service.testing.tokens import make_token

SVC = Path(__file__).resolve().parent.parent.parent
ROOT = SVC.parent
DOCUMENTS = [
    ROOT / "README.md",
    *(
        SVC / "docs" / f"{name}.md"
        for name in ("api", "watching", "security", "console", "operations", "performance", "architecture")
    ),
    SVC / "client" / "README.md",
]
# Python examples are run where they are examples (architecture.md's are excerpts of the code).
PYTHON_EXAMPLES = {ROOT / "README.md", SVC / "client" / "README.md"}
BLOCK = re.compile(r"^```(sh|python)\n(.*?)^```", re.M | re.S)
PRELUDE = """set -euo pipefail
# Every request's status goes to stderr, where the test finds any 4xx or 5xx: an example that
# starts failing fails the test even where it shows the answer without curl -f.
curl() { command curl -w '%{stderr}status %{http_code}\\n' "$@"; }
pipenv() {
  [ "$1" = run ] || { echo "examples: only pipenv run is run here" >&2; return 1; }
  shift; local command=$1; shift
  case $command in
    tokens|migrate) "$PYTHON" -m "config_service.cli.$command" "$@" ;;
    *) echo "examples: pipenv run $command is not run here" >&2; return 1 ;;
  esac
}
"""


# The README's quick start is indented set-up commands (install, serve, export TOKEN); its first
# curl is an example all the same, and runs first.
FIRST_CURL = re.compile(r"^    (curl .*?\n)(?!     )", re.M | re.S)


def blocks() -> list[tuple[str, str]]:
    first = FIRST_CURL.search((ROOT / "README.md").read_text())
    assert first, "the README's first curl is gone"
    fenced = [
        (path.relative_to(ROOT).as_posix(), block if kind == "sh" else f"\"$PYTHON\" - <<'PYTHON'\n{block}PYTHON\n")
        for path in DOCUMENTS
        for kind, block in BLOCK.findall(path.read_text())
        if kind == "sh" or path in PYTHON_EXAMPLES
    ]
    return [("README.md, the first curl", first.group(1).replace("\n     ", "\n")), *fenced]


def test_every_document_listed_exists_and_every_document_is_listed():
    assert all(path.exists() for path in DOCUMENTS)
    assert set(DOCUMENTS) == {ROOT / "README.md", SVC / "client" / "README.md", *(SVC / "docs").glob("*.md")}


def test_every_shell_example_runs_in_order_against_a_fresh_service(database_url, tmp_path):
    settings = make_settings(database_url, auth="tokens")
    with live_app(settings) as (base, _):
        token = make_token(settings, "examples", "admin")
        script = PRELUDE + "".join(
            f"\necho '### {name}, block {n}' >&2\n{block}" for n, (name, block) in enumerate(blocks(), 1)
        ).replace("http://127.0.0.1:8000", base)
        (tmp_path / "examples.sh").write_text(script)
        env = {
            "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",  # configctl beside this interpreter
            "HOME": str(tmp_path),
            "TOKEN": token,
            "CONFIG_SERVICE_URL": base,
            "CONFIG_SERVICE_TOKEN": token,
            "PYTHON": sys.executable,
            "PYTHONPATH": str(SVC),
            "DATABASE_URL": str(settings.database_url),
        }
        run = subprocess.run(
            ["bash", str(tmp_path / "examples.sh")], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
        )
    output = run.stdout + run.stderr
    assert run.returncode == 0, output[-4000:]
    assert output.count("### ") == len(blocks()) >= 7  # every block ran (set -e stops at the first failure)
    assert "HTTP/1.1 304" in run.stdout and "Idempotent-Replayed: true" in run.stdout.replace(
        "idempotent-replayed", "Idempotent-Replayed"
    )
    statuses = re.findall(r"^status (\d{3})$", run.stderr, re.M)
    assert len(statuses) >= 30 and all("200" <= code < "400" for code in statuses), output[-4000:]


def test_the_readmes_fastapi_app_follows_its_configuration_live(database_url, tmp_path, monkeypatch):
    """The README's "Using it from Python" app, imported as it is: a PUT reaches it within a
    second, and a value its model refuses leaves the last good one in place."""
    from config_client import ConfigClient

    section = (ROOT / "README.md").read_text().split("## Using it from Python", 1)[1]
    (tmp_path / "shop.py").write_text(re.search(r"^```python\n(.*?)^```", section, re.M | re.S).group(1))
    settings = make_settings(database_url, auth="tokens")
    with live_app(settings) as (base, _):
        token = make_token(settings, "examples", "admin")
        monkeypatch.setenv("CONFIG_SERVICE_URL", base)
        monkeypatch.setenv("CONFIG_SERVICE_TOKEN", token)
        monkeypatch.chdir(tmp_path)
        spec = importlib.util.spec_from_file_location("shop", tmp_path / "shop.py")
        shop = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(shop)
        with ConfigClient(base, token) as client:
            shop_id = client.create_application("shop").id  # as the README's configctl put does
            client.create_configuration(shop_id, "limits", {"max_items": 50})
        with TestClient(shop.app) as app, ConfigClient(base, token) as client:
            assert app.get("/checkout", params={"items": 60}).json()["ok"] is False
            limits = client.find_configuration(shop_id, "limits")
            client.update_configuration(limits.id, name="limits", config={"max_items": 100, "discount_percent": 5})
            deadline = time.monotonic() + 1
            while app.get("/checkout", params={"items": 60}).json() != {"ok": True, "discount_percent": 5}:
                assert time.monotonic() < deadline, "the change did not reach the app within a second"
                time.sleep(0.01)
            client.update_configuration(limits.id, name="limits", config={"max_items": "many"})
            deadline = time.monotonic() + 1
            while shop.limits.last_error is None:
                assert time.monotonic() < deadline, "the invalid change was not refused within a second"
                time.sleep(0.01)
            assert app.get("/checkout", params={"items": 60}).json()["ok"] is True  # still max_items 100
            assert (tmp_path / ".shop-limits.json").exists()
        shop.client.close()
