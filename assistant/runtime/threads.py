"""How many threads llama.cpp generates a reply with, when the user has not set `ASSISTANT_LLM_THREADS`.

Generation threads meet at a spinning barrier after every operation of every token, so they are fast only on
cores nothing else wants: on this 2-core machine (F16 SmolLM2) two threads write a token in ~24 ms and one in
~38 ms, but with another process keeping one core busy two threads take ~80 ms a token (one waits for the core
while the other spins). So on a machine of up to 4 CPUs a reply is generated on every CPU when no other task is
runnable as it starts, else (and on bigger machines) on half of them. Thread counts do not change the answers
(the 54 eval answers are the same on 1 and 2 threads).
"""

from __future__ import annotations

import os
import time
from pathlib import Path

LOADAVG = Path("/proc/loadavg")
# Machines with more CPUs than this keep half of them even when idle: half is then at least 3 threads, and their
# logical CPUs often come in pairs sharing a core (half is one per core, as llama.cpp's own default).
ALL_CPUS_UP_TO = 4


def cpu_count() -> int:
    """The CPUs this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def half_the_cpus() -> int:
    return max(1, cpu_count() // 2)


def other_runnable_tasks(loadavg: Path | None = None, samples: int = 3) -> int | None:
    """Tasks other than the caller that are running or waiting for a CPU now (Linux's `/proc/loadavg`): the fewest
    of a few readings ~1 ms apart, so that a task which runs for a moment does not count. None where unknown."""
    counts = []
    for sample in range(samples):
        if sample:
            time.sleep(0.001)
        try:
            text = (loadavg or LOADAVG).read_text()
            counts.append(int(text.split()[3].split("/")[0]) - 1)  # the caller is running
        except (OSError, ValueError, IndexError):
            return None
    return max(0, min(counts))


def generation_threads(loadavg: Path | None = None) -> int:
    """Every CPU when there are at most `ALL_CPUS_UP_TO` and nothing else is runnable now, else half of them (at
    least 1)."""
    if cpu_count() <= ALL_CPUS_UP_TO and other_runnable_tasks(loadavg) == 0:
        return cpu_count()
    return half_the_cpus()
