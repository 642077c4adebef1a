"""`pa-trade --help` start-up of two source trees, interleaved, medians (issue 12: the move
into cli/, render/ and reference/ must keep `--help` as fast as before).

    git worktree add /tmp/before <commit>
    python bench/help_time.py --before /tmp/before/src --after src --repeat 30
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time


def once(src: str) -> float:
    env = {**os.environ, "PYTHONPATH": src}
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "pa_trade", "--help"], env=env,
                   stdout=subprocess.DEVNULL, check=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--before", required=True, help="the src folder of the old tree")
    parser.add_argument("--after", default="src", help="the src folder of the new tree")
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    times: dict[str, list[float]] = {"before": [], "after": []}
    once(args.before), once(args.after)  # bytecode compiled, files in the page cache
    for _ in range(args.repeat):
        times["before"].append(once(args.before))
        times["after"].append(once(args.after))
    before, after = (statistics.median(times[k]) for k in ("before", "after"))
    print(f"--help, median of {args.repeat}: before {before * 1000:.1f} ms, after "
          f"{after * 1000:.1f} ms, ratio {after / before:.2f}")


if __name__ == "__main__":
    main()
