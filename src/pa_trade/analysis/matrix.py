"""Who exports how much to whom inside a bloc in one year: an exporter x importer matrix.

By default each cell is what the exporter reports (its exports to the importer); with
`mirror=True` it is what the importer reports (its imports from the exporter). A cell nobody
reports stays NaN, and the diagonal (a country with itself) is always NaN.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from pa_trade import countries
from pa_trade.errors import DataError

if TYPE_CHECKING:
    import pandas as pd

LONG_COLUMNS = ["year", "exporter", "importer", "value_usd", "valuation", "reported_by",
                "sources"]


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

    @property
    def side(self) -> str:
        return "imports" if self.mirror else "exports"


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

    from pa_trade.analysis.balance import coverage
    from pa_trade.analysis.mirror import reported, valuation_label

    valuation = valuation.upper()
    inside = flows[flows["reporter"].isin(members) & flows["partner"].isin(members)
                   & (flows["year"] == year) & (flows["reporter"] != flows["partner"])]
    flow = "import" if mirror else "export"
    cells = reported(inside, flow, valuation if mirror else "FOB")
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
    order = {code: i for i, code in enumerate(members)}
    long = long.sort_values(["exporter", "importer"], key=lambda s: s.map(order))
    long = long[LONG_COLUMNS].reset_index(drop=True)

    wide = long.pivot(index="exporter", columns="importer", values="value_usd")
    wide = wide.reindex(index=members, columns=members).astype("float64")
    wide.index.name, wide.columns.name = "exporter", "importer"

    notes = []
    reporters = set(long["reported_by"])
    for code in members:
        if code not in reporters:
            side = "imports" if mirror else "exports"
            notes.append(f"{countries.name(code)} reports no {side} with the other members in "
                         f"{year}: its {'column' if mirror else 'row'} is empty")
    partial = cells[(cells["months"] > 0) & (cells["months"] < 12)]
    for row in partial.itertuples(index=False):
        notes.append(f"{countries.name(row.reporter)} with {countries.name(row.partner)}: "
                     f"{row.months} month(s) only")
    return MatrixResult(long, wide, list(members), year, mirror,
                        valuation_label(long["valuation"]), notes)


def row_totals(result: MatrixResult) -> pd.Series:
    """Each exporter's total to the other members shown (NaN when its row is empty)."""
    return result.wide.sum(axis=1, min_count=1)


def column_totals(result: MatrixResult) -> pd.Series:
    """Each importer's total from the other members shown (NaN when its column is empty)."""
    return result.wide.sum(axis=0, min_count=1)
