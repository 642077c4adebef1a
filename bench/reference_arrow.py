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

from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
from _reference import arguments, python_balance
from pyarrow import csv as arrow_csv

BLOCK_BYTES = 16 << 20


def sums(path: Path, code: str, value: str) -> tuple[list[tuple], int]:
    """([(code, FECH, lines, value)], rows read) for one microdata file."""
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
        return [], rows
    total = pa.concat_tables(partial)
    total = total.group_by([code, "FECH"], use_threads=False).aggregate(
        [(f"{value}_sum", "sum"), ("count_all", "sum")])
    codes = total.column(code).to_pylist()
    dates = total.column("FECH").to_pylist()
    lines = total.column("count_all_sum").to_pylist()
    values = total.column(f"{value}_sum_sum").to_pylist()
    return list(zip(codes, dates, lines, values, strict=True)), rows


def main() -> None:
    python_balance(arguments(__doc__), sums, f"pyarrow {pa.__version__}")


if __name__ == "__main__":
    main()
