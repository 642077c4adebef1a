"""The vectorised product levels and machine cells give what their one-value versions give.

products_of/names_of (reference.products) cut and name many tariff codes at once, and
render.products writes money and shares of a whole column at once; a user sees any
difference as a product under another chapter, a name that changed, or a figure off by a
cent. Each is checked against the function of one value it stands for.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pa_trade.flows import format_usd
from pa_trade.reference import products
from pa_trade.render import products as render_products

SETTINGS = settings(max_examples=150, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])

digit_codes = st.text(alphabet="0123456789", min_size=1, max_size=10)
# codes as they come from spreadsheets and tidy files: dots, spaces, dashes, letters
odd_codes = st.one_of(digit_codes, st.from_regex(r"[0-9]{2,4}(\.[0-9]{2}){0,3}", fullmatch=True),
                      st.from_regex(r" ?[0-9]{4}-[0-9]{2} ?", fullmatch=True),
                      st.sampled_from(["XX", "9999", "27", "7108", "710812", "930100"]))


@SETTINGS
@given(st.lists(digit_codes, min_size=1, max_size=40), st.sampled_from(products.LEVELS))
def test_products_of_digit_codes_are_product_of_each(codes, level):
    got = products.products_of(codes, level).to_pylist()
    assert got == [products.product(code, level) for code in codes]


@SETTINGS
@given(st.lists(odd_codes, min_size=1, max_size=20), st.sampled_from(products.LEVELS))
def test_products_of_written_codes_are_product_of_each(codes, level):
    got = products.products_of(pa.array(codes), level).to_pylist()
    assert got == [products.product(code, level) for code in codes]


@SETTINGS
@given(st.lists(digit_codes, min_size=1, max_size=30), st.sampled_from(products.LEVELS),
       st.sampled_from(["en", "es"]), st.booleans())
def test_names_of_products_are_name_of_each(codes, level, lang, short):
    cut = [products.product(code, level) for code in codes]
    got = products.names_of(cut, level, lang, short)
    assert got == [products.name(code, level, lang, short) for code in cut]


def test_a_dictionary_column_of_codes_is_cut_like_its_texts():
    codes = pa.array(["0901110000", "2709000000", "0901110000", "8703231000"]).dictionary_encode()
    assert products.products_of(codes, "chapter").to_pylist() == ["09", "27", "09", "87"]
    assert products.products_of(codes, "group").to_pylist() == [
        products.group(c) for c in ["0901110000", "2709000000", "0901110000", "8703231000"]]


cents = st.integers(min_value=-10**15, max_value=10**15)


@SETTINGS
@given(st.lists(cents, min_size=1, max_size=50))
def test_money_cells_are_format_usd_of_each(values):
    dollars = np.array(values, dtype=np.float64) / 100
    got = render_products._decimal_texts(dollars, 2, format_usd).to_pylist()
    assert got == [format_usd(v) for v in dollars.tolist()]


@SETTINGS
@given(st.lists(st.one_of(st.floats(min_value=-2, max_value=2, allow_nan=False),
                          st.just(float("nan")), st.just(0.5e-8), st.just(-0.5e-8)),
                min_size=1, max_size=50))
def test_share_cells_are_fraction_of_each(values):
    array = np.array(values, dtype=np.float64)
    got = render_products._decimal_texts(array, 8, render_products._fraction).to_pylist()
    assert got == [render_products._fraction(v) for v in array.tolist()]


def test_half_cents_and_huge_amounts_are_written_as_format_usd_writes_them():
    dollars = np.array([0.005, 0.015, 2.675, -2.675, 1e17, -0.001, 12.5, 2.0**53])
    got = render_products._decimal_texts(dollars, 2, format_usd).to_pylist()
    assert got == [format_usd(v) for v in dollars.tolist()]


@SETTINGS
@given(st.lists(st.integers(min_value=1990, max_value=2030), max_size=60),
       st.lists(st.integers(min_value=0, max_value=59), max_size=30))
def test_year_codes_index_the_sorted_distinct_years_of_the_frame(years, picks):
    # each picked row's code names its own year among the frame's years, in order
    import pandas as pd

    from pa_trade.analysis.composition import _Flows, _year_codes

    frame = pd.DataFrame({"year": np.array(years, dtype=np.int64),
                          "value_usd": np.zeros(len(years))})
    rows = np.array([p for p in picks if p < len(years)], dtype=np.int64)
    at, found = _year_codes(_Flows(frame), rows)
    assert found.tolist() == sorted(set(years))
    assert found[at.astype(np.int64)].tolist() == frame["year"].to_numpy()[rows].tolist()


texts = st.text(alphabet=st.sampled_from(list('ab ,"=\n\t\\é-+@')), max_size=6)


@SETTINGS
@given(st.lists(st.one_of(texts, st.none()), min_size=1, max_size=30), st.booleans())
def test_a_categorical_text_column_is_written_as_its_texts_are(values, raw_text):
    # product names come as categoricals: csv, tsv and json give what plain texts give
    import pandas as pd

    plain = pd.Series(values, dtype="str")
    coded = pd.Series(pd.Categorical(values))
    for fmt in ("csv", "tsv"):
        delimiter = "," if fmt == "csv" else "\t"
        written = [b"".join(render_products._delimited(
            ["name"], pd.DataFrame({"name": column}), ["name"], "usd", set(), delimiter,
            raw_text)) for column in (plain, coded)]
        assert written[0] == written[1]
    written = [render_products._json(["name"], {"name": render_products._str_texts(column)},
                                     set()) for column in (plain, coded)]
    assert written[0] == written[1]


@SETTINGS
@given(st.lists(st.integers(min_value=0, max_value=50), max_size=80),
       st.sampled_from([1, 1 << 40]))
def test_first_rows_are_the_first_of_each_distinct_key_in_row_order(keys, scale):
    # dense keys (a flag per key) and sparse ones (a hash table) give drop_duplicates' rows
    import pandas as pd

    from pa_trade.flows import first_rows

    key = np.array(keys, dtype=np.int64) * scale
    expected = pd.Series(key).drop_duplicates().index.to_numpy()
    assert first_rows(key).tolist() == expected.tolist()


def _joined_codes(columns):
    """The tariff-code column of one table per list of codes, joined by flows.concat,
    checked to keep every row's code."""
    import pandas as pd

    from pa_trade import flows

    frames = [flows.normalise_frame(pd.DataFrame({
        "reporter": ["COL"] * len(codes), "partner": ["MEX"] * len(codes),
        "year": [2022] * len(codes), "flow": ["export"] * len(codes),
        "value_usd": [1.0] * len(codes), "valuation": ["FOB"] * len(codes),
        "source": ["test"] * len(codes), "hs_code": pd.array(codes, dtype="string")}))
        for codes in columns]
    joined = flows.concat(frames)["hs_code"]
    assert joined.astype(object).where(joined.notna(), None).tolist() == [
        code for codes in columns for code in codes]
    return joined


@SETTINGS
@given(st.lists(st.lists(st.one_of(st.none(), st.sampled_from(
    ["0901110000", "2709000000", "87", "8703231000", "ñandú", "", "0901"])), max_size=12),
    min_size=2, max_size=4))
def test_tables_joined_keep_every_rows_tariff_code_over_sorted_categories(columns):
    # each table's own codes, joined: every row keeps its text, the categories sorted once
    joined = _joined_codes(columns)
    categories = joined.cat.categories.tolist()
    assert categories == sorted(set(categories)) == sorted(
        {code for codes in columns for code in codes if code is not None})


@SETTINGS
@given(st.lists(st.tuples(st.integers(0, 2), st.integers(2020, 2022), st.integers(0, 9),
                          st.sampled_from([0.0, 1.5, 2.25, 1e6, 7.0]),
                          st.sampled_from([0.0, 1.5, 0.75, 3.0])),
                unique_by=lambda r: r[:3], min_size=1, max_size=40), st.booleans(),
       st.sampled_from([1, 3, 7, 1 << 20]))
def test_products_ordered_by_two_sorts_come_as_the_four_key_order(rows, grouped, piece):
    # year, partner asked, value (largest first), product: whichever way it is computed,
    # in pieces of any size on the cores
    import pandas as pd

    from pa_trade.analysis import composition

    if grouped:  # as _per_product gives them: by partner, year and product
        rows = sorted(rows)
    table = pd.DataFrame(rows, columns=["_label", "year", "_product", "exports_usd",
                                        "imports_usd"])
    kept, composition.ORDER_PIECE_ROWS = composition.ORDER_PIECE_ROWS, piece
    try:
        got = composition._order(table, None)
    finally:
        composition.ORDER_PIECE_ROWS = kept
    for column in table.columns:  # every column moved with its row
        assert sorted(zip(*(got[c] for c in table.columns), strict=True)) == sorted(
            zip(*(table[c] for c in table.columns), strict=True)), column
    rank = np.round(table["exports_usd"] + table["imports_usd"], 2)
    expected = table.iloc[np.lexsort((table["_product"], -rank, table["_label"],
                                      table["year"]))]
    assert got[["_label", "year", "_product"]].values.tolist() == expected[
        ["_label", "year", "_product"]].values.tolist()


@SETTINGS
@given(st.integers(min_value=1, max_value=18).flatmap(lambda width: st.tuples(
    st.just(width), st.lists(st.integers(min_value=0, max_value=10 ** width - 1),
                             min_size=1, max_size=30))))
def test_digit_texts_are_zero_padded_and_read_back_as_their_numbers(case):
    from pa_trade import flows

    width, values = case
    texts = flows.digit_texts(np.asarray(values, dtype=np.int64), width)
    assert texts.to_pylist() == [str(v).zfill(width) for v in values]
    numbers, found = flows.digit_values(texts)
    assert found == width and numbers.tolist() == values


@SETTINGS
@given(st.lists(st.one_of(odd_codes, st.sampled_from(["", "０１", "12a", "1 2"])),
                min_size=1, max_size=20))
def test_digit_values_only_for_digits_all_of_one_width(codes):
    from pa_trade import flows

    found = flows.digit_values(pa.array(codes, pa.string()))
    width = len(codes[0])
    if all(c.isascii() and c.isdigit() and len(c) == width for c in codes) and width <= 18:
        assert found is not None and found[1] == width
        assert found[0].tolist() == [int(c) for c in codes]
    else:
        assert found is None


@SETTINGS
@given(st.lists(st.lists(st.one_of(st.none(), st.sampled_from(
    ["0901110000", "2709000000", "8703231000", "0901210000", "9999999999", "0000000001"])),
    max_size=12), min_size=2, max_size=4))
def test_ten_digit_codes_join_over_the_union_the_texts_would_give(columns):
    # the union sorted as numbers is the union sorted as texts, each part placed alike
    from pa_trade import flows

    joined = _joined_codes(columns)
    assert joined.cat.categories.tolist() == sorted(
        {code for codes in columns for code in codes if code is not None})
    texts = [pa.array(sorted({c for c in codes if c is not None}), pa.string())
             for codes in columns]
    digits = flows._union_of_digits(texts)
    if any(len(t) for t in texts):
        union, places = flows._union_of_texts(texts)
        assert digits[0].tolist() == union.tolist()
        assert [p.tolist() for p in digits[1]] == [p.tolist() for p in places]


@SETTINGS
@given(st.integers(min_value=1, max_value=12).flatmap(lambda width: st.lists(
    st.text(alphabet="0123456789", min_size=width, max_size=width), min_size=1,
    max_size=30, unique=True)), st.sampled_from(sorted(products.DIGITS)), st.booleans())
def test_products_of_codes_as_numbers_are_products_of_their_texts(codes, level, in_order):
    # a chapter, heading or subheading by division is the text cut, odd widths padded
    from pa_trade import flows
    from pa_trade.analysis.composition import _products_of_digits

    codes = sorted(codes) if in_order else codes
    values, width = flows.digit_values(pa.array(codes, pa.string()))
    at, texts = _products_of_digits(values, width + width % 2, products.DIGITS[level])
    got = [texts[int(i)].as_py() for i in at]
    assert got == products.products_of(codes, level).to_pylist()
    assert texts.to_pylist() == sorted(set(got))
