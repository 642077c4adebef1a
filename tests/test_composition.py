"""Product composition and the Grubel-Lloyd index, checked against sums made straight from the
raw microdata text (not through pa-trade's readers) and against properties that hold for any
trade."""

from __future__ import annotations

import csv
import io
import math
from decimal import Decimal

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pa_trade import flows, readers
from pa_trade.analysis.balance import balance
from pa_trade.analysis.composition import composition, gl_table, grubel_lloyd, with_gl
from pa_trade.errors import DataError
from pa_trade.reference import countries
from tests.conftest import FIXTURES

EXPO = FIXTURES / "dane_expo_yymm_latin1_semicolon.csv"
IMPO = FIXTURES / "dane_impo_yymm_latin1_semicolon.csv"
MEXICO_DIAN = "493"  # DIAN's code for Mexico in PAIS / PAISGEN
# the sections of the chapters in the fixtures, from the WCO's table (checked by hand)
SECTION_OF = {"04": "I", "06": "II", "07": "II", "08": "II", "09": "II", "10": "II",
              "26": "V", "27": "V", "30": "VI", "38": "VI", "39": "VII", "47": "X",
              "49": "X", "61": "XI", "64": "XII", "72": "XV", "84": "XVI", "85": "XVI",
              "87": "XVII", "88": "XVII"}


def raw(path, partner_column: str, code_column: str, value_column: str) -> list[tuple]:
    """(DIAN partner code, tariff code, Decimal value) per line of a DANE file, read as text."""
    text = path.read_bytes().decode("latin-1")
    out = []
    for row in csv.DictReader(io.StringIO(text), delimiter=";"):
        value = Decimal(row[value_column].replace(".", "").replace(",", "."))
        out.append((row[partner_column], row[code_column], value))
    return out


def raw_exports():
    return raw(EXPO, "PAIS", "POSAR", "FOBDOL")


def raw_imports(valuation: str = "CIF"):
    return raw(IMPO, "PAISGEN", "NABAN", "VACID" if valuation == "CIF" else "VAFODO")


def direct_sums(rows, key) -> dict:
    out: dict = {}
    for _partner, code, value in rows:
        out[key(code)] = out.get(key(code), Decimal(0)) + value
    return out


@pytest.fixture(scope="module")
def loaded():
    return readers.load([str(EXPO), str(IMPO)], use_cache=False).flows


def by_product(result) -> dict:
    table = result.table
    return {p: (x, m) for p, x, m in zip(table["product"], table["exports_usd"],
                                         table["imports_usd"], strict=True)}


# -- totals against the raw files --------------------------------------------------------


@pytest.mark.parametrize("valuation", ["CIF", "FOB"])
def test_chapter_totals_equal_direct_sums_of_the_raw_lines(loaded, valuation):
    result = composition(loaded, "COL", level="chapter", valuation=valuation)
    exports = direct_sums(raw_exports(), lambda code: code[:2])
    imports = direct_sums(raw_imports(valuation), lambda code: code[:2])
    got = by_product(result)
    assert set(got) == set(exports) | set(imports)
    for chapter, (x, m) in got.items():
        assert Decimal(f"{x:.2f}") == exports.get(chapter, Decimal(0)), chapter
        assert Decimal(f"{m:.2f}") == imports.get(chapter, Decimal(0)), chapter
    assert all(code.startswith("0") for code in got if code in ("04", "06", "09"))


def test_section_totals_equal_direct_sums(loaded):
    result = composition(loaded, "COL", level="section")
    exports = direct_sums(raw_exports(), lambda code: SECTION_OF[code[:2]])
    imports = direct_sums(raw_imports(), lambda code: SECTION_OF[code[:2]])
    for section, (x, m) in by_product(result).items():
        assert Decimal(f"{x:.2f}") == exports.get(section, Decimal(0)), section
        assert Decimal(f"{m:.2f}") == imports.get(section, Decimal(0)), section
    assert sum(exports.values()) == Decimal(f"{result.table['exports_usd'].sum():.2f}")


def test_subheading_and_heading_keep_the_leading_zero(loaded):
    headings = by_product(composition(loaded, "COL", level="heading"))
    subheadings = by_product(composition(loaded, "COL", level="subheading"))
    assert "0901" in headings and "901" not in headings
    assert "090111" in subheadings and float(subheadings["090111"][0]) == pytest.approx(
        float(sum(v for _, code, v in raw_exports() if code.startswith("090111"))))


def test_totals_per_partner_equal_the_balance(loaded):
    for valuation in ("CIF", "FOB"):
        products = composition(loaded, "COL", ["MEX", "USA", "PER"], level="group",
                               valuation=valuation).table
        sums = products.groupby("partner")[["exports_usd", "imports_usd"]].sum()
        table = balance(loaded, "COL", partners=["MEX", "USA", "PER"],
                        valuation=valuation).table.set_index("partner")
        for partner in ("MEX", "USA", "PER"):
            for side in ("exports_usd", "imports_usd"):
                assert sums.at[partner, side] == pytest.approx(table.at[partner, side])


def test_shares_add_up_to_one_per_partner_year_and_flow(loaded):
    result = composition(loaded, "COL", ["MEX", "USA", countries.bloc("pa")], level="chapter")
    for _, group in result.table.groupby(["partner", "year"]):
        assert group["share_exports"].sum() == pytest.approx(1.0)
        assert group["share_imports"].sum() == pytest.approx(1.0)


def test_top_keeps_the_largest_and_an_other_row_so_totals_add_up(loaded):
    full = composition(loaded, "COL", level="subheading").table
    top = composition(loaded, "COL", level="subheading", top=3).table
    assert len(top) == 4 and top["product"].iloc[-1] == "other"
    assert top["product_name"].iloc[-1] == f"Other products ({len(full) - 3})"
    trade = full["exports_usd"] + full["imports_usd"]
    assert list(top["product"].iloc[:3]) == list(full.loc[trade.nlargest(3).index, "product"])
    for column in ("exports_usd", "imports_usd", "balance_usd", "share_exports",
                   "share_imports"):
        assert top[column].sum() == pytest.approx(full[column].sum())


def test_flow_export_lists_only_what_is_sold_largest_first(loaded):
    table = composition(loaded, "COL", ["MEX"], level="heading", flow="export").table
    assert (table["exports_usd"] > 0).all()
    assert list(table["exports_usd"]) == sorted(table["exports_usd"], reverse=True)
    assert table["share_exports"].sum() == pytest.approx(1.0)


# -- Grubel-Lloyd against a direct computation -----------------------------------------


def direct_gl(partner_dian: str | None, digits: int) -> float:
    exports = direct_sums([r for r in raw_exports() if partner_dian in (None, r[0])],
                          lambda code: code[:digits])
    imports = direct_sums([r for r in raw_imports() if partner_dian in (None, r[0])],
                          lambda code: code[:digits])
    codes = set(exports) | set(imports)
    gap = sum(abs(exports.get(c, 0) - imports.get(c, 0)) for c in codes)
    total = sum(exports.get(c, 0) + imports.get(c, 0) for c in codes)
    return float(1 - gap / total)


@pytest.mark.parametrize("digits, level", [(2, "chapter"), (4, "heading"), (6, "subheading")])
def test_gl_matches_a_direct_computation(loaded, digits, level):
    table = gl_table(loaded, "COL", ["MEX", "WLD"], level=level).set_index("partner")
    assert table.at["MEX", "gl"] == pytest.approx(direct_gl(MEXICO_DIAN, digits))
    assert table.at["WLD", "gl"] == pytest.approx(direct_gl(None, digits))
    assert 0 < table.at["MEX", "gl"] < 1


def test_gl_is_a_column_of_products_and_of_balance(loaded):
    result = composition(loaded, "COL", ["MEX"], level="chapter", gl_level="subheading")
    assert list(result.table["gl_subheading"]) == pytest.approx(
        [direct_gl(MEXICO_DIAN, 6)] * len(result.table))
    rows = balance(loaded, "COL", partners=["MEX", "USA"]).table
    with_column = with_gl(balance(loaded, "COL", partners=["MEX", "USA"]), loaded,
                          "subheading").table.set_index("partner")
    assert list(with_column.index) == list(rows["partner"])
    assert with_column.at["MEX", "gl_subheading"] == pytest.approx(direct_gl(MEXICO_DIAN, 6))
    assert with_column.at["USA", "gl_subheading"] == 0  # no product goes both ways


def test_balance_gl_for_the_bloc_adds_up_its_members(loaded):
    bloc = countries.bloc("pa")
    result = with_gl(balance(loaded, "COL", partners=[], blocs=[bloc]), loaded, "chapter")
    (value,) = result.table["gl_chapter"]
    members = {"493", "589", "211"}  # DIAN: Mexico, Peru, Chile
    exports = direct_sums([r for r in raw_exports() if r[0] in members], lambda c: c[:2])
    imports = direct_sums([r for r in raw_imports() if r[0] in members], lambda c: c[:2])
    codes = set(exports) | set(imports)
    gap = sum(abs(exports.get(c, 0) - imports.get(c, 0)) for c in codes)
    total = sum(exports.get(c, 0) + imports.get(c, 0) for c in codes)
    assert value == pytest.approx(float(1 - gap / total))


# -- fixtures of our own, in DANE's layout ------------------------------------------------

EXPO_HEADER = ("FECH;ADUA;PAIS;COD_SAL;DPTO2;VIA;POSAR;DPTO1;UNID;CANTI;PBK;PNK;FOBDOL;FOBPES;"
               "FLETES;SEGURO")
IMPO_HEADER = ("FECH;ADUA;PAISGEN;PAISPRO;PAISCOM;DEPTODES;VIATRANS;PBK;PNK;NABAN;VAFODO;"
               "FLETE;SEGUROS;VACID;VACIP")


def write_expo(path, lines: list[tuple[str, str, str, str]]) -> None:
    """(FECH, PAIS, POSAR, FOBDOL) per line, the other columns filled as DANE fills them."""
    rows = [EXPO_HEADER] + [f"{date};10;{partner};1;11;1;{code};11;KG;1,5;2,5;2;{value};0;0;0"
                            for date, partner, code, value in lines]
    path.write_text("\n".join(rows) + "\n", encoding="latin-1")


def write_impo(path, lines: list[tuple[str, str, str, str]]) -> None:
    """(FECH, PAISGEN, NABAN, VACID) per line; VAFODO is 95% of VACID."""
    rows = [IMPO_HEADER]
    for date, partner, code, value in lines:
        cif = Decimal(value.replace(",", "."))
        fob = f"{cif * Decimal('0.95'):.2f}".replace(".", ",")
        rows.append(f"{date};10;{partner};{partner};{partner};11;1;2;2;{code};{fob};0;0;"
                    f"{value};0")
    path.write_text("\n".join(rows) + "\n", encoding="latin-1")


def test_flows_without_a_tariff_code_are_named_not_dropped(tmp_path):
    expo = tmp_path / "expo.csv"
    write_expo(expo, [("2301", "493", "0901110000", "100,5"), ("2301", "493", "", "20,25"),
                      ("2302", "589", "", "1000")])
    impo = tmp_path / "impo.csv"
    write_impo(impo, [("2301", "493", "0901110000", "40"), ("2302", "493", "", "7")])
    loaded = readers.load([str(expo), str(impo)], use_cache=False).flows
    result = composition(loaded, "COL", ["MEX"], level="chapter")
    assert result.notes == ["27.25 USD of flows without a tariff code left out (20.25 of "
                            "exports and 7 of imports)"]
    assert by_product(result) == {"09": (100.5, 40.0)}
    world = composition(loaded, "COL", level="chapter")
    assert world.notes[0].startswith("1,027.25 USD of flows without a tariff code left out")


def test_a_side_missing_from_the_data_is_unknown_not_zero(tmp_path):
    expo = tmp_path / "expo.csv"
    write_expo(expo, [("2301", "493", "0901110000", "100"), ("2301", "493", "8703231090", "5")])
    loaded = readers.load([str(expo)], use_cache=False).flows
    result = composition(loaded, "COL", ["MEX"], level="chapter", gl_level="chapter")
    assert result.table["imports_usd"].isna().all()
    assert result.table["share_imports"].isna().all()
    assert result.table["share_exports"].sum() == pytest.approx(1.0)
    assert math.isnan(result.gl.at[0, "gl"])
    assert result.imports_valuation == "n/a"


def test_a_partner_that_only_buys_has_gl_zero(tmp_path):
    expo = tmp_path / "expo.csv"
    write_expo(expo, [("2301", "190", "0901110000", "300"), ("2301", "493", "8703231090", "5")])
    impo = tmp_path / "impo.csv"
    write_impo(impo, [("2301", "493", "8703231090", "5")])
    loaded = readers.load([str(expo), str(impo)], use_cache=False).flows
    table = gl_table(loaded, "COL", ["KOR", "MEX"], level="subheading").set_index("partner")
    assert table.at["KOR", "gl"] == 0.0  # Korea only buys from Colombia here
    assert table.at["MEX", "gl"] == 1.0  # the same vehicles both ways, same value


def test_chapter_codes_stay_chapters_at_finer_levels():
    frame = flows.normalise_frame(pd.DataFrame([
        {"reporter": "PER", "partner": "KOR", "year": 2022, "flow": "export",
         "value_usd": 10.0, "valuation": "FOB", "source": "UN Comtrade", "hs_code": "09"},
        {"reporter": "PER", "partner": "KOR", "year": 2022, "flow": "import",
         "value_usd": 4.0, "valuation": "CIF", "source": "UN Comtrade", "hs_code": "87"},
    ]))
    result = composition(frame, "PER", ["KOR"], level="subheading")
    assert list(result.table["product"]) == ["09", "87"]
    assert result.table["product_name"].iloc[0] == "Coffee, tea, maté and spices"
    assert result.notes == ["14 USD of flows have tariff codes with fewer digits than an HS "
                            "subheading (such as UN Comtrade's chapters): shown at their own "
                            "level"]
    chapters = composition(frame, "PER", ["KOR"], level="chapter", gl_level="subheading")
    assert chapters.notes == ["14 USD of flows have tariff codes with fewer digits than an HS "
                              "subheading (such as UN Comtrade's chapters): the Grubel–Lloyd "
                              "index counts them at their own level, which can only raise it"]


def test_no_tariff_codes_is_an_error_that_says_where_to_get_them():
    frame = flows.normalise_frame(pd.DataFrame([
        {"reporter": "COL", "partner": "MEX", "year": 2022, "flow": "export",
         "value_usd": 10.0, "valuation": "FOB", "source": "DANE table"}]))
    with pytest.raises(DataError, match="no tariff codes.*fetch comtrade --level chapter"):
        composition(frame, "COL")
    with pytest.raises(DataError, match="no data for Colombia with Japan"):
        composition(frame.assign(hs_code="0901"), "COL", ["JPN"])


# -- months: the World rows of microdata, and sides of different months -----------------


def test_world_rows_of_microdata_stay_out_of_product_tables(loaded):
    world = loaded[loaded["partner"] == "WLD"]
    assert len(world) and world["hs_code"].isna().all() and world["month"].notna().all()
    coded = loaded[loaded["hs_code"].notna()]
    assert (loaded["hs_code"].isna() == (loaded["partner"] == "WLD")).all()
    result = composition(loaded, "COL", level="chapter")
    assert not any("tariff code" in note for note in result.notes)
    for flow, column, valued in (("export", "exports_usd", "FOB"),
                                 ("import", "imports_usd", "CIF")):
        shown = result.table[column].sum()
        side = (coded["flow"] == flow) & (coded["valuation"] == valued)
        assert shown == pytest.approx(coded.loc[side, "value_usd"].sum())
        # the World rows hold the same dollars again: counted too, they would double it
        in_world = (world["flow"] == flow) & (world["valuation"] == valued)
        assert world.loc[in_world, "value_usd"].sum() == pytest.approx(shown)
    assert result.table["share_exports"].sum() == pytest.approx(1.0)
    asked = composition(loaded, "COL", ["WLD"], level="chapter")
    pd.testing.assert_frame_equal(asked.table, result.table)
    gl = with_gl(balance(loaded, "COL", partners=["MEX"]), loaded, "chapter")
    assert not any("tariff code" in note for note in gl.notes)


def test_the_fixtures_cover_january_to_june_and_say_so(loaded):
    result = composition(loaded, "COL", ["MEX", "KOR"], level="group")
    assert result.period == "January–June 2022"
    assert set(result.table["months"]) == {"1-6"}
    assert list(result.periods["months"]) == ["1-6", "1-6"]


def half_year_exports(tmp_path, import_months=range(1, 13)):
    """Exports January-June 2023 (Mexico and the United States), imports over
    `import_months`."""
    expo, impo = tmp_path / "expo.csv", tmp_path / "impo.csv"
    write_expo(expo, [(f"23{m:02d}", partner, code, "100")
                      for m in range(1, 7)
                      for partner, code in (("493", "8703231090"), ("249", "0901110000"))])
    write_impo(impo, [(f"23{m:02d}", "493", "8703231090", "50") for m in import_months])
    return readers.load([str(expo), str(impo)], use_cache=False).flows


def test_a_product_balance_over_different_months_is_left_empty(tmp_path):
    loaded = half_year_exports(tmp_path)
    result = composition(loaded, "COL", ["MEX"], level="chapter", gl_level="chapter")
    (row,) = result.table.to_dict("records")
    assert (row["exports_usd"], row["imports_usd"]) == (600, 600)  # six months, twelve
    assert math.isnan(row["balance_usd"])  # 0 would read as balanced trade
    assert row["months"] == "exports 1-6; imports 1-12"
    assert math.isnan(result.gl.at[0, "gl"]) and math.isnan(row["gl_chapter"])
    assert ("with Mexico: exports cover January–June 2023, imports the whole of 2023: no "
            "balance or Grubel–Lloyd index") in result.notes
    assert result.period == "2023"
    same = composition(half_year_exports(tmp_path, range(1, 7)), "COL", ["MEX"],
                       level="chapter", gl_level="chapter")
    assert same.table["balance_usd"].tolist() == [300] and same.period == "January–June 2023"
    assert same.gl.at[0, "gl"] == pytest.approx(2 / 3)


def test_balance_gl_leaves_the_index_empty_where_months_differ(tmp_path):
    loaded = half_year_exports(tmp_path)
    result = with_gl(balance(loaded, "COL", partners=["MEX"]), loaded, "chapter")
    assert math.isnan(result.table.set_index("partner").at["MEX", "gl_chapter"])
    assert "no Grubel–Lloyd index where exports and imports cover different months" in (
        result.notes)


def test_a_partner_trading_only_in_march_covers_its_sources_months(tmp_path):
    expo, impo = tmp_path / "expo.csv", tmp_path / "impo.csv"
    write_expo(expo, [(f"23{m:02d}", "249", "0901110000", "10") for m in range(1, 7)]
               + [("2303", "493", "8703231090", "100")])
    write_impo(impo, [(f"23{m:02d}", "249", "0901110000", "10") for m in range(1, 7)]
               + [("2303", "493", "8703231090", "40")])
    loaded = readers.load([str(expo), str(impo)], use_cache=False).flows
    result = composition(loaded, "COL", ["MEX"], level="chapter")
    assert result.period == "January–June 2023"
    assert result.table["months"].tolist() == ["1-6"]
    assert result.table["balance_usd"].tolist() == [60]


# -- properties ---------------------------------------------------------------------------

money = st.floats(min_value=0, max_value=1e9, allow_nan=False, allow_infinity=False)
pairs = st.lists(st.tuples(money, money), min_size=1, max_size=30)


@given(pairs)
def test_gl_is_between_zero_and_one(values):
    exports, imports = zip(*values, strict=True)
    gl = grubel_lloyd(exports, imports)
    assert math.isnan(gl) if sum(exports) + sum(imports) == 0 else 0.0 <= gl <= 1.0


@given(st.lists(st.floats(min_value=0.01, max_value=1e9), min_size=1, max_size=30))
def test_gl_is_zero_when_a_partner_only_buys_or_only_sells(values):
    zeros = [0.0] * len(values)
    assert grubel_lloyd(values, zeros) == 0.0
    assert grubel_lloyd(zeros, values) == 0.0


@given(st.lists(st.floats(min_value=0.01, max_value=1e9), min_size=1, max_size=30))
def test_gl_is_one_when_exports_equal_imports_in_every_product(values):
    assert grubel_lloyd(values, values) == pytest.approx(1.0)


codes = st.sampled_from(["0101210000", "0901110000", "0901119000", "0603110000",
                         "2701120010", "2709000000", "7403110000", "8703231090",
                         "8703239000", "9999000000"])
cents = st.integers(min_value=1, max_value=10**11).map(lambda c: c / 100)
trade = st.lists(st.tuples(st.sampled_from(["MEX", "KOR", "PER"]),
                           st.sampled_from(["export", "import"]), codes, cents),
                 min_size=2, max_size=40)


@settings(max_examples=30, deadline=None)
@given(trade, st.sampled_from(["section", "chapter", "heading", "subheading", "group"]),
       st.integers(min_value=1, max_value=4))
def test_any_trade_keeps_totals_shares_and_gl(rows, level, top):
    frame = flows.normalise_frame(pd.DataFrame([
        {"reporter": "COL", "partner": partner, "year": 2022, "flow": flow, "value_usd": value,
         "valuation": "FOB" if flow == "export" else "CIF", "source": "test", "hs_code": code}
        for partner, flow, code, value in rows]))
    if set(frame["flow"]) != {"export", "import"}:
        return
    full = composition(frame, "COL", level=level, gl_level=level)
    cut = composition(frame, "COL", level=level, top=top)
    assert len(cut.table) <= top + 1
    for side, flow in (("exports_usd", "export"), ("imports_usd", "import")):
        expected = frame.loc[frame["flow"] == flow, "value_usd"].sum()
        assert full.table[side].sum() == pytest.approx(expected)
        assert cut.table[side].sum() == pytest.approx(expected)
    for share in ("share_exports", "share_imports"):
        assert full.table[share].sum() == pytest.approx(1.0)
        assert cut.table[share].sum() == pytest.approx(1.0)
    gl = full.table[f"gl_{level}"].iloc[0]
    assert 0.0 <= gl <= 1.0
    assert gl == pytest.approx(grubel_lloyd(full.table["exports_usd"], full.table["imports_usd"]))


def _coded_flows(rows) -> pd.DataFrame:
    """A canonical table of Colombia's trade with Mexico in 2022, (flow, value, hs_code)."""
    return flows.normalise_frame(pd.DataFrame({
        "reporter": "COL", "partner": "MEX", "year": 2022,
        "flow": [flow for flow, _, _ in rows], "value_usd": [value for _, value, _ in rows],
        "valuation": ["FOB" if flow == "export" else "CIF" for flow, _, _ in rows],
        "source": "test", "hs_code": pd.array([code for _, _, code in rows], dtype="string")}),
        rounded=True)  # amounts as given (normalise_frame would round them to the cent)


def test_codes_of_five_digits_are_named_short_of_a_subheading():
    # a five-digit code reads as six (its leading zero lost) for the product, yet it still
    # has fewer digits than a subheading: the note says so, at the level and for the index
    rows = [("export", 100.0, "90111"), ("import", 50.0, "90112"), ("export", 30.0, "84713")]
    result = composition(_coded_flows(rows), "COL", level="subheading")
    assert any("180 USD of flows have tariff codes with fewer digits than an HS "
               "subheading" in note for note in result.notes), result.notes
    assert set(result.table["product"]) == {"090111", "090112", "084713"}
    assert not any("fewer digits" in note for note in composition(
        _coded_flows(rows), "COL", level="heading").notes)
    gl = composition(_coded_flows(rows), "COL", level="heading", gl_level="subheading")
    assert any("fewer digits than an HS subheading" in note for note in gl.notes), gl.notes


def test_amounts_below_the_cent_are_summed_as_they_are_and_the_table_is_left_alone():
    # not whole cents: summed by pandas' grouping, the caller's table unchanged
    rows = [("export", 0.004, "0901110000"), ("export", 0.004, "0901120000"),
            ("export", 1.001, "0901110000"), ("import", 2.5, "0901110000")]
    table = _coded_flows(rows)
    before = table.copy()
    result = composition(table, "COL", level="chapter")
    pd.testing.assert_frame_equal(table, before)
    got = result.table.set_index("product")
    assert got.loc["09", "exports_usd"] == pytest.approx(1.009, abs=1e-12)
    assert got.loc["09", "imports_usd"] == 2.5


def test_the_table_handed_over_is_freed_before_the_products_are_summed(monkeypatch):
    # the command line passes its only reference: gone once each level's products are known
    import weakref

    from pa_trade.analysis import composition as module

    rows = [("export", 100.0, "0901110000"), ("import", 50.0, "8471300000")]
    tables = [_coded_flows(rows)]
    alive = weakref.ref(tables[0])
    seen = []
    summed = module._per_product

    def per_product(*args, **kwargs):
        seen.append(alive() is None)
        return summed(*args, **kwargs)

    monkeypatch.setattr(module, "_per_product", per_product)
    result = module.composition(tables.pop(), "COL", level="chapter", gl_level="heading",
                                give_memory_back=True)
    assert seen == [True, True]
    assert sorted(result.table["product"]) == ["09", "84"]
