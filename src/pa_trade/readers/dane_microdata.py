"""DANE customs microdata: exports (EXPO, formats.md §1) and imports (IMPO, §2), as CSV or as
the Stata (.dta) and SPSS (.sav) files DANE ships beside each CSV.

One row per declaration line; exports are FOBDOL (FOB); imports are VACID (CIF) and VAFODO
(FOB), both emitted; the import partner is PAISGEN (origin). The partner code is DIAN's in
older releases and ISO 3166 numeric in newer ones, with the ISO alpha-3 code in COD_PAI4
beside it: which system a file uses is decided by evidence (readers.country_codes).
Colombia's free-trade zones and lines naming Colombia itself are partners of their own
(XCF, XTN), and every file gives a World row: the sum of all its lines, as DANE's total.

CSV files are streamed in batches through Arrow's CSV reader: only the needed columns,
numbers parsed in bulk, rows summed once per batch by their raw codes, month and tariff code
(one integer key per row, see `_grouped`), the batches' sums combined once at the end, after
each distinct code is mapped, so memory stays flat as files grow. A file whose lines do not all
fit the header (short lines, blank lines, line breaks inside quotes) is read again line by
line, so that every row set aside is reported with its physical line; a file whose codes
need a closer look (unknown codes, alpha-3 and numeric codes that disagree) is read a second
time with its code system settled, to name those rows by line.
"""

from __future__ import annotations

import dataclasses
import io
import os
import sys
import threading
from dataclasses import dataclass

from pa_trade import numbers, periods
from pa_trade.errors import DataError
from pa_trade.readers import country_codes
from pa_trade.readers.common import (
    NotMicrodata,
    choose_style,
    fields,
    join_fields,
    short_name,
)
from pa_trade.readers.report import LoadReport
from pa_trade.textio import SourceFile, delimiter_name, sniff_delimiter

# big files are parsed in pieces of this size, one per core at a time, with tariff codes
# (a larger piece's sums shrink more before the pieces are joined); without them in pieces
# of half the size, which keep both cores busy to the file's end (balance: 10 % faster at
# 5M rows, and 70 MB less)
CHUNK_BYTES = 48 << 20
BLOCK_BYTES = 8 << 20  # Arrow parses a block per thread; 8 MB keeps both cores busy and
# what Arrow reads ahead small
# Rows are summed by one int64 key: (the code pair or the partner) << PAIR_SHIFT | the month
# since January 1900 << HS_BITS | the tariff code as a number (ten digits at most, checked
# before, so the number gives back the code zero-padded to ten digits) or NO_HS
HS_BITS = 34  # 10**10 < 2**34
NO_HS = 10**10  # no tariff code
MONTH_BITS = 12  # January 1900 to December 2099 (periods.FIRST_YEAR, LAST_YEAR)
PAIR_SHIFT = HS_BITS + MONTH_BITS
LOW_MASK = (1 << PAIR_SHIFT) - 1
MAX_PAIRS = 1 << (63 - PAIR_SHIFT)  # beyond, two keys (_grouped)
REPORTER = "COL"  # DANE's microdata are Colombia's trade
DOMESTIC = "XTN"  # lines whose partner is Colombia itself: national territory
WORLD = "WLD"
NUMERIC = "numeric"  # the style of a value column a binary file stores as numbers
_TARIFF_CODE = r"^[0-9]{1,10}$"  # POSAR, NABAN: up to ten digits (leading zeros may be lost)
_VALID_NUMBER = {
    numbers.SPANISH: r"^[+-]?(\d{1,3}(\.\d{3})+|\d+)(,\d+)?$",
    numbers.ENGLISH: r"^[+-]?(\d{1,3}(,\d{3})+|\d+)(\.\d+)?$",
}


@dataclass(frozen=True)
class Layout:
    """What one microdata layout holds and where."""

    name: str
    flow: str
    date: str
    partner: str
    hs_code: str
    values: dict[str, str]  # valuation -> column
    alpha: str | None = None  # the ISO alpha-3 code of the partner, where releases have it

    @property
    def required(self) -> list[str]:
        return [self.date, self.partner, *self.values.values()]


EXPO = Layout("dane-expo", "export", "FECH", "PAIS", "POSAR", {"FOB": "FOBDOL"}, "COD_PAI4")
IMPO = Layout("dane-impo", "import", "FECH", "PAISGEN", "NABAN", {"CIF": "VACID", "FOB": "VAFODO"})
LAYOUTS = {EXPO.name: EXPO, IMPO.name: IMPO}


class _NeedsLineByLine(Exception):
    """The fast path met a line it cannot place; the exact path will account for it."""


class _NeedsTextColumns(Exception):
    """A cell Arrow could not convert, or a row to set aside: read the cells as text."""


class _NeedsSecondPass(Exception):
    """The code system is now decided, and some rows must be named by their line (unknown
    codes, codes that disagree): read again with the system settled."""

    def __init__(self, system: str):
        super().__init__(system)
        self.system = system


def header_columns(header: list[str]) -> list[str]:
    return [h.strip().strip('"').strip("\ufeff").upper() for h in header]


def layout_of(columns: set[str]) -> Layout | None:
    """The microdata layout a set of (upper-case) column names is, told apart by the partner
    column; None for neither."""
    if {"FECH", "PAISGEN"} <= columns:
        return IMPO
    if {"FECH", "PAIS"} <= columns:
        return EXPO
    return None


def _narrowed(layout: Layout, valuations: tuple[str, ...] | None) -> Layout:
    """The layout reading only the import valuations asked for (all when none is)."""
    if not valuations:
        return layout
    kept = {v: c for v, c in layout.values.items() if v in valuations}
    return dataclasses.replace(layout, values=kept or layout.values)


def read_expo(src: SourceFile, number_style: str | None = None, line_by_line: bool = False,
              products: bool = True, codes: str | None = None):
    """Read a DANE EXPO file -> (canonical flows, LoadReport)."""
    return read(src, EXPO, number_style, line_by_line, products, codes)


def read_impo(src: SourceFile, number_style: str | None = None, line_by_line: bool = False,
              products: bool = True, valuations: tuple[str, ...] | None = None,
              codes: str | None = None):
    """Read a DANE IMPO file -> (canonical flows, LoadReport).

    `valuations`: ('CIF',) reads VACID only, ('FOB',) VAFODO only; None both.
    """
    return read(src, _narrowed(IMPO, valuations), number_style, line_by_line, products, codes)


def read(src: SourceFile, layout: Layout, number_style: str | None, line_by_line: bool = False,
         products: bool = True, codes: str | None = None):
    """Read microdata of `layout` -> (canonical flows, LoadReport).

    `products=False` leaves the tariff code out (flows per partner and month only), which is
    all a balance needs and much less to add up. `line_by_line` skips the streaming path.
    `codes` ('dian' or 'iso') forces how the partner codes are read; None decides it.
    """
    head = src.head_lines
    header_index = next(i for i, line in enumerate(head) if line.strip())
    delimiter = sniff_delimiter(head[header_index : header_index + 50])
    header = header_columns(fields(head[header_index], delimiter))
    _check_columns(src.name, f"line {header_index + 1}", layout, header)
    report = LoadReport(src.name, layout.name, encoding=src.head_encoding,
                        delimiter=delimiter_name(delimiter))
    rows = [fields(line, delimiter) for line in head[header_index + 1:]]
    samples = {
        column: [(header_index + 2 + i, cells[p].strip()) for i, cells in enumerate(rows)
                 if p < len(cells)]
        for column in layout.values.values() for p in [header.index(column)]
    }
    styles = _choose_styles(report, samples, number_style)
    reader = _Batches(src, layout, report, styles, header, header_index, delimiter, products,
                      codes)
    return reader.read_all(line_by_line)


def _check_columns(name: str, where: str, layout: Layout, header: list[str]) -> None:
    missing = [c for c in layout.required if c not in header]
    if missing:
        raise DataError(
            f"{name}: {where}: missing column(s) {', '.join(missing)} "
            f"for {layout.name} (found: {', '.join(header[:20])})"
        )
    used = {*layout.required, layout.hs_code, *([layout.alpha] if layout.alpha else [])}
    repeated = sorted(c for c in used if header.count(c) > 1)
    if repeated:
        raise DataError(
            f"{name}: {where}: column {', '.join(repeated)} appears more than once; which one "
            f"holds the figures cannot be told, so keep one of them"
        )


def _choose_styles(report: LoadReport, samples: dict[str, list[tuple[int, str]]],
                   forced: str | None) -> dict[str, str]:
    """The number style of each value column: releases have written FOBDOL '99636,92', and
    VACID and VAFODO need not agree. Recorded in the report ('spanish', or per column)."""
    styles, described = {}, {}
    for column, values in samples.items():
        notes_before = len(report.notes)
        style = choose_style(report, values, forced, numbers.SPANISH, "DANE")
        for index in range(notes_before, len(report.notes)):
            if len(samples) > 1:
                report.notes[index] = report.notes[index].replace(
                    "the number style", f"the number style of {column}")
        styles[column] = style.split(" ")[0]
        described[column] = report.number_style
    report.number_style = _styles_text(styles, described)
    return styles


def _styles_text(styles: dict[str, str], described: dict[str, str] | None = None) -> str:
    """'spanish', or 'VACID spanish, VAFODO english' when the columns differ."""
    if len(set(styles.values())) == 1:
        column = next(iter(styles))
        return (described or styles)[column]
    return ", ".join(f"{column} {style}" for column, style in styles.items())


def read_binary(src: SourceFile, kind: str, layout_name: str | None = None,
                number_style: str | None = None, products: bool = True,
                valuations: tuple[str, ...] | None = None, codes: str | None = None):
    """Read microdata saved as Stata (`kind` 'stata', .dta) or SPSS ('spss', .sav) ->
    (canonical flows, LoadReport). Rows are counted from 1, as the programs number them.

    Raises DataError for a file that cannot be read or holds no microdata layout.
    """
    import pyreadstat

    reader = pyreadstat.read_dta if kind == "stata" else pyreadstat.read_sav
    what = "a Stata (.dta)" if kind == "stata" else "an SPSS (.sav)"

    def handle():
        return str(src.path) if src.path is not None else io.BytesIO(src.data)

    try:
        _, meta = reader(handle(), metadataonly=True)
    except Exception as exc:  # pyreadstat raises its own ReadstatError and others
        raise DataError(f"{src.name}: not {what} file that can be read ({exc})") from None
    names = list(meta.column_names)
    header = header_columns(names)
    if layout_name is not None:
        layout = LAYOUTS.get(layout_name)
        if layout is None:
            raise DataError(f"{src.name}: {what} file holds microdata, not a {layout_name} "
                            f"table")
    else:
        layout = layout_of(set(header))
        if layout is None:
            raise NotMicrodata(f"{src.name}: {what} file whose columns are no microdata layout "
                            f"(found: {', '.join(header[:12])}); expected DANE's EXPO or IMPO")
    layout = _narrowed(layout, valuations)
    _check_columns(src.name, "columns", layout, header)
    wanted = [layout.date, layout.partner, *layout.values.values()]
    if layout.alpha in header:
        wanted.append(layout.alpha)
    if products and layout.hs_code in header:
        wanted.append(layout.hs_code)
    original = {header[i]: names[i] for i in range(len(names))}
    try:
        frame, _ = reader(handle(), usecols=[original[c] for c in wanted])
    except Exception as exc:
        raise DataError(f"{src.name}: not {what} file that can be read ({exc})") from None
    report = LoadReport(src.name, layout.name, encoding=meta.file_encoding or "",
                        position="row")
    columns = {column: _arrow_column(frame[original[column]]) for column in wanted}
    samples = {}
    for column in layout.values.values():
        if _is_text(columns[column]):
            values = columns[column].to_pylist()
            samples[column] = [(i + 1, v.strip()) for i, v in enumerate(values[:20000]) if v]
    styles = _choose_styles(report, samples, number_style) if samples else {}
    for column in layout.values.values():
        styles.setdefault(column, NUMERIC)
    report.number_style = _styles_text(
        {c: ("stored as numbers" if s == NUMERIC else s) for c, s in styles.items()})
    batches = _Batches(src, layout, report, styles, wanted, 0, "", products, codes)
    batches.frame = columns
    return batches.read_all(False)


def _arrow_column(series):
    """A column of a Stata or SPSS file as Arrow: numbers as numbers, text as text. Codes
    stored as numbers (PAIS 249.0, FECH 2301.0) come back as integers."""
    import pyarrow as pa
    import pyarrow.compute as pc

    array = pa.array(series, from_pandas=True)
    if pa.types.is_floating(array.type):
        valid = pc.drop_null(array)
        if len(valid) and pc.all(pc.equal(pc.floor(valid), valid)).as_py() and pc.max(
                pc.abs(valid)).as_py() < 2**53:
            return pc.cast(array, pa.int64())
    if pa.types.is_large_string(array.type):
        return pc.cast(array, pa.string())
    return array


def _is_text(array) -> bool:
    import pyarrow as pa

    return pa.types.is_string(array.type) or pa.types.is_large_string(array.type)


def _as_text(array):
    """Cells as text: numbers written plainly, digits only for integers."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if _is_text(array):
        return array
    if pa.types.is_null(array.type):
        return pa.nulls(len(array), pa.string())
    return pc.cast(array, pa.string())


def _cell(column, row: int) -> str:
    """One cell as text for a message; bytes that are not UTF-8 are read as Windows-1252."""
    import pyarrow as pa

    raw = column.slice(row, 1).cast(pa.binary()).to_pylist()[0] or b""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("cp1252", "replace")


def _pair_codes(code, alpha):
    """(distinct (numeric code, alpha-3 code) pairs, the pair of each row as an index into
    them): both columns dictionary-encoded, their indices combined, no text joined."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    def encoded(column):
        found = pc.dictionary_encode(column)
        if isinstance(found, pa.ChunkedArray):
            found = found.combine_chunks()
        return found.dictionary.to_pylist(), found.indices.to_numpy(zero_copy_only=False)

    codes, code_at = encoded(code)
    alphas, alpha_at = encoded(alpha)
    width = max(len(alphas), 1)
    distinct, inverse = np.unique(code_at.astype(np.int64) * width + alpha_at,
                                  return_inverse=True)
    pairs = [(codes[k // width], alphas[k % width]) for k in distinct.tolist()]
    return pairs, inverse


def _spans_lines(column) -> bool:
    """Whether a text cell holds a line break."""
    import pyarrow.compute as pc

    if not _is_text(column):
        return False
    return bool(pc.any(pc.match_substring(column, "\n")).as_py() or pc.any(
        pc.match_substring(column, "\r")).as_py())


def _blank(count: int):
    """`count` empty strings: the alpha-3 code of a file that has none."""
    import pyarrow as pa
    import pyarrow.compute as pc

    return pc.fill_null(pa.nulls(count, pa.string()), "")


def _is_utf8(column) -> bool:
    """Whether text cells are valid UTF-8 (Arrow reads them unchecked, for speed)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if not _is_text(column):
        return True
    try:
        pc.cast(pc.cast(column, pa.binary()), pa.string())
    except pa.ArrowInvalid:
        return False
    return True


def _cells(column, rows):
    """Some cells of a column as text, for messages; bytes that are not UTF-8 read as
    Windows-1252."""
    import pyarrow as pa
    import pyarrow.compute as pc

    raw = pc.take(_as_text(column), pa.array(rows)).cast(pa.binary()).to_pylist()
    out = []
    for value in raw:
        value = value or b""
        try:
            out.append(value.decode("utf-8"))
        except UnicodeDecodeError:
            out.append(value.decode("cp1252", "replace"))
    return out


def _trimmed(column):
    """Cells without surrounding spaces; trimming costs, so only when a space is there."""
    import pyarrow.compute as pc

    if not _is_text(column):
        return column
    if pc.any(pc.match_substring(column, " ")).as_py():
        return pc.utf8_trim_whitespace(column)
    return column


def _year_of_yy(yy):
    """2000 + YY, or 1900 + YY from 80 on (no DANE release dates from 2080)."""
    import pyarrow.compute as pc

    return pc.if_else(pc.greater_equal(yy, 80), pc.add(yy, 1900), pc.add(yy, 2000))


def _dates(date):
    """(year, month, bad) from FECH cells: YYMM, YMM (old releases: 501 is January 2005) or
    YYYYMM."""
    import pyarrow as pa
    import pyarrow.compute as pc

    date = _as_text(date)
    length = pc.utf8_length(date)
    short, long = pc.or_(pc.equal(length, 3), pc.equal(length, 4)), pc.equal(length, 6)
    try:
        number = pc.cast(date, pa.int64())
        number = pc.if_else(pc.or_(short, long), number, pa.scalar(None, pa.int64()))
    except pa.ArrowInvalid:
        # some cell is not digits: find which, cell by cell
        digits = pc.match_substring_regex(date, r"^(\d{3,4}|\d{6})$")
        number = pc.cast(pc.if_else(digits, date, pa.scalar(None, pa.string())), pa.int64())
    century = pc.divide(number, 100)
    year = pc.if_else(short, _year_of_yy(century), century)
    month = pc.subtract(number, pc.multiply(century, 100))
    good = pc.and_(pc.and_(pc.greater_equal(month, 1), pc.less_equal(month, 12)),
                   pc.and_(pc.greater_equal(year, periods.FIRST_YEAR),
                           pc.less_equal(year, periods.LAST_YEAR)))
    return year, month, pc.invert(pc.fill_null(good, False))


def _numbers(cells, style: str):
    """(values, empty, bad, dash) for value cells in the column's style; values are null
    where not read. A lone '-' is zero (spreadsheets' accounting format writes zero so);
    `dash` marks those cells.

    Columns stored as numbers are taken as they are; clean text batches (no thousands
    separators, nothing damaged) take one bulk cast; the others are checked cell by cell
    against the style's pattern.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    if not _is_text(cells):
        values = pc.cast(cells, pa.float64())
        empty = pc.is_null(values)
        # a stored NaN is no figure either
        empty = pc.or_(empty, pc.fill_null(pc.is_nan(values), False))
        no = pc.fill_null(pc.and_(empty, False), False)
        too_large = pc.fill_null(pc.invert(pc.less(pc.abs(values), numbers.MAX_EXACT_USD)),
                                 False)
        too_large = pc.and_(too_large, pc.invert(empty))
        kept = pc.if_else(pc.or_(empty, too_large), pa.scalar(None, pa.float64()), values)
        return kept, empty, too_large, no
    empty = pc.fill_null(pc.equal(cells, ""), True)
    dash = pc.fill_null(pc.equal(cells, "-"), False)
    some_dash = pc.any(dash).as_py()
    if some_dash:
        cells = pc.if_else(dash, pa.scalar("0"), cells)
    thousands = "." if style == numbers.SPANISH else ","
    if not pc.any(pc.match_substring(cells, thousands)).as_py():
        plain = pc.replace_substring(cells, ",", ".") if style == numbers.SPANISH else cells
        if pc.any(empty).as_py():
            plain = pc.if_else(empty, pa.scalar(None, pa.string()), plain)
        try:
            values = pc.cast(plain, pa.float64())
        except pa.ArrowInvalid:
            values = None
        # the bulk cast also takes 'nan' or 'inf', which no customs file means, and amounts
        # too large to hold to the cent: the cell by cell check sets them aside
        if values is not None and pc.all(pc.is_finite(values)).as_py() is not False and (
                _held(values)):
            return values, empty, pc.fill_null(pc.and_(empty, False), False), dash
    valid = pc.match_substring_regex(cells, _VALID_NUMBER[style])
    if style == numbers.SPANISH:
        plain = pc.replace_substring(pc.replace_substring(cells, ".", ""), ",", ".")
    else:
        plain = pc.replace_substring(cells, ",", "")
    values = pc.cast(pc.if_else(valid, plain, pa.scalar(None, pa.string())), pa.float64())
    too_large = pc.fill_null(pc.greater_equal(pc.abs(values), numbers.MAX_EXACT_USD), False)
    values = pc.if_else(too_large, pa.scalar(None, pa.float64()), values)
    bad = pc.or_(pc.fill_null(pc.and_(pc.invert(valid), pc.invert(empty)), False), too_large)
    return values, empty, bad, dash


def _held(values) -> bool:
    """Whether every amount can be held to the cent (numbers.MAX_EXACT_USD)."""
    import pyarrow.compute as pc

    largest = pc.max(pc.abs(values)).as_py()
    return largest is None or largest < numbers.MAX_EXACT_USD


def _numpy(column):
    """An Arrow column without nulls as a numpy array."""
    return column.to_numpy(zero_copy_only=False) if hasattr(column, "to_numpy") else column


def _encoded(column):
    """(distinct texts as an Arrow array, each row's index into them as numpy), in order of
    first appearance; a missing cell is the empty text."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    found = pc.dictionary_encode(pc.fill_null(_as_text(column), ""))
    if isinstance(found, pa.ChunkedArray):  # the chunks share one dictionary
        if not found.num_chunks:
            return pa.array([], pa.string()), np.zeros(0, np.int64)
        return found.chunk(0).dictionary, np.concatenate(
            [chunk.indices.to_numpy(zero_copy_only=False) for chunk in found.chunks])
    return found.dictionary, found.indices.to_numpy(zero_copy_only=False)


def _hs_numbers(texts):
    """Tariff codes checked to be digits (or empty) as numbers: NO_HS where empty."""
    import pyarrow as pa
    import pyarrow.compute as pc

    given = pc.if_else(pc.equal(texts, ""), pa.scalar(None, pa.string()), texts)
    return _numpy(pc.fill_null(pc.cast(given, pa.int64()), NO_HS))


def _month_index(year, month):
    """Months since January of periods.FIRST_YEAR (numpy)."""
    return (year - periods.FIRST_YEAR) * 12 + (month - 1)


def _typed_months(date):
    """(months since January 1900, good) from FECH read as integers (numpy): YYMM or YMM
    (100-9912) and YYYYMM (190001-209912); '0203' read as 203 is March 2002 either way.

    A file's dates are a few months: worked out once for each number between the least
    and the greatest, then looked up per row (two passes over the rows, not fifteen)."""
    import numpy as np

    if len(date):
        low, high = int(date.min()), int(date.max())
        if 0 <= low and high - low < 1 << 16:
            months, good = _months_of(np.arange(low, high + 1, dtype=np.int64))
            at = date - low
            return months[at], good[at]
    return _months_of(date)


def _months_of(date):
    """_typed_months, row by row."""
    import numpy as np

    short = (date >= 100) & (date <= 9999)
    long = (date >= periods.FIRST_YEAR * 100 + 1) & (date <= periods.LAST_YEAR * 100 + 12)
    century = date // 100
    month = date - century * 100
    good = (short | long) & (month >= 1) & (month <= 12)
    year = np.where(short, np.where(century >= 80, century + 1900, century + 2000), century)
    return _month_index(year, month), good


def _grouped(high, low, values: dict):
    """Rows summed by (high, low) -> (high, low, {name: sums}) per group, the groups in order
    of first appearance. `high` (code pairs or partners) and `low` (month and tariff code)
    are int64 numpy arrays, `values` float64 ones; sums add the rows up in their order."""
    import numpy as np

    if not len(high):
        return high, low, {name: np.zeros(0) for name in values}
    dense = _dense_groups(high, low)
    if dense is not None:  # few possible keys (no tariff codes): counted, not hashed
        at, high, low = dense
    elif int(high.max()) < MAX_PAIRS:
        import pandas as pd  # here only: balance's pieces need no pandas (_settle_imports)

        # pandas' hashing of integers: twice Arrow's speed, in worker threads too
        at, keys = pd.factorize((high << PAIR_SHIFT) | low)
        high, low = keys >> PAIR_SHIFT, keys & LOW_MASK
    else:  # very many code pairs (a damaged file): two keys
        import pandas as pd

        at, keys = pd.MultiIndex.from_arrays([high, low]).factorize()
        high, low = (keys.get_level_values(i).to_numpy(dtype=np.int64) for i in (0, 1))
    return high, low, {name: np.bincount(at, weights=array, minlength=len(high))
                       for name, array in values.items()}


def _dense_groups(high, low):
    """(each row's group, the groups' high and low keys) for _grouped, the groups in order
    of first appearance, when the rows have one tariff code (none, for balance) and their
    code pairs times months are few enough to number every possible pair (some thousands):
    a flag per possible pair instead of a hash table. None otherwise."""
    import numpy as np

    from pa_trade import flows

    tariff = low & ((1 << HS_BITS) - 1)
    code = int(tariff[0])
    if (tariff != code).any():
        return None
    months = low >> HS_BITS
    first_month = int(months.min())
    span = int(months.max()) - first_month + 1
    size = (int(high.max()) + 1) * span
    if size > 4 * len(high) + (1 << 16):
        return None
    key = high * span + (months - first_month)
    present = key[flows.first_rows(key)]  # the keys met, by first appearance
    number = np.empty(size, dtype=np.int64)
    number[present] = np.arange(len(present), dtype=np.int64)
    high, month = np.divmod(present, span)
    return number[key], high, ((month + first_month) << HS_BITS) | code


class _Batches:
    """Turns batches of columns into aggregated flows, accounting for every row."""

    def __init__(self, src, layout, report, styles, header, header_index, delimiter,
                 products, codes=None):
        self.src, self.layout, self.report, self.styles = src, layout, report, styles
        self.header, self.header_index, self.delimiter = header, header_index, delimiter
        self.alpha = layout.alpha if layout.alpha in header else None
        self.columns = [layout.date, layout.partner, *layout.values.values()]
        if self.alpha:
            self.columns.append(self.alpha)
        self.products = bool(products and layout.hs_code in header)
        if self.products:
            self.columns.append(layout.hs_code)
        self.forced = codes
        # decided from the whole file at the end, even when forced: a forced system the
        # codes contradict is refused, never applied
        self.system: str | None = None
        self.decision: country_codes.Decision | None = None
        self.frame = None  # the columns of a Stata or SPSS file, read whole
        # each batch's sums (pair ids, months and tariff codes, {valuation: sums}), in the
        # order of the file; combined once, in _finish
        self.partial: list[tuple] = []
        # the distinct (code, alpha-3) pairs met, numbered as met (worker threads add to it)
        self.pair_ids: dict[tuple[str, str], int] = {}
        self.pair_list: list[tuple[str, str]] = []
        self.lock = threading.Lock()  # for pair_ids and pairs, shared by the workers
        self.pairs: dict[tuple[str, str], tuple[str | None, str | None]] = {}
        self.negative: dict[str, int] = {}  # rows used with a value below zero, per column
        self.dashes: dict[str, int] = {}  # rows whose value is a lone '-' (zero), per column
        self.disagreeing: list[tuple[int, str, float]] = []  # (line, why, value)
        self.empty_months: set[tuple[int, int]] = set()  # months of rows without a value
        self.odd_codes: list[tuple[int, str]] = []  # (line, text) of tariff codes not digits

    @property
    def typed(self) -> bool:
        """Whether Arrow can convert the values as it parses: one text style for them all."""
        return len(set(self.styles.values())) == 1 and NUMERIC not in self.styles.values()

    def read_all(self, line_by_line: bool):
        """The fastest path that accounts for every row; once more if the code system had
        to be decided first."""
        try:
            return self._paths(line_by_line)
        except _NeedsSecondPass as again:
            self.start_again()
            self.system = again.system
            return self._paths(line_by_line)

    def _paths(self, line_by_line: bool):
        if self.frame is not None:
            count = len(next(iter(self.frame.values())))
            import numpy as np

            self._take(self.frame, np.arange(1, count + 1, dtype=np.int64), count)
            return self._finish()
        src = self.src
        if not line_by_line and src.head_encoding != "UTF-16":
            try:
                try:
                    if not self.typed:
                        raise _NeedsTextColumns("values of several styles")
                    # clean files: Arrow converts every cell while it parses, in parallel
                    lone_cr = b"\r" in src.head and b"\r\n" not in src.head
                    if src.path is not None and src.size > 2 * CHUNK_BYTES and not lone_cr:
                        return self.chunks_typed()
                    return self.stream(typed=True)
                except _NeedsTextColumns:
                    self.start_again()
                return self.stream(typed=False)
            except _NeedsLineByLine:
                self.start_again()
        return self.line_by_line()

    def _decimal_point(self) -> str:
        return "," if next(iter(self.styles.values())) == numbers.SPANISH else "."

    def _types(self, wanted: dict[str, str], typed: bool) -> dict:
        import pyarrow as pa

        types = {name: pa.string() for name in wanted}
        if typed:
            for name, column in wanted.items():
                if column == self.layout.date:
                    types[name] = pa.int64()
                elif column in self.layout.values.values():
                    types[name] = pa.float64()
        return types

    def chunks_typed(self):
        """Typed fast path for big files on disk: pieces of the file, cut at line ends, are
        parsed and summed on every core at once; memory holds a few pieces at a time."""
        import pyarrow as pa
        from pyarrow import csv

        from pa_trade.threads import made_in_order

        names = [f"c{i}" for i in range(len(self.header))]
        wanted = {f"c{self.header.index(c)}": c for c in self.columns}
        options = (
            csv.ReadOptions(column_names=names, use_threads=False, block_size=BLOCK_BYTES),
            # a line that does not fit fails the piece: the other paths account for it
            csv.ParseOptions(delimiter=self.delimiter, ignore_empty_lines=False),
            csv.ConvertOptions(include_columns=list(wanted), check_utf8=False,
                               column_types=self._types(wanted, True),
                               decimal_point=self._decimal_point()),
        )
        file_lock = threading.Lock()

        def take(piece: tuple[int, int]) -> tuple[tuple, int]:
            # parsed, checked and summed here, on the worker's own: nothing is shared but
            # the numbering of code pairs (self._pair_ids)
            start, end = piece
            data = read_at(start, end - start)
            if len(data) != end - start:
                raise DataError(f"{self.src.name}: the file changed while it was read "
                                f"(shorter than it was); read it again")
            try:
                table = csv.read_csv(pa.py_buffer(data), *options)
            except pa.ArrowInvalid as exc:
                raise _NeedsTextColumns(str(exc)) from None
            columns = {wanted[n]: table.column(n) for n in wanted}
            return self._take_typed(columns, table.num_rows), table.num_rows

        # opened once: a file removed or replaced while it is read is still the one read
        with open(self.src.path, "rb") as stream:
            if hasattr(os, "preadv"):  # the one open file, read by any thread at any offset
                own = threading.local()

                def read_at(start: int, length: int):
                    # into the thread's own buffer, again and again: no fresh memory for
                    # each piece (the table parsed from it is summed before the next)
                    if len(getattr(own, "buffer", b"")) < length:
                        own.buffer = bytearray(length + (1 << 20))
                    view = memoryview(own.buffer)[:length]
                    return view[:os.preadv(stream.fileno(), [view], start)]
            elif hasattr(os, "pread"):
                def read_at(start: int, length: int) -> bytes:
                    return os.pread(stream.fileno(), length, start)
            else:  # Windows: one thread at a time moves the file's position
                def read_at(start: int, length: int) -> bytes:
                    with file_lock:
                        stream.seek(start)
                        return stream.read(length)
            # a few pieces in memory at a time, kept in the file's order
            for done in made_in_order(take, self._pieces(stream)):
                self._typed_done(*done)
        return self._finish()

    def _typed_done(self, sums: tuple, count: int) -> None:
        """Keep a typed batch's sums; every one of its rows was read and used."""
        self.partial.append(sums)
        self.report.rows_read += count
        self.report.rows_used += count

    def _pieces(self, stream):
        """(start, end) byte ranges of the rows of the open `stream`, each about
        CHUNK_BYTES (half that without tariff codes), cut after a newline: as many pieces
        as a multiple of the cores, of one size, so that the cores finish together rather
        than one parsing the last piece alone."""
        each = CHUNK_BYTES if self.products else max(CHUNK_BYTES // 2, 1)
        size = os.fstat(stream.fileno()).st_size
        stream.seek(0)
        for _ in range(self.header_index + 1):
            stream.readline()
        start = stream.tell()
        cores = os.cpu_count() or 1
        count = max(round((size - start) / each / cores), 1) * cores
        each = max(-(-(size - start) // count), 1)
        while start < size:
            stream.seek(min(start + each, size))
            stream.readline()
            end = min(stream.tell(), size)
            yield start, end
            start = end

    def start_again(self) -> None:
        """Forget what a path that gave up had counted."""
        self.report.rows_read = self.report.rows_used = 0
        self.report.set_aside.clear()
        self.partial.clear()
        self.pair_ids.clear()
        self.pair_list.clear()
        self.negative.clear()
        self.dashes.clear()
        self.disagreeing.clear()
        self.empty_months.clear()
        self.odd_codes.clear()

    def stream(self, typed: bool):
        """Fast path: Arrow's CSV reader over the file, blocks parsed in parallel.

        `typed`: Arrow converts dates and values as it parses (raises _NeedsTextColumns at the
        first cell or row that needs a closer look); else cells come as text, checked here.
        """
        import pyarrow as pa
        from pyarrow import csv

        misfits = []

        def invalid(row):
            # a line that does not fit the header: only the exact path can place it
            misfits.append(row.text)
            return "skip"

        def undecodable(_unraisable):
            # Arrow could not even show us a misfit line (its bytes are not UTF-8): it is a
            # misfit all the same, and no traceback is for the user to see
            misfits.append("a line that is not UTF-8")

        previous_hook, sys.unraisablehook = sys.unraisablehook, undecodable

        names = [f"c{i}" for i in range(len(self.header))]
        wanted = {f"c{self.header.index(c)}": c for c in self.columns}
        try:
            with self.src.open() as stream:
                batches = csv.open_csv(
                    stream,
                    read_options=csv.ReadOptions(
                        column_names=names, skip_rows=self.header_index + 1,
                        block_size=BLOCK_BYTES,
                    ),
                    parse_options=csv.ParseOptions(
                        delimiter=self.delimiter, ignore_empty_lines=False,
                        invalid_row_handler=invalid,
                    ),
                    convert_options=csv.ConvertOptions(
                        include_columns=list(wanted), check_utf8=False,
                        column_types=self._types(wanted, typed),
                        decimal_point=self._decimal_point() if typed else ".",
                    ),
                )
                first_line = self.header_index + 2
                # (checking batches on a second thread gained nothing on two cores: Arrow's
                # parser already keeps both busy)
                for batch in batches:
                    if misfits:
                        raise _NeedsLineByLine(misfits[0])
                    columns = {wanted[n]: batch.column(n) for n in wanted}
                    if typed:
                        self._typed_done(self._take_typed(columns, batch.num_rows),
                                         batch.num_rows)
                    else:
                        self._take(columns, first_line, batch.num_rows)
                    first_line += batch.num_rows
        except pa.ArrowInvalid as exc:
            if typed and not misfits:
                raise _NeedsTextColumns(str(exc)) from None
            raise _NeedsLineByLine(str(exc)) from None
        except UnicodeDecodeError:  # a cell whose bytes are no text: the exact path reads it
            raise _NeedsLineByLine("a cell that is not UTF-8") from None
        finally:
            sys.unraisablehook = previous_hook
        if misfits:
            raise _NeedsLineByLine(misfits[0])
        return self._finish()

    def line_by_line(self):
        """Exact path: check every physical line, then parse the good ones in one go."""
        import numpy as np
        import pyarrow as pa
        from pyarrow import csv

        lines = self.src.lines
        width = len(self.header)
        kept, line_numbers = [], []
        for index in range(self.header_index + 1, len(lines)):
            line = lines[index]
            if not line.strip():
                continue
            self.report.rows_read += 1
            cells = fields(line, self.delimiter)
            if len(cells) != width and not (
                len(cells) > width and not any(c.strip() for c in cells[width:])
            ):
                self.report.add(index + 1, "bad-field-count",
                                f"{len(cells)} fields, header has {width}")
                continue
            kept.append(join_fields(cells[:width], self.delimiter))
            line_numbers.append(index + 1)
        self.report.rows_read -= len(line_numbers)  # counted again as the batch is taken
        if kept:
            names = [f"c{i}" for i in range(width)]
            wanted = {f"c{self.header.index(c)}": c for c in self.columns}
            table = csv.read_csv(
                io.BytesIO("\n".join(kept).encode("utf-8")),
                read_options=csv.ReadOptions(column_names=names),
                parse_options=csv.ParseOptions(delimiter=self.delimiter),
                convert_options=csv.ConvertOptions(
                    include_columns=list(wanted),
                    column_types={name: pa.string() for name in wanted},
                ),
            )
            columns = {wanted[n]: table.column(n) for n in wanted}
            self._take(columns, np.asarray(line_numbers, dtype=np.int64), len(kept))
        return self._finish()

    def _mapped(self, pairs: list[tuple[str, str]]) -> list[tuple[str | None, str | None]]:
        """(partner, disagreement) of distinct (code, alpha-3) pairs in the settled system,
        each pair worked out once per file."""
        with self.lock:
            unseen = [pair for pair in pairs if pair not in self.pairs]
            if unseen:
                found = country_codes.partners(unseen, self.system, REPORTER, DOMESTIC)
                self.pairs.update(zip(unseen, found, strict=True))
            return [self.pairs[pair] for pair in pairs]

    def _pair_ids(self, codes, alphas) -> tuple[object, list[tuple[str, str]]]:
        """(each row's code pair as a number, the batch's distinct pairs) from the
        _encoded codes and alpha-3 codes (None: the file has none, every alpha-3 is '')."""
        import numpy as np
        import pyarrow as pa
        import pyarrow.compute as pc

        code_values, code_at = codes[0].to_pylist(), codes[1]
        if alphas is None:
            pairs, at = [(code, "") for code in code_values], code_at
        else:
            alpha_values, alpha_at = alphas[0].to_pylist(), alphas[1]
            width = max(len(alpha_values), 1)
            found = pc.dictionary_encode(pa.array(code_at.astype(np.int64) * width + alpha_at))
            at = found.indices.to_numpy(zero_copy_only=False)
            pairs = [(code_values[k // width], alpha_values[k % width])
                     for k in found.dictionary.to_pylist()]
        with self.lock:
            for pair in pairs:
                if pair not in self.pair_ids:
                    self.pair_ids[pair] = len(self.pair_list)
                    self.pair_list.append(pair)
            ids = np.fromiter((self.pair_ids[pair] for pair in pairs), np.int64, len(pairs))
        return ids[at], pairs

    def _keys(self, columns: dict, blank_alpha: bool = True) -> dict:
        """The raw code columns of a batch, as text: the numeric code and the alpha-3 code
        (empty when the file has none)."""
        import pyarrow.compute as pc

        code = _as_text(columns[self.layout.partner])
        keys = {"code": pc.fill_null(code, "")}
        if self.alpha:
            keys["alpha"] = pc.fill_null(_as_text(columns[self.alpha]), "")
        elif blank_alpha:
            keys["alpha"] = _blank(len(code))
        return keys

    def _take_typed(self, columns, count: int) -> tuple:
        """A converted batch's sums (see _grouped) by (code pair, month[, tariff code]);
        dates, codes and tariff codes are checked on their distinct values, and any doubt
        sends the file to the text path. Runs on worker threads: it keeps nothing itself."""
        import numpy as np
        import pyarrow.compute as pc

        layout = self.layout
        values = {v: columns[c] for v, c in layout.values.items()}
        for column in (columns[layout.date], *values.values()):
            if column.null_count:
                raise _NeedsTextColumns("an empty cell")
        for column in values.values():
            if not pc.all(pc.is_finite(column)).as_py() or not _held(column):
                raise _NeedsTextColumns("nan, inf or an amount too large")
            if pc.min(column).as_py() < 0:
                raise _NeedsTextColumns("a negative value")  # counted for the report there
        months, good_date = _typed_months(_numpy(columns[layout.date]))
        if not good_date.all():
            raise _NeedsTextColumns("a date to check")
        codes = _encoded(columns[layout.partner])
        alphas = _encoded(columns[self.alpha]) if self.alpha else None
        hs = _encoded(columns[layout.hs_code]) if self.products else None
        texts = [found[0] for found in (codes, alphas, hs) if found is not None]
        if not all(_is_utf8(distinct) for distinct in texts):
            # bytes that are no text in the file's encoding: the exact path decodes them
            raise _NeedsLineByLine("a code that is not text")
        if any(_spans_lines(distinct) for distinct in texts):
            raise _NeedsLineByLine("a quote that runs over a line end")
        pair, pairs = self._pair_ids(codes, alphas)
        if self.system is not None:
            if any(partner is None or why for partner, why in self._mapped(sorted(pairs))):
                raise _NeedsTextColumns("a code to check")
        low = months << HS_BITS
        if hs is not None:
            distinct = hs[0]
            if not pc.all(pc.or_(pc.equal(distinct, ""), pc.match_substring_regex(
                    distinct, _TARIFF_CODE))).as_py():
                raise _NeedsTextColumns("a tariff code that is not digits")
            low |= _hs_numbers(distinct)[hs[1]]
        else:
            low |= NO_HS
        return _grouped(pair, low, {v: np.asarray(_numpy(array), dtype=np.float64)
                                    for v, array in values.items()})

    def _take(self, columns, lines, count: int) -> None:
        """Check and aggregate one batch; `lines` is the first line number or an array."""
        import numpy as np
        import pyarrow as pa
        import pyarrow.compute as pc

        report, layout = self.report, self.layout
        if not count:
            return
        text = {name: _trimmed(column) for name, column in columns.items()}
        if isinstance(lines, int):  # Arrow's rows: a blank line comes as a row of empty cells
            blank = None
            for column in text.values():
                empty_cell = pc.fill_null(pc.equal(column, ""), True)
                blank = empty_cell if blank is None else pc.and_(blank, empty_cell)
            if pc.any(blank).as_py():
                raise _NeedsLineByLine("a blank line")  # which only the exact path tells apart
        year, month, bad_date = _dates(text[layout.date])
        keys = self._keys(text)
        hs = text.get(layout.hs_code)
        if not all(_is_utf8(c) for c in (*keys.values(), hs) if c is not None):
            raise _NeedsLineByLine("a cell that is not UTF-8")  # the exact path decodes it
        if isinstance(lines, int) and any(_spans_lines(c) for c in text.values()):
            # a quote left open swallows the lines after it into one cell: DANE's files have
            # no line breaks inside cells, so the exact path reads each line on its own
            raise _NeedsLineByLine("a quote that runs over a line end")
        no = pc.fill_null(pc.and_(bad_date, False), False)
        unknown, disagree = no, no
        if self.system is not None:
            pairs, at = _pair_codes(keys["code"], keys["alpha"])
            mapped = self._mapped(pairs)
            unknown = pa.array(np.asarray([p is None for p, _ in mapped], dtype=bool)[at])
            disagree = pa.array(np.asarray([p is not None and why is not None
                                            for p, why in mapped], dtype=bool)[at])
        values, empty, bad, dash = {}, None, None, {}
        for valuation, column in layout.values.items():
            values[valuation], is_empty, is_bad, dash[column] = _numbers(
                text[column], self.styles[column])
            empty = is_empty if empty is None else pc.or_(empty, is_empty)
            bad = is_bad if bad is None else pc.or_(bad, is_bad)

        aside = pc.or_(pc.or_(bad_date, unknown), pc.or_(empty, bad))
        found = []
        if pc.any(aside).as_py():
            found = self._aside(lines, count, columns, bad_date, unknown, empty, bad)
        good = pc.invert(aside)
        used = pc.sum(pc.cast(good, pa.int64())).as_py() or 0
        first_value = values[next(iter(layout.values))]
        for valuation, array in values.items():
            column = layout.values[valuation]
            for counts, mask in ((self.negative, pc.less(array, 0)), (self.dashes, dash[column])):
                rows = pc.sum(pc.cast(pc.fill_null(pc.and_(good, mask), False), pa.int64()))
                if rows.as_py():
                    counts[column] = counts.get(column, 0) + rows.as_py()
        if pc.any(pc.and_(empty, pc.invert(bad_date))).as_py():
            rows = pc.and_(empty, pc.invert(bad_date))
            when = pc.add(pc.multiply(pc.filter(year, rows), 100), pc.filter(month, rows))
            self.empty_months.update(divmod(int(w), 100) for w in pc.unique(when).to_pylist())
        if pc.any(pc.and_(good, disagree)).as_py():
            for row in np.flatnonzero(
                    pc.and_(good, disagree).to_numpy(zero_copy_only=False)).tolist():
                line = int(lines[row]) if isinstance(lines, np.ndarray) else lines + row
                pair = (_cell(keys["code"], row), _cell(keys["alpha"], row))
                self.disagreeing.append((line, self._mapped([pair])[0][1] or "",
                                         first_value[row].as_py() or 0.0))
        report.rows_read += count
        report.rows_used += used
        for line, reason, detail in found:
            report.add(line, reason, detail)

        kept = pa.array(np.flatnonzero(good.to_numpy(zero_copy_only=False)))
        if hs is not None:
            hs = pc.fill_null(_as_text(hs), "")
            odd = pc.and_(pc.invert(pc.equal(hs, "")),
                          pc.invert(pc.match_substring_regex(hs, _TARIFF_CODE)))
            odd = pc.and_(pc.fill_null(odd, False), good)
            if pc.any(odd).as_py():  # the trade is counted, without a code it cannot have
                rows = np.flatnonzero(odd.to_numpy(zero_copy_only=False))
                where = (lines[rows] if isinstance(lines, np.ndarray) else lines + rows)
                self.odd_codes += [(int(line), code) for line, code in
                                   zip(where.tolist(), _cells(hs, rows), strict=True)]
                hs = pc.if_else(odd, pa.scalar("", pa.string()), hs)
            tariff = _hs_numbers(pc.take(hs, kept))
        else:
            tariff = NO_HS
        # the rows used, summed as the typed path sums them
        codes = _encoded(pc.take(keys["code"], kept))
        alphas = _encoded(pc.take(keys["alpha"], kept)) if self.alpha else None
        pair, _ = self._pair_ids(codes, alphas)
        months = _month_index(_numpy(pc.take(year, kept)), _numpy(pc.take(month, kept)))
        self.partial.append(_grouped(pair, (months << HS_BITS) | tariff, {
            v: np.asarray(_numpy(pc.take(array, kept)), dtype=np.float64)
            for v, array in values.items()}))

    def _aside(self, lines, count, columns, bad_date, unknown, empty, bad) -> list:
        """(line, reason, detail) per row set aside: the first reason that applies."""
        import numpy as np

        partner = [self.layout.partner] + ([self.alpha] if self.alpha else [])
        masks = [
            ("bad-date", bad_date, [self.layout.date]),
            ("unknown-country", unknown, partner),
            ("missing-value", empty, list(self.layout.values.values())),
            ("bad-number", bad, list(self.layout.values.values())),
        ]
        taken = np.zeros(count, dtype=bool)
        found = []
        for reason, mask, shown in masks:
            rows = np.flatnonzero(mask.to_numpy(zero_copy_only=False) & ~taken)
            if not len(rows):
                continue
            taken[rows] = True
            # whole columns at once: a month whose CSV lost FOBDOL sets aside every row
            where = (lines[rows] if isinstance(lines, np.ndarray) else lines + rows).tolist()
            cells = [_cells(columns[c], rows) for c in shown]
            for index, line in enumerate(where):
                detail = ", ".join(f"{c} {cells[k][index]!r}" for k, c in enumerate(shown))
                found.append((int(line), reason, detail))
        return found

    def _pair_order(self, pair) -> list[int]:
        """The ids of the pairs in `pair` (the summed rows' pair ids, in the file's order)
        ordered by the first appearance of their code, then of their alpha-3 code: the
        order the decision is shown them in, whichever thread numbered them."""
        import pandas as pd

        seen = pd.unique(pair).tolist()
        code_rank: dict[str, int] = {}
        alpha_rank: dict[str, int] = {}
        for index in seen:
            code, alpha = self.pair_list[index]
            code_rank.setdefault(code, len(code_rank))
            alpha_rank.setdefault(alpha, len(alpha_rank))
        return sorted(seen, key=lambda i: (code_rank[self.pair_list[i][0]],
                                           alpha_rank[self.pair_list[i][1]]))

    def _partners(self, pair, value):
        """(the partner of each code pair id as an index, the partners' codes) once the
        code system is settled (decided here from the value on each pair when it was not
        given); `pair` and `value` are the summed rows' pair ids and first values."""
        import numpy as np

        count = len(self.pair_list)
        order = self._pair_order(pair)
        pairs = [self.pair_list[i] for i in order]
        if self.system is None:
            per_pair = np.bincount(pair, weights=value, minlength=count)
            totals = {self.pair_list[i]: abs(float(per_pair[i])) for i in order}
            if not any(totals.values()):
                totals = dict.fromkeys(pairs, 1.0)
            try:
                self.decision = country_codes.decide(totals, self.layout.partner, self.alpha,
                                                     self.src.name)
            except country_codes.MixedSystems:
                raise
            except DataError:
                if not self.forced:
                    raise
                self.decision = None  # the codes read alike: --country-codes settles it
            if self.forced:
                if self.decision is not None and self.decision.system != self.forced:
                    raise DataError(
                        f"{self.src.name}: --country-codes {self.forced} contradicts the "
                        f"file's own codes: {self.decision.evidence}; leave the option out, "
                        f"or give --country-codes {self.decision.system}")
                self.decision = None
                self.system = self.forced
            else:
                self.system = self.decision.system
            if any(p is None or why for p, why in self._mapped(pairs)):
                raise _NeedsSecondPass(self.system)
        names: dict[str, int] = {}
        of_pair = np.zeros(count, dtype=np.int64)
        for index, (partner, _) in zip(order, self._mapped(pairs), strict=True):
            of_pair[index] = names.setdefault(partner, len(names))
        return of_pair, list(names)

    def _finish(self):
        import numpy as np
        import pandas as pd

        from pa_trade import flows

        valuations = list(self.layout.values)
        pair = np.concatenate([high for high, _, _ in self.partial] or [np.zeros(0, np.int64)])
        low = np.concatenate([low for _, low, _ in self.partial] or [np.zeros(0, np.int64)])
        sums = {v: np.concatenate([part[v] for _, _, part in self.partial] or [np.zeros(0)])
                for v in valuations}
        self.partial.clear()
        frame = None
        if len(pair):
            of_pair, partners = self._partners(pair, sums[valuations[0]])
            # once: the batches' sums, by partner (codes of one partner together)
            partner, low, sums = _grouped(of_pair[pair], low, sums)
            del pair, of_pair  # the arrays of every batch's rows: gone before the table is built
            months = low >> HS_BITS
            tariff = low & ((1 << HS_BITS) - 1)
            del low
            # each distinct code written once: numbers of ten digits at most sort as their
            # zero-padded texts, and NO_HS (no code) sorts last
            at, distinct = flows.sorted_codes(tariff)
            del tariff
            if len(distinct) and distinct[-1] == NO_HS:
                at = np.where(at == len(distinct) - 1, -1, at)
                distinct = distinct[:-1]
            at = at.astype(np.min_scalar_type(-len(distinct) - 1))  # codes as pandas keeps them
            hs_code = (at, flows.digit_texts(distinct, 10))
            # partners as codes into one sorted list of country codes (the World's among
            # them, Colombia too), as the canonical table keeps them
            countries = sorted({*partners, WORLD, REPORTER})
            rank = np.array([countries.index(code) for code in partners], dtype=np.int16)
            # years and months in small integers until _canonical joins the parts
            table = {"partner": (rank[partner], countries),
                     "year": (months // 12 + periods.FIRST_YEAR).astype(np.int16),
                     "month": (months % 12 + 1).astype(np.int8), "hs_code": hs_code}
            del partner
            # the World: the month's sums, grouped by the month's number alone (it sorts as
            # year then month), each adding its rows up in their order
            world = pd.DataFrame({f"value_{v}": sums[v] for v in valuations}).groupby(
                months).sum()
            month_of = world.index.to_numpy(dtype=np.int64)
            del months
            for v in valuations:  # to the cent, as flows.normalise_frame would, in place
                np.round(sums[v], 2, out=sums[v])
            parts = [(table, sums[v], v) for v in valuations] + [(
                {"partner": (np.full(len(world), countries.index(WORLD), np.int16), countries),
                 "year": month_of // 12 + periods.FIRST_YEAR, "month": month_of % 12 + 1,
                 "hs_code": (np.full(len(world), -1, at.dtype), hs_code[1])},
                np.round(world[f"value_{v}"].to_numpy(), 2), v) for v in valuations]
            frame = self._canonical(parts)
        self._notes()
        self.report.set_aside.sort(key=lambda r: r.line)
        if self.report.rows_read and not self.report.rows_used and any(
                r.reason == "missing-value" for r in self.report.set_aside):
            self.report.no_values = True
            self.report.months_named = sorted([y, m] for y, m in self.empty_months)
        return flows.normalise_frame(frame, rounded=frame is not None), self.report

    def _canonical(self, parts: list):
        """The canonical flows of `parts`, [(columns partner, year, month, hs_code; values;
        valuation)], one after the other, each column built whole in the type the canonical
        table keeps (flows.normalise_frame takes it as it is)."""
        import numpy as np
        import pandas as pd

        from pa_trade import flows

        sizes = [len(values) for _, values, _ in parts]
        total = sum(sizes)
        source = f"DANE {self.layout.flow} microdata ({short_name(self.src.name)})"

        def same(text: str):  # one category, code 0 on every row
            return pd.Categorical.from_codes(np.zeros(total, np.int8), dtype=pd.CategoricalDtype(
                pd.Index([text], dtype="string")))

        def categorical(name: str):  # (codes, texts): each distinct text once, sorted
            texts = parts[0][0][name][1]
            codes = np.concatenate([columns[name][0] for columns, _, _ in parts])
            return pd.Categorical.from_codes(codes, dtype=flows.sorted_unique_dtype(
                pd.Index(pd.array(texts, dtype="string"))), validate=False)

        partner = categorical("partner")  # the reporter's code is among its categories

        valuations = sorted({valuation for _, _, valuation in parts})
        # each part's small integers cast straight into the joined column
        month = np.concatenate([columns["month"] for columns, _, _ in parts], dtype=np.int64,
                               casting="safe")
        return pd.DataFrame({
            "reporter": pd.Categorical.from_codes(
                np.full(total, partner.categories.get_loc(REPORTER), partner.codes.dtype),
                dtype=partner.dtype),
            "partner": partner,
            "year": np.concatenate([columns["year"] for columns, _, _ in parts],
                                   dtype=np.int64, casting="safe"),
            "month": pd.arrays.IntegerArray(month, np.zeros(total, dtype=bool)),
            "months": pd.Categorical.from_codes(np.full(total, -1, np.int8),
                                                dtype=pd.CategoricalDtype(pd.Index(
                                                    [], dtype="string"))),
            "flow": same(self.layout.flow),
            "value_usd": np.concatenate([values for _, values, _ in parts]),
            "valuation": pd.Categorical.from_codes(np.concatenate([
                np.full(size, valuations.index(valuation), np.int8)
                for (_, _, valuation), size in zip(parts, sizes, strict=True)]),
                dtype=pd.CategoricalDtype(pd.Index(valuations, dtype="string"))),
            "source": same(source),
            "hs_code": categorical("hs_code"),
        }, copy=False)  # a dict of arrays is copied by default: twice the table at its peak

    def _notes(self) -> None:
        """What the report should say of the rows used: the code system and its evidence,
        codes that disagree, values written '-', negative values."""
        report, layout = self.report, self.layout
        if self.forced:
            report.notes.append(f"{layout.partner} read as "
                                f"{country_codes.SYSTEM_NAMES[self.forced]} (--country-codes)")
        elif self.decision is not None:
            report.notes.append(self.decision.evidence)
        if self.system:
            report.country_codes = self.system
        if self.disagreeing:
            shown = ", ".join(f"{report.position} {line} ({why})"
                              for line, why, _ in self.disagreeing[:3])
            more = f" and {len(self.disagreeing) - 3} more" if len(self.disagreeing) > 3 else ""
            value = sum(v for _, _, v in self.disagreeing)
            rows = len(self.disagreeing)
            report.notes.append(
                f"{self.alpha} and {layout.partner} name different partners on {rows:,} "
                f"row{'s' if rows > 1 else ''} (US$ {value:,.2f}); the alpha-3 code in "
                f"{self.alpha} was used: {shown}{more}")
        if self.odd_codes:
            shown = ", ".join(f"{report.position} {line} ({code!r})"
                              for line, code in self.odd_codes[:3])
            more = f" and {len(self.odd_codes) - 3} more" if len(self.odd_codes) > 3 else ""
            report.notes.append(
                f"{len(self.odd_codes):,} row{'s' if len(self.odd_codes) > 1 else ''} whose "
                f"{layout.hs_code} is not digits, counted without a tariff code: {shown}{more}")
        for column, count in self.dashes.items():
            report.notes.append(
                f"{count:,} row{'s' if count > 1 else ''} with {column} written '-', read as "
                f"zero (a spreadsheet's way of writing zero)")
        for column, count in self.negative.items():
            report.notes.append(
                f"{count:,} row{'s' if count > 1 else ''} with a negative {column}, summed as "
                f"given (customs values are normally positive: a correction?)")
