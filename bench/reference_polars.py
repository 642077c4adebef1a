"""Polars reference for `pa-trade balance colombia` on DANE microdata (optional: run.py uses
it only when polars is installed; it is no dependency of pa-trade).

    python bench/reference_polars.py EXPO IMPO --countries data/countries.csv --out ref.csv

A lazy scan of the three needed columns (`decimal_comma=True`, types given up front), summed
by raw (code, FECH); DIAN codes mapped with pa-trade's country table afterwards. It shows
what a different CSV engine costs, next to Arrow's.

Writes `partner,year,exports_usd,imports_usd` and prints a JSON summary on stdout.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
from _reference import arguments, python_balance


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
    python_balance(arguments(__doc__), sums, f"polars {pl.__version__}")


if __name__ == "__main__":
    main()
