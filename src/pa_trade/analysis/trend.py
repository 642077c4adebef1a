"""Trade of one reporter with a partner or a bloc over the years: growth, and growth before and
after a free-trade agreement entered into force.

Definitions (also in the README):
- year-on-year change: (value this year / value the year before - 1) x 100, only when the
  year before is in the data (after a year with no data it is empty, and a note says so);
- CAGR between years y0 and y1: (value(y1) / value(y0)) ** (1 / (y1 - y0)) - 1; the growth
  multiple is value(y1) / value(y0). Undefined when either value is missing or value(y0) <= 0;
- before / after an agreement that entered into force on a date in year E, inside the window
  (first year < E <= last year): the base year is B = E - 1, the last calendar year wholly
  before the agreement. "Before" is the CAGR from the first year to B, "after" the CAGR from B
  to the last year, so (1 + before) ** (B - first) * (1 + after) ** (last - B) is the growth
  multiple of the whole window. "Before" is undefined when B is the first year.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from pa_trade import countries
from pa_trade.analysis.balance import years_text
from pa_trade.errors import DataError, UsageError

if TYPE_CHECKING:
    from pathlib import Path

    import pandas as pd

MEASURES = ("exports", "imports", "trade")
COLUMNS = [
    "reporter", "partner", "year", "exports_usd", "imports_usd", "balance_usd", "trade_usd",
    "exports_change_pct", "imports_change_pct", "trade_change_pct", "balance_change_usd",
    "exports_valuation", "imports_valuation", "agreement", "sources",
]
SUMMARY_COLUMNS = [
    "reporter", "partner", "measure", "period", "agreement", "entry_into_force", "first_year",
    "last_year", "first_usd", "last_usd", "multiple", "cagr_pct",
]
FTA_COLUMNS = ("agreement", "parties", "entry_into_force", "source")


@dataclass(frozen=True)
class Agreement:
    """A trade agreement between `parties` (ISO3 codes) and the day it entered into force."""

    name: str
    parties: tuple[str, ...]
    entry_into_force: datetime.date
    source: str = ""

    @property
    def base_year(self) -> int:
        """The last calendar year wholly before the agreement: growth 'after' starts here."""
        return self.entry_into_force.year - 1


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


def read_ftas(path: str | Path | None = None) -> list[Agreement]:
    """The agreements in `path`, by default the built-in `data/ftas.csv`.

    Layout: agreement,parties,entry_into_force,source; parties are ISO3 codes or names
    separated by spaces, the date is YYYY-MM-DD.
    """
    import pathlib

    if path is None:
        from pa_trade.paths import data_dir

        path = data_dir() / "ftas.csv"
    path = pathlib.Path(path)
    records = countries.read_data_table(path, tuple(FTA_COLUMNS))
    agreements = []
    for line, rec in records:
        where = f"{path}, line {line}"
        parties = tuple(countries.resolve(p, where=where)
                        for p in (rec["parties"] or "").replace(",", " ").split())
        if len(parties) < 2:
            raise DataError(f"{where}: an agreement needs two parties or more")
        try:
            date = datetime.date.fromisoformat((rec["entry_into_force"] or "").strip())
        except ValueError as exc:
            raise DataError(f"{where}: entry_into_force {rec['entry_into_force']!r} is not "
                            f"a date like 2004-04-01") from exc
        agreements.append(Agreement((rec["agreement"] or "").strip(), parties, date,
                                    (rec["source"] or "").strip()))
    return agreements


def agreements_between(agreements, reporter: str, partners: list[str]) -> list[Agreement]:
    """The agreements whose parties include the reporter and every partner, by date."""
    wanted = {reporter, *partners}
    found = [a for a in agreements if wanted <= set(a.parties)]
    return sorted(found, key=lambda a: a.entry_into_force)


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
    reporter: str,
    partner: str | countries.Bloc,
    years: list[int] | None = None,
    valuation: str = "CIF",
    agreements: list[Agreement] | None = None,
) -> TrendResult:
    """Exports, imports, balance and growth of `reporter` with `partner`, per year.

    `partner` is a country or aggregate code, or a Bloc: then trade with the bloc is the sum
    over its members except the reporter. `agreements` (e.g. `read_ftas()`) between the
    reporter and the partner(s) that entered into force inside the window get before/after
    growth rows in the summary and are marked in the table. Raises DataError when nothing
    matches.
    """
    import pandas as pd

    from pa_trade.analysis.balance import coverage
    from pa_trade.analysis.mirror import reported

    valuation = valuation.upper()
    if isinstance(partner, countries.Bloc):
        members = [m for m in partner.members if m != reporter]
        partner_code, partner_name = partner.code, partner.name_en
    else:
        if partner == reporter:
            raise UsageError(f"{countries.name(reporter)} cannot be its own partner")
        members, partner_code, partner_name = [partner], partner, countries.name(partner)
    pool = flows[(flows["reporter"] == reporter) & flows["partner"].isin(members)]
    if flows[flows["reporter"] == reporter].empty:
        raise DataError(f"no data for {countries.name(reporter)} as reporter; "
                        f"{coverage(flows)}")
    mine = pool[pool["year"].isin(years)] if years else pool
    if mine.empty:
        span = f" in {years_text(years)}" if years else ""
        raise DataError(f"no data for {countries.name(reporter)} with {partner_name}{span}; "
                        f"{coverage(flows, reporter)}")

    window = sorted(set(mine["year"].tolist()))
    # every loaded year from the one before the window to its last gives each shown year its
    # change on the year before, even a year not asked for (only the window is shown)
    mine = pool[pool["year"].between(window[0] - 1, window[-1])]
    exports = reported(mine, "export", "FOB")
    imports = reported(mine, "import", valuation)
    notes: list[str] = []
    table = pd.DataFrame({"year": sorted(set(mine["year"].tolist()))})
    for side, frame in (("exports", exports), ("imports", imports)):
        per_year = frame.groupby("year").agg(
            value=("value_usd", lambda s: s.sum(min_count=1)),
            valuation=("valuation", lambda s: _join_labels(s)),
            sources=("sources", lambda s: "; ".join(sorted({x for v in s
                                                             for x in v.split("; ") if x}))),
            partners=("partner", lambda s: sorted(set(s))),
            months=("months", "min"),
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
        partial = per_year[(per_year["months"] > 0) & (per_year["months"] < 12)
                           & per_year.index.isin(window)]
        for year, row in partial.iterrows():
            notes.append(f"{year}: {side} cover {row['months']} month(s) only; growth that "
                         f"year is not comparable")
    for side in ("exports", "imports"):
        table[f"{side}_usd"] = table[f"{side}_usd"].astype("float64")
        table[f"{side}_valuation"] = table[f"{side}_valuation"].fillna("")
    table["balance_usd"] = table["exports_usd"] - table["imports_usd"]
    table["trade_usd"] = table["exports_usd"] + table["imports_usd"]
    # a change is over one year only: after a year with no data it stays empty, and is said
    consecutive = table["year"].diff() == 1
    for before, year in zip(table["year"], table["year"].iloc[1:], strict=False):
        if year - before > 1 and year in window:
            notes.append(f"no data for {countries.name(reporter)} with {partner_name} in "
                         f"{years_text(range(before + 1, year))}: the change in {year} is "
                         f"left empty, as it would span {year - before} years")
    for measure in MEASURES:
        change = (table[f"{measure}_usd"] / table[f"{measure}_usd"].shift(1) - 1) * 100
        previous = table[f"{measure}_usd"].shift(1)
        table[f"{measure}_change_pct"] = change.where(consecutive & (previous > 0))
    table["balance_change_usd"] = table["balance_usd"].diff().where(consecutive)
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
    relevant = agreements_between(agreements or [], reporter, members)
    inside = [a for a in relevant if first < a.entry_into_force.year <= last]
    for a in relevant:
        if a.entry_into_force.year <= first:
            notes.append(f"{a.name} in force since {a.entry_into_force.isoformat()}, "
                         f"before the window")
    marks = {}
    for a in inside:
        marks.setdefault(a.entry_into_force.year, []).append(a.name)
    table["agreement"] = [" / ".join(marks.get(y, [])) for y in table["year"]]
    summary = _summary(table, reporter, partner_code, inside)
    table = table[COLUMNS].reset_index(drop=True)
    return TrendResult(table, summary, reporter, partner_code, partner_name, members, window,
                       inside, valuation, notes)


def _summary(table: pd.DataFrame, reporter: str, partner: str,
             agreements: list[Agreement]) -> pd.DataFrame:
    """Growth over the window and, per agreement, before and after its base year."""
    import pandas as pd

    values = table.set_index("year")
    first, last = int(table["year"].iloc[0]), int(table["year"].iloc[-1])
    rows = []

    def add(measure, period, agreement, y0, y1):
        v0 = values[f"{measure}_usd"].get(y0, float("nan"))
        v1 = values[f"{measure}_usd"].get(y1, float("nan"))
        rate = cagr(v0, v1, y1 - y0)
        multiple = v1 / v0 if _number(v0) and _number(v1) and v0 > 0 and y1 > y0 else float(
            "nan")
        rows.append({
            "reporter": reporter, "partner": partner, "measure": measure, "period": period,
            "agreement": agreement.name if agreement else "",
            "entry_into_force": agreement.entry_into_force.isoformat() if agreement else "",
            "first_year": y0, "last_year": y1, "first_usd": v0, "last_usd": v1,
            "multiple": multiple, "cagr_pct": rate * 100,
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
    return summary


def _join_labels(values) -> str:
    found = sorted({v for v in values if isinstance(v, str) and v})
    return found[0] if len(found) == 1 else " / ".join(found)
