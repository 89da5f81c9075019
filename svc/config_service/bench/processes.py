"""What the bench reads of processes on this machine: CPU used, and a free port."""

import os
import socket
from pathlib import Path
from typing import Any


def process_tree_cpu_seconds(pid: int) -> float:
    """User + system CPU of a process and all its descendants, alive now."""
    ticks = os.sysconf("SC_CLK_TCK")
    total, pending = 0.0, [pid]
    while pending:
        current = pending.pop()
        try:
            fields = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / ticks
            for task in Path(f"/proc/{current}/task").iterdir():
                pending += [int(child) for child in (task / "children").read_text().split()]
        except (FileNotFoundError, ProcessLookupError):
            continue
    return total


def postgres_cpu_seconds() -> float:
    """User + system CPU of every PostgreSQL process on this machine, alive now (0 when it runs elsewhere)."""
    ticks, total = os.sysconf("SC_CLK_TCK"), 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        fields: Any  # the text after the process name, then its fields
        try:
            name, fields = (entry / "stat").read_text().split("(", 1)[1].rsplit(")", 1)
        except (FileNotFoundError, ProcessLookupError, ValueError):
            continue
        if name in ("postgres", "postmaster"):
            fields = fields.split()
            total += (int(fields[11]) + int(fields[12])) / ticks
    return total


def free_port() -> int:
    """A port nothing listens on now (the kernel picks it), rather than a random guess."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
