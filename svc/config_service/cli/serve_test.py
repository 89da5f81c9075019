from config_service.cli import serve
from config_service.testing.server import start_server, stop, wait_until_ready


def test_bad_setting_stops_before_anything_starts(monkeypatch, capsys):
    monkeypatch.setenv("PORT", "not-a-port")
    monkeypatch.setattr(serve.uvicorn, "run", lambda *a, **k: (_ for _ in ()).throw(AssertionError("served")))
    assert serve.main() == 2
    err = capsys.readouterr().err
    assert "PORT" in err and "Traceback" not in err


def test_migrates_then_serves_with_two_workers(empty_database_url):
    process, base_url = start_server(empty_database_url, WORKERS="2")
    try:
        ready = wait_until_ready(process, base_url)
        assert ready.status_code == 200  # migrations were applied to the empty database
    finally:
        output = stop(process)
    assert "applied: 0001_" in output
    assert output.count("Started server process") >= 2


def test_migration_failure_stops_serving(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgresql://postgres@127.0.0.1:1/none")
    monkeypatch.setattr(serve.uvicorn, "run", lambda *a, **k: (_ for _ in ()).throw(AssertionError("served")))
    assert serve.main() == 1


def test_the_first_start_with_tokens_makes_and_shows_one_admin_token(empty_database_url):
    process, base_url = start_server(empty_database_url, AUTH="tokens")
    try:
        wait_until_ready(process, base_url)
        import httpx

        from config_service.testing.tokens import bearer

        output_so_far = ""
        while "cfg_" not in output_so_far:
            output_so_far += process.stdout.readline()
        secret = next(word for word in output_so_far.split() if word.startswith("cfg_"))
        assert httpx.get(f"{base_url}/api/v1/applications", headers=bearer(secret)).status_code == 200
        assert httpx.get(f"{base_url}/api/v1/applications").status_code == 401
    finally:
        output = stop(process)
    assert "first-admin" in output_so_far and secret not in output  # shown once, never logged again


def test_json_logs_reach_uvicorns_own_lines_and_text_keeps_its_defaults():
    assert serve.uvicorn_log_config("text") is None
    config = serve.uvicorn_log_config("json")
    assert config["formatters"]["json"]["()"] == "config_service.logs.JsonFormatter"
    assert config["loggers"]["uvicorn"]["handlers"] == ["stderr"]


def test_two_workers_share_a_metrics_folder_made_and_removed_by_serve(empty_database_url, tmp_path):
    import json

    process, base_url = start_server(empty_database_url, WORKERS="2", LOG_FORMAT="json", TMPDIR=str(tmp_path))
    try:
        assert wait_until_ready(process, base_url).status_code == 200
        assert [p.name.startswith("config-service-metrics-") for p in tmp_path.iterdir()] == [True]
    finally:
        output = stop(process)
    assert list(tmp_path.iterdir()) == []  # removed at exit
    lines = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    assert any(line["logger"].startswith("uvicorn") for line in lines)  # uvicorn's own lines are JSON too
    assert all(line.startswith("{") for line in output.splitlines() if "Started server process" in line)
