"""Time `pa-trade balance` on a tidy flows CSV (pa-trade's own layout) against DuckDB and polars.

    python bench/tidy_bench.py --rows 1000000                      # generate, time, check
    python bench/tidy_bench.py --rows 5000000 10000000 --duplicates 0.01 --json r.json
    python bench/tidy_bench.py --rows 5000000 --before /tmp/before/src   # and an older tree

For each size, make_tidy.py writes a file of N distinct flows (and, with `--duplicates F`, the
same file with a share F of its rows repeated, some with another figure), and every command
runs in its own process, round-robin, `--repeat` times (the table gives the median):

    pa-trade cold   pa-trade balance colombia -d FILE -f csv --no-cache
    pa-trade warm   the same without --no-cache, after one priming run filled the cache
    before cold     the cold command with another pa-trade source tree first on the path
                    (--before SRC: the tree's `src` folder), for the figures of a change
    duckdb, polars  bench/reference_tidy.py: the same balance in that engine

Times are end to end, interpreter start included; peak memory is each process's own maximum
resident set (os.wait4). The files are read once before timing, so every command finds them
in the OS page cache. PA_TRADE_HOME points at a scratch folder. Checks: cold and warm give
the same bytes, and every reference (and the older tree) the same exports and imports per
(partner, year), to the cent; a disagreement ends the run with exit status 1.

The helpers are run.py's (run_command, Timing, read_balance, compare, machine).
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path

from run import (
    BenchError,
    Timing,
    compare,
    disagreed,
    end_run,
    new_report,
    read_balance,
    read_through,
    render_targets,
    run_command,
    slug,
)

BENCH = Path(__file__).resolve().parent
GENERATOR = BENCH / "make_tidy.py"
REFERENCE = BENCH / "reference_tidy.py"
NAMES = ["pa-trade cold", "pa-trade warm", "before cold", "duckdb", "polars"]
COLD_LIMIT = 1.5  # x DuckDB
WARM_LIMIT = 0.25  # x cold
MEMORY_LIMIT_MB = 1000.0
GROWTH_LIMIT = 1.1  # x the rows ratio: 10M may take 2.2 x 5M


def generate(rows: int, duplicates: float, path: Path, seed: int) -> float:
    """Write `path` unless a stamp says it is there -> seconds spent (0 when reused)."""
    stamp = path.with_name(path.name + ".stamp.json")
    wanted = {"rows": rows, "duplicates": duplicates, "seed": seed,
              "generator": hashlib.sha256(GENERATOR.read_bytes()).hexdigest()[:16]}
    if path.is_file() and stamp.is_file() and json.loads(stamp.read_text()) == wanted:
        print(f"reusing {path}", flush=True)
        return 0.0
    print(f"generating {path} ...", flush=True)
    started = time.perf_counter()
    done = subprocess.run([sys.executable, str(GENERATOR), "--rows", str(rows), "--out",
                           str(path), "--duplicates", str(duplicates), "--seed", str(seed)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        raise BenchError(f"the generator failed:\n{done.stderr.strip()}")
    stamp.write_text(json.dumps(wanted))
    return time.perf_counter() - started


def commands(path: Path, outputs: Path) -> dict[str, list[str]]:
    python = sys.executable
    balance = [python, "-m", "pa_trade", "balance", "colombia", "-d", str(path), "-f", "csv"]
    return {
        "pa-trade cold": balance + ["--no-cache"],
        "pa-trade warm": balance,
        "before cold": balance + ["--no-cache"],
        **{name: [python, str(REFERENCE), name, str(path), "--out",
                  str(outputs / f"{slug(name)}.csv")] for name in ("duckdb", "polars")},
    }


def bench_file(path: Path, rows: int, duplicates: float, args, scratch: Path) -> dict:
    """Time every command on one file and check their numbers -> the results."""
    names = [n for n in NAMES if n not in args.skip
             and (n != "before cold" or args.before is not None)
             and (n != "polars" or importlib.util.find_spec("polars") is not None)]
    home, outputs = scratch / "home", scratch / "out"
    shutil.rmtree(home, ignore_errors=True)
    outputs.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env.update(PA_TRADE_HOME=str(home), PYTHONPYCACHEPREFIX=str(scratch / "pycache"))
    env_before = dict(env, PYTHONPATH=str(args.before) if args.before else "",
                      PYTHONPYCACHEPREFIX=str(scratch / "pycache-before"))
    argvs = commands(path, outputs)
    timings = {name: Timing(argvs[name]) for name in names}

    def out(name: str, suffix: str) -> Path:
        return outputs / (slug(name) + suffix)

    def once(name: str):
        return run_command(argvs[name], env_before if name == "before cold" else env,
                           out(name, ".out"), out(name, ".err"), scratch)

    read_through([path])
    load_before = os.getloadavg()
    priming = None
    if "pa-trade warm" in names:
        print("priming pa-trade's cache ...", flush=True)
        priming = once("pa-trade warm")
    for round_ in range(args.repeat):
        for name in names:
            sample = once(name)
            timings[name].samples.append(sample)
            print(f"  run {round_ + 1}/{args.repeat}  {name:<14} {sample.wall_s:8.3f} s"
                  f"  {sample.max_rss_mb:7.0f} MB", flush=True)
    load_after = os.getloadavg()

    ours = read_balance(out("pa-trade cold", ".out"))
    checks = []
    if "pa-trade warm" in names:
        same = out("pa-trade warm", ".out").read_bytes() == out("pa-trade cold",
                                                                 ".out").read_bytes()
        checks.append({"against": "pa-trade warm", "identical_output": same,
                       "disagreements": 0 if same else 1})
    if "before cold" in names:
        same = out("before cold", ".out").read_bytes() == out("pa-trade cold",
                                                               ".out").read_bytes()
        same_report = out("before cold", ".err").read_bytes() == out("pa-trade cold",
                                                                      ".err").read_bytes()
        checks.append({"against": "before cold", "identical_output": same,
                       "identical_load_report": same_report,
                       "disagreements": 0 if same and same_report else 1})
    for name in ("duckdb", "polars"):
        if name in names:
            checks.append(compare(name, ours, read_balance(out(name, ".csv"))))
    result = {
        "rows": rows, "duplicates": duplicates,
        "file": {"path": str(path), "bytes": path.stat().st_size},
        "repeat": args.repeat,
        "load_average_before": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in load_after],
        "timings": {name: t.summary() for name, t in timings.items()},
        "priming_run": asdict(priming) if priming else None,
        "checks": checks,
    }
    result["ratios"], result["targets"] = ratios_and_targets(timings)
    return result


def ratios_and_targets(timings: dict[str, Timing]) -> tuple[dict, list[dict]]:
    median = {name: t.median for name, t in timings.items()}
    ratios, targets = {}, []

    def target(name: str, value: float, limit: float, unit: str) -> None:
        targets.append({"target": name, "value": round(value, 3 if unit != "MB" else 0),
                        "limit": limit, "unit": unit, "met": value <= limit})

    cold = median["pa-trade cold"]
    if "duckdb" in median:
        ratios["cold / duckdb"] = round(cold / median["duckdb"], 3)
        target(f"cold balance <= {COLD_LIMIT} x DuckDB", cold / median["duckdb"], COLD_LIMIT,
               "x")
    if "polars" in median:
        ratios["cold / polars"] = round(cold / median["polars"], 3)
    if "before cold" in median:
        ratios["before / cold"] = round(median["before cold"] / cold, 3)
        if "duckdb" in median:
            ratios["before / duckdb"] = round(median["before cold"] / median["duckdb"], 3)
    if "pa-trade warm" in median:
        ratios["warm / cold"] = round(median["pa-trade warm"] / cold, 3)
        target(f"warm balance <= {WARM_LIMIT} x cold", median["pa-trade warm"] / cold,
               WARM_LIMIT, "x")
    peak = max(s.max_rss_mb for n in ("pa-trade cold", "pa-trade warm") if n in timings
               for s in timings[n].samples)
    target("pa-trade peak memory <= 1 GB", peak, MEMORY_LIMIT_MB, "MB")
    return ratios, targets


def growth(results: list[dict]) -> list[dict]:
    """Cold time of each larger file over the smallest of the same duplicates share."""
    found = []
    for share in sorted({r["duplicates"] for r in results}):
        timed = sorted((r for r in results if r["duplicates"] == share), key=lambda r: r["rows"])
        for large in timed[1:]:
            small = timed[0]
            rows = large["rows"] / small["rows"]
            ratio = (large["timings"]["pa-trade cold"]["median_s"]
                     / small["timings"]["pa-trade cold"]["median_s"])
            found.append({"target": f"{large['rows']:,} rows <= {GROWTH_LIMIT * rows:.2f} x "
                                    f"{small['rows']:,} rows (cold"
                                    f"{f', {share:.0%} repeated' if share else ''})",
                          "value": round(ratio, 3), "limit": round(GROWTH_LIMIT * rows, 3),
                          "unit": "x", "met": ratio <= GROWTH_LIMIT * rows})
    for result in results:  # what repeated rows cost, against the file without them
        if result["duplicates"]:
            clean = next((r for r in results if r["rows"] == result["rows"]
                          and not r["duplicates"]), None)
            if clean:
                ratio = (result["timings"]["pa-trade cold"]["median_s"]
                         / clean["timings"]["pa-trade cold"]["median_s"])
                found.append({"target": f"{result['duplicates']:.0%} repeated rows cost "
                                        f"(cold, {result['rows']:,} rows)",
                              "value": round(ratio, 3), "limit": GROWTH_LIMIT, "unit": "x",
                              "met": ratio <= GROWTH_LIMIT})
    return found


def render(result: dict) -> str:
    share = f", {result['duplicates']:.0%} of rows repeated" if result["duplicates"] else ""
    lines = [f"== {result['rows']:,} flows{share} ({Path(result['file']['path']).name} "
             f"{result['file']['bytes'] / 1e6:,.0f} MB); median of {result['repeat']} runs ==",
             f"load average before/after: {result['load_average_before'][0]:.2f} / "
             f"{result['load_average_after'][0]:.2f}",
             f"{'command':<16}{'median s':>10}{'min s':>10}{'max s':>10}{'cpu s':>9}"
             f"{'peak MB':>10}"]
    for name, t in result["timings"].items():
        lines.append(f"{name:<16}{t['median_s']:>10.3f}{t['min_s']:>10.3f}{t['max_s']:>10.3f}"
                     f"{t['cpu_median_s']:>9.2f}{t['max_rss_mb']:>10.0f}")
    if result["priming_run"]:
        p = result["priming_run"]
        lines.append(f"(priming run, parse + write cache: {p['wall_s']:.3f} s, "
                     f"{p['max_rss_mb']:.0f} MB)")
    lines.append("ratios: " + ", ".join(f"{k} = {v:.2f}" for k, v in result["ratios"].items()))
    for c in result["checks"]:
        if "identical_output" in c:
            said = "identical output" if c["identical_output"] else "OUTPUT DIFFERS"
            if "identical_load_report" in c:
                said += (", identical load report" if c["identical_load_report"]
                         else ", LOAD REPORT DIFFERS")
            lines.append(f"check vs {c['against']}: {said}")
        else:
            verdict = "same to the cent" if not c["disagreements"] else (
                f"{c['disagreements']} DISAGREEMENTS: " + "; ".join(c["first"]))
            lines.append(f"check vs {c['against']}: {c['keys']} (partner, year) pairs, {verdict}"
                         f" (largest difference {c['max_difference_usd']} USD)")
    lines.extend(render_targets(result["targets"]))
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, nargs="+", required=True, metavar="N")
    parser.add_argument("--duplicates", type=float, default=0.0, metavar="F",
                        help="also time each size with a share F of its rows repeated")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=16)
    parser.add_argument("--data-dir", type=Path,
                        help="keep generated files here and reuse them (default: a temporary "
                             "folder, deleted at the end)")
    parser.add_argument("--before", type=Path, metavar="SRC",
                        help="also time the cold balance with this pa-trade `src` folder")
    parser.add_argument("--skip", action="append", default=[], choices=NAMES[1:],
                        help="leave a command out (repeatable)")
    parser.add_argument("--json", type=Path, help="write the results as JSON here")
    args = parser.parse_args()
    if min(args.rows) < 1 or args.repeat < 1:
        parser.error("--rows and --repeat must be at least 1")

    scratch = Path(tempfile.mkdtemp(prefix="pa-trade-tidy-bench-"))
    data = args.data_dir or scratch / "data"
    data.mkdir(parents=True, exist_ok=True)
    report = new_report(results=[])
    status = 0
    try:
        for rows in args.rows:
            for share in ([0.0, args.duplicates] if args.duplicates else [0.0]):
                name = f"tidy-{rows}" + (f"-repeated-{share:g}" if share else "") + ".csv"
                took = generate(rows, share, data / name, args.seed)
                result = bench_file(data / name, rows, share, args, scratch)
                result["generation_s"] = round(took, 1)
                report["results"].append(result)
                print(render(result), flush=True)
        report["growth"] = growth(report["results"])
        for line in render_targets(report["growth"]):
            print(line)
        if disagreed(report["results"]):
            status = 1
    except (BenchError, OSError) as exc:
        print(f"bench: {exc}", file=sys.stderr)
        status = 1
    finally:
        end_run(report, scratch, args.json)
    sys.exit(status)


if __name__ == "__main__":
    main()
