"""Mirror statistics: what the exporter reports against what the importer reports, per year.

Every flow between two countries is recorded twice: as the exporter's export and as the
importer's import. The two rarely agree. Imports are usually valued CIF (with freight and
insurance to the border) and exports FOB, goods shipped in December are imported in January,
importers record the country of origin while exporters record the destination known at
shipment, and either side may withhold confidential flows. `mirror` puts the two records side
by side and flags ratios outside the normal band for the valuations compared.

`reported` is the building block the trend and matrix analyses share: one figure per reporter,
partner and year, at one valuation, with the sources and the months it covers (a mask, see
periods). Figures that cover different months are never compared: a side of Jan-Jun against
a whole year gets no gap, ratio or flag, and a note says why.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from pa_trade.analysis.balance import years_text
from pa_trade.analysis.coverage import (
    capped,
    like,
    months_field,
    part_year_note,
    period_words,
    side_months,
)
from pa_trade.errors import DataError, UsageError
from pa_trade.reference import countries

if TYPE_CHECKING:
    import pandas as pd

# importer-reported / exporter-reported. The IMF's Direction of Trade Statistics converts
# between the two with a CIF/FOB factor of 1.06; the band allows about -15% / +18% around it
# for freight on long or bulky routes, timing and classification. Same valuation: 1.00 +-15%.
CIF_FOB_BAND = (0.90, 1.25)
SAME_VALUATION_BAND = (0.85, 1.15)
GAP_REASONS = (
    "Why the sides differ: CIF imports add freight and insurance to the FOB value; goods "
    "cross the year end; importers record origin, exporters consignment; confidential flows."
)

COLUMNS = [
    "year", "months", "exporter", "importer", "exporter_name", "importer_name",
    "exports_reported_usd", "imports_reported_usd", "gap_usd", "ratio",
    "exports_valuation", "imports_valuation", "band_low", "band_high", "flag", "sources",
    "exports_sources", "imports_sources", "exports_mask", "imports_mask",
]
UNLIKE_HINT = "load like periods or use --months"


@dataclass
class MirrorResult:
    """Both directions of trade between two countries, as each side reports them."""

    table: pd.DataFrame
    a: str
    b: str
    years: list[int]
    import_valuation: str
    notes: list[str] = field(default_factory=list)

    @property
    def period(self) -> str:
        """The years shown, with the months every figure covers when that is one part year:
        '2023', 'January–June 2023', '2022–2023, January–June of each year'."""
        from pa_trade.analysis.coverage import period_of

        return period_of(self.table, self.years)








def valuation_label(values) -> str:
    """'FOB', 'CIF', 'unknown', or 'mixed (CIF+FOB)'; '' when there is none."""
    found = sorted({v for v in values if isinstance(v, str) and v})
    if not found:
        return ""
    return found[0] if len(found) == 1 else "mixed (" + "+".join(found) + ")"


def reported(flows: pd.DataFrame, flow: str, valuation: str,
             months: pd.Series | None = None) -> pd.DataFrame:
    """One figure per (reporter, partner, year) for `flow`, products and months summed.

    Where a source gives the flow at two valuations, `valuation` ('CIF' or 'FOB') is taken,
    else the other one, else 'unknown'. `months`: the masks of `side_months` (worked out
    from `flows` when not given; pass them when `flows` holds only some partners, or a
    partner trading in March alone would look like March only). Returns columns reporter,
    partner, year, value_usd, valuation, sources ('; '-joined) and mask (the months the
    figure covers, periods' 12-bit mask).
    """
    import pandas as pd

    from pa_trade import periods
    from pa_trade.analysis.coverage import partner_months

    rows = flows[flows["flow"] == flow]
    columns = ["reporter", "partner", "year", "value_usd", "valuation", "sources", "mask"]
    if rows.empty:
        return pd.DataFrame({c: pd.Series(dtype="float64" if c == "value_usd" else
                                          "int64" if c == "mask" else "object")
                             for c in columns})
    other = "FOB" if valuation == "CIF" else "CIF"
    preference = {valuation: 0, other: 1, "unknown": 2}
    key = ["reporter", "partner", "year"]
    # valuation is a categorical: its ranks as numbers before the missing ones get 3
    rank = rows["valuation"].map(preference).astype("float64").fillna(3).astype(int)
    ranked = rows.assign(rank=rank)
    best = ranked.groupby(key)["rank"].transform("min")
    chosen = ranked[ranked["rank"] == best]
    out = chosen.groupby(key).agg(
        value_usd=("value_usd", "sum"),
        valuation=("valuation", valuation_label),
        sources=("source", lambda s: "; ".join(sorted(set(s.dropna())))),
    ).reset_index()
    out["value_usd"] = out["value_usd"].astype("float64")
    out["year"] = out["year"].astype("int64")
    masks = partner_months(rows) if months is None else months
    masks = masks[masks.index.get_level_values("flow") == flow].droplevel("flow")
    out = out.merge(masks.rename("mask").reset_index(), on=key, how="left")
    # a figure the masks do not know (none should be) is taken as a whole year
    out["mask"] = out["mask"].fillna(periods.ALL_MONTHS).astype("int64")
    return out[columns]


def normal_band(exports_valuation: str, imports_valuation: str) -> tuple[float, float]:
    """The (low, high) band of imports/exports ratios that needs no explanation."""
    if imports_valuation == "CIF" and exports_valuation == "FOB":
        return CIF_FOB_BAND
    if imports_valuation == exports_valuation and imports_valuation in ("CIF", "FOB"):
        return SAME_VALUATION_BAND
    # unknown or mixed valuations: anything either band would accept
    return (SAME_VALUATION_BAND[0], CIF_FOB_BAND[1])


def flag_of(ratio: float, band: tuple[float, float]) -> str:
    """'low' or 'high' when the ratio is outside the band, '' otherwise or when unknown."""
    if ratio is None or ratio != ratio:
        return ""
    if ratio < band[0]:
        return "low"
    if ratio > band[1]:
        return "high"
    return ""


def mirror(
    flows: pd.DataFrame,
    a: str,
    b: str,
    years: list[int] | None = None,
    valuation: str = "CIF",
) -> MirrorResult:
    """A's exports to B against B's imports from A, and B's exports to A against A's imports
    from B, per year.

    `valuation` ('CIF' or 'FOB') is used for the importer's side where a source has both;
    exports are taken FOB where a source has both. A side nobody reports stays NaN. A
    direction whose two sides cover different months (Jan-Jun against a whole year) gets no
    gap, ratio or flag, and a note with both periods. Raises UsageError when A is B,
    DataError when neither reports trade with the other.
    """
    import pandas as pd

    from pa_trade.analysis.balance import coverage

    valuation = valuation.upper()
    if a == b:
        raise UsageError(f"mirror compares two different countries; got {countries.name(a)} "
                         f"twice")
    pair = flows[((flows["reporter"] == a) & (flows["partner"] == b))
                 | ((flows["reporter"] == b) & (flows["partner"] == a))]
    if years:
        pair = pair[pair["year"].isin(years)]
    if pair.empty:
        span = f" in {years_text(years)}" if years else ""
        raise DataError(f"no flows between {countries.name(a)} and {countries.name(b)}"
                        f"{span}; {coverage(flows)}")
    all_years = sorted(set(pair["year"].tolist()))
    months = side_months(flows, (a, b), all_years)
    exports = reported(pair, "export", "FOB", months).set_index(["reporter", "partner", "year"])
    imports = reported(pair, "import", valuation, months).set_index(
        ["reporter", "partner", "year"])

    rows, unlike = [], []
    for year in all_years:
        for exporter, importer in ((a, b), (b, a)):
            x = _lookup(exports, (exporter, importer, year))
            m = _lookup(imports, (importer, exporter, year))
            exports_usd = x["value_usd"] if x is not None else float("nan")
            imports_usd = m["value_usd"] if m is not None else float("nan")
            x_mask = float(x["mask"]) if x is not None else float("nan")
            m_mask = float(m["mask"]) if m is not None else float("nan")
            x_val = x["valuation"] if x is not None else ""
            m_val = m["valuation"] if m is not None else ""
            ratio = imports_usd / exports_usd if exports_usd and exports_usd > 0 else float(
                "nan")
            gap = imports_usd - exports_usd
            if not like(x_mask, m_mask):  # six months against twelve is no gap
                ratio = gap = float("nan")
                unlike.append(_unlike_note(exporter, importer, year, x_mask, m_mask))
            band = normal_band(x_val, m_val)
            sources = sorted({s for side in (x, m) if side is not None
                              for s in side["sources"].split("; ") if s})
            rows.append({
                "year": year, "months": months_field(x_mask, m_mask),
                "exporter": exporter, "importer": importer,
                "exporter_name": countries.name(exporter),
                "importer_name": countries.name(importer),
                "exports_reported_usd": exports_usd, "imports_reported_usd": imports_usd,
                "gap_usd": gap, "ratio": ratio,
                "exports_valuation": x_val, "imports_valuation": m_val,
                "band_low": band[0], "band_high": band[1],
                "flag": flag_of(ratio, band), "sources": "; ".join(sources),
                "exports_sources": x["sources"] if x is not None else "",
                "imports_sources": m["sources"] if m is not None else "",
                "exports_mask": x_mask, "imports_mask": m_mask,
            })
    table = pd.DataFrame(rows, columns=COLUMNS)
    for column in ("exports_reported_usd", "imports_reported_usd", "gap_usd", "ratio",
                   "exports_mask", "imports_mask"):
        table[column] = table[column].astype("float64")

    notes = []
    reporters = set(flows["reporter"])
    for code in (a, b):
        if code not in reporters:
            notes.append(f"{countries.name(code)} reports no flows in the loaded data: its "
                         f"side is missing")
    notes += capped(unlike, "directions not compared for the same reason")
    result = MirrorResult(table, a, b, all_years, valuation, notes)
    result.notes += _period_notes(result)
    return result


def _unlike_note(exporter: str, importer: str, year: int, x_mask: float,
                 m_mask: float) -> str:
    """"Colombia's exports to Mexico cover January–June 2023, Mexico's imports from Colombia
    the whole of 2023: not compared; ..." """
    return (f"{countries.name(exporter)}'s exports to {countries.name(importer)} cover "
            f"{period_words(x_mask, year)}, {countries.name(importer)}'s imports from "
            f"{countries.name(exporter)} {period_words(m_mask, year)}: not compared; "
            f"{UNLIKE_HINT}")


def _period_notes(result: MirrorResult) -> list[str]:
    """Part years the title cannot say (it says one period shared by every figure): per
    year, the months all its figures cover, or per direction where a year's differ."""
    from pa_trade import periods
    from pa_trade.analysis.coverage import MIXED, combined, side_masks

    if _title_has_months(result):
        return []
    notes = []
    for year, rows in result.table.groupby("year"):
        value = combined(side_masks(rows))
        if value == periods.ALL_MONTHS:
            continue
        if value != MIXED:
            notes.append(part_year_note(int(year), value))
            continue
        for row in rows.itertuples(index=False):
            masks = {int(m) for m in (row.exports_mask, row.imports_mask) if m == m}
            if len(masks) != 1 or periods.ALL_MONTHS in masks:
                continue  # not compared (said above), or a whole year
            notes.append(f"{year}: {row.exporter_name} → {row.importer_name} covers "
                         f"{periods.months_text(masks.pop())} only")
    return notes


def _title_has_months(result: MirrorResult) -> bool:
    """Whether the title's period names months (every figure covers one same part year)."""
    from pa_trade.analysis.coverage import period_of

    span = (f"{result.years[0]}" if len(result.years) == 1
            else f"{result.years[0]}–{result.years[-1]}")
    return period_of(result.table, result.years) != span


def _lookup(frame: pd.DataFrame, key: tuple):
    try:
        return frame.loc[key]
    except KeyError:
        return None
