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

import itertools
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from pa_trade.analysis.coverage import like, part_year_notes
from pa_trade.errors import DataError
from pa_trade.flows import first_rows, small_int, sorted_codes
from pa_trade.memory import give_back
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
ORDER_PIECE_ROWS = 1 << 20  # rows of partner-years sorted and moved together on a core
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
    give_memory_back: bool = False,
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
    `give_memory_back`: return the memory freed once the products are summed to the system
    (memory.give_back, process-wide: for the command line, whose one run this is).

    When `flows` is the caller's only reference to the table (as the command line passes
    it), the table is freed once each level's products are known, before the result is
    built: on millions of distinct tariff codes, the difference between 1.4 and 2.6 GB.
    The result's text columns (partner, product, kind, reporter, names, months) are
    categoricals but where --top adds its 'other' rows.

    Shares are of the partner-year's total exports (imports) with a tariff code. A side the
    data do not have at all (only export files loaded) is NaN, not zero. Flows without a
    tariff code are left out and their value is named in the notes.
    Raises DataError when nothing matches or the data have no tariff codes.

    The work is done on whole columns: each text column of `flows` is factorized once
    (_Flows), rows are chosen and labelled as arrays of row numbers, and products are summed
    with one grouping per level.
    """
    import numpy as np
    import pyarrow as pa

    level = products.check_level(level)
    codes = _Flows(flows)
    del flows  # `codes` holds the table from here, until codes.let_go() below
    chosen = _chosen_rows(codes, [reporter], years, valuation)
    notes: list[str] = []
    selected, names, labels = _select(codes, chosen, reporter, partners, notes)
    coded = _coded(codes, selected, reporter, notes)
    del selected
    available = _available(codes, chosen)
    periods = _periods(codes, chosen, coded, labels, available)
    del chosen
    coarser = _coarser_rows(codes, coded, level, "shown at their own level")
    rows, _ = coded
    valuations = codes.distinct_by("valuation", "flow", rows)
    sources = sorted(codes.distinct("source", rows))
    del rows
    gl_notes = []
    if gl_level is not None:
        gl_level = products.check_level(gl_level)
        if gl_level != level:
            gl_notes = _coarser_rows(codes, coded, gl_level, GL_COARSER)
    # each level's products from the distinct tariff codes, then no more of the frame than
    # the sums need (the largest arrays at work come next)
    of_level = {name: _products(codes, name) for name in dict.fromkeys([level, gl_level])
                if name is not None}
    codes.let_go(("flow", "hs_code"))
    if give_memory_back:
        give_back()
    per_product, product_texts = _per_product(codes, coded, labels, of_level[level],
                                              available)
    gl = None
    extra = []
    if gl_level is not None:
        gl = _gl(per_product if gl_level == level else _per_product(
            codes, coded, labels, of_level[gl_level], available)[0], periods, labels)
        extra = [f"gl_{gl_level}"]
    del codes, coded, of_level
    table = _shares(per_product)
    del per_product
    if flow is not None:
        table = table[table[SIDES[flow]].fillna(0).to_numpy() != 0]
        if table.empty:
            raise DataError(f"no {flow}s with a tariff code for {countries.name(reporter)} "
                            f"with the partners and years asked")
    table = _with_texts(_order(table, flow), labels, product_texts)
    if top is not None:
        table = _keep_top(table, top)
    # each row's partner-year: its row in `periods` (one per label and year of `coded`)
    cells = list(periods[["partner", "year"]].itertuples(index=False, name=None))
    cell = _cells_of(table, labels, cells)
    table["reporter"] = _same_text(reporter, len(table))
    table["partner_name"] = _coded_text([names[key] for key in cells], cell)
    other = table["kind"].to_numpy() == OTHER
    named = pa.concat_arrays([products.names_array(product_texts, level), pa.array(
        [f"Other products ({int(count)})" for count in table["count"].to_numpy()[other]],
        pa.string())])
    at = table["_product"].to_numpy(dtype=np.int64, copy=True)
    at[other] = len(product_texts) + np.arange(int(other.sum()))
    table["product_name"] = _coded_text(named, at)
    table["months"] = _coded_text(periods["months"].tolist(), cell)
    comparable = _like(periods["exports_mask"].to_numpy(), periods["imports_mask"].to_numpy()
                       )[cell]  # per partner-year, then per row
    table["balance_usd"] = (table["exports_usd"] - table["imports_usd"]).where(comparable)
    notes += coarser
    notes += _unlike_notes(periods, names, gl_level is not None)
    if gl is not None:
        notes += gl_notes
        gl_of = dict(zip(zip(gl["partner"], gl["year"], strict=True), gl["gl"], strict=True))
        table[extra[0]] = np.asarray([gl_of.get(key, np.nan) for key in cells],
                                     dtype=np.float64)[cell]
    table = table[COLUMNS + ["kind"] + extra].reset_index(drop=True)
    result = CompositionResult(
        table=table,
        reporter=reporter,
        level=level,
        years=sorted({int(y) for y in np.unique(table["year"].to_numpy())}),
        flow=flow,
        gl_level=gl_level,
        gl=gl,
        notes=notes,
        exports_valuation=_labels(valuations.get("export", [])),
        imports_valuation=_labels(valuations.get("import", [])),
        sources=sources,
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
    codes = _Flows(flows)
    chosen = _chosen_rows(codes, [reporter], years, valuation)
    selected, _, labels = _select(codes, chosen, reporter, partners, [])
    coded = _coded(codes, selected, reporter, [])
    available = _available(codes, chosen)
    return _gl(_per_product(codes, coded, labels, _products(codes, level), available)[0],
               _periods(codes, chosen, coded, labels, available), labels)


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


class _Flows:
    """Canonical flows as whole columns of integers: each text column factorized once, when
    first asked for (codes, -1 where missing; the distinct values), years and values as
    numpy arrays. Rows are chosen as arrays of row numbers into `frame`."""

    def __init__(self, frame: pd.DataFrame):
        import numpy as np

        self.frame = frame
        self.size = len(frame)
        self.year = np.asarray(frame["year"], dtype=np.int64)  # the frame's own: no copy
        # the column's own array where it is plain float64 (missing is NaN either way)
        self.value = frame["value_usd"].to_numpy(dtype=np.float64, na_value=np.nan)
        self._factorized: dict[str, tuple] = {}
        self._digit_widths: dict[str, int | None] = {}  # digits(): each column's own width
        self._years = None

    def _column(self, name: str) -> tuple:
        import numpy as np
        import pandas as pd

        if name not in self._factorized:
            if self.frame is None:
                raise RuntimeError(f"column {name!r} asked for after let_go()")
            column = self.frame[name] if name in self.frame else None
            if column is None:  # a column the frame lacks (a tidy file's month): missing
                codes, uniques = np.full(self.size, -1), []
            elif isinstance(column.dtype, pd.CategoricalDtype):  # its own codes (and its
                # categories as they are: a million tariff codes are no Python list)
                codes, uniques = column.cat.codes.to_numpy(), column.cat.categories
            else:
                codes, uniques = pd.factorize(column)
            # the smallest integer with room for `codes + 1`: a byte a row for the few
            # flows, valuations or sources, not the eight of int64
            self._factorized[name] = (np.asarray(codes, dtype=small_int(len(uniques) + 1)),
                                      uniques)
        return self._factorized[name]

    def years(self):
        """(each row's year as an index into the sorted distinct years of the frame, those
        years): computed once for the whole frame, taken for any rows."""
        import numpy as np

        if self._years is None:
            years = self.year
            if not len(years):
                self._years = (np.zeros(0, np.int8), np.zeros(0, np.int64))
            else:
                first = int(years.min())
                span = int(years.max()) - first + 1
                if span > 1 << 16:  # years no calendar has: sort them
                    found, at = np.unique(years, return_inverse=True)
                else:  # years are few and close together: counted, not sorted
                    present = np.bincount(years - first, minlength=span) > 0
                    found = np.flatnonzero(present) + first
                    # small codes before they are spread over the rows
                    index = (np.cumsum(present) - 1).astype(small_int(len(found)))
                    at = index[years - first]
                self._years = (at.astype(small_int(len(found)), copy=False),  # np.unique's
                               found.astype(np.int64))
        return self._years

    def let_go(self, keep: tuple[str, ...]) -> None:
        """Hold no more of the frame than the values, the years' codes and the codes of the
        columns `keep` (their distinct values too, but for the tariff codes': a million
        texts): what summing per product needs. The frame's other columns are freed with
        it when nothing else holds them; asking for them afterwards is an error."""
        self.years()
        self._factorized = {name: (self.codes(name), None if name == "hs_code"
                                   else self.uniques(name)) for name in keep}
        self.frame = self.year = None

    def codes(self, name: str):
        """Each row's code in column `name` (-1: missing)."""
        return self._column(name)[0]

    def uniques(self, name: str):
        """The distinct values of column `name`, in the order of their codes."""
        return self._column(name)[1]

    def digits(self, name: str):
        """(the number of each distinct value of column `name`, their width in digits,
        made even as products.products_of reads codes) when they are all texts of digits
        of one width (flows.digit_values: microdata's tariff codes), else None. The numbers
        are made each time asked (a million codes are 8 MB of them); the width is kept."""
        import pandas as pd

        from pa_trade.flows import arrow_texts, digit_values

        if self._digit_widths.get(name, 0) is None:
            return None
        uniques = self.uniques(name)
        if uniques is None:
            raise RuntimeError(f"the distinct values of {name!r} asked for after let_go()")
        found = None
        if len(uniques) and isinstance(uniques, pd.Index) and pd.api.types.is_string_dtype(
                uniques.dtype):
            found = digit_values(arrow_texts(uniques))
        self._digit_widths[name] = found and found[1]
        if found is None:
            return None
        return found[0], found[1] + found[1] % 2  # an odd width lost a leading zero

    def digit_width(self, name: str) -> int | None:
        """The own width of the digits of column `name` (a five-digit code is five, though
        products read it as six), or None when they are not all digits of one width."""
        if name not in self._digit_widths:
            self.digits(name)
        return self._digit_widths[name]

    def code_of(self, name: str, value) -> int:
        """The code of `value` in column `name`; -2 (no row's) when no row has it."""
        found = [i for i, v in enumerate(self._texts(name)) if v == value]
        return found[0] if found else -2

    def codes_of(self, name: str, values) -> list[int]:
        wanted = set(values)
        return [i for i, v in enumerate(self._texts(name)) if v in wanted]

    def _texts(self, name: str) -> list:
        return list(self.uniques(name))

    def is_flow(self, flow: str, rows):
        return self.codes("flow")[rows] == self.code_of("flow", flow)

    def distinct_by(self, name: str, by: str, rows) -> dict:
        """{each text of column `by` on `rows`: the distinct values of column `name` on its
        rows}, missing values left out, in the order of their codes: one count over the
        pairs of codes (a few flows and valuations), not one pass per text of `by`."""
        import numpy as np

        texts, by_texts = self._texts(name), self._texts(by)
        size = len(texts) + 1
        pair = (self.codes(by)[rows].astype(np.int64) + 1) * size + (
            self.codes(name)[rows].astype(np.int64) + 1)
        found: dict = {}
        for code in np.flatnonzero(np.bincount(pair, minlength=size * (len(by_texts) + 1)
                                               )).tolist():
            group, value = divmod(code, size)
            if group and value:
                found.setdefault(by_texts[group - 1], []).append(texts[value - 1])
        return found

    def distinct(self, name: str, rows) -> list:
        """The distinct values of column `name` on `rows`, missing left out."""
        import numpy as np

        found = self.codes(name)[rows]
        texts = self._texts(name)
        # counted, not sorted: codes are small (a few valuations or sources)
        present = np.flatnonzero(np.bincount(found.astype(np.int64) + 1,
                                             minlength=len(texts) + 1)[1:])
        return [texts[i] for i in present.tolist()]


def _key(parts: list):
    """One int64 per row from (codes, how many codes) parts, in the order of the parts (a
    mixed-radix number); numbered again where the product of the counts would overflow."""
    import numpy as np
    import pandas as pd

    key, size = None, 1
    for codes, count in parts:  # a list, or a generator making each part when asked
        count = max(int(count), 1)
        if key is None:
            key, size = np.array(codes, dtype=np.int64), count
            continue
        if size * count >= 1 << 62:
            found, uniques = pd.factorize(key, sort=True)
            key, size = found.astype(np.int64), max(len(uniques), 1)
        key *= count  # in place: one array of the rows' size, not one per step
        key += codes
        size *= count
    return key


def _year_codes(codes: _Flows, rows):
    """(each row's year as an index into the sorted distinct years of the whole frame, those
    years): a year no row of `rows` has is only a code left unused."""
    at, found = codes.years()
    return at[rows], found


def _chosen_rows(codes: _Flows, reporters: list[str], years: list[int] | None,
                 valuation: str, missing_ok: bool = False):
    """The row numbers of the reporters' flows in `years` with one import valuation per
    partner and year: exports first, then imports, each in the order of the flows.

    The valuation asked where a source has it, else the other, else 'unknown': the same
    choice `balance` makes, so totals agree with it.
    """
    import numpy as np
    import pandas as pd

    from pa_trade.analysis.balance import coverage, years_text

    reporter = codes.codes("reporter")
    mine = np.isin(reporter, codes.codes_of("reporter", reporters))
    if not mine.any() and not missing_ok:
        raise DataError(f"no data for {countries.name(reporters[0])} as reporter; "
                        f"{coverage(codes.frame)}")
    if years:
        mine &= np.isin(codes.year, years)
        if not mine.any() and not missing_ok:
            raise DataError(f"no data for {countries.name(reporters[0])} in "
                            f"{years_text(years)}; {coverage(codes.frame, reporters[0])}")
    # a partner that is the reporter itself: its code in the partner column, per reporter
    partner_of = np.asarray([codes.code_of("partner", r) for r in codes.uniques("reporter")]
                            + [-2], dtype=np.int64)
    mine &= codes.codes("partner") != partner_of[reporter]
    flow = codes.codes("flow")
    exports = np.flatnonzero(mine & (flow == codes.code_of("flow", "export")))
    imports = np.flatnonzero(mine & (flow == codes.code_of("flow", "import")))
    valuation = valuation.upper()
    other = "FOB" if valuation == "CIF" else "CIF"
    rank = {valuation: 0, other: 1, "unknown": 2}
    ranks = np.asarray([rank.get(v, 3) for v in codes.uniques("valuation")] + [3])
    ranked = ranks[codes.codes("valuation")[imports]]
    present = np.unique(ranked).tolist()  # a few ranks
    if len(present) > 1:  # one valuation everywhere (the one asked, as read): all kept
        year, found = _year_codes(codes, imports)
        counts = [len(codes.uniques("reporter")), len(codes.uniques("partner")), len(found)]
        cell = _key([(reporter[imports], counts[0]),
                     (codes.codes("partner")[imports], counts[1]), (year, counts[2])])
        size = int(np.prod([max(count, 1) for count in counts], dtype=np.float64))
        if size <= 1 << 26:  # a flag per (reporter, partner, year): rank by rank, best first
            taken = np.zeros(size, dtype=bool)
            keep = np.zeros(len(imports), dtype=bool)
            for rank in present:
                this = ranked == rank
                keep |= this & ~taken[cell]
                taken[cell[this]] = True
        else:
            keep = ranked == pd.Series(ranked).groupby(cell).transform("min").to_numpy()
        imports = imports[keep]
    return np.concatenate([exports, imports])


def _chosen(flows: pd.DataFrame, reporters: list[str], years: list[int] | None,
            valuation: str, missing_ok: bool = False) -> pd.DataFrame:
    """The flows of _chosen_rows, as a frame numbered from 0."""
    rows = _chosen_rows(_Flows(flows), reporters, years, valuation, missing_ok)
    return flows.take(rows).reset_index(drop=True)


def _select(codes: _Flows, chosen, reporter: str, partners: list | None, notes: list[str]):
    """((row numbers, each row's label as an index into the labels), {(label, year):
    partner name}, labels in the order asked). A row counts for every label it belongs to
    (Mexico and the Pacific Alliance)."""
    import numpy as np

    pieces, names, labels, missing = [], {}, [], []
    partner = codes.codes("partner")[chosen]
    # a partner asked twice (mexico, méxico) counts once
    specs = [WORLD] if partners is None else list(dict.fromkeys(partners))
    for spec in specs:
        if isinstance(spec, countries.Bloc):
            members = [m for m in spec.members if m != reporter]
            rows = chosen[np.isin(partner, codes.codes_of("partner", members))]
            label, name = spec.code, f"{spec.name_en} ({', '.join(members)})"
        elif spec == WORLD:
            rows = _world_rows(codes, chosen)
            label, name = WORLD, None
        else:
            rows = chosen[partner == codes.code_of("partner", spec)]
            label, name = spec, countries.name(spec)
        if not len(rows):
            missing.append(name or countries.name(WORLD))
            continue
        if label == WORLD:  # per year: the World's own rows, or the sum of partners
            at, found = _year_codes(codes, rows)
            at = at.astype(np.int64)
            world = codes.codes("partner")[rows] == codes.code_of("partner", WORLD)
            every = np.bincount(at, minlength=len(found))
            own = np.bincount(at[world], minlength=len(found))
            for year, count, reported in zip(found.tolist(), every.tolist(), own.tolist(),
                                             strict=True):
                if count:  # a year of the frame with none of these rows is not named
                    names[(label, int(year))] = ("World" if reported == count else
                                                 "World (sum of partners)")
        else:
            for year in np.unique(codes.year[rows]).tolist():
                names[(label, int(year))] = name
        pieces.append((rows, np.full(len(rows), len(labels), dtype=small_int(len(specs)))))
        labels.append(label)
    if not pieces:
        from pa_trade.analysis.balance import coverage

        raise DataError(f"no data for {countries.name(reporter)} with {', '.join(missing)} in "
                        f"the years asked; {coverage(codes.frame.take(chosen), reporter)}")
    notes += [f"no data for {countries.name(reporter)} with {name} in the years asked"
              for name in missing]
    if len(pieces) == 1:  # the World alone (the default): its arrays as they are
        return pieces[0], names, labels
    return ((np.concatenate([rows for rows, _ in pieces]),
             np.concatenate([label for _, label in pieces])), names, labels)


def _world_rows(codes: _Flows, rows):
    """The row numbers of `rows` that make the World, per reporter and year: the reported
    World rows when they carry tariff codes, else every partner that is not an aggregate
    (never both: that would count twice)."""
    import numpy as np

    partner = codes.codes("partner")[rows]
    aggregate = np.asarray([countries.is_aggregate(str(code)) for code in
                            codes.uniques("partner")] + [False])[partner]
    world = partner == codes.code_of("partner", WORLD)
    # rows summed by product (balance --gl) have no tariff code left: every one counts
    coded_world = world & ((codes.codes("hs_code")[rows] >= 0) if "hs_code" in codes.frame
                           else True)
    if not coded_world.any():
        return rows[~aggregate]
    year, found = _year_codes(codes, rows)
    cell = _key([(codes.codes("reporter")[rows], len(codes.uniques("reporter"))),
                 (year, len(found))])
    use_world = np.isin(cell, cell[coded_world])
    return rows[(use_world & world) | (~use_world & ~aggregate)]


def _world(rows: pd.DataFrame) -> pd.DataFrame:
    """_world_rows of a frame."""
    return rows.take(_world_rows(_Flows(rows), _all_rows(rows)))


def _all_rows(frame):
    import numpy as np

    return np.arange(len(frame), dtype=np.int64)


def _coded(codes: _Flows, selected, reporter: str, notes: list[str]):
    """The selected rows (and labels) that have a tariff code; the value of the others goes
    in a note."""
    import pandas as pd

    rows, label = selected
    has = codes.codes("hs_code")[rows] >= 0
    if not has.any():
        raise DataError(
            f"the loaded data have no tariff codes for {countries.name(reporter)}'s trade "
            f"asked; products needs customs microdata (DANE EXPO/IMPO), a tidy file with "
            f"hs_code, or `pa-trade fetch comtrade --level chapter`"
        )
    if not has.all():
        uncoded = rows[~has]
        sides = []
        for flow, column in (("export", "exports"), ("import", "imports")):
            value = pd.Series(codes.value[uncoded[codes.is_flow(flow, uncoded)]]).sum()
            if value:
                sides.append(f"{usd_text(value)} of {column}")
        total = pd.Series(codes.value[uncoded]).sum()
        notes.append(f"{usd_text(total)} USD of flows without a tariff code left out "
                     f"({' and '.join(sides) or 'no value'})")
        return rows[has], label[has]
    return rows, label  # every row has a code (customs microdata): no copy


def _available(codes: _Flows, chosen) -> set[tuple[int, str]]:
    """(year, flow) pairs for which the data hold coded flows at all: a side missing from
    the data is unknown (NaN), while a partner that only buys has exports of zero."""
    import numpy as np

    rows = chosen[codes.codes("hs_code")[chosen] >= 0]
    flows = list(codes.uniques("flow"))
    year, found = _year_codes(codes, rows)
    # a few cells (years times flows): counted, not sorted
    cells = np.flatnonzero(np.bincount(
        _key([(year, len(found)), (codes.codes("flow")[rows], len(flows))]),
        minlength=len(found) * len(flows)))
    return {(int(found[c // len(flows)]), str(flows[c % len(flows)])) for c in cells.tolist()}


def _periods(codes: _Flows, chosen, coded, labels: list[str], available: set
             ) -> pd.DataFrame:
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

    # the months a row covers depend on these columns only: one row of each is enough
    has = codes.codes("hs_code")[chosen] >= 0
    with_code = chosen if has.all() else chosen[has]
    year, found = _year_codes(codes, with_code)
    # parts made one at a time as the key takes them: never all in memory at once
    parts = ((codes.codes(c)[with_code] + 1, len(codes.uniques(c)) + 1)
             for c in ("reporter", "partner", "flow", "source", "month", "months"))
    key = _key(itertools.chain(parts, [(year, len(found))]))
    distinct = with_code[first_rows(key)]
    masks = partner_months(codes.frame.take(distinct)).to_dict()
    # a few hundred (partner, year, flow) pairs at most: plain Python from here
    overall: dict[tuple, set] = {}
    for (_reporter, _partner, year, flow), mask in masks.items():
        overall.setdefault((int(year), flow), set()).add(mask)
    rows, label = coded
    columns = ("reporter", "partner", "flow")
    year, found = _year_codes(codes, rows)
    key = _key(itertools.chain([(label, len(labels)), (year, len(found))], (
        (codes.codes(c)[rows] + 1, len(codes.uniques(c)) + 1) for c in columns)))
    first = first_rows(key)
    texts = {c: list(codes.uniques(c)) for c in columns}
    pairs = [(labels[int(label[i])], *(texts[c][codes.codes(c)[rows[i]]] for c in
                                       ("reporter", "partner")), int(found[year[i]]),
              texts["flow"][codes.codes("flow")[rows[i]]]) for i in first.tolist()]
    per_side: dict[tuple, set] = {}
    for label_text, reporter, partner, year_value, flow in pairs:
        mask = masks.get((reporter, partner, year_value, flow))
        per_side.setdefault((label_text, year_value, flow), set()).add(mask)
    out = []
    for label_text, year_value in dict.fromkeys((p[0], p[3]) for p in pairs):
        row = {"partner": label_text, "year": year_value}
        for flow, side in (("export", "exports"), ("import", "imports")):
            sides = per_side.get((label_text, year_value, flow),
                                 overall.get((year_value, flow)))
            if (year_value, flow) not in available or not sides:
                row[f"{side}_mask"] = float("nan")
            else:
                row[f"{side}_mask"] = float(combined(sides))
        row["months"] = months_field(row["exports_mask"], row["imports_mask"])
        out.append(row)
    frame = pd.DataFrame(out, columns=["partner", "year", "exports_mask", "imports_mask",
                                       "months"])
    return frame.astype({"year": "int64", "exports_mask": "float64",
                         "imports_mask": "float64"})


def _aggregates(partners: pd.Series) -> pd.Series:
    """True where a partner is the World or a group of countries: each code looked up once."""
    lookup = {code: countries.is_aggregate(str(code)) for code in partners.unique()}
    return partners.map(lookup).astype(bool)


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

def _coarser_rows(codes: _Flows, coded, level: str, consequence: str) -> list[str]:
    """_coarser of the coded rows: the length of each distinct code looked at once."""
    import numpy as np
    import pandas as pd

    if level not in products.DIGITS:
        return []
    width = codes.digit_width("hs_code")
    if width is not None and width >= products.DIGITS[level]:
        return []  # every code has the digits (microdata's have ten): no row to look at
    rows, _ = coded
    uniques = codes.uniques("hs_code")
    if len(uniques) < 1000:
        lengths = np.asarray([len(str(code)) for code in uniques], dtype=np.int64)
    else:  # millions of distinct codes: their lengths by Arrow, no Python text each
        import pyarrow as pa
        import pyarrow.compute as pc

        texts = pa.array(pd.Series(uniques).astype("string").array)
        lengths = pc.utf8_length(texts).to_numpy(zero_copy_only=False)
    if not len(lengths) or int(lengths.min()) >= products.DIGITS[level]:
        return []  # no code is short (microdata's have ten digits): no row to look at
    short = lengths[codes.codes("hs_code")[rows]] < products.DIGITS[level]
    if not short.any():
        return []
    return [_coarser_note(pd.Series(codes.value[rows[short]]).sum(), level, consequence)]


def _coarser(coded: pd.DataFrame, level: str, consequence: str) -> list[str]:
    """A note when some tariff codes have fewer digits than `level` needs (UN Comtrade's
    chapters at heading level): they cannot be split, and the reader should know."""
    if level not in products.DIGITS:
        return []
    short = coded["hs_code"].str.len() < products.DIGITS[level]
    if not short.any():
        return []
    return [_coarser_note(coded.loc[short, "value_usd"].sum(), level, consequence)]


def _coarser_note(value: float, level: str, consequence: str) -> str:
    return (f"{usd_text(value)} USD of flows have tariff codes with fewer digits than an HS "
            f"{level} (such as UN Comtrade's chapters): {consequence}")


def _products(codes: _Flows, level: str):
    """(the product of each distinct tariff code as an index into the products, the
    products' codes sorted as text): every distinct code mapped at once."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    digits = codes.digits("hs_code")
    if digits is not None and level in products.DIGITS:
        return _products_of_digits(*digits, products.DIGITS[level])
    of_codes = products.products_of(codes.uniques("hs_code"), level)
    if len(of_codes) > 1 and pc.all(pc.less_equal(of_codes[:-1], of_codes[1:])).as_py():
        # codes sorted give their products sorted (the first digits of each): equal
        # neighbours are one product, with no hashing or sorting of millions of texts
        new = np.ones(len(of_codes), dtype=bool)
        new[1:] = pc.not_equal(of_codes[1:], of_codes[:-1]).to_numpy(zero_copy_only=False)
        count = int(new.sum())
        return ((np.cumsum(new) - 1).astype(small_int(count), copy=False),
                pc.filter(of_codes, pa.array(new)))
    found = pc.dictionary_encode(of_codes)
    order = pc.sort_indices(found.dictionary).to_numpy()
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    return (rank[found.indices.to_numpy(zero_copy_only=False)].astype(
                small_int(len(order)), copy=False),
            pc.take(found.dictionary, pa.array(order)))


def _products_of_digits(values, width: int, digits: int):
    """_products of tariff codes as numbers of `width` digits (_Flows.digits): the first
    `digits` of each (products.products_of's cut), by division, not by text."""
    import numpy as np

    from pa_trade.flows import digit_texts

    keep = min(width, digits)
    product = values // 10 ** (width - keep)
    if len(product) > 1 and not bool((product[1:] >= product[:-1]).all()):
        at, distinct = sorted_codes(product)  # codes not in order (a categorical's own)
    else:  # codes sorted give their products sorted: equal neighbours are one product,
        # with no arrays of a sort beside the loaded table (still held here)
        new = np.ones(len(product), dtype=bool)
        new[1:] = product[1:] != product[:-1]
        at, distinct = np.cumsum(new) - 1, product[new]
    return at.astype(small_int(len(distinct)), copy=False), digit_texts(distinct, keep)


def _with_products(coded: pd.DataFrame, level: str) -> pd.DataFrame:
    """`coded` with a column `product`: each distinct tariff code mapped once."""
    codes = _Flows(coded)
    of_code, texts = _products(codes, level)
    return coded.assign(product=_text_column(texts, of_code[codes.codes("hs_code")],
                                             index=coded.index))


def _per_product(codes: _Flows, coded, labels: list[str], products_of_codes: tuple,
                 available: set):
    """(partner (the label), year, product, exports_usd, imports_usd, kind, count per label,
    year and product, sorted so; the products' codes) from one grouping of the coded rows,
    given the product of each distinct tariff code (_products). A side the data lack is
    NaN, a product only traded the other way is 0. Internal columns: _label (index into
    `labels`), _product (into the products' codes)."""
    import numpy as np
    import pandas as pd

    rows, label = coded
    of_code, texts = products_of_codes
    product = of_code[codes.codes("hs_code")[rows]]
    year, found = _year_codes(codes, rows)
    label_rank = np.argsort(np.argsort(np.asarray(labels, dtype=object), kind="stable"))
    flows = list(codes.uniques("flow"))
    side = np.full(len(flows) + 1, -1, dtype=np.int8)
    for index, name in enumerate(flows):
        side[index] = {"export": 0, "import": 1}.get(name, -1)
    flow = side[codes.codes("flow")[rows]]
    key = _key([(label_rank[label], len(labels)), (year, len(found)),
                (product, len(texts))])
    del product, year
    key *= 2  # in place: (label, year, product, flow) in one int64
    key += flow
    value = codes.value[rows]
    keep = flow >= 0
    if not keep.all():  # flows other than export and import (none in pa-trade's readers)
        key, value = key[keep], value[keep]
    del flow, keep
    # one grouping, sorted as (label, year, product, flow) sort as text
    keys, summed = _sums_by_key(key, value)
    del key, value
    # keys come sorted: a cell (label, year, product) is a run of one or two of them, its
    # export then its import; worked in place and in small integers (millions of cells)
    imported = (keys & 1).astype(bool)
    keys >>= 1
    new = np.ones(len(keys), dtype=bool)
    new[1:] = keys[1:] != keys[:-1]
    at = np.cumsum(new, dtype=np.int64)
    at -= 1
    cells = keys[new]
    del keys, new
    sides = []
    for side in (~imported, imported):
        sums = np.zeros(len(cells))
        sums[at[side]] = summed[side]
        sides.append(sums)
    del at, summed, imported
    product_at = (cells % max(len(texts), 1)).astype(small_int(len(texts)))
    cells //= max(len(texts), 1)
    label_at, year_at = np.divmod(cells, max(len(found), 1))
    del cells
    label_at = label_at.astype(small_int(len(labels)))
    year_at = year_at.astype(small_int(len(found)))
    by_rank = np.argsort(label_rank).astype(small_int(len(labels)))
    table = pd.DataFrame({
        "year": found.astype(np.int64)[year_at],
        "exports_usd": sides[0],
        "imports_usd": sides[1],
    }, copy=False)
    del sides
    for flow_name, column in SIDES.items():
        known = np.asarray([(int(y), flow_name) in available for y in found.tolist()]
                           + [True])
        if not known.all():
            table.loc[~known[year_at], column] = np.nan
    # products a row adds up (one, but for --top's 'other'); label and product as indices
    table["count"] = np.ones(len(table), dtype=np.int32)
    table["_label"] = by_rank[label_at]
    table["_product"] = product_at
    return table, texts


def _with_texts(table: pd.DataFrame, labels: list[str], texts) -> pd.DataFrame:
    """A per-product table (_per_product's, in any order) with its text columns: partner
    (the label), product (the code) and kind, made from the rows' own indices once the
    rows are in their final order, so that no text is moved by the sorting: categoricals,
    a small integer a row."""
    import pandas as pd

    return table.assign(
        partner=_coded_text(labels, table["_label"].to_numpy()),
        product=pd.Categorical.from_codes(table["_product"].to_numpy(), validate=False,
                                          dtype=_product_categories(texts)),
        kind=_same_text("product", len(table)))


def _product_categories(texts) -> pd.CategoricalDtype:
    """The dtype of a column of products over `texts`, the products' codes (sorted and
    distinct, as _products gives them): its categories as they are, not checked again."""
    import numpy as np
    import pandas as pd
    import pyarrow as pa
    import pyarrow.compute as pc

    from pa_trade.flows import sorted_unique_dtype

    codes = texts if isinstance(texts, pa.Array) else pa.array(list(texts), pa.string())
    values = pd.arrays.ArrowStringArray(pa.chunked_array([pc.cast(codes, pa.large_string())]),
                                        dtype=pd.StringDtype("pyarrow", na_value=np.nan))
    return sorted_unique_dtype(pd.Index(values, copy=False))


def _same_text(text: str, count: int) -> pd.Categorical:
    """A column of `count` rows of `text`, as a categorical: a byte a row."""
    import numpy as np
    import pandas as pd

    return pd.Categorical.from_codes(np.zeros(count, dtype=np.int8), categories=[text])


def _sums_by_key(key, value):
    """(the distinct keys sorted, the sum of the values of each) of int64 keys and float64
    values, both used up (changed in place: the rows' arrays are the largest at work).
    Amounts to the cent (as the canonical table keeps them) are summed as whole cents,
    exactly and whatever the order of the rows, by counting over the keys' range when it
    is not much larger than the rows (else over the keys sorted); other values by pandas'
    grouping (each group's rows added up in their order). Both arrays returned are new."""
    import numpy as np
    import pandas as pd

    if not len(key):
        return key.astype(np.int64), np.zeros(0)
    if not _to_whole_cents(value):
        summed = pd.Series(value).groupby(key).sum()
        # arrays of their own (pandas' are read only): the caller works in them
        return np.array(summed.index, dtype=np.int64), np.array(summed, dtype=np.float64)
    cents = value
    low = int(key.min())
    span = int(key.max()) - low + 1
    if span <= 4 * len(key) + (1 << 20):
        key -= low
        seen = np.zeros(span, dtype=bool)  # a byte per possible key, not a count of eight
        seen[key] = True
        present = np.flatnonzero(seen)
        del seen
        sums = np.bincount(key, weights=cents, minlength=span)[present]
        present += low
        return present, sums / 100
    at, distinct = sorted_codes(key)
    return distinct, np.bincount(at, weights=cents, minlength=len(distinct)) / 100


def _to_whole_cents(value, piece: int = 1 << 20) -> bool:
    """Turn `value` (float64, in place) into whole cents when every amount is a finite
    number of cents and they can all be added up exactly; else leave it as it was and
    say False. Checked, then changed, a piece at a time: no temporaries the size of the
    rows."""
    import numpy as np

    total = 0.0
    for start in range(0, len(value), piece):
        part = value[start:start + piece]
        cents = np.rint(part * 100)
        if not (np.isfinite(cents).all() and (cents / 100 == part).all()):
            return False
        total += float(np.abs(cents).sum())
    if total >= 2.0 ** 52:
        return False
    for start in range(0, len(value), piece):
        part = value[start:start + piece]
        np.rint(part * 100, out=part)
    return True


def _cell_key(table: pd.DataFrame):
    """Each row's partner-year (label and year) as one int64."""
    import numpy as np

    return table["_label"].to_numpy().astype(np.int64) * (1 << 16) + table["year"].to_numpy()


def _shares(table: pd.DataFrame) -> pd.DataFrame:
    """`table` (_per_product's, changed in place) with the share of each product in its
    partner-year's exports and imports."""
    import numpy as np

    cell = _cell_key(table)
    for column in SIDES.values():
        share = "share_" + column.removesuffix("_usd")
        total = table[column].groupby(cell).transform("sum").to_numpy()
        with np.errstate(divide="ignore", invalid="ignore"):
            table[share] = np.where(total > 0, table[column].to_numpy() / total, np.nan)
    return table


def _order(table: pd.DataFrame, flow: str | None) -> pd.DataFrame:
    """Year, partners in the order asked, then the largest products first."""
    import numpy as np
    import pandas as pd

    if flow is None:
        rank = table["exports_usd"].fillna(0).to_numpy() + table["imports_usd"].fillna(
            0).to_numpy()
    else:
        rank = table[SIDES[flow]].fillna(0).to_numpy()
    # to the cent: products of the same value go by their code, whatever order the sums
    # were added up in
    rank = np.round(rank, 2)
    product = table["_product"].to_numpy()
    label = table["_label"].to_numpy()
    year = table["year"].to_numpy()
    cell = label.astype(np.int64) * (1 << 16) + year
    change = np.diff(cell) != 0
    starts = np.r_[0, np.flatnonzero(change) + 1] if len(cell) else cell
    if (len(cell) > 1 and len(np.unique(cell[starts])) == len(starts)
            and bool((np.diff(product)[~change] > 0).all())
            and float(np.abs(rank).max()) < 2.0 ** 52 / 100):
        # each (partner, year) in one run of rows, by product (_per_product's order, the
        # partners in the order of their codes' texts), amounts held to the cent
        return _runs_by_value(table, np.rint(rank * 100), starts)
    order = np.lexsort((product, -rank, label, year))
    # the columns are numbers here (_with_texts adds the texts after): taken one by one
    return pd.DataFrame({name: table[name].to_numpy()[order] for name in table.columns},
                        copy=False)



def _runs_by_value(table: pd.DataFrame, cents, starts) -> pd.DataFrame:
    """_order of a table whose partner-years are runs of rows (from `starts`), each by
    product: the runs put in order of year and partner, and each run's rows by value
    (`cents`), largest first, by product where equal. Runs are sorted and their rows moved
    in pieces on every core at once; year and partner are written run by run, not moved."""
    import numpy as np
    import pandas as pd

    from pa_trade.threads import made_in_order

    year = table["year"].to_numpy()[starts]
    label = table["_label"].to_numpy()[starts]
    lengths = np.diff(np.r_[starts, len(table)])
    runs = np.lexsort((label, year))  # the runs in the order shown
    lengths, starts = lengths[runs], starts[runs]
    ends = np.cumsum(lengths)
    moved = [name for name in table.columns if name not in ("year", "_label")]
    columns = {name: table[name].to_numpy() for name in moved}
    out = {name: np.empty(len(table), dtype=column.dtype) for name, column in columns.items()}
    # pieces of whole runs, about ORDER_PIECE_ROWS each
    cuts = np.unique(np.r_[0, np.searchsorted(ends, np.arange(
        ORDER_PIECE_ROWS, int(ends[-1]), ORDER_PIECE_ROWS), side="right"), len(runs)])

    def sort_piece(piece: tuple[int, int]) -> None:
        first, last = piece
        count = lengths[first:last]
        at = int(ends[first] - count[0])  # the piece's first row in the output
        # the piece's rows, run after run, each run in its rows' order (by product)
        rows = np.repeat(starts[first:last] - (np.cumsum(count) - count), count) + np.arange(
            int(count.sum()))
        by_value = np.argsort(-cents[rows], kind="stable")
        run = np.repeat(np.arange(last - first, dtype=small_int(last - first)), count)
        order = rows[by_value[np.argsort(run[by_value], kind="stable")]]
        for name, column in columns.items():
            np.take(column, order, out=out[name][at:at + len(order)])

    for _ in made_in_order(sort_piece, zip(cuts[:-1].tolist(), cuts[1:].tolist(),
                                           strict=True)):
        pass
    out["year"] = np.repeat(year[runs], lengths)
    out["_label"] = np.repeat(label[runs], lengths)
    return pd.DataFrame({name: out[name] for name in table.columns}, copy=False)


def _keep_top(table: pd.DataFrame, top: int) -> pd.DataFrame:
    """The `top` first products of each partner-year and one row adding up the others."""
    import numpy as np
    import pandas as pd

    cell = _cell_key(table)
    starts = np.flatnonzero(np.r_[True, cell[1:] != cell[:-1]])
    ends = np.r_[starts[1:], len(cell)]
    position = np.arange(len(cell)) - np.repeat(starts, ends - starts)
    kept = position < top
    order, others = [], []
    for start, end in zip(starts.tolist(), ends.tolist(), strict=True):
        order.append(np.arange(start, min(end, start + top)))
        if end - start > top:
            rest = table.iloc[start + top:end]
            row = {"partner": rest["partner"].iloc[0], "year": rest["year"].iloc[0],
                   "product": OTHER, "kind": OTHER, "count": len(rest),
                   "_label": rest["_label"].iloc[0], "_product": -1}
            for column in ("exports_usd", "imports_usd", "share_exports", "share_imports"):
                row[column] = rest[column].sum(min_count=1)
            others.append((len(order), row))
            order.append(np.asarray([-1 - (len(others) - 1)]))
    if not others:
        return table[kept].reset_index(drop=True)
    extra = pd.DataFrame([row for _, row in others], columns=table.columns)
    extra = extra.astype({c: table[c].dtype for c in ("year", "count", "_label", "_product")})
    both = pd.concat([table, extra], ignore_index=True)
    index = np.concatenate(order)
    return both.take(np.where(index < 0, len(table) - 1 - index, index)).reset_index(drop=True)


def _gl(per_product: pd.DataFrame, periods: pd.DataFrame, labels: list[str]) -> pd.DataFrame:
    """partner, year, gl from a per-product table (NaN where a side is missing or the two
    sides cover different months, `periods` says): per partner-year at once, each sum
    adding the products up in their order, as grubel_lloyd does."""
    import numpy as np
    import pandas as pd

    unlike = {(p, int(y)) for p, y, x, m in periods[["partner", "year", "exports_mask",
                                                      "imports_mask"]].itertuples(index=False)
              if not like(x, m)}
    cell = _cell_key(per_product)
    starts = np.flatnonzero(np.r_[True, cell[1:] != cell[:-1]]) if len(cell) else cell
    group = np.repeat(np.arange(len(starts)), np.diff(np.r_[starts, len(cell)]))
    exports = per_product["exports_usd"].to_numpy()
    imports = per_product["imports_usd"].to_numpy()
    count = len(starts)
    total = np.bincount(group, weights=exports + imports, minlength=count)
    gap = np.bincount(group, weights=np.abs(exports - imports), minlength=count)
    missing = np.bincount(group, weights=np.isnan(exports) | np.isnan(imports),
                          minlength=count) > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        gl = np.clip(1.0 - gap / total, 0.0, 1.0)  # float noise must not leave [0, 1]
    partners = np.asarray(labels, dtype=object)[per_product["_label"].to_numpy()[starts]]
    years = per_product["year"].to_numpy()[starts].astype(np.int64)
    away = np.asarray([(p, int(y)) in unlike for p, y in zip(partners, years, strict=True)],
                      dtype=bool)
    gl[(total == 0) | missing | away] = np.nan
    return pd.DataFrame({"partner": _text_column(list(partners)), "year": years, "gl": gl},
                        columns=["partner", "year", "gl"])


def _like(exports_mask, imports_mask):
    """coverage.like over whole columns of masks."""
    import numpy as np

    from pa_trade.analysis.coverage import MIXED

    return (np.isnan(exports_mask) | np.isnan(imports_mask)
            | ((exports_mask == imports_mask) & (exports_mask != MIXED)))


def _cells_of(table: pd.DataFrame, labels: list[str], cells: list[tuple]):
    """Each row's index into `cells`, (label, year) pairs."""
    import pandas as pd

    index = {labels.index(label) * (1 << 16) + int(year): i
             for i, (label, year) in enumerate(cells)}
    key = _cell_key(table)
    return pd.Series(key).map(index).to_numpy(dtype="int64")


def _text_column(texts, at=None, index=None):
    """A text column (pandas' "str") of `texts` (a list or an Arrow array), or of
    texts[at] for an array of indices `at`, built with Arrow."""
    import numpy as np
    import pandas as pd
    import pyarrow as pa
    import pyarrow.compute as pc

    array = texts if isinstance(texts, pa.Array) else pa.array(list(texts), pa.large_string())
    if at is not None:
        array = pc.take(array, pa.array(np.asarray(at, dtype=np.int64)))
    array = pc.cast(array, pa.large_string())
    values = pd.arrays.ArrowStringArray(pa.chunked_array([array], pa.large_string()),
                                        dtype=pd.StringDtype("pyarrow", na_value=np.nan))
    return pd.Series(values, index=index)



def _coded_text(texts, at) -> pd.Series:
    """texts[at] (a list or an Arrow array of texts) as a categorical: each distinct text
    once (a chapter's title is the name of every product in it), a small integer per row."""
    import numpy as np
    import pandas as pd
    import pyarrow as pa
    import pyarrow.compute as pc

    encoded = pc.dictionary_encode(texts if isinstance(texts, pa.Array) else pa.array(
        list(texts), pa.string()))
    # a missing text (None) stays missing: code -1
    codes = pc.fill_null(encoded.indices, -1).to_numpy(zero_copy_only=False)[
        np.asarray(at, dtype=np.int64)]
    categories = pd.Index(encoded.dictionary.to_pylist(), dtype="str")
    return pd.Series(pd.Categorical.from_codes(codes, categories=categories))


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


def _labels(values) -> str:
    """'FOB', 'CIF / FOB': the distinct valuations given, or 'n/a'."""
    found = sorted(v for v in values if isinstance(v, str) and v)
    return " / ".join(found) if found else "n/a"

