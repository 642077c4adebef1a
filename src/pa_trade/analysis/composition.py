"""What is traded: the product composition of a reporter's trade, and intra-industry trade.

`composition` gives exports, imports, balance and shares per product (HS section, chapter,
heading, subheading or broad group) for each partner and year; `grubel_lloyd` measures how
much of the trade is two-way within products; `with_gl` adds that index to a balance table.
Pure functions: canonical flows in, DataFrames out.

Every partner-year knows the months its exports and its imports cover (the months the
sources of its product figures cover, see analysis.coverage). Where the two sides cover
different months, its products have no balance and it has no Grubel-Lloyd index: both
compare exports with imports, and six months against twelve compares nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from pa_trade.analysis.coverage import like, part_year_notes
from pa_trade.errors import DataError
from pa_trade.periods import span as span_of
from pa_trade.reference import countries, products

if TYPE_CHECKING:
    import pandas as pd

    from pa_trade.analysis.balance import BalanceResult

COLUMNS = [
    "reporter", "partner", "partner_name", "year", "months", "product", "product_name",
    "exports_usd", "imports_usd", "balance_usd", "share_exports", "share_imports",
]
OTHER = "other"  # the product code of the row that adds up what --top leaves out
WORLD = "WLD"
SIDES = {"export": "exports_usd", "import": "imports_usd"}
GL_COARSER = ("the Grubel–Lloyd index counts them at their own level, which can only raise "
              "it")


@dataclass
class CompositionResult:
    """The products table and what a reader of it should be told.

    `table` has COLUMNS plus `kind` ('product' or 'other', the row adding up what --top left
    out) and, with `gl_level`, a column `gl_<level>` repeating each partner-year's index.
    `gl` has one row per partner and year: partner, year, gl (NaN when undefined).
    `periods` has one row per partner and year: partner, year, exports_mask, imports_mask
    (the months each side covers, NaN for a side the data lack) and months (as in machine
    output, coverage.months_field).
    """

    table: pd.DataFrame
    reporter: str
    level: str
    years: list[int]
    flow: str | None = None
    gl_level: str | None = None
    gl: pd.DataFrame | None = None
    notes: list[str] = field(default_factory=list)
    exports_valuation: str = ""
    imports_valuation: str = ""
    sources: list[str] = field(default_factory=list)
    periods: pd.DataFrame | None = None

    @property
    def period(self) -> str:
        """The years shown, with the months they cover when every partner-year covers one
        same part year: '2022', 'January–June 2022', '2022–2023, January–June of each year'."""
        from pa_trade.analysis.coverage import period_of

        if self.periods is None:
            return f"{self.years[0]}" if len(self.years) == 1 else (
                f"{self.years[0]}–{self.years[-1]}")
        return period_of(self.periods, self.years)


def grubel_lloyd(exports, imports) -> float:
    """GL = 1 - sum|X_i - M_i| / sum(X_i + M_i) over products i; NaN when there is no trade.

    0 when all trade is one-way (each product only exported or only imported), 1 when
    exports equal imports in every product. Takes two sequences of the same length.
    """
    pairs = list(zip(exports, imports, strict=True))
    total = sum(x + m for x, m in pairs)
    if not total:
        return float("nan")
    gap = sum(abs(x - m) for x, m in pairs)
    return max(0.0, min(1.0, 1.0 - gap / total))  # float noise must not leave [0, 1]


def composition(
    flows: pd.DataFrame,
    reporter: str,
    partners: list | None = None,
    years: list[int] | None = None,
    level: str = "chapter",
    valuation: str = "CIF",
    top: int | None = None,
    flow: str | None = None,
    gl_level: str | None = None,
) -> CompositionResult:
    """Exports, imports, balance and shares per product of `reporter` with each partner.

    `partners`: ISO3 or aggregate codes and `countries.Bloc`s (a bloc is the sum over its
    members other than the reporter); None: the World, that is the reported World rows
    where a source gives them with tariff codes, else the sum over every partner.
    `level`: one of products.LEVELS. `valuation`: imports 'CIF' or 'FOB' where a source has
    both, chosen per partner and year as `balance` does, so totals match its figures.
    `top`: keep the N largest products of each partner-year and add them up the rest in one
    row (product 'other'), so totals still add up. `flow`: 'export' or 'import' ranks by that
    side and lists only products with some of it; None ranks by exports plus imports.
    `gl_level`: also compute the Grubel-Lloyd index at that level (see `grubel_lloyd`).

    Shares are of the partner-year's total exports (imports) with a tariff code. A side the
    data do not have at all (only export files loaded) is NaN, not zero. Flows without a
    tariff code are left out and their value is named in the notes.
    Raises DataError when nothing matches or the data have no tariff codes.
    """
    level = products.check_level(level)
    chosen = _chosen(flows, [reporter], years, valuation)
    notes: list[str] = []
    selected, names, labels = _select(chosen, reporter, partners, notes)
    coded = _coded(selected, reporter, notes)
    available = _available(chosen)
    periods = _periods(chosen, coded, available)
    table = _shares(_per_product(coded, level, available))
    if flow is not None:
        table = table[table[SIDES[flow]].fillna(0) != 0]
        if table.empty:
            raise DataError(f"no {flow}s with a tariff code for {countries.name(reporter)} "
                            f"with the partners and years asked")
    table = _order(table, flow, labels)
    if top is not None:
        table = _keep_top(table, top)
    table["reporter"] = reporter
    table["partner_name"] = [names[(p, y)] for p, y in zip(table["partner"], table["year"],
                                                             strict=True)]
    table["product_name"] = [
        f"Other products ({int(count)})" if kind == OTHER else products.name(code, level)
        for code, kind, count in zip(table["product"], table["kind"], table["count"],
                                     strict=True)
    ]
    table = table.merge(periods, on=["partner", "year"], how="left")
    comparable = [like(x, m) for x, m in zip(table["exports_mask"], table["imports_mask"],
                                             strict=True)]
    table["balance_usd"] = (table["exports_usd"] - table["imports_usd"]).where(comparable)
    notes += _coarser(coded, level, "shown at their own level")
    notes += _unlike_notes(periods, names, gl_level is not None)
    gl = None
    extra = []
    if gl_level is not None:
        gl_level = products.check_level(gl_level)
        gl = _gl(_per_product(coded, gl_level, available), periods)
        if gl_level != level:
            notes += _coarser(coded, gl_level, GL_COARSER)
        extra = [f"gl_{gl_level}"]
        table = table.merge(gl.rename(columns={"gl": extra[0]}), on=["partner", "year"],
                            how="left")
    table = table[COLUMNS + ["kind"] + extra].reset_index(drop=True)
    result = CompositionResult(
        table=table,
        reporter=reporter,
        level=level,
        years=sorted({int(y) for y in table["year"]}),
        flow=flow,
        gl_level=gl_level,
        gl=gl,
        notes=notes,
        exports_valuation=_labels(coded.loc[coded["flow"] == "export", "valuation"]),
        imports_valuation=_labels(coded.loc[coded["flow"] == "import", "valuation"]),
        sources=sorted(coded["source"].dropna().unique()),
        periods=periods,
    )
    if result.period == span_of(result.years):  # the title names no months: the notes do
        result.notes += part_year_notes(periods)
    return result


def gl_table(flows: pd.DataFrame, reporter: str, partners: list | None = None,
             years: list[int] | None = None, level: str = "subheading",
             valuation: str = "CIF") -> pd.DataFrame:
    """The Grubel-Lloyd index of `reporter` with each partner per year at `level`.

    Columns: partner, year, gl. Partners as in `composition`.
    """
    level = products.check_level(level)
    chosen = _chosen(flows, [reporter], years, valuation)
    selected, _, _ = _select(chosen, reporter, partners, [])
    coded = _coded(selected, reporter, [])
    available = _available(chosen)
    return _gl(_per_product(coded, level, available), _periods(chosen, coded, available))


def with_gl(result: BalanceResult, flows: pd.DataFrame, level: str = "subheading"
            ) -> BalanceResult:
    """A balance result with a column `gl_<level>`: the Grubel-Lloyd index of every row.

    Partner rows use that partner's flows; bloc rows the bloc's members; World rows the
    reported World flows with tariff codes, else the sum over every partner; total rows the
    partners shown. NaN where the flows have no tariff codes or a side is missing.
    """
    import pandas as pd

    from pa_trade.analysis.balance import BalanceResult

    level = products.check_level(level)
    column = f"gl_{level}"
    table = result.table
    wanted = []
    for record in table.itertuples(index=False):
        reporters = _members_or_self(record.reporter)
        partner_set = _partners_of_row(record, reporters, table)
        wanted.append((tuple(reporters), partner_set, int(record.year)))
    involved = sorted({r for reporters, _, _ in wanted for r in reporters})
    notes = list(result.notes)
    chosen = _chosen(flows, involved, result.years, result.import_valuation, missing_ok=True)
    coded = chosen[chosen["hs_code"].notna()]
    if coded.empty:
        raise DataError("--gl needs tariff codes, and the loaded data have none; load "
                        "customs microdata (DANE EXPO/IMPO), a tidy file with hs_code, or "
                        "fetch them with `pa-trade fetch comtrade --level chapter`")
    uncoded = chosen[chosen["hs_code"].isna() & ~_aggregates(chosen["partner"])]
    if not uncoded.empty and uncoded["value_usd"].sum():
        notes.append(f"{usd_text(uncoded['value_usd'].sum())} USD of flows without a tariff "
                     f"code left out of the Grubel–Lloyd index")
    notes += _coarser(coded, level, GL_COARSER)
    coded = _with_products(coded, level)
    per_cell = coded.groupby(["reporter", "partner", "year", "flow", "product"],
                             observed=True)["value_usd"].sum().reset_index()
    cells = per_cell[["reporter", "year", "flow"]].drop_duplicates()
    sides = {(r, int(y), f) for r, y, f in cells.itertuples(index=False)}
    single = _single_partner_gl(per_cell)
    values = []
    comparable = [like(x, m) for x, m in zip(table["exports_mask"], table["imports_mask"],
                                             strict=True)]
    for (reporters, partner_set, year), same_months in zip(wanted, comparable, strict=True):
        has_exports = any((r, year, "export") in sides for r in reporters)
        has_imports = any((r, year, "import") in sides for r in reporters)
        if not (has_exports and has_imports and same_months):
            values.append(float("nan"))
            continue
        if len(reporters) == 1 and isinstance(partner_set, frozenset) and len(partner_set) == 1:
            (partner,) = partner_set
            values.append(single.get((reporters[0], partner, year), float("nan")))
            continue
        rows = per_cell[per_cell["reporter"].isin(reporters) & (per_cell["year"] == year)]
        rows = _world(rows) if partner_set is None else rows[rows["partner"].isin(partner_set)]
        if rows.empty:
            values.append(float("nan"))
            continue
        by_product = rows.pivot_table(index="product", columns="flow", values="value_usd",
                                      aggfunc="sum", fill_value=0.0, observed=True)
        values.append(grubel_lloyd(by_product.get("export", pd.Series(0.0, by_product.index)),
                                   by_product.get("import", pd.Series(0.0, by_product.index))))
    if not all(comparable):
        notes.append("no Grubel–Lloyd index where exports and imports cover different months")
    table = table.assign(**{column: values})
    return BalanceResult(table, result.reporter, result.years, result.import_valuation, notes,
                         result.reporter_name)


def usd_text(value: float) -> str:
    """Dollars for a sentence: 1,752,000,000 or 23,885.1."""
    text = f"{value:,.2f}"
    if text.endswith(".00"):
        return text[:-3]
    return text[:-1] if text.endswith("0") else text


# -- pieces ------------------------------------------------------------------------------


def _aggregates(partners: pd.Series) -> pd.Series:
    """True where a partner is the World or a group of countries: each code looked up once."""
    lookup = {code: countries.is_aggregate(str(code)) for code in partners.unique()}
    return partners.map(lookup).astype(bool)


def _chosen(flows: pd.DataFrame, reporters: list[str], years: list[int] | None,
            valuation: str, missing_ok: bool = False) -> pd.DataFrame:
    """The reporters' flows in `years` with one import valuation per partner and year.

    The valuation asked where a source has it, else the other, else 'unknown': the same
    choice `balance` makes, so totals agree with it.
    """
    import pandas as pd

    from pa_trade.analysis.balance import coverage, years_text

    mine = flows[flows["reporter"].isin(reporters)]
    if mine.empty and not missing_ok:
        raise DataError(f"no data for {countries.name(reporters[0])} as reporter; "
                        f"{coverage(flows)}")
    if years:
        mine = mine[mine["year"].isin(years)]
        if mine.empty and not missing_ok:
            raise DataError(f"no data for {countries.name(reporters[0])} in "
                            f"{years_text(years)}; {coverage(flows, reporters[0])}")
    mine = mine[mine["partner"] != mine["reporter"]]
    valuation = valuation.upper()
    other = "FOB" if valuation == "CIF" else "CIF"
    rank = {valuation: 0, other: 1, "unknown": 2}
    imports = mine[mine["flow"] == "import"]
    ranked = imports["valuation"].map(rank).fillna(3)
    best = ranked.groupby([imports["reporter"], imports["partner"], imports["year"]]
                          ).transform("min")
    imports = imports[ranked == best]
    return pd.concat([mine[mine["flow"] == "export"], imports], ignore_index=True)


def _select(chosen: pd.DataFrame, reporter: str, partners: list | None, notes: list[str]):
    """(flows labelled by the partner they count for, {(label, year): partner name}, labels
    in the order asked)."""
    import pandas as pd

    frames, names, labels, missing = [], {}, [], []
    # a partner asked twice (mexico, méxico) counts once
    specs = [WORLD] if partners is None else list(dict.fromkeys(partners))
    for spec in specs:
        if isinstance(spec, countries.Bloc):
            members = [m for m in spec.members if m != reporter]
            rows = chosen[chosen["partner"].isin(members)]
            label, name = spec.code, f"{spec.name_en} ({', '.join(members)})"
        elif spec == WORLD:
            rows = _world(chosen)
            label, name = WORLD, None
        else:
            rows = chosen[chosen["partner"] == spec]
            label, name = spec, countries.name(spec)
        if rows.empty:
            missing.append(name or countries.name(WORLD))
            continue
        for year, year_rows in rows.groupby("year"):
            if label == WORLD:
                reported = (year_rows["partner"] == WORLD).all()
                name = "World" if reported else "World (sum of partners)"
            names[(label, int(year))] = name
        labels.append(label)
        frames.append(rows.assign(label=label))
    if not frames:
        from pa_trade.analysis.balance import coverage

        raise DataError(f"no data for {countries.name(reporter)} with {', '.join(missing)} in "
                        f"the years asked; {coverage(chosen, reporter)}")
    notes += [f"no data for {countries.name(reporter)} with {name} in the years asked"
              for name in missing]
    return pd.concat(frames, ignore_index=True), names, labels


def _world(rows: pd.DataFrame) -> pd.DataFrame:
    """Per reporter and year: the reported World rows when they carry tariff codes, else the
    sum over every partner that is not an aggregate (never both: that would count twice)."""
    import pandas as pd

    aggregate = _aggregates(rows["partner"])
    world = rows["partner"] == WORLD
    coded_world = rows[world & rows["hs_code"].notna()] if "hs_code" in rows else rows[world]
    if coded_world.empty:
        return rows[~aggregate]
    cells = pd.MultiIndex.from_frame(coded_world[["reporter", "year"]])
    use_world = pd.MultiIndex.from_frame(rows[["reporter", "year"]]).isin(cells)
    return rows[(use_world & world) | (~use_world & ~aggregate)]


def _coded(selected: pd.DataFrame, reporter: str, notes: list[str]) -> pd.DataFrame:
    """The selected flows that have a tariff code; the value of the others goes in a note."""
    uncoded = selected[selected["hs_code"].isna()]
    coded = selected[selected["hs_code"].notna()]
    if coded.empty:
        raise DataError(
            f"the loaded data have no tariff codes for {countries.name(reporter)}'s trade "
            f"asked; products needs customs microdata (DANE EXPO/IMPO), a tidy file with "
            f"hs_code, or `pa-trade fetch comtrade --level chapter`"
        )
    if not uncoded.empty:
        sides = []
        for flow, column in (("export", "exports"), ("import", "imports")):
            value = uncoded.loc[uncoded["flow"] == flow, "value_usd"].sum()
            if value:
                sides.append(f"{usd_text(value)} of {column}")
        total = uncoded["value_usd"].sum()
        notes.append(f"{usd_text(total)} USD of flows without a tariff code left out "
                     f"({' and '.join(sides) or 'no value'})")
    return coded


def _periods(chosen: pd.DataFrame, coded: pd.DataFrame, available: set) -> pd.DataFrame:
    """partner (the label), year, exports_mask, imports_mask, months: the months each side of
    a partner-year covers.

    The months of a side are those the sources of the product figures cover for the
    reporter (coverage.partner_months over every partner's coded flows: a partner that
    trades only in March inside a January-June source covers January-June); a bloc's or
    the World's are its partners', MIXED when they differ. A side with no flow for that
    partner, in a year the data have that side (a partner that only buys: exports of 0),
    covers what the reporter's sources of that side cover; a side the data lack is NaN.
    """
    import pandas as pd

    from pa_trade.analysis.coverage import combined, months_field, partner_months

    masks = partner_months(chosen[chosen["hs_code"].notna()]).to_dict()
    # a few hundred (partner, year, flow) pairs at most: plain Python from here
    overall: dict[tuple, set] = {}
    for (_reporter, _partner, year, flow), mask in masks.items():
        overall.setdefault((int(year), flow), set()).add(mask)
    columns = ["label", "reporter", "partner", "year", "flow"]
    pairs = coded[columns].drop_duplicates()
    per_side: dict[tuple, set] = {}
    for label, reporter, partner, year, flow in zip(*(pairs[c].tolist() for c in columns),
                                                    strict=True):
        mask = masks.get((reporter, partner, year, flow))
        per_side.setdefault((label, int(year), flow), set()).add(mask)
    rows = []
    for label, year in dict.fromkeys((label, int(year)) for label, _, _, year, _ in
                                     zip(*(pairs[c].tolist() for c in columns), strict=True)):
        row = {"partner": label, "year": year}
        for flow, side in (("export", "exports"), ("import", "imports")):
            found = per_side.get((label, year, flow), overall.get((year, flow)))
            if (year, flow) not in available or not found:
                row[f"{side}_mask"] = float("nan")
            else:
                row[f"{side}_mask"] = float(combined(found))
        row["months"] = months_field(row["exports_mask"], row["imports_mask"])
        rows.append(row)
    frame = pd.DataFrame(rows, columns=["partner", "year", "exports_mask", "imports_mask",
                                        "months"])
    return frame.astype({"year": "int64", "exports_mask": "float64",
                         "imports_mask": "float64"})


def _unlike_notes(periods: pd.DataFrame, names: dict, gl: bool) -> list[str]:
    """A note per partner-year whose exports and imports cover different months."""
    from pa_trade.analysis.coverage import capped, period_words

    what = "no balance or Grubel–Lloyd index" if gl else "no balance"
    notes = []
    for record in periods.itertuples(index=False):
        x, m = record.exports_mask, record.imports_mask
        if like(x, m):
            continue
        year = int(record.year)
        notes.append(f"with {names[(record.partner, year)]}: exports cover "
                     f"{period_words(x, year)}, imports {period_words(m, year)}: {what}")
    return capped(notes, "partner-years without a balance for the same reason")




def _coarser(coded: pd.DataFrame, level: str, consequence: str) -> list[str]:
    """A note when some tariff codes have fewer digits than `level` needs (UN Comtrade's
    chapters at heading level): they cannot be split, and the reader should know."""
    if level not in products.DIGITS:
        return []
    short = coded["hs_code"].str.len() < products.DIGITS[level]
    if not short.any():
        return []
    value = coded.loc[short, "value_usd"].sum()
    return [f"{usd_text(value)} USD of flows have tariff codes with fewer digits than an HS "
            f"{level} (such as UN Comtrade's chapters): {consequence}"]


def _available(chosen: pd.DataFrame) -> set[tuple[int, str]]:
    """(year, flow) pairs for which the data hold coded flows at all: a side missing from
    the data is unknown (NaN), while a partner that only buys has exports of zero."""
    cells = chosen.loc[chosen["hs_code"].notna(), ["year", "flow"]].drop_duplicates()
    return {(int(year), str(flow)) for year, flow in cells.itertuples(index=False)}


def _with_products(coded: pd.DataFrame, level: str) -> pd.DataFrame:
    """`coded` with a column `product`: each distinct tariff code mapped once."""
    distinct = coded["hs_code"].astype(str).unique()
    mapping = {code: products.product(code, level) for code in distinct}
    return coded.assign(product=coded["hs_code"].astype(str).map(mapping))


def _per_product(coded: pd.DataFrame, level: str, available: set) -> pd.DataFrame:
    """partner (the label), year, product, exports_usd, imports_usd; a side the data lack
    is NaN, a product only traded the other way is 0."""
    import pandas as pd

    coded = _with_products(coded, level)
    summed = coded.groupby(["label", "year", "product", "flow"], observed=True
                           )["value_usd"].sum().unstack("flow")
    table = pd.DataFrame({
        "exports_usd": summed["export"] if "export" in summed else 0.0,
        "imports_usd": summed["import"] if "import" in summed else 0.0,
    }, index=summed.index).fillna(0.0).reset_index().rename(columns={"label": "partner"})
    table["year"] = table["year"].astype("int64")
    for flow, column in SIDES.items():
        missing = [(int(y), flow) not in available for y in table["year"]]
        table.loc[missing, column] = float("nan")
    table["kind"] = "product"
    table["count"] = 1
    return table


def _shares(table: pd.DataFrame) -> pd.DataFrame:
    table = table.copy()
    for column in SIDES.values():
        share = "share_" + column.removesuffix("_usd")
        total = table.groupby(["partner", "year"])[column].transform("sum")
        table[share] = (table[column] / total).where(total > 0)
    return table


def _order(table: pd.DataFrame, flow: str | None, labels: list[str]) -> pd.DataFrame:
    """Year, partners in the order asked, then the largest products first."""
    table = table.copy()
    if flow is None:
        table["rank_value"] = table["exports_usd"].fillna(0) + table["imports_usd"].fillna(0)
    else:
        table["rank_value"] = table[SIDES[flow]].fillna(0)
    order = {label: index for index, label in enumerate(labels)}
    table["partner_order"] = table["partner"].map(order)
    table = table.sort_values(["year", "partner_order", "rank_value", "product"],
                              ascending=[True, True, False, True], kind="stable")
    return table.drop(columns=["partner_order"]).reset_index(drop=True)


def _keep_top(table: pd.DataFrame, top: int) -> pd.DataFrame:
    """The `top` first products of each partner-year and one row adding up the others."""
    import pandas as pd

    pieces = []
    for _, group in table.groupby(["year", "partner"], sort=False):
        kept, rest = group.iloc[:top], group.iloc[top:]
        pieces.append(kept)
        if rest.empty:
            continue
        row = {"partner": rest["partner"].iloc[0], "year": rest["year"].iloc[0],
               "product": OTHER, "kind": OTHER, "count": len(rest)}
        for column in ("exports_usd", "imports_usd", "share_exports", "share_imports"):
            row[column] = rest[column].sum(min_count=1)
        pieces.append(pd.DataFrame([row]))
    return pd.concat(pieces, ignore_index=True)


def _gl(per_product: pd.DataFrame, periods: pd.DataFrame) -> pd.DataFrame:
    """partner, year, gl from a per-product table (NaN where a side is missing or the two
    sides cover different months, `periods` says)."""
    import pandas as pd

    unlike = {(p, int(y)) for p, y, x, m in periods[["partner", "year", "exports_mask",
                                                      "imports_mask"]].itertuples(index=False)
              if not like(x, m)}
    rows = []
    for (partner, year), group in per_product.groupby(["partner", "year"], sort=False):
        if (group["exports_usd"].isna().any() or group["imports_usd"].isna().any()
                or (partner, int(year)) in unlike):
            value = float("nan")
        else:
            value = grubel_lloyd(group["exports_usd"].tolist(), group["imports_usd"].tolist())
        rows.append({"partner": partner, "year": int(year), "gl": value})
    return pd.DataFrame(rows, columns=["partner", "year", "gl"])


def _single_partner_gl(per_cell: pd.DataFrame) -> dict:
    """{(reporter, partner, year): GL} for every single partner, in bulk."""
    wide = per_cell.pivot_table(index=["reporter", "partner", "year", "product"],
                                columns="flow", values="value_usd", aggfunc="sum",
                                fill_value=0.0, observed=True)
    exports = wide["export"] if "export" in wide else 0.0 * wide.iloc[:, 0]
    imports = wide["import"] if "import" in wide else 0.0 * wide.iloc[:, 0]
    keys = ["reporter", "partner", "year"]
    gap = (exports - imports).abs().groupby(level=keys).sum()
    total = (exports + imports).groupby(level=keys).sum()
    gl = (1 - gap / total).where(total > 0).clip(0.0, 1.0)
    return gl.to_dict()


def _members_or_self(code: str) -> list[str]:
    """A bloc's members for a bloc's code (XPA), else the code itself."""
    if countries.kind(code) == "country":
        return [code]
    found = countries.bloc(code)
    return list(found.members) if found else [code]


def _partners_of_row(record, reporters: list[str], table: pd.DataFrame):
    """The partners a balance row adds up: a frozenset of codes, or None for the World."""
    kind = record.kind
    if kind in ("country", "other", "group"):
        return frozenset([record.partner])
    if kind == "world":
        return None
    if kind in ("bloc", "intra"):
        found = countries.bloc(record.partner)
        members = set(found.members) if found else {record.partner}
        return frozenset(members - set(reporters)) if kind == "bloc" else frozenset(members)
    if kind == "shown":
        shown = table[(table["reporter"] == record.reporter) & (table["year"] == record.year)
                      & table["kind"].isin(["country", "other"])]
        return frozenset(shown["partner"])
    return frozenset([record.partner])


def _labels(values: pd.Series) -> str:
    found = sorted(v for v in values.dropna().unique() if v)
    return " / ".join(found) if found else "n/a"

