"""pa-trade's own tidy CSV (formats.md §5): one flow per row, ISO3 codes, plain numbers."""

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


def is_tidy_header(cells: list[str]) -> bool:
    names = {c.strip().lower() for c in cells}
    return {"reporter", "partner", "year", "flow", "value_usd"} <= names


def read_tidy(src: SourceFile, number_style: str | None = None):
    """Read a tidy CSV -> (canonical flows, LoadReport). number_style is ignored: plain only."""

    report = LoadReport(src.name, "tidy", encoding=src.encoding, number_style="plain")
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
    table = _read_whole(src, header, header_index, delimiter)
    if table is not None:
        report.rows_read = len(table)
        line_numbers = range(header_index + 2, header_index + 2 + len(table))
    else:
        table, line_numbers = _read_line_by_line(src, header, header_index, delimiter, report)
    table = table.astype(TEXT)
    table = table.assign(**{name: table[name].str.strip(WHITESPACE) for name in table.columns})
    table = _unquote(table)
    default_source = f"tidy file ({short_name(src.name)})"
    frame = check_rows(table, line_numbers, report, default_source)
    report.set_aside.sort(key=lambda r: r.line)
    return flows.aggregate(frame), report


def _read_whole(src: SourceFile, header, header_index: int, delimiter: str):
    """Every row as text in one go (Arrow's reader), or None when some line does not fit the
    header (blank lines included), so that line numbers stay exact."""
    import pandas as pd
    import pyarrow as pa
    from pyarrow import csv

    misfits = []

    def misfit(_row):
        misfits.append(1)
        return "skip"

    try:
        table = csv.read_csv(
            src.open() if src.held is None else pa.py_buffer(src.held),
            read_options=csv.ReadOptions(column_names=header, skip_rows=header_index + 1,
                                         encoding=_arrow_encoding(src.encoding)),
            parse_options=csv.ParseOptions(delimiter=delimiter, ignore_empty_lines=False,
                                           invalid_row_handler=misfit),
            convert_options=csv.ConvertOptions(
                column_types={name: pa.string() for name in header},
                strings_can_be_null=False),
        )
    except (pa.ArrowInvalid, UnicodeDecodeError):
        return None
    if misfits or _spans_lines(table):
        return None
    return table.to_pandas(types_mapper={pa.string(): pd.StringDtype("pyarrow")}.get)


def _spans_lines(table) -> bool:
    """Whether some cell holds a line break (a quoted one, or a quote left open): then rows
    are no longer one per line, and the careful path numbers them and judges the quote."""
    import pyarrow.compute as pc

    return any(pc.any(pc.match_substring_regex(column, "[\r\n]")).as_py()
               for column in table.columns)


def _unquote(table):
    """Free text as it was before pa-trade's csv output neutralised it: one leading "'" less
    where flows.safe_text added one (a source that starts with '=, '+, '-, '@...); done after
    trimming, so a text written "'\\t=x" comes back "\\t=x". Codes and numbers are not
    touched: a cell there that starts with "'" is no code or number, and is set aside."""
    for name in ("source", "source_url"):
        if name not in table:
            continue
        cells = table[name]
        quoted = cells.str.startswith("'").to_numpy(dtype=bool, na_value=False)
        if quoted.any():
            cells = cells.copy()
            cells.loc[quoted] = [flows.unquote_text(text) for text in cells[quoted].tolist()]
            table = table.assign(**{name: cells})
    return table


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


def check_rows(table, line_numbers, report: LoadReport, default_source: str):
    """Checks every row in bulk; records set-aside rows in `report`; returns the good rows.

    `table` holds the cells as text ('' for none), one column per canonical column given;
    the parquet reader passes its typed columns so written, to be judged the same way.

    Reasons, the first that applies: unknown-country, missing-value, bad-number, bad-field,
    reporter-is-partner (a country's trade with itself); then a flow given twice:
    duplicate-row (same figure) or conflicting-row (both rows).
    """
    import numpy as np
    import pandas as pd

    lines = np.asarray(line_numbers, dtype=np.int64)
    n = len(table)
    column = {c: table[c] if c in table else pd.Series([""] * n, index=table.index)
              for c in ("reporter", "partner", "year", "month", "months", "flow", "value_usd",
                        "valuation", "source", "source_url", "hs_code")}
    codes = {text: countries.lookup(text)
             for text in pd.unique(pd.concat([column["reporter"], column["partner"]]))}
    reporter, partner = column["reporter"].map(codes), column["partner"].map(codes)
    value = column["value_usd"]
    year, month = column["year"], column["month"]
    flow = column["flow"].str.lower()
    valuation = column["valuation"].str.upper()

    unknown = (reporter.isna() | partner.isna()).to_numpy()
    empty = value.eq("").to_numpy()
    plain = value.str.match(PLAIN_NUMBER).to_numpy(dtype=bool, na_value=False)
    # only plain numbers are converted (the cast cannot fail); 1e999 is no amount either
    number = value.where(plain).astype("Float64")
    not_number = ~(plain & np.isfinite(number.to_numpy(dtype="float64", na_value=np.nan)))
    bad_year = ~year.str.fullmatch(r"(19|20)[0-9]{2}").to_numpy(dtype=bool, na_value=False)
    # only cells of one or two ASCII digits are converted: a cast cannot fail
    month_number = month.where(month.str.fullmatch(r"[0-9]{1,2}")).astype("Int64")
    bad_month = (month.ne("") & ~month_number.between(1, 12)).to_numpy(dtype=bool,
                                                                        na_value=True)
    # the months a yearly figure covers, as pa-trade writes them ('1-7', '1-3,7')
    months = column["months"]
    bad_months = (months.ne("") & ~months.str.fullmatch(
        r"(0?[1-9]|1[0-2])(-(0?[1-9]|1[0-2]))?(,(0?[1-9]|1[0-2])(-(0?[1-9]|1[0-2]))?)*")
        ).to_numpy(dtype=bool, na_value=True)
    if bad_months.any() or months.ne("").any():
        bad_months |= _months_not_read(months, month)
    bad_flow = ~flow.isin(flows.FLOWS).to_numpy()
    # a tariff code is 1 to 10 ASCII digits (kept as text: '09' is not 9)
    hs_code = column["hs_code"]
    bad_hs = (hs_code.ne("") & ~hs_code.str.fullmatch(r"[0-9]{1,10}")).to_numpy(
        dtype=bool, na_value=True)
    bad_valuation = ~valuation.isin(["FOB", "CIF", "", "UNKNOWN"]).to_numpy()
    itself = reporter.eq(partner).to_numpy(dtype=bool, na_value=False)

    checks = [
        ("unknown-country", unknown,
         lambda i: repr(column["reporter"].iat[i] if reporter.isna().iat[i]
                        else column["partner"].iat[i])),
        ("missing-value", empty, lambda i: "value_usd empty"),
        ("bad-number", not_number, lambda i: f"value_usd {value.iat[i]!r}"),
        ("bad-field", bad_year | bad_month | bad_months | bad_flow | bad_valuation | bad_hs,
         lambda i: _bad_field_detail(year.iat[i], month.iat[i], column["flow"].iat[i],
                                     column["valuation"].iat[i], bad_year[i], bad_month[i],
                                     bad_flow[i], months.iat[i] if bad_months[i] else None,
                                     hs_code.iat[i] if bad_hs[i] else None)),
        ("reporter-is-partner", itself,
         lambda i: f"reporter {column['reporter'].iat[i]!r}, "
                   f"partner {column['partner'].iat[i]!r}"),
    ]
    aside = np.zeros(n, dtype=bool)
    for reason, mask, detail in checks:
        for i in np.flatnonzero(mask & ~aside).tolist():
            report.add(int(lines[i]), reason, detail(i))
        aside |= mask

    good = pd.DataFrame({
        "reporter": reporter, "partner": partner,
        # the rows kept passed the patterns above: these casts cannot fail
        "year": year.where(~aside).astype("Int64"),
        "month": month_number,
        "months": months.where(months.ne("")),
        "flow": flow,
        "value_usd": number.where(~aside),
        "valuation": valuation.where(valuation.isin(["FOB", "CIF"]), "unknown"),
        "source": column["source"].where(column["source"].ne(""), default_source),
        "hs_code": column["hs_code"].where(column["hs_code"].ne("")),
        "line": lines,
    })
    urls = column["source_url"]
    good["source"] = good["source"].where(urls.eq(""), good["source"] + ", " + urls)
    good = good[~aside]

    # one flow per row: the same flow twice would be summed, counting it twice
    key = ["reporter", "partner", "year", "month", "months", "flow", "valuation", "hs_code"]
    repeated = good[good.duplicated(key, keep=False)]
    drop = set()
    for _, group in repeated.groupby(key, dropna=False, sort=False):
        first = group.iloc[0]
        if (group["value_usd"] == first["value_usd"]).all():
            for later in group["line"].iloc[1:]:
                report.add(int(later), "duplicate-row",
                           f"same flow and figure as line {first['line']}")
                drop.add(int(later))
        else:
            shown = ", ".join(f"line {r.line}: {r.value_usd:.2f}" for r in group.itertuples())
            for row_line in group["line"]:
                report.add(int(row_line), "conflicting-row", shown)
                drop.add(int(row_line))
    good = good[~good["line"].isin(drop)]
    report.rows_used = len(good)
    return good.drop(columns="line") if len(good) else None


def _months_not_read(months, month):
    """True where `months` is no set of months periods.parse_spec reads, or is given beside a
    month (a month's figure covers that month)."""
    import numpy as np

    from pa_trade.periods import parse_spec

    out = np.zeros(len(months), dtype=bool)
    for i, text in enumerate(months.tolist()):
        if not text:
            continue
        try:
            parse_spec(text)
        except ValueError:
            out[i] = True
            continue
        out[i] = month.iat[i] != ""
    return out


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
