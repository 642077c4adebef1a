"""pa-trade's own tidy CSV (formats.md §5): one flow per row, ISO3 codes, plain numbers."""

from __future__ import annotations

import io
import re

from pa_trade import countries, flows
from pa_trade.errors import DataError
from pa_trade.readers.common import fields, join_fields, short_name
from pa_trade.readers.report import LoadReport
from pa_trade.textio import SourceFile, delimiter_name, sniff_delimiter

PLAIN_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
OPTIONAL = ["month", "hs_code", "source_url"]


def is_tidy_header(cells: list[str]) -> bool:
    names = {c.strip().lower() for c in cells}
    return {"reporter", "partner", "year", "flow", "value_usd"} <= names


def read_tidy(src: SourceFile, number_style: str | None = None):
    """Read a tidy CSV -> (canonical flows, LoadReport). number_style is ignored: plain only."""
    import pandas as pd

    report = LoadReport(src.name, "tidy", encoding=src.encoding, number_style="plain")
    lines = src.lines
    header_index = next(i for i, line in enumerate(lines) if line.strip())
    delimiter = sniff_delimiter(lines[header_index : header_index + 50])
    report.delimiter = delimiter_name(delimiter)
    header = [h.strip().lower() for h in fields(lines[header_index], delimiter)]
    missing = [c for c in flows.TIDY_REQUIRED if c not in header and c != "source"]
    if missing:
        raise DataError(
            f"{src.name}: line {header_index + 1}: missing column(s) {', '.join(missing)} "
            f"for the tidy layout"
        )
    kept, line_numbers = [lines[header_index]], []
    for index in range(header_index + 1, len(lines)):
        line = lines[index]
        if not line.strip():
            continue
        report.rows_read += 1
        cells = fields(line, delimiter)
        if len(cells) != len(header):
            if len(cells) < len(header) or any(c.strip() for c in cells[len(header):]):
                report.add(index + 1, "bad-field-count",
                           f"{len(cells)} fields, header has {len(header)}")
                continue
            # trailing empty fields (a spreadsheet's habit): drop them
            line = join_fields(cells[: len(header)], delimiter)
        kept.append(line)
        line_numbers.append(index + 1)
    table = pd.read_csv(
        io.StringIO("\n".join(kept)), sep=delimiter, dtype=str, keep_default_na=False,
        skip_blank_lines=False, engine="c",
    )
    table.columns = [c.strip().lower() for c in table.columns]
    table = table.apply(lambda column: column.str.strip())
    default_source = f"tidy file ({short_name(src.name)})"

    records: list[dict | None] = []
    first_seen: dict[tuple, tuple[int | None, int]] = {}  # key -> (record index, line)
    code_cache: dict[str, str | None] = {}

    def code(text: str) -> str | None:
        if text not in code_cache:
            code_cache[text] = countries.lookup(text)
        return code_cache[text]

    for position, row in enumerate(table.itertuples(index=False)):
        line = line_numbers[position]
        record = row._asdict()
        reporter, partner = code(record["reporter"]), code(record["partner"])
        if reporter is None or partner is None:
            bad = record["reporter"] if reporter is None else record["partner"]
            report.add(line, "unknown-country", repr(bad))
            continue
        value_text = record["value_usd"]
        if value_text == "":
            report.add(line, "missing-value", "value_usd empty")
            continue
        if not PLAIN_NUMBER.match(value_text):
            report.add(line, "bad-number", f"value_usd {value_text!r}")
            continue
        problem = _bad_field(record)
        if problem:
            report.add(line, "bad-field", problem)
            continue
        valuation = record.get("valuation", "")
        month = record.get("month", "")
        row = {
            "reporter": reporter,
            "partner": partner,
            "year": int(record["year"]),
            "month": int(month) if month else None,
            "flow": record["flow"].lower(),
            "value_usd": float(value_text),
            "valuation": valuation.upper() if valuation.upper() in ("FOB", "CIF")
            else "unknown",
            "source": _source(record, default_source),
            "hs_code": record.get("hs_code", "") or None,
        }
        # one flow per row: the same flow twice would be summed, counting it twice
        key = tuple(row[c] for c in ("reporter", "partner", "year", "month", "flow",
                                     "valuation", "hs_code"))
        if key in first_seen:
            earlier, earlier_line = first_seen[key]
            if earlier is None or records[earlier]["value_usd"] != row["value_usd"]:
                shown = "" if earlier is None else f"{records[earlier]['value_usd']:.2f} vs "
                report.add(line, "conflicting-row",
                           f"line {earlier_line} gives {shown}{row['value_usd']:.2f}")
                if earlier is not None:
                    report.add(earlier_line, "conflicting-row",
                               f"line {line} gives another figure for the same flow")
                    records[earlier] = None
                    report.rows_used -= 1
                    first_seen[key] = (None, earlier_line)
            else:
                report.add(line, "duplicate-row", f"same flow and figure as line {earlier_line}")
            continue
        first_seen[key] = (len(records), line)
        records.append(row)
        report.rows_used += 1
    records = [r for r in records if r is not None]
    report.set_aside.sort(key=lambda r: r.line)
    frame = pd.DataFrame(records) if records else None
    return flows.aggregate(frame), report


def _source(record: dict, default: str) -> str:
    """The row's source, with its page address when the file has a source_url column."""
    source = record.get("source") or default
    url = record.get("source_url", "")
    return f"{source}, {url}" if url else source


def _bad_field(record: dict) -> str:
    """What is wrong with a row's year, month, flow or valuation, or '' when nothing is."""
    year = record["year"]
    if not re.fullmatch(r"(19|20)\d{2}", year):
        return f"year {year!r}"
    month = record.get("month", "")
    if month and not (month.isdigit() and 1 <= int(month) <= 12):
        return f"month {month!r}"
    if record["flow"].lower() not in flows.FLOWS:
        return f"flow {record['flow']!r} (expected export or import)"
    valuation = record.get("valuation", "")
    if valuation.upper() not in ("FOB", "CIF", "", "UNKNOWN"):
        return f"valuation {valuation!r} (expected FOB, CIF or empty)"
    return ""
