"""DuckDB and polars references for `pa-trade balance colombia` on a tidy flows CSV.

    python bench/reference_tidy.py duckdb TIDY.csv --out ref.csv [--valuation cif|fob]
    python bench/reference_tidy.py polars TIDY.csv --out ref.csv

The same figures pa-trade's balance gives on a file of make_tidy.py, computed the plain way:
Colombia's rows with another partner; a flow given more than once (same reporter, partner,
year, month, flow, valuation and tariff code) counts once when every row gives the same
figure, and not at all when they differ (the tidy reader sets such rows aside); exports summed
per (partner, year); imports taken at the valuation asked where the (partner, year) has it,
else at the other one. Money is summed exactly (DECIMAL in DuckDB, whole cents in polars).

Writes `partner,year,exports_usd,imports_usd` (empty where a flow has no data) and prints a
JSON line naming the engine. Each engine reads the file once, streaming where it can.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

KEY = ["reporter", "partner", "year", "month", "flow", "valuation", "hs_code"]


def duckdb_balance(path: Path, valuation: str) -> list[tuple]:
    import duckdb

    con = duckdb.connect()
    flows = f"""
        SELECT * FROM read_csv('{path}', header=true, delim=',',
            types={{'reporter': 'VARCHAR', 'partner': 'VARCHAR', 'year': 'INTEGER',
                    'month': 'INTEGER', 'flow': 'VARCHAR', 'value_usd': 'DECIMAL(18,2)',
                    'valuation': 'VARCHAR', 'source': 'VARCHAR', 'hs_code': 'VARCHAR'}})
        WHERE reporter = 'COL'"""
    keys = ", ".join(KEY)
    result = con.execute(f"""
        WITH once AS (
            SELECT partner, year, flow, valuation, min(value_usd) AS value
            FROM ({flows}) WHERE partner <> 'COL'
            GROUP BY {keys} HAVING count(DISTINCT value_usd) = 1
        ), sides AS (
            SELECT partner, year, flow, valuation, sum(value) AS value
            FROM once GROUP BY ALL
        ), ranked AS (
            SELECT *, CASE WHEN flow = 'export' THEN 0
                           WHEN valuation = '{valuation}' THEN 0 ELSE 1 END AS rank
            FROM sides
        ), best AS (
            SELECT * FROM ranked
            QUALIFY rank = min(rank) OVER (PARTITION BY partner, year, flow)
        )
        SELECT partner, year,
               sum(value) FILTER (WHERE flow = 'export') AS exports_usd,
               sum(value) FILTER (WHERE flow = 'import') AS imports_usd
        FROM best GROUP BY partner, year ORDER BY partner, year
    """).fetchall()
    return result


def polars_balance(path: Path, valuation: str) -> list[tuple]:
    import polars as pl

    frame = pl.scan_csv(path, schema_overrides={"hs_code": pl.Utf8, "value_usd": pl.Utf8})
    cents = (pl.col("value_usd").str.to_decimal(scale=2) * 100).cast(pl.Int64)
    once = (frame.filter((pl.col("reporter") == "COL") & (pl.col("partner") != "COL"))
            .with_columns(cents.alias("cents"))
            .group_by(KEY).agg(pl.col("cents").n_unique().alias("figures"),
                               pl.col("cents").first())
            .filter(pl.col("figures") == 1))
    sides = (once.group_by(["partner", "year", "flow", "valuation"])
             .agg(pl.col("cents").sum())
             .with_columns(pl.when(pl.col("flow") == "export").then(0)
                           .when(pl.col("valuation") == valuation).then(0)
                           .otherwise(1).alias("rank")))
    best = sides.filter(pl.col("rank") == pl.col("rank").min().over(["partner", "year", "flow"]))
    table = (best.group_by(["partner", "year"])
             .agg(pl.col("cents").filter(pl.col("flow") == "export").sum().alias("exports"),
                  (pl.col("flow") == "export").any().alias("has_exports"),
                  pl.col("cents").filter(pl.col("flow") == "import").sum().alias("imports"),
                  (pl.col("flow") == "import").any().alias("has_imports"))
             .sort(["partner", "year"]).collect())
    rows = []
    for row in table.iter_rows(named=True):
        rows.append((row["partner"], row["year"],
                     _dollars(row["exports"]) if row["has_exports"] else None,
                     _dollars(row["imports"]) if row["has_imports"] else None))
    return rows


def _dollars(cents: int) -> str:
    sign = "-" if cents < 0 else ""
    return f"{sign}{abs(cents) // 100}.{abs(cents) % 100:02d}"


def main() -> None:
    import csv

    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("engine", choices=["duckdb", "polars"])
    parser.add_argument("tidy", type=Path)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--valuation", choices=["cif", "fob"], default="cif")
    args = parser.parse_args()
    compute = duckdb_balance if args.engine == "duckdb" else polars_balance
    rows = compute(args.tidy, args.valuation.upper())
    with args.out.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["partner", "year", "exports_usd", "imports_usd"])
        for partner, year, exports, imports in rows:
            writer.writerow([partner, int(year), "" if exports is None else str(exports),
                             "" if imports is None else str(imports)])
    print(json.dumps({"engine": args.engine}))


if __name__ == "__main__":
    main()
