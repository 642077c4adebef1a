"""`pa-trade balance` and `products` on DANE's real 2023 export months, repeated over years,
against DuckDB and polars (issue 16, item 8).

    python bench/real_bench.py --years 2011-2023 [--copies 1] [--repeat 3]
        [--data-dir /tmp/dane-real] [--json bench/results/DATE-real-repeat.json]

Why: the other benches time files made by make_microdata.py, whose partners, products and
values are drawn at random. This one times the real distribution: make_real_repeat.py writes
one EXPO file from the real lines of January to June 2023 (read from `--source`, never
copied into the repository), FECH rewritten to each year of `--years`, each month
`--copies` times; 2011-2023 gives 2,875,340 lines (283 MB). Two cases, each a set of
commands of its own, run round robin, each in its own process:

    balance     pa-trade balance colombia -d FILE -f csv
    products    pa-trade products colombia -d FILE --level subheading -f csv

with, for each: pa-trade cold (`--no-cache`), pa-trade warm (the same with the cache of parsed
files, after a priming run), and this script's own export-only references, with DuckDB and
with polars (`real_bench.py reference ENGINE CASE FILE ...`: reference_duckdb.py,
reference_polars.py and reference_products.py take an EXPO and an IMPO file in DANE's `;`
and decimal-comma layout; the real files are comma separated, whole dollars, exports only).
Times are end to end, interpreter start included: medians of `--repeat` runs, CPU time and
peak memory (each process's own maximum resident set, os.wait4). The file is read once
before timing, so every command finds it in the OS page cache; PA_TRADE_HOME points at a
scratch folder; every command runs with bytecode cached, and once, untimed, on the file's
first lines before the timed runs. The helpers are run.py's and products_bench.py's.

What the references compute, as pa-trade documents it for DANE's microdata (docs/dane-files.md):

    balance     FOBDOL summed exactly by PAIS and year (FECH is YYMM); PAIS mapped with the
                `dian_codes` of data/countries.csv and data/aggregates.csv (the free-trade
                zones' codes, XCF); lines naming Colombia itself (169) are XTN, national
                territory. The summary also counts lines whose COD_PAI4 names another partner
                than PAIS read so (pa-trade takes COD_PAI4 where it is given).
    products    the World, every line the table maps (free-trade zones and Colombia's own
                lines included: pa-trade's World row is DANE's total), with a tariff code of
                1 to 10 digits, zero-padded to 10; FOBDOL by year and first 6 digits; shares
                of the year's total.

Checks, in the same run: for every (partner, year) the exports of pa-trade cold and of each
reference are the same to the cent; for every (year, subheading) exports to the cent and
shares within 1e-8; and both against the known answer, the source months' own sums (read
with Python's csv module) times `--copies`, for every year. The warm output must be the cold
one byte for byte (its load report on stderr is compared too, a difference shown, not
counted). Rows set aside in pa-trade's load report and codes the references could not map
are listed. A disagreement ends the run with exit status 1, naming the first few.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import importlib.util
import json
import os
import re
import shutil
import sys
import tempfile
import time
from dataclasses import asdict
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import make_real_repeat as repeat  # noqa: E402  (bench/ is no package)
from products_bench import compare as compare_products  # noqa: E402
from products_bench import read_products, sample  # noqa: E402
from run import (  # noqa: E402
    BENCH,
    COUNTRIES,
    ROOT,
    BenchError,
    Timing,
    case_ratios,
    new_report,
    prime_and_time,
    read_balance,
    read_through,
    render_targets,
    run_command,
    scratch_folders,
    slug,
    timing_lines,
    warm_check_line,
)
from run import compare as compare_balance  # noqa: E402

AGGREGATES = ROOT / "data" / "aggregates.csv"
GENERATOR = BENCH / "make_real_repeat.py"
CASES = {
    "balance": ["balance", "colombia"],
    "products": ["products", "colombia", "--level", "subheading"],
}
COMMANDS = ["pa-trade cold", "pa-trade warm", "duckdb", "polars"]
SKIPPABLE = {"warm": "pa-trade warm", "duckdb": "duckdb", "polars": "polars",
             "balance": "balance", "products": "products"}
REPORTER, DOMESTIC, WORLD = "COL", "XTN", "WLD"
TARIFF_CODE = "^[0-9]{1,10}$"
SUBHEADING = 6
# issue 5 (balance) and issue 16 (products) set these at 5M synthetic rows; shown, not judged
LIMITS = {"balance": 1.25, "products": 1.5}  # cold <= x DuckDB
MEMORY_LIMIT_MB = 1000.0
WARM_LIMIT = 0.25


# --- the references, each run in its own process: real_bench.py reference ENGINE CASE ... ---

def dian_table(countries: Path, aggregates: Path) -> dict[int, str]:
    """DIAN code (as a number) -> partner: the countries' ISO3 codes and pa-trade's own
    codes of the aggregates that have DIAN codes (XCF, Colombia's free-trade zones)."""
    from _reference import dian_to_iso3

    table = dian_to_iso3(countries)
    with aggregates.open(encoding="utf-8-sig", newline="") as handle:
        for row in csv.DictReader(handle):
            for code in (row.get("dian_codes") or "").split():
                table[int(code)] = row["code"]
    return table


def year_of(fech: int) -> int:
    """FECH as YYMM, YMM or YYYYMM -> the year (two-digit years from 80 are 19xx)."""
    if fech < 10_000:
        century = fech // 100
        return century + (1900 if century >= 80 else 2000)
    return fech // 100


def partner_of(code: str, table: dict[int, str]) -> str | None:
    """A raw PAIS cell -> the partner pa-trade gives it (XTN for Colombia itself), or None."""
    text = str(code).strip()
    found = table.get(int(text)) if text.isdigit() else None
    return DOMESTIC if found == REPORTER else found


def balance_by_code(engine: str, path: Path) -> list[tuple]:
    """[(PAIS, COD_PAI4, FECH, lines, FOBDOL exactly)] of one EXPO file, summed by the
    engine."""
    if engine == "duckdb":
        import duckdb

        return duckdb.sql(f"""
            SELECT "PAIS", "COD_PAI4", "FECH", count(*), sum("FOBDOL")
            FROM read_csv('{path}', delim=',', header=true, all_varchar=true,
                          types={{'FECH': 'INTEGER', 'FOBDOL': 'DECIMAL(18,2)'}})
            GROUP BY ALL""").fetchall()
    import polars as pl

    frame = (pl.scan_csv(path, infer_schema=False,
                         schema_overrides={"FECH": pl.Int64, "FOBDOL": pl.Decimal(18, 2)})
             .group_by("PAIS", "COD_PAI4", "FECH")
             .agg(pl.len(), pl.col("FOBDOL").sum())
             .collect())
    return frame.select("PAIS", "COD_PAI4", "FECH", "len", "FOBDOL").rows()


def reference_balance(engine: str, path: Path, table: dict[int, str], out: Path) -> dict:
    """Exports per (partner, year), written as run.py's references write them -> summary."""
    from _reference import write_balance

    sums: dict[tuple[str, int], Decimal] = {}
    unmapped: dict[str, list] = {}
    unlike: dict[tuple[str, str], list] = {}
    rows = 0
    for code, alpha, fech, lines, value in balance_by_code(engine, path):
        rows += lines
        value = Decimal(value or 0)
        partner = partner_of(code, table)
        if partner is None:
            entry = unmapped.setdefault(str(code), [0, Decimal(0)])
            entry[0] += lines
            entry[1] += value
            continue
        named = REPORTER if partner == DOMESTIC else partner
        if alpha is not None and str(alpha).strip() and str(alpha).strip() != named:
            entry = unlike.setdefault((str(code), str(alpha)), [0, Decimal(0)])
            entry[0] += lines
            entry[1] += value
        key = (partner, year_of(int(fech)))
        sums[key] = sums.get(key, Decimal(0)) + value
    write_balance(out, ((p, y, v, None) for (p, y), v in sorted(sums.items())))
    return {"rows": rows,
            "unmapped": [{"code": c, "rows": n, "value_usd": f"{v:f}"}
                         for c, (n, v) in sorted(unmapped.items())],
            "cod_pai4_differs": [{"pais": c, "cod_pai4": a, "rows": n, "value_usd": f"{v:f}"}
                                 for (c, a), (n, v) in sorted(unlike.items())]}


def reference_products(engine: str, path: Path, table: dict[int, str], out: Path) -> dict:
    """The World's exports per (year, subheading) and their shares -> summary. One pass
    over the file: sums by year, subheading and whether the line counts (its PAIS mapped,
    its tariff code valid), then the lines that count."""
    codes = sorted(table)
    if engine == "duckdb":
        import duckdb

        con = duckdb.connect()
        con.execute("CREATE TABLE codes (code INTEGER)")
        con.executemany("INSERT INTO codes VALUES (?)", [(c,) for c in codes])
        con.execute(f"""
            CREATE TABLE fine AS
            SELECT CASE WHEN fech < 10000
                        THEN fech // 100 + CASE WHEN fech // 100 >= 80 THEN 1900 ELSE 2000 END
                        ELSE fech // 100 END AS year,
                   CASE WHEN valid THEN substr(lpad(hs, 10, '0'), 1, {SUBHEADING}) END
                       AS product,
                   mapped, valid, count(*) AS lines, sum(value) AS x
            FROM (SELECT "FECH" AS fech, trim("POSAR") AS hs, "FOBDOL" AS value,
                         coalesce(TRY_CAST(trim("PAIS") AS INTEGER) IN (SELECT code FROM codes),
                                  false) AS mapped,
                         coalesce(regexp_full_match(trim("POSAR"), '{TARIFF_CODE[1:-1]}'),
                                  false) AS valid
                  FROM read_csv('{path}', delim=',', header=true, all_varchar=true,
                                types={{'FECH': 'INTEGER', 'FOBDOL': 'DECIMAL(18,2)'}}))
            GROUP BY ALL""")
        con.execute(f"""
            COPY (
                WITH used AS (SELECT year, product, sum(x) AS x FROM fine
                              WHERE mapped AND valid GROUP BY ALL)
                SELECT '{WORLD}' AS partner, year, product, x AS exports_usd,
                       NULL AS imports_usd,
                       CAST(x AS DOUBLE) / nullif(CAST(sum(x) OVER (PARTITION BY year)
                                                       AS DOUBLE), 0) AS share_exports,
                       NULL AS share_imports
                FROM used ORDER BY year, x DESC, product
            ) TO '{out}' (HEADER, DELIMITER ',')""")
        counted = con.execute("""
            SELECT sum(lines), coalesce(sum(lines) FILTER (WHERE NOT mapped), 0),
                   coalesce(sum(lines) FILTER (WHERE NOT valid), 0) FROM fine""").fetchall()[0]
        return {"rows": int(counted[0]), "rows_unmapped": int(counted[1]),
                "rows_without_code": int(counted[2])}
    import polars as pl

    fech = pl.col("FECH")
    century = fech // 100
    year = (pl.when(fech < 10000)
            .then(century + pl.when(century >= 80).then(1900).otherwise(2000))
            .otherwise(century))
    hs = pl.col("POSAR").str.strip_chars()
    valid = hs.str.contains(TARIFF_CODE).fill_null(False)
    mapped = (pl.col("PAIS").str.strip_chars().cast(pl.Int64, strict=False).is_in(codes)
              .fill_null(False))
    fine = (pl.scan_csv(path, infer_schema=False,
                        schema_overrides={"FECH": pl.Int64, "FOBDOL": pl.Decimal(18, 2)})
            .group_by(year.alias("year"),
                      pl.when(valid).then(hs.str.zfill(10).str.slice(0, SUBHEADING))
                      .alias("product"),
                      mapped.alias("mapped"), valid.alias("valid"))
            .agg(pl.len().alias("lines"), pl.col("FOBDOL").sum().alias("x"))
            .collect())
    used = (fine.filter(pl.col("mapped") & pl.col("valid"))
            .group_by("year", "product").agg(pl.col("x").sum()))
    x = pl.col("x").cast(pl.Float64)
    total = x.sum().over("year")
    (used.with_columns(pl.lit(WORLD).alias("partner"),
                       pl.when(total > 0).then(x / total).alias("share_exports"),
                       pl.lit(None, dtype=pl.Float64).alias("imports_usd"),
                       pl.lit(None, dtype=pl.Float64).alias("share_imports"))
     .sort(["year", "x", "product"], descending=[False, True, False])
     .select("partner", "year", "product", pl.col("x").alias("exports_usd"), "imports_usd",
             "share_exports", "share_imports")
     .write_csv(out))
    return {"rows": int(fine["lines"].sum()),
            "rows_unmapped": int(fine.filter(~pl.col("mapped"))["lines"].sum()),
            "rows_without_code": int(fine.filter(~pl.col("valid"))["lines"].sum())}


def reference_main(argv: list[str]) -> None:
    """real_bench.py reference ENGINE CASE FILE --countries CSV --aggregates CSV --out CSV:
    one reference, in its own process; prints a JSON summary on stdout."""
    parser = argparse.ArgumentParser(prog="real_bench.py reference",
                                     description=reference_main.__doc__)
    parser.add_argument("engine", choices=["duckdb", "polars"])
    parser.add_argument("case", choices=sorted(CASES))
    parser.add_argument("expo", type=Path)
    parser.add_argument("--countries", type=Path, default=COUNTRIES)
    parser.add_argument("--aggregates", type=Path, default=AGGREGATES)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    table = dian_table(args.countries, args.aggregates)
    work = reference_balance if args.case == "balance" else reference_products
    found = work(args.engine, args.expo, table, args.out)
    print(json.dumps({"engine": args.engine, **found}))


# --- the known answer: the source months' own sums, times the copies ---

def known_answer(months: list[repeat.Month], years: list[int], copies: int, outputs: Path
                 ) -> dict[str, Path]:
    """Write the figures every year must have, from the real months read with csv ->
    case -> the CSV (balance: partner,year,exports_usd,imports_usd; products: the World's
    subheadings as reference_products writes them)."""
    table = dian_table(COUNTRIES, AGGREGATES)
    by_partner: dict[str, Decimal] = {}
    by_product: dict[str, Decimal] = {}
    valid = re.compile(TARIFF_CODE)
    for m in months:
        text = (m.header + m.lines).decode("ascii")
        for row in csv.DictReader(text.splitlines()):
            partner = partner_of(row["PAIS"], table)
            if partner is None:
                continue
            value = Decimal(row["FOBDOL"])
            by_partner[partner] = by_partner.get(partner, Decimal(0)) + value
            hs = row["POSAR"].strip()
            if valid.match(hs):
                product = hs.zfill(10)[:SUBHEADING]
                by_product[product] = by_product.get(product, Decimal(0)) + value
    balance, products = outputs / "known-balance.csv", outputs / "known-products.csv"
    with balance.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["partner", "year", "exports_usd", "imports_usd"])
        for partner, value in sorted(by_partner.items()):
            for year in years:
                writer.writerow([partner, year, f"{value * copies:f}", ""])
    total = sum(by_product.values()) * copies
    with products.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["partner", "year", "product", "exports_usd", "imports_usd",
                         "share_exports", "share_imports"])
        for year in years:
            for product, value in sorted(by_product.items()):
                writer.writerow([WORLD, year, product, f"{value * copies:f}", "",
                                 repr(float(value * copies / total)), ""])
    return {"balance": balance, "products": products}


# --- the bench ---

def make_file(args, folder: Path) -> tuple[Path, dict]:
    """Write folder/expo-real-repeat.csv unless a stamp says it is there -> (path, what it
    holds)."""
    months = repeat.source_months(args.source)
    years = repeat.parse_years(args.years)
    copies = repeat.copies_for(args.rows, months, years) if args.rows else args.copies
    path = folder / "expo-real-repeat.csv"
    stamp = folder / "stamp.json"
    wanted = {"years": years, "copies": copies,
              "sources": {m.path.name: m.sha256 for m in months},
              "generator": hashlib.sha256(GENERATOR.read_bytes()).hexdigest()[:16]}
    started = time.perf_counter()
    if path.is_file() and stamp.is_file() and json.loads(stamp.read_text()) == wanted:
        print(f"reusing {path}", flush=True)
        rows = sum(m.rows for m in months) * len(years) * copies
        took = 0.0
    else:
        print(f"writing {path}: {len(months)} real months x {len(years)} years x {copies} "
              f"cop{'y' if copies == 1 else 'ies'} ...", flush=True)
        folder.mkdir(parents=True, exist_ok=True)
        rows = repeat.write(months, years, copies, path)
        stamp.write_text(json.dumps(wanted))
        took = time.perf_counter() - started
    info = {"path": str(path), "bytes": path.stat().st_size, "rows": rows, "years": years,
            "copies": copies, "generation_s": round(took, 1),
            "sources": [{"file": str(m.path), "fech": m.fech, "rows": m.rows,
                         "sha256": m.sha256, "as_in_provenance": m.as_published}
                        for m in months]}
    return path, info | {"months": months}


def commands(expo: Path, outputs: Path) -> dict[str, dict[str, list[str]]]:
    """case -> command -> argv. pa-trade writes to stdout (kept by the caller), the
    references to `outputs`/CASE-ENGINE.csv."""
    python = sys.executable
    found = {}
    for case, words in CASES.items():
        pa_trade = [python, "-m", "pa_trade", *words, "-d", str(expo), "-f", "csv"]
        found[case] = {
            "pa-trade cold": pa_trade + ["--no-cache"],
            "pa-trade warm": pa_trade,
            **{engine: [python, str(Path(__file__).resolve()), "reference", engine, case,
                        str(expo), "--countries", str(COUNTRIES), "--aggregates",
                        str(AGGREGATES), "--out", str(outputs / f"{case}-{engine}.csv")]
               for engine in ("duckdb", "polars")},
        }
    return found


def set_aside(stderr_text: str) -> int:
    """Rows pa-trade's load report says it set aside, all reasons together."""
    return sum(int(n.replace(",", "")) for n in
               re.findall(r"set aside ([\d,]+) rows?", stderr_text))


def check(case: str, names: list[str], out, outputs: Path, known: Path) -> list[dict]:
    """One case's checks: warm against cold byte for byte, the references and the known
    answer against cold."""
    found = []
    cold = out(case, "pa-trade cold", ".out")
    if "pa-trade warm" in names:
        same = out(case, "pa-trade warm", ".out").read_bytes() == cold.read_bytes()
        told = [out(case, n, ".err").read_text(encoding="utf-8", errors="replace").splitlines()
                for n in ("pa-trade cold", "pa-trade warm")]
        unlike = [f"cold {a!r}, warm {b!r}" for a, b in zip(*told, strict=False) if a != b]
        if len(told[0]) != len(told[1]):
            unlike.append(f"{len(told[0])} lines vs {len(told[1])}")
        found.append({"case": case, "against": "pa-trade warm", "identical_output": same,
                      "identical_load_report": not unlike, "load_report_first": unlike[:2],
                      "disagreements": 0 if same else 1,
                      "first": [] if same else ["warm output differs from cold"]})
    theirs = {name: outputs / f"{case}-{name}.csv" for name in ("duckdb", "polars")
              if name in names}
    theirs["known answer"] = known
    if case == "balance":
        ours = read_balance(cold)
        for name, path in theirs.items():
            found.append({"case": case, **compare_balance(name, ours, read_balance(path))})
    else:
        ours = read_products(cold, None)
        for name, path in theirs.items():
            found.append(compare_products(case, name, ours, read_products(path, None), None))
    return found


def bench(expo: Path, info: dict, args, scratch: Path) -> dict:
    """Time every case's commands on the file and check their numbers -> the results."""
    skipped = {SKIPPABLE[s] for s in args.skip}
    if importlib.util.find_spec("polars") is None:
        skipped.add("polars")
    if importlib.util.find_spec("duckdb") is None:
        skipped.add("duckdb")
    cases = [c for c in CASES if c not in skipped]
    names = [n for n in COMMANDS if n not in skipped]
    home, outputs, env = scratch_folders(scratch)
    argvs = commands(expo, outputs)
    timings = {case: {name: Timing(argvs[case][name]) for name in names} for case in cases}

    def out(case: str, name: str, suffix: str) -> Path:
        return outputs / f"{slug(case)}-{slug(name)}{suffix}"

    def once(case: str, name: str, argv: list[str] | None = None, run_env=None):
        return run_command(argv or argvs[case][name], run_env or env, out(case, name, ".out"),
                           out(case, name, ".err"), scratch)

    print("first run of every command on a sample (compiles their modules) ...", flush=True)
    small = sample([expo], scratch / "sample")[0]
    small_argvs = commands(small, scratch / "sample")
    small_env = dict(env, PA_TRADE_HOME=str(scratch / "sample-home"))
    for case in cases:
        for name in names:
            for _ in range(2 if name == "pa-trade warm" else 1):  # fill the cache, read it
                once(case, name, small_argvs[case][name], small_env)
    read_through([expo])
    load_before = os.getloadavg()
    priming = prime_and_time(cases, names, once, args.repeat, timings, home, 9)
    load_after = os.getloadavg()

    known = known_answer(info["months"], info["years"], info["copies"], outputs)
    checks, reading = [], {}
    for case in cases:
        if "pa-trade cold" not in names:
            continue
        checks.extend(check(case, names, out, outputs, known[case]))
        report = out(case, "pa-trade cold", ".err").read_text(encoding="utf-8",
                                                              errors="replace")
        reading[case] = {"pa-trade load report": report.splitlines(),
                         "pa-trade rows set aside": set_aside(report),
                         **{name: json.loads(out(case, name, ".out").read_text())
                            for name in ("duckdb", "polars") if name in names}}
    result = {
        "file": {k: v for k, v in info.items() if k != "months"},
        "repeat": args.repeat,
        "niceness": os.getpriority(os.PRIO_PROCESS, 0),
        "load_average_before": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in load_after],
        "timings": {case: {name: t.summary() for name, t in by_name.items()}
                    for case, by_name in timings.items()},
        "output_bytes": {case: out(case, "pa-trade cold", ".out").stat().st_size
                         for case in cases if "pa-trade cold" in names},
        "priming_runs": {case: asdict(s) for case, s in priming.items()},
        "checks": checks,
        "reading": reading,
    }
    result["ratios"], result["targets"] = ratios_and_targets(timings)
    return result


def ratios_and_targets(timings: dict[str, dict[str, Timing]]) -> tuple[dict, list[dict]]:
    """Per case: cold / duckdb, cold / polars, warm / cold, pa-trade's peak memory; and the
    targets the issues set at 5M synthetic rows, for comparison."""
    ratios, targets = {}, []

    def target(case: str, name: str, value: float, limit: float, unit: str) -> None:
        targets.append({"target": f"{case}: {name}",
                        "value": round(value, 3 if unit != "MB" else 0),
                        "limit": limit, "unit": unit, "met": value <= limit})

    for case, by_name in timings.items():
        found, median, peak = case_ratios(by_name)
        ratios[case] = found
        if peak is None:
            continue
        cold = median["pa-trade cold"]
        found["pa-trade peak MB"] = round(peak)
        if "duckdb" in median:
            target(case, f"cold <= {LIMITS[case]:g} x DuckDB", cold / median["duckdb"],
                   LIMITS[case], "x")
        target(case, "pa-trade peak memory <= 1 GB", peak, MEMORY_LIMIT_MB, "MB")
        if "pa-trade warm" in median:
            target(case, f"warm <= {WARM_LIMIT} x cold", median["pa-trade warm"] / cold,
                   WARM_LIMIT, "x")
    return ratios, targets


def render(result: dict) -> str:
    """The report as text."""
    f = result["file"]
    lines = [f"== {f['rows']:,} rows ({Path(f['path']).name}, {f['bytes'] / 1e6:,.0f} MB): "
             f"{len(f['sources'])} real months of 2023 x {len(f['years'])} years "
             f"({f['years'][0]}-{f['years'][-1]}) x {f['copies']}; median of "
             f"{result['repeat']} run{'s' if result['repeat'] > 1 else ''} ==",
             f"load average before/after: {result['load_average_before'][0]:.2f} / "
             f"{result['load_average_after'][0]:.2f}; niceness {result['niceness']}"]
    lines += timing_lines(result, 2)
    for c in result["checks"]:
        if "identical_output" in c:
            lines.append(warm_check_line(c))
            continue
        verdict = ("same to the cent" + (", shares within 1e-8" if "rows" in c else "")
                   if not c["disagreements"] else
                   f"{c['disagreements']:,} DISAGREEMENTS: " + "; ".join(c["first"][:5]))
        if "keys" in c:
            lines.append(f"check {c['case']} vs {c['against']}: {c['keys']:,} (partner, year) "
                         f"pairs, {verdict} (largest difference {c['max_difference_usd']} USD)")
        else:
            lines.append(f"check {c['case']} vs {c['against']}: {c['rows']:,} (year, "
                         f"subheading) rows (pa-trade {c['rows_pa_trade']:,}), {verdict} "
                         f"(largest difference {c['max_difference_usd']} USD, shares "
                         f"{c['max_share_difference']:.1e})")
    for case, r in result["reading"].items():
        lines.append(f"reading, {case}: pa-trade set aside {r['pa-trade rows set aside']:,} "
                     f"rows; " + "; ".join(
                         f"{name} read {s['rows']:,} rows, "
                         + (f"{len(s['unmapped'])} codes unmapped, "
                            f"{sum(d['rows'] for d in s['cod_pai4_differs']):,} rows whose "
                            f"COD_PAI4 is not PAIS's partner" if case == "balance" else
                            f"{s['rows_unmapped']:,} unmapped, {s['rows_without_code']:,} "
                            f"without a tariff code")
                         for name, s in r.items() if name in ("duckdb", "polars")))
        for line in r["pa-trade load report"]:
            lines.append(f"  {line[:300]}")
    lines.extend(render_targets(result["targets"]))
    return "\n".join(lines)


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "reference":
        reference_main(sys.argv[2:])
        return
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--source", type=Path, default=repeat.DEFAULT_SOURCE,
                        help="folder of the real months (default: %(default)s)")
    parser.add_argument("--years", default="2011-2023",
                        help="years to repeat the months over (default: %(default)s)")
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--copies", type=int, default=1,
                      help="times each month's lines are written per year (default 1)")
    size.add_argument("--rows", type=int, help="at least this many lines (copies chosen)")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each command (median)")
    parser.add_argument("--data-dir", type=Path,
                        help="keep the file here and reuse it (default: a temporary folder, "
                             "deleted at the end); outside the repository")
    parser.add_argument("--skip", action="append", default=[], choices=sorted(SKIPPABLE),
                        help="leave a command or a case out (repeatable)")
    parser.add_argument("--json", type=Path, help="write the results as JSON here")
    args = parser.parse_args()
    if args.repeat < 1 or args.copies < 1 or (args.rows is not None and args.rows < 1):
        parser.error("--repeat, --copies and --rows must be at least 1")
    if {"balance", "products"} <= set(args.skip):
        parser.error("--skip balance and --skip products leave nothing to time")
    if args.data_dir and repeat.inside_repository(args.data_dir):
        parser.error(f"--data-dir {args.data_dir}: inside the repository; the lines are "
                     f"third-party real data, keep them elsewhere (e.g. /tmp)")
    try:
        repeat.parse_years(args.years)
    except ValueError as exc:
        parser.error(str(exc))

    scratch = Path(tempfile.mkdtemp(prefix="pa-trade-real-bench-"))
    report = new_report(command=[Path(sys.executable).name, *sys.argv])
    status = 0
    try:
        folder = args.data_dir or scratch / "data"
        expo, info = make_file(args, folder)
        try:
            result = bench(expo, info, args, scratch)
        finally:
            if args.data_dir is None:
                shutil.rmtree(folder, ignore_errors=True)
        report["result"] = result
        print(render(result), flush=True)
        wrong = [c for c in result["checks"] if c["disagreements"]]
        if wrong:
            print("pa-trade and the references disagree:", file=sys.stderr)
            for c in wrong[:5]:
                print(f"  {c['case']} vs {c['against']}: {c['disagreements']:,}, first: "
                      + "; ".join(c["first"][:3]), file=sys.stderr)
            status = 1
    except repeat.MissingMonths as exc:
        print(f"real_bench: {exc}", file=sys.stderr)
        status = 2
    except (BenchError, OSError) as exc:
        print(f"real_bench: {exc}", file=sys.stderr)
        status = 1
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
        report["finished"] = time.strftime("%Y-%m-%d %H:%M:%S")
        if args.json:
            args.json.write_text(json.dumps(report, indent=2, default=str) + "\n",
                                 encoding="utf-8")
    sys.exit(status)


if __name__ == "__main__":
    main()
