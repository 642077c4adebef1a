"""By-country tables saved as CSV: DANE's cuadros (formats.md §3) and Mexico's SE/SRE
balanza by country (§4), with years as columns under title, unit and footnote lines.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal
from typing import NamedTuple

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
    country: str  # the reporter's name, for messages


DANE = Publisher("dane-cuadro", "COL", "DANE", numbers.SPANISH, "CIF", "Colombia")
MEXICO = Publisher("mexico-se", "MEX", "Secretaría de Economía", numbers.ENGLISH, "FOB",
                   "Mexico")
PUBLISHERS = {DANE.layout: DANE, MEXICO.layout: MEXICO}


# who published a table: its offices first, then the country its title or notes name
OFFICES = {
    "dane-cuadro": r"\b(dane|dian)\b",
    "mexico-se": r"\b(secretaria de economia|sre|banxico|inegi|sat|snieg)\b|\bfuente\W+se\b",
}
COUNTRIES = {"dane-cuadro": r"\bcolombia\b", "mexico-se": r"\bmexico\b"}


@dataclass
class Said:
    """What a table says of itself: the lines above its header and those below its rows."""

    title: str
    notes: str


def _named(text: str, patterns: dict[str, str]) -> dict[str, int]:
    words = plain(text)
    return {layout: len(re.findall(pattern, words)) for layout, pattern in patterns.items()}


def publisher_of(said: Said, offices_only: bool = False) -> Publisher | None:
    """DANE or Mexico's SE, from what a table says of itself, strongest signal first: the
    office a 'Fuente:' line credits; the one office its title names, else its notes; then
    (unless `offices_only`) the country its title names more, else its notes. None when
    nothing decides (neither, or both alike)."""
    credited = _credited(said.title + "\n" + said.notes)
    if credited is not None:
        return credited
    for patterns in (OFFICES,) if offices_only else (OFFICES, COUNTRIES):
        for text in (said.title, said.notes):
            count = _named(text, patterns)
            dane, mexico = count["dane-cuadro"], count["mexico-se"]
            if patterns is OFFICES and dane and mexico:
                continue  # both offices in one place: a comparison, look further
            if dane != mexico:
                return DANE if dane > mexico else MEXICO
    return None


def _credited(text: str) -> Publisher | None:
    """The publisher a 'Fuente:' line credits first ('Fuente: DANE, con base en DIAN';
    'Fuente: SE.'), or None."""
    for match in re.finditer(r"\bfuentes?\W+([^\n.;]*)", plain(text)):
        credit = match.group(1)
        count = _named(credit, OFFICES)
        if re.match(r"se\b", credit):
            count["mexico-se"] += 1
        found = [layout for layout, n in count.items() if n]
        if len(found) == 1:
            return PUBLISHERS[found[0]]
    return None


def names_office(said: Said, publisher: Publisher) -> bool:
    """True when the title or notes name one of `publisher`'s offices."""
    return any(_named(text, OFFICES)[publisher.layout] for text in (said.title, said.notes))


def title_and_notes(src: SourceFile) -> Said:
    """The lines above a table's header and below its rows: what says whose table it is.

    The rows are left out: a partner named in a row ('México' in a DANE table) says nothing
    of who published it. Empty when no header with years is found.
    """
    delimiter, year_row, flow_row = _find_header(src)
    if year_row is None:
        return Said("", "")
    lines = src.lines
    header_end = max(year_row, flow_row if flow_row is not None else year_row)
    _, notes_start = _body(lines, delimiter, header_end)
    top = min(year_row, flow_row if flow_row is not None else year_row)
    return Said("\n".join(lines[:top]), "\n".join(lines[notes_start:]))


def unattributed(name: str, said: Said) -> str:
    """The one-line error for a table whose title and notes do not say whose it is."""
    counts = [_named(text, patterns) for patterns in (OFFICES, COUNTRIES)
              for text in (said.title, said.notes)]
    named = any(sum(count.values()) for count in counts)
    why = ("its title and notes name Colombia/DANE and Mexico/SE alike" if named
           else "its title and notes do not say whose")
    return (f"{name}: a table by country, but {why} (DANE or Mexico's SE); "
            f"use --layout dane-cuadro or --layout mexico-se")


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


def _body(lines: list[str], delimiter: str, header_end: int):
    """(rows, notes start): the table's rows after the header as (line number, stripped
    cells), up to the first footnote; and the index of the line where the notes start."""
    body: list[tuple[int, list[str]]] = []
    for index in range(header_end + 1, len(lines)):
        cells = [c.strip() for c in fields(lines[index], delimiter)]
        if not any(cells):
            continue
        if FOOTNOTE.match(cells[0]) or (len(cells) == 1 and body):
            return body, index
        body.append((index + 1, cells))
    return body, len(lines)


class _Row(NamedTuple):
    """A table row that passed the checks of its own cells."""

    line: int
    name: str
    partner: str
    cells: list[str]
    values: list[tuple[int, str, Decimal]]  # (year, flow, value in the table's unit)


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
    """Read a DANE cuadro or a Mexico SE table -> (canonical flows, LoadReport).

    Raises DataError when the title and notes say the table is the other office's, or when
    every row names the reporter itself: `layout` (forced) does not fit.
    """
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
    body, notes_start = _body(lines, delimiter, header_end)
    publisher = PUBLISHERS[layout]
    # a forced layout gives way only to an office the table names (a country may be a partner)
    stated = publisher_of(Said(preamble, "\n".join(lines[notes_start:])), offices_only=True)
    if stated is not None and stated is not publisher:
        raise DataError(
            f"{src.name}: the layout {layout} does not fit: the title and notes say this is "
            f"{stated.name}'s table ({stated.country}'s trade); use --layout {stated.layout}"
        )

    columns, balance_columns = _columns(src, lines, delimiter, year_row, flow_row, preamble,
                                        everything, report)

    scale = scale_of(preamble)
    if scale is None:
        raise DataError(
            f"{src.name}: no unit line (like 'Millones de dólares FOB') before the table; "
            f"cannot tell the scale of the figures"
        )
    multiplier, unit_words = scale
    stated_valuation = valuation_of(preamble)

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
        "import": stated_valuation or publisher.import_valuation,
    }
    if stated_valuation is None and any(f == "import" for _, f in columns.values()):
        report.notes.append(
            f"the unit line does not state the valuation; imports read as "
            f"{publisher.import_valuation} ({publisher.name}'s by-country tables)"
        )
    elif stated_valuation == "CIF" and any(f == "export" for _, f in columns.values()):
        report.notes.append("the unit line says CIF; exports are FOB by definition and kept so")

    rows = _checked_rows(body, columns, style, publisher, report)
    itself = [r for r in report.set_aside if r.reason == "reporter-is-partner"]
    if itself and not rows:
        other = DANE if publisher is MEXICO else MEXICO
        raise DataError(
            f"{src.name}: the layout {layout} does not fit: every row names "
            f"{publisher.country}, the reporter of {publisher.name}'s tables, as partner "
            f"(line {itself[0].line}); is it {other.name}'s table (--layout {other.layout})?"
        )
    if itself and stated is None:
        # the title does not confirm the layout: the reporter among the partners hints why
        report.notes.append(
            f"the table lists {publisher.country} among the partners, yet {layout} reads "
            f"it as {publisher.country}'s trade; if the table is not {publisher.name}'s, "
            f"choose the right --layout"
        )
    rows = _without_repeats(rows, report)

    source = f"{publisher.name} ({short_name(src.name)})"
    records = []
    saldo_mismatches: list[str] = []
    for row in rows:
        mismatch = _saldo_mismatch(row.cells, row.values, balance_columns, style)
        if mismatch:
            saldo_mismatches.append(f"line {row.line} ({row.name} {mismatch})")
        for year, flow, value in row.values:
            records.append(
                {
                    "reporter": publisher.reporter,
                    "partner": row.partner,
                    "year": year,
                    "flow": flow,
                    "value_usd": float(value * Decimal(multiplier)),
                    "valuation": valuations[flow],
                    "source": source,
                }
            )
    report.rows_used = len(rows)
    report.set_aside.sort(key=lambda r: r.line)
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


def _columns(src, lines, delimiter, year_row, flow_row, preamble, everything, report):
    """({position: (year, flow)}, {position: year} of the table's own Saldo columns).

    Raises DataError when no column holds a year, when the flow cannot be told, or when two
    columns hold the same year (and flow): adding them up would count a year twice.
    """
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
                _add_column(src.name, columns, position, (current_year, cell_flow),
                            year_row)
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
                _add_column(src.name, columns, position, (year_of(cell), flow), year_row)
            elif cell.strip():
                report.notes.append(f"column {cell.strip()!r} ignored (not a year)")
    if not columns:
        raise DataError(f"{src.name}: line {year_row + 1}: no year columns found")
    return columns, balance_columns


def _add_column(name: str, columns: dict, position: int, key: tuple[int, str],
                year_row: int) -> None:
    """Record that column `position` holds (year, flow); DataError when another already does."""
    earlier = next((p for p, k in columns.items() if k == key), None)
    if earlier is not None:
        year, flow = key
        raise DataError(
            f"{name}: line {year_row + 1}: the year {year} heads two {flow} columns "
            f"(columns {earlier + 1} and {position + 1}); keep one of them, or the year "
            f"would be counted twice"
        )
    columns[position] = key


def _checked_rows(body, columns, style, publisher, report) -> list[_Row]:
    """The rows whose name and figures can be read; the others set aside in `report`.

    Reasons, the first that applies: unknown-country, bad-number, no-figures,
    reporter-is-partner (the publisher's own country: no bilateral flow).
    """
    rows = []
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
        if partner == publisher.reporter:
            report.add(line, "reporter-is-partner",
                       f"{name} in {publisher.name}'s table of {publisher.country}'s trade")
            continue
        rows.append(_Row(line, name, partner, cells, row_values))
    return rows


def _without_repeats(rows: list[_Row], report: LoadReport) -> list[_Row]:
    """The rows less those naming a partner an earlier row names: a repeat with the same
    figures is set aside as duplicate-row, rows that differ all as conflicting-row.

    Groups are left alone: a table by region may list 'Otros' under every region, and
    adding those up is what the table means.
    """
    by_partner: dict[str, list[_Row]] = {}
    for row in rows:
        by_partner.setdefault(row.partner, []).append(row)
    dropped: set[int] = set()
    for partner, same in by_partner.items():
        if len(same) < 2 or countries.kind(partner) == "group":
            continue
        first = same[0]
        if all(sorted(r.values) == sorted(first.values) for r in same[1:]):
            for row in same[1:]:
                report.add(row.line, "duplicate-row",
                           f"{row.name}: same figures as line {first.line}")
                dropped.add(row.line)
        else:
            shown = ", ".join(str(r.line) for r in same)
            for row in same:
                report.add(row.line, "conflicting-row",
                           f"{row.name}: lines {shown} give different figures")
                dropped.add(row.line)
    return [row for row in rows if row.line not in dropped]


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
