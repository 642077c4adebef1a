"""The one canonical table of trade flows that every reader produces and every analysis consumes.

Columns: reporter, partner (ISO3 or an aggregate code such as WLD), year, month (optional),
months (optional), flow ('export' | 'import'), value_usd (US dollars, kept to the cent),
valuation ('FOB' | 'CIF' | 'unknown'), source, hs_code (optional, text).

Every figure knows the months it covers: its `month` when it is a month's figure; else the
`months` of the year it covers, written as periods.spec writes them ('1-7' for a table's
cumulative 'Enero-julio' column); empty `months` on a figure without a month is the whole
year.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pa_trade import periods

if TYPE_CHECKING:
    import pandas as pd

COLUMNS = ["reporter", "partner", "year", "month", "months", "flow", "value_usd", "valuation",
           "source", "hs_code"]
KEY = ["reporter", "partner", "year", "month", "months", "flow", "valuation", "source",
       "hs_code"]
FLOWS = ("export", "import")
VALUATIONS = ("FOB", "CIF", "unknown")
TIDY_REQUIRED = ["reporter", "partner", "year", "flow", "value_usd", "valuation", "source"]
WHOLE_YEAR = "1-12"


def empty() -> pd.DataFrame:
    """A canonical table with no rows."""
    return normalise_frame(None)


DTYPES = {"reporter": "string", "partner": "string", "year": "int64", "month": "Int64",
          "months": "string", "flow": "string", "value_usd": "float64",
          "valuation": "string", "source": "string", "hs_code": "string"}


def normalise_frame(frame) -> pd.DataFrame:
    """Give a frame the canonical columns, order and dtypes; values rounded to the cent."""
    import pandas as pd

    if frame is None:
        return _empty_frame().copy()
    missing = {column: pd.NA for column in ("month", "months", "hs_code")
               if column not in frame}
    if missing:  # the caller's frame is left as it was
        frame = frame.assign(**missing)

    def typed(column: str):
        # a column of the right type already is taken as it is: small frames are many
        found = frame[column]
        return found if str(found.dtype) == DTYPES[column] else found.astype(DTYPES[column])

    month = typed("month")
    months = typed("months")
    if months.notna().any():
        # a month's figure covers its month; a whole year is said by no months at all
        months = months.where(month.isna() & (months != WHOLE_YEAR))
    columns = {column: typed(column) for column in COLUMNS}
    columns.update(month=month, months=months, value_usd=columns["value_usd"].round(2))
    return pd.DataFrame(columns).reset_index(drop=True)


def _empty_frame() -> pd.DataFrame:
    """The canonical table with no rows, made once."""
    import pandas as pd

    global _EMPTY
    if _EMPTY is None:
        _EMPTY = pd.DataFrame({c: pd.Series([], dtype=t) for c, t in DTYPES.items()})
    return _EMPTY


_EMPTY = None


def aggregate(frame: pd.DataFrame) -> pd.DataFrame:
    """Sum value_usd over rows that share every other canonical column."""
    frame = normalise_frame(frame)
    if frame.empty:
        return frame
    summed = frame.groupby(KEY, dropna=False, sort=True, observed=True)["value_usd"].sum()
    return normalise_frame(summed.reset_index())


def format_usd(value: float) -> str:
    """Dollars as plain text, exact to the cent, without trailing zeros: 1752000000, 23885.1."""
    text = f"{value:.2f}"
    if text.endswith(".00"):
        text = text[:-3]
    elif text.endswith("0"):
        text = text[:-1]
    return "0" if text == "-0" else text


# What a spreadsheet takes for the start of a formula (OWASP, "CSV Injection"): these
# characters, and tab or carriage return, since a spreadsheet that trims a cell then sees
# what follows them
FORMULA_CHARS = ("=", "+", "-", "@")
FORMULA_STARTS = (*FORMULA_CHARS, "\t", "\r")
# looked past before a formula character: spaces (a spreadsheet may trim them) and the "'"
# of text already quoted (so that quoting is undone exactly, see needs_quote)
_LOOKED_PAST = "'" + "".join(c for c in map(chr, range(0x3001)) if c.isspace())


def needs_quote(text: str) -> bool:
    """True for text a spreadsheet could run as a formula: after any leading "'" it starts
    with a tab or a carriage return, or its first character past spaces and "'" is one of
    = + - @. Leading "'" are looked past so that a text that already starts with "'" before
    a formula start is quoted once more, and unquote_text gives every text back exactly."""
    return (text.lstrip("'").startswith(FORMULA_STARTS[len(FORMULA_CHARS):])
            or text.lstrip(_LOOKED_PAST).startswith(FORMULA_CHARS))


def safe_text(text: str) -> str:
    """A text cell for csv/tsv: with a leading "'" when needs_quote(text), else as it is."""
    return "'" + text if needs_quote(text) else text


def unquote_text(text: str) -> str:
    """The inverse of safe_text on what it writes: one leading "'" less where it added one."""
    return text[1:] if text.startswith("'") and needs_quote(text) else text


def safe_column(values: pd.Series) -> pd.Series:
    """safe_text over a text column (missing values kept), deciding once per distinct text."""
    quoted = {text for text in values.dropna().unique() if needs_quote(text)}
    if not quoted:
        return values
    return values.where(~values.isin(quoted), "'" + values)


def to_tidy_csv(frame: pd.DataFrame, out, raw_text: bool = False) -> None:
    """Write flows as pa-trade's tidy CSV (formats.md §5): UTF-8, comma, plain numbers.

    month, months and hs_code are written only when some row has them. `out` is a path or a
    text stream. Text cells that a spreadsheet would run as formulas get a leading "'"
    (safe_text), which the tidy reader removes, unless `raw_text`; numbers are never touched.
    """
    frame = normalise_frame(frame)
    columns = ["reporter", "partner", "year"]
    if frame["month"].notna().any():
        columns.append("month")
    if frame["months"].notna().any():
        columns.append("months")
    columns += ["flow", "value_usd", "valuation", "source"]
    if frame["hs_code"].notna().any():
        columns.append("hs_code")
    # a stable order whatever order the readers produced
    frame = frame.sort_values(["reporter", "partner", "year", "month", "flow", "valuation",
                               "hs_code", "source"], na_position="first", kind="stable")
    table = frame[columns].copy()
    table["value_usd"] = [format_usd(v) for v in frame["value_usd"]]
    if not raw_text:
        for column in columns:
            if column not in ("year", "month", "value_usd"):
                table[column] = safe_column(table[column])
    table.to_csv(out, index=False, lineterminator="\n")


def row_masks(frame: pd.DataFrame):
    """The mask of the months each row covers (numpy array): its month, the months of a
    yearly figure, or the whole year."""
    import numpy as np

    month = frame["month"].to_numpy(dtype="float64", na_value=np.nan)
    out = np.full(len(frame), periods.ALL_MONTHS, dtype=np.int64)
    monthly = ~np.isnan(month)
    out[monthly] = np.left_shift(1, month[monthly].astype(np.int64) - 1)
    if "months" in frame:
        given = frame["months"]
        some = given.notna().to_numpy() & ~monthly
        if some.any():
            specs = {text: periods.parse_spec(text) for text in given[some].unique()}
            out[some] = given[some].map(specs).to_numpy(dtype=np.int64)
    return out


def source_family(source: str) -> str:
    """'DANE export microdata' for 'DANE export microdata (Enero.csv)'."""
    # the first bracket: a file may be named 'Enero (1).csv' by the browser that saved it
    return source.split(" (", 1)[0] if source.endswith(")") else source


def keep_months(flows: pd.DataFrame, wanted: int) -> tuple[pd.DataFrame, list[str]]:
    """The flows of the months `wanted` only (--months), and notes on what could not be
    narrowed: a figure covering some of those months and others too (a whole year, a
    cumulative column) is left out, and its sources named. Monthly figures are kept for the
    months asked."""
    import numpy as np

    if flows.empty:
        return flows, []
    masks = row_masks(flows)
    inside = (masks & ~wanted) == 0
    straddling = ~inside & ((masks & wanted) != 0)
    notes = []
    for cumulative in (False, True):
        chosen = straddling & (flows["months"].notna().to_numpy() == cumulative)
        if not chosen.any():
            continue
        dropped = flows[chosen]
        sources = sorted(dropped["source"].dropna().unique())
        named = "; ".join(sources[:3]) + (f" and {len(sources) - 3} more" if len(sources) > 3
                                          else "")
        if cumulative:
            spans = sorted({periods.months_text(periods.parse_spec(m))
                            for m in dropped["months"].unique()})
            what = f"cumulative figures ({', '.join(spans)})"
        else:
            what = "whole-year figures"
        notes.append(f"{what} of {named} cannot be narrowed to "
                     f"{periods.months_text(wanted)}: left out "
                     f"({int(np.count_nonzero(chosen)):,} rows)")
    return flows[inside], notes


def covered_text(flows: pd.DataFrame) -> str:
    """'January–June 2023' or '2021-2022, January–June 2023': what some flows cover."""
    import numpy as np

    if flows.empty:
        return "nothing"
    masks = row_masks(flows)
    years = flows["year"].to_numpy()
    parts = []
    for year in sorted(set(years.tolist())):
        value = int(np.bitwise_or.reduce(masks[years == year]))
        parts.append(periods.describe(value, int(year)))
    return ", ".join(parts)
