"""DANE customs microdata: exports (EXPO, formats.md §1) and imports (IMPO, §2).

One row per declaration line; partner codes are DIAN's; exports are FOBDOL (FOB); imports
are VACID (CIF) and VAFODO (FOB), both emitted; the import partner is PAISGEN (origin).

Files are streamed in batches through Arrow's CSV reader: only the needed columns, numbers
parsed in bulk, each distinct DIAN code mapped once, aggregation per batch, so memory stays
flat as files grow. A file whose lines do not all fit the header (short lines, blank lines,
line breaks inside quotes) is read again line by line, so that every row set aside is
reported with its physical line.
"""

from __future__ import annotations

import dataclasses
import io
import sys
from dataclasses import dataclass

from pa_trade import countries, numbers
from pa_trade.errors import DataError
from pa_trade.readers.common import choose_style, fields, join_fields, short_name
from pa_trade.readers.report import LoadReport
from pa_trade.textio import SourceFile, delimiter_name, sniff_delimiter

CHUNK_BYTES = 48 << 20  # big files are parsed in pieces of this size, one per core
BLOCK_BYTES = 8 << 20  # Arrow parses a block per thread; 8 MB keeps both cores busy and
# what Arrow reads ahead small
GROUP_KEYS = ["partner", "year", "month", "hs_code"]
REPORTER = "COL"  # DANE's microdata are Colombia's trade
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

    @property
    def required(self) -> list[str]:
        return [self.date, self.partner, *self.values.values()]


EXPO = Layout("dane-expo", "export", "FECH", "PAIS", "POSAR", {"FOB": "FOBDOL"})
IMPO = Layout("dane-impo", "import", "FECH", "PAISGEN", "NABAN", {"CIF": "VACID", "FOB": "VAFODO"})


class _NeedsLineByLine(Exception):
    """The fast path met a line it cannot place; the exact path will account for it."""


class _NeedsTextColumns(Exception):
    """A cell Arrow could not convert, or a row to set aside: read the cells as text."""


class _NeedsLineNumbers(Exception):
    """Pieces read on every core do not know their line numbers, and a row is to be set
    aside by its line: stream the file instead."""


def header_columns(header: list[str]) -> list[str]:
    return [h.strip().strip('"').strip("\ufeff").upper() for h in header]


def read_expo(src: SourceFile, number_style: str | None = None, line_by_line: bool = False,
              products: bool = True):
    """Read a DANE EXPO file -> (canonical flows, LoadReport)."""
    return read(src, EXPO, number_style, line_by_line, products)


def read_impo(src: SourceFile, number_style: str | None = None, line_by_line: bool = False,
              products: bool = True, valuations: tuple[str, ...] | None = None):
    """Read a DANE IMPO file -> (canonical flows, LoadReport).

    `valuations`: ('CIF',) reads VACID only, ('FOB',) VAFODO only; None both.
    """
    layout = IMPO
    if valuations:
        kept = {v: c for v, c in IMPO.values.items() if v in valuations}
        layout = dataclasses.replace(IMPO, values=kept or IMPO.values)
    return read(src, layout, number_style, line_by_line, products)


def read(src: SourceFile, layout: Layout, number_style: str | None, line_by_line: bool = False,
         products: bool = True):
    """Read microdata of `layout` -> (canonical flows, LoadReport).

    `products=False` leaves the tariff code out (flows per partner and month only), which is
    all a balance needs and much less to add up. `line_by_line` skips the streaming path.
    """
    head = src.head_lines
    header_index = next(i for i, line in enumerate(head) if line.strip())
    delimiter = sniff_delimiter(head[header_index : header_index + 50])
    header = header_columns(fields(head[header_index], delimiter))
    missing = [c for c in layout.required if c not in header]
    if missing:
        raise DataError(
            f"{src.name}: line {header_index + 1}: missing column(s) {', '.join(missing)} "
            f"for {layout.name} (found: {', '.join(header[:20])})"
        )
    report = LoadReport(src.name, layout.name, encoding=src.head_encoding,
                        delimiter=delimiter_name(delimiter))
    positions = [header.index(c) for c in layout.values.values()]
    sample = (
        (index + 1, cells[p])
        for index, line in enumerate(head[header_index + 1 :], start=header_index + 1)
        for cells in [fields(line, delimiter)]
        for p in positions
        if p < len(cells)
    )
    style = choose_style(report, sample, number_style, numbers.SPANISH, "DANE")
    style = style.split(" ")[0]
    reader = _Batches(src, layout, report, style, header, header_index, delimiter, products)
    if not line_by_line and src.head_encoding != "UTF-16":
        try:
            try:
                # clean files: Arrow converts every cell while it parses, in parallel
                lone_cr = b"\r" in src.head and b"\r\n" not in src.head
                if src.path is not None and src.size > 2 * CHUNK_BYTES and not lone_cr:
                    try:
                        return reader.chunks_typed()
                    except _NeedsLineNumbers:
                        reader.start_again()
                return reader.stream(typed=True)
            except _NeedsTextColumns:
                reader.start_again()
            return reader.stream(typed=False)
        except _NeedsLineByLine:
            reader.start_again()
    return reader.line_by_line()


def _cell(column, row: int) -> str:
    """One cell as text for a message; bytes that are not UTF-8 are read as Windows-1252."""
    import pyarrow as pa

    raw = column.slice(row, 1).cast(pa.binary()).to_pylist()[0] or b""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("cp1252", "replace")


def _trimmed(column):
    """Cells without surrounding spaces; trimming costs, so only when a space is there."""
    import pyarrow.compute as pc

    if pc.any(pc.match_substring(column, " ")).as_py():
        return pc.utf8_trim_whitespace(column)
    return column


def _dates(date):
    """(year, month, bad) from FECH cells, YYMM or YYYYMM."""
    import pyarrow as pa
    import pyarrow.compute as pc

    length = pc.utf8_length(date)
    short, long = pc.equal(length, 4), pc.equal(length, 6)
    try:
        number = pc.cast(date, pa.int64())
        number = pc.if_else(pc.or_(short, long), number, pa.scalar(None, pa.int64()))
    except pa.ArrowInvalid:
        # some cell is not digits: find which, cell by cell
        digits = pc.match_substring_regex(date, r"^(\d{4}|\d{6})$")
        number = pc.cast(pc.if_else(digits, date, pa.scalar(None, pa.string())), pa.int64())
    century = pc.divide(number, 100)
    year = pc.if_else(short, pc.add(century, 2000), century)
    month = pc.subtract(number, pc.multiply(century, 100))
    bad = pc.invert(pc.fill_null(pc.and_(pc.greater_equal(month, 1),
                                         pc.less_equal(month, 12)), False))
    return year, month, bad


def _typed_dates(date):
    """(year, month, good) from FECH read as integers: only 4-digit YYMM and 6-digit YYYYMM
    are good ('0203' lost its zero: the text path decides)."""
    import pyarrow.compute as pc

    short = pc.and_(pc.greater_equal(date, 1000), pc.less_equal(date, 9999))
    long = pc.and_(pc.greater_equal(date, 190001), pc.less_equal(date, 209912))
    century = pc.divide(date, 100)
    month = pc.subtract(date, pc.multiply(century, 100))
    good = pc.and_(pc.or_(short, long), pc.and_(pc.greater_equal(month, 1),
                                                pc.less_equal(month, 12)))
    return pc.if_else(short, pc.add(century, 2000), century), month, good


def _numbers(cells, style: str):
    """(values, empty, bad) for value cells in the file's style; values are null where not read.

    Clean batches (no thousands separators, nothing damaged) take one bulk cast; the others
    are checked cell by cell against the style's pattern.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    empty = pc.equal(cells, "")
    thousands = "." if style == numbers.SPANISH else ","
    if not pc.any(pc.match_substring(cells, thousands)).as_py():
        plain = pc.replace_substring(cells, ",", ".") if style == numbers.SPANISH else cells
        if pc.any(empty).as_py():
            plain = pc.if_else(empty, pa.scalar(None, pa.string()), plain)
        try:
            values = pc.cast(plain, pa.float64())
        except pa.ArrowInvalid:
            values = None
        # the bulk cast also takes 'nan' or 'inf', which no customs file means
        if values is not None and pc.all(pc.is_finite(values)).as_py() is not False:
            return values, empty, pc.fill_null(pc.and_(empty, False), False)
    valid = pc.match_substring_regex(cells, _VALID_NUMBER[style])
    if style == numbers.SPANISH:
        plain = pc.replace_substring(pc.replace_substring(cells, ".", ""), ",", ".")
    else:
        plain = pc.replace_substring(cells, ",", "")
    values = pc.cast(pc.if_else(valid, plain, pa.scalar(None, pa.string())), pa.float64())
    bad = pc.and_(pc.invert(valid), pc.invert(empty))
    return values, empty, bad


class _Batches:
    """Turns batches of text columns into aggregated flows, accounting for every row."""

    def __init__(self, src, layout, report, style, header, header_index, delimiter, products):
        self.src, self.layout, self.report, self.style = src, layout, report, style
        self.header, self.header_index, self.delimiter = header, header_index, delimiter
        self.columns = [layout.date, layout.partner, *layout.values.values()]
        if products and layout.hs_code in header:
            self.columns.append(layout.hs_code)
        self.partial = []
        self.partners: dict[str, str | None] = {}
        self.negative: dict[str, int] = {}  # rows used with a value below zero, per column

    def chunks_typed(self):
        """Typed fast path for big files on disk: pieces of the file, cut at line ends, are
        parsed and summed on every core at once; memory holds a few pieces at a time."""
        import os
        import threading
        from concurrent.futures import ThreadPoolExecutor

        import pyarrow as pa
        from pyarrow import csv

        names = [f"c{i}" for i in range(len(self.header))]
        wanted = {f"c{self.header.index(c)}": c for c in self.columns}
        types = {name: pa.string() for name in wanted}
        for name, column in wanted.items():
            if column == self.layout.date:
                types[name] = pa.int64()
            elif column in self.layout.values.values():
                types[name] = pa.float64()
        options = (
            csv.ReadOptions(column_names=names, use_threads=False, block_size=BLOCK_BYTES),
            # a line that does not fit fails the piece: the other paths account for it
            csv.ParseOptions(delimiter=self.delimiter, ignore_empty_lines=False),
            csv.ConvertOptions(include_columns=list(wanted), check_utf8=False,
                               column_types=types,
                               decimal_point="," if self.style == numbers.SPANISH else "."),
        )
        lock = threading.Lock()

        def take(piece: tuple[int, int]) -> None:
            start, end = piece
            with open(self.src.path, "rb") as stream:
                stream.seek(start)
                data = stream.read(end - start)
            try:
                table = csv.read_csv(pa.py_buffer(data), *options)
            except pa.ArrowInvalid as exc:
                raise _NeedsTextColumns(str(exc)) from None
            columns = {wanted[n]: table.column(n) for n in wanted}
            with lock:
                self._take_typed(columns, table.num_rows)

        workers = os.cpu_count() or 1
        with ThreadPoolExecutor(max_workers=workers) as pool:
            pending = []
            for piece in self._pieces():
                pending.append(pool.submit(take, piece))
                while len(pending) > workers:  # a few pieces in memory at a time
                    pending.pop(0).result()
            for future in pending:
                future.result()
        return self._finish()

    def _pieces(self):
        """(start, end) byte ranges of the rows, each about CHUNK_BYTES, cut after a newline."""
        size = self.src.size
        with open(self.src.path, "rb") as stream:
            for _ in range(self.header_index + 1):
                stream.readline()
            start = stream.tell()
            while start < size:
                stream.seek(min(start + CHUNK_BYTES, size))
                stream.readline()
                end = min(stream.tell(), size)
                yield start, end
                start = end

    def start_again(self) -> None:
        """Forget what a path that gave up had counted."""
        self.report.rows_read = self.report.rows_used = 0
        self.report.set_aside.clear()
        self.partial.clear()
        self.negative.clear()

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
        types = {name: pa.string() for name in wanted}
        if typed:
            for name, column in wanted.items():
                if column == self.layout.date:
                    types[name] = pa.int64()
                elif column in self.layout.values.values():
                    types[name] = pa.float64()
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
                        include_columns=list(wanted), check_utf8=False, column_types=types,
                        decimal_point="," if self.style == numbers.SPANISH else ".",
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
                        self._take_typed(columns, batch.num_rows, first_line)
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

    def _take_typed(self, columns, count: int, first_line: int | None = None) -> None:
        """Sum a converted batch by (code, date[, tariff code]) first, then check dates and
        map codes on those few groups; any doubt sends the file to the text path.

        Rows naming Colombia itself are set aside here, by their line (`first_line` is the
        batch's first; None: not known, raises _NeedsLineNumbers).
        """
        import numpy as np
        import pyarrow as pa
        import pyarrow.compute as pc

        layout = self.layout
        values = {v: columns[c] for v, c in layout.values.items()}
        for column in (columns[layout.date], *values.values()):
            if column.null_count:
                raise _NeedsTextColumns("an empty cell")
        for column in values.values():
            if not pc.all(pc.is_finite(column)).as_py():
                raise _NeedsTextColumns("nan or inf")
            if pc.min(column).as_py() < 0:
                raise _NeedsTextColumns("a negative value")  # counted for the report there
        keys = {"code": columns[layout.partner], "date": columns[layout.date]}
        if layout.hs_code in columns:
            keys["hs"] = columns[layout.hs_code]
        table = pa.table({**keys, **{f"value_{v}": array for v, array in values.items()}})

        def grouped(rows):
            return rows.group_by(list(keys), use_threads=False).aggregate(
                [(f"value_{v}", "sum") for v in values])

        groups = grouped(table)
        year, month, good_date = _typed_dates(groups["date"])
        if not pc.all(good_date).as_py():
            raise _NeedsTextColumns("a date to check")
        encoded = pc.dictionary_encode(groups["code"]).combine_chunks()
        try:
            distinct = encoded.dictionary.to_pylist()
        except UnicodeDecodeError:  # bytes that are no text in the file's encoding
            raise _NeedsTextColumns("a code that is not text") from None
        unseen = [c for c in distinct if c not in self.partners]
        if unseen:
            self.partners.update(countries.dian_to_iso3(unseen))
        if any(self.partners[c] is None for c in distinct):
            raise _NeedsTextColumns("a code to check")
        used = count
        own = [c for c in distinct if self.partners[c] == REPORTER]
        if own:
            if first_line is None:
                raise _NeedsLineNumbers("a row naming the reporter")
            itself = pc.is_in(table["code"], value_set=pa.array(own, pa.string()))
            for row in np.flatnonzero(itself.to_numpy(zero_copy_only=False)).tolist():
                self.report.add(first_line + row, "reporter-is-partner",
                                f"{layout.partner} {_cell(table['code'], row)!r}")
                used -= 1
            groups = grouped(table.filter(pc.invert(itself)))
            year, month, _ = _typed_dates(groups["date"])
            encoded = pc.dictionary_encode(groups["code"]).combine_chunks()
            distinct = encoded.dictionary.to_pylist()
        partner = pc.take(pa.array([self.partners[c] for c in distinct], pa.string()),
                          encoded.indices)
        if "hs" in keys:
            hs = groups["hs"]
            hs_code = pc.utf8_lpad(pc.if_else(pc.equal(hs, ""), None, hs), 10, "0")
        else:
            hs_code = pa.nulls(len(groups), pa.string())
        self.report.rows_read += count
        self.report.rows_used += used
        self.partial.append(self._sum(pa.table({
            "partner": partner, "year": year, "month": month, "hs_code": hs_code,
            **{f"value_{v}": groups[f"value_{v}_sum"] for v in values},
        })))

    def _take(self, columns, lines, count: int) -> None:
        """Check and aggregate one batch; `lines` is the first line number or an array."""
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

        codes = text[layout.partner]
        encoded = pc.dictionary_encode(codes).combine_chunks() if isinstance(
            codes, pa.ChunkedArray) else pc.dictionary_encode(codes)
        distinct = encoded.dictionary.to_pylist()
        unseen = [c for c in distinct if c not in self.partners]
        if unseen:
            self.partners.update(countries.dian_to_iso3(unseen))
        iso = pa.array([self.partners[c] for c in distinct], pa.string())
        partner = pc.take(iso, encoded.indices)
        unknown = pc.is_null(partner)
        # Colombia's own code (169) as destination or origin: no bilateral flow
        itself = pc.fill_null(pc.equal(partner, REPORTER), False)

        values, empty, bad = {}, None, None
        for valuation, column in layout.values.items():
            values[valuation], is_empty, is_bad = _numbers(text[column], self.style)
            empty = is_empty if empty is None else pc.or_(empty, is_empty)
            bad = is_bad if bad is None else pc.or_(bad, is_bad)

        aside = pc.or_(pc.or_(pc.or_(bad_date, unknown), pc.or_(empty, bad)), itself)
        found = []
        if pc.any(aside).as_py():
            found = self._aside(lines, count, columns, bad_date, unknown, empty, bad, itself)
        good = pc.invert(aside)
        used = pc.sum(pc.cast(good, pa.int64())).as_py() or 0
        for valuation, array in values.items():
            negative = pc.fill_null(pc.and_(good, pc.less(array, 0)), False)
            count_negative = pc.sum(pc.cast(negative, pa.int64())).as_py() or 0
            if count_negative:
                column = layout.values[valuation]
                self.negative[column] = self.negative.get(column, 0) + count_negative
        report.rows_read += count
        report.rows_used += used
        for line, reason, detail in found:
            report.add(line, reason, detail)

        hs = text.get(layout.hs_code)
        batch = pa.table({
            "partner": partner,
            "year": year,
            "month": month,
            "hs_code": pc.utf8_lpad(pc.if_else(pc.equal(hs, ""), None, hs), 10, "0")
            if hs is not None else pa.nulls(count, pa.string()),
            **{f"value_{v}": array for v, array in values.items()},
        }).filter(good)
        self.partial.append(self._sum(batch))

    def _sum(self, table):
        sums = [(f"value_{v}", "sum") for v in self.layout.values]
        grouped = table.group_by(GROUP_KEYS, use_threads=False).aggregate(sums)
        return grouped.rename_columns(
            [c.removesuffix("_sum") for c in grouped.column_names])

    def _aside(self, lines, count, columns, bad_date, unknown, empty, bad, itself) -> list:
        """(line, reason, detail) per row set aside: the first reason that applies."""
        import numpy as np

        masks = [
            ("bad-date", bad_date, [self.layout.date]),
            ("unknown-country", unknown, [self.layout.partner]),
            ("missing-value", empty, list(self.layout.values.values())),
            ("bad-number", bad, list(self.layout.values.values())),
            ("reporter-is-partner", itself, [self.layout.partner]),
        ]
        taken = np.zeros(count, dtype=bool)
        found = []
        for reason, mask, shown in masks:
            rows = np.flatnonzero(mask.to_numpy(zero_copy_only=False) & ~taken)
            taken[rows] = True
            for row in rows.tolist():
                line = int(lines[row]) if isinstance(lines, np.ndarray) else lines + row
                detail = ", ".join(f"{c} {_cell(columns[c], row)!r}" for c in shown)
                found.append((line, reason, detail))
        return found

    def _finish(self):
        import pandas as pd
        import pyarrow as pa

        from pa_trade import flows

        if self.partial:
            table = self._sum(pa.concat_tables(self.partial)).to_pandas()
        else:
            table = pd.DataFrame(columns=GROUP_KEYS + [f"value_{v}" for v in self.layout.values])
        source = f"DANE {self.layout.flow} microdata ({short_name(self.src.name)})"
        frames = [
            pd.DataFrame({
                "reporter": REPORTER,
                "partner": table["partner"],
                "year": table["year"],
                "month": table["month"],
                "flow": self.layout.flow,
                "value_usd": table[f"value_{valuation}"],
                "valuation": valuation,
                "source": source,
                "hs_code": table["hs_code"],
            })
            for valuation in self.layout.values
        ]
        for column, count in self.negative.items():
            self.report.notes.append(
                f"{count:,} row{'s' if count > 1 else ''} with a negative {column}, summed as "
                f"given (customs values are normally positive: a correction?)")
        self.report.set_aside.sort(key=lambda r: r.line)
        return flows.normalise_frame(pd.concat(frames, ignore_index=True)), self.report
