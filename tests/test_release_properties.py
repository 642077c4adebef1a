"""Invariants of reading DANE's releases, over many generated files (hypothesis):
no value goes to a wrong country without an error (the code system is decided right or the
file is refused), every money style reads to the cent, and --months keeps exactly the
months asked."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pa_trade import periods, readers
from pa_trade.errors import DataError
from pa_trade.flows import keep_months
from pa_trade.reference import countries
from pa_trade.textio import SourceFile

HEADER = ["FECH", "PAIS", "COD_PAI4", "POSAR", "FOBDOL"]


def _codes():
    """(ISO3, DIAN code, ISO numeric code) of every country with both codes."""
    tables = countries._tables()
    dian = {code: number for number, code in tables.dian.items()}
    iso = {code: number for number, code in tables.iso_numeric.items()}
    return sorted((c, f"{dian[c]:03d}", f"{iso[c]:03d}") for c in dian if c in iso)


CODES = _codes()
# the trap: numbers that are a country in both systems, a different one in each
SHARED = [row for row in CODES if any(row[2] == other[1] for other in CODES)]
money = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("99999999.99"), places=2)


def render(value: Decimal, style: str) -> str:
    if style == "plain":
        return f"{value:.2f}"
    if style == "comma":
        return f"{value:.2f}".replace(".", ",")
    whole, cents = f"{value:,.2f}".split(".")
    return f" {whole.replace(',', '.')},{cents} "  # padded, thousands dots


@st.composite
def months_of_trade(draw):
    pool = draw(st.sampled_from([CODES, SHARED]))
    partners = draw(st.lists(st.sampled_from(pool), min_size=1, max_size=8))
    values = draw(st.lists(money, min_size=len(partners), max_size=len(partners)))
    system = draw(st.sampled_from(["dian", "iso"]))
    alpha = draw(st.booleans())
    style = draw(st.sampled_from(["plain", "comma", "padded"]))
    return partners, values, system, alpha, style


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(months_of_trade())
def test_no_value_goes_to_a_wrong_country_without_an_error(case):
    partners, values, system, alpha, style = case
    header = HEADER if alpha else [c for c in HEADER if c != "COD_PAI4"]
    lines = [";".join(header)]
    truth: dict[str, Decimal] = {}
    for (iso3, dian, iso), value in zip(partners, values, strict=True):
        cells = {"FECH": "2501", "PAIS": dian if system == "dian" else iso,
                 "COD_PAI4": iso3, "POSAR": "0901110000", "FOBDOL": render(value, style)}
        lines.append(";".join(cells[c] for c in header))
        partner = "XTN" if iso3 == "COL" else iso3  # Colombia itself: national territory
        truth[partner] = truth.get(partner, Decimal(0)) + value
    source = SourceFile("month.csv", ("\n".join(lines) + "\n").encode("latin-1"))
    try:
        frame, report = readers.read_file(source)
    except DataError as exc:
        # refusing is allowed only for codes that read alike in both systems, and says how
        assert not alpha and "--country-codes" in str(exc)
        return
    got: dict[str, Decimal] = {}
    for row in frame[frame["partner"] != "WLD"].itertuples(index=False):
        got[row.partner] = got.get(row.partner, Decimal(0)) + Decimal(f"{row.value_usd:.2f}")
    assert got == truth
    assert report.balanced and not report.set_aside


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 12), money), min_size=1, max_size=30),
       st.sets(st.integers(1, 12), min_size=1))
def test_months_keep_exactly_the_months_asked(rows, asked):
    import pandas as pd

    from pa_trade import flows

    frame = flows.normalise_frame(pd.DataFrame({
        "reporter": "COL", "partner": "MEX", "year": 2023,
        "month": [m for m, _ in rows], "flow": "export",
        "value_usd": [float(v) for _, v in rows], "valuation": "FOB",
        "source": "DANE export microdata (x.csv)",
    }))
    kept, notes = keep_months(frame, periods.mask(asked))
    assert set(kept["month"]) <= asked and not notes
    expected = sum((v for m, v in rows if m in asked), Decimal(0))
    assert Decimal(f"{kept['value_usd'].sum():.2f}") == expected


def test_yearly_figures_are_left_out_of_months_and_said():
    import pandas as pd

    from pa_trade import flows

    frame = flows.normalise_frame(pd.DataFrame({
        "reporter": "COL", "partner": ["MEX", "MEX"], "year": 2022, "month": [None, None],
        "months": [None, "1-6"], "flow": ["export", "import"], "value_usd": [1.0, 2.0],
        "valuation": ["FOB", "CIF"], "source": "IMF DOTS (dots.xlsx)",
    }))
    kept, notes = keep_months(frame, periods.parse_spec("1-6"))
    assert kept["flow"].tolist() == ["import"]  # the January-June figure fits, the year not
    assert len(notes) == 1 and "IMF DOTS" in notes[0] and "cannot be narrowed" in notes[0]


@pytest.mark.parametrize("typed, mask", [("1-6", 0b111111), ("ene-jun", 0b111111),
                                         ("Enero-Junio", 0b111111), ("7", 1 << 6),
                                         ("1,3", 0b101), ("oct-dic", 0b111 << 9),
                                         ("setiembre", 1 << 8), ("q1", 0b111),
                                         ("T4", 0b111 << 9), ("s2", 0b111111 << 6)])
def test_months_as_analysts_type_them(typed, mask):
    assert periods.parse_months([typed]) == mask


@pytest.mark.parametrize("typed", ["0", "13", "6-1", "junio-enero", "1-6-9", "q5", "", " "])
def test_months_that_are_no_months_are_a_usage_error(typed):
    from pa_trade.errors import UsageError

    with pytest.raises(UsageError, match="--months") as caught:
        periods.parse_months([typed])
    if typed == "13":
        assert "there is no month 13" in str(caught.value)
