"""Balance arithmetic: balance = exports - imports, blocs = sum of members, valuations kept."""

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pa_trade import flows
from pa_trade.analysis.balance import (
    balance,
    bloc_balance,
    status_of,
    valuation_label,
    with_total_rows,
    years_text,
)
from pa_trade.errors import DataError
from pa_trade.reference import countries

MEMBERS = ["MEX", "PER", "CHL"]
OTHERS = ["KOR", "USA", "CHN"]


def make(rows):
    return flows.aggregate(pd.DataFrame(
        [{"reporter": r, "partner": p, "year": y, "flow": f, "value_usd": v, "valuation": val,
          "source": "test"} for r, p, y, f, v, val in rows]
    ))


cents = st.integers(0, 10**13).map(lambda c: c / 100)
random_flows = st.lists(
    st.tuples(st.just("COL"), st.sampled_from(MEMBERS + OTHERS), st.integers(2019, 2022),
              st.sampled_from(["export", "import"]), cents, st.sampled_from(["FOB", "CIF"])),
    min_size=1, max_size=40,
)


@settings(max_examples=80, deadline=None)
@given(random_flows)
def test_balance_is_exports_minus_imports_to_the_cent(rows):
    table = balance(make(rows), "COL").table
    both = table.dropna(subset=["exports_usd", "imports_usd"])
    for row in both.itertuples():
        assert round(row.balance_usd, 2) == round(row.exports_usd - row.imports_usd, 2)
    one_side = table[table["exports_usd"].isna() | table["imports_usd"].isna()]
    assert one_side["balance_usd"].isna().all()
    assert (one_side["status"] == "").all()


@settings(max_examples=80, deadline=None)
@given(st.lists(
    st.tuples(st.sampled_from(MEMBERS + OTHERS), st.integers(2021, 2022),
              st.sampled_from(["export", "import"]), cents,
              st.sampled_from(["FOB", "CIF", "unknown"]), st.sampled_from(["DANE", "DIAN"])),
    min_size=1, max_size=40,
), st.sampled_from(["CIF", "FOB"]))
def test_each_side_adds_up_its_rows_at_the_valuation_asked(rows, asked):
    frame = flows.aggregate(pd.DataFrame(
        [{"reporter": "COL", "partner": p, "year": y, "flow": f, "value_usd": v,
          "valuation": val, "source": s} for p, y, f, v, val, s in rows]))
    table = balance(frame, "COL", valuation=asked).table.set_index(["partner", "year"])
    order = [asked, "FOB" if asked == "CIF" else "CIF", "unknown"]
    pairs = {(p, y) for p, y, *_ in rows}
    assert set(table.index) == pairs
    for pair in pairs:
        mine = [r for r in rows if (r[0], r[1]) == pair]
        exports = [r for r in mine if r[2] == "export"]
        imports = [r for r in mine if r[2] == "import"]
        if imports:  # the first valuation in order of preference that the rows have
            best = next(v for v in order if any(r[4] == v for r in imports))
            imports = [r for r in imports if r[4] == best]
        row = table.loc[pair]
        for side, kept in (("exports", exports), ("imports", imports)):
            if not kept:
                assert pd.isna(row[f"{side}_usd"]) and row[f"{side}_valuation"] == ""
                continue
            assert round(row[f"{side}_usd"], 2) == round(sum(r[3] for r in kept), 2)
            found = sorted({r[4] for r in kept})
            assert row[f"{side}_valuation"] == (
                found[0] if len(found) == 1 else "mixed (" + "+".join(found) + ")")
        assert row["sources"] == "; ".join(sorted({r[5] for r in exports + imports}))


@settings(max_examples=80, deadline=None)
@given(random_flows)
def test_bloc_subtotal_is_the_sum_of_its_members(rows):
    pa = countries.bloc("pa")
    table = balance(make(rows), "COL", totals=True, blocs=[pa]).table
    for _year, group in table.groupby("year"):
        members = group[group["partner"].isin(MEMBERS)]
        subtotal = group[group["partner"] == pa.code]
        if members.empty:
            assert subtotal.empty
            continue
        for side in ("exports_usd", "imports_usd"):
            expected = members[side].sum(min_count=1)
            got = subtotal[side].iloc[0]
            assert (pd.isna(expected) and pd.isna(got)) or abs(got - expected) < 0.005


def test_the_reporter_is_never_its_own_partner_in_the_bloc():
    data = make([("COL", "MEX", 2022, "export", 10.0, "FOB"),
                 ("COL", "COL", 2022, "export", 99.0, "FOB")])
    table = balance(data, "COL", totals=True, blocs=[countries.bloc("pa")]).table
    assert "COL" not in set(table["partner"])
    assert table.loc[table["partner"] == "XPA", "exports_usd"].iloc[0] == 10.0


def test_imports_use_the_asked_valuation_and_say_which():
    data = make([("COL", "MEX", 2022, "import", 110.0, "CIF"),
                 ("COL", "MEX", 2022, "import", 100.0, "FOB"),
                 ("COL", "PER", 2022, "import", 50.0, "CIF")])
    cif = balance(data, "COL").table.set_index("partner")
    fob = balance(data, "COL", valuation="FOB").table.set_index("partner")
    assert cif.loc["MEX", "imports_usd"] == 110.0 and cif.loc["MEX", "imports_valuation"] == "CIF"
    assert fob.loc["MEX", "imports_usd"] == 100.0 and fob.loc["MEX", "imports_valuation"] == "FOB"
    # Peru's source has CIF only: used, and labelled so
    assert fob.loc["PER", "imports_usd"] == 50.0 and fob.loc["PER", "imports_valuation"] == "CIF"


def test_a_missing_side_stays_missing_not_zero():
    table = balance(make([("COL", "KOR", 2022, "export", 5.0, "FOB")]), "COL").table
    row = table.iloc[0]
    assert row["exports_usd"] == 5.0
    assert pd.isna(row["imports_usd"]) and pd.isna(row["balance_usd"])


def test_world_total_appears_only_with_totals_or_when_asked():
    data = make([("COL", "MEX", 2022, "export", 5.0, "FOB"),
                 ("COL", "WLD", 2022, "export", 50.0, "FOB")])
    assert "WLD" not in set(balance(data, "COL").table["partner"])
    assert "WLD" in set(balance(data, "COL", totals=True).table["partner"])
    assert list(balance(data, "COL", partners=["WLD"]).table["partner"]) == ["WLD"]


def test_no_data_for_the_year_says_what_is_covered():
    data = make([("COL", "MEX", 2022, "export", 5.0, "FOB")])
    with pytest.raises(DataError, match=r"no data for Colombia in 1999.*Colombia in 2022"):
        balance(data, "COL", years=[1999])


def test_unknown_reporter_says_which_reporters_there_are():
    data = make([("COL", "MEX", 2022, "export", 5.0, "FOB")])
    with pytest.raises(DataError, match=r"Peru.*cover Colombia"):
        balance(data, "PER")


@pytest.mark.parametrize("value, status", [(1.0, "surplus"), (-0.01, "deficit"), (0.0, "balanced"),
                                           (0.001, "balanced"), (float("nan"), "")])
def test_status(value, status):
    assert status_of(value) == status


def test_a_bloc_as_partner_is_one_row_per_year_summing_the_other_members():
    data = make([("COL", "MEX", 2022, "export", 10.0, "FOB"),
                 ("COL", "PER", 2022, "export", 5.0, "FOB"),
                 ("COL", "PER", 2022, "import", 7.0, "CIF"),
                 ("COL", "USA", 2022, "export", 100.0, "FOB")])
    table = balance(data, "COL", blocs=[countries.bloc("pa")]).table
    row = table[table["partner"] == "XPA"].iloc[0]
    assert row["exports_usd"] == 15.0 and row["imports_usd"] == 7.0
    # exports to Mexico and Peru against imports from Peru alone: no balance (issue 15)
    assert row["balance_usd"] != row["balance_usd"] and row["status"] == ""
    same = make([("COL", "PER", 2022, "export", 5.0, "FOB"),
                 ("COL", "PER", 2022, "import", 7.0, "CIF")])
    row = balance(same, "COL", blocs=[countries.bloc("pa")]).table.query("partner == 'XPA'")
    assert row["balance_usd"].iloc[0] == -2.0  # the same partners on both sides: a balance


def test_bloc_balance_keeps_intra_bloc_trade_apart_and_counts_nothing_twice():
    from pa_trade.analysis.balance import bloc_balance

    data = make([("COL", "MEX", 2022, "export", 10.0, "FOB"),
                 ("MEX", "COL", 2022, "export", 30.0, "FOB"),
                 ("COL", "KOR", 2022, "import", 50.0, "CIF"),
                 ("PER", "KOR", 2022, "import", 20.0, "CIF"),
                 ("PER", "KOR", 2022, "export", 40.0, "FOB")])
    table = bloc_balance(data, countries.bloc("pa")).table
    bloc_rows = table[table["reporter"] == "XPA"].set_index("partner")
    assert bloc_rows.loc["KOR", "imports_usd"] == 70.0
    assert bloc_rows.loc["KOR", "exports_usd"] == 40.0
    assert bloc_rows.loc["XPA", "exports_usd"] == 40.0  # COL->MEX and MEX->COL, apart
    members = table[table["reporter"] != "XPA"]
    for side in ("exports_usd", "imports_usd"):
        assert bloc_rows[side].sum() == members[side].sum()


@settings(max_examples=40, deadline=None)
@given(st.lists(
    st.tuples(st.sampled_from(["COL", "MEX", "PER", "CHL"]), st.sampled_from(MEMBERS + OTHERS
                                                                            + ["COL"]),
              st.integers(2019, 2020), st.sampled_from(["export", "import"]), cents,
              st.sampled_from(["FOB", "CIF"])),
    min_size=1, max_size=40))
def test_bloc_rows_add_up_to_the_members_rows(rows):
    from pa_trade.analysis.balance import bloc_balance

    rows = [r for r in rows if r[0] != r[1]]
    if not rows:
        return
    table = bloc_balance(make(rows), countries.bloc("pa")).table
    for year, group in table.groupby("year"):
        bloc_rows = group[group["reporter"] == "XPA"]
        members = group[group["reporter"] != "XPA"]
        for side in ("exports_usd", "imports_usd"):
            assert abs(bloc_rows[side].sum() - members[side].sum()) < 0.01, (year, side)


def test_colombia_with_the_alliance_is_the_sum_of_mexico_peru_and_chile_on_imf_data():
    from pa_trade import readers
    from tests.conftest import reference_file

    flows_ = readers.load([str(reference_file("imf_dots_pa_2000_2020.csv"))]).flows
    pa = countries.bloc("pa")
    table = balance(flows_, "COL", partners=["MEX", "PER", "CHL"], blocs=[pa]).table
    for year, group in table.groupby("year"):
        members = group[group["partner"].isin(["MEX", "PER", "CHL"])]
        bloc_row = group[group["partner"] == "XPA"].iloc[0]
        for side in ("exports_usd", "imports_usd", "balance_usd"):
            assert round(bloc_row[side], 2) == round(members[side].sum(), 2), (year, side)
    row_2019 = table[(table["year"] == 2019) & (table["partner"] == "MEX")].iloc[0]
    assert round(row_2019["imports_usd"] / 1e6, 1) == 3879.6


def test_valuation_labels_of_labels_are_flat():
    assert valuation_label(["FOB", "FOB"]) == "FOB"
    assert valuation_label(["FOB", "mixed (FOB+unknown)", "unknown", None, ""]) == \
        "mixed (FOB+unknown)"
    assert valuation_label(["CIF", "mixed (FOB+unknown)"]) == "mixed (CIF+FOB+unknown)"
    assert valuation_label([]) == ""


def test_a_bloc_figure_that_misses_members_says_so_and_shows_no_balance():
    frame = flows.aggregate(pd.DataFrame([
            {"reporter": r, "partner": "WLD", "year": 2022, "flow": f, "value_usd": v,
             "valuation": val, "source": "test"}
            for r, f, v, val in [("COL", "export", 100.0, "FOB"), ("COL", "import", 150.0, "CIF"),
                                 ("MEX", "export", 300.0, "FOB"), ("MEX", "import", 250.0, "CIF"),
                                 ("PER", "export", 60.0, "FOB")]]))
    result = bloc_balance(frame, countries.bloc("pa"), partners=["WLD"], totals=True)
    bloc_row = result.table[result.table["reporter"] == "XPA"].iloc[0]
    assert bloc_row["exports_usd"] == 460.0 and bloc_row["imports_usd"] == 400.0
    assert pd.isna(bloc_row["balance_usd"]) and bloc_row["status"] == ""
    assert any("imports add up COL, MEX only (no figure from PER)" in n for n in result.notes)
    assert any("include their trade with each other" in n for n in result.notes)


def test_a_bloc_total_over_a_row_without_balance_has_none_either():
    frame = flows.aggregate(pd.DataFrame([
        {"reporter": r, "partner": "CHN", "year": 2019, "flow": f, "value_usd": v,
         "valuation": val, "source": "test"}
        for r, f, v, val in [("COL", "export", 100.0, "FOB"), ("MEX", "export", 300.0, "FOB"),
                             ("MEX", "import", 250.0, "CIF")]]))
    result = with_total_rows(bloc_balance(frame, countries.bloc("pa"), partners=["CHN"]))
    bloc_rows = result.table[result.table["reporter"] == "XPA"]
    # the total of one partner would be its row again: there is none
    assert bloc_rows["partner_name"].tolist() == ["China"]
    assert bloc_rows["balance_usd"].isna().all()


def test_one_reporting_member_brings_no_note_on_different_members():
    frame = flows.aggregate(pd.DataFrame([
        {"reporter": "COL", "partner": p, "year": 2022, "flow": f, "value_usd": 10.0,
         "valuation": "FOB", "source": "test"}
        for p, f in [("CHN", "export"), ("USA", "export"), ("USA", "import")]]))
    result = bloc_balance(frame, countries.bloc("pa"))
    assert not any("different members" in note for note in result.notes)
    usa = result.table[(result.table["reporter"] == "XPA") & (result.table["partner"] == "USA")]
    assert usa["balance_usd"].tolist() == [0.0]


def test_years_are_told_as_ranges():
    assert years_text([2009, 2000, 2001, 2002, 2012, 2014, 2015]) == \
        "2000-2002, 2009, 2012, 2014-2015"
