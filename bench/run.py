"""Time `pa-trade balance` on DANE microdata against DuckDB and plain pandas, in one run.

    python bench/run.py --rows 5000000                 # generate 5M-row EXPO/IMPO, time, check
    python bench/run.py --rows 5000000 10000000        # both sizes, and the 10M/5M ratio
    python bench/run.py --expo EXPO.csv --impo IMPO.csv --json result.json

Every command runs in its own process started with this interpreter, so each time is end to
end, interpreter start included; the table gives the median, min and max of `--repeat` runs,
taken round-robin so that a burst of load on the machine hits every command alike:

    pa-trade cold   pa-trade balance colombia -d expo -d impo --format csv --no-cache
    pa-trade warm   the same without --no-cache, after one priming run filled the cache
    duckdb          bench/reference_duckdb.py: the same sums in DuckDB
    pandas          bench/reference_pandas.py: pd.read_csv defaults, then groupby
    arrow floor     bench/reference_arrow.py: pyarrow's CSV reader with every cell converted
                    by Arrow and no checks, the least an Arrow-based reader can cost
    polars          bench/reference_polars.py: the same in polars, when it is installed
    pa-trade zip    with --zip: the same as cold on expo.zip and impo.zip (each CSV deflated
                    in a ZIP, as DANE ships its files), read in place
    unzip           with --zip: bench/reference_unzip.py, the decompression alone
    help, .pyc      pa-trade --help with bytecode cached (only when PYTHONDONTWRITEBYTECODE
                    is set, which makes every start compile pa-trade's modules again)
    pa-trade help   pa-trade --help, with PYTHONDONTWRITEBYTECODE as the environment has it

Every command but "pa-trade help" runs with bytecode cached, as a copy installed by pip has
it (PYTHONDONTWRITEBYTECODE, set in some sandboxes, is dropped for them).
    python          python -c pass: the interpreter's own start, for scale

Peak memory is each process's own maximum resident set (os.wait4). The files are read once
before timing, so every command finds them in the OS page cache: "cold" means pa-trade's
caches (of parsed files, of results) are not used, not that the disk is. PA_TRADE_HOME
points at a scratch folder, so the user's own cache is never read or written.

Checks: pa-trade (cold and warm) and the references must give the same exports and imports
per (partner, year) to the cent; codes the country table does not map are listed. A command
that fails, or numbers that disagree, end the run with exit status 1.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import importlib.util
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from importlib import metadata
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
COUNTRIES = ROOT / "data" / "countries.csv"
GENERATOR = BENCH / "make_microdata.py"
NAMES = ["pa-trade cold", "pa-trade warm", "pa-trade zip", "unzip", "duckdb", "pandas",
         "arrow floor", "polars", "pa-trade help", "help, .pyc", "python"]
SKIPPABLE = {"warm": "pa-trade warm", "duckdb": "duckdb", "pandas": "pandas",
             "arrow": "arrow floor", "polars": "polars", "help": "pa-trade help",
             "python": "python"}
REFERENCES = {"duckdb": "reference_duckdb.py", "pandas": "reference_pandas.py",
              "arrow floor": "reference_arrow.py", "polars": "reference_polars.py"}
MEMORY_LIMIT_MB = 1000.0  # 1 GB
HELP_LIMIT_S = 0.15
CENT = Decimal("0.005")  # equal to the cent: the same once rounded to cents


class BenchError(Exception):
    """A command failed or the tools disagree: the run is not valid."""


@dataclass
class Sample:
    """One run of one command."""

    wall_s: float
    cpu_s: float
    max_rss_mb: float


@dataclass
class Timing:
    """Every run of one command, and its median, min and max."""

    command: list[str]
    samples: list[Sample] = field(default_factory=list)

    @property
    def walls(self) -> list[float]:
        return [s.wall_s for s in self.samples]

    @property
    def median(self) -> float:
        return statistics.median(self.walls)

    def summary(self) -> dict:
        return {
            "median_s": round(self.median, 4),
            "min_s": round(min(self.walls), 4),
            "max_s": round(max(self.walls), 4),
            "cpu_median_s": round(statistics.median(s.cpu_s for s in self.samples), 4),
            "max_rss_mb": round(max(s.max_rss_mb for s in self.samples), 1),
            "runs": [asdict(s) for s in self.samples],
            "command": self.command,
        }


def run_command(argv: list[str], env: dict, out: Path, err: Path, cwd: Path) -> Sample:
    """Run `argv` to the end -> its wall time, CPU time and peak memory; BenchError if it
    fails (with its stderr)."""
    with out.open("wb") as stdout, err.open("wb") as stderr:
        started = time.perf_counter()
        process = subprocess.Popen(argv, stdout=stdout, stderr=stderr, env=env, cwd=cwd)
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        text = err.read_text(encoding="utf-8", errors="replace").strip()
        raise BenchError(f"{' '.join(argv)}\nexited with status {process.returncode}:\n{text}")
    # ru_maxrss is in KiB on Linux
    return Sample(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss * 1024 / 1e6)


def read_balance(path: Path) -> dict[tuple[str, int], tuple[Decimal | None, Decimal | None]]:
    """(partner, year) -> (exports, imports) from pa-trade's or a reference's CSV."""
    table = {}
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            key = (row["partner"], int(row["year"]))
            if key in table:
                raise BenchError(f"{path}: ({key[0]}, {key[1]}) appears twice")
            table[key] = tuple(Decimal(row[c]) if row[c] else None
                               for c in ("exports_usd", "imports_usd"))
    if not table:
        raise BenchError(f"{path}: no rows")
    return table


def compare(name: str, ours: dict, reference: dict) -> dict:
    """How `ours` differs from `reference`: keys missing on either side, largest
    difference, and the first disagreements."""
    keys = sorted(set(ours) | set(reference))
    disagree, largest = [], Decimal(0)
    for key in keys:
        for flow, a, b in zip(("exports", "imports"), ours.get(key, (None, None)),
                              reference.get(key, (None, None)), strict=True):
            if (a is None) != (b is None):
                disagree.append(f"{key[0]} {key[1]} {flow}: {a} vs {b}")
            elif a is not None:
                largest = max(largest, abs(a - b))
                if abs(a - b) >= CENT:
                    disagree.append(f"{key[0]} {key[1]} {flow}: {a} vs {b}")
    return {"against": name, "keys": len(keys), "max_difference_usd": f"{largest:f}",
            "disagreements": len(disagree), "first": disagree[:10]}


def set_aside_by_file(stderr_text: str) -> dict[str, int]:
    """Rows pa-trade set aside for an unknown country, per file, from its load report."""
    found = {}
    for match in re.finditer(r"^pa-trade: (.+?): set aside (\d+) rows \[unknown-country\]",
                             stderr_text, re.M):
        found[match.group(1)] = found.get(match.group(1), 0) + int(match.group(2))
    return found


def machine() -> dict:
    """What the numbers were measured on."""
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        cpu = platform.processor() or "unknown"
    memory = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory = round(int(line.split()[1]) * 1024 / 1e9, 1)
    except OSError:
        pass
    versions = {}
    for package in ("pa-trade", "pandas", "pyarrow", "duckdb", "numpy", "click", "polars"):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = None
    return {
        "pa_trade_source": source_state(),
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gb": memory,
        "system": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "versions": versions,
        "bytecode_writing_disabled": bool(os.environ.get("PYTHONDONTWRITEBYTECODE")),
    }


def source_state() -> str:
    """The commit pa-trade was measured at, and whether its sources had local changes."""
    try:
        commit = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
                                capture_output=True, text=True, check=True).stdout.strip()
        changed = subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain", "src", "data"],
                                 capture_output=True, text=True, check=True).stdout.split("\n")
    except (OSError, subprocess.CalledProcessError):
        return "unknown (not a git checkout)"
    changed = [line for line in changed if line.strip()]
    return commit + (f" with {len(changed)} uncommitted change(s) in src/ or data/"
                     if changed else "")


def generate(rows: int, folder: Path, seed: int, first_year: int, last_year: int) -> float:
    """Write folder/expo.csv and folder/impo.csv unless a stamp says they are there ->
    seconds spent (0 when reused)."""
    stamp = folder / "stamp.json"
    wanted = {"rows": rows, "seed": seed, "first_year": first_year, "last_year": last_year,
              "generator": hashlib.sha256(GENERATOR.read_bytes()).hexdigest()[:16]}
    if (stamp.is_file() and (folder / "expo.csv").is_file() and (folder / "impo.csv").is_file()
            and json.loads(stamp.read_text()) == wanted):
        print(f"reusing {folder}/expo.csv and impo.csv ({rows:,} rows each)", flush=True)
        return 0.0
    print(f"generating {rows:,} rows per file in {folder} ...", flush=True)
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, str(GENERATOR), "--rows", str(rows), "--out", str(folder),
         "--seed", str(seed), "--first-year", str(first_year), "--last-year", str(last_year)],
        capture_output=True, text=True)
    if done.returncode != 0:
        raise BenchError(f"the generator failed:\n{done.stderr.strip()}")
    stamp.write_text(json.dumps(wanted))
    return time.perf_counter() - started


def read_through(paths: list[Path]) -> None:
    """Read the files once, so that every command finds them in the page cache."""
    for path in paths:
        with path.open("rb") as handle:
            while handle.read(16 << 20):
                pass


def slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def zipped(paths: list[Path]) -> list[Path]:
    """Each CSV deflated alone in a ZIP beside it (made once, kept while the CSV is older)."""
    import zipfile

    out = []
    for path in paths:
        archive = path.with_suffix(".zip")
        if not archive.exists() or archive.stat().st_mtime < path.stat().st_mtime:
            partial = archive.with_suffix(".zip.part")
            with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED) as handle:
                handle.write(path, path.name)
            partial.replace(archive)
        out.append(archive)
    return out


def commands(expo: Path, impo: Path, outputs: Path) -> dict[str, list[str]]:
    python = sys.executable
    balance = [python, "-m", "pa_trade", "balance", "colombia", "--data", str(expo),
               "--data", str(impo), "--format", "csv"]
    reference = [str(expo), str(impo), "--countries", str(COUNTRIES), "--out"]
    expo_zip, impo_zip = expo.with_suffix(".zip"), impo.with_suffix(".zip")
    return {
        "pa-trade cold": balance + ["--no-cache"],
        "pa-trade warm": balance,
        "pa-trade zip": [python, "-m", "pa_trade", "balance", "colombia", "--data",
                         str(expo_zip), "--data", str(impo_zip), "--format", "csv",
                         "--no-cache"],
        "unzip": [python, str(BENCH / "reference_unzip.py"), str(expo_zip), str(impo_zip)],
        **{name: [python, str(BENCH / script), *reference, str(outputs / f"{slug(name)}.csv")]
           for name, script in REFERENCES.items()},
        "pa-trade help": [python, "-m", "pa_trade", "--help"],
        "help, .pyc": [python, "-m", "pa_trade", "--help"],
        "python": [python, "-c", "pass"],
    }


def bench_files(expo: Path, impo: Path, rows: int | None, args, scratch: Path) -> dict:
    """Time every command on one pair of files and check their numbers -> the results."""
    skipped = {SKIPPABLE[s] for s in args.skip}
    if args.zip:
        zipped([expo, impo])
    else:
        skipped |= {"pa-trade zip", "unzip"}
    if "help" in args.skip or not os.environ.get("PYTHONDONTWRITEBYTECODE"):
        skipped.add("help, .pyc")
    if importlib.util.find_spec("polars") is None:
        skipped.add("polars")
    names = [n for n in NAMES if n not in skipped]
    home, outputs = scratch / "home", scratch / "out"
    shutil.rmtree(home, ignore_errors=True)
    outputs.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, PA_TRADE_HOME=str(home))
    # with PYTHONDONTWRITEBYTECODE set (as in some sandboxes) an editable install compiles
    # pa-trade's modules at every start, which no installed copy does (pip compiles them):
    # every command runs with bytecode cached, as installed; "pa-trade help" without it
    env_pyc = {k: v for k, v in env.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env_pyc["PYTHONPYCACHEPREFIX"] = str(scratch / "pycache")
    argvs = commands(expo, impo, outputs)
    timings = {name: Timing(argvs[name]) for name in names}

    def out_path(name: str, suffix: str) -> Path:
        return outputs / (slug(name) + suffix)

    def once(name: str) -> Sample:
        return run_command(argvs[name], env if name == "pa-trade help" else env_pyc,
                           out_path(name, ".out"), out_path(name, ".err"), scratch)

    read_through([expo, impo] + ([expo.with_suffix(".zip"), impo.with_suffix(".zip")]
                                 if args.zip else []))
    load_before = os.getloadavg()
    priming = None
    if "pa-trade warm" in names:
        print("priming pa-trade's cache ...", flush=True)
        priming = once("pa-trade warm")
        if not any((home / "cache").rglob("*.parquet")):
            raise BenchError(f"the priming run left no Parquet file under {home / 'cache'}")
    if "help, .pyc" in names:
        once("help, .pyc")  # compiles the modules into the scratch pycache
    for round_ in range(args.repeat):
        for name in names:
            sample = once(name)
            timings[name].samples.append(sample)
            print(f"  run {round_ + 1}/{args.repeat}  {name:<14} {sample.wall_s:8.3f} s"
                  f"  {sample.max_rss_mb:7.0f} MB", flush=True)
    load_after = os.getloadavg()

    checks, unmapped = check(names, out_path, expo, impo)
    result = {
        "rows_per_file": rows,
        "files": {"expo": {"path": str(expo), "bytes": expo.stat().st_size},
                  "impo": {"path": str(impo), "bytes": impo.stat().st_size}},
        "repeat": args.repeat,
        "load_average_before": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in load_after],
        "timings": {name: t.summary() for name, t in timings.items()},
        "priming_run": asdict(priming) if priming else None,
        "checks": checks,
        "unmapped": unmapped,
    }
    result["ratios"], result["targets"] = ratios_and_targets(timings)
    if args.profile:
        result["profile"] = profile(argvs["pa-trade cold"], env, scratch, args.profile)
    return result


def check(names, out_path, expo: Path, impo: Path) -> tuple[list[dict], dict]:
    """Compare every tool's numbers with pa-trade cold; report codes nobody could map."""
    if "pa-trade cold" not in names:
        return [], {}
    ours = read_balance(out_path("pa-trade cold", ".out"))
    checks = []
    if "pa-trade warm" in names:
        same = (out_path("pa-trade warm", ".out").read_bytes()
                == out_path("pa-trade cold", ".out").read_bytes())
        checks.append({"against": "pa-trade warm", "identical_output": same,
                       "disagreements": 0 if same else 1})
    if "pa-trade zip" in names:
        checks.append(compare("pa-trade zip", ours, read_balance(out_path("pa-trade zip",
                                                                          ".out"))))
    unmapped = {}
    for name in REFERENCES:
        if name in names:
            checks.append(compare(name, ours, read_balance(out_path(name, ".csv"))))
            summary = json.loads(out_path(name, ".out").read_text(encoding="utf-8"))
            unmapped[name] = summary
    aside = set_aside_by_file(out_path("pa-trade cold", ".err").read_text(errors="replace"))
    unmapped["pa-trade"] = {"set_aside_unknown_country": {
        "export": aside.get(str(expo), 0), "import": aside.get(str(impo), 0)}}
    return checks, unmapped


def ratios_and_targets(timings: dict[str, Timing]) -> tuple[dict, list[dict]]:
    """The ratios issue 5 asks for, and whether each target is met."""
    median = {name: t.median for name, t in timings.items()}
    ratios, targets = {}, []

    def target(name: str, value: float | None, limit: float, at_most: bool, unit: str = ""):
        if value is None:
            return
        met = value <= limit if at_most else value >= limit
        targets.append({"target": name, "value": round(value, 3 if unit != "MB" else 0),
                        "limit": limit,
                        "unit": unit, "met": met})

    cold = median.get("pa-trade cold")
    if cold and "duckdb" in median:
        ratios["cold / duckdb"] = round(cold / median["duckdb"], 3)
        target("cold balance <= 1.25 x DuckDB", cold / median["duckdb"], 1.25, True, "x")
    for floor in ("arrow floor", "polars"):
        if cold and floor in median:
            ratios[f"cold / {floor}"] = round(cold / median[floor], 3)
    if "duckdb" in median and "pandas" in median:
        ratios["pandas / duckdb"] = round(median["pandas"] / median["duckdb"], 3)
    if cold and "pandas" in median:
        ratios["pandas / cold"] = round(median["pandas"] / cold, 3)
        target("cold balance >= 3 x faster than pandas", median["pandas"] / cold, 3.0, False,
               "x")
    if cold and "pa-trade warm" in median:
        ratios["warm / cold"] = round(median["pa-trade warm"] / cold, 3)
        target("warm balance <= 0.25 x cold", median["pa-trade warm"] / cold, 0.25, True, "x")
    peaks = [max(s.max_rss_mb for s in timings[n].samples)
             for n in ("pa-trade cold", "pa-trade warm") if n in timings]
    if peaks:
        target("pa-trade peak memory <= 1 GB", max(peaks), MEMORY_LIMIT_MB, True, "MB")
    if cold and "pa-trade zip" in median and "unzip" in median:
        ratios["zip / (cold + unzip)"] = round(median["pa-trade zip"]
                                               / (cold + median["unzip"]), 3)
        target("ZIP <= cold + decompression", median["pa-trade zip"] / (cold + median["unzip"]),
               1.0, True, "x")
        if "duckdb" in median:
            ratios["zip / duckdb on the CSVs"] = round(median["pa-trade zip"]
                                                       / median["duckdb"], 3)
    if "pa-trade help" in median:
        target("pa-trade --help <= 0.15 s", median["pa-trade help"], HELP_LIMIT_S, True, "s")
    return ratios, targets


def linearity(sizes: list[dict]) -> list[dict]:
    """pa-trade cold time of each larger size over the smallest; twice the rows may take at
    most 2.2 times as long (1.1 x the rows ratio)."""
    timed = sorted((s for s in sizes if s.get("rows_per_file")
                    and "pa-trade cold" in s["timings"]), key=lambda s: s["rows_per_file"])
    found = []
    for small in timed[:1]:
        for large in timed[1:]:
            rows = large["rows_per_file"] / small["rows_per_file"]
            if rows <= 1:
                continue
            ratio = (large["timings"]["pa-trade cold"]["median_s"]
                     / small["timings"]["pa-trade cold"]["median_s"])
            found.append({"target": f"{large['rows_per_file']:,} rows <= {1.1 * rows:.2f} x "
                                    f"{small['rows_per_file']:,} rows (cold)",
                          "value": round(ratio, 3), "limit": round(1.1 * rows, 3), "unit": "x",
                          "met": ratio <= 1.1 * rows})
    return found


def profile(argv: list[str], env: dict, scratch: Path, top: int) -> list[str]:
    """One cold run under cProfile -> the top functions by cumulative and own time."""
    import io
    import pstats

    target = scratch / "cold.prof"
    profiled = [argv[0], "-m", "cProfile", "-o", str(target), *argv[1:]]
    run_command(profiled, env, scratch / "profile.out", scratch / "profile.err", scratch)
    text = io.StringIO()
    stats = pstats.Stats(str(target), stream=text)
    stats.sort_stats("cumulative").print_stats(top)
    stats.sort_stats("tottime").print_stats(top)
    return text.getvalue().splitlines()


def scratch_folders(scratch: Path) -> tuple[Path, Path, dict]:
    """(PA_TRADE_HOME, outputs folder, environment) of a bench's commands, fresh under
    `scratch`. With PYTHONDONTWRITEBYTECODE set (as in some sandboxes) every start would
    compile the modules again, which no installed copy does: bytecode is cached, in a
    scratch folder of its own."""
    home, outputs = scratch / "home", scratch / "out"
    shutil.rmtree(home, ignore_errors=True)
    shutil.rmtree(outputs, ignore_errors=True)
    outputs.mkdir(parents=True)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env.update(PA_TRADE_HOME=str(home), PYTHONPYCACHEPREFIX=str(scratch / "pycache"))
    return home, outputs, env


def case_ratios(by_name: dict) -> tuple[dict, dict, float | None]:
    """(ratios, medians by command, pa-trade's peak MB over its cold and warm runs) of one
    case's timings: cold against each engine run, and warm against cold. No cold run:
    no ratios and no peak."""
    median = {name: t.median for name, t in by_name.items()}
    cold = median.get("pa-trade cold")
    found: dict = {}
    if cold is None:
        return found, median, None
    for engine in ("duckdb", "polars"):
        if engine in median:
            found[f"cold / {engine}"] = round(cold / median[engine], 3)
    if "pa-trade warm" in median:
        found["warm / cold"] = round(median["pa-trade warm"] / cold, 3)
    peak = max(s.max_rss_mb for name in ("pa-trade cold", "pa-trade warm")
               if name in by_name for s in by_name[name].samples)
    return found, median, peak


def timing_lines(result: dict, size_digits: int) -> list[str]:
    """The timings of a products-like report as text: a header, each case's commands
    (median, min, max, CPU, peak), the priming runs and the ratios. `size_digits`: the
    decimals of the output's size in MB."""
    lines = [f"{'case / command':<20}{'median s':>10}{'min s':>10}{'max s':>10}{'cpu s':>9}"
             f"{'peak MB':>10}"]
    for case, by_name in result["timings"].items():
        size = result["output_bytes"].get(case)
        lines.append(case + (f" (pa-trade's CSV {size / 1e6:,.{size_digits}f} MB)"
                             if size else ""))
        for name, t in by_name.items():
            lines.append(f"  {name:<18}{t['median_s']:>10.3f}{t['min_s']:>10.3f}"
                         f"{t['max_s']:>10.3f}{t['cpu_median_s']:>9.2f}{t['max_rss_mb']:>10.0f}")
    for case, p in result["priming_runs"].items():
        lines.append(f"(priming run, {case}: {p['wall_s']:.3f} s, {p['max_rss_mb']:.0f} MB)")
    for case, found in result["ratios"].items():
        if found:
            lines.append(f"ratios, {case}: " + ", ".join(
                f"{k} = {v:.2f}" if isinstance(v, float) else f"{k} = {v}"
                for k, v in found.items()))
    return lines


def warm_check_line(check: dict) -> str:
    """A warm-against-cold check as text: identical output or not, and a load report on
    stderr that differs (shown, not counted)."""
    said = "identical output" if check["identical_output"] else "OUTPUT DIFFERS"
    if not check["identical_load_report"]:
        said += ("; its load report on stderr differs from cold's (not counted): "
                 + "; ".join(d if len(d) < 200 else d[:197] + "..."
                             for d in check["load_report_first"][:1]))
    return f"check {check['case']} vs {check['against']}: {said}"


def new_report(**fields) -> dict:
    """A run's report: the machine, the start time and `fields`; the machine is printed."""
    report = {"machine": machine(), "started": time.strftime("%Y-%m-%d %H:%M:%S"), **fields}
    m = report["machine"]
    print(f"machine: {m['cpu']}, {m['cores']} cores, {m['memory_gb']} GB RAM, {m['system']}; "
          f"Python {m['python']}; " + ", ".join(f"{k} {v}" for k, v in m["versions"].items())
          + f"; pa-trade at {m['pa_trade_source']}", flush=True)
    return report


def prime_and_time(cases: list[str], names: list[str], once, repeat: int, timings: dict,
                   home: Path, width: int) -> dict:
    """The priming run of each case's warm command (its cache must then hold a Parquet
    file), then `repeat` rounds of every (case, command), round robin, each sample added
    to timings[case][name] and printed. `once(case, name)` runs one and gives its Sample.
    Returns the priming samples by case."""
    priming = {}
    if "pa-trade warm" in names:
        for case in cases:
            print(f"priming pa-trade's cache ({case}) ...", flush=True)
            priming[case] = once(case, "pa-trade warm")
        if not any((home / "cache").rglob("*.parquet")):
            raise BenchError(f"the priming runs left no Parquet file under {home / 'cache'}")
    for round_ in range(repeat):
        for case in cases:
            for name in names:
                took = once(case, name)
                timings[case][name].samples.append(took)
                print(f"  run {round_ + 1}/{repeat}  {case:<{width}} {name:<14} "
                      f"{took.wall_s:8.3f} s  {took.max_rss_mb:7.0f} MB", flush=True)
    return priming


def render(result: dict) -> str:
    """The report of one size as text."""
    lines = []
    rows = result["rows_per_file"]
    files = result["files"]
    size = ", ".join(f"{Path(f['path']).name} {f['bytes'] / 1e6:,.0f} MB" for f in files.values())
    lines.append(f"== {f'{rows:,} rows per file' if rows else 'given files'} ({size}); "
                 f"median of {result['repeat']} runs ==")
    lines.append(f"load average before/after: {result['load_average_before'][0]:.2f} / "
                 f"{result['load_average_after'][0]:.2f}")
    lines.append(f"{'command':<16}{'median s':>10}{'min s':>10}{'max s':>10}{'cpu s':>9}"
                 f"{'peak MB':>10}")
    for name, t in result["timings"].items():
        lines.append(f"{name:<16}{t['median_s']:>10.3f}{t['min_s']:>10.3f}{t['max_s']:>10.3f}"
                     f"{t['cpu_median_s']:>9.2f}{t['max_rss_mb']:>10.0f}")
    if result.get("priming_run"):
        p = result["priming_run"]
        lines.append(f"(priming run, parse + write cache: {p['wall_s']:.3f} s, "
                     f"{p['max_rss_mb']:.0f} MB)")
    if result["ratios"]:
        lines.append("ratios: " + ", ".join(f"{k} = {v:.2f}" for k, v in result["ratios"].items()))
    for c in result["checks"]:
        if "identical_output" in c:
            lines.append(f"check vs {c['against']}: "
                         f"{'identical output' if c['identical_output'] else 'OUTPUT DIFFERS'}")
        else:
            verdict = "same to the cent" if not c["disagreements"] else (
                f"{c['disagreements']} DISAGREEMENTS: " + "; ".join(c["first"]))
            lines.append(f"check vs {c['against']}: {c['keys']} (partner, year) pairs, {verdict}"
                         f" (largest difference {c['max_difference_usd']} USD)")
    for name, summary in result["unmapped"].items():
        if name == "pa-trade":
            a = summary["set_aside_unknown_country"]
            reference = next((result["unmapped"][n] for n in REFERENCES
                              if n in result["unmapped"]), None)
            agree = ""
            if reference:
                expected = {"export": 0, "import": 0}
                for u in reference["unmapped"]:
                    expected[u["flow"]] += u["rows"]
                agree = (" (as many as the references found)" if expected == a
                         else f" (references: {expected['export']:,} and {expected['import']:,})")
            lines.append(f"unmapped, pa-trade: set aside {a['export']:,} export and "
                         f"{a['import']:,} import rows for an unknown country{agree}")
            continue
        codes = summary.get("unmapped", [])
        lines.append(f"unmapped, {name}: " + (", ".join(
            f"{u['flow']} {u['code']} ({u['rows']:,} rows, {u['value_usd']} USD)" for u in codes)
            or "none") + f"; rows read {summary['rows']['export']:,} + "
            f"{summary['rows']['import']:,}")
    lines.extend(render_targets(result["targets"]))
    if result.get("profile"):
        lines.append("profile of one cold run (cProfile):")
        lines.extend("  " + line for line in result["profile"] if line.strip())
    return "\n".join(lines)


def render_targets(targets: list[dict]) -> list[str]:
    return [f"target {'MET ' if t['met'] else 'MISSED'}  {t['target']}: {t['value']:g} {t['unit']}"
            for t in targets]


def disagreed(results: list[dict]) -> bool:
    """Whether any check of any result found numbers that differ (said on stderr)."""
    if any(c["disagreements"] for r in results for c in r["checks"]):
        print("pa-trade's numbers differ from the references: see the checks above",
              file=sys.stderr)
        return True
    return False


def end_checked_run(result: dict, timings: dict, scratch: Path, json_path: Path | None) -> None:
    """The end of a bench whose result has "ratios" and "checks" (each with "differ"): both
    printed, a line per command, the JSON written if asked, the scratch folder removed, and
    exit status 1 when a reference disagrees."""
    print(json.dumps({k: result[k] for k in ("ratios", "checks")}, indent=2))
    width = max(len(name) for name in timings)
    for name, timing in timings.items():
        summary = timing.summary()
        print(f"{name:<{width}} median {timing.median:7.2f} s, cpu "
              f"{summary['cpu_median_s']:6.2f} s, peak {summary['max_rss_mb']:7.0f} MB")
    if json_path:
        json_path.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    shutil.rmtree(scratch, ignore_errors=True)
    if any(check["differ"] for check in result["checks"]):
        raise SystemExit("the references disagree with pa-trade (see checks)")


def end_run(report: dict, scratch: Path, json_path: Path | None) -> None:
    """Remove the scratch folder, stamp the report finished and write it as JSON if asked."""
    shutil.rmtree(scratch, ignore_errors=True)
    report["finished"] = time.strftime("%Y-%m-%d %H:%M:%S")
    if json_path:
        json_path.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--rows", type=int, nargs="+", metavar="N",
                        help="generate N-row EXPO and IMPO files (several N: one after another)")
    source.add_argument("--expo", type=Path, help="an EXPO file to time (with --impo)")
    parser.add_argument("--impo", type=Path, help="an IMPO file to time (with --expo)")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each command (median)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--first-year", type=int, default=2015)
    parser.add_argument("--last-year", type=int, default=2023)
    parser.add_argument("--data-dir", type=Path,
                        help="keep generated files here and reuse them (default: a temporary "
                             "folder, deleted at the end)")
    parser.add_argument("--skip", action="append", default=[], choices=sorted(SKIPPABLE),
                        help="leave a command out (repeatable)")
    parser.add_argument("--profile", type=int, nargs="?", const=25, default=0, metavar="TOP",
                        help="also profile one cold pa-trade run and show the TOP functions")
    parser.add_argument("--baseline", type=Path,
                        help="a JSON of an earlier run: compare sizes for linearity")
    parser.add_argument("--json", type=Path, help="write the results as JSON here")
    parser.add_argument("--zip", action="store_true",
                        help="also time balance on each file deflated in a ZIP (as DANE ships "
                             "them), and the decompression alone")
    args = parser.parse_args()
    if args.expo and not args.impo:
        parser.error("--expo needs --impo")
    for given in (args.expo, args.impo):
        if given is not None and not given.is_file():
            parser.error(f"{given}: no such file")
    if args.rows and min(args.rows) < 1:
        parser.error("--rows must be at least 1")
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")

    scratch = Path(tempfile.mkdtemp(prefix="pa-trade-bench-"))
    report = new_report(sizes=[])
    status = 0
    try:
        if args.expo:
            result = bench_files(args.expo.resolve(), args.impo.resolve(), None, args, scratch)
            report["sizes"].append(result)
            print(render(result), flush=True)
        else:
            for rows in args.rows:
                folder = (args.data_dir or scratch / "data") / f"rows-{rows}"
                took = generate(rows, folder, args.seed, args.first_year, args.last_year)
                try:
                    result = bench_files(folder / "expo.csv", folder / "impo.csv", rows, args,
                                         scratch)
                finally:
                    if args.data_dir is None:
                        shutil.rmtree(folder, ignore_errors=True)
                result["generation_s"] = round(took, 1)
                report["sizes"].append(result)
                print(render(result), flush=True)
        sizes = list(report["sizes"])
        if args.baseline:
            sizes += json.loads(args.baseline.read_text(encoding="utf-8"))["sizes"]
        report["linearity"] = linearity(sizes)
        for line in render_targets(report["linearity"]):
            print(line)
        if disagreed(report["sizes"]):
            status = 1
    except (BenchError, OSError) as exc:
        print(f"bench: {exc}", file=sys.stderr)
        status = 1
    finally:
        end_run(report, scratch, args.json)
    sys.exit(status)


if __name__ == "__main__":
    main()
