"""Which months the figures cover, and keeping only some months (--months).

A source covers months, not partners: DANE's microdata for January 2023 cover January for
every partner, including one Colombia sold nothing to that month. So the months of a
partner's figure for a year are those its sources cover for that reporter, flow and year,
over all partners. A source is known by its family (the `source` text before its file name
in brackets, 'DANE export microdata' for each monthly file), so that twelve monthly files
cover the year together.

Masks of months are periods' 12-bit integers; ALL_MONTHS is a whole year.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pa_trade import periods
from pa_trade.flows import row_masks, source_family

if TYPE_CHECKING:
    import pandas as pd

MIXED = -1  # a sum of figures that cover different months
NOTES_SHOWN = 6  # notes of one kind listed one by one; the rest are counted






def partner_months(flows: pd.DataFrame) -> pd.Series:
    """The mask of months covered per (reporter, partner, year, flow): the months the
    partner's sources cover for that reporter, flow and year (see the module's docstring)."""
    import pandas as pd

    keys = ["reporter", "partner", "year", "flow"]
    if flows.empty:
        index = pd.MultiIndex.from_tuples([], names=keys)
        return pd.Series([], index=index, dtype="int64", name="mask")
    if not (flows["month"].notna().any() or flows["months"].notna().any()):
        # yearly figures of whole years only (published figures, IMF, Comtrade): at once
        index = pd.MultiIndex.from_frame(flows[keys].drop_duplicates())
        return pd.Series(periods.ALL_MONTHS, index=index, dtype="int64", name="mask")
    import numpy as np

    # in integers: each column factorized once, groups found by np.unique on composite keys
    codes, uniques = {}, {}
    for column in ("reporter", "partner", "flow", "year"):
        codes[column], uniques[column] = pd.factorize(flows[column])
    sources, source_names = pd.factorize(flows["source"], use_na_sentinel=False)
    family_codes, _ = pd.factorize(np.asarray(
        [source_family(s) if isinstance(s, str) else "" for s in source_names], dtype=object))
    families = family_codes[sources]
    sizes = {column: len(uniques[column]) for column in codes}
    masks = row_masks(flows)
    per_family = ((codes["reporter"] * sizes["flow"] + codes["flow"]) * sizes["year"]
                  + codes["year"]) * (family_codes.max() + 1) + families
    found, inverse = np.unique(per_family, return_inverse=True)
    family_masks = np.zeros(len(found), dtype=np.int64)
    np.bitwise_or.at(family_masks, inverse, masks)
    # a partner's figure covers what its sources cover for every partner of the reporter
    pair = ((codes["reporter"] * sizes["partner"] + codes["partner"]) * sizes["year"]
            + codes["year"]) * sizes["flow"] + codes["flow"]
    pairs, at = np.unique(pair, return_inverse=True)
    out = np.zeros(len(pairs), dtype=np.int64)
    np.bitwise_or.at(out, at, family_masks[inverse])
    rest, flow = np.divmod(pairs, sizes["flow"])
    rest, year = np.divmod(rest, sizes["year"])
    reporter, partner = np.divmod(rest, sizes["partner"])
    index = pd.MultiIndex.from_arrays(
        [uniques["reporter"][reporter], uniques["partner"][partner],
         uniques["year"][year], uniques["flow"][flow]], names=keys)
    return pd.Series(out, index=index, name="mask")


def combined(masks) -> int:
    """The months of a sum of figures: theirs when they all cover the same, else MIXED;
    missing masks (a side without figures) are left out; ALL_MONTHS when none is left."""
    found = {int(m) for m in masks if m == m and m is not None}
    if not found:
        return periods.ALL_MONTHS
    return found.pop() if len(found) == 1 else MIXED


def months_field(exports_mask, imports_mask) -> str:
    """The `months` of a row for machine output: '1-6' when the figures on both sides (or
    the one side given) cover the same months, 'exports 1-6; imports 1-5' when they do not,
    'mixed' for a sum of figures over different months."""
    sides = {side: mask for side, mask in (("exports", exports_mask),
                                           ("imports", imports_mask))
             if mask == mask and mask is not None}
    if not sides:
        return ""
    if MIXED in sides.values():
        return "mixed"
    values = set(sides.values())
    if len(values) == 1:
        return periods.spec(int(values.pop()))
    return "; ".join(f"{side} {periods.spec(int(mask))}" for side, mask in sides.items())






def period_words(mask, year: int) -> str:
    """The months of a figure in a sentence: 'January–June 2023', 'the whole of 2023', or
    'various months of 2023' for a sum of figures over different months."""
    from pa_trade import periods
    from pa_trade.analysis.coverage import MIXED

    if int(mask) == MIXED:
        return f"various months of {year}"
    if int(mask) == periods.ALL_MONTHS:
        return f"the whole of {year}"
    return periods.describe(int(mask), year)


def part_year_note(year: int, mask: int) -> str:
    """'2023 covers January–June only (6 of 12 months), not the whole year' (as balance)."""
    from pa_trade import periods

    return (f"{year} covers {periods.months_text(mask)} only "
            f"({len(periods.months_of(mask))} of 12 months), not the whole year")


def like(exports_mask, imports_mask) -> bool:
    """Whether two figures can be compared: both cover the same months (not a sum over
    different months), or one of them is missing."""
    from pa_trade.analysis.coverage import MIXED

    if exports_mask != exports_mask or imports_mask != imports_mask:  # NaN: a side missing
        return True
    return exports_mask == imports_mask and exports_mask != MIXED


def capped(notes: list[str], what: str, shown: int = NOTES_SHOWN) -> list[str]:
    """The notes, or the first `shown` of them and one counting the others."""
    if len(notes) <= shown:
        return notes
    return notes[:shown] + [f"and {len(notes) - shown} more {what}"]


def side_months(flows: pd.DataFrame, reporters, years=None) -> pd.Series:
    """The months covered per (reporter, partner, year, flow) (coverage.partner_months),
    worked out over every partner of `reporters`: a source covers a month for all of its
    partners, even one with no trade that month."""
    rows = flows[flows["reporter"].isin(list(reporters))]
    if years is not None:
        rows = rows[rows["year"].isin(list(years))]
    return partner_months(rows)


def side_masks(rows: pd.DataFrame) -> list:
    """The masks of both sides (exports_mask, imports_mask) of some rows, sides without
    figures left out."""
    return [m for side in ("exports_mask", "imports_mask") for m in rows[side].tolist()
            if m == m]


def year_masks(table: pd.DataFrame) -> dict[int, int]:
    """The months each year's figures cover: one mask, or MIXED where they differ."""
    return {int(year): combined(side_masks(rows)) for year, rows in table.groupby("year")}


def part_year_notes(table: pd.DataFrame, single: bool = True) -> list[str]:
    """Notes on the years whose figures all cover one part year: one per year, or one for
    all when several years cover the same months ('each year covers January–June only').
    `single=False`: nothing for a lone year (the title says it)."""
    masks = year_masks(table)
    partial = {y: m for y, m in masks.items() if m not in (MIXED, periods.ALL_MONTHS)}
    if len(masks) > 1 and len(partial) == len(masks) and len(set(partial.values())) == 1:
        value = next(iter(partial.values()))
        return [f"each year covers {periods.months_text(value)} only "
                f"({len(periods.months_of(value))} of 12 months), not the whole year"]
    if len(masks) == 1 and not single:
        return []
    return [part_year_note(year, value) for year, value in sorted(partial.items())]


def period_of(table: pd.DataFrame, years: list[int]) -> str:
    """The period a table of figures (with exports_mask and imports_mask) covers, for its
    title: '2023', 'January–June 2023', '2022–2023, January–June of each year'."""
    span = periods.span(years)
    if "exports_mask" not in table:
        return span
    found = set(year_masks(table).values())
    if len(found) != 1 or MIXED in found or periods.ALL_MONTHS in found:
        return span
    value = found.pop()
    if len(years) == 1:
        return periods.describe(value, years[0])
    return f"{span}, {periods.months_text(value)} of each year"

