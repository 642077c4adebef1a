"""Plain pandas reference for `pa-trade balance colombia` on DANE microdata.

    python bench/reference_pandas.py EXPO IMPO --countries data/countries.csv --out ref.csv

What an analyst would write first: `pd.read_csv(path, sep=";", decimal=",",
encoding="latin-1")` with every other option left at its default (all columns, types
guessed, so DIAN codes and FECH come back as numbers), then a groupby. Exports: FOBDOL by
PAIS and year; imports: VACID (VAFODO with `--valuation fob`) by PAISGEN and year. DIAN codes
are mapped with the `dian_codes` column of pa-trade's own country table.

Writes `partner,year,exports_usd,imports_usd` and prints a JSON summary on stdout.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from _reference import IMPORT_COLUMNS, arguments, dian_to_iso3, summary, write_balance


def sums(path: Path, code: str, value: str, flow: str) -> tuple[pd.DataFrame, int]:
    """(value per raw code and year, rows read) for one microdata file."""
    frame = pd.read_csv(path, sep=";", decimal=",", encoding="latin-1")
    fech = pd.to_numeric(frame["FECH"])
    year = np.where(fech < 10_000, 2000 + fech // 100, fech // 100)
    grouped = frame.groupby([frame[code], year])[value].agg(["sum", "size"])
    grouped.index.names = ["code", "year"]
    return grouped.reset_index().assign(flow=flow), len(frame)


def main() -> None:
    args = arguments(__doc__)

    exports, expo_rows = sums(args.expo, "PAIS", "FOBDOL", "export")
    imports, impo_rows = sums(args.impo, "PAISGEN", IMPORT_COLUMNS[args.valuation], "import")
    flows = pd.concat([exports, imports], ignore_index=True)
    table = dian_to_iso3(args.countries)
    number = pd.to_numeric(flows["code"], errors="coerce")
    flows["partner"] = number.map(table)
    mapped = flows[flows["partner"].notna()]
    wide = mapped.pivot_table(index=["partner", "year"], columns="flow", values="sum",
                              aggfunc="sum")
    write_balance(args.out, (
        (partner, year, *[None if pd.isna(row.get(flow)) else float(row[flow])
                          for flow in ("export", "import")])
        for (partner, year), row in wide.sort_index().iterrows()))
    unmapped = flows[flows["partner"].isna()].groupby(["flow", "code"])[["size", "sum"]].sum()
    summary(f"pandas {pd.__version__}", {"export": expo_rows, "import": impo_rows},
            ((flow, code, r["size"], float(r["sum"])) for (flow, code), r in unmapped.iterrows()))


if __name__ == "__main__":
    main()
