"""Trade of one reporter with a partner or a bloc over the years: growth, and growth before and
after a free-trade agreement entered into force.

Definitions (also in the README):
- year-on-year change: (value this year / value the year before - 1) x 100, only when the
  year before is in the data (after a year with no data it is empty, and a note says so) and
  both years cover the same months (January-June on January-June is a change; January-June
  on a whole year is not, and a note says so);
- CAGR between years y0 and y1: (value(y1) / value(y0)) ** (1 / (y1 - y0)) - 1; the growth
  multiple is value(y1) / value(y0). Undefined when either value is missing or value(y0) <= 0,
  or when the years from y0 to y1 do not all cover the same months;
- before / after an agreement that entered into force on a date in year E, inside the window
  (first year < E <= last year): the base year is B = E - 1, the last calendar year wholly
  before the agreement. "Before" is the CAGR from the first year to B, "after" the CAGR from B
  to the last year, so (1 + before) ** (B - first) * (1 + after) ** (last - B) is the growth
  multiple of the whole window. "Before" is undefined when B is the first year.

A year whose exports and imports cover different months has no balance and no trade (their
sum): six months of exports against twelve of imports is neither.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from pa_trade import periods
from pa_trade.analysis.balance import years_text
from pa_trade.errors import DataError, UsageError
from pa_trade.reference import countries
from pa_trade.reference.agreements import Agreement, agreements_between

if TYPE_CHECKING:

    import pandas as pd

MEASURES = ("exports", "imports", "trade")
COLUMNS = [
    "reporter", "partner", "year", "months", "exports_usd", "imports_usd", "balance_usd",
    "trade_usd", "exports_change_pct", "imports_change_pct", "trade_change_pct",
    "balance_change_usd", "exports_valuation", "imports_valuation", "agreement", "sources",
    "exports_mask", "imports_mask",
]
# months: what every year from first_year to last_year covers of the measure ('1-6', '1-12'),
# 'mixed' when they differ (then no multiple and no CAGR)
SUMMARY_COLUMNS = [
    "reporter", "partner", "measure", "period", "agreement", "entry_into_force", "first_year",
    "last_year", "months", "first_usd", "last_usd", "multiple", "cagr_pct",
]
@dataclass
class TrendResult:
    """Yearly trade of `reporter` with `partner`, and the growth summary."""

    table: pd.DataFrame
    summary: pd.DataFrame
    reporter: str
    partner: str
    partner_name: str
    members: list[str]
    years: list[int]
    agreements: list[Agreement]
    import_valuation: str
    notes: list[str] = field(default_factory=list)

    @property
    def period(self) -> str:
        """The years shown, with the months they cover when every year covers one same part
        year: '2023', 'January–June 2023', '2022–2023, January–June of each year'."""
        from pa_trade.analysis.coverage import period_of

        return period_of(self.table, self.years)


def cagr(first_value: float, last_value: float, years: int) -> float:
    """Compound annual growth rate as a fraction (0.05 is 5% a year); NaN when undefined."""
    if years <= 0 or not _number(first_value) or not _number(last_value):
        return float("nan")
    if first_value <= 0 or last_value < 0:
        return float("nan")
    return (last_value / first_value) ** (1.0 / years) - 1.0


def _number(value) -> bool:
    return value is not None and value == value


def trend(
    flows: pd.DataFrame,
    reporter: str | countries.Bloc,
    partner: str | countries.Bloc,
    years: list[int] | None = None,
    valuation: str = "CIF",
    agreements: list[Agreement] | None = None,
) -> TrendResult:
    """Exports, imports, balance and growth of `reporter` with `partner`, per year.

    `partner` is a country or aggregate code, or a Bloc: then trade with the bloc is the sum
    over its members of each year except the reporter. `reporter` is a country code, or a
    Bloc: then its members of each year (`Bloc.members_in`) are added up, and a partner bloc
    counts only the countries outside it. `agreements` (e.g. `read_ftas()`) between the
    reporter and the partner(s) that entered into force inside the window get before/after
    growth rows in the summary and are marked in the table. Raises DataError when nothing
    matches.
    """
    import pandas as pd

    from pa_trade.analysis.balance import coverage
    from pa_trade.analysis.coverage import (
        combined,
        like,
        months_field,
        part_year_notes,
        period_of,
        side_months,
    )
    from pa_trade.analysis.mirror import reported

    valuation = valuation.upper()
    reporter_bloc = reporter if isinstance(reporter, countries.Bloc) else None
    if reporter_bloc is not None:
        reporters = list(reporter_bloc.members)
        reporter, reporter_name = reporter_bloc.code, reporter_bloc.name_en
    else:
        reporters, reporter_name = [reporter], countries.name(reporter)
    if isinstance(partner, countries.Bloc):
        if reporter_bloc is not None and partner.code == reporter_bloc.code:
            raise UsageError(f"the {reporter_name} cannot be its own partner (its trade "
                             f"inside: balance {reporter_bloc.id} --partner "
                             f"{reporter_bloc.id})")
        members = [m for m in partner.members if m not in reporters]
        partner_code, partner_name = partner.code, partner.name_en
    else:
        if partner in reporters:
            what = f"a member of the {reporter_name}" if reporter_bloc else "its own partner"
            raise UsageError(f"{countries.name(partner)} cannot be {what}")
        members, partner_code, partner_name = [partner], partner, countries.name(partner)
    pool = flows[flows["reporter"].isin(reporters) & flows["partner"].isin(members)]
    pool = _members_of_each_year(pool, reporter_bloc, partner)
    if not flows["reporter"].isin(reporters).any():
        raise DataError(f"no data for {_reporter_words(reporter_bloc, reporter_name)} as "
                        f"reporter; {coverage(flows)}")
    mine = pool[pool["year"].isin(years)] if years else pool
    if mine.empty:
        span = f" in {years_text(years)}" if years else ""
        where = coverage(flows) if reporter_bloc else coverage(flows, reporter)
        raise DataError(f"no data for {_reporter_words(reporter_bloc, reporter_name)} with "
                        f"{partner_name}{span}; {where}")

    window = sorted(set(mine["year"].tolist()))
    # every loaded year from the one before the window to its last gives each shown year its
    # change on the year before, even a year not asked for (only the window is shown)
    mine = pool[pool["year"].between(window[0] - 1, window[-1])]
    # the months of every partner's figures, from all of the reporter's partners
    months = side_months(flows, reporters, range(window[0] - 1, window[-1] + 1))
    exports = reported(mine, "export", "FOB", months)
    imports = reported(mine, "import", valuation, months)
    notes: list[str] = []
    table = pd.DataFrame({"year": sorted(set(mine["year"].tolist()))})
    for side, frame in (("exports", exports), ("imports", imports)):
        per_year = frame.groupby("year").agg(
            value=("value_usd", lambda s: s.sum(min_count=1)),
            valuation=("valuation", lambda s: _join_labels(s)),
            sources=("sources", lambda s: "; ".join(sorted({x for v in s
                                                             for x in v.split("; ") if x}))),
            partners=("partner", lambda s: sorted(set(s))),
            reporters=("reporter", lambda s: sorted(set(s))),
            mask=("mask", combined),  # a bloc's members over different months: MIXED
        )
        table = table.merge(per_year.add_prefix(f"{side}_"), left_on="year", right_index=True,
                            how="left")
        table = table.rename(columns={f"{side}_value": f"{side}_usd"})
        if len(members) > 1:
            for year, got in zip(per_year.index, per_year["partners"], strict=True):
                missing = [m for m in members if m not in got]
                if missing and year in window:
                    notes.append(f"{year}: {side} with {partner_name} cover "
                                 f"{', '.join(got)} only (no data for {', '.join(missing)})")
        if reporter_bloc is not None:
            for year, got in zip(per_year.index, per_year["reporters"], strict=True):
                missing = [m for m in reporter_bloc.members_in(year) if m not in got]
                if missing and year in window:
                    notes.append(f"{year}: {side} of the {reporter_name} add up "
                                 f"{', '.join(got)} only (no data from {', '.join(missing)})")
    for side in ("exports", "imports"):
        table[f"{side}_usd"] = table[f"{side}_usd"].astype("float64")
        table[f"{side}_mask"] = table[f"{side}_mask"].astype("float64")
        table[f"{side}_valuation"] = table[f"{side}_valuation"].astype("string").fillna("")
    # exports and imports of different months make no balance and no trade
    same = pd.Series([like(x, m) for x, m in zip(table["exports_mask"], table["imports_mask"],
                                                 strict=True)], index=table.index)
    table["balance_usd"] = (table["exports_usd"] - table["imports_usd"]).where(same)
    table["trade_usd"] = (table["exports_usd"] + table["imports_usd"]).where(same)
    table["trade_mask"] = table["exports_mask"].where(table["trade_usd"].notna())
    table["months"] = [months_field(x, m) for x, m in zip(table["exports_mask"],
                                                         table["imports_mask"], strict=True)]
    # a change is over one year only: after a year with no data it stays empty, and is said
    consecutive = table["year"].diff() == 1
    for before, year in zip(table["year"], table["year"].iloc[1:], strict=False):
        if year - before > 1 and year in window:
            notes.append(f"no data for {_reporter_words(reporter_bloc, reporter_name)} with "
                         f"{partner_name} in "
                         f"{years_text(range(before + 1, year))}: the change in {year} is "
                         f"left empty, as it would span {year - before} years")
    for measure in MEASURES:
        change = (table[f"{measure}_usd"] / table[f"{measure}_usd"].shift(1) - 1) * 100
        previous = table[f"{measure}_usd"].shift(1)
        table[f"{measure}_change_pct"] = change.where(
            consecutive & (previous > 0) & _same_months(table[f"{measure}_mask"]))
    table["balance_change_usd"] = table["balance_usd"].diff().where(
        consecutive & _same_months(table["trade_mask"]))
    shown = table[table["year"].isin(window)]
    if period_of(shown, window) == periods.span(window):  # the title names no months: say them here
        notes += part_year_notes(shown)
    notes += _months_notes(table, window, partner_name, consecutive)
    table["reporter"] = reporter
    table["partner"] = partner_code
    table["sources"] = [
        "; ".join(sorted({s for v in (a, b) if isinstance(v, str) for s in v.split("; ") if s}))
        for a, b in zip(table["exports_sources"], table["imports_sources"], strict=True)
    ]

    table = table[table["year"].isin(window)].reset_index(drop=True)
    first, last = window[0], window[-1]
    if years and (years[0] < first or years[-1] > last):
        notes.append(f"the data cover {first}-{last} of the {years[0]}-{years[-1]} asked")
    relevant = agreements_between(agreements or [], reporter, [partner_code])
    if not relevant and partner_code != members[0]:  # the members' own (the Additional Protocol)
        relevant = agreements_between(agreements or [], reporter, members)
    if reporter_bloc is not None and not relevant:
        notes += _members_agreements(agreements or [], reporter_bloc, partner_code,
                                     partner_name, first, last)
    inside = [a for a in relevant if first < a.entry_into_force.year <= last]
    for a in relevant:
        if a.entry_into_force.year <= first:
            notes.append(f"{a.name} in force since {a.entry_into_force.isoformat()}, "
                         f"before the window")
    marks = {}
    for a in inside:
        marks.setdefault(a.entry_into_force.year, []).append(a.name)
    table["agreement"] = [" / ".join(marks.get(y, [])) for y in table["year"]]
    summary, growth_notes = _summary(table, reporter, partner_code, inside)
    notes += growth_notes
    table = table[COLUMNS].reset_index(drop=True)
    return TrendResult(table, summary, reporter, partner_code, partner_name, members, window,
                       inside, valuation, notes)



def _reporter_words(reporter_bloc, reporter_name: str) -> str:
    return f"the {reporter_name}" if reporter_bloc is not None else reporter_name


def _members_of_each_year(pool: pd.DataFrame, reporter_bloc, partner) -> pd.DataFrame:
    """The rows of reporters and partners that belonged to their bloc that year (the United
    Kingdom is in the EU up to 2019): a bloc adds up its members of each year only."""
    keep = None
    for bloc, column in ((reporter_bloc, "reporter"), (partner, "partner")):
        if not isinstance(bloc, countries.Bloc) or not bloc.by_year:
            continue
        inside = {y: set(bloc.members_in(y)) for y in set(pool["year"].tolist())}
        mask = [code in inside[y] for code, y in zip(pool[column], pool["year"], strict=True)]
        keep = mask if keep is None else [a and b for a, b in zip(keep, mask, strict=True)]
    return pool if keep is None else pool[keep]


def _members_agreements(agreements, reporter_bloc, partner: str, partner_name: str,
                        first: int, last: int) -> list[str]:
    """A note naming the agreements some members of a reporting bloc have with the partner:
    not marked, as they split no growth of the bloc as a whole."""
    found = []
    for member in reporter_bloc.members:
        for agreement in agreements_between(agreements, member, [partner]):
            if first < agreement.entry_into_force.year <= last:
                found.append(f"{agreement.name} ({agreement.entry_into_force.isoformat()})")
    if not found:
        return []
    return [f"not marked, as they bind some members of the {reporter_bloc.name_en} only: "
            f"{', '.join(dict.fromkeys(found))}"]


def _same_months(masks: pd.Series) -> pd.Series:
    """True where a year covers the same months as the row before (a sum over different
    months compares with nothing)."""
    from pa_trade.analysis.coverage import MIXED

    return (masks == masks.shift(1)) & (masks != MIXED)


def _months_notes(table: pd.DataFrame, window: list[int], partner_name: str,
                  consecutive: pd.Series) -> list[str]:
    """Notes on years whose sides cover different months (no balance, no trade) and on
    changes left empty because a year and the one before cover different months."""
    from pa_trade.analysis.coverage import MIXED, like, period_words

    notes = []
    rows = table.reset_index(drop=True)
    for index, row in rows.iterrows():
        year = int(row["year"])
        if year not in window:
            continue
        x, m = row["exports_mask"], row["imports_mask"]
        if not like(x, m):
            notes.append(f"exports cover {period_words(x, year)}, imports "
                         f"{period_words(m, year)}: balance and trade left empty")
        elif x == x and x == MIXED:
            notes.append(f"{year}: trade with {partner_name} adds up figures over different "
                         f"months: no change on the year before")
        if index == 0 or not consecutive.iloc[index]:
            continue
        before = rows.iloc[index - 1]
        unlike: dict[tuple, list[str]] = {}
        for measure in MEASURES:
            now, then = row[f"{measure}_mask"], before[f"{measure}_mask"]
            if now != now or then != then or (now == then and now != MIXED):
                continue  # a side missing, or like months
            if not before[f"{measure}_usd"] > 0:
                continue  # no change anyway
            unlike.setdefault((now, then), []).append(measure)
        for (now, then), measures in unlike.items():
            notes.append(f"the change in {year} is left empty for {_and(measures)}: "
                         f"{period_words(now, year)} against {period_words(then, year - 1)}")
    return notes



def _and(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def _summary(table: pd.DataFrame, reporter: str, partner: str,
             agreements: list[Agreement]) -> tuple[pd.DataFrame, list[str]]:
    """Growth over the window and, per agreement, before and after its base year; and notes
    on growth left empty because the years of a span cover different months."""
    import pandas as pd

    from pa_trade import periods
    from pa_trade.analysis.coverage import MIXED

    values = table.set_index("year")
    first, last = int(table["year"].iloc[0]), int(table["year"].iloc[-1])
    rows = []
    unlike: dict[tuple[int, int], list[str]] = {}

    def span_months(measure, y0, y1) -> str:
        """What every year from y0 to y1 covers of `measure`: '1-6', 'mixed' when the years
        differ, '' when none has a figure."""
        inside = values.loc[(values.index >= y0) & (values.index <= y1)]
        found = {int(m) for m in inside[f"{measure}_mask"] if m == m}
        if len(found) == 1 and MIXED not in found:
            return periods.spec(found.pop())
        return "mixed" if found else ""

    def add(measure, period, agreement, y0, y1):
        v0 = values[f"{measure}_usd"].get(y0, float("nan"))
        v1 = values[f"{measure}_usd"].get(y1, float("nan"))
        rate = cagr(v0, v1, y1 - y0)
        multiple = v1 / v0 if _number(v0) and _number(v1) and v0 > 0 and y1 > y0 else float(
            "nan")
        common = span_months(measure, y0, y1)
        if common == "mixed":  # January-June somewhere, whole years elsewhere: no growth rate
            if y1 > y0 and measure not in unlike.setdefault((y0, y1), []):
                unlike[y0, y1].append(measure)
            rate = multiple = float("nan")
        rows.append({
            "reporter": reporter, "partner": partner, "measure": measure, "period": period,
            "agreement": agreement.name if agreement else "",
            "entry_into_force": agreement.entry_into_force.isoformat() if agreement else "",
            "first_year": y0, "last_year": y1,
            "months": common,
            "first_usd": v0, "last_usd": v1, "multiple": multiple, "cagr_pct": rate * 100,
        })

    for measure in MEASURES:
        add(measure, "window", None, first, last)
    for agreement in agreements:
        base = agreement.base_year
        for measure in MEASURES:
            add(measure, "before", agreement, first, base)
            add(measure, "after", agreement, base, last)
    summary = pd.DataFrame(rows, columns=SUMMARY_COLUMNS)
    for column in ("first_usd", "last_usd", "multiple", "cagr_pct"):
        summary[column] = summary[column].astype("float64")
    notes = [f"no growth {y0}–{y1} for {_and(measures)}: the years in it cover different "
             f"months ({_months_by_year(values, measures[0], y0, y1)}); compare whole years "
             f"(--years) or like months (--months)"
             for (y0, y1), measures in unlike.items() if measures]
    return summary, notes


def _months_by_year(values: pd.DataFrame, measure: str, y0: int, y1: int) -> str:
    """'2018-2022: the whole year; 2023: January–June': the years of a span by months."""
    from pa_trade import periods
    from pa_trade.analysis.coverage import MIXED

    inside = values.loc[(values.index >= y0) & (values.index <= y1), f"{measure}_mask"]
    by_mask: dict[int, list[int]] = {}
    for year, mask in inside.items():
        if mask == mask:
            by_mask.setdefault(int(mask), []).append(int(year))
    parts = []
    for mask, years in sorted(by_mask.items(), key=lambda item: item[1][0]):
        words = ("various months" if mask == MIXED else "the whole year"
                 if mask == periods.ALL_MONTHS else periods.months_text(mask))
        parts.append(f"{years_text(years)}: {words}")
    return "; ".join(parts)


def _join_labels(values) -> str:
    found = sorted({v for v in values if isinstance(v, str) and v})
    return found[0] if len(found) == 1 else " / ".join(found)
