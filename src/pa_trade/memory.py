"""Memory given back to the system once a large table's work is done. Pandas-free.

Freed arrays stay with the process: numpy's below glibc's mmap threshold (which grows up to
32 MB as large arrays come and go) and Arrow's in its own pool (mimalloc or jemalloc). On
millions of rows that is a third of the loaded table left resident, on top of which the
next step then builds. There is no library for this: glibc's malloc_trim (through ctypes)
and Arrow's own release_unused are the calls, each a few milliseconds.
"""

from __future__ import annotations

import sys

_TRIM = None  # glibc's malloc_trim, found on first use (False: there is none)


def give_back() -> None:
    """Return the memory freed so far to the system, where the platform allows it (glibc
    and Arrow's pool); a no-op elsewhere."""
    global _TRIM
    if _TRIM is None:
        _TRIM = False
        if sys.platform.startswith("linux"):
            import ctypes

            try:  # the C library the process runs on, found without a search
                _TRIM = ctypes.CDLL(None).malloc_trim
                _TRIM.argtypes, _TRIM.restype = [ctypes.c_size_t], ctypes.c_int
            except (OSError, AttributeError):  # musl and others: no malloc_trim
                _TRIM = False
    if _TRIM:
        _TRIM(0)
    arrow = sys.modules.get("pyarrow")  # only when Arrow is in use already
    if arrow is not None:
        arrow.default_memory_pool().release_unused()
