"""By-country tables saved as CSV: DANE's cuadros (formats.md §3) and Mexico's SE/SRE
balanza by country (§4), with years as columns under title, unit and footnote lines.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal

from pa_trade import countries, numbers
from pa_trade.errors import DataError
from pa_trade.readers.common import choose_style, fields, short_name
from pa_trade.readers.report import LoadReport
from pa_trade.textio import SourceFile, delimiter_name, sniff_delimiter

YEAR_CELL = re.compile(r"^((?:19|20)\d{2})\s*(?:\(?\s*(?:p|pr|e|r|\*+)\s*\)?\.?|/p|p/)?$", re.I)
FOOTNOTE = re.compile(
    r"^(fuente|fuentes|nota|notas|source|sources|note|notes|elaborad|actualizad|cifras|"
    r"p\s*[:/]|p\)|\(p\)|\*|\d+/|\(\d+\)|n\.d\.\s*:|-\s*:|\.\.\s*:)",
    re.I,
)
NAME_MARK = re.compile(r"(\s*(\(\d+\)|\d+/|\*+|\(p\)))+$")


def plain(text: str) -> str:
    """Lower case without accents, for matching words in titles and unit lines."""
    text = unicodedata.normalize("NFKD", text)
    return "".join(c for c in text if not unicodedata.combining(c)).lower()


@dataclass
class Publisher:
    """What a layout knows of its publisher."""

    layout: str
    reporter: str
    name: str
    number_convention: str
    import_valuation: str


DANE = Publisher("dane-cuadro", "COL", "DANE", numbers.SPANISH, "CIF")
MEXICO = Publisher("mexico-se", "MEX", "Secretaría de Economía", numbers.ENGLISH, "FOB")


def publisher_of(text: str) -> Publisher | None:
    """Guess DANE or Mexico's SE from a table's title and footnotes."""
    words = plain(text)
    dane = len(re.findall(r"\b(dane|dian|colombia)\b", words))
    mexico = len(re.findall(
        r"\b(mexico|secretaria de economia|sre|banxico|inegi|sat|snieg)\b", words
    ))
    if dane > mexico:
        return DANE
    if mexico > dane:
        return MEXICO
    return None


def _exactly_one(text: str, first: tuple[str, str], second: tuple[str, str]) -> str | None:
    """The label of the one (pattern, label) the text matches; None for both or neither."""
    words = plain(text)
    found = [label for pattern, label in (first, second) if re.search(pattern, words)]
    return found[0] if len(found) == 1 else None


def flow_of(text: str) -> str | None:
    """'export' or 'import' when a title names exactly one of them."""
    return _exactly_one(text, (r"\bexporta|\bexports?\b|\bventas\b", "export"),
                        (r"\bimporta|\bimports?\b|\bcompras\b", "import"))


def scale_of(text: str) -> tuple[int, str] | None:
    """(multiplier, unit words) from a unit line such as 'Millones de dólares FOB'."""
    words = plain(text)
    found = re.search(
        r"\b(miles de millones|millones|miles|thousands|millions|billions)?\s*(de\s+)?"
        r"(dolares|dolar|usd|us\$|us dollars|dollars)\b",
        words,
    )
    if not found:
        return None
    unit = found.group(1) or ""
    multiplier = {
        "miles de millones": 1_000_000_000, "billions": 1_000_000_000,
        "millones": 1_000_000, "millions": 1_000_000,
        "miles": 1_000, "thousands": 1_000, "": 1,
    }[unit]
    return multiplier, found.group(0).strip()


def valuation_of(text: str) -> str | None:
    """'FOB' or 'CIF' when a unit line names exactly one of them."""
    return _exactly_one(text, (r"\bfob\b", "FOB"), (r"\bcif\b", "CIF"))


def year_of(cell: str) -> int | None:
    match = YEAR_CELL.match(cell.strip())
    return int(match.group(1)) if match else None


def is_mexico_balanza(src: SourceFile) -> bool:
    """True when the lines hold the two-row header of the SE balanza by country."""
    return _find_header(src)[2] is not None


def _find_header(src: SourceFile):
    """(delimiter, year row index, flow row index or None) of the table header."""
    lines = src.head_lines[:60]
    delimiter = sniff_delimiter([line for line in lines if line.strip()])
    for index, line in enumerate(lines):
        cells = fields(line, delimiter)
        if sum(1 for c in cells[1:] if year_of(c)) >= 1 and not year_of(cells[0]):
            nxt = fields(lines[index + 1], delimiter) if index + 1 < len(lines) else []
            if sum(1 for c in nxt[1:] if flow_of(c)) >= 2:
                return delimiter, index, index + 1
            prev = fields(lines[index - 1], delimiter) if index > 0 else []
            if sum(1 for c in prev[1:] if flow_of(c)) >= 2:
                return delimiter, index, index - 1
            return delimiter, index, None
    return delimiter, None, None


def read_table(src: SourceFile, layout: str, number_style: str | None = None):
    """Read a DANE cuadro or a Mexico SE table -> (canonical flows, LoadReport)."""
    import pandas as pd

    from pa_trade import flows

    delimiter, year_row, flow_row = _find_header(src)
    lines = src.lines
    report = LoadReport(src.name, layout, encoding=src.encoding,
                        delimiter=delimiter_name(delimiter))
    if year_row is None:
        raise DataError(
            f"{src.name}: no header row with years (like 'País;2021;2022p') found; "
            f"expected a {layout} table"
        )
    header_end = max(year_row, flow_row if flow_row is not None else year_row)
    preamble = "\n".join(lines[: min(year_row, flow_row if flow_row is not None else year_row)])
    everything = "\n".join(lines)
    publisher = DANE if layout == "dane-cuadro" else MEXICO

    # which column holds which (year, flow)
    years = fields(lines[year_row], delimiter)
    columns: dict[int, tuple[int, str]] = {}
    balance_columns: dict[int, int] = {}  # the table's own Saldo, checked, never used
    if flow_row is not None:
        flow_cells = fields(lines[flow_row], delimiter)
        current_year = None
        for position in range(1, max(len(years), len(flow_cells))):
            cell_year = year_of(years[position]) if position < len(years) else None
            current_year = cell_year or current_year
            cell_flow = flow_of(flow_cells[position]) if position < len(flow_cells) else None
            if current_year and cell_flow and _is_flow_column(flow_cells[position]):
                columns[position] = (current_year, cell_flow)
            elif current_year and position < len(flow_cells) and re.search(
                r"\bsaldo\b|\bbalanza\b", plain(flow_cells[position])
            ):
                balance_columns[position] = current_year
    else:
        flow = flow_of(preamble) or flow_of(everything.split("\n", 1)[0])
        if flow is None:
            raise DataError(
                f"{src.name}: cannot tell exports from imports: the title should name "
                f"'Exportaciones' or 'Importaciones'"
            )
        for position, cell in enumerate(years[1:], start=1):
            if year_of(cell):
                columns[position] = (year_of(cell), flow)
            elif cell.strip():
                report.notes.append(f"column {cell.strip()!r} ignored (not a year)")
    if not columns:
        raise DataError(f"{src.name}: line {year_row + 1}: no year columns found")

    scale = scale_of(preamble)
    if scale is None:
        raise DataError(
            f"{src.name}: no unit line (like 'Millones de dólares FOB') before the table; "
            f"cannot tell the scale of the figures"
        )
    multiplier, unit_words = scale
    stated = valuation_of(preamble)

    # table rows: until the first footnote after the header
    body: list[tuple[int, list[str]]] = []
    for index in range(header_end + 1, len(lines)):
        cells = [c.strip() for c in fields(lines[index], delimiter)]
        if not any(cells):
            continue
        if FOOTNOTE.match(cells[0]) or (len(cells) == 1 and body):
            break
        body.append((index + 1, cells))
    if not body:
        raise DataError(f"{src.name}: the table has a header but no rows")

    style = choose_style(
        report,
        ((line, cells[p]) for line, cells in body for p in columns if p < len(cells)),
        number_style,
        publisher.number_convention,
        publisher.name,
    )
    valuations = {
        "export": "FOB",
        "import": stated or publisher.import_valuation,
    }
    if stated is None and any(f == "import" for _, f in columns.values()):
        report.notes.append(
            f"the unit line does not state the valuation; imports read as "
            f"{publisher.import_valuation} ({publisher.name}'s by-country tables)"
        )
    elif stated == "CIF" and any(f == "export" for _, f in columns.values()):
        report.notes.append("the unit line says CIF; exports are FOB by definition and kept so")

    source = f"{publisher.name} ({short_name(src.name)})"
    records = []
    saldo_mismatches: list[str] = []
    for line, cells in body:
        report.rows_read += 1
        name = NAME_MARK.sub("", cells[0]).strip()
        partner = countries.lookup(name) if name else None
        if partner is None:
            try:
                countries.resolve(name)
            except Exception as exc:  # the message carries the close matches
                detail = str(exc)
            else:
                detail = repr(name)
            report.add(line, "unknown-country", detail)
            continue
        row_values, bad = [], None
        for position, (year, flow) in columns.items():
            cell = cells[position] if position < len(cells) else ""
            if numbers.is_missing(cell):
                continue
            value = numbers.parse_decimal(cell, style)
            if value is None:
                bad = cell
                break
            row_values.append((year, flow, value))
        if bad is not None:
            report.add(line, "bad-number", f"{bad!r} in {name}")
            continue
        if not row_values:
            report.add(line, "no-figures", name)
            continue
        report.rows_used += 1
        mismatch = _saldo_mismatch(cells, row_values, balance_columns, style)
        if mismatch:
            saldo_mismatches.append(f"line {line} ({name} {mismatch})")
        for year, flow, value in row_values:
            records.append(
                {
                    "reporter": publisher.reporter,
                    "partner": partner,
                    "year": year,
                    "flow": flow,
                    "value_usd": float(value * Decimal(multiplier)),
                    "valuation": valuations[flow],
                    "source": source,
                }
            )
    report.unit = unit_words
    if saldo_mismatches:
        shown = "; ".join(saldo_mismatches[:3])
        more = f" and {len(saldo_mismatches) - 3} more" if len(saldo_mismatches) > 3 else ""
        report.notes.append(
            f"the table's Saldo differs from exportaciones - importaciones on "
            f"{len(saldo_mismatches)} row(s): {shown}{more}; pa-trade computes the balance itself"
        )
    frame = pd.DataFrame(records) if records else None
    return flows.aggregate(frame), report


def _saldo_mismatch(cells, row_values, balance_columns, style) -> str:
    """'2022: Saldo 5 vs 3' when the published balance disagrees with X - M beyond rounding."""
    by_year: dict[int, dict[str, Decimal]] = {}
    for year, flow, value in row_values:
        by_year.setdefault(year, {})[flow] = value
    for position, year in balance_columns.items():
        cell = cells[position] if position < len(cells) else ""
        sides = by_year.get(year, {})
        saldo = None if numbers.is_missing(cell) else numbers.parse_decimal(cell, style)
        if saldo is None or len(sides) != 2:
            continue
        computed = sides["export"] - sides["import"]
        # one unit in the last shown decimal of each of the three figures
        places = max(-saldo.as_tuple().exponent, 0)
        if abs(saldo - computed) > Decimal(3) / (10**places):
            return f"{year}: Saldo {cell} vs {computed}"
    return ""


def _is_flow_column(cell: str) -> bool:
    """Exports/imports columns, not 'Comercio total' or 'Saldo' or shares."""
    words = plain(cell)
    return not re.search(r"total|saldo|balanza|particip|var|%|comercio", words)
