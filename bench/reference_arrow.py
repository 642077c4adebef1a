"""Arrow floor for `pa-trade balance colombia` on DANE microdata: the least an Arrow-based
reader has to do, with none of pa-trade's checks.

    python bench/reference_arrow.py EXPO IMPO --countries data/countries.csv --out ref.csv

pyarrow's streaming CSV reader parses only the three needed columns, with the types decided
up front (FECH as an integer, the DIAN code dictionary-encoded, money as float64 read with
`decimal_point=","`), so every cell is converted inside Arrow's parallel parser; each batch is
summed by raw (code, FECH) and only those few thousand groups are mapped to ISO3 and years.
No pandas. It assumes clean files: a damaged cell stops it instead of being reported.

Writes `partner,year,exports_usd,imports_usd` and prints a JSON summary on stdout.
"""

from __future__ import annotations

import argparse
import csv
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
from pyarrow import csv as arrow_csv

IMPORT_COLUMNS = {"cif": "VACID", "fob": "VAFODO"}
BLOCK_BYTES = 16 << 20


def dian_to_iso3(path: Path) -> dict[int, str]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return {int(code): row["iso3"] for row in csv.DictReader(handle)
                for code in row["dian_codes"].split()}


def sums(path: Path, code: str, value: str) -> tuple[dict[tuple[str, int], tuple], int]:
    """((lines, value) per raw (code, FECH), rows read) for one microdata file."""
    reader = arrow_csv.open_csv(
        str(path),
        read_options=arrow_csv.ReadOptions(block_size=BLOCK_BYTES),
        parse_options=arrow_csv.ParseOptions(delimiter=";"),
        convert_options=arrow_csv.ConvertOptions(
            include_columns=["FECH", code, value],
            column_types={"FECH": pa.int64(), code: pa.dictionary(pa.int32(), pa.string()),
                          value: pa.float64()},
            decimal_point=",",
        ),
    )
    partial, rows = [], 0
    for batch in reader:
        rows += batch.num_rows
        table = pa.Table.from_batches([batch])
        grouped = table.group_by([code, "FECH"], use_threads=False).aggregate(
            [(value, "sum"), ([], "count_all")])
        # each batch has its own dictionary: plain text before the batches are put together
        where = grouped.schema.get_field_index(code)
        partial.append(grouped.set_column(where, code, pc.cast(grouped[code], pa.string())))
    if not partial:
        return {}, rows
    total = pa.concat_tables(partial)
    total = total.group_by([code, "FECH"], use_threads=False).aggregate(
        [(f"{value}_sum", "sum"), ("count_all", "sum")])
    codes = total.column(code).to_pylist()
    dates = total.column("FECH").to_pylist()
    lines = total.column("count_all_sum").to_pylist()
    values = total.column(f"{value}_sum_sum").to_pylist()
    return {(c, d): (n, v) for c, d, n, v in zip(codes, dates, lines, values, strict=True)}, rows


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
        for (raw, fech), (lines, amount) in found.items():
            year = fech // 100 + (2000 if fech < 10_000 else 0)
            text = raw.strip()
            partner = table.get(int(text)) if text.isdigit() else None
            if partner is None:
                entry = unmapped.setdefault((flow, raw), [0, 0.0])
                entry[0] += lines
                entry[1] += amount
                continue
            balance.setdefault((partner, year), [None, None])
            previous = balance[(partner, year)][side]
            balance[(partner, year)][side] = amount + (previous or 0.0)
    with args.out.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["partner", "year", "exports_usd", "imports_usd"])
        for (partner, year), values in sorted(balance.items()):
            writer.writerow([partner, year] + ["" if v is None else f"{v:.2f}" for v in values])
    print(json.dumps({
        "engine": f"pyarrow {pa.__version__}",
        "rows": rows,
        "unmapped": [{"flow": flow, "code": code, "rows": v[0], "value_usd": f"{v[1]:.2f}"}
                     for (flow, code), v in sorted(unmapped.items())],
    }))


if __name__ == "__main__":
    main()
