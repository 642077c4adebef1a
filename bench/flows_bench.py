"""`pa-trade flows -f csv` on DANE microdata against DuckDB and polars (issue 16).

    python bench/flows_bench.py --rows 5000000 [--data-dir /tmp/dane-5m] [--repeat 3]
        [--json bench/results/DATE-flows-5m.json]

Generates (or reuses) N-row EXPO and IMPO files with make_microdata.py, then runs, round
robin, each in its own process: pa-trade cold (`flows -d expo -d impo --no-cache -o
FILE`), pa-trade warm (the same with the caches of parsed files and of results, after a priming
run), and
reference_flows.py with DuckDB and with polars (the same sums per partner, month, flow,
valuation and tariff code, written as CSV). Medians, CPU time and peak memory per command,
then the check: pa-trade's rows and every reference's give the same number of rows and the
same sum, to the cent, for every (partner, year, month, flow, valuation), and the warm
output is byte for byte the cold one.
"""

from __future__ import annotations

import argparse
import csv
import filecmp
import importlib.util
import os
import sys
import tempfile
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import (  # noqa: E402  (bench/ is no package)
    BENCH,
    COUNTRIES,
    BenchError,
    Timing,
    end_checked_run,
    generate,
    machine,
    read_through,
    run_command,
    scratch_folders,
)

CENT = Decimal("0.005")


def commands(expo: Path, impo: Path, outputs: Path) -> dict[str, list[str]]:
    python = sys.executable
    flows = [python, "-m", "pa_trade", "flows", "-d", str(expo), "-d", str(impo), "-q"]
    reference = [python, str(BENCH / "reference_flows.py"), str(expo), str(impo),
                 "--countries", str(COUNTRIES)]
    return {
        "pa-trade cold": flows + ["--no-cache", "-o", str(outputs / "cold.csv")],
        "pa-trade warm": flows + ["-o", str(outputs / "warm.csv")],
        "duckdb": reference + ["--engine", "duckdb", "--out", str(outputs / "duckdb.csv")],
        "polars": reference + ["--engine", "polars", "--out", str(outputs / "polars.csv")],
    }


def sums(path: Path, pa_trade: bool) -> dict[tuple, list]:
    """(partner, year, month, flow, valuation) -> [rows, total] of a flows CSV."""
    out: dict[tuple, list] = {}
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            key = (row["partner"], int(row["year"]), int(row["month"]), row["flow"],
                   row["valuation"])
            entry = out.setdefault(key, [0, Decimal(0)])
            entry[0] += 1
            entry[1] += Decimal(row["value_usd"])
    return out


def compare(name: str, ours: dict, theirs: dict) -> dict:
    differ = [key for key in sorted(set(ours) | set(theirs))
              if key not in ours or key not in theirs or ours[key][0] != theirs[key][0]
              or abs(ours[key][1] - theirs[key][1]) >= CENT]
    return {"reference": name, "groups": len(theirs), "rows": sum(v[0] for v in theirs.values()),
            "differ": len(differ), "first_differences": [str(k) for k in differ[:5]]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, required=True)
    parser.add_argument("--data-dir", type=Path)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    folder = args.data_dir or Path(tempfile.mkdtemp(prefix="pa-trade-flows-"))
    generate(args.rows, folder, args.seed, 2015, 2023)
    expo, impo = folder / "expo.csv", folder / "impo.csv"
    scratch = Path(tempfile.mkdtemp(prefix="pa-trade-flows-run-"))
    _, outputs, env = scratch_folders(scratch)
    argvs = commands(expo, impo, outputs)
    names = [n for n in argvs if n != "polars" or importlib.util.find_spec("polars")]
    timings = {name: Timing(argvs[name]) for name in names}
    read_through([expo, impo])
    run_command(argvs["pa-trade warm"], env, scratch / "prime.out", scratch / "prime.err",
                scratch)  # fills the caches of parsed files and of results
    load_before = os.getloadavg()
    for round_ in range(args.repeat):
        for name in names:
            sample = run_command(argvs[name], env, scratch / f"{name}.out",
                                 scratch / f"{name}.err", scratch)
            timings[name].samples.append(sample)
            print(f"  run {round_ + 1}/{args.repeat}  {name:<14} {sample.wall_s:8.3f} s"
                  f"  {sample.max_rss_mb:7.0f} MB", flush=True)
    if not filecmp.cmp(outputs / "cold.csv", outputs / "warm.csv", shallow=False):
        raise BenchError("the warm output is not the cold one")
    ours = sums(outputs / "cold.csv", True)
    # the World rows are pa-trade's own total of every line (mapped or not): no reference
    # has them, the balance benchmark checks them
    ours = {key: value for key, value in ours.items() if key[0] != "WLD"}
    checks = [compare(name, ours, sums(outputs / f"{name}.csv", False))
              for name in ("duckdb", "polars") if name in names]
    cold = timings["pa-trade cold"].median
    result = {
        "machine": machine(), "rows_per_file": args.rows,
        "load_average_before": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
        "timings": {name: t.summary() for name, t in timings.items()},
        "ratios": {
            "cold / duckdb": round(cold / timings["duckdb"].median, 3),
            **({"cold / polars": round(cold / timings["polars"].median, 3)}
               if "polars" in names else {}),
            "warm / cold": round(timings["pa-trade warm"].median / cold, 3),
        },
        "checks": checks,
    }
    end_checked_run(result, timings, scratch, args.json)


if __name__ == "__main__":
    main()
