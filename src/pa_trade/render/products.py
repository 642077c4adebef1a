"""Rendering of `products` and of `balance --gl`: tables for people, csv/tsv/json (and
csv-excel, xlsx: render.excel), the Grubel-Lloyd block. Only called once a command has its
result; pandas-free at import."""

from __future__ import annotations

import functools

MACHINE = ("csv", "tsv", "json", "csv-excel", "xlsx")  # render.tables.MACHINE_FORMATS
MACHINE_COLUMNS = [
    "partner", "year", "months", "product", "product_name", "exports_usd", "imports_usd",
    "balance_usd", "share_exports", "share_imports",
]
MONEY = ("exports_usd", "imports_usd", "balance_usd")
NAME_WIDTH = 42  # product names shortened to this many characters when a table must fit
GL_MEANING = "0 = all trade one-way, 1 = exports equal imports in every product"


def products_machine(result, fmt: str, units: str, raw_text: bool = False,
                     notes: list[str] | None = None):
    """csv / tsv / json / csv-excel / xlsx: one row per partner, year and product; the months
    the partner-year covers ('1-6', 'exports 1-6; imports 1-12'); money in `units` (full
    dollars by default), shares as fractions, codes as text ("09", never 9); `raw_text`:
    csv/tsv text cells as they are (render.to_delimited); `notes`: those of an xlsx's About
    sheet (what csv says on stderr).

    Written column by column (_machine_cells): each text quoted once per distinct value,
    numbers by integer arithmetic, lines joined by Arrow; the text is render.tables'
    machine_output of the same cells, byte for byte. csv, tsv and json come as an iterator
    of chunks of UTF-8 bytes (cli.common.emit writes them as they come), xlsx as bytes."""
    from pa_trade.render.tables import machine_output

    gl_column = f"gl_{result.gl_level}" if result.gl_level else None
    columns = MACHINE_COLUMNS + ([gl_column] if gl_column else [])
    header = [f"{c}_{units}" if c in MONEY and units != "usd" else c for c in columns]
    money = {h for h, c in zip(header, columns, strict=True) if c in MONEY}
    numeric = money | {h for h in header if h.startswith(("share_", "gl_"))}
    if fmt in ("csv", "tsv"):
        return _delimited(header, result.table, columns, units, numeric,
                          "," if fmt == "csv" else "\t", raw_text)
    if fmt == "json":
        return _json_chunks(header, result.table, columns, units, numeric)
    cells = _machine_cells(result.table, columns, units)
    rows = [list(row) for row in zip(*(cells[c].to_pylist() if c != "year" else
                                       cells[c].tolist() for c in columns), strict=True)]
    about = _about(result, units, notes) if fmt == "xlsx" else None
    return machine_output(header, rows, fmt, numeric, raw_text, money, about)


CHUNK_ROWS = 1 << 17  # rows joined into text at a time


def _machine_cells(table, columns: list[str], units: str) -> dict:
    """The cells of each machine column, as render.tables.machine_output takes them: money
    and fractions as text (Arrow), years as integers (numpy), other columns as str() of
    each value (Arrow)."""
    import numpy as np
    import pyarrow as pa

    from pa_trade.flows import format_usd
    from pa_trade.render.tables import machine_number

    cells = {}
    for column in columns:
        if column in MONEY:
            values = table[column].to_numpy(dtype=np.float64, na_value=np.nan)
            if units == "usd":
                cells[column] = _decimal_texts(values, 2, format_usd)
            else:
                cells[column] = pa.array([machine_number(v, units) for v in values.tolist()],
                                         pa.string())
        elif column.startswith(("share_", "gl_")):
            cells[column] = _decimal_texts(
                table[column].to_numpy(dtype=np.float64, na_value=np.nan), 8, _fraction)
        elif column == "year":
            cells[column] = table[column].to_numpy(dtype=np.int64)
        else:
            cells[column] = _str_texts(table[column])
    return cells


def _str_texts(values):
    """str() of each value of a column, as an Arrow string array ('nan' for a missing one)."""
    import numpy as np
    import pandas as pd
    import pyarrow as pa
    import pyarrow.compute as pc

    if isinstance(values.dtype, pd.CategoricalDtype):  # each text once, rows as codes
        categories = values.cat.categories
        if pd.api.types.is_string_dtype(categories.dtype) and len(categories) > 1000:
            from pa_trade.flows import arrow_texts  # a million products: no Python text each

            texts = pa.concat_arrays([arrow_texts(categories), pa.array(["nan"])])
        else:
            texts = pa.array([str(v) for v in categories] + ["nan"], pa.string())
        codes = values.cat.codes.to_numpy().astype(np.int32)
        codes = np.where(codes < 0, len(texts) - 1, codes).astype(np.int32)
        if len(texts) > len(codes):  # more texts than rows (a chunk of a million products)
            return pc.take(texts, pa.array(codes))
        return pa.DictionaryArray.from_arrays(codes, texts)
    try:
        array = pa.array(values, from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        array = None
    if array is None or not (pa.types.is_string(array.type)
                             or pa.types.is_large_string(array.type)):
        return pa.array([str(v) for v in values.tolist()], pa.string())
    return pc.cast(pc.fill_null(array, "nan"), pa.string())


def _decimal_texts(values, places: int, exact):
    """f"{v:.{places}f}" without trailing zeros, a point left bare or a '-' before zero ('0',
    '12.5', '-3.25'; '' for NaN) of a numpy array -> an Arrow string array: whole units and
    the fraction apart, in integers. A value whose fraction sits near half a last place
    (where rounding could go either way) or too large for that is written by `exact`, the
    function of one value it stands for (flows.format_usd, _fraction).

    The whole units are Arrow's text of an integer; the digits after the point are looked up
    in tables of at most 10,000 texts, four digits at a time (_fraction_texts), so that each
    row costs a few array operations and no text is padded or trimmed row by row."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    scale = 10 ** places
    finite = np.isfinite(values)
    clean = np.where(finite, values, 0.0)
    whole = np.trunc(clean)
    scaled = clean - whole
    scaled *= scale
    del clean
    fraction = np.rint(scaled)
    scaled -= np.trunc(scaled)
    doubtful = np.abs(np.abs(scaled) - 0.5) < 1e-6
    doubtful |= np.abs(whole) >= 2.0 ** 52 / scale
    del scaled
    safe = finite & ~doubtful
    units = np.where(safe, whole, 0).astype(np.int64)
    units *= scale
    units += np.where(safe, fraction, 0).astype(np.int64)
    del whole, fraction
    size = np.abs(units)
    point = size % scale
    ints = size // scale
    negative = units < 0
    np.negative(ints, out=ints, where=negative)
    text = pc.binary_join_element_wise(pc.cast(pa.array(ints), pa.string()),
                                       _fraction_texts(point, places, True, "."), "")
    # -0.25: the whole units alone would lose the sign
    signless = np.flatnonzero(negative & (ints == 0))
    if len(signless):
        text = _replaced(text, signless, pc.binary_join_element_wise(
            "-", pc.take(text, pa.array(signless)), ""))
    missing = np.flatnonzero(np.isnan(values))
    if len(missing):
        text = _replaced(text, missing, pa.repeat(pa.scalar("", pa.string()), len(missing)))
    others = np.flatnonzero(~safe & ~np.isnan(values))
    if len(others):
        written = [exact(v) for v in values[others].tolist()]
        text = _replaced(text, others, pa.array(written, pa.string()))
    return text


def _replaced(texts, rows, by):
    """An Arrow string array with the texts at `rows` (numpy, ascending) replaced by `by`."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    mask = np.zeros(len(texts), dtype=bool)
    mask[rows] = True
    return pc.replace_with_mask(texts, pa.array(mask), by)


def _fraction_texts(point, places: int, trimmed: bool, before: str):
    """The `places` digits after the point of each integer of `point` (0 <= point <
    10 ** places) as an Arrow string array, each after `before`; `trimmed`: without trailing
    zeros, and nothing at all (not even `before`) for 0. Four digits at a time, each looked
    up in a table of its 10,000 texts."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    table = _digit_table
    if places <= 4:
        return pc.take(table(places, trimmed, before), pa.array(point))
    rest = places - 4
    high, low = np.divmod(point, 10 ** rest)
    head = pc.take(table(4, False, before), pa.array(high))
    if not trimmed:
        return pc.binary_join_element_wise(head, _fraction_texts(low, rest, False, ""), "")
    tail = pc.binary_join_element_wise(head, _fraction_texts(low, rest, True, ""), "")
    return pc.if_else(pa.array(low == 0), pc.take(table(4, True, before), pa.array(high)),
                      tail)


@functools.cache
def _digit_table(width: int, trim: bool, prefix: str):
    """The texts of 0 to 10 ** width - 1 in `width` digits after `prefix` (Arrow); `trim`:
    without trailing zeros, and 0 as nothing."""
    import pyarrow as pa

    texts = [f"{i:0{width}d}" for i in range(10 ** width)]
    if trim:
        texts = [prefix + t.rstrip("0") if i else "" for i, t in enumerate(texts)]
    else:
        texts = [prefix + t for t in texts]
    return pa.array(texts, pa.string())


def _distinct_texts(texts, plain: str, written) -> object:
    """`written(value)` for each value of an Arrow string (or dictionary) array, called once
    per distinct value and only for those matching the regular expression `plain` not: the
    others are their own text. -> a dictionary array of the written texts."""
    import pyarrow as pa
    import pyarrow.compute as pc

    encoded = pc.dictionary_encode(texts)
    distinct = encoded.dictionary
    odd = pc.invert(pc.match_substring_regex(distinct, plain))
    if pc.any(odd).as_py():
        import numpy as np

        rows = np.flatnonzero(odd.to_numpy(zero_copy_only=False))
        done = [written(v) for v in pc.take(distinct, pa.array(rows)).to_pylist()]
        distinct = pc.replace_with_mask(distinct, odd, pa.array(done, pa.string()))
    # kept as codes into the distinct texts: rows are spread out a chunk at a time (_joined)
    return pa.DictionaryArray.from_arrays(encoded.indices, distinct)


def _delimited(header: list[str], table, columns: list[str], units: str, numeric: set[str],
               delimiter: str, raw_text: bool):
    """render.tables.to_delimited of the table's machine cells, as chunks of UTF-8 bytes
    made a chunk of rows at a time (so that neither the cells nor the text of millions of
    rows are ever held whole): text cells kept from spreadsheets' formulas
    (flows.safe_text) unless `raw_text`, then quoted as csv.writer quotes them
    (QUOTE_MINIMAL, lines ending in a line feed)."""
    import csv
    import io

    import pyarrow as pa
    import pyarrow.compute as pc

    from pa_trade.flows import safe_text
    from pa_trade.threads import made_in_order

    def line(cells: list[str]) -> str:  # as csv.writer writes it (one writer a call:
        out = io.StringIO()  # chunks are made on several threads at once)
        csv.writer(out, delimiter=delimiter, lineterminator="\n").writerow(cells)
        return out.getvalue()

    def field(text: str) -> str:  # the field as csv.writer writes it inside a row
        return line([text if raw_text else safe_text(text), ""])[:-1 - len(delimiter)]

    yield line(header).encode("utf-8")
    # a text starting with a letter or a digit, with nothing csv quotes, is its own field
    plain = r'^[0-9A-Za-z][^"\r\n' + delimiter + "]*$"

    def chunk(first: int) -> bytes:
        cells = _machine_cells(table.iloc[first:first + CHUNK_ROWS], columns, units)
        fields = []
        for name, column in zip(header, cells.values(), strict=True):
            if not isinstance(column, (pa.Array, pa.ChunkedArray)):
                fields.append(pc.cast(pa.array(column), pa.string()))  # years
            elif name in numeric:
                fields.append(column)
            else:
                fields.append(_distinct_texts(column, plain, field))
        return _joined(fields, delimiter, "\n")

    yield from made_in_order(chunk, range(0, len(table), CHUNK_ROWS), ahead_per_core=2)


def _joined(fields: list, delimiter: str, end: str) -> bytes:
    """The rows of the fields (Arrow string arrays of one length) as UTF-8, each field after
    `delimiter` and each row ended by `end`."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    if not fields or not len(fields[0]):
        return b""
    parts = [_spread(f) for f in fields]
    parts[-1] = pc.binary_join_element_wise(parts[-1], end, "")
    lines = pc.binary_join_element_wise(*parts, delimiter)
    width = 8 if pa.types.is_large_string(lines.type) else 4
    offsets = np.frombuffer(lines.buffers()[1], dtype=np.int32 if width == 4 else np.int64,
                            count=len(lines) + 1, offset=lines.offset * width)
    return lines.buffers()[2].to_pybytes()[offsets[0]:offsets[-1]]


def _spread(texts):
    """A dictionary array as the plain texts of its rows; any other array as it is."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if pa.types.is_dictionary(texts.type):
        return pc.take(texts.dictionary, texts.indices)
    return texts


def _each_text(texts, change):
    """`change` (of an Arrow string array) applied to every row's text: to the distinct
    texts of a dictionary array, which stays one."""
    import pyarrow as pa

    if pa.types.is_dictionary(texts.type):
        return pa.DictionaryArray.from_arrays(texts.indices, change(texts.dictionary))
    return change(texts)


def _json(header: list[str], cells: dict, numeric: set[str]) -> str:
    """render.tables.to_json of the cells: an array of objects indented by two spaces,
    numbers as json.dumps writes what json.loads reads of them, empty ones null."""
    records = _json_records(header, cells, numeric).decode("utf-8")
    return "[\n" + records[:-2] + "\n]\n" if records else "[]\n"


def _json_chunks(header: list[str], table, columns: list[str], units: str,
                 numeric: set[str]):
    """_json of the table's machine cells, as chunks of UTF-8 bytes made a chunk of rows
    at a time on every core (as _delimited makes csv): the text of millions of products is
    never held whole."""
    from pa_trade.threads import made_in_order

    if not len(table):
        yield b"[]\n"
        return
    starts = range(0, len(table), CHUNK_ROWS)
    last = starts[-1]

    def chunk(first: int) -> bytes:
        records = _json_records(header, _machine_cells(
            table.iloc[first:first + CHUNK_ROWS], columns, units), numeric)
        # every record ends '\n  },\n'; the last of all closes the array instead
        return records[:-2] + b"\n]\n" if first == last else records

    yield b"[\n"
    yield from made_in_order(chunk, starts, ahead_per_core=2)


def _json_records(header: list[str], cells: dict, numeric: set[str]) -> bytes:
    """The cells' rows as JSON objects in UTF-8, each ending '\n  },\n' (b'' for none)."""
    import json

    import pyarrow as pa
    import pyarrow.compute as pc

    values = []
    for name, column in zip(header, cells.values(), strict=True):
        if not isinstance(column, (pa.Array, pa.ChunkedArray)):
            values.append(pc.cast(pa.array(column), pa.string()))
        elif name in numeric:
            values.append(_json_numbers(column))
        else:  # texts without a quote, a backslash or a control character: as they are
            written = _distinct_texts(
                column, r'^[^"\\\x00-\x1f]*$',
                lambda text: json.dumps(text, ensure_ascii=False)[1:-1])
            values.append(_each_text(written, lambda texts: pc.binary_join_element_wise(
                '"', texts, '"', "")))
    count = len(values[0]) if values else 0
    if not count:
        return b""
    parts = []
    for index, (name, column) in enumerate(zip(header, values, strict=True)):
        key = json.dumps(name, ensure_ascii=False)
        before = "  {\n    " if index == 0 else ",\n    "
        parts.append(_each_text(column, lambda texts, at=f"{before}{key}: ":
                                pc.binary_join_element_wise(at, texts, "")))
    return b"".join(_joined([part.slice(first, CHUNK_ROWS) for part in parts], "", "\n  },\n")
                    for first in range(0, count, CHUNK_ROWS))


def _json_numbers(texts):
    """json.dumps(json.loads(text)) of machine numbers ('250000', '0.5', '' -> null): an
    integer as it is; a float as Python's repr writes it, which is the text itself but
    below 1e-4 (an exponent: '1.436e-05') and for amounts of 16 digits or more (repr
    decides those, one by one)."""
    import json

    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    empty = pc.equal(texts, "")
    values = pc.cast(pc.if_else(empty, pa.scalar(None, pa.string()), texts), pa.float64())
    magnitude = np.abs(values.to_numpy(zero_copy_only=False))
    point = pc.match_substring(texts, ".").to_numpy(zero_copy_only=False)
    # a decimal of 15 digits or fewer is the shortest text of its float
    digits = pc.utf8_length(pc.replace_substring_regex(texts, r"[-.]", "")).to_numpy(
        zero_copy_only=False)
    odd = point & ((magnitude < 1e-4) | (digits > 15))
    out = pc.if_else(empty, "null", texts)
    rows = np.flatnonzero(odd)
    if len(rows):
        written = [json.dumps(json.loads(t)) for t in pc.take(texts, pa.array(rows))
                   .to_pylist()]
        out = pc.replace_with_mask(out, pa.array(odd), pa.array(written, pa.string()))
    return out


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
