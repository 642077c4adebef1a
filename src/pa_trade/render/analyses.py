"""Rendering of the mirror, trend and matrix analyses: table, csv, tsv, json, markdown,
csv-excel and xlsx (render.excel).

Machine formats (csv, tsv, json) give full US dollars to the cent unless units are asked
for, a missing figure as an empty cell (null in JSON), text cells a spreadsheet would run as
formulas quoted in csv/tsv unless `raw_text`; tables for people give names, units and
valuations, and what a reader should know in the footer, control characters escaped.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pa_trade.render import words
from pa_trade.render.tables import (
    MACHINE_FORMATS,
    UNITS,
    compact_sources,
    human_number,
    machine_number,
    machine_output,
    printable,
    valuations_text,
    year_breaks,
)

if TYPE_CHECKING:
    from pa_trade.analysis.matrix import MatrixResult
    from pa_trade.analysis.mirror import MirrorResult
    from pa_trade.analysis.trend import TrendResult

MACHINE = MACHINE_FORMATS
FTA_MARK = "◆"


# --- shared pieces -------------------------------------------------------------------------

def _missing(value) -> bool:
    return value is None or value != value



def percent(value, decimals: int = 1) -> str:
    """+8.6% / -30.5% for people; '–' when undefined."""
    if _missing(value):
        return "–"
    text = f"{value:+.{decimals}f}%"
    return words.number(text[1:] if float(text[:-1]) == 0 else text)


def _plain(value, decimals: int) -> str:
    """A plain machine number rounded to `decimals`, '' when missing."""
    if _missing(value):
        return ""
    text = f"{value:.{decimals}f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _money(value, units: str) -> str:
    """render.machine_number on a plain float: repr() of a numpy float64 is not a number."""
    return machine_number(None if _missing(value) else float(value), units)


def _money_header(column: str, units: str) -> str:
    return column if units == "usd" else f"{column}_{units}"


def _grid(rows, headers, fmt: str, colalign, keys=(), steps=()) -> str:
    """A table for people (pipe in markdown, as balance's: its rule says each column's
    alignment), tabulate's separating lines in `rows` kept; headers said in the run's
    language; `keys` name the columns for the `steps` that fit it to the width (render.fit)."""
    from tabulate import SEPARATING_LINE

    from pa_trade.render import fit

    plain, breaks = [], []
    for row in rows:
        if row is SEPARATING_LINE or not isinstance(row, (list, tuple)):
            breaks.append(len(plain))
        else:
            plain.append(list(row))
    keys = list(keys) + [""] * (len(headers) - len(keys))
    columns = [fit.Column(words.say(header), align, [row[i] for row in plain], key)
               for i, (header, align, key) in enumerate(zip(headers, colalign, keys,
                                                             strict=True))]
    return fit.fitted(columns, fmt, breaks, [*steps, *fit.SHORT_HEADERS, fit.COMPACT])


def _page(fmt: str, title: str, unit_line: str, blocks: list[str], footer: list[str]) -> str:
    """Title, unit line, the blocks (tables, charts) and the footer, for table or markdown.

    Footer lines indented by two spaces (the sources under 'Sources:') belong to the line
    above: in markdown they are its nested items, as in balance's footer. Title, unit line
    and footer are said in the run's language (render.words) and made printable(); the
    blocks are grids (cells made printable by _grid) and charts, whose colours stay. In a
    table, long lines wrap to the width (render.fit), continuation lines indented.
    """
    from pa_trade.render import fit

    title, unit_line = printable(words.say(title)), printable(words.say(unit_line))
    footer = [printable(_said(line)) for line in footer]
    if fmt == "markdown":
        lines = [f"**{title}**", "", f"_{unit_line}_", ""]
        for block in blocks:
            lines += [block.rstrip("\n"), ""]
        lines += [f"  - {line[2:]}" if line.startswith("  ") else f"- {line}"
                  for line in footer]
    else:
        lines = [*fit.wrapped([title, unit_line]), ""]
        for block in blocks:
            lines += [block.rstrip("\n"), ""]
        lines += fit.wrapped(footer)
    return "\n".join(lines).rstrip("\n") + "\n"


def _said(line: str) -> str:
    """A footer line in the run's language: 'Note: TEXT' as 'Nota: ' and TEXT said."""
    if line.startswith("Note: "):
        return f"{words.say('Note:')} {words.say(line[6:])}"
    return words.say(line)


def _about(fmt: str, title: str, units: str, valuation: str, period: str, notes, sources):
    """The About of a workbook (render.excel), None for every other format."""
    if fmt != "xlsx":
        return None
    from pa_trade.render.excel import About, distinct_sources

    return About(title=title, unit=UNITS[units][1], valuation=valuation, period=period,
                 notes=list(notes or []), sources=distinct_sources(sources))


def _valuations(table) -> str:
    return (f"exports {valuations_text(table['exports_valuation'])}, imports "
            f"{valuations_text(table['imports_valuation'])} (as each source states)")


def _sources_lines(values) -> list[str]:
    # the members of one archive in one line, as under balance's tables
    sources = compact_sources(sorted({s for value in values if isinstance(value, str)
                                      for s in value.split("; ") if s}))
    return ["Sources:"] + [f"  {s}" for s in sources] if sources else []


# --- mirror --------------------------------------------------------------------------------

MIRROR_MACHINE = [
    "year", "months", "exporter", "importer", "exports_reported_usd", "imports_reported_usd",
    "gap_usd", "ratio", "exports_valuation", "imports_valuation", "flag", "sources",
    "exports_sources", "imports_sources",
]
MIRROR_MONEY = ("exports_reported_usd", "imports_reported_usd", "gap_usd")


def mirror_band_line() -> str:
    from pa_trade.analysis.mirror import CIF_FOB_BAND, SAME_VALUATION_BAND

    low, high = CIF_FOB_BAND
    same_low, same_high = SAME_VALUATION_BAND
    return (f"Normal band of imports/exports: {low:.2f}–{high:.2f} for CIF imports against FOB "
            f"exports (the IMF's DOTS assumes CIF = FOB × 1.06), {same_low:.2f}–{same_high:.2f} "
            f"for the same valuation on both sides; 'above'/'below' marks a ratio outside it.")


def mirror_output(result: MirrorResult, fmt: str, units: str, footer: list[str],
                  raw_text: bool = False, notes: list[str] | None = None) -> str | bytes:
    """Render a MirrorResult; `footer` lines go under people's formats after the notes;
    `raw_text`: csv/tsv text cells as they are (render.to_delimited); `notes`: those of an
    xlsx's About sheet (what csv says on stderr)."""
    table = result.table
    if fmt in MACHINE:
        header = [_money_header(c, units) if c in MIRROR_MONEY else c for c in MIRROR_MACHINE]
        rows = []
        for record in table.itertuples(index=False):
            rows.append([
                int(record.year), record.months, record.exporter, record.importer,
                _money(record.exports_reported_usd, units),
                _money(record.imports_reported_usd, units),
                _money(record.gap_usd, units),
                _plain(record.ratio, 6), record.exports_valuation, record.imports_valuation,
                record.flag, record.sources, record.exports_sources, record.imports_sources,
            ])
        money = {_money_header(c, units) for c in MIRROR_MONEY}
        about = _about(fmt, _mirror_title(result), units,
                       "X: the exporter's exports, M: the importer's imports; "
                       + _valuations(table), result.period,
                       [mirror_band_line(), *(notes or [])], table["sources"])
        return machine_output(header, rows, fmt, money | {"ratio"}, raw_text, money, about)

    title = _mirror_title(result)
    unit_line = (f"Values in {UNITS[units][1]}; X: the exporter's exports, M: the importer's "
                 f"imports")
    rows, routes = [], []
    for record in table.itertuples(index=False):
        valuations = f"{record.exports_valuation or '–'}/{record.imports_valuation or '–'}"
        routes.append(f"{record.exporter} → {record.importer}")
        rows.append([
            record.year, f"{words.name_of(record.exporter, record.exporter_name)} → "
                         f"{words.name_of(record.importer, record.importer_name)}",
            human_number(record.exports_reported_usd, units),
            human_number(record.imports_reported_usd, units),
            human_number(record.gap_usd, units),
            "–" if _missing(record.ratio) else words.number(f"{record.ratio:.3f}"),
            words.say({"high": "above", "low": "below"}.get(record.flag, "")),
            valuations,
        ])
    rows = year_breaks(rows, table["year"].tolist(), fmt)
    from pa_trade.render import fit

    steps = [fit.without("year", lambda c: len(set(c.cells)) == 1),  # in the title
             fit.renamed("route", words.say("Flow"), dict(zip(
                 [r[1] for r in rows if isinstance(r, list)], routes, strict=True)).get)]
    grid = _grid(rows, ["Year", "Exporter → importer", "Exports", "Imports", "Gap M−X",
                        "M/X", "Band", "Val. X/M"],
                 fmt, ("right", "left", "right", "right", "right", "right", "left", "left"),
                 keys=("year", "route"), steps=steps)
    from pa_trade.analysis.mirror import GAP_REASONS

    lines = [GAP_REASONS, mirror_band_line()]
    lines += [f"Note: {note}" for note in result.notes]
    lines += _side_sources_lines(table) + footer
    return _page(fmt, title, unit_line, [grid], lines)


def _mirror_title(result: MirrorResult) -> str:
    from pa_trade.reference import countries

    return (f"Mirror statistics: {countries.name(result.a)} and {countries.name(result.b)}, "
            f"{result.period}")


def _side_sources_lines(table) -> list[str]:
    """Whose figures each side is: the sources of X and of M apart, when they differ."""
    x = _sources_lines(table["exports_sources"])[1:]
    m = _sources_lines(table["imports_sources"])[1:]
    if not x or not m or x == m:
        return _sources_lines(table["sources"])
    return ["Sources of X (the exporters' exports):", *x,
            "Sources of M (the importers' imports):", *m]


# --- trend ---------------------------------------------------------------------------------

TREND_MACHINE = [
    "reporter", "partner", "year", "months", "exports_usd", "imports_usd", "balance_usd",
    "trade_usd", "exports_change_pct", "imports_change_pct", "trade_change_pct",
    "balance_change_usd", "exports_valuation", "imports_valuation", "agreement", "sources",
]
TREND_MONEY = ("exports_usd", "imports_usd", "balance_usd", "trade_usd", "balance_change_usd")
TREND_PCT = ("exports_change_pct", "imports_change_pct", "trade_change_pct")
SUMMARY_MACHINE = [
    "reporter", "partner", "measure", "period", "agreement", "entry_into_force", "first_year",
    "last_year", "months", "first_usd", "last_usd", "multiple", "cagr_pct",
]
SUMMARY_MONEY = ("first_usd", "last_usd")
GROWTH_DEFINITION = (
    "CAGR = (last / first) ^ (1 / years) − 1. Before/after an agreement: from the first year "
    "to the base year (the last full year before it entered into force), and from the base "
    "year to the last year."
)


def trend_output(result: TrendResult, fmt: str, units: str, footer: list[str],
                 summary: bool = False, chart: str | None = None,
                 raw_text: bool = False, notes: list[str] | None = None) -> str | bytes:
    """Render a TrendResult: the yearly table, or with `summary` the growth table (machine
    formats); people's formats show both, then `chart` (terminal bars) if given; `raw_text`:
    csv/tsv text cells as they are (render.to_delimited); `notes`: those of an xlsx's About
    sheet (what csv says on stderr)."""
    table = result.table
    if fmt in MACHINE:
        agreements = [f"{agreement.name}: in force {agreement.entry_into_force}, base year "
                      f"{agreement.base_year}; source: {agreement.source}"
                      for agreement in result.agreements]
        about = _about(fmt, _trend_title(result), units, _valuations(table), result.period,
                       [GROWTH_DEFINITION, *agreements, *(notes or [])], table["sources"])
        if summary:
            return _trend_summary_machine(result, fmt, units, raw_text, about)
        return _machine_frame(table, TREND_MACHINE, TREND_MONEY,
                              dict.fromkeys(TREND_PCT, 4), ("year",), units, fmt, raw_text,
                              about)

    title = _trend_title(result)
    exports_val = valuations_text(table["exports_valuation"])
    imports_val = valuations_text(table["imports_valuation"])
    unit_line = (f"Values in {UNITS[units][1]}; exports {exports_val}, imports {imports_val}; "
                 f"y/y: change on the year before")
    rows = []
    for record in table.itertuples(index=False):
        mark = f"{FTA_MARK} {words.say(record.agreement)}" if record.agreement else ""
        rows.append([
            record.year,
            human_number(record.exports_usd, units), percent(record.exports_change_pct),
            human_number(record.imports_usd, units), percent(record.imports_change_pct),
            human_number(record.balance_usd, units),
            human_number(record.trade_usd, units), percent(record.trade_change_pct),
            mark,
        ])
    from pa_trade.render import fit

    # the agreements are named under the table, after their mark
    steps = [fit.renamed("agreement", words.say("FTA"), lambda v: FTA_MARK if v else "")]
    grid = _grid(rows, ["Year", "Exports", "y/y", "Imports", "y/y", "Balance", "Trade", "y/y",
                        "Agreement"],
                 fmt, ("right",) * 8 + ("left",), keys=("",) * 8 + ("agreement",),
                 steps=steps)
    growth = len(result.years) > 1
    blocks = [grid, _summary_grid(result, fmt)] if growth else [grid]
    if chart:
        blocks.append(f"```text\n{chart.rstrip()}\n```" if fmt == "markdown" else chart)
    lines = [GROWTH_DEFINITION if growth else "Growth needs two years or more."]
    for agreement in result.agreements:
        lines.append(f"{FTA_MARK} {agreement.name}: in force {agreement.entry_into_force}, "
                     f"base year {agreement.base_year}; source: {agreement.source}")
    lines += [f"Note: {note}" for note in result.notes]
    lines += _sources_lines(table["sources"]) + footer
    return _page(fmt, title, unit_line, blocks, lines)


def _trend_title(result: TrendResult) -> str:
    from pa_trade.reference import countries

    title = (f"{countries.name(result.reporter)}: trade with {result.partner_name}, "
             f"{result.period}")
    if len(result.members) > 1:
        title += f" (sum of {', '.join(result.members)})"
    return title


def _summary_grid(result: TrendResult, fmt: str) -> str:
    summary = result.summary

    def pick(period, measure, agreement=""):
        rows = summary[(summary["period"] == period) & (summary["measure"] == measure)
                       & (summary["agreement"] == agreement)]
        return rows.iloc[0]

    measures = ("exports", "imports", "trade")
    window = pick("window", "exports")
    first, last = int(window["first_year"]), int(window["last_year"])
    say = words.say
    rows = [
        [say(f"Multiple ({last} / {first})")]
        + [_multiple(pick("window", m)["multiple"]) for m in measures],
        [say(f"CAGR {first}–{last}")]
        + [percent(pick("window", m)["cagr_pct"]) for m in measures],
    ]
    for agreement in result.agreements:
        base, name = agreement.base_year, agreement.name
        rows.append([f"{FTA_MARK} {say(f'before {name}, {first}–{base}')}"]
                    + [percent(pick("before", m, name)["cagr_pct"]) for m in measures])
        rows.append([f"{FTA_MARK} {say(f'after {name}, {base}–{last}')}"]
                    + [percent(pick("after", m, name)["cagr_pct"]) for m in measures])
    return _grid(rows, [f"Growth {first}–{last}", "Exports", "Imports", "Trade"], fmt,
                 ("left", "right", "right", "right"))


def _multiple(value) -> str:
    return "–" if _missing(value) else words.number(f"×{value:,.2f}")


def _trend_summary_machine(result: TrendResult, fmt: str, units: str,
                           raw_text: bool = False, about=None) -> str | bytes:
    return _machine_frame(result.summary, SUMMARY_MACHINE, SUMMARY_MONEY,
                          {"multiple": 6, "cagr_pct": 6}, ("first_year", "last_year"), units,
                          fmt, raw_text, about)


def _machine_frame(frame, columns, money, decimals: dict[str, int], integers, units: str,
                   fmt: str, raw_text: bool = False, about=None) -> str | bytes:
    """A machine format of `columns` of a frame: `money` in `units` (headers say which),
    `decimals` columns as plain numbers rounded so, `integers` as integers, the rest as text;
    a missing value is empty (null in JSON); `about` for an xlsx."""
    header = [_money_header(c, units) if c in money else c for c in columns]
    rows = []
    for record in frame[columns].itertuples(index=False):
        row = []
        for column, value in zip(columns, record, strict=True):
            if column in money:
                row.append(_money(value, units))
            elif column in decimals:
                row.append(_plain(value, decimals[column]))
            elif column in integers:
                row.append(int(value))
            else:
                row.append("" if _missing(value) else value)
        rows.append(row)
    money_headers = {_money_header(c, units) for c in money}
    return machine_output(header, rows, fmt, money_headers | set(decimals), raw_text,
                          money_headers, about)


def trend_chart(result: TrendResult, units: str, width: int | None = None,
                colour: bool | None = None) -> str:
    """Imports left, exports right, one line per year; the balance after the bars; the year an
    agreement entered into force marked ◆."""
    from pa_trade.render.charts import pair_bars

    table = result.table
    labels = [f"{year}{' ' + FTA_MARK if agreement else ''}"
              for year, agreement in zip(table["year"], table["agreement"], strict=True)]
    balance = [("–" if _missing(b) else
                ("+" if b > 0 else "") + human_number(b, units)) for b in table["balance_usd"]]
    return pair_bars(
        labels, table["imports_usd"].tolist(), table["exports_usd"].tolist(), width,
        left_title=words.say("◀ imports"), right_title=words.say("exports ▶"), text=balance,
        text_title=words.say("balance"), colour=colour,
        title=words.say(f"Imports and exports, {UNITS[units][1]}"
                        + (f" ({FTA_MARK} agreement in force)" if result.agreements else "")),
    )


def trend_plot(result: TrendResult, path: str, units: str) -> None:
    """Write the trend as a PNG or SVG chart (matplotlib), FTA lines included."""
    from pa_trade.reference import countries
    from pa_trade.render.charts import plot_trend

    table = result.table
    sources = sorted({s for v in table["sources"] for s in str(v).split("; ") if s})
    plot_trend(
        table["year"].tolist(), table["exports_usd"].tolist(), table["imports_usd"].tolist(),
        path,
        title=(f"{countries.name(result.reporter)}: trade with {result.partner_name}, "
               f"{result.period}"),
        unit_label=f"{UNITS[units][1][0].upper()}{UNITS[units][1][1:]}",
        scale=UNITS[units][0],
        agreements=[(a.name, a.entry_into_force) for a in result.agreements],
        caption=(f"Exports {valuations_text(table['exports_valuation'])}, imports "
                 f"{valuations_text(table['imports_valuation'])}. Source: {'; '.join(sources)}"),
    )


# --- matrix --------------------------------------------------------------------------------

def matrix_output(result: MatrixResult, fmt: str, units: str, footer: list[str],
                  bloc_name: str, raw_text: bool = False,
                  notes: list[str] | None = None) -> str | bytes:
    """Render a MatrixResult. Machine formats: wide, first column `exporter`, then one column
    per importer ISO3, then `year` (as in every machine output: the year may have been chosen
    for the user) and `months` (the months of the row's cells: '1-12', or each importer's
    when they differ, 'COL 1-12; MEX 1-6'); people's formats add names, totals, units and
    valuation, and mark the cells over other months than the rest (left out of the
    totals). `raw_text`: csv/tsv text cells as they are (render.to_delimited); `notes`: those
    of an xlsx's About sheet (what csv says on stderr)."""
    wide = result.wide
    members = result.members
    if fmt in MACHINE:
        header = ["exporter", *members, "year", "months"]
        rows = []
        for exporter in members:
            rows.append([exporter]
                        + [_money(wide.at[exporter, importer], units) for importer in members]
                        + [int(result.year), result.row_months(exporter)])
        about = _about(fmt, _matrix_title(result, bloc_name), units,
                       f"{result.side} {result.valuation or 'n/a'}; rows export to columns",
                       result.period, notes, result.table["sources"])
        return machine_output(header, rows, fmt, set(members), raw_text, about=about)

    from pa_trade.analysis.matrix import ODD_MARK, column_totals, row_totals
    from pa_trade.reference import countries

    title = _matrix_title(result, bloc_name)
    unit_line = (f"Values in {UNITS[units][1]}; {result.side} {result.valuation or 'n/a'}; "
                 f"rows export to columns")
    names = {code: words.name_of(code, countries.name(code)) for code in members}
    by_row, by_column = row_totals(result), column_totals(result)
    odd = set(result.odd_cells())
    rows = []
    for exporter in members:
        cells = []
        for importer in members:
            if importer == exporter:
                cells.append("·")
            else:
                mark = f" {ODD_MARK}" if (exporter, importer) in odd else ""
                cells.append(human_number(wide.at[exporter, importer], units) + mark)
        rows.append([names[exporter], *cells, human_number(by_row[exporter], units)])
    if fmt != "markdown":
        from tabulate import SEPARATING_LINE

        rows.append(SEPARATING_LINE)
    grand = by_row.sum(min_count=1)
    rows.append([words.say("Total"), *[human_number(by_column[c], units) for c in members],
                 human_number(grand, units)])
    headers = ["Exporter \\ importer", *[names[c] for c in members], "Total"]

    def codes(columns):  # names to ISO codes, in the header and down the first column
        by_name = {name: code for code, name in names.items()}
        return [c._replace(header=by_name.get(c.header, c.header),
                           cells=[by_name.get(v, v) for v in c.cells]) for c in columns]

    grid = _grid(rows, headers, fmt, ("left",) + ("right",) * (len(members) + 1),
                 steps=[codes])
    legend = "– not reported; · a country with itself"
    if odd:
        legend += f"; {ODD_MARK} other months than the other cells, left out of the totals"
    lines = [f"{legend}. Totals are over the members shown."]
    lines += [f"Note: {note}" for note in result.notes]
    lines += _sources_lines(result.table["sources"]) + footer
    return _page(fmt, title, unit_line, [grid], lines)


def _matrix_title(result: MatrixResult, bloc_name: str) -> str:
    who = "importers" if result.mirror else "exporters"
    return f"{bloc_name}: trade between members, {result.period}, as the {who} report it"
