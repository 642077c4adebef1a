"""`pa-trade mirror` and `pa-trade trend` on DANE microdata against DuckDB and polars (issue 16).

    python bench/analyses_bench.py --rows 5000000 [--data-dir /tmp/dane] [--repeat 3]
        [--partner usa] [--json bench/results/DATE-analyses-5m.json]

Generates (or reuses) N-row EXPO and IMPO files with make_microdata.py, then times two cases,
round robin, each command in its own process:

    mirror    pa-trade mirror colombia PARTNER -d expo -d impo -f csv
    trend     pa-trade trend colombia -p PARTNER -d expo -d impo -f csv

each cold (`--no-cache`) and warm (the caches of parsed files and of results, after a
priming run), and the balance references of run.py, reference_duckdb.py and
reference_polars.py (every partner's exports and imports per year, the same full reading
of both files; polars only when installed). Times are end to end, interpreter start
included: medians, CPU time and peak memory, as in run.py.

Checks, in the same run, to the cent for every year: trend's exports_usd and imports_usd
of PARTNER, and mirror's figures as Colombia reports them (exports_reported_usd of
COL -> PARTNER, imports_reported_usd of PARTNER -> COL), against each reference's row of
PARTNER; the warm outputs byte for byte the cold ones. A disagreement ends the run with
exit status 1.

Targets (issue 16): cold <= 1.0 x polars, and warm <= 0.25 x cold.
"""

from __future__ import annotations

import argparse
import csv
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
    read_balance,
    read_through,
    run_command,
    scratch_folders,
)

CENT = Decimal("0.005")


def commands(expo: Path, impo: Path, partner: str, outputs: Path) -> dict[str, list[str]]:
    python = sys.executable
    data = ["-d", str(expo), "-d", str(impo), "-f", "csv"]
    mirror = [python, "-m", "pa_trade", "mirror", "colombia", partner, *data]
    trend = [python, "-m", "pa_trade", "trend", "colombia", "-p", partner, *data]
    reference = [str(expo), str(impo), "--countries", str(COUNTRIES), "--out"]
    return {
        "mirror cold": mirror + ["--no-cache"],
        "mirror warm": mirror,
        "trend cold": trend + ["--no-cache"],
        "trend warm": trend,
        "duckdb": [python, str(BENCH / "reference_duckdb.py"), *reference,
                   str(outputs / "duckdb.csv")],
        "polars": [python, str(BENCH / "reference_polars.py"), *reference,
                   str(outputs / "polars.csv")],
    }


def trend_figures(path: Path) -> dict[int, tuple[Decimal | None, Decimal | None]]:
    """year -> (exports, imports) of trend's CSV."""
    with path.open(encoding="utf-8", newline="") as handle:
        return {int(row["year"]): (_amount(row["exports_usd"]), _amount(row["imports_usd"]))
                for row in csv.DictReader(handle)}


def mirror_figures(path: Path, partner: str) -> dict[int, tuple[Decimal | None, Decimal | None]]:
    """year -> (Colombia's exports to partner, Colombia's imports from it) of mirror's CSV."""
    out: dict[int, list] = {}
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            year = out.setdefault(int(row["year"]), [None, None])
            if (row["exporter"], row["importer"]) == ("COL", partner):
                year[0] = _amount(row["exports_reported_usd"])
            elif (row["exporter"], row["importer"]) == (partner, "COL"):
                year[1] = _amount(row["imports_reported_usd"])
    return {year: tuple(pair) for year, pair in out.items()}


def _amount(text: str) -> Decimal | None:
    return Decimal(text) if text else None


def compare(case: str, reference: str, ours: dict, theirs: dict) -> dict:
    def apart(a, b) -> bool:
        return (a is None) != (b is None) or (a is not None and abs(a - b) >= CENT)

    differ = [year for year in sorted(set(ours) | set(theirs))
              if year not in ours or year not in theirs
              or any(apart(a, b) for a, b in zip(ours[year], theirs[year], strict=True))]
    return {"case": case, "reference": reference, "years": len(theirs), "differ": len(differ),
            "first_differences": differ[:5]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, required=True)
    parser.add_argument("--data-dir", type=Path)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--partner", default="usa", help="the partner (default: usa)")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    folder = args.data_dir or Path(tempfile.mkdtemp(prefix="pa-trade-analyses-"))
    folder = folder / f"rows-{args.rows}" if args.data_dir else folder
    generate(args.rows, folder, args.seed, 2015, 2023)
    expo, impo = folder / "expo.csv", folder / "impo.csv"
    scratch = Path(tempfile.mkdtemp(prefix="pa-trade-analyses-run-"))
    _, outputs, env = scratch_folders(scratch)
    from pa_trade.reference.countries import resolve  # pa-trade installed, as for every bench

    partner = resolve(args.partner)
    argvs = commands(expo, impo, args.partner, outputs)
    names = [n for n in argvs if n != "polars" or importlib.util.find_spec("polars")]
    timings = {name: Timing(argvs[name]) for name in names}

    def once(name: str):
        return run_command(argvs[name], env, outputs / f"{name}.out", outputs / f"{name}.err",
                           scratch)

    read_through([expo, impo])
    for name in ("mirror warm", "trend warm"):
        once(name)  # fills the caches (and compiles the modules)
    load_before = os.getloadavg()
    for round_ in range(args.repeat):
        for name in names:
            sample = once(name)
            timings[name].samples.append(sample)
            print(f"  run {round_ + 1}/{args.repeat}  {name:<12} {sample.wall_s:8.3f} s"
                  f"  {sample.max_rss_mb:7.0f} MB", flush=True)
    for case in ("mirror", "trend"):
        cold, warm = (outputs / f"{case} {kind}.out" for kind in ("cold", "warm"))
        if cold.read_bytes() != warm.read_bytes():
            raise BenchError(f"{case}: the warm output is not the cold one")
    ours = {"trend": trend_figures(outputs / "trend cold.out"),
            "mirror": mirror_figures(outputs / "mirror cold.out", partner)}
    checks = []
    for reference in ("duckdb", "polars"):
        if reference not in names:
            continue
        theirs = {year: figures for (code, year), figures
                  in read_balance(outputs / f"{reference}.csv").items() if code == partner}
        checks += [compare(case, reference, ours[case], theirs) for case in ours]
    medians = {name: t.median for name, t in timings.items()}
    ratios = {}
    for case in ("mirror", "trend"):
        cold = medians[f"{case} cold"]
        ratios[f"{case}: cold / duckdb"] = round(cold / medians["duckdb"], 3)
        if "polars" in names:
            ratios[f"{case}: cold / polars"] = round(cold / medians["polars"], 3)
        ratios[f"{case}: warm / cold"] = round(medians[f"{case} warm"] / cold, 3)
    result = {
        "machine": machine(), "rows_per_file": args.rows, "partner": partner,
        "load_average_before": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
        "timings": {name: t.summary() for name, t in timings.items()},
        "ratios": ratios, "checks": checks,
    }
    end_checked_run(result, timings, scratch, args.json)


if __name__ == "__main__":
    main()
