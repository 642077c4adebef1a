"""By-country tables: DANE's cuadros (formats.md §3) and Mexico's SE/SRE balanza by country
(§4), saved as CSV or rendered as text from a workbook's sheet (readers.workbook), with years
as columns under title, unit and footnote lines.

DANE's anexos put a period over the years: a month ('Junio'), the year to date
('Enero - junio', 'Año corrido'), the whole year ('Enero - diciembre'), or twelve months
to a month, each a block of columns (2022, 2023p, Variación %, ...) under a label in the
block's first cell, or period and year in one cell ('Junio 2023p'). Each figure then says
the months it covers (pa_trade.flows): a month's column gives `month`, a year-to-date column
`months` ('1-6'); a month that a year-to-date column of the same year includes is not added
to it, and twelve months spanning two years are not read (both said in the report).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal
from typing import NamedTuple

from pa_trade import numbers, periods
from pa_trade.errors import DataError
from pa_trade.readers.common import choose_style, fields, short_name
from pa_trade.readers.report import LoadReport
from pa_trade.reference import countries
from pa_trade.textio import SourceFile, delimiter_name, sniff_delimiter

YEAR_CELL = re.compile(r"^((?:19|20)[0-9]{2})\s*(?:\(?\s*(?:p|pr|e|r|\*+)\s*\)?\.?|/p|p/)?$", re.I)
FOOTNOTE = re.compile(
    r"^(fuente|fuentes|nota|notas|source|sources|note|notes|elaborad|actualizad|cifras|"
    r"p\s*[:/]|p\)|\(p\)|pp\s*:|\*|\d+/|\(\d+\)|n\.d\.\s*:|-\s*:|\.\.\s*:)",
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
    header = find_header(src)
    if header.year_row is None:
        return Said("", "")
    lines = src.lines
    _, notes_start = _body(lines, header.delimiter, header.end)
    return Said("\n".join(lines[:header.top]), "\n".join(lines[notes_start:]))


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


# Units: a currency word, and the scale words beside it in the same line. A wrong scale is
# an error of a factor 1,000 or 1,000,000 with exit 0, so a scale that cannot be told fails.
_CURRENCY = re.compile(
    r"(?<![a-z])(dolares|dolar|dollars?|usd|(?:mm|m)?us\s?\$|u\$s)(?![a-z])")
_SCALES = re.compile(
    r"(?<![a-z])(?:"
    r"(?P<e9>miles de millones|mil millones|millardos?|billions?|bn)"
    r"|(?P<e12>billon|billones)"  # Spanish billón is 10^12, but often a mistranslated billion
    r"|(?P<e6>millones|millon|millions?|mill|mmus\$|mm)"
    r"|(?P<e3>miles|thousands?|mil|mus\$|k)"
    r"|(?P<m>m)"  # 'M US$': thousands for some offices, millions for others
    r")(?![a-z])"
)
_MULTIPLIERS = {"e9": 1_000_000_000, "e6": 1_000_000, "e3": 1_000}
# a line that only states a scale, for a unit split over two lines ('US$ FOB' / '(miles)')
_SCALE_ONLY = re.compile(
    r"^\W*(?:(?:cifras|valores|values)\s+)?(?:(?:en|in)\s+)?"
    r"(miles de millones|millones|miles|thousands|millions|billions)\W*$"
)


def scale_of(text: str) -> tuple[int, str] | None:
    """(multiplier, unit line) from the lines above a table: 'Millones de dólares FOB',
    'Valor FOB (miles de dólares)', 'US$ millones FOB', 'miles de US$', 'Dólares FOB'.

    None when no line names dollars. Raises ValueError (the reason, without the file's name)
    when the lines name dollars but their scale cannot be told: two scales, 'M US$', or
    'billones'.
    """
    currency_lines = []
    scale_lines = []
    for line in text.split("\n"):
        words = " ".join(plain(line).replace("\t", " ").split())
        if _CURRENCY.search(words):
            currency_lines.append((line, words))
        elif _SCALE_ONLY.match(words):
            scale_lines.append((line, words))
    if not currency_lines:
        return None
    found: dict[int, str] = {}
    for line, words in currency_lines:
        for match in _SCALES.finditer(words):
            kind = match.lastgroup
            shown = " ".join(line.split())
            if kind == "m":
                raise ValueError(f"the unit line {shown!r} names dollars but not their scale: "
                                 f"'M' may be thousands or millions")
            if kind == "e12":
                raise ValueError(f"the unit line {shown!r} says 'billones': 10^12 in Spanish, "
                                 f"but often a mistranslated billion (10^9)")
            found.setdefault(_MULTIPLIERS[kind], shown)
    if not found:
        for line, words in scale_lines:
            scale = _SCALES.search(words)
            found.setdefault(_MULTIPLIERS[scale.lastgroup], " ".join(line.split()))
    if len(found) > 1:
        shown = "; ".join(f"{line!r}" for line in dict.fromkeys(found.values()))
        raise ValueError(f"the lines above the table name more than one scale ({shown})")
    if found:
        multiplier, line = next(iter(found.items()))
        return multiplier, line
    return 1, " ".join(currency_lines[0][0].split())


def valuation_of(text: str) -> str | None:
    """'FOB' or 'CIF' when a unit line names exactly one of them."""
    return _exactly_one(text, (r"\bfob\b", "FOB"), (r"\bcif\b", "CIF"))


def year_of(cell: str) -> int | None:
    match = YEAR_CELL.match(cell.strip())
    return int(match.group(1)) if match else None


# --- periods over the years (DANE's anexos) -------------------------------------------------

class Period(NamedTuple):
    """The months a column's figures cover, as its header says: a month's figures
    (`monthly`, first == last), or a year's from `first` to `last` (1-12: the whole year;
    last 0: a year to date whose last month the label does not say)."""

    first: int
    last: int
    monthly: bool
    label: str
    rolling: bool = False  # twelve months to a month: they span two years

    @property
    def mask(self) -> int:
        return periods.mask(range(self.first, self.last + 1))

    @property
    def text(self) -> str:
        """'June', 'January–June', 'the whole year', for notes."""
        return periods.describe(self.mask)


WHOLE_YEAR = Period(1, 12, False, "")
_YEAR_INSIDE = re.compile(
    r"(?<!\d)((?:19|20)\d{2})(?!\d)\s*(?:\(\s*(?:p|pr|e|r)\s*\)|/p|p/|(?:pr|p|e|r)(?![a-z])\.?|\*+)?")
_ROLLING = re.compile(r"\b(doce|12) meses\b|\bultimos? (doce|12)\b|\bano movil\b|\banualizad")
_TO_DATE = {"corrido", "acumulado", "acumulada", "acumulados", "acum", "ytd"}
_WHOLE = {"ano", "anual", "completo", "total"}
_FILLER = {"de", "del", "a", "al", "hasta", "periodo", "mes", "el", "la"}
# whole month names only, in running text (a title); abbreviations ('mar', 'set') are words too
_MONTH_WORD = (r"(?:enero|febrero|marzo|abril|mayo|junio|julio|agosto|septiembre|setiembre|"
               r"octubre|noviembre|diciembre|january|february|march|april|may|june|july|august|"
               r"september|october|november|december)")


def period_of(label: str) -> Period | None:
    """The period a header label names, without its year: 'Junio' (a month), 'Enero - junio',
    'Ene-jun', 'Año corrido a julio', 'Acumulado enero-julio' (the year to date), 'Enero -
    diciembre', 'Total año' (the whole year), 'Doce meses a julio' (rolling); None for any
    other label ('Variación %', 'Toneladas')."""
    text = " ".join(re.findall(r"[a-z0-9]+", plain(label).replace("year to date", "ytd")))
    if not text:
        return None
    if _ROLLING.search(text):
        return Period(0, 0, False, label, rolling=True)
    months: list[int] = []
    to_date = whole = False
    for word in text.split():
        month = None if word.isdigit() else periods.month_number(word)
        if month is not None:
            months.append(month)
        elif word in _TO_DATE:
            to_date = True
        elif word in _WHOLE:
            whole = True
        elif word not in _FILLER:
            return None
    if len(months) == 2:
        first, last = months
        if first > last:  # 'julio - junio': twelve months over two years
            return Period(0, 0, False, label, rolling=True)
        return Period(first, last, False, label)
    if len(months) == 1:
        if to_date:
            return Period(1, months[0], False, label)
        return None if whole else Period(months[0], months[0], True, label)
    if months:
        return None
    if to_date:
        return Period(1, 0, False, label)
    return Period(1, 12, False, label) if whole and text != "total" else None


def split_year(cell: str) -> tuple[int | None, str]:
    """(year, the label around it) of a header cell: (2023, '') for '2023p', (2023, 'Junio')
    for 'Junio 2023p'; (None, cell) for a cell with no year or with two."""
    if year_of(cell):
        return year_of(cell), ""
    found = list(_YEAR_INSIDE.finditer(cell))
    if len(found) != 1:
        return None, cell
    match = found[0]
    rest = (cell[: match.start()] + " " + cell[match.end():]).strip(" -–—,.:;()")
    return int(match.group(1)), " ".join(rest.split())


def header_year(cell: str) -> int | None:
    """The year a header cell heads: '2023p', or a period and a year ('Enero-junio 2023p')."""
    year, rest = split_year(cell)
    if year is None or (rest and period_of(rest) is None):
        return None
    return year


def _periods_in_title(text: str) -> list[Period]:
    """The periods a title names ('Enero - junio 2023', 'junio de 2023', 'Año corrido a
    junio'), each once, in order."""
    # a date of publication or update ('Actualizado el 15 de junio de 2024') names no period
    lines = [line for line in plain(text).splitlines()
             if not re.search(r"actualiz|publica|fecha|corte|elaborad|generad|consulta", line)]
    kept = re.sub(rf"\b\d{{1,2}} (?:de )?{_MONTH_WORD}\b", " ", "\n".join(lines))
    words = " ".join(re.findall(r"[a-z0-9]+", kept))
    found: list[Period] = []
    spans: list[tuple[int, int]] = []
    patterns = (
        rf"\b(?:ano corrido|acumulado)(?: (?:a|al|hasta))? (?:{_MONTH_WORD} (?:a|al|hasta) )?"
        rf"{_MONTH_WORD}\b",
        rf"\b{_MONTH_WORD} (?:a|al|hasta )?{_MONTH_WORD}\b",
        rf"\b{_MONTH_WORD}(?= (?:de |del )?(?:19|20)\d\d\b| y )",
        r"\b(?:doce|12) meses\b",
    )
    for pattern in patterns:
        for match in re.finditer(pattern, words):
            if any(a < match.end() and match.start() < b for a, b in spans):
                continue  # already part of a longer period
            period = period_of(match.group(0))
            if period is not None:
                spans.append(match.span())
                found.append(period._replace(label=match.group(0)))
    unique: dict[tuple, Period] = {}
    for period in found:
        unique.setdefault((period.first, period.last, period.monthly, period.rolling), period)
    return list(unique.values())



def _body(lines: list[str], delimiter: str, header_end: int):
    """(rows, notes start): the table's rows after the header as (line number, stripped
    cells), and the index of the line where the notes start.

    The rows run to the last line that is a row (a name, then figures or marks of no
    figure); a line among them that is no row (cut short, a broken quote, a note in the
    middle) is a row too, for `_checked_rows` to set aside with its line: one odd line never
    ends a table.
    """
    body: list[tuple[int, list[str]]] = []
    last = header_end
    for index in range(header_end + 1, len(lines)):
        cells = [c.strip() for c in fields(lines[index], delimiter)]
        if not any(cells):
            continue
        if _is_row(cells):
            last = index
        elif not body and FOOTNOTE.match(cells[0]):
            break  # notes right after the header: no rows
        body.append((index + 1, cells))
    rows = [(line, cells) for line, cells in body if line - 1 <= last]
    return rows, last + 1


def _is_row(cells: list[str]) -> bool:
    """A table row: a name, and after it at least one figure or mark of no figure (the other
    cells may be damaged: _checked_rows says so)."""
    if len(cells) < 2 or not cells[0]:
        return False
    given = [c for c in cells[1:] if c]
    if FOOTNOTE.match(cells[0]) and not any(_is_figure(c) for c in given):
        return False
    return any(_is_figure(c) or numbers.is_missing(c) for c in given)


def _is_figure(cell: str) -> bool:
    """A number in either style (a Saldo may be negative, in brackets)."""
    return any(numbers.normalise(cell, style) is not None for style in numbers.STYLES)


class Column(NamedTuple):
    """What a table's column holds: a flow in a year, for a month (`month`) or for the
    months of the year `months` says ('1-6'; '' the whole year)."""

    year: int
    flow: str
    month: int = 0
    months: str = ""


class Row(NamedTuple):
    """A table row that passed the checks of its own cells."""

    line: int
    name: str
    partner: str
    cells: list[str]
    values: list[tuple[Column, Decimal]]  # each figure in the table's unit


@dataclass
class Header:
    """Where a table's header is (indexes into its lines): the row of years, the SE
    balanza's row of flows beside it, or the row of periods over the years (DANE's anexos)."""

    delimiter: str
    year_row: int | None
    flow_row: int | None = None
    period_row: int | None = None

    @property
    def top(self) -> int:
        """The first line of the header: the lines above it are the title."""
        rows = [r for r in (self.year_row, self.flow_row, self.period_row) if r is not None]
        return min(rows)

    @property
    def end(self) -> int:
        """The last line of the header: the rows start below it."""
        return max(r for r in (self.year_row, self.flow_row) if r is not None)


def find_header(src: SourceFile) -> Header:
    """The header of a table: the first line of the head with a year in a cell after the
    first ('2022p', 'Junio 2023p'); year_row None when there is none."""
    lines = src.head_lines[:60]
    delimiter = sniff_delimiter([line for line in lines if line.strip()])
    for index, line in enumerate(lines):
        cells = fields(line, delimiter)
        if sum(1 for c in cells[1:] if header_year(c)) >= 1 and not header_year(cells[0]):
            nxt = fields(lines[index + 1], delimiter) if index + 1 < len(lines) else []
            if sum(1 for c in nxt[1:] if flow_of(c)) >= 2:
                return Header(delimiter, index, index + 1)
            prev = fields(lines[index - 1], delimiter) if index > 0 else []
            if sum(1 for c in prev[1:] if flow_of(c)) >= 2:
                return Header(delimiter, index, index - 1)
            return Header(delimiter, index, period_row=_period_row(lines, delimiter, index))
    return Header(delimiter, None)


def _find_header(src: SourceFile):
    """(delimiter, year row index, flow row index or None) of the table header."""
    header = find_header(src)
    return header.delimiter, header.year_row, header.flow_row


def _period_row(lines: list[str], delimiter: str, year_row: int) -> int | None:
    """The row of period labels right above the years ('Junio', 'Enero - junio', each in
    the first cell of its block), a blank row between them allowed; None if there is none."""
    for index in (year_row - 1, year_row - 2):
        if index < 0:
            return None
        cells = [c.strip() for c in fields(lines[index], delimiter)]
        if not any(cells):
            continue
        labels = [c for c in cells[1:] if c]
        if any(period_of(c) for c in labels) and not any(split_year(c)[0] for c in labels):
            return index
        return None
    return None


def read_table(src: SourceFile, layout: str, number_style: str | None = None,
               reporter: str | None = None):
    """Read a DANE cuadro or a Mexico SE table -> (canonical flows, LoadReport).

    Whose trade the table is comes from what it says of itself (its publisher or country in
    the title or notes), never from `layout` alone: a table that says nothing of it needs
    `reporter` (--file-reporter), else DataError asking for it. `layout` then gives only the
    conventions (number style, import valuation).

    Raises DataError when the title and notes say the table is the other office's, when
    they contradict `reporter`, or when every row names the reporter itself.
    """
    import pandas as pd

    from pa_trade import flows

    header = find_header(src)
    delimiter = header.delimiter
    lines = src.lines
    report = LoadReport(src.name, layout, encoding=src.encoding,
                        delimiter=delimiter_name(delimiter))
    if header.year_row is None:
        raise DataError(
            f"{src.name}: no header row with years (like 'País;2021;2022p') found; "
            f"expected a {layout} table"
        )
    preamble = "\n".join(lines[:header.top])
    everything = "\n".join(lines)
    body, notes_start = _body(lines, delimiter, header.end)
    publisher = PUBLISHERS[layout]
    # a forced layout gives way only to an office the table names (a country may be a partner)
    stated = publisher_of(Said(preamble, "\n".join(lines[notes_start:])), offices_only=True)
    if stated is not None and stated is not publisher:
        raise DataError(
            f"{src.name}: the layout {layout} does not fit: the title and notes say this is "
            f"{stated.name}'s table ({stated.country}'s trade); use --layout {stated.layout}"
        )

    said = Said(preamble, "\n".join(lines[notes_start:]))
    reporter_code = _reporter_of(src.name, layout, publisher, said, reporter,
                                 own_header=publisher is MEXICO and header.flow_row is not None)
    columns, balance_columns = _columns(src, lines, header, preamble, everything, report)

    try:
        scale = scale_of(preamble)
    except ValueError as exc:
        raise DataError(f"{src.name}: {exc}; cannot tell the scale of the figures") from None
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
    if stated_valuation is None and any(c.flow == "import" for c in columns.values()):
        report.notes.append(
            f"the unit line does not state the valuation; imports read as "
            f"{publisher.import_valuation} ({publisher.name}'s by-country tables)"
        )
    elif stated_valuation == "CIF" and any(c.flow == "export" for c in columns.values()):
        report.notes.append("the unit line says CIF; exports are FOB by definition and kept so")

    width = max(len(fields(lines[header.year_row], delimiter)), max(columns) + 1)
    rows = _checked_rows(body, columns, style, publisher, report, multiplier, width,
                         reporter_code)
    itself = [r for r in report.set_aside if r.reason == "reporter-is-partner"]
    if itself and not rows and reporter_code == publisher.reporter:
        other = DANE if publisher is MEXICO else MEXICO
        raise DataError(
            f"{src.name}: the layout {layout} does not fit: every row names "
            f"{publisher.country}, the reporter of {publisher.name}'s tables, as partner "
            f"(line {itself[0].line}); is it {other.name}'s table (--layout {other.layout})?"
        )
    if itself and stated is None and reporter_code == publisher.reporter:
        # the title does not confirm the layout: the reporter among the partners hints why
        report.notes.append(
            f"the table lists {publisher.country} among the partners, yet {layout} reads "
            f"it as {publisher.country}'s trade; if the table is not {publisher.name}'s, "
            f"choose the right --layout"
        )
    rows = without_repeats(rows, report)

    source = f"{publisher.name} ({short_name(src.name)})" if reporter_code == \
        publisher.reporter else f"{countries.name(reporter_code)}'s table ({short_name(src.name)})"
    records = []
    saldo_mismatches: list[str] = []
    for row in rows:
        mismatch = _saldo_mismatch(row.cells, row.values, balance_columns, style)
        if mismatch:
            saldo_mismatches.append(f"line {row.line} ({row.name} {mismatch})")
        for column, value in row.values:
            records.append(
                {
                    "reporter": reporter_code,
                    "partner": row.partner,
                    "year": column.year,
                    "month": column.month or None,
                    "months": column.months or None,
                    "flow": column.flow,
                    "value_usd": float(value * Decimal(multiplier)),
                    "valuation": valuations[column.flow],
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


def _reporter_of(name: str, layout: str, publisher: Publisher, said: Said,
                 reporter: str | None, own_header: bool = False) -> str:
    """Whose trade a table is: what its title and notes say (its office, or its country),
    or its columns (`own_header`: the Secretaría's years over four flows, which no other
    office writes); else `reporter` (--file-reporter); a layout alone never says it."""
    says = own_header or publisher_of(said) is publisher or bool(
        _named(said.title + "\n" + said.notes, COUNTRIES)[layout])
    if reporter is None:
        if says:
            return publisher.reporter
        raise DataError(
            f"{name}: the title and notes do not say whose trade this table is (they name "
            f"neither {publisher.name} nor {publisher.country}); --layout {layout} gives how "
            f"to read it, not whose it is: add --file-reporter COUNTRY")
    if says and reporter != publisher.reporter:
        raise DataError(
            f"{name}: the title and notes say this is {publisher.name}'s table of "
            f"{publisher.country}'s trade, not {countries.name(reporter)}'s (--file-reporter)")
    return reporter


def _columns(src, lines, header, preamble, everything, report):
    """({position: Column}, {position: year} of the table's own Saldo columns).

    Raises DataError when no column holds a year, when the flow cannot be told, when two
    columns hold the same year, flow and period (adding them up would count it twice), and
    when the months of a column cannot be told.
    """
    year_row, flow_row = header.year_row, header.flow_row
    years = fields(lines[year_row], header.delimiter)
    columns: dict[int, Column] = {}
    balance_columns: dict[int, int] = {}  # the table's own Saldo, checked, never used
    if flow_row is not None:
        flow_cells = fields(lines[flow_row], header.delimiter)
        current_year = None
        for position in range(1, max(len(years), len(flow_cells))):
            cell_year = year_of(years[position]) if position < len(years) else None
            current_year = cell_year or current_year
            cell_flow = flow_of(flow_cells[position]) if position < len(flow_cells) else None
            if current_year and cell_flow and _is_flow_column(flow_cells[position]):
                _add_column(src.name, columns, position, Column(current_year, cell_flow),
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
        chosen = _periods_of_columns(src.name, lines, header, years, preamble, report)
        for position, (year, period) in chosen.items():
            whole = period.monthly or period.mask == periods.ALL_MONTHS
            column = Column(year, flow, period.first if period.monthly else 0,
                            "" if whole else periods.spec(period.mask))
            _add_column(src.name, columns, position, column, year_row, period)
    if not columns:
        raise DataError(f"{src.name}: line {year_row + 1}: no year columns found")
    return columns, balance_columns


def _periods_of_columns(name, lines, header, years, preamble, report):
    """{position: (year, Period)} of the columns to read, in a table with one flow.

    The period of a column is in its own cell ('Junio 2023p'), else in the label over its
    block (the row of periods), else in the title ('Enero - junio'), else the whole year.
    Where two columns of a year cover the same months (June and January-June), the one that
    covers more is read and the other is not added to it, said in `report`; twelve months
    spanning two years ('Doce meses a junio') are not read, said too.
    """
    blocks: dict[int, tuple[str, Period | None]] = {}
    if header.period_row is not None:
        labels = fields(lines[header.period_row], header.delimiter)
        current = None
        for position in range(1, max(len(labels), len(years))):
            label = labels[position].strip() if position < len(labels) else ""
            if label:  # a block runs from its label to the next one (merged cells)
                current = (label, period_of(label))
            blocks[position] = current
    found: list[tuple[int, int, Period | None]] = []
    ignored: list[str] = []
    not_years: list[str] = []
    for position, cell in enumerate(years[1:], start=1):
        year, rest = split_year(cell)
        own = period_of(rest) if year is not None and rest else None
        if year is None or (rest and own is None):
            if cell.strip():
                not_years.append(repr(cell.strip()))
            continue
        block = blocks.get(position)
        if own is None and header.period_row is not None and block is None:
            raise DataError(
                f"{name}: line {header.year_row + 1}: the column {cell.strip()!r} stands "
                f"under no period of the line above (line {header.period_row + 1}), whose "
                f"first period starts further right; cannot tell which months it covers")
        if own is None and block is not None and block[1] is None:
            ignored.append(f"column {cell.strip()!r} under {block[0]!r} ignored "
                           f"(not a period of the year)")
            continue
        found.append((position, year, own or (block[1] if block else None)))
    not_years = list(dict.fromkeys(not_years))
    if not_years:  # one note for them all: variation, contribution, participation ...
        report.notes.append(f"column{'s' if len(not_years) > 1 else ''} "
                            f"{', '.join(not_years)} ignored (not "
                            f"{'years' if len(not_years) > 1 else 'a year'})")
    report.notes.extend(dict.fromkeys(ignored))
    if found and all(period is None for _, _, period in found):
        titled = _title_period(name, preamble, report)
        found = [(p, y, titled) for p, y, _ in found]
    found = [(p, y, period or WHOLE_YEAR) for p, y, period in found]

    rolling = [(p, y, period) for p, y, period in found if period.rolling]
    if rolling:
        labels = ", ".join(dict.fromkeys(repr(period.label) for _, _, period in rolling))
        shown = ", ".join(_year_cell(years, p) for p, _, _ in rolling)
        report.notes.append(f"columns {labels} ({shown}) not read: twelve months that span "
                            f"two years are no year's figures")
    found = [(p, y, _months_known(name, period, found, preamble))
             for p, y, period in found if not period.rolling]
    return _larger_periods(found, years, report)


def _title_period(name: str, preamble: str, report: LoadReport) -> Period | None:
    """The one period the title names, for a header of plain years ('Exportaciones ...
    Enero - junio' over '2022;2023p'), said in `report`; None when it names none. Raises
    DataError when it names several: which months the years cover cannot be told."""
    named = [p for p in _periods_in_title(preamble) if not p.rolling]
    if not named:
        return None
    if len(named) > 1:
        shown = ", ".join(p.text for p in named)
        raise DataError(f"{name}: the title names several periods ({shown}) over columns of "
                        f"years only; cannot tell which months the figures cover")
    period = named[0]
    if period.last == 0:
        return period
    if period.mask != periods.ALL_MONTHS:
        report.notes.append(f"the title names {period.text}: the year columns are read as "
                            f"{period.text} of each year")
    return period


def _months_known(name: str, period: Period, found, preamble: str) -> Period:
    """A year-to-date period whose label does not say its last month ('Año corrido'), given
    it: the month of the table's month columns, else the month the title names. DataError
    when neither says."""
    if period.last:
        return period
    months = {p.first for _, _, p in found if p is not None and p.monthly}
    if len(months) != 1:
        months = {p.last for p in _periods_in_title(preamble) if not p.rolling and p.last}
    if len(months) == 1:
        return period._replace(last=months.pop())
    raise DataError(f"{name}: the columns {period.label!r} cover the year to date but "
                    f"neither the header nor the title says to which month")


def _larger_periods(found, years, report: LoadReport) -> dict[int, tuple[int, Period]]:
    """The columns less those a column of the same year covering more months includes
    (June within January-June), said in `report`: adding both would count June twice."""
    by_year: dict[int, list[tuple[int, Period]]] = {}
    for position, year, period in found:
        by_year.setdefault(year, []).append((position, period))
    kept: dict[int, tuple[int, Period]] = {}
    left_out: dict[tuple[str, str], list[str]] = {}
    for year, year_columns in by_year.items():
        chosen: list[Period] = []
        # more months first; the same months twice stay, to be refused by _add_column
        for position, period in sorted(year_columns, key=lambda c: -bin(c[1].mask).count("1")):
            wider = next((c for c in chosen if c.mask & period.mask and c.mask != period.mask),
                         None)
            if wider is not None:
                inside = not period.mask & ~wider.mask
                left_out.setdefault((period.text, wider.text, inside), []).append(
                    _year_cell(years, position))
                continue
            chosen.append(period)
            kept[position] = (year, period)
    for (what, wider, inside), shown in left_out.items():
        why = "they are part of" if inside else "they share months with"
        report.notes.append(f"the {what} columns ({', '.join(shown)}) not added: {why} the "
                            f"{wider} columns of the same year")
    return dict(sorted(kept.items()))


def _year_cell(years: list[str], position: int) -> str:
    """The year of a header cell as written ('2023p' of 'Junio 2023p'), for notes."""
    cell = years[position] if position < len(years) else ""
    match = _YEAR_INSIDE.search(cell)
    return match.group(0).strip() if match else cell.strip()


def _add_column(name: str, columns: dict, position: int, key: Column, year_row: int,
                period: Period | None = None) -> None:
    """Record that column `position` holds `key`; DataError when another already does."""
    earlier = next((p for p, k in columns.items() if k == key), None)
    if earlier is not None:
        of = "" if period is None or period.mask == periods.ALL_MONTHS else f" of {period.text}"
        raise DataError(
            f"{name}: line {year_row + 1}: the year {key.year} heads two {key.flow} "
            f"columns{of} (columns {earlier + 1} and {position + 1}); keep one of them, or "
            f"the year would be counted twice"
        )
    columns[position] = key


def _checked_rows(body, columns, style, publisher, report, multiplier=1,
                  width=0, reporter: str | None = None) -> list[Row]:
    """The rows whose name and figures can be read; the others set aside in `report`.
    A figure that, times the unit's `multiplier`, cannot be held to the cent is a bad number.

    Reasons, the first that applies: bad-field-count (a line that is no row, or whose cells
    are more or fewer than the header's `width`), unknown-country, bad-number, no-figures,
    reporter-is-partner (the publisher's own country: no bilateral flow).
    """
    rows = []
    last = max(columns) if columns else 0
    for line, cells in body:
        report.rows_read += 1
        if not _is_row(cells):
            shown = " ".join(c for c in cells if c)
            shown = shown if len(shown) <= 40 else shown[:37] + "..."
            report.add(line, "bad-field-count", f"no row of the table: {shown!r}")
            continue
        extra = [c for c in cells[width:] if c] if width else []
        if extra or len(cells) <= last:
            report.add(line, "bad-field-count", f"{len(cells)} fields, header has {width}")
            continue
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
        for position, column in columns.items():
            cell = cells[position] if position < len(cells) else ""
            if numbers.is_missing(cell):
                continue
            value = numbers.parse_decimal(cell, style)
            if value is None or not numbers.holds(value * multiplier):
                bad = cell
                break
            row_values.append((column, value))
        if bad is not None:
            why = "" if numbers.parse_decimal(bad, style) is None else (
                ", too large to hold to the cent")
            report.add(line, "bad-number", f"{bad!r} in {name}{why}")
            continue
        if not row_values:
            report.add(line, "no-figures", name)
            continue
        if partner == (reporter or publisher.reporter):
            report.add(line, "reporter-is-partner",
                       f"{name} in a table of {countries.name(reporter or publisher.reporter)}"
                       f"'s trade")
            continue
        rows.append(Row(line, name, partner, cells, row_values))
    return rows


def without_repeats(rows: list[Row], report: LoadReport) -> list[Row]:
    """The rows less those naming a partner an earlier row names: a repeat with the same
    figures is set aside as duplicate-row, rows that differ all as conflicting-row.

    Groups are left alone: a table by region may list 'Otros' under every region, and
    adding those up is what the table means.
    """
    by_partner: dict[str, list[Row]] = {}
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
    for column, value in row_values:
        by_year.setdefault(column.year, {})[column.flow] = value
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
