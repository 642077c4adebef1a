"""DuckDB or polars reference for `pa-trade flows -f csv` on DANE microdata.

    python bench/reference_flows.py EXPO IMPO --countries data/countries.csv --out ref.csv \
        --engine duckdb|polars

What `flows` writes, in the engine's own way: every line of EXPO (FOBDOL by PAIS, FECH and
POSAR) and of IMPO (VACID and VAFODO by PAISGEN, FECH and NABAN) summed per partner, month
and tariff code, DIAN codes mapped with pa-trade's table, written as CSV (partner, year,
month, flow, valuation, hs_code, value_usd) in that order. The checker in flows_bench.py
compares its sums with pa-trade's.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from _reference import dian_to_iso3

SIDES = [("export", "FOB", "PAIS", "POSAR", "FOBDOL"),
         ("import", "CIF", "PAISGEN", "NABAN", "VACID"),
         ("import", "FOB", "PAISGEN", "NABAN", "VAFODO")]


def duckdb_flows(expo: Path, impo: Path, table: dict[int, str], out: Path) -> None:
    import duckdb

    con = duckdb.connect()
    con.execute("CREATE TABLE dian (code INTEGER, iso3 VARCHAR)")
    con.executemany("INSERT INTO dian VALUES (?, ?)", list(table.items()))
    parts = []
    for flow, valuation, code, product, value in SIDES:
        path = expo if flow == "export" else impo
        parts.append(f"""
            SELECT '{flow}' AS flow, '{valuation}' AS valuation, "{code}" AS code,
                   "FECH" AS fech, "{product}" AS hs_code, "{value}" AS value
            FROM read_csv('{path}', delim=';', decimal_separator=',', header=true,
                          encoding='latin-1',
                          types={{'FECH': 'VARCHAR', '{code}': 'VARCHAR',
                                  '{product}': 'VARCHAR', '{value}': 'DECIMAL(18,2)'}})""")
    con.execute(f"""
        COPY (
            SELECT d.iso3 AS partner,
                   CAST(f.fech AS INTEGER) // 100
                       + CASE WHEN length(f.fech) = 4 THEN 2000 ELSE 0 END AS year,
                   CAST(f.fech AS INTEGER) % 100 AS month,
                   f.flow, f.valuation, f.hs_code, sum(f.value) AS value_usd
            FROM ({" UNION ALL ".join(parts)}) f
            JOIN dian d ON d.code = TRY_CAST(trim(f.code) AS INTEGER)
            GROUP BY ALL ORDER BY ALL
        ) TO '{out}' (HEADER, DELIMITER ',')""")


def polars_flows(expo: Path, impo: Path, table: dict[int, str], out: Path) -> None:
    import polars as pl

    codes = pl.DataFrame({"code": list(table), "partner": list(table.values())},
                         schema={"code": pl.Int64, "partner": pl.Utf8})
    frames = []
    for flow, valuation, code, product, value in SIDES:
        path = expo if flow == "export" else impo
        frame = pl.scan_csv(path, separator=";", decimal_comma=True, encoding="utf8-lossy",
                            schema_overrides={"FECH": pl.Utf8, code: pl.Utf8,
                                              product: pl.Utf8,
                                              value: pl.Decimal(18, 2)})
        frames.append(frame.select(
            pl.lit(flow).alias("flow"), pl.lit(valuation).alias("valuation"),
            pl.col(code).str.strip_chars().cast(pl.Int64, strict=False).alias("code"),
            pl.col("FECH").alias("fech"), pl.col(product).alias("hs_code"),
            pl.col(value).alias("value")))
    fech = pl.col("fech").cast(pl.Int64)
    result = (pl.concat(frames).join(codes.lazy(), on="code", how="inner")
              .with_columns((fech // 100 + pl.when(pl.col("fech").str.len_chars() == 4)
                             .then(2000).otherwise(0)).alias("year"),
                            (fech % 100).alias("month"))
              .group_by(["partner", "year", "month", "flow", "valuation", "hs_code"])
              .agg(pl.col("value").sum().alias("value_usd"))
              .sort(["partner", "year", "month", "flow", "valuation", "hs_code"]))
    result.sink_csv(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("expo", type=Path)
    parser.add_argument("impo", type=Path)
    parser.add_argument("--countries", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--engine", choices=["duckdb", "polars"], required=True)
    args = parser.parse_args()
    table = dian_to_iso3(args.countries)
    engine = duckdb_flows if args.engine == "duckdb" else polars_flows
    engine(args.expo, args.impo, table, args.out)


if __name__ == "__main__":
    main()
