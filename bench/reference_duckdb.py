"""DuckDB reference for `pa-trade balance colombia` on DANE microdata.

    python bench/reference_duckdb.py EXPO IMPO --countries data/countries.csv --out ref.csv

Exports: sum of FOBDOL by PAIS and year; imports: sum of VACID (CIF; VAFODO with
`--valuation fob`) by PAISGEN (origin) and year. FECH is YYMM or YYYYMM; money has a decimal
comma and is summed exactly as DECIMAL. DIAN codes are mapped to ISO3 with the `dian_codes`
column of pa-trade's own country table, after aggregation (one lookup per distinct code).

Writes `partner,year,exports_usd,imports_usd` (empty where a flow has no data) and prints a
JSON summary on stdout: rows read per file and the codes the table does not map.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
from _reference import IMPORT_COLUMNS, arguments, dian_to_iso3, summary, write_balance


def by_code_and_date(path: Path, code: str, value: str) -> str:
    """SQL: lines and value per raw (code, FECH) of one microdata file."""
    return f"""
        SELECT "{code}" AS code, "FECH" AS fech, sum("{value}") AS value, count(*) AS lines
        FROM read_csv('{path}', delim=';', decimal_separator=',', header=true,
                      encoding='latin-1',
                      types={{'FECH': 'VARCHAR', '{code}': 'VARCHAR',
                              '{value}': 'DECIMAL(18,2)'}})
        GROUP BY ALL"""


def main() -> None:
    args = arguments(__doc__)

    con = duckdb.connect()
    con.execute("CREATE TABLE dian (code INTEGER, iso3 VARCHAR)")
    con.executemany("INSERT INTO dian VALUES (?, ?)", list(dian_to_iso3(args.countries).items()))
    flows = f"""
        SELECT 'export' AS flow, * FROM ({by_code_and_date(args.expo, "PAIS", "FOBDOL")})
        UNION ALL
        SELECT 'import' AS flow, * FROM ({
            by_code_and_date(args.impo, "PAISGEN", IMPORT_COLUMNS[args.valuation])})
    """
    con.execute(f"""
        CREATE TABLE flows AS
        SELECT f.flow, f.code, d.iso3 AS partner,
               CAST(f.fech AS INTEGER) // 100
                   + CASE WHEN length(f.fech) = 4 THEN 2000 ELSE 0 END AS year,
               f.value, f.lines
        FROM ({flows}) f
        LEFT JOIN dian d ON d.code = TRY_CAST(trim(f.code) AS INTEGER)
    """)
    rows = con.execute("""
        SELECT partner, year,
               sum(value) FILTER (WHERE flow = 'export') AS exports_usd,
               sum(value) FILTER (WHERE flow = 'import') AS imports_usd
        FROM flows WHERE partner IS NOT NULL
        GROUP BY partner, year ORDER BY partner, year
    """).fetchall()
    write_balance(args.out, rows)
    unmapped = con.execute("""
        SELECT flow, code, sum(lines), sum(value) FROM flows WHERE partner IS NULL
        GROUP BY ALL ORDER BY flow, code
    """).fetchall()
    lines = dict(con.execute("SELECT flow, sum(lines) FROM flows GROUP BY flow").fetchall())
    summary(f"duckdb {duckdb.__version__}",
            {"export": lines.get("export", 0), "import": lines.get("import", 0)},
            ((flow, code, count, str(value)) for flow, code, count, value in unmapped))


if __name__ == "__main__":
    main()
