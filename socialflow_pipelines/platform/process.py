"""What this process costs the machine, for the UI and the benchmarks."""

from __future__ import annotations

import os
from pathlib import Path


def resident_mb() -> float:
    """This process's resident memory in MB (Linux /proc; 0 where it is not available)."""
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
    except (OSError, IndexError, ValueError):
        return 0.0
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20
