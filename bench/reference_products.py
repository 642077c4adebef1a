"""DuckDB or polars reference for `pa-trade products colombia -f csv` on DANE microdata.

    python bench/reference_products.py EXPO IMPO --countries data/countries.csv --out ref.csv \
        --engine duckdb|polars --level subheading|heading|chapter [--gl-level subheading]

What `products colombia` gives by default, in the engine's own way: Colombia's trade with
the World, that is the sum over every partner (the reader's own World rows have no tariff
code, so pa-trade adds up the partners), per year and product. Every line of EXPO (FOBDOL by
PAIS, FECH and POSAR) and of IMPO (VACID, or VAFODO with `--valuation fob`, by PAISGEN, FECH
and NABAN) whose DIAN code pa-trade's table maps (`dian_codes` of data/countries.csv; "999"
is ZZZ, not declared, and counts) to a partner other than Colombia, and whose tariff code is
1 to 10 digits (zero-padded to 10, as the reader does; any other code has no product and is
left out). FECH is YYMM, YMM or YYYYMM. Money has a decimal comma and is summed exactly as
DECIMAL(18,2) (38 digits for the sums).

The product is the first 2, 4 or 6 digits of the code. Lines are summed once per year and
finest level needed (the product level or the Grubel-Lloyd level), coarser levels are sums
of those. A product traded one way only has 0 the other way; a year with no line of one
flow at all has that side empty. Shares are of the year's total of that flow; with
`--gl-level`, GL = 1 - sum|X - M| / sum(X + M) over the products of that level, per year.

Writes `partner,year,product,exports_usd,imports_usd,share_exports,share_imports` (and
`gl_LEVEL`), partner WLD, ordered by year, exports plus imports (largest first), product.
No product names: the checker in products_bench.py compares the numbers only.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from _reference import IMPORT_COLUMNS, dian_to_iso3

DIGITS = {"chapter": 2, "heading": 4, "subheading": 6}
TARIFF_CODE = "^[0-9]{1,10}$"
REPORTER = "COL"
WORLD = "WLD"


def sides(expo: Path, impo: Path, valuation: str) -> list[tuple[str, Path, str, str, str]]:
    """(flow, file, country column, tariff code column, value column) of each flow."""
    return [("export", expo, "PAIS", "POSAR", "FOBDOL"),
            ("import", impo, "PAISGEN", "NABAN", IMPORT_COLUMNS[valuation])]


def duckdb_products(expo: Path, impo: Path, partners: list[int], level: str,
                    gl_level: str | None, valuation: str, out: Path) -> None:
    import duckdb

    con = duckdb.connect()
    con.execute("CREATE TABLE partners (code INTEGER)")
    con.executemany("INSERT INTO partners VALUES (?)", [(code,) for code in partners])
    finest = max(DIGITS[level], DIGITS[gl_level] if gl_level else 0)
    parts = []
    for flow, path, code, product, value in sides(expo, impo, valuation):
        parts.append(f"""
            SELECT '{flow}' AS flow, "FECH" AS fech, trim("{code}") AS code,
                   trim("{product}") AS hs, "{value}" AS value
            FROM read_csv('{path}', delim=';', decimal_separator=',', header=true,
                          encoding='latin-1',
                          types={{'FECH': 'INTEGER', '{code}': 'VARCHAR',
                                  '{product}': 'VARCHAR', '{value}': 'DECIMAL(18,2)'}})""")
    # one pass over the files: sums per year and product at the finest level needed
    con.execute(f"""
        CREATE TABLE fine AS
        SELECT CASE WHEN fech < 10000
                    THEN fech // 100 + CASE WHEN fech // 100 >= 80 THEN 1900 ELSE 2000 END
                    ELSE fech // 100 END AS year,
               substr(lpad(hs, 10, '0'), 1, {finest}) AS product,
               sum(value) FILTER (WHERE flow = 'export') AS x,
               sum(value) FILTER (WHERE flow = 'import') AS m
        FROM ({" UNION ALL ".join(parts)}) f
        SEMI JOIN partners p ON p.code = TRY_CAST(f.code AS INTEGER)
        WHERE regexp_full_match(hs, '{TARIFF_CODE[1:-1]}')
        GROUP BY ALL""")
    # the flows each year has at all: a side missing from the data is empty, not 0
    con.execute("""
        CREATE TABLE years AS
        SELECT year, count(x) > 0 AS has_x, count(m) > 0 AS has_m FROM fine GROUP BY year""")

    def at(digits: int) -> str:
        return f"""
            SELECT f.year, substr(f.product, 1, {digits}) AS product,
                   CASE WHEN y.has_x THEN coalesce(sum(f.x), 0) END AS x,
                   CASE WHEN y.has_m THEN coalesce(sum(f.m), 0) END AS m
            FROM fine f JOIN years y USING (year)
            GROUP BY f.year, substr(f.product, 1, {digits}), y.has_x, y.has_m"""

    gl_select, gl_join = "", ""
    if gl_level:
        gl_select = f", g.gl AS gl_{gl_level}"
        gl_join = f"""
            LEFT JOIN (
                SELECT year, CASE WHEN sum(x + m) > 0 THEN greatest(0.0, least(1.0,
                           1 - CAST(sum(abs(x - m)) AS DOUBLE) / CAST(sum(x + m) AS DOUBLE)))
                       END AS gl
                FROM ({at(DIGITS[gl_level])}) GROUP BY year
            ) g USING (year)"""
    con.execute(f"""
        COPY (
            SELECT '{WORLD}' AS partner, p.year, p.product, p.x AS exports_usd,
                   p.m AS imports_usd,
                   CAST(p.x AS DOUBLE) / nullif(CAST(sum(p.x) OVER (PARTITION BY p.year)
                                                     AS DOUBLE), 0) AS share_exports,
                   CAST(p.m AS DOUBLE) / nullif(CAST(sum(p.m) OVER (PARTITION BY p.year)
                                                     AS DOUBLE), 0) AS share_imports
                   {gl_select}
            FROM ({at(DIGITS[level])}) p {gl_join}
            ORDER BY p.year, coalesce(p.x, 0) + coalesce(p.m, 0) DESC, p.product
        ) TO '{out}' (HEADER, DELIMITER ',')""")


def polars_products(expo: Path, impo: Path, partners: list[int], level: str,
                    gl_level: str | None, valuation: str, out: Path) -> None:
    import polars as pl

    finest = max(DIGITS[level], DIGITS[gl_level] if gl_level else 0)
    frames = []
    for flow, path, code, product, value in sides(expo, impo, valuation):
        # Latin-1 and ASCII agree on every byte of the columns read (codes, digits, commas)
        frame = pl.scan_csv(path, separator=";", decimal_comma=True, encoding="utf8-lossy",
                            schema_overrides={"FECH": pl.Int64, code: pl.String,
                                              product: pl.String, value: pl.Decimal(18, 2)})
        frames.append(frame.select(
            pl.lit(flow).alias("flow"), pl.col("FECH").alias("fech"),
            pl.col(code).str.strip_chars().cast(pl.Int64, strict=False).alias("code"),
            pl.col(product).str.strip_chars().alias("hs"), pl.col(value).alias("value")))
    fech = pl.col("fech")
    century = fech // 100
    year = (pl.when(fech < 10000)
            .then(century + pl.when(century >= 80).then(1900).otherwise(2000))
            .otherwise(century))
    export = pl.col("flow") == "export"
    fine = (pl.concat(frames)
            .filter(pl.col("code").is_in(partners) & pl.col("hs").str.contains(TARIFF_CODE))
            .group_by(year.alias("year"),
                      pl.col("hs").str.zfill(10).str.slice(0, finest).alias("product"))
            .agg(pl.col("value").filter(export).sum().alias("x"),
                 pl.col("value").filter(~export).sum().alias("m"),
                 export.any().alias("any_x"), (~export).any().alias("any_m"))
            .collect())
    # the flows each year has at all: a side missing from the data is empty, not 0
    years = fine.group_by("year").agg(pl.col("any_x").any().alias("has_x"),
                                      pl.col("any_m").any().alias("has_m"))

    def at(digits: int) -> pl.DataFrame:
        return (fine.group_by("year", pl.col("product").str.slice(0, digits))
                .agg(pl.col("x").sum(), pl.col("m").sum())
                .join(years, on="year")
                .with_columns(pl.when(pl.col("has_x")).then(pl.col("x")).alias("x"),
                              pl.when(pl.col("has_m")).then(pl.col("m")).alias("m"))
                .drop("has_x", "has_m"))

    table = at(DIGITS[level])
    x, m = pl.col("x").cast(pl.Float64), pl.col("m").cast(pl.Float64)
    total_x, total_m = x.sum().over("year"), m.sum().over("year")
    table = table.with_columns(
        pl.lit(WORLD).alias("partner"),
        pl.when(total_x > 0).then(x / total_x).alias("share_exports"),
        pl.when(total_m > 0).then(m / total_m).alias("share_imports"))
    columns = ["partner", "year", "product", pl.col("x").alias("exports_usd"),
               pl.col("m").alias("imports_usd"), "share_exports", "share_imports"]
    if gl_level:
        per = at(DIGITS[gl_level])
        gl = (per.group_by("year")
              .agg((pl.col("x") - pl.col("m")).abs().sum().cast(pl.Float64).alias("gap"),
                   (pl.col("x") + pl.col("m")).sum().cast(pl.Float64).alias("total"))
              .select("year", pl.when(pl.col("total") > 0)
                      .then((1 - pl.col("gap") / pl.col("total")).clip(0.0, 1.0))
                      .alias(f"gl_{gl_level}")))
        table = table.join(gl, on="year", how="left")
        columns.append(f"gl_{gl_level}")
    rank = pl.col("x").fill_null(0) + pl.col("m").fill_null(0)
    (table.sort([pl.col("year"), rank, pl.col("product")], descending=[False, True, False])
     .select(columns).write_csv(out))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("expo", type=Path)
    parser.add_argument("impo", type=Path)
    parser.add_argument("--countries", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--engine", choices=["duckdb", "polars"], required=True)
    parser.add_argument("--level", choices=sorted(DIGITS), default="chapter")
    parser.add_argument("--gl-level", choices=sorted(DIGITS),
                        help="also the Grubel-Lloyd index at this level, per year")
    parser.add_argument("--valuation", choices=sorted(IMPORT_COLUMNS), default="cif")
    args = parser.parse_args()
    # the World: every partner the table maps, but the reporter itself
    partners = sorted(code for code, iso3 in dian_to_iso3(args.countries).items()
                      if iso3 != REPORTER)
    engine = duckdb_products if args.engine == "duckdb" else polars_products
    engine(args.expo, args.impo, partners, args.level, args.gl_level, args.valuation, args.out)


if __name__ == "__main__":
    main()
