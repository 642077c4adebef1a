"""Memory freed is given back to the system (pa_trade.memory), as products on millions of
rows relies on to stay within its bound."""

from __future__ import annotations

import subprocess
import sys

import pytest

from pa_trade.memory import give_back

# in a process of its own: a test process's heap has holes of its own to reuse
FREED_IN_THE_HEAP = """
from pa_trade.memory import give_back

def resident_mb():
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024

# many blocks below glibc's mmap threshold, each followed by a small one that is kept:
# freed, they are holes in the heap (its top cannot shrink past the ones kept) that stay
# resident until given back
blocks, kept = [], []
for _ in range(3000):  # ~190 MB, each page written
    blocks.append(bytearray(65536))
    blocks[-1][::4096] = b"x" * 16
    kept.append(bytearray(64))
del blocks
before = resident_mb()
give_back()
print(before, resident_mb(), len(kept))
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc_trim")
def test_memory_freed_in_the_middle_of_the_heap_leaves_the_process():
    done = subprocess.run([sys.executable, "-c", FREED_IN_THE_HEAP], capture_output=True,
                          text=True, check=True)
    before, after, kept = done.stdout.split()
    assert kept == "3000" and float(before) - float(after) > 50, done.stdout


def test_giving_back_twice_or_with_arrow_loaded_is_harmless():
    import pyarrow as pa

    assert pa.array(list(range(100000))).sum().as_py() == 4999950000
    give_back()
    give_back()
    assert pa.array([1, 2]).sum().as_py() == 3
