import os
import subprocess
import sys

from prometheus_client.parser import text_string_to_metric_families

from config_service.metrics import exposition

CHILD = """
import sys
from config_service.metrics import families
families.REQUESTS.labels("GET", "/x", "200").inc(int(sys.argv[1]))
families.OPEN_STREAMS.set(int(sys.argv[1]))
"""


def samples(text: bytes) -> dict:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text.decode())
        for sample in family.samples
    }


def test_one_worker_renders_its_own_registry(monkeypatch):
    monkeypatch.setenv(exposition.FOLDER, "")
    monkeypatch.delenv(exposition.FOLDER)
    text = exposition.render()
    assert b"# TYPE config_service_http_requests_total counter" in text
    assert exposition.CONTENT_TYPE.startswith("text/plain; version=0.0.4")


def test_workers_add_up_and_a_dead_workers_gauges_are_forgotten_but_its_counts_kept(tmp_path, monkeypatch):
    monkeypatch.setenv(exposition.FOLDER, str(tmp_path))
    for count in (3, 4):  # two workers, each a process of its own that has ended since
        subprocess.run([sys.executable, "-c", CHILD, str(count)], check=True, env={**os.environ})
    found = samples(exposition.render())
    assert found[("config_service_http_requests_total", (("method", "GET"), ("route", "/x"), ("status", "200")))] == 7
    assert ("config_service_open_streams", ()) not in found or found[("config_service_open_streams", ())] == 0
    assert not list(tmp_path.glob("gauge_live*"))  # the dead workers' live gauges are gone


def test_several_workers_get_an_empty_folder_of_their_own_and_one_worker_none(tmp_path, monkeypatch):
    monkeypatch.setenv(exposition.FOLDER, "")  # recorded first, so that the end of the test restores it
    monkeypatch.delenv(exposition.FOLDER)
    assert exposition.prepare_folder(1) is None and exposition.FOLDER not in os.environ
    made = exposition.prepare_folder(2)
    assert os.environ[exposition.FOLDER] == made and os.path.isdir(made)
    exposition.remove_folder(made, made_here=True)
    assert not os.path.exists(made)
    given = tmp_path / "metrics"
    given.mkdir()
    (given / "counter_1.db").write_bytes(b"old run")
    monkeypatch.setenv(exposition.FOLDER, str(given))
    assert exposition.prepare_folder(2) == str(given) and list(given.iterdir()) == []  # emptied, kept
    exposition.remove_folder(str(given), made_here=False)
    assert given.exists()
    assert exposition._alive(os.getpid()) and not exposition._alive(2**22 + 12345)
