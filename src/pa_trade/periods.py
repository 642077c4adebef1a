"""Months of the year: which ones a figure covers, written for people ('January–June') and
for machines ('1-6'), and read back from what users type (--months 1-6, 1,3, ene-jun).

A figure covers its month (monthly sources), a whole year (annual ones) or the months a
table says (a cumulative column 'Enero–julio'). Sets of months travel as 12-bit masks:
bit m-1 is month m, so the months of several figures are their masks OR'ed together.
Only the standard library: the command line parses --months before loading pandas.
"""

from __future__ import annotations

import re

from pa_trade.errors import UsageError

ALL_MONTHS = (1 << 12) - 1  # a whole year
# the years a figure may be of, in every layout: 1900 to 2099 (a FECH of 185001 is a typo)
FIRST_YEAR, LAST_YEAR = 1900, 2099
MONTH_NAMES = {1: "January", 2: "February", 3: "March", 4: "April", 5: "May", 6: "June",
               7: "July", 8: "August", 9: "September", 10: "October", 11: "November",
               12: "December"}
_SPANISH = ["enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto",
            "septiembre", "octubre", "noviembre", "diciembre"]
# names and three-letter abbreviations in English and Spanish ('setiembre' as Peru writes it)
_BY_NAME = {
    **{name.lower(): number for number, name in MONTH_NAMES.items()},
    **{name: number for number, name in enumerate(_SPANISH, start=1)},
    **{name.lower()[:3]: number for number, name in MONTH_NAMES.items()},
    **{name[:3]: number for number, name in enumerate(_SPANISH, start=1)},
    "setiembre": 9, "set": 9, "sept": 9,
}


def month_number(text: str) -> int | None:
    """1-12 for '7', '07', 'julio', 'July', 'jul' (any case, accents ignored); else None."""
    import unicodedata

    word = unicodedata.normalize("NFKD", text.strip().lower().rstrip("."))
    word = "".join(c for c in word if not unicodedata.combining(c))
    if word.isdigit():
        number = int(word)
        return number if 1 <= number <= 12 else None
    return _BY_NAME.get(word)


def mask(months) -> int:
    """The mask of some month numbers."""
    out = 0
    for month in months:
        out |= 1 << (int(month) - 1)
    return out


def months_of(value: int) -> list[int]:
    """The month numbers in a mask, in order."""
    return [m for m in range(1, 13) if value >> (m - 1) & 1]


def _runs(value: int) -> list[tuple[int, int]]:
    runs: list[list[int]] = []
    for month in months_of(value):
        if runs and month == runs[-1][1] + 1:
            runs[-1][1] = month
        else:
            runs.append([month, month])
    return [(a, b) for a, b in runs]


def spec(value: int) -> str:
    """'1-6', '1-3,7', '1-12' for machines; '' for no month."""
    return ",".join(f"{a}-{b}" if b > a else str(a) for a, b in _runs(value))


def parse_spec(text: str) -> int:
    """The mask of a spec as `spec` writes it ('1-6', '1-3,7'). ValueError if it is none."""
    value = 0
    for part in text.split(","):
        match = re.fullmatch(r"\s*(\d{1,2})\s*(?:-\s*(\d{1,2})\s*)?", part)
        if not match:
            raise ValueError(f"not a set of months: {text!r}")
        first, last = int(match.group(1)), int(match.group(2) or match.group(1))
        if not 1 <= first <= last <= 12:
            raise ValueError(f"not a set of months: {text!r}")
        value |= mask(range(first, last + 1))
    return value


def months_text(months, dash: str = "–") -> str:
    """'January–June', 'January–March, July', 'March' for people (a list of numbers or a
    mask); '' for none."""
    value = months if isinstance(months, int) else mask(months)
    return ", ".join(
        f"{MONTH_NAMES[a]}{dash}{MONTH_NAMES[b]}" if b > a else MONTH_NAMES[a]
        for a, b in _runs(value))


def describe(value: int, year: int | None = None) -> str:
    """'2023' for a whole year, 'January–June 2023' for part of one ('January–June' without a
    year)."""
    if value == ALL_MONTHS:
        return str(year) if year is not None else "the whole year"
    text = months_text(value)
    return f"{text} {year}" if year is not None else text


def parse_months(values) -> int | None:
    """--months as typed (repeatable): '1-6', '1,3', '7', 'ene-jun', 'enero-junio', 'jan-jun',
    quarters 'q1' or 't1' (trimestre), halves 's1' or 'h1' (semestre) -> a mask; None when
    not given. UsageError for anything else."""
    value = 0
    for typed in values:
        if not str(typed).strip():
            raise UsageError("--months '': expected months like 1-6, 1,3,5, ene-jun or q1")
        for part in [p for p in str(typed).split(",") if p.strip()]:
            word = part.strip().lower()
            if re.fullmatch(r"[qt][1-4]", word):  # a quarter, 'q' or 'trimestre'
                first = 3 * (int(word[1]) - 1) + 1
                value |= mask(range(first, first + 3))
                continue
            if re.fullmatch(r"[sh][12]", word):  # a half year, 'semestre'
                first = 6 * (int(word[1]) - 1) + 1
                value |= mask(range(first, first + 6))
                continue
            ends = [e for e in re.split(r"\s*[-–:]\s*", part.strip())]
            numbers = [month_number(e) for e in ends]
            if len(ends) > 2 or not ends or any(n is None for n in numbers):
                wrong = next((e for e, n in zip(ends, numbers, strict=True) if n is None),
                             part.strip())
                if wrong.isdigit():
                    raise UsageError(f"--months {typed!r}: there is no month {wrong}; months "
                                     f"are 1 to 12")
                raise UsageError(f"--months {typed!r}: expected months like 1-6, 1,3,5, "
                                 f"ene-jun or q1")
            first, last = numbers[0], numbers[-1]
            if last < first:
                raise UsageError(f"--months {typed!r}: the range ends before it starts")
            value |= mask(range(first, last + 1))
    return value or None


def span(years) -> str:
    """'2023' or '2021–2023': the first and last of some years."""
    years = sorted(int(y) for y in years)
    return f"{years[0]}" if len(years) == 1 or years[0] == years[-1] else (
        f"{years[0]}–{years[-1]}")
