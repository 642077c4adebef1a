"""Rendering at the edge: table, csv, tsv, json, markdown (xlsx and csv-excel in
render.excel); number formatting and units."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from pa_trade.flows import format_usd, safe_text
from pa_trade.numbers import UNITS, scaled  # noqa: F401 (used by render.*)
from pa_trade.numbers import human_number as _english_number

if TYPE_CHECKING:
    import pandas as pd

    from pa_trade.render.excel import About

FORMATS = ("table", "csv", "tsv", "json", "markdown", "csv-excel", "xlsx")
# the formats for programs and spreadsheets: one row per record, codes, full dollars
MACHINE_FORMATS = ("csv", "tsv", "json", "csv-excel", "xlsx")
MONEY_COLUMNS = ("exports_usd", "imports_usd", "balance_usd")
MACHINE_COLUMNS = [
    "reporter", "partner", "partner_name", "year", "months", "exports_usd", "imports_usd",
    "balance_usd", "status", "exports_valuation", "imports_valuation", "sources",
]


# C0 controls but tab, DEL and C1: ESC (0x1b) and CSI (0x9b) start terminal sequences
CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f-\x9f]")


def printable(text: str) -> str:
    """Text for a terminal: control characters other than tab shown escaped ('\\x1b'), so
    that a file name or a cell of the input cannot move the cursor, recolour or retitle the
    terminal, or hide what follows."""
    return CONTROL.sub(lambda found: f"\\x{ord(found.group()):02x}", str(text))


def printable_rows(rows: list) -> list:
    """printable() over the text cells of table rows (tabulate's separating lines kept)."""
    return [[printable(cell) if isinstance(cell, str) else cell for cell in row]
            if isinstance(row, (list, tuple)) else row for row in rows]


@dataclass
class Footer:
    """What goes under a table for people: notes, the sources used, other remarks."""

    notes: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)

    def lines(self, markdown: bool = False) -> list[str]:
        """The footer's lines, printable(): notes and sources name files and input text."""
        from pa_trade.render.words import say

        sources = compact_sources(self.sources)
        note, heading = say("Note:"), say("Sources:")
        if markdown:
            out = [f"- {note} {n}" for n in self.notes]
            if sources:
                out += [f"- {heading}"] + [f"  - {s}" for s in sources]
            out += [f"- {e}" for e in self.extra]
        else:
            out = [f"{note} {n}" for n in self.notes]
            if sources:
                out += [heading] + [f"  {s}" for s in sources]
            out += self.extra
        return [printable(line) for line in out]


def compact_sources(sources: list[str]) -> list[str]:
    """Sources for people: the members of one archive read by one reader in one line
    ('DANE export microdata (Expo_2023.zip: 12 files, 01. Enero 2023.zip › Enero.csv to
    12. Diciembre 2023.zip › Diciembre.csv)'); machine output keeps every source."""
    import re

    from pa_trade.textio import SEPARATOR

    groups: dict[tuple[str, str], list[str]] = {}
    order: list[object] = []
    for source in sources:
        found = re.fullmatch(r"(.+) \((.+?)" + SEPARATOR + r"(.+)\)", source)
        if not found:
            order.append(source)
            continue
        key = (found.group(1), found.group(2))
        if key not in groups:
            order.append(key)
        groups.setdefault(key, []).append(found.group(3))
    out = []
    for item in order:
        if isinstance(item, str):
            out.append(item)
            continue
        (reader, archive), members = item, groups[item]
        if len(members) < 3:
            out += [f"{reader} ({archive}{SEPARATOR}{m})" for m in members]
            continue
        kinds: dict[str, int] = {}
        for member in members:
            kind = member.rsplit(".", 1)[-1].lower()
            kinds[kind] = kinds.get(kind, 0) + 1
        formats = "" if len(kinds) == 1 else " (" + ", ".join(
            f"{n} .{k}" for k, n in sorted(kinds.items(), key=lambda i: -i[1])) + ")"
        out.append(f"{reader} ({archive}: {len(members)} files{formats}, {members[0]} to "
                   f"{members[-1]})")
    return out


def human_number(value, units: str) -> str:
    """1,752.0 for people (numbers.human_number), in the style of the run's language
    (1.752,0 in Spanish but Mexico's)."""
    from pa_trade.render.words import number

    return number(_english_number(value, units))


def machine_number(value, units: str) -> str:
    """Exact plain text for pipelines: full dollars (to the cent) or the scaled value."""
    if value is None or value != value:
        return ""
    if units == "usd":
        return format_usd(value)
    return repr(round(float(scaled(value, units)), 8)).removesuffix(".0")


def machine_table(table: pd.DataFrame, units: str) -> tuple[list[str], list[list]]:
    """(header, rows) with money in `units`; columns renamed with the unit unless dollars."""
    header = []
    for column in MACHINE_COLUMNS:
        if column in MONEY_COLUMNS and units != "usd":
            header.append(f"{column}_{units}")
        else:
            header.append(column)
    cells = []  # column by column: one pass over each column's plain Python values
    for column in MACHINE_COLUMNS:
        values = table[column].tolist()
        if column in MONEY_COLUMNS:
            cells.append([machine_number(value, units) for value in values])
        elif column == "year":
            cells.append([int(value) for value in values])
        else:
            cells.append(["" if value is None or value != value else value for value in values])
    return header, [list(row) for row in zip(*cells, strict=True)]


def to_delimited(header: list[str], rows: list[list], delimiter: str,
                 numeric: set[str] | None = None, raw_text: bool = False,
                 line_end: str = "\n") -> str:
    """csv or tsv of (header, rows). `numeric` columns (default: money) are numbers, written
    as they are; in every other column a text cell that a spreadsheet would run as a formula
    gets a leading "'" (flows.safe_text) unless `raw_text`. Integer cells (years) are no text.
    Lines end in `line_end`.
    """
    import csv
    import io

    if not raw_text:
        text_columns = [index for index, column in enumerate(header)
                        if not (column in numeric if numeric is not None
                                else column.startswith(MONEY_COLUMNS))]
        safe_rows = []
        for row in rows:
            row = list(row)
            for index in text_columns:
                if isinstance(row[index], str):
                    row[index] = safe_text(row[index])
            safe_rows.append(row)
        rows = safe_rows
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator=line_end)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


def to_json(header: list[str], rows: list[list], numeric: set[str] | None = None) -> str:
    """An array of objects; `numeric` columns (default: money) as numbers, empty ones as null,
    every other column as it is."""
    records = []
    for row in rows:
        record = {}
        for column, value in zip(header, row, strict=True):
            is_number = column in numeric if numeric is not None else column.startswith(
                MONEY_COLUMNS)
            if is_number:
                record[column] = None if value == "" else json.loads(value)
            else:
                record[column] = value
        records.append(record)
    return json.dumps(records, ensure_ascii=False, indent=2) + "\n"


def year_breaks(rows: list[list], years: list, fmt: str) -> list:
    """Rows with a rule between years in tables for the terminal (markdown has none)."""
    from tabulate import SEPARATING_LINE

    out = []
    for index, (row, year) in enumerate(zip(rows, years, strict=True)):
        if index and year != years[index - 1] and fmt != "markdown":
            out.append(SEPARATING_LINE)
        out.append(row)
    return out


def machine_output(header: list[str], rows: list[list], fmt: str, numeric: set[str],
                   raw_text: bool = False, money: set[str] | None = None,
                   about: About | None = None) -> str | bytes:
    """One of MACHINE_FORMATS of (header, rows) whose cells are text (years: integers);
    `numeric` as in to_json, `raw_text` as in to_delimited (JSON text is always as it is,
    and so is a workbook's, typed as text). csv-excel and xlsx are bytes (render.excel): an
    xlsx shows the `money` columns (default: every numeric one) with thousands separators
    and `about` on its second sheet."""
    if fmt == "json":
        return to_json(header, rows, numeric)
    if fmt == "xlsx":
        from pa_trade.render.excel import spanish_workbook, workbook
        from pa_trade.render.words import spanish

        if about is None:
            raise ValueError("a workbook needs its About")
        if spanish():  # a workbook is for people: --lang es gives its labels in Spanish
            return spanish_workbook(header, rows, numeric, numeric if money is None
                                    else money, about)
        return workbook(header, rows, numeric, numeric if money is None else money, about)
    if fmt == "csv-excel":
        from pa_trade.render.excel import excel_csv

        return excel_csv(header, rows, numeric, raw_text)
    return to_delimited(header, rows, "," if fmt == "csv" else "\t", numeric, raw_text)


def _chart_rows(result):
    """(label, balance) per row worth a bar: partners and blocs, not totals or aggregates."""
    table = result.table
    table = table[table["kind"].isin(["country", "other", "bloc", "intra"])]
    several_years = table["year"].nunique() > 1
    several_reporters = table["reporter"].nunique() > 1
    rows = []
    from pa_trade.render.words import name_of

    for record in table.itertuples(index=False):
        label = printable(name_of(record.partner, record.partner_name))
        if several_reporters:
            label = f"{record.reporter} {label}"
        if several_years:
            label = f"{record.year} {label}"
        rows.append((label, record.balance_usd))
    return rows


def balance_chart(result, units: str, markdown: bool = False,
                  colour: bool | None = None) -> str:
    """Terminal bars of the balance per partner: surpluses right of the axis, deficits left;
    `colour` as in charts.bars (None: when stdout is a terminal; never in markdown)."""
    from pa_trade.render.charts import bars

    rows = _chart_rows(result)
    drawn = bars([label for label, _ in rows],
                 [None if value != value else value for _, value in rows],
                 value_format=lambda v: human_number(v, units),
                 colour=False if markdown else colour,
                 title=_said(f"Balance, {UNITS[units][1]}"))
    return f"```\n{drawn}```\n" if markdown else drawn


def _said(text: str) -> str:
    from pa_trade.render.words import say

    return say(text)


def balance_plot(result, path: str, units: str) -> None:
    """The balance per partner as a PNG or SVG bar chart."""
    from pa_trade.render.charts import plot_bars

    rows = _chart_rows(result)
    span = result.period
    sources = sorted({s for v in result.table["sources"] for s in str(v).split("; ") if s})
    plot_bars([label for label, _ in rows], [value for _, value in rows], path,
              title=f"{result.reporter_name}: trade balance by partner, {span}",
              unit_label=f"Balance, {UNITS[units][1]}", scale=UNITS[units][0],
              caption=("Exports FOB minus imports (" + result.import_valuation
                       + " where the source has it). Sources: " + "; ".join(sources))[:300])


def balance_output(result, fmt: str, units: str, footer: Footer | None = None,
                   chart: str | None = None, raw_text: bool = False,
                   notes: list[str] | None = None) -> str | bytes:
    """Render a BalanceResult in one of FORMATS; `footer` lines go under people's formats;
    `raw_text`: csv/tsv text cells as they are (see to_delimited); `notes`: what an xlsx's
    About sheet notes (those csv gives on stderr)."""
    if fmt in MACHINE_FORMATS:
        header, rows = machine_table(result.table, units)
        money = {column for column in header if column.startswith(MONEY_COLUMNS)}
        about = balance_about(result, units, notes) if fmt == "xlsx" else None
        return machine_output(header, rows, fmt, money, raw_text, about=about)
    return _people(result, fmt, units, footer, chart)


def balance_about(result, units: str, notes: list[str] | None) -> About:
    """The About of a balance's workbook: its title, unit, valuations, period, every source."""
    from pa_trade.render.excel import About, distinct_sources

    table = result.table
    return About(
        title=f"{result.reporter_name}: trade balance by partner, {result.period}",
        unit=UNITS[units][1],
        valuation=(f"exports {valuations_text(table['exports_valuation'])}, imports "
                   f"{valuations_text(table['imports_valuation'])} (as each source states)"),
        period=result.period, notes=list(notes or []),
        sources=distinct_sources(table["sources"]))


def _people(result, fmt: str, units: str, footer: Footer | None, chart: str | None) -> str:
    from pa_trade.render import fit, words

    table = result.table
    several = table["reporter"].nunique() > 1
    say = words.say
    title = say(f"{result.reporter_name}: trade balance by partner, {result.period}")
    computed = table[table["kind"] != "published"]  # an office's figure has its own row
    unit_line = say(f"Values in {UNITS[units][1]}; exports "
                    f"{valuations_text(computed['exports_valuation'])}, imports "
                    f"{valuations_text(computed['imports_valuation'])} (as each source states)")
    kinds = table["kind"].tolist()
    partners = []
    for record in table.itertuples(index=False):
        partner = words.name_of(record.partner, record.partner_name)
        if record.kind == "world" and "microdata" in record.sources:
            partner = say(f"{record.partner_name} (all lines)")  # the sum of every line
        elif record.kind in ("world", "group"):
            partner = say(f"{record.partner_name} (as reported)")
        elif record.kind == "published":
            partner = f"↳ {say(record.partner_name)}"
        partners.append(partner)
    money = [[human_number(v, units) for v in table[c].tolist()] for c in MONEY_COLUMNS]
    columns = ([fit.Column(say("Reporter"), "left", table["reporter"].tolist(), "reporter")]
               if several else [])
    columns += [
        fit.Column(say("Partner"), "left", partners, "partner"),
        fit.Column(say("Year"), "right", table["year"].tolist(), "year"),
        fit.Column(say("Exports"), "right", money[0], "exports"),
        fit.Column(say("Imports"), "right", money[1], "imports"),
        fit.Column(say("Balance"), "right", money[2], "balance"),
        fit.Column(say("Status"), "left", [say(v) for v in table["status"].tolist()],
                   "status"),
        fit.Column(say("Imports val."), "left",
                   [say(v) for v in table["imports_valuation"].tolist()], "valuation"),
    ]
    years = table["year"].tolist()
    breaks = [i for i in range(1, len(years)) if years[i] != years[i - 1]]
    notes = list(footer.notes) if footer else []

    import re

    subtotals = {}  # 'Pacific Alliance (CHL, MEX, PER)' -> ('Pacific Alliance', 'CHL, ...')
    for name, kind in zip(table["partner_name"].tolist(), kinds, strict=True):
        found = re.fullmatch(r"(.+) \((.+)\)", name) if kind == "bloc" else None
        if found:
            subtotals[name] = found.groups()

    def short_blocs(cols):  # the members of a bloc subtotal go to a note
        if not subtotals:
            return cols
        for bloc, members in dict(subtotals.values()).items():
            notes.append(f"the {bloc} row adds the partners {members}")
        return [c._replace(cells=[words.name_of("", subtotals[n][0]) if n in subtotals else v
                                  for v, n in zip(c.cells, table["partner_name"], strict=True)])
                if c.key == "partner" else c for c in cols]

    intra = {label: say("Intra-bloc")
             for label, k in zip(partners, kinds, strict=True) if k == "intra"}
    worlds = {}  # 'World (as reported)' -> 'World', and a note says what it is
    for label, kind, name in zip(partners, kinds, table["partner_name"], strict=True):
        if kind in ("world", "group") and label != words.name_of("", name):
            worlds[label] = words.name_of("", name)

    def short_worlds(cols):
        if not worlds:
            return cols
        if any("microdata" in s for s in table["sources"]):
            notes.append("the World row of microdata is the sum of all their lines, as DANE's "
                         "own total; other totals are as each source reports them")
        else:
            notes.append("the World and regional rows are the totals as each source reports "
                         "them, not sums of the partners shown")
        return fit.renamed("partner", say("Partner"), lambda v: worlds.get(v, v))(cols)

    steps = [
        fit.without("year", lambda c: len(set(c.cells)) == 1),  # the year is in the title
        fit.without("valuation", fit.one_value),  # and so is a valuation shared by all
        short_blocs,
        # the reporter column says whose intra-bloc trade it is
        fit.renamed("partner", say("Partner"), lambda v: intra.get(v, v)),
        fit.renamed("reporter", say("Rep.")),
        fit.renamed("valuation", say("Imp. val."),
                    lambda v: say("mixed") if str(v).startswith(say("mixed")) else v),
    ]
    if words.spanish():  # 'Exportaciones' is wider than its numbers
        steps += [fit.renamed("exports", "Export."), fit.renamed("imports", "Import.")]
    published = {label: "↳ " + name.removeprefix("published by ")
                 for label, kind, name in zip(partners, kinds, table["partner_name"],
                                              strict=True) if kind == "published"}
    def short_published(cols):
        if not published:
            return cols
        notes.append("a ↳ row is the balance its office published, imports FOB")
        return fit.renamed("partner", say("Partner"), lambda v: published.get(v, v))(cols)

    steps += [short_worlds, short_published, fit.COMPACT,
              fit.renamed("valuation", say("Val."), lambda v: "s/i" if v == "sin informar"
                          else v)]
    if words.spanish():
        steps.append(fit.renamed("status", "Sit."))
    grid = fit.fitted(columns, fmt, breaks, steps)
    if footer:
        footer = Footer(notes=[say(n) for n in notes], sources=footer.sources,
                        extra=[say(e) for e in footer.extra])
    if fmt == "markdown":
        lines = [f"**{printable(title)}**", "", f"_{printable(unit_line)}_", "", grid, ""]
        lines += [chart] if chart else []
        lines += footer.lines(markdown=True) if footer else []
    else:
        lines = [*fit.wrapped([printable(title), printable(unit_line)]), "", grid, ""]
        lines += [chart] if chart else []
        lines += fit.wrapped(footer.lines()) if footer else []
    return "\n".join(lines).rstrip("\n") + "\n"


def valuations_text(values) -> str:
    from pa_trade.analysis.balance import valuation_label

    return valuation_label(values) or "n/a"
