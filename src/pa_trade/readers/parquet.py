"""The canonical table as Parquet (layout `parquet`): a file, or the files of a folder
partitioned the Hive way (reporter=COL/year=2023/part-0.parquet), as `pa-trade flows
--format parquet` writes them, or as DuckDB, polars or Spark write a table of the same
columns (flows.parquet_schema; docs/input-layouts.md#parquet).

Every file of a partitioned folder is an input of its own (readers.inputs finds them by their
.parquet suffix); the columns its path names (reporter=, year=) fill in the columns it does
not hold. Rows pass the tidy reader's checks (readers.tidy.check_rows), so that a file edited
elsewhere is judged as a tidy CSV would be: every row read is used or reported.
"""

from __future__ import annotations

import re

from pa_trade import flows
from pa_trade.errors import DataError
from pa_trade.readers.common import NotMicrodata, short_name
from pa_trade.readers.report import LoadReport
from pa_trade.textio import SEPARATOR, SourceFile

# the columns a file (or its path) must give: the tidy layout's
REQUIRED = [c for c in flows.TIDY_REQUIRED if c != "source"]
WHOLE_COLUMNS = ("year", "month")
HIVE_NULL = "__HIVE_DEFAULT_PARTITION__"  # how Hive, Arrow and Spark write a missing key
WANTED = {"text": "text (string)", "whole": "an integer", "amount": "a number (decimal, "
          "integer or floating point)"}


class NotCanonical(NotMicrodata):
    """A Parquet file whose columns are not the canonical table's (missing, or of another
    type): named by the user, an error; found in a folder or an archive, it is named and
    skipped, as a stray file is (readers.load)."""


def partition_keys(name: str) -> dict[str, str]:
    """The canonical columns the folders holding a file name the Hive way:
    {'reporter': 'COL', 'year': '2023'} for .../reporter=COL/year=2023/part-0.parquet. Only
    the folders right above the file count, up to the first that names no column."""
    from urllib.parse import unquote

    inner = name.rsplit(SEPARATOR, 1)[-1]
    folders = re.split(r"[/\\]", inner)[:-1]
    keys: dict[str, str] = {}
    for folder in reversed(folders):
        column, equals, value = folder.partition("=")
        if not equals or column.lower() not in flows.COLUMNS:
            break
        keys.setdefault(column.lower(), "" if value == HIVE_NULL else unquote(value))
    return keys


def read_parquet(src: SourceFile):
    """Read one Parquet file -> (canonical flows, LoadReport). DataError for a file that is
    no Parquet, one written by a newer pa-trade, and one whose columns (with those its path
    names) miss one the table needs or are of the wrong type; rows that fail the tidy
    layout's checks are set aside, each with its row number."""
    import pyarrow as pa

    report = LoadReport(src.name, "parquet", position="row")
    table = _table(src)
    _refuse_newer(src.name, table.schema.metadata or {})
    columns = _columns(src.name, table)
    from_path = partition_keys(src.name)
    missing = [c for c in REQUIRED if c not in columns and c not in from_path]
    if missing:
        raise NotCanonical(
            f"{src.name}: missing column(s) {', '.join(missing)} for the parquet layout "
            f"(the canonical table: reporter, partner, year, flow, value_usd, valuation; "
            f"see docs/input-layouts.md)")
    unknown = sorted(set(table.column_names) - set(columns.values()))
    if unknown:
        report.notes.append(f"column(s) {', '.join(unknown)} are not of the canonical table: "
                            f"not read")
    rows = table.num_rows
    report.rows_read = rows
    text = {}
    for column in flows.COLUMNS:
        if column in columns:
            cells = _as_text(src.name, column, table.column(columns[column]))
        elif column in from_path:
            cells = pa.array([from_path[column]] * rows, type=pa.string())
        else:
            continue
        text[column] = cells
    from pa_trade.readers import tidy

    frame = tidy.check_rows(_to_pandas(text, rows), range(1, rows + 1), report,
                            f"parquet file ({short_name(src.name)})")
    report.set_aside.sort(key=lambda r: r.line)
    return flows.aggregate(frame), report


def _table(src: SourceFile):
    """The whole file as an Arrow table; DataError when it is no Parquet that can be read."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    # on disk, read in place; else (a small file read whole, stdin, an archive's member)
    # from its bytes
    where = src.path if src.held is None and src.path is not None else pa.BufferReader(src.data)
    try:
        with pq.ParquetFile(where) as parquet_file:
            return parquet_file.read()
    except (pa.ArrowException, OSError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise DataError(f"{src.name}: not a Parquet file that can be read ({first})") from None


def _refuse_newer(name: str, metadata: dict) -> None:
    version = metadata.get(flows.META_SCHEMA)
    if version is None:
        return  # written elsewhere: judged by its columns
    text = version.decode("utf-8", "replace")
    if not text.isdigit() or int(text) > int(flows.PARQUET_SCHEMA_VERSION):
        written_by = metadata.get(flows.META_VERSION, b"?").decode("utf-8", "replace")
        raise DataError(f"{name}: written by pa-trade {written_by} in Parquet schema {text}; "
                        f"this pa-trade reads schema {flows.PARQUET_SCHEMA_VERSION}: upgrade "
                        f"it, or write the file again with `pa-trade flows -f csv`")


def _columns(name: str, table) -> dict[str, str]:
    """{canonical column: the file's column}, names compared without case; NotCanonical for
    a column named twice."""
    found: dict[str, str] = {}
    for column in table.column_names:
        key = column.strip().lower()
        if key in flows.COLUMNS:
            if key in found:
                raise NotCanonical(f"{name}: columns {found[key]!r} and {column!r} both "
                                   f"name {key}; which one to read cannot be told")
            found[key] = column
    return found


def _kind(column: str) -> str:
    if column in WHOLE_COLUMNS:
        return "whole"
    return "amount" if column == "value_usd" else "text"


def _as_text(name: str, column: str, cells):
    """A column as Arrow strings ('' for null), as a tidy CSV would give it; NotCanonical for
    a column of the wrong type (a tariff code stored as a number has lost its leading zeros)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    kind = _kind(column)
    value_type = cells.type.value_type if pa.types.is_dictionary(cells.type) else cells.type
    fits = {
        "text": pa.types.is_string(value_type) or pa.types.is_large_string(value_type),
        "whole": pa.types.is_integer(value_type),
        "amount": (pa.types.is_decimal(value_type) or pa.types.is_integer(value_type)
                   or pa.types.is_floating(value_type)),
    }[kind] or pa.types.is_null(value_type)
    if not fits:
        why = " (a tariff code is text: '09' is not 9)" if column == "hs_code" else ""
        raise NotCanonical(f"{name}: column {column} is {cells.type}; the parquet layout "
                           f"wants {WANTED[kind]} there{why}")
    text = pc.fill_null(cells.cast(pa.string()), "")
    if column != "source":  # codes as a tidy CSV's cells are read; a source stays as it is
        text = pc.utf8_trim_whitespace(text)
    return text


def _to_pandas(text: dict, rows: int):
    """The text columns as the frame of Arrow-backed strings tidy.check_rows takes."""
    import pandas as pd
    import pyarrow as pa

    if not text:
        return pd.DataFrame(index=pd.RangeIndex(rows))
    table = pa.table(text)
    return table.to_pandas(types_mapper={pa.string(): pd.StringDtype("pyarrow")}.get)
