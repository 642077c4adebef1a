"""Work spread over the cores in order: the one way pa-trade runs threads (the microdata
reader's pieces of a file, the chunks of a long csv). Pandas-free."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator


def made_in_order(make: Callable, items: Iterable, ahead_per_core: int = 1) -> Iterator:
    """make(item) of each item (taken as they come), yielded in the items' order, made on
    every core at once: Arrow and numpy let go of Python's lock while they work. No more
    than `ahead_per_core` results per core wait ahead of the one yielded, so that memory
    holds a few at a time. On one core, each is made in turn here.

    An error in make() comes out where its result would; stopped early (an error, a closed
    pipe), nothing more is started and the work under way is let finish."""
    from concurrent.futures import ThreadPoolExecutor

    workers = os.cpu_count() or 1
    if workers <= 1:
        for item in items:
            yield make(item)
        return
    with ThreadPoolExecutor(max_workers=workers) as pool:
        pending = []
        try:
            for item in items:
                pending.append(pool.submit(make, item))
                while len(pending) > ahead_per_core * workers:
                    yield pending.pop(0).result()
            while pending:
                yield pending.pop(0).result()
        finally:
            for future in pending:
                future.cancel()
