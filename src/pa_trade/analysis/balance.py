"""Exports, imports and the balance per partner and year, with the valuation of every figure."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from pa_trade.errors import DataError
from pa_trade.reference import countries

if TYPE_CHECKING:
    import pandas as pd

COLUMNS = [
    "reporter", "partner", "partner_name", "year", "months", "exports_usd", "imports_usd",
    "balance_usd", "status", "exports_valuation", "imports_valuation", "kind", "sources",
    "exports_mask", "imports_mask",
]
# per year: partners, the total of the partners shown, bloc subtotals, reported aggregates
KIND_ORDER = {"country": 0, "other": 1, "shown": 2, "domestic": 3, "bloc": 4, "intra": 5,
              "group": 6, "world": 7}


@dataclass
class BalanceResult:
    """The balance table and what a reader of it should be told."""

    table: pd.DataFrame
    reporter: str
    years: list[int]
    import_valuation: str
    notes: list[str] = field(default_factory=list)
    reporter_name: str = ""

    def __post_init__(self) -> None:
        if not self.reporter_name:
            self.reporter_name = countries.name(self.reporter)

    @property
    def period(self) -> str:
        """The years shown, with the months they cover when not whole: '2023',
        'January–June 2023', '2022–2023', '2022–2023, January–June of each year'."""
        from pa_trade.analysis.coverage import period_of

        return period_of(self.table, self.years)


def status_of(balance: float | None) -> str:
    """'surplus', 'deficit' or 'balanced' to the cent; '' when the balance is unknown."""
    if balance is None or balance != balance:  # NaN: one side missing
        return ""
    cents = round(balance * 100)
    return "surplus" if cents > 0 else "deficit" if cents < 0 else "balanced"


def valuation_label(values) -> str:
    """One label for figures of these valuations: 'FOB', or 'mixed (CIF+FOB)' when they
    differ; labels that are themselves mixed count by their parts; '' when none is known."""
    found = set()
    for value in values:
        if isinstance(value, str) and value:
            found.update(value.removeprefix("mixed (").removesuffix(")").split("+"))
    ordered = sorted(found)
    if not ordered:
        return ""
    return ordered[0] if len(ordered) == 1 else "mixed (" + "+".join(ordered) + ")"


def coverage(flows: pd.DataFrame, reporter: str | None = None) -> str:
    """A sentence on what the loaded flows cover, for 'no data' errors."""
    if flows.empty:
        return "the loaded data hold no flows"
    if reporter is None or not (flows["reporter"] == reporter).any():
        parts = []
        for code, rows in flows.groupby("reporter"):
            parts.append(f"{countries.name(code)} ({years_text(rows['year'])})")
        return "the loaded data cover " + "; ".join(parts)
    rows = flows[flows["reporter"] == reporter]
    return f"the loaded data cover {countries.name(reporter)} in {years_text(rows['year'])}"


def years_text(years) -> str:
    """'2000-2009, 2012, 2014-2020': runs of consecutive years as ranges."""
    runs: list[list[int]] = []
    for year in sorted(set(int(y) for y in years)):
        if runs and year == runs[-1][-1] + 1:
            runs[-1].append(year)
        else:
            runs.append([year])
    return ", ".join(f"{r[0]}-{r[-1]}" if len(r) > 1 else str(r[0]) for r in runs)


def partner_table(
    flows: pd.DataFrame, reporter: str, years: list[int] | None, valuation: str
) -> pd.DataFrame:
    """Exports and imports of one reporter per (partner, year), before any filtering.

    Columns: partner, year, exports_usd, imports_usd, exports_valuation, imports_valuation,
    sources, kind, reporter. Raises DataError when the reporter or the years have no data.
    """
    mine = flows[flows["reporter"] == reporter]
    if mine.empty:
        raise DataError(f"no data for {countries.name(reporter)} as reporter; "
                        f"{coverage(flows)}")
    if years:
        mine = mine[mine["year"].isin(years)]
        if mine.empty:
            raise DataError(
                f"no data for {countries.name(reporter)} in {years_text(years)}; "
                f"{coverage(flows, reporter)}"
            )
    mine = mine[mine["partner"] != reporter]
    # products and months are not needed here: sum them away first, in bulk; what is left
    # is a few rows per (partner, year)
    summed = mine.groupby(["partner", "year", "flow", "valuation", "source"],
                          observed=True)["value_usd"].sum()
    table = _per_pair(summed, valuation)
    if table.empty:
        raise DataError(f"no exports or imports for {countries.name(reporter)}; "
                        f"{coverage(flows, reporter)}")
    table = _with_months(table, mine)
    table["reporter"] = reporter
    table["kind"] = [countries.kind(p) for p in table["partner"].tolist()]
    return table


def _with_months(table: pd.DataFrame, rows: pd.DataFrame) -> pd.DataFrame:
    """The table with the months each side covers (exports_mask, imports_mask; NaN for a
    side without figures), from the reporter's rows."""
    import pandas as pd

    from pa_trade.analysis import coverage as months

    masks = months.partner_months(rows).droplevel("reporter")
    flows_of = masks.index.get_level_values("flow")
    where = pd.MultiIndex.from_arrays([table["partner"], table["year"]])
    table = table.copy()
    for side, flow in (("exports", "export"), ("imports", "import")):
        found = masks[flows_of == flow].droplevel("flow").reindex(where).to_numpy(
            dtype="float64", na_value=float("nan"))
        table[f"{side}_mask"] = found
        table.loc[table[f"{side}_usd"].isna(), f"{side}_mask"] = float("nan")
    return table



def _period_notes(table: pd.DataFrame, monthly: set[str] | None = None) -> list[str]:
    """Notes on the months the figures cover: part years, and rows whose exports and imports
    cover different months (their balance is left empty). `monthly`: the sides ('exports',
    'imports') whose figures are all monthly, which --months can narrow."""
    from pa_trade import periods
    from pa_trade.analysis.coverage import MIXED, part_year_notes, year_masks

    notes = part_year_notes(table, single=False)
    for year, value in year_masks(table).items():
        if value == MIXED:
            rows = table[table["year"] == year]
            found: dict[tuple[str, int], list[str]] = {}
            for row in rows.itertuples(index=False):
                for side in ("exports", "imports"):
                    mask = getattr(row, f"{side}_mask")
                    if mask == mask and mask not in (MIXED,):
                        found.setdefault((side, int(mask)), []).append(row.partner_name)
            parts = [f"{side} {periods.describe(m, year)}: {_few(names)}"
                     for (side, m), names in sorted(found.items(),
                                                    key=lambda i: (i[0][0], -len(i[1])))]
            notes.append(f"in {year} the figures do not all cover the same months ("
                         f"{'; '.join(parts)})")
    unlike = table[table["exports_mask"].notna() & table["imports_mask"].notna()
                   & (table["exports_mask"] != table["imports_mask"])]
    if len(unlike):
        first = unlike.iloc[0]
        x, m = int(first["exports_mask"]), int(first["imports_mask"])
        common = x & m if x != MIXED and m != MIXED else 0
        fixed = sorted({"exports", "imports"} - (monthly if monthly is not None else set()))
        if common and not fixed:
            hint = f"; --months {periods.spec(common)} compares like with like"
        elif common:
            hint = (f"; the {' and '.join(fixed)} are yearly or cumulative figures, which "
                    f"--months cannot narrow: load the other side for the same months")
        else:
            hint = ""
        notes.append(
            f"no balance where exports and imports cover different months: "
            f"{_few(sorted(set(unlike['partner_name'])))} (e.g. {first['year']}: exports "
            f"{_months_or_mixed(x)}, imports {_months_or_mixed(m)}){hint}")
    return notes


def _monthly_sides(flows: pd.DataFrame, reporters) -> set[str]:
    """'exports', 'imports': the sides whose figures of these reporters are all monthly."""
    mine = flows[flows["reporter"].isin(list(reporters))]
    out = set()
    for flow, side in (("export", "exports"), ("import", "imports")):
        rows = mine[mine["flow"] == flow]
        if rows.empty or rows["month"].notna().all():
            out.add(side)
    return out


def _months_or_mixed(value: int) -> str:
    from pa_trade import periods
    from pa_trade.analysis.coverage import MIXED

    return "various months" if value == MIXED else periods.months_text(value)


def _few(names: list[str], shown: int = 3) -> str:
    names = list(dict.fromkeys(names))
    if len(names) <= shown:
        return ", ".join(names)
    return f"{', '.join(names[:shown])} and {len(names) - shown} more"


def _per_pair(summed: pd.Series, valuation: str) -> pd.DataFrame:
    """One row per (partner, year) from values summed by (partner, year, flow, valuation,
    source): exports and imports, each side's valuation label and the sources of both.

    Imports are taken at `valuation` where the source has it, else the other one, else
    'unknown'. One valuation on a side is itself, several read 'mixed (CIF+FOB)'; sources are
    joined with '; '. Each side is summed exactly (math.fsum); a side without rows stays NaN.
    """
    import math

    import pandas as pd

    other = "FOB" if valuation == "CIF" else "CIF"
    rank = {valuation: 0, other: 1, "unknown": 2}
    flat = summed.reset_index()  # plain lists: iterating an index of Arrow strings is slow
    summed_rows = list(zip(*(flat[c].tolist() for c in [*summed.index.names, "value_usd"]),
                           strict=True))
    best: dict[tuple, int] = {}
    for partner, year, flow, valued, _source, _value in summed_rows:
        if flow == "import":
            best[partner, year] = min(best.get((partner, year), 3), rank.get(valued, 3))
    pairs: dict[tuple, dict[str, tuple[list, set, set]]] = {}
    for partner, year, flow, valued, source, value in summed_rows:
        if flow == "import" and rank.get(valued, 3) != best[partner, year]:
            continue
        sides = pairs.setdefault((partner, year), {"export": ([], set(), set()),
                                                   "import": ([], set(), set())})
        values, valuations, sources = sides[flow]
        values.append(value)
        valuations.add(valued)
        sources.add(source)
    rows = []
    for (partner, year), sides in sorted(pairs.items()):
        row = {"partner": partner, "year": year}
        for flow, side in (("export", "exports"), ("import", "imports")):
            values, valuations, _sources = sides[flow]
            row[f"{side}_usd"] = math.fsum(values) if values else math.nan
            row[f"{side}_valuation"] = valuation_label(valuations)
        named = sides["export"][2] | sides["import"][2]
        row["sources"] = "; ".join(sorted({part for text in named for part in text.split("; ")}))
        rows.append(row)
    columns = ["partner", "year", "exports_usd", "exports_valuation", "imports_usd",
               "imports_valuation", "sources"]
    table = pd.DataFrame(rows, columns=columns)
    return table.astype({"partner": "string", "year": "int64", "exports_usd": "float64",
                         "imports_usd": "float64"})


def balance(
    flows: pd.DataFrame,
    reporter: str,
    years: list[int] | None = None,
    partners: list[str] | None = None,
    valuation: str = "CIF",
    totals: bool = False,
    blocs: list[countries.Bloc] | None = None,
    world: bool = False,
    period_notes: bool = True,
) -> BalanceResult:
    """Exports, imports and balance of `reporter` per partner and year.

    `partners`: ISO3 or aggregate codes to keep (None: every country partner).
    `blocs`: blocs to add one row per year for: the reporter's trade with the bloc's other
    members, summed over all of them (whatever `partners` says).
    `totals`: add the aggregates the sources report (World, regions); `world`: World only.
    `valuation`: 'CIF' or 'FOB', used for imports where a source has both.
    `period_notes`: add notes on part years and on sides of different months.
    Raises DataError when nothing matches, saying what the loaded data cover.
    """
    import pandas as pd

    valuation = valuation.upper()
    full = partner_table(flows, reporter, years, valuation)
    notes: list[str] = []
    if partners is not None:
        wanted = set(partners) - {reporter}
        table = full[full["partner"].isin(wanted)]
        for code in sorted(wanted - set(table["partner"])):
            hint = ""
            if code == "XZF" and (full["partner"] == "XCF").any():
                hint = f"; did you mean {countries.name('XCF')} (XCF)?"
            notes.append(f"no data for {countries.name(reporter)} with {countries.name(code)} "
                         f"in the years asked{hint}{_published_hint(reporter, code, years)}")
        if totals:  # the reported aggregates, to set the partners asked against
            table = pd.concat([table, full[full["kind"].isin(["world", "group"])
                                           & ~full["partner"].isin(wanted)]])
    else:
        shown = ["country", "other", "domestic"] + (["world", "group"] if totals else [])
        shown += ["world"] if world else []
        table = full[full["kind"].isin(shown)]
        if table.empty and not (blocs or []) and full["kind"].isin(["world", "group"]).any():
            # only totals in the data (a published World figure): machine formats answer
            # what the table for people shows, the aggregates, rather than nothing
            table = full[full["kind"].isin(["world", "group"])]
            notes.append(f"the data hold no partner of {countries.name(reporter)} in the "
                         f"years asked, only the totals the sources report (World, regions): "
                         f"those are given")
    extra = [_bloc_rows(full, reporter, b, notes) for b in blocs or []]
    table = pd.concat([table] + [e for e in extra if not e.empty], ignore_index=True)
    if table.empty:
        asked = ", ".join([countries.name(p) for p in partners or []]
                          + [b.name_en for b in blocs or []])
        hint = ""
        if "XZF" in (partners or []) and (full["partner"] == "XCF").any():
            hint = f"; did you mean {countries.name('XCF')} (XCF)?"
        hint += "".join(_published_hint(reporter, p, years) for p in partners or [])
        raise DataError(
            f"no data for {countries.name(reporter)}{f' with {asked}' if asked else ''} in "
            f"the years asked; {coverage(flows, reporter)}{hint}"
        )
    finished = _finish(table)
    if period_notes:
        notes += _period_notes(finished, _monthly_sides(flows, [reporter]))
    if partners is not None and reporter in partners:
        notes.append(f"{countries.name(reporter)} is the reporter: no balance with itself")
    other = "CIF" if valuation == "FOB" else "FOB"
    kept = finished.loc[finished["imports_valuation"] == other, "partner"]
    if valuation == "FOB" and not kept.empty:  # asked, and not there to give
        names = ", ".join(countries.name(p) for p in dict.fromkeys(kept))
        notes.append(f"--valuation fob: the sources give imports from {names} only CIF; "
                     f"they are shown CIF")
    return BalanceResult(finished, reporter, _years(table), valuation, notes)


def bloc_balance(
    flows: pd.DataFrame,
    bloc: countries.Bloc,
    years: list[int] | None = None,
    partners: list[str] | None = None,
    valuation: str = "CIF",
    totals: bool = False,
    world: bool = False,
) -> BalanceResult:
    """Each member's balances, and the bloc's with every outside partner and with itself.

    Bloc rows (reporter = the bloc's code) add up the members' own figures: trade with an
    outside partner, and intra-bloc trade on a row of its own (partner = the bloc's code), so
    nothing is counted twice. Members without data are named in the notes.
    """
    import pandas as pd

    valuation = valuation.upper()
    member_tables, notes, missing = [], [], []
    for member in bloc.members:
        try:
            result = balance(flows, member, years, partners, valuation, totals, world=world,
                             period_notes=False)
        except DataError:
            missing.append(member)
            continue
        # a member counts in the years it was one (the UK in the EU's rows up to 2019)
        years_in = [member in bloc.members_in(y) for y in result.table["year"]]
        kept = result.table[pd.Series(years_in, index=result.table.index, dtype=bool)]
        if kept.empty:
            missing.append(member)
            continue
        member_tables.append(kept)
        notes += result.notes
    if not member_tables:
        raise DataError(f"no data for any member of the {bloc.name_en} "
                        f"({', '.join(bloc.members)}) as reporter; {coverage(flows)}")
    if missing:
        notes.append(f"no data from {', '.join(missing)} as reporter: the {bloc.name_en} rows "
                     f"add up {', '.join(m for m in bloc.members if m not in missing)} only")
    members = pd.concat(member_tables, ignore_index=True)
    of_year = {y: set(bloc.members_in(y)) for y in set(members["year"].tolist())}
    inside = pd.Series([p in of_year[y] for p, y in zip(members["partner"], members["year"],
                                                        strict=True)], index=members.index)
    outside = members[~inside & members["kind"].isin(["country", "other", "world", "group"])]
    rows, partial = [], []
    reporting = members.groupby("year")["reporter"].agg(set).to_dict()
    for (partner, year), group in outside.groupby(["partner", "year"]):
        row = _sum_row(group, bloc.code, partner, countries.name(partner),
                       countries.kind(partner), year)
        covered = {}
        for side in ("exports", "imports"):
            covered[side] = set(group.loc[group[f"{side}_usd"].notna(), "reporter"])
            if covered[side] and covered[side] != reporting[year]:
                partial.append((countries.name(partner), year, side, covered[side],
                                reporting[year]))
        # exports of some members against imports of others make no balance
        row["comparable"] = (covered["exports"] == covered["imports"]
                             or not (covered["exports"] and covered["imports"]))
        rows.append(row)
    notes += _partial_notes(partial, bloc)
    if not all(row["comparable"] for row in rows):
        notes.append(f"a {bloc.name_en} balance is left empty where its exports and imports "
                     f"add up different members")
    if (outside["kind"] == "world").any():
        notes.append(f"the {bloc.name_en}'s World rows add up its members' own World totals, "
                     f"which include their trade with each other")
    if partners is None or set(bloc.members) <= set(partners):
        for year, group in members[inside].groupby("year"):
            row = _sum_row(group, bloc.code, bloc.code, f"{bloc.name_en}, intra-bloc",
                           "intra", year)
            # the members' exports to each other and their imports from each other are two
            # measures of the same flows: their gap is no surplus or deficit of anyone
            row["comparable"] = False
            rows.append(row)
            x, m = row["exports_usd"], row["imports_usd"]
            if x == x and m == m:
                notes.append(
                    f"intra-bloc trade in {year}: the members' exports to each other "
                    f"({x / 1e6:,.1f} M, as exporters report them, {row['exports_valuation']}) "
                    f"and their imports from each other ({m / 1e6:,.1f} M, as importers report "
                    f"them, {row['imports_valuation']}) are "
                    f"two measures of the same flows; the gap ({(m - x) / 1e6:,.1f} M) is "
                    f"freight, insurance and reporting differences, not a surplus or deficit")
    table = pd.concat([members.drop(columns=["balance_usd", "status"]), pd.DataFrame(rows)],
                      ignore_index=True)
    finished = _finish(table)
    result = BalanceResult(finished, bloc.code, _years(table), valuation,
                           notes + _period_notes(finished,
                                                 _monthly_sides(flows, bloc.members)))
    result.reporter_name = bloc.name_en
    return result


def _partial_notes(partial: list[tuple], bloc: countries.Bloc, shown: int = 5) -> list[str]:
    """Notes on bloc figures that add up only some of the members reporting that year."""
    def one(name, year, side, given, reporting):
        return (f"{bloc.name_en} with {name} in {year}: {side} add up "
                f"{', '.join(sorted(given))} only (no figure from "
                f"{', '.join(sorted(reporting - given))})")

    if len(partial) <= shown:
        return [one(*item) for item in partial]
    return [f"{len(partial)} {bloc.name_en} figures add up only some of the members that "
            f"report that year, e.g. {one(*partial[0])}; see each member's rows"]


def _sum_row(group: pd.DataFrame, reporter: str, partner: str, partner_name: str, kind: str,
             year: int) -> dict:
    """One row adding up several reporters' or partners' rows; a side missing everywhere stays
    missing."""
    return {
        "reporter": reporter,
        "partner": partner,
        "partner_name": partner_name,
        "year": year,
        "exports_usd": group["exports_usd"].sum(min_count=1),
        "imports_usd": group["imports_usd"].sum(min_count=1),
        "exports_valuation": valuation_label(group["exports_valuation"]),
        "imports_valuation": valuation_label(group["imports_valuation"]),
        "exports_mask": _mask_of(group, "exports"),
        "imports_mask": _mask_of(group, "imports"),
        "kind": kind,
        "sources": "; ".join(sorted({s for v in group["sources"] for s in str(v).split("; ")
                                      if s})),
    }


def _mask_of(group: pd.DataFrame, side: str) -> float:
    """The months of a side summed over rows: theirs when all agree, else MIXED; NaN when no
    row has a figure on that side."""
    from pa_trade.analysis.coverage import combined

    given = group.loc[group[f"{side}_usd"].notna(), f"{side}_mask"].tolist()
    return float(combined(given)) if given else float("nan")


def _years(table: pd.DataFrame) -> list[int]:
    return sorted({int(y) for y in table["year"]})


def _finish(table: pd.DataFrame) -> pd.DataFrame:
    """Balance, status and names; rows in reading order; the public columns."""
    from pa_trade.analysis.coverage import MIXED, months_field

    table = table.copy()
    table["balance_usd"] = table["exports_usd"] - table["imports_usd"]
    if "comparable" in table:  # bloc rows whose two sides add up different members
        table["balance_usd"] = table["balance_usd"].where(table["comparable"].fillna(True)
                                                          .astype(bool))
    x, m = table["exports_mask"], table["imports_mask"]
    # exports and imports of different months make no balance
    like = x.isna() | m.isna() | ((x == m) & (x != MIXED))
    table["balance_usd"] = table["balance_usd"].where(like)
    fields: dict[tuple, str] = {}  # a few distinct pairs of masks among many rows
    table["months"] = [
        fields[key] if key in fields else fields.setdefault(key, months_field(a, b))
        for a, b in zip(x.tolist(), m.tolist(), strict=True)
        for key in [(None if a != a else a, None if b != b else b)]]
    # plain lists: a Python loop over a column of Arrow strings is slow
    table["status"] = [status_of(b) for b in table["balance_usd"].tolist()]
    given_names = (table["partner_name"].tolist() if "partner_name" in table
                   else [None] * len(table))
    table["partner_name"] = [
        name if isinstance(name, str) and name else countries.name(code)
        for code, name in zip(table["partner"].tolist(), given_names, strict=True)
    ]
    for column in ("exports_valuation", "imports_valuation"):
        table[column] = table[column].astype("string").fillna("")
    table["trade"] = table["exports_usd"].fillna(0) + table["imports_usd"].fillna(0)
    table["kind_order"] = table["kind"].map(KIND_ORDER)
    # members before the bloc they form
    table["reporter_order"] = [len(r) != 3 or r.startswith("X")
                               for r in table["reporter"].tolist()]
    table = table.sort_values(["year", "reporter_order", "reporter", "kind_order", "trade",
                               "partner"], ascending=[True, True, True, True, False, True])
    return table[COLUMNS].reset_index(drop=True)


def _published_hint(reporter: str, partner: str, years: list[int] | None) -> str:
    """'; DANE published the balance: +688.9 M in 2021 (imports FOB), ...': what the offices
    published of a pair the data do not hold, so that a refusal still says it."""
    from pa_trade.reference.official import official_balances

    found = [item for (r, p, year), item in sorted(official_balances().items())
             if r == reporter and p == partner and (not years or year in years)]
    if not found:
        return ""
    said = ", ".join(f"{item.balance_usd / 1e6:+,.1f} M in {item.year} (imports "
                     f"{item.imports_valuation}; {item.publisher})" for item in found)
    return f"; published balance: {said}"


def _bloc_rows(table: pd.DataFrame, reporter: str, bloc, notes: list[str]) -> pd.DataFrame:
    """One row per year: the reporter's trade with the bloc's other members, added up."""
    import pandas as pd

    rows = []
    for year, group in table[table["partner"].isin(bloc.members)].groupby("year"):
        members = [m for m in bloc.members_in(year) if m != reporter]  # the year's members
        group = group[group["partner"].isin(members)]
        if group.empty:
            continue
        present = [m for m in members if m in set(group["partner"])]
        missing = [m for m in members if m not in present]
        if missing:
            notes.append(
                f"{bloc.name_en} subtotal for {year} covers {', '.join(present)} only "
                f"(no data for {', '.join(missing)})"
            )
        row = _sum_row(group, reporter, bloc.code, f"{bloc.name_en} ({', '.join(members)})",
                       "bloc", year)
        exported = sorted(set(group.loc[group["exports_usd"].notna(), "partner"]))
        imported = sorted(set(group.loc[group["imports_usd"].notna(), "partner"]))
        # a balance of exports to some members against imports from others is none
        row["comparable"] = exported == imported or not exported or not imported
        if not row["comparable"]:
            notes.append(
                f"{bloc.name_en} subtotal for {year}: no balance, since its exports add "
                f"{', '.join(exported)} and its imports {', '.join(imported)}")
        rows.append(row)
    return pd.DataFrame(rows)


def _domestic_note(table: pd.DataFrame, reporter: str, year: int, who: str,
                   world: pd.DataFrame) -> list[str]:
    """A note on the rows of places inside the reporter's own territory (its free-trade zones,
    goods declared with the reporter as partner): trade its customs record and its total
    counts, kept out of the partners' total."""
    rows = table[(table["kind"] == "domestic") & (table["reporter"] == reporter)
                 & (table["year"] == year)]
    if rows.empty:
        return []
    names = " and ".join(rows["partner_name"].tolist())
    share = ""
    if (reporter, year) in world.index:
        parts = []
        for side in ("exports", "imports"):
            total, given = world.at[(reporter, year), f"{side}_usd"], rows[f"{side}_usd"].sum(
                min_count=1)
            if total == total and given == given and total:
                parts.append(f"{given / total:.1%} of {side}")
        share = f" ({' and '.join(parts)})" if parts else ""
    return [f"{who}{names} are inside {countries.name(reporter)}: its customs record that "
            f"trade and its total counts it{share}; shown apart, outside the partners' total, "
            f"inside the World row"]


def _period_words(rows: pd.DataFrame, year: int) -> str:
    """'2023', or 'January–June 2023' when the rows all cover that part of the year."""
    from pa_trade import periods
    from pa_trade.analysis.coverage import MIXED, combined, side_masks

    value = combined(side_masks(rows))
    return str(year) if value == MIXED else periods.describe(value, int(year))


def with_total_rows(result: BalanceResult) -> BalanceResult:
    """Add, per reporter and year, a 'Total, N partners' row summing the country rows, and a
    note on how much of the reported World total those partners account for."""
    import pandas as pd

    from pa_trade.analysis.coverage import months_field

    table = result.table
    rows, notes = [], list(result.notes)
    countries_only = table[table["kind"].isin(["country", "other"])]
    world = table[table["kind"] == "world"].set_index(["reporter", "year"])
    for (reporter, year), group in countries_only.groupby(["reporter", "year"], sort=False):
        who = "" if reporter == result.reporter else f"{reporter}: "  # notes of a member
        label = f"Total, {len(group)} partners"
        row = _sum_row(group, reporter, "", label, "shown", year)
        row["balance_usd"] = row["exports_usd"] - row["imports_usd"]
        if (group["exports_usd"].notna() & group["imports_usd"].notna()
                & group["balance_usd"].isna()).any():
            row["balance_usd"] = float("nan")  # a row shown without balance is in the total
        if (group["exports_usd"].isna() != group["imports_usd"].isna()).any() and \
                group["exports_usd"].notna().any() and group["imports_usd"].notna().any():
            row["balance_usd"] = float("nan")  # the sides add different partners: none
        row["months"] = months_field(row["exports_mask"], row["imports_mask"])
        row["status"] = status_of(row["balance_usd"])
        if len(group) > 1:  # the total of one partner is that partner's row again
            rows.append(row)
        one_sided = group[group["exports_usd"].isna() != group["imports_usd"].isna()]
        if len(one_sided) and len(one_sided) < len(group):
            names = ", ".join(
                f"{r.partner_name} ({'imports' if r.exports_usd != r.exports_usd else 'exports'}"
                f" only)" for r in one_sided.itertuples())
            detail = names if len(one_sided) <= 5 else f"{len(one_sided)} partners"
            notes.append(f"{who}the {year} total adds up each side as given, and {detail} "
                         f"{'has' if len(one_sided) == 1 else 'have'} one side only: the "
                         f"total has no balance, since its sides add different partners")
        notes += _domestic_note(table, reporter, year, who, world)
        if (reporter, year) not in world.index:
            continue
        shares = []
        for side, way in (("exports", "to"), ("imports", "from")):
            total, shown = world.at[(reporter, year), f"{side}_usd"], row[f"{side}_usd"]
            if total == total and shown == shown and total:
                shares.append(f"{shown / total:.1%} of {side} {way}")
        if shares:
            when = _period_words(group, year)
            notes.append(f"{who}in {when} the partners shown account for "
                         f"{' and '.join(shares)} the World as reported")
    if not rows:
        return BalanceResult(table, result.reporter, result.years, result.import_valuation,
                             notes, result.reporter_name)
    table = pd.concat([table, pd.DataFrame(rows)], ignore_index=True)
    table["kind_order"] = table["kind"].map(KIND_ORDER)
    table["reporter_order"] = [len(r) != 3 or r.startswith("X") for r in table["reporter"]]
    table = table.sort_values(["year", "reporter_order", "reporter", "kind_order"],
                              kind="stable")[COLUMNS]
    return BalanceResult(table.reset_index(drop=True), result.reporter, result.years,
                         result.import_valuation, notes, result.reporter_name)


def with_official(result: BalanceResult) -> BalanceResult:
    """Notes giving, beside each computed balance shown, the balance its office published
    where data/official_balances.csv has it (with its valuation, publisher and page)."""
    from pa_trade.reference.official import official_balances

    published = official_balances()
    notes = list(result.notes)
    table = result.table
    for row in table[["reporter", "partner", "year", "balance_usd", "imports_valuation",
                      "partner_name", "months"]].itertuples(index=False):
        found = published.get((row.reporter, row.partner, int(row.year)))
        if found is None:
            continue
        computed = (f"the balance above is {row.balance_usd / 1e6:,.1f} M with imports "
                    f"{row.imports_valuation or 'of unknown valuation'}"
                    if row.balance_usd == row.balance_usd else "no balance is computed above")
        if row.months not in ("1-12", ""):
            computed = (f"the balance above covers only part of the year (months "
                        f"{row.months}) and cannot be compared")
        where = f", {found.source_url}" if found.source_url else ""
        partner = "the World" if row.partner == "WLD" else row.partner_name
        notes.append(f"published balance of {countries.name(row.reporter)} with "
                     f"{partner} in {row.year}: {found.balance_usd / 1e6:,.1f} M "
                     f"(imports {found.imports_valuation}; {found.publisher}{where}); "
                     f"{computed}")
    result.notes = notes
    return result


def with_published_rows(result: BalanceResult) -> BalanceResult:
    """For people: under each row whose balance an office published (data/official_balances
    .csv), a row 'published by PUBLISHER' with that balance, its import valuation and its
    source, so that the two are read side by side. Machine formats keep one row per flow
    pair and give the published balance in a note."""
    import pandas as pd

    from pa_trade.reference.official import official_balances

    published = official_balances()
    table = result.table
    rows = []
    for row in table.to_dict("records"):
        rows.append(row)
        if row["kind"] in ("published", "shown"):
            continue
        found = published.get((row["reporter"], row["partner"], int(row["year"])))
        if found is None or row["months"] not in ("1-12", ""):
            continue  # the offices publish whole years: none beside part of one
        rows.append({
            **row, "partner_name": f"published by {found.publisher.split(',')[0]}",
            "kind": "published", "exports_usd": float("nan"), "imports_usd": float("nan"),
            "balance_usd": float(found.balance_usd), "status": status_of(found.balance_usd),
            "exports_valuation": "", "imports_valuation": found.imports_valuation,
            "sources": found.publisher + (f", {found.source_url}" if found.source_url else ""),
        })
    if len(rows) == len(table):
        return result
    return BalanceResult(pd.DataFrame(rows, columns=table.columns), result.reporter,
                         result.years, result.import_valuation, list(result.notes),
                         result.reporter_name)

