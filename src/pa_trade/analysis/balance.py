"""Exports, imports and the balance per partner and year, with the valuation of every figure."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from pa_trade import countries
from pa_trade.errors import DataError

if TYPE_CHECKING:
    import pandas as pd

COLUMNS = [
    "reporter", "partner", "partner_name", "year", "exports_usd", "imports_usd", "balance_usd",
    "status", "exports_valuation", "imports_valuation", "kind", "sources",
]
# per year: partners, the total of the partners shown, bloc subtotals, reported aggregates
KIND_ORDER = {"country": 0, "other": 1, "shown": 2, "bloc": 3, "group": 4, "world": 5}


@dataclass
class BalanceResult:
    """The balance table and what a reader of it should be told."""

    table: pd.DataFrame
    reporter: str
    years: list[int]
    import_valuation: str
    notes: list[str] = field(default_factory=list)


def status_of(balance: float | None) -> str:
    """'surplus', 'deficit' or 'balanced' to the cent; '' when the balance is unknown."""
    if balance is None or balance != balance:  # NaN: one side missing
        return ""
    cents = round(balance * 100)
    return "surplus" if cents > 0 else "deficit" if cents < 0 else "balanced"


def _valuation_label(values) -> str:
    found = sorted({v for v in values if isinstance(v, str) and v})
    if not found:
        return ""
    return found[0] if len(found) == 1 else "mixed (" + "+".join(found) + ")"


def coverage(flows: pd.DataFrame, reporter: str | None = None) -> str:
    """A sentence on what the loaded flows cover, for 'no data' errors."""
    if flows.empty:
        return "the loaded data hold no flows"
    if reporter is None or not (flows["reporter"] == reporter).any():
        parts = []
        for code, rows in flows.groupby("reporter"):
            parts.append(f"{countries.name(code)} ({_years_text(rows['year'])})")
        return "the loaded data cover " + "; ".join(parts)
    rows = flows[flows["reporter"] == reporter]
    return f"the loaded data cover {countries.name(reporter)} in {_years_text(rows['year'])}"


def _years_text(years) -> str:
    values = sorted(set(int(y) for y in years))
    if len(values) > 1 and values == list(range(values[0], values[-1] + 1)):
        return f"{values[0]}-{values[-1]}"
    return ", ".join(str(y) for y in values)


def balance(
    flows: pd.DataFrame,
    reporter: str,
    years: list[int] | None = None,
    partners: list[str] | None = None,
    valuation: str = "CIF",
    totals: bool = False,
    blocs: list[countries.Bloc] | None = None,
) -> BalanceResult:
    """Exports, imports and balance of `reporter` per partner and year.

    `partners`: ISO3 or aggregate codes to keep (None: every country partner). Blocs named in
    `blocs` add a subtotal row per year (with `totals`, or when asked for as partners).
    `valuation`: 'CIF' or 'FOB', used for imports where a source has both.
    Raises DataError when nothing matches, saying what the loaded data cover.
    """
    import pandas as pd

    valuation = valuation.upper()
    mine = flows[flows["reporter"] == reporter]
    if mine.empty:
        raise DataError(f"no data for {countries.name(reporter)} as reporter; "
                        f"{coverage(flows)}")
    if years:
        mine = mine[mine["year"].isin(years)]
        if mine.empty:
            raise DataError(
                f"no data for {countries.name(reporter)} in {_years_text(years)}; "
                f"{coverage(flows, reporter)}"
            )
    mine = mine[mine["partner"] != reporter]
    # products and months are not needed here: sum them away first, in bulk
    mine = (
        mine.groupby(["partner", "year", "flow", "valuation", "source"], observed=True)
        ["value_usd"].sum().reset_index()
    )

    exports = mine[mine["flow"] == "export"].groupby(["partner", "year"]).agg(
        exports_usd=("value_usd", "sum"),
        exports_valuation=("valuation", _valuation_label),
        export_sources=("source", lambda s: sorted(set(s))),
    )
    imports = _imports(mine[mine["flow"] == "import"], valuation)
    table = exports.join(imports, how="outer").reset_index()
    for side in ("exports_usd", "imports_usd"):
        table[side] = table[side].astype("float64")
    if table.empty:
        raise DataError(f"no exports or imports for {countries.name(reporter)}; "
                        f"{coverage(flows, reporter)}")
    table["reporter"] = reporter
    table["sources"] = [
        "; ".join(sorted(set((a if isinstance(a, list) else []) + (b if isinstance(b, list)
                                                                    else []))))
        for a, b in zip(table["export_sources"], table["import_sources"], strict=True)
    ]
    table["kind"] = [countries.kind(p) for p in table["partner"]]

    notes: list[str] = []
    asked_blocs = [b for b in (blocs or []) if partners and b.code in partners]
    if partners:
        wanted = set(partners)
        for b in asked_blocs:
            wanted |= set(b.members)
        wanted.discard(reporter)
        table = table[table["partner"].isin(wanted)]
        present = set(table["partner"])
        for code in sorted(wanted - present - {b.code for b in asked_blocs}):
            notes.append(f"no data for {countries.name(reporter)} with {countries.name(code)} "
                         f"in the years asked")
    elif not totals:
        table = table[~table["kind"].isin(["world", "group"])]

    subtotal_blocs = blocs if totals else asked_blocs
    extra = [_bloc_rows(table, reporter, b, notes) for b in subtotal_blocs or []]
    table = pd.concat([table] + [e for e in extra if not e.empty], ignore_index=True)
    if table.empty:
        asked = ", ".join(countries.name(p) for p in partners or [])
        raise DataError(
            f"no data for {countries.name(reporter)} with {asked} in the years asked; "
            f"{coverage(flows, reporter)}"
        )
    table["balance_usd"] = table["exports_usd"] - table["imports_usd"]
    table["status"] = [status_of(b) for b in table["balance_usd"]]
    given_names = table["partner_name"] if "partner_name" in table else [None] * len(table)
    table["partner_name"] = [
        name if isinstance(name, str) and name else countries.name(code)
        for code, name in zip(table["partner"], given_names, strict=True)
    ]
    for column in ("exports_valuation", "imports_valuation"):
        table[column] = table[column].fillna("")
    table["trade"] = table["exports_usd"].fillna(0) + table["imports_usd"].fillna(0)
    table["kind_order"] = table["kind"].map(KIND_ORDER)
    table = table.sort_values(["year", "kind_order", "trade", "partner"],
                              ascending=[True, True, False, True])
    table = table[COLUMNS].reset_index(drop=True)
    return BalanceResult(table, reporter, sorted(set(table["year"].tolist())), valuation, notes)


def _imports(imports: pd.DataFrame, valuation: str) -> pd.DataFrame:
    """Imports per (partner, year) at the asked valuation, else the one the source has."""
    import pandas as pd

    if imports.empty:
        return pd.DataFrame(
            {"imports_usd": pd.Series(dtype="float64"),
             "imports_valuation": pd.Series(dtype="object"),
             "import_sources": pd.Series(dtype="object")},
            index=pd.MultiIndex.from_arrays([[], []], names=["partner", "year"]),
        )
    other = "FOB" if valuation == "CIF" else "CIF"
    preference = {valuation: 0, other: 1, "unknown": 2}
    ranked = imports.assign(rank=imports["valuation"].map(preference).fillna(3))
    best = ranked.groupby(["partner", "year"])["rank"].transform("min")
    chosen = ranked[ranked["rank"] == best]
    return chosen.groupby(["partner", "year"]).agg(
        imports_usd=("value_usd", "sum"),
        imports_valuation=("valuation", _valuation_label),
        import_sources=("source", lambda s: sorted(set(s))),
    )


def _bloc_rows(table: pd.DataFrame, reporter: str, bloc, notes: list[str]) -> pd.DataFrame:
    """One subtotal row per year: the reporter's trade with the bloc's other members."""
    import pandas as pd

    members = [m for m in bloc.members if m != reporter]
    rows = []
    for year, group in table[table["partner"].isin(members)].groupby("year"):
        present = [m for m in members if m in set(group["partner"])]
        missing = [m for m in members if m not in present]
        if missing:
            notes.append(
                f"{bloc.name_en} subtotal for {year} covers {', '.join(present)} only "
                f"(no data for {', '.join(missing)})"
            )
        rows.append(
            {
                "reporter": reporter,
                "partner": bloc.code,
                "partner_name": f"{bloc.name_en} ({', '.join(members)})",
                "year": year,
                "exports_usd": group["exports_usd"].sum(min_count=1),
                "imports_usd": group["imports_usd"].sum(min_count=1),
                "exports_valuation": _valuation_label(group["exports_valuation"]),
                "imports_valuation": _valuation_label(group["imports_valuation"]),
                "kind": "bloc",
                "sources": "; ".join(sorted({s for v in group["sources"] for s in v.split("; ")
                                              if s})),
            }
        )
    return pd.DataFrame(rows)


def with_total_rows(result: BalanceResult) -> BalanceResult:
    """Add, per year, a 'Total, partners shown' row summing the country rows."""
    import pandas as pd

    table = result.table
    countries_only = table[table["kind"].isin(["country", "other"])]
    rows = []
    for year, group in countries_only.groupby("year"):
        exports = group["exports_usd"].sum(min_count=1)
        imports = group["imports_usd"].sum(min_count=1)
        rows.append(
            {
                "reporter": result.reporter, "partner": "", "year": year,
                "partner_name": f"Total, {len(group)} partner{'s' if len(group) > 1 else ''}",
                "exports_usd": exports, "imports_usd": imports,
                "balance_usd": exports - imports, "status": status_of(exports - imports),
                "exports_valuation": _valuation_label(group["exports_valuation"]),
                "imports_valuation": _valuation_label(group["imports_valuation"]),
                "kind": "shown", "sources": "",
            }
        )
    if not rows:
        return result
    notes = list(result.notes)
    world = table[table["kind"] == "world"].set_index("year")
    for row in rows:
        if row["year"] not in world.index:
            continue
        shares = []
        for side in ("exports", "imports"):
            total, shown = world.at[row["year"], f"{side}_usd"], row[f"{side}_usd"]
            if total == total and shown == shown and total:
                shares.append(f"{shown / total:.1%} of {side}")
        if shares:
            notes.append(f"in {row['year']} the partners shown account for "
                         f"{' and '.join(shares)} to and from the World as reported")
    table = pd.concat([table, pd.DataFrame(rows)], ignore_index=True)
    table["kind_order"] = table["kind"].map(KIND_ORDER)
    table = table.sort_values(["year", "kind_order"], kind="stable")[COLUMNS]
    return BalanceResult(table.reset_index(drop=True), result.reporter, result.years,
                         result.import_valuation, notes)
