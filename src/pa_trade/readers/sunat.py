"""SUNAT's (Peru) cuadros by country (`sunat-cuadro`): the Nota Tributaria workbooks
`cdro_G6.xlsx` (definitive exports by country of destination) and `cdro_F8.xlsx` (imports
by country of origin, laid out alike), one sheet per year:

    Cuadro G 6                                         <- SUNAT's number of the cuadro
    RÉGIMEN ADUANERO DE EXPORTACIÓN DEFINITIVA: RANKING DE PRINCIPALES PAÍSES DE DESTINO, 2023
    (Miles de US$ FOB)                                 <- the unit line
    País de destino | Enero ... Diciembre | Total      <- months as columns (Setiembre or
                                                          Septiembre; a year in progress
                                                          stops at its last month)
    Total general | figures                            <- the total row: the world (WLD)
    1 | CHINA | figures                                <- rank, partner (SUNAT's spelling)
    Nota: ... Fuente: ... SUNAT                        <- whose table it is

Each sheet becomes a text input (readers.workbook); a CSV saved from it reads the same way.
Every month column gives monthly figures; the Total column is checked against them, never
added. The scale: the unit line says thousands, but in SUNAT's workbook the cells store
dollars, which the number format `#,##0.0,` shows divided by 1,000. The workbook reader
reads that format (`format_note`) and says it on a line after the rows; the stored values
are then read as dollars when the sheet's own total row is the sum of its rows. A copy
saved as displayed (a CSV of the thousands) has no such line and is read with its unit
line, x 1,000. Partners resolve through SUNAT's own forms (data/sunat_names.csv), then every
name pa-trade knows; a name that does not resolve is set aside with its sheet and row.
"""

from __future__ import annotations

import re
from decimal import Decimal

from pa_trade import numbers
from pa_trade.errors import DataError
from pa_trade.readers.common import fields, short_name
from pa_trade.readers.report import LoadReport
from pa_trade.reference import countries
from pa_trade.textio import SourceFile, delimiter_name, sniff_delimiter

LAYOUT = "sunat-cuadro"
REPORTER = "PER"
_CUADRO = re.compile(r"^cuadro\s+([a-z])\s*-?\s*(\d+)$")
_HEADER = re.compile(r"^pais(?:es)? de (destino|origen)$")
_HEADER_FLOWS = {"destino": "export", "origen": "import"}
_SUNAT = re.compile(r"\bsunat\b|\bsuperintendencia nacional de aduanas\b")
_YEAR = re.compile(r"(?<!\d)((?:19|20)\d{2})(?!\d)")
_HEAD = 20  # the title block and the header stand in the first lines
# what the workbook reader writes after a sheet's rows: how its figure cells are displayed
FORMAT_NOTE = ("[pa-trade] the figures are the cells' stored values; their number format "
               "{format!r} shows them divided by {divisor:,}")
_FORMAT_NOTE = re.compile(r"^\[pa-trade\] the figures are the cells' stored values; their "
                          r"number format (.+) shows them divided by ([\d,]+)$")
# more than any country trades in a year: figures scaled to this are 1,000 times too large
_IMPLAUSIBLE_USD = Decimal(10) ** 13
_CENT = Decimal("0.01")


def _plain(text: str) -> str:
    from pa_trade.readers.tables import plain

    return " ".join(plain(text).split())


def _cells(line: str, delimiter: str) -> list[str]:
    return [c.strip() for c in fields(line, delimiter)]


def is_header(cells: list[str]) -> bool:
    """Whether a line's cells are a cuadro's header: 'País de destino' (or 'de origen'),
    then months ('Enero', ...)."""
    filled = [c.strip() for c in cells if c.strip()]
    return bool(filled) and bool(_HEADER.match(_plain(filled[0]))) and any(
        _month(c) for c in filled[1:])


def _header_at(lines: list[str], delimiter: str) -> int | None:
    """The index of the header line ('País de destino | Enero ... | Total'), or None."""
    for index, line in enumerate(lines[:_HEAD]):
        if is_header(_cells(line, delimiter)):
            return index
    return None


def _month(cell: str) -> int | None:
    """1-12 for a month's full name ('Enero', 'Setiembre', 'Septiembre'), else None."""
    from pa_trade import periods

    word = _plain(cell)
    return periods.month_number(word) if len(word) > 3 else None


def is_cuadro(lines: list[str]) -> bool:
    """Whether the first lines are a SUNAT cuadro's: 'Cuadro G 6' (a letter and a number)
    on a line of its own, and a header of partners over months ('País de destino',
    'Enero', ...)."""
    head = lines[:_HEAD]
    delimiter = sniff_delimiter([line for line in head if line.strip()])
    numbered = any(len(filled) == 1 and _CUADRO.match(_plain(filled[0]))
                   for filled in ([c for c in _cells(line, delimiter) if c] for line in head))
    return numbered and _header_at(head, delimiter) is not None


# -- the workbook's number formats (read from the .xlsx itself: calamine gives values only) --

def format_note(source: SourceFile, sheet: str, columns: set[int], first_row: int) -> str:
    """FORMAT_NOTE for the numeric cells of `sheet` in `columns` (from 0) below row
    `first_row` (from 1), when they all share a number format that divides what it shows
    (`#,##0.0,`: by 1,000); '' when they do not, or when the workbook is no .xlsx whose
    styles can be read (an .xls: then the unit line alone decides)."""
    import io
    import zipfile

    try:
        handle = source.path if source.path is not None else io.BytesIO(source.data)
        with zipfile.ZipFile(handle) as book:
            formats = _cell_formats(book, sheet, columns, first_row)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, SyntaxError, StopIteration):
        return ""  # no .xlsx, or parts missing or damaged: nothing said of the display
    divisors = {_divisor(code) for code in formats}
    if len(divisors) != 1 or divisors == {1}:
        return ""
    shown = max(formats, key=formats.get)
    return FORMAT_NOTE.format(format=shown, divisor=divisors.pop())


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _cell_formats(book, sheet: str, columns: set[int], first_row: int) -> dict[str, int]:
    """{format code: how many numeric cells} of a sheet's cells in `columns` below
    `first_row`. Raises KeyError for a sheet or part the workbook does not have."""
    from xml.etree import ElementTree

    def parse(name: str):
        return ElementTree.fromstring(book.read(name))

    target = None
    for element in parse("xl/workbook.xml").iter():
        if _local(element.tag) == "sheet" and element.get("name") == sheet:
            target = next(v for k, v in element.attrib.items() if _local(k) == "id")
    if target is None:
        raise KeyError(sheet)
    part = next(e.get("Target") for e in parse("xl/_rels/workbook.xml.rels").iter()
                if _local(e.tag) == "Relationship" and e.get("Id") == target)
    part = part.lstrip("/") if part.startswith("/") else "xl/" + part
    codes: dict[int, str] = {}
    styles: list[str] = []
    stylesheet = parse("xl/styles.xml")
    for element in stylesheet.iter():
        if _local(element.tag) == "numFmt":
            codes[int(element.get("numFmtId"))] = element.get("formatCode", "")
    for element in stylesheet.iter():
        if _local(element.tag) == "cellXfs":
            styles = [codes.get(int(xf.get("numFmtId", "0")), "General") for xf in element
                      if _local(xf.tag) == "xf"]
    found: dict[str, int] = {}
    for element in parse(part).iter():
        if _local(element.tag) != "c" or element.get("t", "n") != "n":
            continue
        where = re.match(r"^([A-Z]+)(\d+)$", element.get("r", ""))
        if where is None or int(where.group(2)) <= first_row:
            continue
        column = 0
        for letter in where.group(1):
            column = column * 26 + ord(letter) - 64
        if column - 1 not in columns or not any(_local(e.tag) == "v" for e in element):
            continue
        style = int(element.get("s", "0"))
        code = styles[style] if style < len(styles) else "General"
        found[code] = found.get(code, 0) + 1
    return found


def _divisor(code: str) -> int:
    """What a number format divides a value by on display: each comma after the last digit
    placeholder of its first section divides by 1,000 ('#,##0.0,' -> 1,000)."""
    first = re.sub(r'"[^"]*"|\\.|\[[^\]]*\]', "", code.split(";")[0])
    found = re.search(r"[0#?](,+)[^0#?]*$", first)
    return 1000 ** len(found.group(1)) if found else 1


# -- the reader ------------------------------------------------------------------------------

def read_cuadro(src: SourceFile, number_style: str | None = None,
                reporter: str | None = None):
    """Read one SUNAT cuadro (a sheet of the workbook, or a CSV saved from it) ->
    (canonical flows, LoadReport): each partner's monthly figures, the total row as WLD.

    Whose trade it is comes from what the sheet says: SUNAT named in its title or notes
    (the 'Fuente:' line), or SUNAT's cuadro number over a 'Régimen aduanero' title; else
    `reporter` (--file-reporter), else DataError. Raises DataError for a sheet without its
    title, year, unit line or months, and for figures whose scale cannot be told.
    """
    import pandas as pd

    from pa_trade import flows, periods
    from pa_trade.readers import tables

    lines = src.lines
    delimiter = sniff_delimiter([line for line in lines[:40] if line.strip()])
    report = LoadReport(src.name, LAYOUT, encoding=src.encoding,
                        delimiter=delimiter_name(delimiter))
    header = _header_at(lines, delimiter)
    if header is None:
        raise DataError(f"{src.name}: no header of partners over months ('País de destino', "
                        f"'Enero', ...) in the first lines; expected a SUNAT cuadro")
    above = [" ".join(c for c in _cells(line, delimiter) if c) for line in lines[:header]]
    above = [line for line in above if line]
    cuadro = next((line for line in above if _CUADRO.match(_plain(line))), "")
    title = next((line for line in above if tables.flow_of(line)), "")
    if not title:
        raise DataError(f"{src.name}: no title naming exports or imports ('Régimen aduanero "
                        f"de exportación definitiva ...') above the header")
    flow = tables.flow_of(title)
    label = _HEADER.match(_plain(next(c for c in _cells(lines[header], delimiter) if c)))
    label = label.group(1)
    if _HEADER_FLOWS[label] != flow:
        raise DataError(f"{src.name}: line {header + 1}: the title says {flow}s but the "
                        f"header lists countries of {label}; cannot tell the flow")
    year = _year(src.name, title)
    preamble = "\n".join(above)
    try:
        scale = tables.scale_of(preamble)
    except ValueError as exc:
        raise DataError(f"{src.name}: {exc}; cannot tell the scale of the figures") from None
    if scale is None:
        raise DataError(f"{src.name}: no unit line (like '(Miles de US$ FOB)') above the "
                        f"header; cannot tell the scale of the figures")
    multiplier, unit_line = scale
    stated = tables.valuation_of(preamble)
    valuation = "FOB" if flow == "export" else (stated or "CIF")
    if flow == "import" and stated is None:
        report.notes.append("the unit line does not state the valuation; imports read as CIF "
                            "(SUNAT's imports by country)")
    elif flow == "export" and stated == "CIF":
        report.notes.append("the unit line says CIF; exports are FOB by definition and kept so")

    columns = _columns(src.name, _cells(lines[header], delimiter), header + 1)
    first = min(columns)
    months = {p: m for p, m in columns.items() if m}
    total_at = next((p for p, m in columns.items() if not m), None)
    body, notes, shown = _body(lines, delimiter, header, first)
    said = _plain(preamble + "\n" + "\n".join(notes))
    reporter_code = _reporter(src.name, said, cuadro, title, reporter)
    style = number_style or numbers.detect_style(
        ((line, cells[p]) for line, cells, _ in body for p in columns if p < len(cells)),
        src.name) or numbers.ENGLISH
    report.number_style = f"{style} (forced)" if number_style else style
    format_divisor = next((int(m.group(2).replace(",", "")) for m in map(
        _FORMAT_NOTE.match, shown) if m), 1)

    rows, parsed = [], []  # rows used; every row with figures read, for the totals' check
    decimals = 0
    for line, cells, name in body:
        report.rows_read += 1
        if not name:
            report.add(line, "bad-field", "no partner name")
            continue
        values, total, bad = [], None, None
        for position in sorted(columns):
            cell = cells[position] if position < len(cells) else ""
            if numbers.is_missing(cell):
                continue
            value = numbers.parse_decimal(cell, style)
            if value is None or not numbers.holds(value * multiplier):
                bad = f"{_label(columns[position])} {cell!r}"
                break
            decimals = max(decimals, -value.as_tuple().exponent)
            if position == total_at:
                total = value
            else:
                values.append((tables.Column(year, flow, months[position]), value))
        if bad:
            report.add(line, "bad-number", bad)
            continue
        if not values:
            report.add(line, "no-figures", repr(name))
            continue
        partner = countries.sunat_lookup(name)
        parsed.append((line, name, partner, values, total))
        if partner is None:
            report.add(line, "unknown-country", repr(name))
            continue
        if partner == reporter_code:
            report.add(line, "reporter-is-partner", repr(name))
            continue
        rows.append(tables.Row(line, name, partner, cells, values))
    rows = tables.without_repeats(rows, report)

    tolerance = _tolerance(decimals, len(parsed))
    _check_row_totals(parsed, tolerance, report)
    whole = _check_total_row(parsed, tolerance, report)
    effective = Decimal(multiplier) / format_divisor
    if format_divisor > 1:
        if whole is not True:
            raise DataError(
                f"{src.name}: the cells' number format shows them divided by "
                f"{format_divisor:,}, but the sheet's total row is not the sum of its rows; "
                f"cannot tell whether the stored values are dollars or {unit_line!r}")
        report.notes.append(
            f"the unit line says {unit_line!r}, but the cells store dollars: their number "
            f"format shows them divided by {format_divisor:,} (the total row is the sum of "
            f"the rows); the stored values are read, in US dollars")
    elif effective > 1 and _world_total(parsed) * effective >= _IMPLAUSIBLE_USD:
        # a copy of the stored values saved under the unit line: x 1,000 would be absurd
        report.notes.append(
            f"the unit line says {unit_line!r}, but read so the year's total would be US$ "
            f"{_world_total(parsed) * effective / 10 ** 12:,.1f} trillion, more than any "
            f"country trades: the figures are dollars (the workbook's stored values), read "
            f"as dollars")
        effective = Decimal(1)

    read_months = sorted(set(months.values()))
    if read_months != list(range(1, 13)):
        report.notes.append(f"the sheet gives {periods.months_text(read_months)} {year} only: "
                            f"those months are read, not a whole year")
    source = f"SUNAT, {cuadro or 'cuadro'} ({short_name(src.name)})"
    records = [
        {"reporter": reporter_code, "partner": row.partner, "year": column.year,
         "month": column.month, "flow": flow,
         "value_usd": float((value * effective).quantize(_CENT)), "valuation": valuation,
         "source": source}
        for row in rows for column, value in row.values
    ]
    report.rows_used = len(rows)
    report.set_aside.sort(key=lambda r: r.line)
    report.unit = unit_line
    frame = pd.DataFrame(records) if records else None
    return flows.aggregate(frame), report


def _year(name: str, title: str) -> int:
    """The year of the cuadro, from its title (', 2023'); a sheet named by a year must agree."""
    found = _YEAR.findall(title)
    if not found:
        raise DataError(f"{name}: the title does not name the year ({title[:80]!r})")
    year = int(found[-1])
    from pa_trade.textio import SEPARATOR

    sheet = name.rsplit(SEPARATOR, 1)[-1].strip() if SEPARATOR in name else ""
    if re.fullmatch(r"(19|20)\d{2}", sheet) and int(sheet) != year:
        raise DataError(f"{name}: the sheet is named {sheet} but its title says {year}; "
                        f"cannot tell the year")
    return year


def _columns(name: str, cells: list[str], line: int) -> dict[int, int]:
    """{position: month 1-12, or 0 for the Total column} of the header's cells right of
    its label. DataError for a month twice or a label that is neither."""
    out: dict[int, int] = {}
    label = next(i for i, c in enumerate(cells) if c)
    for position, cell in enumerate(cells):
        if position <= label or not cell:
            continue
        month = _month(cell)
        if month is None and _plain(cell) != "total":
            raise DataError(f"{name}: line {line}: the column {cell!r} is neither a month nor "
                            f"the Total")
        if (month or 0) in out.values():
            raise DataError(f"{name}: line {line}: {cell!r} heads two columns")
        out[position] = month or 0
    if not any(out.values()):
        raise DataError(f"{name}: line {line}: no month in the header")
    return out


def _body(lines: list[str], delimiter: str, header: int, first: int):
    """([(line, cells, partner name)] of the rows, [the note lines], [lines after the
    rows]). A row has a figure, or a name where the names column is; a name is the last
    filled cell left of the first month. Lines with text further left are notes."""
    candidates = []
    for index in range(header + 1, len(lines)):
        cells = _cells(lines[index], delimiter)
        if not any(cells):
            continue
        left = [i for i, c in enumerate(cells[:first]) if c]
        figures = any(c for c in cells[first:])
        candidates.append((index + 1, cells, left[-1] if left else None, figures))
    positions = [at for _, _, at, figures in candidates if figures and at is not None]
    names_at = max(set(positions), key=positions.count) if positions else first - 1
    body, notes, after = [], [], []
    for line, cells, at, figures in candidates:
        if figures or at == names_at:
            name = cells[at] if at is not None else ""
            body.append((line, cells, "" if name.isdigit() else name))
        else:
            text = " ".join(c for c in cells if c)
            notes.append(text)
            after.append(text)
    return body, notes, after


def _reporter(name: str, said: str, cuadro: str, title: str, reporter: str | None) -> str:
    """Peru when the sheet names SUNAT, or carries SUNAT's cuadro number over a 'Régimen
    aduanero' title; else `reporter` (--file-reporter); else DataError."""
    sunat = bool(_SUNAT.search(said)) or (
        bool(cuadro) and "regimen aduanero" in _plain(title))
    if sunat:
        if reporter is not None and reporter != REPORTER:
            raise DataError(f"{name}: the sheet is SUNAT's cuadro of Peru's trade, not "
                            f"{countries.name(reporter)}'s (--file-reporter)")
        return REPORTER
    if reporter is not None:
        return reporter
    raise DataError(f"{name}: a cuadro by country over months, but its title and notes do "
                    f"not name SUNAT; add --file-reporter COUNTRY to say whose trade it is")


def _label(month: int) -> str:
    from pa_trade.periods import MONTH_NAMES

    return MONTH_NAMES[month] if month else "Total"


def _tolerance(decimals: int, rows: int) -> Decimal:
    """How far a sum of `rows` figures may be from a published total by rounding alone:
    half the last digit shown (or a cent) for each figure."""
    digit = Decimal(1).scaleb(-min(decimals, 2))
    return digit / 2 * (rows + 1)


def _check_row_totals(parsed, tolerance: Decimal, report: LoadReport) -> None:
    """A note for rows whose Total is not the sum of their months (beyond rounding)."""
    off = [f"{line} ({name})" for line, name, _, values, total in parsed
           if total is not None and abs(sum(v for _, v in values) - total) > tolerance]
    if off:
        shown = ", ".join(off[:3]) + (f" and {len(off) - 3} more" if len(off) > 3 else "")
        report.notes.append(f"the Total column differs from the sum of the months on "
                            f"{len(off)} row(s): {report.position} {shown}; the months are "
                            f"read")


def _check_total_row(parsed, tolerance: Decimal, report: LoadReport) -> bool | None:
    """Whether the total row (WLD) is, month by month, the sum of the other rows (those set
    aside included: the total counts them); None when there is no total row. A note says
    where it is not."""
    world = [values for _, _, partner, values, _ in parsed if partner == "WLD"]
    if len(world) != 1:
        return None
    sums: dict = {}
    for _, _, partner, values, _ in parsed:
        if partner == "WLD" or (partner is not None and countries.kind(partner) == "group"):
            continue
        for column, value in values:
            sums[column] = sums.get(column, Decimal(0)) + value
    off = [column for column, value in world[0] if abs(sums.get(column, 0) - value) > tolerance]
    if off:
        from pa_trade.periods import months_text

        report.notes.append(f"the total row is not the sum of the rows in "
                            f"{months_text(sorted(c.month for c in off))}")
    return not off


def _world_total(parsed) -> Decimal:
    """The year's total in the sheet's unit: the total row, else the sum of the rows."""
    world = [values for _, _, partner, values, _ in parsed if partner == "WLD"]
    rows = world[:1] or [values for _, _, _, values, _ in parsed]
    return sum((value for values in rows for _, value in values), Decimal(0))
