"""etcd 3.4 beside the service, in the same sitting: a throwaway node on 127.0.0.1 (data in a
temporary folder, stopped by its pid), driven by wrk as the service is, through its JSON
gateway: a put of a new key and a linearizable range read, with the bench's ~20-key value."""

import base64
import json
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import cast

import httpx

STARTUP_SECONDS = 30
DOCUMENT_KEY = "bench/document"
SCENARIOS = ("etcd PUT /v3/kv/put (new key)", "etcd POST /v3/kv/range (linearizable)")

# Lua 5.1 has no base64; wrk encodes each new key with this (a few microseconds a request).
BASE64_LUA = """local alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'
function base64(data)
  return ((data:gsub('.', function(x)
    local r, b = '', x:byte()
    for i = 8, 1, -1 do r = r .. (b % 2 ^ i - b % 2 ^ (i - 1) > 0 and '1' or '0') end
    return r
  end) .. '0000'):gsub('%d%d%d?%d?%d?%d?', function(x)
    if #x < 6 then return '' end
    local c = 0
    for i = 1, 6 do c = c + (x:sub(i, i) == '1' and 2 ^ (6 - i) or 0) end
    return alphabet:sub(c + 1, c + 1)
  end) .. ({'', '==', '='})[#data % 3 + 1])
end
"""


def encoded(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def installed() -> str | None:
    return shutil.which("etcd")


def lua_script(scenario: str, value: dict) -> str:
    """A wrk script for one of SCENARIOS; `value` is stored as its JSON text."""
    headers = 'headers = {["Content-Type"] = "application/json"}\n'
    if scenario == SCENARIOS[0]:
        return (
            BASE64_LUA + headers + f'value = "{encoded(json.dumps(value))}"\n'
            "counter = 0\ntag = '0'\n"
            "function init(args)\n  math.randomseed(os.time() + math.floor(os.clock() * 1000000))\n"
            "  tag = tostring(math.random(1, 1000000000))\nend\n"
            "function request()\n  counter = counter + 1\n"
            "  local body = '{\"key\":\"' .. base64('bench/' .. tag .. '/' .. counter) .. '\",\"value\":\"'"
            " .. value .. '\"}'\n"
            '  return wrk.format("POST", "/v3/kv/put", headers, body)\nend\n'
        )
    body = json.dumps({"key": encoded(DOCUMENT_KEY)}).replace('"', '\\"')
    return headers + f'function request()\n  return wrk.format("POST", "/v3/kv/range", headers, "{body}")\nend\n'


@contextmanager
def running(client_port: int, peer_port: int) -> Iterator[str]:
    """A one-node etcd with its data in a temporary folder; its base URL. Stopped by its pid."""
    with tempfile.TemporaryDirectory() as folder:
        client, peer = f"http://127.0.0.1:{client_port}", f"http://127.0.0.1:{peer_port}"
        process = subprocess.Popen(
            [
                cast(str, installed()),  # its callers check installed() first
                "--name",
                "bench",
                "--data-dir",
                str(Path(folder) / "data"),
                "--listen-client-urls",
                client,
                "--advertise-client-urls",
                client,
                "--listen-peer-urls",
                peer,
                "--initial-advertise-peer-urls",
                peer,
                "--initial-cluster",
                f"bench={peer}",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            _wait_ready(client, process)
            yield client
        finally:
            process.terminate()
            process.wait(timeout=30)


def store_document(base_url: str, value: dict) -> None:
    """The key the range scenario reads."""
    response = httpx.post(
        f"{base_url}/v3/kv/put", json={"key": encoded(DOCUMENT_KEY), "value": encoded(json.dumps(value))}
    )
    response.raise_for_status()


def _wait_ready(base_url: str, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if httpx.get(f"{base_url}/health", timeout=1).json().get("health") == "true":
                return
        except (httpx.TransportError, ValueError):
            pass
        time.sleep(0.1)
    raise SystemExit("bench: etcd did not start")


def ratios(results: dict, etcd: dict) -> dict:
    """The issue's two comparisons: 2 workers' PUT against etcd's put, the cached GET against its range."""
    if not etcd or "2" not in results:
        return {}
    service = results["2"]
    return {
        "PUT vs etcd put": service["PUT /api/v1/configurations/{id}"]["rps_median"] / etcd[SCENARIOS[0]]["rps_median"],
        "cached GET vs etcd range": service["GET /api/v1/configurations/{id}"]["rps_median"]
        / etcd[SCENARIOS[1]]["rps_median"],
    }


def table(etcd: dict, compared: dict) -> str:
    if not etcd:
        return "etcd: not installed (apt-get install etcd-server), not measured"
    lines = ["| etcd 3.4, one node | req/s median (min-max) | p50 ms | p99 ms |", "|---|---|---|---|"]
    lines += [
        f"| `{name}` | {row['rps_median']:,.0f} ({row['rps_min']:,.0f}-{row['rps_max']:,.0f}) "
        f"| {row['p50_ms']:.2f} | {row['p99_ms']:.2f} |"
        for name, row in etcd.items()
    ]
    lines += [f"\n{name} (2 workers): {ratio:.2f}x" for name, ratio in compared.items()]
    return "\n".join(lines)
