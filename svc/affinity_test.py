import os
import subprocess
import sys
from pathlib import Path

import pytest

from affinity import choose_cpu


def test_workers_of_one_server_take_consecutive_cpus():
    cpus = [choose_cpu([0, 1, 2, 3], f"SpawnProcess-{n}", pid=999, parent_pid=40) for n in (1, 2, 3, 4, 5)]
    assert cpus == [0, 1, 2, 3, 0]


def test_a_lone_process_picks_by_its_pid_among_the_allowed_cpus():
    assert choose_cpu([2, 5], "MainProcess", pid=7, parent_pid=1) == 5
    assert choose_cpu([2, 5], "MainProcess", pid=8, parent_pid=1) == 2


@pytest.mark.skipif(len(os.sched_getaffinity(0)) < 2, reason="one CPU: nothing to pin")
def test_pinning_leaves_the_process_and_its_new_threads_on_one_cpu():
    # In a child process, so the test run itself keeps all its CPUs.
    code = ("import os, threading; from affinity import pin_to_one_cpu; cpu = pin_to_one_cpu();"
            "seen = []; t = threading.Thread(target=lambda: seen.append(os.sched_getaffinity(0))); t.start(); t.join();"
            "print(cpu, sorted(os.sched_getaffinity(0)), sorted(seen[0]))")
    out = subprocess.run([sys.executable, "-c", code], cwd=Path(__file__).parent, capture_output=True, text=True,
                         check=True).stdout.split(maxsplit=1)
    cpu = int(out[0])
    assert out[1].strip() == f"[{cpu}] [{cpu}]"
