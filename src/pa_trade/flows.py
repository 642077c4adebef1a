"""The one canonical table of trade flows that every reader produces and every analysis consumes.

Columns: reporter, partner (ISO3 or an aggregate code such as WLD), year, month (optional),
flow ('export' | 'import'), value_usd (US dollars, kept to the cent), valuation
('FOB' | 'CIF' | 'unknown'), source, hs_code (optional, text).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

COLUMNS = ["reporter", "partner", "year", "month", "flow", "value_usd", "valuation", "source",
           "hs_code"]
KEY = ["reporter", "partner", "year", "month", "flow", "valuation", "source", "hs_code"]
FLOWS = ("export", "import")
VALUATIONS = ("FOB", "CIF", "unknown")
TIDY_REQUIRED = ["reporter", "partner", "year", "flow", "value_usd", "valuation", "source"]


def empty() -> pd.DataFrame:
    """A canonical table with no rows."""
    return normalise_frame(None)


def normalise_frame(frame) -> pd.DataFrame:
    """Give a frame the canonical columns, order and dtypes; values rounded to the cent."""
    import pandas as pd

    if frame is None:
        frame = pd.DataFrame({c: [] for c in COLUMNS})
    missing = {column: pd.NA for column in ("month", "hs_code") if column not in frame}
    if missing:  # the caller's frame is left as it was
        frame = frame.assign(**missing)
    out = pd.DataFrame(
        {
            "reporter": frame["reporter"].astype("string"),
            "partner": frame["partner"].astype("string"),
            "year": frame["year"].astype("int64"),
            "month": frame["month"].astype("Int64"),
            "flow": frame["flow"].astype("string"),
            "value_usd": frame["value_usd"].astype("float64").round(2),
            "valuation": frame["valuation"].astype("string"),
            "source": frame["source"].astype("string"),
            "hs_code": frame["hs_code"].astype("string"),
        }
    )
    return out.reset_index(drop=True)


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


def to_tidy_csv(frame: pd.DataFrame, out) -> None:
    """Write flows as pa-trade's tidy CSV (formats.md §5): UTF-8, comma, plain numbers.

    month and hs_code are written only when some row has them. `out` is a path or a text stream.
    """
    frame = normalise_frame(frame)
    columns = ["reporter", "partner", "year"]
    if frame["month"].notna().any():
        columns.append("month")
    columns += ["flow", "value_usd", "valuation", "source"]
    if frame["hs_code"].notna().any():
        columns.append("hs_code")
    # a stable order whatever order the readers produced
    frame = frame.sort_values(["reporter", "partner", "year", "month", "flow", "valuation",
                               "hs_code", "source"], na_position="first", kind="stable")
    table = frame[columns].copy()
    table["value_usd"] = [format_usd(v) for v in frame["value_usd"]]
    table.to_csv(out, index=False, lineterminator="\n")
