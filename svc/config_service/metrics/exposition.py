"""`GET /metrics`'s text: this process's metrics, or with several workers the sum over all of
them (prometheus-client's multiprocess mode, its folder in PROMETHEUS_MULTIPROC_DIR)."""

import contextlib
import os
import re
import shutil
import tempfile
from pathlib import Path

from prometheus_client import REGISTRY, CollectorRegistry, generate_latest, multiprocess
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4

FOLDER = "PROMETHEUS_MULTIPROC_DIR"
# The files of gauges that count only live workers name the worker: gauge_livesum_<pid>.db
LIVE_GAUGE = re.compile(r"gauge_live\w+?_(\d+)\.db")
# The text format every Prometheus (and every scraper that speaks it) reads.
CONTENT_TYPE = CONTENT_TYPE_PLAIN_0_0_4


def render() -> bytes:
    folder = os.environ.get(FOLDER)
    if not folder:
        return generate_latest(REGISTRY)
    _forget_dead_workers(folder)
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry, folder)
    return generate_latest(registry)


def _forget_dead_workers(folder: str) -> None:
    """A worker that died without stopping (killed, crashed) left its live gauges behind: its
    counters and histograms still count (nothing counted is lost), its gauges must not."""
    for path in Path(folder).glob("gauge_live*.db"):
        match = LIVE_GAUGE.fullmatch(path.name)
        if match and not _alive(int(match.group(1))):
            with contextlib.suppress(FileNotFoundError):  # another worker's scrape removed it first
                multiprocess.mark_process_dead(int(match.group(1)), folder)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def prepare_folder(workers: int) -> str | None:
    """For several workers: an empty folder for their metrics' files, named in the environment
    the workers inherit (PROMETHEUS_MULTIPROC_DIR as given, emptied, or a new temporary one).
    None for one worker, whose metrics stay in its memory."""
    if workers <= 1:
        return None
    folder = os.environ.get(FOLDER) or tempfile.mkdtemp(prefix="config-service-metrics-")
    Path(folder).mkdir(parents=True, exist_ok=True)
    for stale in Path(folder).glob("*.db"):  # a previous run's: its counts are not this run's
        stale.unlink()
    os.environ[FOLDER] = folder
    return folder


def remove_folder(folder: str | None, made_here: bool) -> None:
    if folder and made_here:
        shutil.rmtree(folder, ignore_errors=True)
