"""Numbers as the offices write them: "1234.5", "1.234,5" (Spanish) or "1,234.5" (English)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation

from pa_trade.errors import DataError

# the largest amount a float holds to the cent: beyond it, a figure would be rounded
MAX_EXACT_USD = 2**53 / 100  # about 90 trillion dollars, four times world trade in a year
SPANISH = "spanish"
ENGLISH = "english"
STYLES = (SPANISH, ENGLISH)

# Marks the offices use for "no figure"
MISSING_MARKS = frozenset({"", "-", "--", "—", "–", "..", "...", "n.d.", "n.d", "nd", "n/d", "s.d.",
                           "na", "n.a.", "x"})

_SPACES = re.compile(r"[\s\u00a0\u202f']")
# Values that can be read only one way
_ONLY_SPANISH = (
    re.compile(r"^[+-]?[0-9]{1,3}(\.[0-9]{3})+,[0-9]+$"),  # 1.234,5
    re.compile(r"^[+-]?[0-9]+,([0-9]{1,2}|[0-9]{4,})$"),  # 12,5  1234,5678
    re.compile(r"^[+-]?([0-9]{4,}|0),[0-9]{3}$"),  # 1234,567  0,125
    re.compile(r"^[+-]?[0-9]{1,3}(\.[0-9]{3}){2,}$"),  # 1.234.567
)
_ONLY_ENGLISH = (
    re.compile(r"^[+-]?[0-9]{1,3}(,[0-9]{3})+\.[0-9]+$"),  # 1,234.5
    re.compile(r"^[+-]?[0-9]+\.([0-9]{1,2}|[0-9]{4,})$"),  # 12.5
    re.compile(r"^[+-]?([0-9]{4,}|0)\.[0-9]{3}$"),  # 1234.567  0.125
    re.compile(r"^[+-]?[0-9]{1,3}(,[0-9]{3}){2,}$"),  # 1,234,567
)
_VALID = {
    SPANISH: re.compile(r"^[+-]?([0-9]{1,3}(\.[0-9]{3})+|[0-9]+)(,[0-9]+)?$"),
    ENGLISH: re.compile(r"^[+-]?([0-9]{1,3}(,[0-9]{3})+|[0-9]+)(\.[0-9]+)?$"),
}


def is_missing(text: str) -> bool:
    """True for an empty cell or one of the offices' marks for 'no figure'."""
    return text.strip().lower() in MISSING_MARKS


def clean(text: str) -> str:
    """Strip spaces used as thousands separators and a leading currency sign."""
    return _SPACES.sub("", text).lstrip("$").replace("US$", "")


def style_of(text: str) -> str | None:
    """The style a single value can only be read in, or None when it is ambiguous or no number."""
    value = clean(text)
    if any(p.match(value) for p in _ONLY_SPANISH):
        return SPANISH
    if any(p.match(value) for p in _ONLY_ENGLISH):
        return ENGLISH
    return None


def detect_style(values: Iterable[tuple[int, str]], name: str) -> str | None:
    """Decide a file's number style from (line, text) pairs; None when no value decides it.

    Raises DataError when the file mixes styles, naming one value of each.
    """
    first: dict[str, tuple[int, str]] = {}
    for line, text in values:
        style = style_of(text)
        if style and style not in first:
            first[style] = (line, text)
            if len(first) == 2:
                (l1, t1), (l2, t2) = first[SPANISH], first[ENGLISH]
                raise DataError(
                    f"{name}: mixes number styles: {t1!r} (line {l1}) is Spanish-style, "
                    f"{t2!r} (line {l2}) is English-style; use --number-style to force one"
                )
    if first:
        return next(iter(first))
    return None


def normalise(text: str, style: str) -> str | None:
    """A plain '1234.5' string for a value in the given style, or None when it is not a number."""
    value = clean(text)
    if value.startswith("(") and value.endswith(")"):
        value = "-" + value[1:-1]  # accounting negatives
    if not _VALID[style].match(value):
        return None
    if style == SPANISH:
        return value.replace(".", "").replace(",", ".")
    return value.replace(",", "")


def holds(value_usd: float | Decimal) -> bool:
    """Whether an amount in dollars can be held to the cent (finite, below MAX_EXACT_USD)."""
    return abs(float(value_usd)) < MAX_EXACT_USD


def parse_decimal(text: str, style: str) -> Decimal | None:
    """Exact value of a cell in the given style, or None when it cannot be read (digits of
    other scripts included: every reader takes ASCII digits only)."""
    plain = normalise(text, style)
    if plain is None:
        return None
    try:
        return Decimal(plain)
    except InvalidOperation:
        return None


def parse_series(series, style: str):
    """Vectorised parse of a Series of text in one style -> floats (NaN where unreadable)."""
    import pandas as pd

    text = series.astype(str).str.replace(_SPACES, "", regex=True)
    valid = text.str.match(_VALID[style].pattern)
    if style == SPANISH:
        plain = text.str.replace(".", "", regex=False).str.replace(",", ".", regex=False)
    else:
        plain = text.str.replace(",", "", regex=False)
    return pd.to_numeric(plain.where(valid), errors="coerce")


# -- numbers for people ----------------------------------------------------------------------

# units -> (divisor, words, decimals shown to people)
UNITS = {
    "usd": (1, "US dollars", 0),
    "thousands": (1_000, "thousands of US dollars", 0),
    "millions": (1_000_000, "millions of US dollars", 1),
    "billions": (1_000_000_000, "billions of US dollars", 2),
}


def scaled(value: float, units: str) -> float:
    return value / UNITS[units][0]


def human_number(value, units: str) -> str:
    """1,752.0 for people: thousands separators, the unit's decimals, '–' when missing."""
    if value is None or value != value:
        return "–"
    decimals = UNITS[units][2]
    text = f"{scaled(value, units):,.{decimals}f}"
    return "0" + text[2:] if text.startswith("-0") and set(text[1:]) <= {"0", ".", ","} else text
