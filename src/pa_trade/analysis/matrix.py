"""Who exports how much to whom inside a bloc in one year: an exporter x importer matrix.

By default each cell is what the exporter reports (its exports to the importer); with
`mirror=True` it is what the importer reports (its imports from the exporter). A cell nobody
reports stays NaN, and the diagonal (a country with itself) is always NaN.

Every cell knows the months it covers. The matrix's period is the months most of its cells
cover; a cell over other months (January-June among whole years) is listed in a note and
left out of the row and column totals: a total adding six months of one cell to twelve of
the others covers no period at all, and a marked total would still print that number.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from pa_trade.analysis.coverage import period_words
from pa_trade.errors import DataError
from pa_trade.reference import countries

if TYPE_CHECKING:
    import pandas as pd

LONG_COLUMNS = ["year", "months", "exporter", "importer", "value_usd", "valuation",
                "reported_by", "sources", "mask"]


@dataclass
class MatrixResult:
    """`wide`: exporters as rows, importers as columns, in the bloc's member order."""

    table: pd.DataFrame  # long: one row per reported cell
    wide: pd.DataFrame
    members: list[str]
    year: int
    mirror: bool
    valuation: str  # the valuation label of the cells, e.g. 'FOB'
    notes: list[str] = field(default_factory=list)
    # the months most cells cover (periods' mask), and the wide masks of every cell (NaN
    # where there is none)
    months: int = (1 << 12) - 1
    masks: pd.DataFrame | None = None

    @property
    def side(self) -> str:
        return "imports" if self.mirror else "exports"

    @property
    def period(self) -> str:
        """'2023', or 'January–June 2023' when every cell covers those months."""
        from pa_trade import periods

        return periods.describe(self.months, self.year) if not self.odd_cells() else str(
            self.year)

    def odd_cells(self) -> list[tuple[str, str]]:
        """(exporter, importer) of the cells over other months than the matrix's period."""
        if self.masks is None:
            return []
        odd = self.masks.notna() & (self.masks != self.months)
        return [(e, i) for e in self.members for i in self.members if odd.at[e, i]]

    def counted(self) -> pd.DataFrame:
        """The wide cells that count in the totals: those over the matrix's period."""
        if self.masks is None:
            return self.wide
        return self.wide.where(self.masks.isna() | (self.masks == self.months))

    def row_months(self, exporter: str) -> str:
        """The months of an exporter's cells for machine output: '1-6' when they agree,
        else each importer's ('COL 1-12; MEX 1-6'); '' for a row without cells."""
        from pa_trade import periods

        if self.masks is None:
            return ""
        cells = {i: int(m) for i, m in self.masks.loc[exporter].items() if m == m}
        if len(set(cells.values())) == 1:
            return periods.spec(next(iter(cells.values())))
        return "; ".join(f"{i} {periods.spec(m)}" for i, m in cells.items())


def matrix(
    flows: pd.DataFrame,
    members: list[str],
    year: int,
    mirror: bool = False,
    valuation: str = "CIF",
) -> MatrixResult:
    """Trade between `members` in `year`, as the exporters report it or, with `mirror`, as the
    importers report it (imports at `valuation` where a source has both).

    Raises DataError when no member reports trade with another member that year.
    """

    from pa_trade import periods
    from pa_trade.analysis.balance import coverage
    from pa_trade.analysis.coverage import side_months
    from pa_trade.analysis.mirror import reported, valuation_label

    valuation = valuation.upper()
    inside = flows[flows["reporter"].isin(members) & flows["partner"].isin(members)
                   & (flows["year"] == year) & (flows["reporter"] != flows["partner"])]
    flow = "import" if mirror else "export"
    cells = reported(inside, flow, valuation if mirror else "FOB",
                     side_months(flows, members, [year]))
    if cells.empty:
        side = "imports from" if mirror else "exports to"
        raise DataError(f"no member of the bloc reports {side} another member in {year}; "
                        f"{coverage(flows)}")
    if mirror:
        long = cells.rename(columns={"reporter": "importer", "partner": "exporter"})
    else:
        long = cells.rename(columns={"reporter": "exporter", "partner": "importer"})
    long = long.assign(reported_by=long["importer" if mirror else "exporter"])
    long["year"] = year
    long["months"] = [periods.spec(m) for m in long["mask"].tolist()]
    order = {code: i for i, code in enumerate(members)}
    long = long.sort_values(["exporter", "importer"], key=lambda s: s.map(order))
    long = long[LONG_COLUMNS].reset_index(drop=True)

    wide = long.pivot(index="exporter", columns="importer", values="value_usd")
    wide = wide.reindex(index=members, columns=members).astype("float64")
    wide.index.name, wide.columns.name = "exporter", "importer"
    masks = long.pivot(index="exporter", columns="importer", values="mask")
    masks = masks.reindex(index=members, columns=members).astype("float64")
    period = _most_common(long["mask"].tolist())

    notes = []
    reporters = set(long["reported_by"])
    for code in members:
        if code not in reporters:
            side = "imports" if mirror else "exports"
            notes.append(f"{countries.name(code)} reports no {side} with the other members in "
                         f"{year}: its {'column' if mirror else 'row'} is empty")
    result = MatrixResult(long, wide, list(members), year, mirror,
                          valuation_label(long["valuation"]), notes, period, masks)
    odd = result.odd_cells()
    if odd:
        listed = [f"{countries.name(e)} → {countries.name(i)} "
                  f"({period_words(masks.at[e, i], year)})" for e, i in odd]
        result.notes.append(
            f"{', '.join(listed[:-1]) + ' and ' if len(listed) > 1 else ''}{listed[-1]} "
            f"{'cover' if len(odd) > 1 else 'covers'} other months than the other cells "
            f"({period_words(period, year)}): not comparable with them, and left out of the "
            f"totals")
    return result


ODD_MARK = "†"  # in tables for people: a cell over other months than the rest


def _most_common(masks: list[int]) -> int:
    """The months most cells cover; a tie goes to the whole year, then to more months."""
    from collections import Counter

    from pa_trade import periods

    counts = Counter(int(m) for m in masks)
    return max(counts, key=lambda m: (counts[m], m == periods.ALL_MONTHS,
                                      len(periods.months_of(m)), -m))


def row_totals(result: MatrixResult) -> pd.Series:
    """Each exporter's total to the other members shown, over the cells of the matrix's
    period (NaN when its row has none)."""
    return result.counted().sum(axis=1, min_count=1)


def column_totals(result: MatrixResult) -> pd.Series:
    """Each importer's total from the other members shown, over the cells of the matrix's
    period (NaN when its column has none)."""
    return result.counted().sum(axis=0, min_count=1)
