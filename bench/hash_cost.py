"""What the whole-file hash costs (issue 11, items 4-5), against reading and parsing the file.

    python bench/hash_cost.py --rows 5000000

Two files of the same size whose first and last bytes agree are compared by every byte:
pa-trade streams a BLAKE2b hash over each (textio.SourceFile.content_digest). This measures
that hash on an N-row EXPO file against reading its bytes alone and against a cold
`balance` of the same file, medians of --repeat runs, the file in the OS page cache.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
BLOCK = 4 * 1024 * 1024


def read_only(path: Path) -> None:
    with path.open("rb") as stream:
        while stream.read(BLOCK):
            pass


def blake(path: Path) -> None:
    digest = hashlib.blake2b(digest_size=32)
    with path.open("rb") as stream:
        while block := stream.read(BLOCK):
            digest.update(block)


def cold_balance(path: Path, home: Path) -> None:
    subprocess.run([sys.executable, "-m", "pa_trade", "balance", "colombia", "-d", str(path),
                    "-f", "csv", "--no-cache", "-q"], check=True, stdout=subprocess.DEVNULL,
                   env={**os.environ, "PA_TRADE_HOME": str(home)})


def median_time(action, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        scratch = Path(scratch)
        subprocess.run([sys.executable, str(HERE / "make_microdata.py"), "--rows",
                        str(args.rows), "--out", str(scratch)], check=True,
                       stdout=subprocess.DEVNULL)
        expo = scratch / "expo.csv"
        read_only(expo)  # into the page cache
        size = expo.stat().st_size / 1e6
        read = median_time(lambda: read_only(expo), args.repeat)
        hashed = median_time(lambda: blake(expo), args.repeat)
        parsed = median_time(lambda: cold_balance(expo, scratch / "home"), args.repeat)
    print(f"{args.rows:,} rows, {size:,.0f} MB: read {read:.2f} s, BLAKE2b {hashed:.2f} s "
          f"({size / hashed:,.0f} MB/s), cold balance {parsed:.2f} s; the hash is "
          f"{hashed / parsed:.2f} x a cold balance")


if __name__ == "__main__":
    main()
