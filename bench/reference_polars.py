"""Polars reference for `pa-trade balance colombia` on DANE microdata (optional: run.py uses
it only when polars is installed; it is no dependency of pa-trade).

    python bench/reference_polars.py EXPO IMPO --countries data/countries.csv --out ref.csv

A lazy scan of the three needed columns (`decimal_comma=True`, types given up front), summed
by raw (code, FECH); DIAN codes mapped with pa-trade's country table afterwards. It shows
what a different CSV engine costs, next to Arrow's.

Writes `partner,year,exports_usd,imports_usd` and prints a JSON summary on stdout.
"""

from __future__ import annotations

import argparse
import csv
import json
from pathlib import Path

import polars as pl

IMPORT_COLUMNS = {"cif": "VACID", "fob": "VAFODO"}


def dian_to_iso3(path: Path) -> dict[int, str]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return {int(code): row["iso3"] for row in csv.DictReader(handle)
                for code in row["dian_codes"].split()}


def sums(path: Path, code: str, value: str) -> tuple[list[tuple], int]:
    """([(code, FECH, lines, value)], rows read) for one microdata file."""
    # Latin-1 and ASCII agree on every byte of the columns read (codes, digits, commas)
    frame = (
        pl.scan_csv(path, separator=";", decimal_comma=True, encoding="utf8-lossy",
                    schema_overrides={"FECH": pl.Int64, code: pl.String, value: pl.Float64})
        .group_by([code, "FECH"])
        .agg(pl.len().alias("lines"), pl.col(value).sum().alias("value"))
        .collect()
    )
    return frame.select([code, "FECH", "lines", "value"]).rows(), int(frame["lines"].sum())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("expo", type=Path)
    parser.add_argument("impo", type=Path)
    parser.add_argument("--countries", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--valuation", choices=sorted(IMPORT_COLUMNS), default="cif")
    args = parser.parse_args()

    table = dian_to_iso3(args.countries)
    balance: dict[tuple[str, int], list] = {}
    unmapped: dict[tuple[str, str], list] = {}
    rows = {}
    for side, (path, code, value) in enumerate([
        (args.expo, "PAIS", "FOBDOL"),
        (args.impo, "PAISGEN", IMPORT_COLUMNS[args.valuation]),
    ]):
        flow = ("export", "import")[side]
        found, rows[flow] = sums(path, code, value)
        for raw, fech, lines, amount in found:
            year = fech // 100 + (2000 if fech < 10_000 else 0)
            text = raw.strip()
            partner = table.get(int(text)) if text.isdigit() else None
            if partner is None:
                entry = unmapped.setdefault((flow, raw), [0, 0.0])
                entry[0] += lines
                entry[1] += amount
                continue
            sums_here = balance.setdefault((partner, year), [None, None])
            sums_here[side] = amount + (sums_here[side] or 0.0)
    with args.out.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["partner", "year", "exports_usd", "imports_usd"])
        for (partner, year), values in sorted(balance.items()):
            writer.writerow([partner, year] + ["" if v is None else f"{v:.2f}" for v in values])
    print(json.dumps({
        "engine": f"polars {pl.__version__}",
        "rows": rows,
        "unmapped": [{"flow": flow, "code": code, "rows": v[0], "value_usd": f"{v[1]:.2f}"}
                     for (flow, code), v in sorted(unmapped.items())],
    }))


if __name__ == "__main__":
    main()
