"""The IMF's trade by partner: the per-reporter DOTS / IMTS Excel workbooks (`imf-dots`).

A workbook as the IMF's Direction of Trade Statistics download gives it (`DOTS_43.xlsx`:
Colombia) has two sheets, `Exports, FOB` and `Imports, CIF`, each laid out alike:

    Exports, FOB to Partner Countries          <- the flow and its valuation
    Colombia                                   <- the reporter, in the IMF's spelling
    US Dollars, Millions                       <- the unit
         1960  1961 ... 2020                   <- the years
    Australia ...                              <- a partner (IMF spelling), its figures
    World ...                                  <- aggregates among the partners

Each sheet becomes a text input (readers.workbook); a CSV saved from it reads the same way.
Partners and aggregates resolve through the IMF's own names (data/imf_areas.csv); aggregates
(World, Euro Area, regions, the Memorandum Items block) are kept apart from partners as the
other tables' aggregates are. A cell flagged by the IMF (`"12.34 e"`, an estimate) is read
with its value, and the flags are counted in a note. A row repeating an earlier one (the IMF
repeats its first partner row) is set aside as a duplicate-row, the first kept.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from pa_trade import numbers
from pa_trade.errors import DataError
from pa_trade.readers.common import fields, short_name
from pa_trade.readers.report import LoadReport
from pa_trade.reference import countries
from pa_trade.textio import SourceFile, delimiter_name, sniff_delimiter

LAYOUT = "imf-dots"
TITLE = re.compile(r"^(exports|imports),\s*(fob|cif)\s+(to|from)\s+partner\s+countries$", re.I)
UNIT = re.compile(r"^u\.?s\.?\s+dollars(?:,\s*(millions|thousands|billions))?$", re.I)
SCALES = {None: 1, "thousands": 1_000, "millions": 1_000_000, "billions": 1_000_000_000}
HEADINGS = {"memorandum items"}  # lines that head a block: no row of figures
_FLAGGED = re.compile(r"^(.*?\d)\s*([a-zA-Z])$")  # '12.34 e': the value and the IMF's flag
_EXPONENT = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)[eE][+-]?\d+$")
_YEAR = re.compile(r"^(19|20)\d{2}$")
_HEAD = 12  # the title, reporter and unit lines stand in the first lines


def _first_cells(lines: list[str]) -> list[str]:
    """The first non-empty cell of each of the first lines (the title block)."""
    delimiter = sniff_delimiter([line for line in lines[:40] if line.strip()])
    out = []
    for line in lines[:_HEAD]:
        cells = [c.strip() for c in fields(line, delimiter) if c.strip()]
        out.append(cells[0] if len(cells) == 1 else "")
    return out


def is_dots(lines: list[str]) -> bool:
    """Whether the first lines are an IMF DOTS sheet's: its title and its unit line."""
    firsts = _first_cells(lines)
    return any(TITLE.match(c) for c in firsts) and any(UNIT.match(c) for c in firsts)


def read_dots(src: SourceFile, number_style: str | None = None):
    """Read one DOTS sheet -> (canonical flows, LoadReport). number_style is ignored: the
    IMF writes English numbers (`1,114.99`)."""
    import pandas as pd

    from pa_trade import flows
    from pa_trade.readers.tables import Column, Row, without_repeats

    lines = src.lines
    delimiter = sniff_delimiter([line for line in lines[:40] if line.strip()])
    report = LoadReport(src.name, LAYOUT, encoding=src.encoding,
                        delimiter=delimiter_name(delimiter), number_style=numbers.ENGLISH)
    firsts = _first_cells(lines)
    title = next((i for i, c in enumerate(firsts) if TITLE.match(c)), None)
    unit = next((i for i, c in enumerate(firsts) if UNIT.match(c)), None)
    if title is None or unit is None:
        raise DataError(f"{src.name}: no IMF title (like 'Exports, FOB to Partner Countries') "
                        f"and unit line ('US Dollars, Millions') in the first lines")
    found = TITLE.match(firsts[title])
    flow = "export" if found.group(1).lower() == "exports" else "import"
    valuation = found.group(2).upper()
    multiplier = SCALES[(UNIT.match(firsts[unit]).group(1) or "").lower() or None]
    reporter = _reporter(src.name, firsts, title, unit)
    header = _header(src.name, lines, delimiter, max(title, unit) + 1)
    years = {p: int(c.strip()) for p, c in enumerate(fields(lines[header], delimiter))
             if _YEAR.match(c.strip())}
    width = max(years) + 1
    name_at = min(years) - 1  # the partner's name stands left of the first year
    if name_at < 0:
        raise DataError(f"{src.name}: line {header + 1}: the years start in the first column; "
                        f"no column is left for the partners' names")
    rows, flagged = [], {}
    for index in range(header + 1, len(lines)):
        cells = [c.strip() for c in fields(lines[index], delimiter)]
        if not any(cells):
            continue
        name, line = (cells[name_at] if name_at < len(cells) else ""), index + 1
        figures = [c for c in cells[name_at + 1:] if c]
        if name.lower() in HEADINGS and not figures:
            continue  # 'Memorandum Items': the block after it is aggregates
        report.rows_read += 1
        if not name or any(c for c in cells[width:]) or any(cells[:name_at]):
            report.add(line, "bad-field-count",
                       "no partner name" if not name else
                       f"{len(cells)} fields, header has {width}")
            continue
        partner = countries.imf_lookup(name)
        if partner is None:
            report.add(line, "unknown-country", repr(name))
            continue
        if partner == reporter:
            report.add(line, "reporter-is-partner", repr(name))
            continue
        values, bad = [], None
        for position, year in years.items():
            cell = cells[position] if position < len(cells) else ""
            if numbers.is_missing(cell):
                continue
            value, flag = _figure(cell)
            if value is None or not numbers.holds(value * multiplier):
                bad = f"{year} {cell!r}"
                break
            if flag:
                flagged[flag] = flagged.get(flag, 0) + 1
            values.append((Column(year, flow), value))
        if bad:
            report.add(line, "bad-number", bad)
            continue
        if not values:
            report.add(line, "no-figures", repr(name))
            continue
        rows.append(Row(line, name, partner, cells, values))
    rows = without_repeats(rows, report)
    for flag, count in sorted(flagged.items()):
        what = "an estimate" if flag.lower() == "e" else "a flag of the IMF's"
        report.notes.append(f"{count:,} figure{'s carry' if count != 1 else ' carries'} the "
                            f"IMF's flag {flag!r} ({what}); the value is used")
    source = f"IMF, Direction of Trade Statistics ({short_name(src.name)})"
    cent = Decimal("0.01")
    records = [
        {"reporter": reporter, "partner": row.partner, "year": column.year, "flow": flow,
         "value_usd": float((value * multiplier).quantize(cent)), "valuation": valuation,
         "source": source}
        for row in rows for column, value in row.values
    ]
    report.rows_used = len(rows)
    report.set_aside.sort(key=lambda r: r.line)
    report.unit = firsts[unit]
    return flows.aggregate(pd.DataFrame(records) if records else None), report


def _reporter(name: str, firsts: list[str], title: int, unit: int) -> str:
    """The reporting country, named on its own line between the title and the unit."""
    for index in range(title + 1, unit):
        if firsts[index]:
            code = countries.imf_lookup(firsts[index])
            if code is None or countries.kind(code) != "country":
                raise DataError(f"{name}: line {index + 1}: {firsts[index]!r} is no country "
                                f"pa-trade knows; cannot tell whose trade this is")
            return code
    raise DataError(f"{name}: no line names the reporting country between the title "
                    f"(line {title + 1}) and the unit (line {unit + 1})")


def _header(name: str, lines: list[str], delimiter: str, start: int) -> int:
    """The index of the line of years: every filled cell after the first is a year."""
    for index in range(start, min(len(lines), start + 20)):
        cells = [c.strip() for c in fields(lines[index], delimiter)]
        filled = [c for c in cells[1:] if c]
        if filled and all(_YEAR.match(c) for c in filled):
            return index
    raise DataError(f"{name}: no line of years (1960, 1961, ...) under the title")


def _figure(cell: str) -> tuple[Decimal | None, str]:
    """(value in the sheet's unit, the IMF's flag or '') of a cell: '1408.99374',
    '1,114.99', '1e-05', '12.34 e'."""
    flag = ""
    found = _FLAGGED.match(cell)
    if found and not _EXPONENT.match(cell):
        cell, flag = found.group(1).strip(), found.group(2)
    if _EXPONENT.match(cell):
        try:
            return Decimal(cell), flag
        except InvalidOperation:
            return None, flag
    return numbers.parse_decimal(cell, numbers.ENGLISH), flag


# -- SDMX-CSV: what the IMF's API (and data.imf.org's CSV download) gives --------------------

SDMX_LAYOUT = "imf-sdmx-csv"
SDMX_NEEDED = ("COUNTRY", "INDICATOR", "COUNTERPART_COUNTRY", "TIME_PERIOD", "OBS_VALUE")
# IMTS indicators -> (flow, valuation); the trade balance TBG_USD is derived, never a flow
INDICATORS = {"XG_FOB_USD": ("export", "FOB"), "MG_CIF_USD": ("import", "CIF"),
              "MG_FOB_USD": ("import", "FOB")}
DERIVED = {"TBG_USD": "the trade balance, which pa-trade computes itself"}
STATUS_WORDS = {"E": "estimated", "P": "provisional", "F": "forecast"}
_PERIOD = re.compile(r"^((?:19|20)\d{2})(?:-?([MQ])(\d{1,2}))?$")


def is_sdmx_csv(header: list[str]) -> bool:
    """An SDMX-CSV header of IMTS: its dimensions and OBS_VALUE, after DATAFLOW (SDMX-CSV
    1.0) or STRUCTURE, STRUCTURE_ID, ACTION (2.0)."""
    names = {c.strip().upper() for c in header}
    return set(SDMX_NEEDED) <= names and ("DATAFLOW" in names or "STRUCTURE_ID" in names)


def read_sdmx_csv(src: SourceFile, number_style: str | None = None, source: str | None = None):
    """Read an SDMX-CSV file of IMTS -> (canonical flows, LoadReport).

    Every observation row is a flow or set aside with its line: an indicator that is no
    flow of goods, an unknown reporter or partner code, a period that is not a year, month
    or quarter, a value that is not a number. Rows of the derived trade balance and rows
    that carry only attributes (no period, no value: SDMX's series attributes) are not
    observations of a flow; they are counted in a note. OBS_VALUE is US dollars (the IMF's
    API sends units; SCALE is how it displays them) and is held to the cent.
    """
    import csv
    import io

    report = LoadReport(src.name, SDMX_LAYOUT, encoding=src.encoding, delimiter="comma",
                        number_style="plain")
    reader = csv.reader(io.StringIO(src.text, newline=""))
    header = [c.strip().upper() for c in next(reader, [])]
    at = {name: header.index(name) for name in (*SDMX_NEEDED, "FREQUENCY", "STATUS",
                                                  "OBS_STATUS") if name in header}
    reading = _Observations(report, source or f"IMF, IMTS ({short_name(src.name)})")
    line = reader.line_num
    for cells in reader:
        first, line = line + 1, reader.line_num
        if not any(c.strip() for c in cells):
            continue
        cell = {name: (cells[i].strip() if i < len(cells) else "") for name, i in at.items()}
        wrong = f"{len(cells)} fields, header has {len(header)}" \
            if len(cells) != len(header) else ""
        reading.add(first, cell, wrong)
    return reading.finish()


def is_sdmx_ml(head: bytes) -> bool:
    """An SDMX-ML data message (2.1 or 3.0, structure-specific or generic)."""
    start = head[:4096].lstrip()
    return start.startswith(b"<") and b"sdmx.org/resources/sdmxml/schemas" in head[:4096] \
        and (b"StructureSpecificData" in head[:4096] or b"GenericData" in head[:4096])


def read_sdmx_ml(src: SourceFile, number_style: str | None = None):
    """Read an SDMX-ML structure-specific data message of IMTS (what the IMF's API answers
    with Accept: application/xml, SDMX 2.1 or 3.0) -> (canonical flows, LoadReport).

    Each `Obs` is an observation with its `Series`' attributes, numbered from 1 in the
    report ("observation 12"); a series without observations is said in a note. The generic
    form (GenericData) is refused in one line rather than half read.
    """
    import io
    from xml.etree import ElementTree

    report = LoadReport(src.name, "imf-sdmx-ml", encoding="UTF-8", number_style="plain")
    report.position = "observation"
    reading = _Observations(report, f"IMF, IMTS ({short_name(src.name)})")
    series: dict[str, str] = {}
    observed = empty_series = number = 0
    try:
        for event, element in ElementTree.iterparse(io.BytesIO(src.data),
                                                    events=("start", "end")):
            tag = element.tag.rsplit("}", 1)[-1]
            if tag == "GenericData" and event == "start":
                raise DataError(f"{src.name}: an SDMX-ML generic data message; pa-trade "
                                f"reads the structure-specific form and SDMX-CSV: ask the "
                                f"IMF's API for CSV (fetch imf does)")
            if tag == "Series":
                if event == "start":
                    series, observed = dict(element.attrib), 0
                else:
                    empty_series += observed == 0
                    element.clear()
            elif tag == "Obs" and event == "end":
                number += 1
                observed += 1
                cell = {k.upper(): (v or "").strip() for k, v in {**series,
                                                                  **element.attrib}.items()}
                reading.add(number, cell, "")
                element.clear()
    except ElementTree.ParseError as exc:
        raise DataError(f"{src.name}: not a whole SDMX-ML message ({exc}); nothing of it "
                        f"was read") from None
    if empty_series:
        report.notes.append(f"{empty_series:,} series without observations")
    return reading.finish()


class _Observations:
    """Observations of IMTS, from SDMX-CSV rows or SDMX-ML elements, into canonical flows."""

    def __init__(self, report: LoadReport, source: str) -> None:
        self.report, self.source = report, source
        self.records: list[dict] = []
        self.derived: dict[str, int] = {}
        self.attributes = 0
        self.statuses: dict[str, int] = {}
        self.gaps: list[str] = []  # observations without a value: periods a sum lacks

    def add(self, line: int, cell: dict[str, str], wrong_width: str) -> None:
        """One observation: a flow, or set aside with its place and reason."""
        report = self.report
        indicator = cell.get("INDICATOR", "").upper()
        period_text, value_text = cell.get("TIME_PERIOD", ""), cell.get("OBS_VALUE", "")
        if not period_text and not value_text:
            self.attributes += 1  # a series' attributes, no observation
            return
        if indicator in DERIVED:
            self.derived[indicator] = self.derived.get(indicator, 0) + 1
            return
        report.rows_read += 1
        if wrong_width:
            report.add(line, "bad-field-count", wrong_width)
            return
        if indicator not in INDICATORS:
            report.add(line, "bad-field", f"INDICATOR {cell.get('INDICATOR', '')!r} is no "
                                          f"flow of goods in US dollars")
            return
        reporter = countries.imf_to_code(cell.get("COUNTRY", ""))
        partner = countries.imf_to_code(cell.get("COUNTERPART_COUNTRY", ""))
        if reporter is None or countries.kind(reporter) != "country":
            report.add(line, "unknown-country", f"COUNTRY {cell.get('COUNTRY', '')!r}")
            return
        if partner is None:
            report.add(line, "unknown-country",
                       f"COUNTERPART_COUNTRY {cell.get('COUNTERPART_COUNTRY', '')!r}")
            return
        if partner == reporter:
            report.add(line, "reporter-is-partner", f"{cell['COUNTRY']} with itself")
            return
        period = _PERIOD.match(period_text)
        if period is None or (period.group(2) == "M" and not 1 <= int(period.group(3)) <= 12) \
                or (period.group(2) == "Q" and not 1 <= int(period.group(3)) <= 4):
            report.add(line, "bad-date", f"TIME_PERIOD {period_text!r}")
            return
        if numbers.is_missing(value_text) or value_text.upper() == "NAN":
            report.add(line, "missing-value", "OBS_VALUE")
            self.gaps.append(f"{reporter}-{partner} {INDICATORS[indicator][0]}s "
                             f"{period_text}")
            return
        try:
            value = Decimal(value_text)
        except InvalidOperation:
            value = None
        if value is None or not value.is_finite() or not numbers.holds(value):
            report.add(line, "bad-number", f"OBS_VALUE {value_text!r}")
            return
        status = (cell.get("STATUS") or cell.get("OBS_STATUS") or "").upper()
        if status:
            self.statuses[status] = self.statuses.get(status, 0) + 1
        flow, valuation = INDICATORS[indicator]
        year, kind, number = period.groups()
        self.records.append({
            "reporter": reporter, "partner": partner, "year": int(year),
            "month": int(number) if kind == "M" else None,
            "months": f"{3 * int(number) - 2}-{3 * int(number)}" if kind == "Q" else None,
            "flow": flow, "value_usd": float(value.quantize(Decimal("0.01"))),
            "valuation": valuation,
            "source": f"{self.source}, {STATUS_WORDS.get(status, 'status ' + status)}"
            if status else self.source})
        report.rows_used += 1

    def finish(self):
        import pandas as pd

        from pa_trade import flows

        report = self.report
        for indicator, count in self.derived.items():
            report.notes.append(f"{count:,} rows of {indicator}, {DERIVED[indicator]}, "
                                f"not read")
        if self.attributes:
            report.notes.append(f"{self.attributes:,} row{'s' if self.attributes != 1 else ''}"
                                f" with attributes only (no period, no value), not "
                                f"observations")
        if self.gaps:
            shown = ", ".join(self.gaps[:3]) + (f" and {len(self.gaps) - 3} more"
                                                if len(self.gaps) > 3 else "")
            report.notes.append(f"{len(self.gaps):,} observation"
                                f"{'s have' if len(self.gaps) != 1 else ' has'} no value "
                                f"({shown}): a sum over the year lacks those months, and is "
                                f"no whole year's figure")
        for status, count in sorted(self.statuses.items()):
            word = STATUS_WORDS.get(status, f"status {status!r}")
            report.notes.append(f"{count:,} figure{'s are' if count != 1 else ' is'} {word} "
                                f"by the IMF (STATUS {status}); the value is used")
        report.set_aside.sort(key=lambda r: r.line)
        frame = pd.DataFrame(self.records) if self.records else None
        return flows.aggregate(frame), report
