"""Rendering of `products` and of `balance --gl`: tables for people, csv/tsv/json (and
csv-excel, xlsx: render.excel), the Grubel-Lloyd block. Only called once a command has its
result; pandas-free at import."""

from __future__ import annotations

MACHINE = ("csv", "tsv", "json", "csv-excel", "xlsx")  # render.tables.MACHINE_FORMATS
MACHINE_COLUMNS = [
    "partner", "year", "months", "product", "product_name", "exports_usd", "imports_usd",
    "balance_usd", "share_exports", "share_imports",
]
MONEY = ("exports_usd", "imports_usd", "balance_usd")
NAME_WIDTH = 42  # product names shortened to this many characters when a table must fit
GL_MEANING = "0 = all trade one-way, 1 = exports equal imports in every product"


def products_machine(result, fmt: str, units: str, raw_text: bool = False,
                     notes: list[str] | None = None) -> str | bytes:
    """csv / tsv / json / csv-excel / xlsx: one row per partner, year and product; the months
    the partner-year covers ('1-6', 'exports 1-6; imports 1-12'); money in `units` (full
    dollars by default), shares as fractions, codes as text ("09", never 9); `raw_text`:
    csv/tsv text cells as they are (render.to_delimited); `notes`: those of an xlsx's About
    sheet (what csv says on stderr)."""
    from pa_trade.render.tables import machine_number, machine_output

    gl_column = f"gl_{result.gl_level}" if result.gl_level else None
    columns = MACHINE_COLUMNS + ([gl_column] if gl_column else [])
    header = [f"{c}_{units}" if c in MONEY and units != "usd" else c for c in columns]
    rows = []
    for record in result.table.to_dict("records"):
        row = []
        for column in columns:
            value = record[column]
            if column in MONEY:
                row.append(machine_number(_float(value), units))
            elif column.startswith(("share_", "gl_")):
                row.append(_fraction(value))
            elif column == "year":
                row.append(int(value))
            else:
                row.append(str(value))
        rows.append(row)
    money = {h for h, c in zip(header, columns, strict=True) if c in MONEY}
    numeric = money | {h for h in header if h.startswith(("share_", "gl_"))}
    about = _about(result, units, notes) if fmt == "xlsx" else None
    return machine_output(header, rows, fmt, numeric, raw_text, money, about)


def _about(result, units: str, notes: list[str] | None):
    """The About sheet of a products workbook (render.excel)."""
    from pa_trade.reference import countries, products
    from pa_trade.render.excel import About
    from pa_trade.render.tables import UNITS

    title = (f"{countries.name(result.reporter)}: trade by "
             f"{products.level_label(result.level)}, {result.period}")
    return About(title=title, unit=UNITS[units][1], valuation=_valuations(result),
                 period=result.period, notes=list(notes or []),
                 sources=sorted(set(result.sources)))


def products_people(result, fmt: str, units: str, builtin: bool = False, flow_count: int = 0
                    ) -> str:
    """A table per partner and year: code, product, exports and imports with their shares,
    balance, a total row and, with --gl, the Grubel-Lloyd index under it."""
    from pa_trade.paths import BUILTIN_NOTE
    from pa_trade.reference import countries, products
    from pa_trade.render import fit, words
    from pa_trade.render.tables import UNITS, Footer, printable

    markdown = fmt == "markdown"
    level = result.level
    title = words.say(f"{countries.name(result.reporter)}: trade by "
                      f"{products.level_label(level)}, {result.period}")
    unit_line = words.say(f"Values in {UNITS[units][1]}; {_valuations(result)}")
    lines = ([f"**{title}**", "", f"_{unit_line}_", ""] if markdown
             else [*fit.wrapped([title, unit_line]), ""])
    gl_column = f"gl_{result.gl_level}" if result.gl_level else None
    table = result.table
    periods = _block_periods(result)
    for (year, partner), block in table.groupby(["year", "partner"], sort=False):
        name = block["partner_name"].iloc[0]
        period = periods.get((partner, int(year)), str(year))
        heading = printable(words.say(f"With {name}, {period}" if partner != "WLD"
                                      else f"{name}, {period}"))
        lines += [f"**{heading}**", ""] if markdown else [heading]
        lines += [_block_grid(block, result.flow, level, units, fmt), ""]
        if gl_column:
            value = block[gl_column].iloc[0]
            shown = "–" if value != value else words.number(f"{value:.3f}")
            text = words.say(f"Grubel–Lloyd index at "
                             f"{products.level_label(level=result.gl_level)} level: {shown} "
                             f"({GL_MEANING})")
            lines += [f"_{text}_" if markdown else text, ""]
    extra = ["Shares are of the partner's total exports (imports) with a tariff code in that "
             "year."]
    if builtin:
        extra.append(BUILTIN_NOTE.format(n=flow_count))
    footer = Footer(notes=[words.say(n) for n in result.notes], sources=list(result.sources),
                    extra=[words.say(e) for e in extra])
    lines += footer.lines(markdown=markdown) if markdown else fit.wrapped(footer.lines())
    return "\n".join(lines).rstrip("\n") + "\n"


def _block_periods(result) -> dict:
    """{(partner, year): 'January–June 2022'} for each partner-year's heading: the year, with
    its months when not whole; each side's when they differ ('2023 (exports January–June,
    imports the whole year)')."""
    from pa_trade import periods
    from pa_trade.analysis.coverage import MIXED

    def words(mask: int) -> str:
        return ("various months" if mask == MIXED else "the whole year"
                if mask == periods.ALL_MONTHS else periods.months_text(mask))

    out = {}
    for record in (result.periods.itertuples(index=False) if result.periods is not None
                   else []):
        year = int(record.year)
        sides = {side: int(mask) for side, mask in (("exports", record.exports_mask),
                                                    ("imports", record.imports_mask))
                 if mask == mask}
        values = set(sides.values())
        if len(values) == 1 and MIXED not in values:
            out[record.partner, year] = periods.describe(values.pop(), year)
        elif sides:
            out[record.partner, year] = (f"{year} ("
                                         + ", ".join(f"{side} {words(mask)}"
                                                     for side, mask in sides.items()) + ")")
    return out


def _block_grid(block, flow: str | None, level: str, units: str, fmt: str) -> str:
    from pa_trade.render import fit, words
    from pa_trade.render.tables import human_number

    code_header = {"section": "Section", "group": None}.get(level, "Code")
    sides = {"export": ["exports"], "import": ["imports"]}.get(flow or "", ["exports", "imports"])
    headers = [code_header, "Product"] if code_header else ["Group"]
    keys = ["code", "product"] if code_header else ["product"]
    for side in sides:
        headers += [side.capitalize(), "Share"]
        keys += [side, f"share_{side}"]
    if flow is None:
        headers.append("Balance")
        keys.append("balance")
    rows = []
    for record in block.to_dict("records"):
        other = record["kind"] == "other"
        row = [_short_name(record, level)]
        if code_header:
            row.insert(0, "" if other else record["product"])
        for side in sides:
            row += [human_number(_float(record[f"{side}_usd"]), units),
                    _percent(record[f"share_{side}"])]
        if flow is None:
            row.append(human_number(_float(record["balance_usd"]), units))
        rows.append(row)
    total = ["", words.say("Total")] if code_header else [words.say("Total")]
    for side in sides:
        values = block[f"{side}_usd"]
        amount = float(values.sum()) if values.notna().all() else float("nan")
        shares = block[f"share_{side}"]
        share = float(shares.sum()) if shares.notna().all() else float("nan")
        total += [human_number(amount, units), _percent(share)]
    if flow is None:
        balances = block["balance_usd"]
        total.append(human_number(float(balances.sum()) if balances.notna().all()
                                  else float("nan"), units))
    rows.append(total)
    names = 2 if code_header else 1
    align = ["left"] * names + ["right"] * (len(headers) - names)
    columns = [fit.Column(words.say(header), a, [row[i] for row in rows], key)
               for i, (header, a, key) in enumerate(zip(headers, align, keys, strict=True))]
    # a side the data lack (said in the unit line) goes first, then the balance it leaves
    # empty; then shorter product names
    empty = {c.key for c in columns if all(v == "–" for v in c.cells)}

    def without_side(side):  # a side's amount and share go together
        def step(cols):
            kept = [c for c in cols if c.key not in (side, f"share_{side}")]
            return kept if len(kept) != len(cols) else cols
        return step

    steps = [without_side(side) for side in ("imports", "exports") if side in empty]
    steps += [fit.without("balance")] if "balance" in empty else []
    for limit in (NAME_WIDTH, 24):
        steps.append(fit.renamed("product", words.say("Product"), lambda v, n=limit: v
                                 if len(v) <= n else v[:n - 1].rstrip() + "…"))
    return fit.fitted(columns, fmt, [len(rows) - 1], steps)


def _short_name(record: dict, level: str) -> str:
    from pa_trade.reference import products
    from pa_trade.render import words

    if record["kind"] == "other":
        text = words.say(record["product_name"])
    else:
        text = products.name(record["product"], level, "es" if words.spanish() else "en",
                             short=True)
    return text  # shortened only to fit the width (render.fit, in _block_grid)


def _valuations(result) -> str:
    """'exports FOB, imports CIF (as each source states)'; a side the data lack says so."""
    sides = []
    for side, label in (("exports", result.exports_valuation),
                        ("imports", result.imports_valuation)):
        sides.append(f"{side} {label}" if label != "n/a" else f"no {side} in the data")
    return ", ".join(sides) + " (as each source states)"


def unit_note(result, units: str) -> str:
    unit = "US dollars" if units == "usd" else f"{units} of US dollars"
    return (f"values in {unit}; {_valuations(result)}; shares are fractions of the "
            f"partner-year's total with a tariff code")


# -- rendering: balance --gl -----------------------------------------------------------


def balance_gl_output(result, fmt: str, units: str, footer=None, chart: str | None = None,
                      raw_text: bool = False, notes: list[str] | None = None) -> str | bytes:
    """A balance with its Grubel-Lloyd column (`composition.with_gl`) in one of the formats.

    Machine formats get the column `gl_<level>` after the balance columns (`raw_text`:
    csv/tsv text cells as they are, see render.to_delimited); tables for people get the index
    per partner and year in a block under the notes (render's balance table has a fixed set
    of columns).
    """
    from pa_trade.render.tables import (
        Footer,
        balance_about,
        balance_output,
        machine_output,
        machine_table,
    )

    column = next(c for c in result.table.columns if c.startswith("gl_"))
    if fmt in MACHINE:
        header, rows = machine_table(result.table, units)
        for row, value in zip(rows, result.table[column], strict=True):
            row.append(_fraction(value))
        header.append(column)
        money = {h for h in header if h.startswith(MONEY)}
        about = balance_about(result, units, notes) if fmt == "xlsx" else None
        return machine_output(header, rows, fmt, money | {column}, raw_text, money, about)
    footer = footer or Footer()
    extra = gl_block(result.table, column, fmt == "markdown")
    footer = Footer(notes=footer.notes, sources=footer.sources, extra=extra + footer.extra)
    if chart is None:
        return balance_output(result, fmt, units, footer)
    return balance_output(result, fmt, units, footer, chart=chart)


def gl_block(table, column: str, markdown: bool) -> list[str]:
    """Lines naming the Grubel-Lloyd index of every row of a balance table that has one."""
    from pa_trade.reference import products

    level = column.removeprefix("gl_")
    title = (f"Intra-industry trade, Grubel–Lloyd index at {products.level_label(level)} "
             f"level ({GL_MEANING}):")
    entries = []
    for record in table.to_dict("records"):
        value = record[column]
        shown = "–" if value != value else f"{value:.3f}"
        who = record["partner_name"]
        if table["reporter"].nunique() > 1:
            who = f"{record['reporter']} with {who}"
        entries.append((who, str(record["year"]), shown))
    if markdown:
        return [title] + [f"{who}, {year}: {shown}" for who, year, shown in entries]
    width = max(len(who) for who, _, _ in entries)
    return [title] + [f"  {who.ljust(width)}  {year}  {shown:>5}" for who, year, shown in entries]


# -- shared pieces ---------------------------------------------------------------------




def _float(value) -> float:
    return float("nan") if value is None or value != value else float(value)


def _fraction(value) -> str:
    """A share or an index as plain text to 8 decimals ('0.5', '1', ''), for pipelines."""
    if value is None or value != value:
        return ""
    text = f"{float(value):.8f}".rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


def _percent(value) -> str:
    from pa_trade.render.words import number

    if value is None or value != value:
        return "–"
    return number(f"{100 * float(value):.1f}%")
