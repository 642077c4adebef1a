"""pa-trade's own tidy CSV (formats.md §5): one flow per row, ISO3 codes, plain numbers.

Arrow's CSV reader parses the file on every core, the figures as numbers and every other
column dictionary-encoded, so that each distinct text (a country, a year, a source) is
trimmed, checked and converted once, and rows are handled as integer codes; flows given
twice are found from one integer key per row, and a UTF-8 file is never decoded in Python.
Anything doubtful takes a slower, exact path: the figures as text when one is no finite
number, every cell as text in the encoding the whole file is in when Arrow cannot parse it,
and line by line when a line does not fit the header or a quoted cell spans lines.
"""

from __future__ import annotations

import csv as csv_module

from pa_trade import flows
from pa_trade.errors import DataError
from pa_trade.readers.common import fields, short_name
from pa_trade.readers.report import LoadReport
from pa_trade.reference import countries
from pa_trade.textio import SourceFile, delimiter_name, sniff_delimiter

# ASCII digits only: Python's \d would also take other scripts' digits, which no converter reads
PLAIN_NUMBER = r"^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?$"
OPTIONAL = ["month", "months", "hs_code", "source_url"]
# what Python's str.strip() removes (nothing above U+3000), given to Arrow's trim so that
# both agree exactly
WHITESPACE = "".join(c for c in map(chr, range(0x3001)) if c.isspace())
TEXT = "string[pyarrow]"  # cells stay Arrow strings: checks and conversions run in bulk
# the columns check_rows judges; any other column is read (its cells must fit) and not used
CHECKED = ("reporter", "partner", "year", "month", "months", "flow", "value_usd",
           "valuation", "source", "source_url", "hs_code")
MONTHS_TEXT = r"(0?[1-9]|1[0-2])(-(0?[1-9]|1[0-2]))?(,(0?[1-9]|1[0-2])(-(0?[1-9]|1[0-2]))?)*"
BLOCK_BYTES = 8 << 20  # what Arrow parses at a time on each core


def is_tidy_header(cells: list[str]) -> bool:
    names = {c.strip().lower() for c in cells}
    return {"reporter", "partner", "year", "flow", "value_usd"} <= names


def read_tidy(src: SourceFile, number_style: str | None = None, products: bool = True):
    """Read a tidy CSV -> (canonical flows, LoadReport). number_style is ignored: plain only.
    `products=False`: the caller needs no tariff codes; flows are then summed over them."""

    report = LoadReport(src.name, "tidy", number_style="plain")
    head = src.head_lines
    header_index = next(i for i, line in enumerate(head) if line.strip())
    delimiter = sniff_delimiter(head[header_index : header_index + 50])
    report.delimiter = delimiter_name(delimiter)
    header = [h.strip().lower() for h in fields(head[header_index], delimiter)]
    repeated = sorted({name for name in header if name and header.count(name) > 1})
    if repeated:
        raise DataError(
            f"{src.name}: line {header_index + 1}: column {', '.join(repeated)} appears more "
            f"than once in the header; which one holds the figures cannot be told"
        )
    missing = [c for c in flows.TIDY_REQUIRED if c not in header and c != "source"]
    if missing:
        raise DataError(
            f"{src.name}: line {header_index + 1}: missing column(s) {', '.join(missing)} "
            f"for the tidy layout"
        )
    found = _read_whole(src, header, header_index, delimiter)
    if found is not None:
        columns, rows, report.encoding = found
        report.rows_read = rows
        line_numbers = _Lines(header_index + 2, rows)
    else:
        report.encoding = src.encoding
        table, line_numbers = _read_line_by_line(src, header, header_index, delimiter, report)
        columns = {name: _Texts.of_pandas(table[name]) for name in CHECKED if name in table}
    columns = {name: cells if isinstance(cells, _Figures) else cells.trimmed()
               for name, cells in columns.items()}
    columns = _unquote(columns)
    default_source = f"tidy file ({short_name(src.name)})"
    frame = _checked(columns, line_numbers, report, default_source, products)
    report.set_aside.sort(key=lambda r: r.line)
    return flows.aggregate(frame), report


class _Lines:
    """The line of each row: `first` + its index (a file read whole), or as listed."""

    __slots__ = ("first", "listed", "rows")

    def __init__(self, first: int = 0, rows: int = 0, listed=None) -> None:
        import numpy as np

        self.first = first
        self.listed = None if listed is None else np.asarray(listed, dtype=np.int64)
        self.rows = rows if listed is None else len(self.listed)

    def __len__(self) -> int:
        return self.rows

    def __getitem__(self, index):
        return self.first + index if self.listed is None else self.listed[index]


class _Texts:
    """A column of text cells as its distinct texts and, for each row, which one it holds
    (numpy integers): every check and conversion runs once per distinct text."""

    __slots__ = ("texts", "codes")

    def __init__(self, texts: list[str], codes) -> None:
        self.texts = texts
        self.codes = codes

    @classmethod
    def constant(cls, text: str, rows: int) -> _Texts:
        import numpy as np

        return cls([text], np.zeros(rows, dtype=np.int8))

    @classmethod
    def of_arrow(cls, column) -> _Texts:
        """From a chunked dictionary-encoded Arrow column."""
        import numpy as np

        if not column.num_chunks:
            return cls([], np.zeros(0, dtype=np.int32))
        whole = column.combine_chunks()  # one dictionary for every chunk
        texts = whole.dictionary.to_pylist()
        codes = whole.indices.to_numpy(zero_copy_only=False)
        del whole
        return cls(texts, _smallest(codes, len(texts)))

    @classmethod
    def of_pandas(cls, cells) -> _Texts:
        """From a column of text cells (str or Arrow strings, '' for none)."""
        import pyarrow as pa
        import pyarrow.compute as pc

        if cells.dtype == object:
            array = pa.array(cells.tolist(), type=pa.string())
        else:
            array = pa.array(cells.array)
        return cls.of_arrow(pa.chunked_array([pc.dictionary_encode(array)]))

    def distinct(self):
        """The distinct texts as a pandas column of Arrow strings (as the rows once were)."""
        import pandas as pd

        return pd.Series(self.texts, dtype=TEXT)

    def rows(self, per_text):
        """A value per row from one per distinct text."""
        import numpy as np

        return np.asarray(per_text)[self.codes]

    def trimmed(self) -> _Texts:
        """Each text without the white space around it (str.strip's, as Arrow trims)."""
        if not self.texts:
            return self
        return _Texts(self.distinct().str.strip(WHITESPACE).tolist(), self.codes)

    def spans_lines(self) -> bool:
        return any("\n" in text or "\r" in text for text in self.texts)


def _smallest(codes, count: int):
    """Codes below `count` in the smallest integers that hold them (a column of a few
    hundred countries takes a byte or two a row, not four)."""
    import numpy as np

    for kind in (np.int8, np.int16):
        if count <= np.iinfo(kind).max:
            return codes.astype(kind)
    return codes


class _Figures:
    """value_usd as Arrow parsed it: numbers (numpy float64), NaN where the cell was empty.
    Taken only when every cell was empty or a finite number Arrow reads as PLAIN_NUMBER
    would, so that no text is needed to say why a row was set aside."""

    __slots__ = ("numbers",)

    def __init__(self, numbers) -> None:
        self.numbers = numbers


def _read_whole(src: SourceFile, header, header_index: int, delimiter: str):
    """({column: _Texts or _Figures}, rows, encoding) with every row, in one go (Arrow's
    reader), or None when some line does not fit the header or a cell spans lines, so that
    line numbers stay exact (the caller then reads line by line).

    The figures are read as numbers, or as text when one is no finite number; a file whose
    head is UTF-8 is read as it is (Arrow checks that every cell is), any other, or one
    that turns out not to be UTF-8 further on, in the encoding its whole content is in."""
    said = src.encoding if src.held is not None else src.head_encoding
    checked = said not in ("UTF-8", "UTF-8 with BOM") or src.held is not None
    encoding = said if not checked else src.encoding
    for figures in (True, False):
        found = _arrow_read(src, header, header_index, delimiter, encoding, figures, checked)
        if found is None and not figures and not checked:
            # not UTF-8 after all, or a line that does not fit: the encoding textio finds
            # for the whole file, as before
            encoding, checked = src.encoding, True
            found = _arrow_read(src, header, header_index, delimiter, encoding, figures,
                                checked)
        if found is _MISFIT:
            return None
        if found is not None:
            return (*found, encoding)
    return None


_MISFIT = object()  # a line that does not fit the header, or a cell over several lines


def _arrow_read(src: SourceFile, header, header_index: int, delimiter: str, encoding: str,
                figures: bool, checked: bool):
    """({column: _Texts or _Figures}, rows); _MISFIT when a line does not fit the header or a
    cell spans lines; None when Arrow cannot read the file so (a cell that is no finite
    number when `figures`, bytes that are not of the encoding, a parse error, and a line
    that does not fit unless the encoding is `checked` for the whole file: Arrow would
    hand such a line to Python as UTF-8 before it is known to be)."""
    import numpy as np
    import pyarrow as pa
    from pyarrow import csv

    misfits = []

    def misfit(_row):
        misfits.append(1)
        return "skip"

    text = pa.dictionary(pa.int32(), pa.string())
    types = {name: text for name in header}
    if figures:
        # '' is the only empty figure; 'N/A', 'null' and every other word fail the read
        types["value_usd"] = pa.float64()
    if src.held is not None:
        stream = pa.BufferReader(src.held)
    elif src.opener is None and src.path is not None:
        stream = pa.OSFile(str(src.path))  # read by Arrow itself, not through Python
    else:
        stream = src.open()
    try:
        table = csv.read_csv(
            stream,
            read_options=csv.ReadOptions(column_names=header, skip_rows=header_index + 1,
                                         encoding=_arrow_encoding(encoding),
                                         block_size=BLOCK_BYTES),
            parse_options=csv.ParseOptions(delimiter=delimiter, ignore_empty_lines=False,
                                           invalid_row_handler=misfit if checked else None),
            convert_options=csv.ConvertOptions(column_types=types, null_values=[""],
                                               strings_can_be_null=False),
        )
    except (pa.ArrowInvalid, UnicodeDecodeError):
        return None
    finally:
        stream.close()
    if misfits:
        return _MISFIT
    rows, parsed = table.num_rows, table.columns
    del table  # each column's pieces are let go of as soon as it is converted
    columns = {}
    for index, name in enumerate(header):
        column, parsed[index] = parsed[index], None
        if name == "value_usd" and figures:
            numbers = np.asarray(column.to_numpy(), dtype=np.float64)  # empty cells: NaN
            # 'inf', 'nan', '1e999' are read by Arrow and are no amounts: judged as text
            if np.isinf(numbers).any() or np.isnan(numbers).sum() != column.null_count:
                return None
            columns[name] = _Figures(numbers)
            continue
        cells = _Texts.of_arrow(column)
        del column
        pa.default_memory_pool().release_unused()
        if cells.spans_lines():
            return _MISFIT
        if name in CHECKED:
            columns[name] = cells
    pa.default_memory_pool().release_unused()  # what parsing took, for the checks to use
    return columns, rows


def _unquote(columns: dict) -> dict:
    """Free text as it was before pa-trade's csv output neutralised it: one leading "'" less
    where flows.safe_text added one (a source that starts with '=, '+, '-, '@...); done after
    trimming, so a text written "'\\t=x" comes back "\\t=x". Codes and numbers are not
    touched: a cell there that starts with "'" is no code or number, and is set aside."""
    for name in ("source", "source_url"):
        cells = columns.get(name)
        if cells is not None and any(text.startswith("'") for text in cells.texts):
            columns = {**columns, name: _Texts([flows.unquote_text(text) for text in cells.texts],
                                               cells.codes)}
    return columns


def _arrow_encoding(encoding: str) -> str:
    return {"UTF-8": "utf8", "UTF-8 with BOM": "utf8", "Windows-1252": "cp1252",
            "Latin-1": "latin1", "UTF-16": "utf16"}.get(encoding, "utf8")


def _read_line_by_line(src: SourceFile, header, header_index: int, delimiter: str,
                       report: LoadReport):
    """(table, line numbers) keeping the rows that fit the header; the others set aside.

    A quoted cell may run over line ends (legitimate CSV: a source note of two lines). A quote
    that opens and does not close where it should would swallow every later line into one
    cell, so it is judged by evidence: a cell that runs to the end of the file, or holds a
    line of the file's own row shape, is a damaged quote; its first line is set aside and the
    lines after it are read as rows."""
    import pandas as pd

    lines = src.lines
    width = len(header)
    year_at = header.index("year")
    records, line_numbers = [], []
    index = header_index + 1
    while index < len(lines):
        line = lines[index]
        if not line.strip():
            index += 1
            continue
        report.rows_read += 1
        if '"' not in line:
            cells, taken = line.split(delimiter), 1
        else:
            cells, taken = _record_from(lines, index, delimiter)
            if (cells is None or taken != 1) and _damaged_quote(cells, taken, lines, index,
                                                                delimiter, width, year_at):
                report.add(index + 1, "damaged-quote",
                           "a quote opened on this line swallows "
                           + _swallowed(cells, taken))
                index += 1
                continue
        index += taken
        if len(cells) != width:
            if len(cells) < width or any(c.strip() for c in cells[width:]):
                report.add(index - taken + 1, "bad-field-count",
                           f"{len(cells)} fields, header has {width}")
                continue
            cells = cells[:width]  # trailing empty fields (a spreadsheet's habit): dropped
        records.append(cells)
        line_numbers.append(index - taken + 1)
    table = pd.DataFrame(records, columns=header, dtype=object) if records else \
        pd.DataFrame({name: pd.Series([], dtype=object) for name in header})
    return table, line_numbers


def _swallowed(cells, taken: int) -> str:
    if cells is None:
        return "the rest of the file"
    return "the next line" if taken == 2 else f"the next {taken - 1} lines"


def _record_from(lines: list[str], index: int, delimiter: str):
    """(cells, physical lines taken) of the record starting at lines[index], as the csv module
    reads it, a quoted cell running over line ends; cells None when a quote never closes."""
    reader = csv_module.reader((line + "\n" for line in lines[index:]), delimiter=delimiter,
                               strict=True)
    try:
        cells = next(reader)
    except csv_module.Error as error:
        if "unexpected end of data" in str(error):
            return None, len(lines) - index
        # a quote inside a cell where CSV has none (`"a"b`): the line alone, read leniently
        return fields(lines[index], delimiter), 1
    except StopIteration:
        return [], 1
    return [cell.replace("\r\n", "\n") for cell in cells], reader.line_num


def _damaged_quote(cells, taken: int, lines: list[str], index: int, delimiter: str,
                   width: int, year_at: int) -> bool:
    """Whether a record over several lines is a quote gone wrong: it runs to the end of the
    file, or a line it swallowed has the file's row shape (as many fields as the header and
    a year where the year goes)."""
    if cells is None:
        return True
    for line in lines[index + 1 : index + taken]:
        parts = fields(line.replace('"', ""), delimiter)
        if len(parts) == width and parts[year_at].strip().isdigit():
            return True
    return False


def check_rows(table, line_numbers, report: LoadReport, default_source: str,
               products: bool = True):
    """Checks every row in bulk; records set-aside rows in `report`; returns the good rows
    (text columns as categoricals), or None when there are none.

    `table` holds the cells as text ('' for none), one column per canonical column given;
    the parquet reader passes its typed columns so written, to be judged the same way.
    `products=False`: the caller needs no tariff codes; the good rows are then summed over
    them (exactly, in cents), one row per flow of a month or a year.

    Reasons, the first that applies: unknown-country, missing-value, bad-number, bad-field,
    reporter-is-partner (a country's trade with itself); then a flow given twice:
    duplicate-row (same figure) or conflicting-row (both rows).
    """
    columns = {c: _Texts.of_pandas(table[c]) for c in CHECKED if c in table}
    return _checked(columns, line_numbers, report, default_source, products)


def _checked(columns: dict, lines, report: LoadReport, default_source: str,
             products: bool = True):
    """check_rows on columns of _Texts (value_usd maybe _Figures)."""
    import numpy as np
    import pandas as pd

    lines = lines if isinstance(lines, _Lines) else _Lines(listed=lines)
    n = len(lines)
    column = {c: columns.get(c) or _Texts.constant("", n) for c in CHECKED}
    cells = _Judged(column, default_source)

    aside = np.zeros(n, dtype=bool)
    for reason, mask, detail in cells.checks():
        if mask is None:
            continue  # no distinct text is wrong: no pass over the rows
        for i in np.flatnonzero(mask & ~aside).tolist():
            report.add(int(lines[i]), reason, detail(i))
        aside |= mask
    kept = None if not aside.any() else np.flatnonzero(~aside)  # None: every row

    # one flow per row: the same flow twice would be summed, counting it twice
    flow_key, per_hs_code = cells.flow_key(kept)
    values = cells.number if kept is None else cells.number[kept]
    drop = _repeated_flows(flow_key, values, lines if kept is None else lines[kept], report)
    if drop is not None:
        kept = np.flatnonzero(~drop) if kept is None else kept[~drop]
        flow_key, values = flow_key[~drop], values[~drop]
    rows = n if kept is None else len(kept)
    report.rows_used = rows
    if not rows:
        return None
    if products:
        return cells.frame(kept, values, with_hs_code=True)
    # summed over tariff codes: rows of one flow but its code, together
    source_rank, sources = cells.source_ranks(kept)
    summed_key = flow_key  # no longer needed as it is: changed in place
    summed_key //= per_hs_code
    if sources > 1:
        if (int(summed_key.max()) + 1) * sources >= 1 << 62:
            summed_key = pd.factorize(summed_key, sort=True)[0].astype(np.int64)
        summed_key *= sources
        summed_key += source_rank
    steps = summed_key[1:] != summed_key[:-1]
    if len(summed_key) > 1 and not bool((summed_key[1:] >= summed_key[:-1]).all()):
        order = np.argsort(summed_key, kind="stable")
        kept = order if kept is None else kept[order]
        values, summed_key = values[order], summed_key[order]
        steps = summed_key[1:] != summed_key[:-1]
    starts = np.flatnonzero(np.r_[True, steps])
    firsts = starts if kept is None else kept[starts]
    return cells.frame(firsts, _sums(values, starts), with_hs_code=False)


def _sums(values, starts):
    """The sums of the runs of `values` starting at `starts`: in whole cents, exactly, as
    the amounts are kept to the cent (in floating point beyond what cents in int64 hold)."""
    import numpy as np

    if len(starts) == len(values):
        return values
    if np.abs(values).max() < 2**53 / 100:
        cents = np.rint(values * 100).astype(np.int64)
        return np.add.reduceat(cents, starts) / 100
    return np.add.reduceat(values, starts)


class _Judged:
    """Every check of the tidy layout, made once per distinct text of each column; what
    each distinct text becomes in the flows; and the rows' keys, from those."""

    def __init__(self, column: dict, default_source: str) -> None:
        import numpy as np
        import pandas as pd

        self.column = column
        self.default_source = default_source
        reporter, partner = column["reporter"], column["partner"]
        known = {text: countries.lookup(text)
                 for text in dict.fromkeys(reporter.texts + partner.texts)}
        # every code found, numbered in their order: reporter and partner compare as numbers
        self.codes = sorted({code for code in known.values() if code is not None})
        number_of = {code: i for i, code in enumerate(self.codes)}
        numbers = np.int16 if len(self.codes) < 1 << 15 else np.int32
        self.reporter_id = reporter.rows(np.array([number_of.get(known[t], -1)
                                                   for t in reporter.texts] or [-1], numbers))
        self.partner_id = partner.rows(np.array([number_of.get(known[t], -1)
                                                 for t in partner.texts] or [-1], numbers))

        year = column["year"].distinct()
        self.year_ok = year.str.fullmatch(r"(19|20)[0-9]{2}").to_numpy(dtype=bool,
                                                                       na_value=False)
        self.year_number = np.where(
            self.year_ok, year.where(self.year_ok, "0").astype("int64").to_numpy(), 0)
        month = column["month"].distinct()
        # only cells of one or two ASCII digits are converted: a cast cannot fail
        month_number = month.where(month.str.fullmatch(r"[0-9]{1,2}")).astype("Int64")
        self.bad_month = (month.ne("") & ~month_number.between(1, 12)).to_numpy(
            dtype=bool, na_value=True)
        self.month_given = month.ne("").to_numpy(dtype=bool)
        self.month_value = [None if pd.isna(v) else int(v) for v in month_number.tolist()]
        # the months a yearly figure covers, as pa-trade writes them ('1-7', '1-3,7'); given
        # beside a month, they are wrong too (a month's figure covers that month)
        months = column["months"].distinct()
        self.months_given = months.ne("").to_numpy(dtype=bool)
        self.bad_months = (months.ne("") & ~months.str.fullmatch(MONTHS_TEXT)).to_numpy(
            dtype=bool, na_value=True) | (self.months_given
                                          & _unreadable_months(column["months"].texts))
        self.months_value = [t or None for t in column["months"].texts]
        flow = column["flow"].distinct().str.lower()
        self.bad_flow = ~flow.isin(flows.FLOWS).to_numpy()
        self.flow_value = flow.tolist()
        # a tariff code is 1 to 10 ASCII digits (kept as text: '09' is not 9)
        hs_code = column["hs_code"].distinct()
        self.bad_hs = (hs_code.ne("") & ~hs_code.str.fullmatch(r"[0-9]{1,10}")).to_numpy(
            dtype=bool, na_value=True)
        self.hs_value = [t or None for t in column["hs_code"].texts]
        valuation = column["valuation"].distinct().str.upper()
        self.bad_valuation = ~valuation.isin(["FOB", "CIF", "", "UNKNOWN"]).to_numpy()
        self.valuation_value = valuation.where(valuation.isin(["FOB", "CIF"]),
                                               "unknown").tolist()

        value = column["value_usd"]
        if isinstance(value, _Figures):
            self.number = value.numbers
            empty = np.isnan(self.number)
            self.empty = empty if empty.any() else None
            self.not_number = None  # every figure Arrow read is a finite number
        else:
            text = value.distinct()
            plain = text.str.match(PLAIN_NUMBER).to_numpy(dtype=bool, na_value=False)
            # only plain numbers are converted (the cast cannot fail); 1e999 is no amount
            converted = text.where(plain).astype("Float64").to_numpy(dtype="float64",
                                                                     na_value=np.nan)
            self.empty = _flagged(value, text.eq("").to_numpy(dtype=bool))
            self.not_number = _flagged(value, ~(plain & np.isfinite(converted)))
            self.number = value.rows(converted)

    def checks(self):
        """[(reason, rows it applies to or None for none, detail of row i)] in the order
        the first that applies wins."""
        column = self.column
        reporter, partner = column["reporter"], column["partner"]
        year, month, months = column["year"], column["month"], column["months"]
        flow, valuation, hs_code = column["flow"], column["valuation"], column["hs_code"]

        def text(cells, i: int) -> str:
            return cells.texts[cells.codes[i]]

        unknown = (self.reporter_id < 0) | (self.partner_id < 0)
        bad_year = _flagged(year, ~self.year_ok)
        bad_month = _flagged(month, self.bad_month)
        bad_months = _flagged(months, self.bad_months)
        if self.months_given.any() and self.month_given.any():
            beside = months.rows(self.months_given) & month.rows(self.month_given)
            bad_months = beside if bad_months is None else bad_months | beside
        bad_flow = _flagged(flow, self.bad_flow)
        bad_hs = _flagged(hs_code, self.bad_hs)
        bad_field = _either(bad_year, bad_month, bad_months, bad_flow,
                            _flagged(valuation, self.bad_valuation), bad_hs)
        itself = (self.reporter_id == self.partner_id) & (self.reporter_id >= 0)

        def is_set(mask, i: int) -> bool:
            return mask is not None and bool(mask[i])

        return [
            ("unknown-country", unknown if unknown.any() else None,
             lambda i: repr(text(reporter, i) if self.reporter_id[i] < 0
                            else text(partner, i))),
            ("missing-value", self.empty, lambda i: "value_usd empty"),
            ("bad-number", self.not_number,
             lambda i: f"value_usd {text(column['value_usd'], i)!r}"),
            ("bad-field", bad_field,
             lambda i: _bad_field_detail(text(year, i), text(month, i), text(flow, i),
                                         text(valuation, i), is_set(bad_year, i),
                                         is_set(bad_month, i), is_set(bad_flow, i),
                                         text(months, i) if is_set(bad_months, i) else None,
                                         text(hs_code, i) if is_set(bad_hs, i) else None)),
            ("reporter-is-partner", itself if itself.any() else None,
             lambda i: f"reporter {text(reporter, i)!r}, partner {text(partner, i)!r}"),
        ]

    def flow_key(self, rows):
        """(one int64 per row given that orders rows as pa-trade writes them and is the
        same for two rows of the same flow; how many tariff codes it tells apart, its last
        part). `rows` None: every row."""
        column = self.column
        people = len(self.codes)
        parts = [(_pick(self.reporter_id, rows), people),
                 (_pick(self.partner_id, rows), people),
                 _ranks(column["year"], self.year_number.tolist(), rows),
                 _ranks(column["month"], self.month_value, rows),
                 _ranks(column["months"], self.months_value, rows),
                 _ranks(column["flow"], self.flow_value, rows),
                 _ranks(column["valuation"], self.valuation_value, rows)]
        hs_codes = _ranks(column["hs_code"], self.hs_value, rows)
        count = len(self.number) if rows is None else len(rows)
        return flows.ordered_key([*parts, hs_codes], count), hs_codes[1]

    def source_ranks(self, rows):
        """(each row's rank among the sources, how many) for the rows given (None: all)."""
        cells, texts = self._sources()
        return _ranks(cells, texts, rows)

    def _sources(self):
        """(_Texts of each row's source, its texts): its own or the file's, with its
        source_url after it."""
        import numpy as np
        import pandas as pd

        source, urls = self.column["source"], self.column["source_url"]
        named = [text or self.default_source for text in source.texts]
        if not any(urls.texts):
            return source, named
        pair = source.codes.astype(np.int64) * len(urls.texts) + urls.codes
        codes, uniques = pd.factorize(pair)
        texts = []
        for combined in uniques.tolist():
            own, url = named[combined // len(urls.texts)], urls.texts[combined % len(urls.texts)]
            texts.append(own if not url else own + ", " + url)
        return _Texts(texts, codes), texts

    def frame(self, rows, values, with_hs_code: bool):
        """The flows of the rows given (None: every row), with these values."""
        import pandas as pd

        column = self.column
        month = _pick(column["month"].rows([0 if v is None else v
                                            for v in self.month_value]), rows)
        month_missing = _pick(column["month"].rows([v is None for v in self.month_value]),
                              rows)
        source, source_texts = self._sources()
        return pd.DataFrame({
            "reporter": _categories(self.codes, _pick(self.reporter_id, rows)),
            "partner": _categories(self.codes, _pick(self.partner_id, rows)),
            # the rows kept passed the patterns above: these conversions cannot fail
            "year": _pick(column["year"].rows(self.year_number), rows),
            "month": pd.arrays.IntegerArray(month.astype("int64"), month_missing),
            "months": _categorical(column["months"], self.months_value, rows),
            "flow": _categorical(column["flow"], self.flow_value, rows),
            "value_usd": values,
            "valuation": _categorical(column["valuation"], self.valuation_value, rows),
            "source": _categorical(source, source_texts, rows),
            "hs_code": (_categorical(column["hs_code"], self.hs_value, rows) if with_hs_code
                        else _categorical(_Texts.constant("", len(values)), [None], None)),
        })



def _flagged(cells: _Texts, per_text):
    """The rows whose text is flagged, or None when no distinct text is (no pass over the
    rows)."""
    import numpy as np

    per_text = np.asarray(per_text, dtype=bool)
    return cells.rows(per_text) if per_text.any() else None


def _either(*masks):
    """The rows any of the masks flags (None stands for none)."""
    found = [mask for mask in masks if mask is not None]
    if not found:
        return None
    out = found[0].copy()
    for mask in found[1:]:
        out |= mask
    return out


def _pick(per_row, rows):
    return per_row if rows is None else per_row[rows]


def _unreadable_months(texts: list[str]):
    """True for each text periods.parse_spec cannot read ('' is read: no months)."""
    import numpy as np

    from pa_trade.periods import parse_spec

    out = np.zeros(len(texts), dtype=bool)
    for i, text in enumerate(texts):
        if text:
            try:
                parse_spec(text)
            except ValueError:
                out[i] = True
    return out


def _ranks(cells: _Texts, values: list, rows):
    """(each row's rank among the distinct values, missing first, or None when all are the
    same; how many ranks) for the rows given (None: every row), from what each distinct
    text becomes."""
    import numpy as np

    present = sorted({v for v in values if v is not None})
    rank = {v: i + 1 for i, v in enumerate(present)}
    per_text = np.array([rank[v] if v is not None else 0 for v in values] or [0],
                        dtype=np.int32)
    if len(set(per_text.tolist())) == 1:
        return None, 1  # one value (or none) in the whole column: nothing to order by
    return per_text[_pick(cells.codes, rows)], len(present) + 1


def _repeated_flows(key, values, lines, report: LoadReport):
    """Rows repeating a flow (the same `key`) -> True where dropped, or None when none is:
    the later rows of a flow given twice with the same figure (duplicate-row), and every
    row of one given with different figures (conflicting-row), recorded in `report`."""
    import numpy as np

    if len(key) < 2:
        return None
    if bool((key[1:] > key[:-1]).all()):
        return None  # rows in the order of their flows, none twice: pa-trade's own files
    if bool((key[1:] >= key[:-1]).all()):
        order, ordered = None, key  # in order, some twice in a row: no sort needed
    else:
        order = np.argsort(key, kind="stable")  # rows of one flow together, in line order
        ordered = key[order]
    same = ordered[1:] == ordered[:-1]
    if not same.any():
        return None
    member = np.zeros(len(ordered), dtype=bool)
    member[1:] |= same
    member[:-1] |= same
    rows = np.flatnonzero(member) if order is None else order[member]
    flow_key = ordered[member]
    starts = np.flatnonzero(np.r_[True, flow_key[1:] != flow_key[:-1]])
    sizes = np.diff(np.r_[starts, len(rows)])
    figures = values[rows]
    agree = np.logical_and.reduceat(figures == np.repeat(figures[starts], sizes), starts)
    row_lines = lines[rows].tolist()
    row_values = figures.tolist()
    drop = np.zeros(len(key), dtype=bool)
    for start, size, same_figure in zip(starts.tolist(), sizes.tolist(), agree.tolist(),
                                        strict=True):
        group = range(start, start + size)
        if same_figure:
            for at in group[1:]:
                report.add(int(row_lines[at]), "duplicate-row",
                           f"same flow and figure as line {row_lines[start]}")
        else:
            shown = ", ".join(f"line {row_lines[at]}: {row_values[at]:.2f}" for at in group)
            for at in group:
                report.add(int(row_lines[at]), "conflicting-row", shown)
        drop[rows[start + (1 if same_figure else 0) : start + size]] = True
    return drop


def _categorical(cells: _Texts, values: list, rows):
    """The rows' values (rows None: every row) as a pandas categorical (None: missing),
    from what each distinct text becomes."""
    import numpy as np
    import pandas as pd

    codes, uniques = pd.factorize(pd.Series(values, dtype=object))
    per_text = np.asarray(codes, dtype=np.int32) if len(codes) else np.zeros(1, np.int32)
    count = len(cells.codes) if rows is None else len(rows)
    if len(set(per_text.tolist())) == 1:
        per_row = np.full(count, per_text[0], dtype=np.int32)
    else:
        per_row = per_text[_pick(cells.codes, rows)]
    return pd.Categorical.from_codes(per_row, categories=pd.Index(uniques, dtype=object))


def _categories(code_list: list[str], numbers):
    import pandas as pd

    return pd.Categorical.from_codes(numbers, categories=pd.Index(code_list, dtype=object))


def _bad_field_detail(year, month, flow, valuation, bad_year, bad_month, bad_flow,
                      months=None, hs_code=None) -> str:
    if bad_year:
        return f"year {year!r}"
    if bad_month:
        return f"month {month!r}"
    if months is not None:
        return f"months {months!r} (expected months like 1-7, and no month beside them)"
    if bad_flow:
        return f"flow {flow!r} (expected export or import)"
    if hs_code is not None:
        return f"hs_code {hs_code!r} (expected 1 to 10 digits)"
    return f"valuation {valuation!r} (expected FOB, CIF or empty)"
