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

import argparse
import csv
import json
from pathlib import Path

import duckdb

IMPORT_COLUMNS = {"cif": "VACID", "fob": "VAFODO"}


def dian_table(path: Path) -> list[tuple[int, str]]:
    """(DIAN code as a number, ISO3) for every code of pa-trade's country table."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return [(int(code), row["iso3"]) for row in csv.DictReader(handle)
                for code in row["dian_codes"].split()]


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
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("expo", type=Path)
    parser.add_argument("impo", type=Path)
    parser.add_argument("--countries", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--valuation", choices=sorted(IMPORT_COLUMNS), default="cif")
    args = parser.parse_args()

    con = duckdb.connect()
    con.execute("CREATE TABLE dian (code INTEGER, iso3 VARCHAR)")
    con.executemany("INSERT INTO dian VALUES (?, ?)", dian_table(args.countries))
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
    with args.out.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["partner", "year", "exports_usd", "imports_usd"])
        for partner, year, exports, imports in rows:
            writer.writerow([partner, year, "" if exports is None else exports,
                             "" if imports is None else imports])
    unmapped = con.execute("""
        SELECT flow, code, sum(lines), sum(value) FROM flows WHERE partner IS NULL
        GROUP BY ALL ORDER BY flow, code
    """).fetchall()
    lines = dict(con.execute("SELECT flow, sum(lines) FROM flows GROUP BY flow").fetchall())
    print(json.dumps({
        "engine": f"duckdb {duckdb.__version__}",
        "rows": {"export": int(lines.get("export", 0)), "import": int(lines.get("import", 0))},
        "unmapped": [{"flow": flow, "code": code, "rows": int(count), "value_usd": str(value)}
                     for flow, code, count, value in unmapped],
    }))


if __name__ == "__main__":
    main()
