"""Number styles: detected per file from values that can only be read one way."""

from decimal import Decimal

import pandas as pd
import pytest

from pa_trade import numbers
from pa_trade.errors import DataError


@pytest.mark.parametrize(
    "text, style",
    [
        ("1.234,5", "spanish"), ("12,5", "spanish"), ("1234,567", "spanish"),
        ("1.234.567", "spanish"), ("0,125", "spanish"),
        ("1,234.5", "english"), ("4,175,000.0", "english"), ("12.5", "english"),
        ("1,234,567", "english"),
        ("1.234", None), ("1,234", None), ("250", None), ("abc", None),
    ],
)
def test_style_of_a_value(text, style):
    assert numbers.style_of(text) == style


@pytest.mark.parametrize(
    "text, style, value",
    [
        ("1.234,5", "spanish", "1234.5"), ("1234,5", "spanish", "1234.5"),
        ("-400.000,0", "spanish", "-400000.0"), ("1,234.5", "english", "1234.5"),
        ("4,175,000.0", "english", "4175000.0"), ("1 234,5", "spanish", "1234.5"),
        ("(1,234.5)", "english", "-1234.5"), ("1.234", "spanish", "1234"),
        ("1.234", "english", "1.234"),
    ],
)
def test_parse_decimal_is_exact(text, style, value):
    assert numbers.parse_decimal(text, style) == Decimal(value)


@pytest.mark.parametrize("text", ["12,3x4", "1.23.4,5", "abc", "1,2,3.4.5", ""])
def test_damaged_numbers_are_not_read(text):
    assert numbers.parse_decimal(text, "spanish") is None or text == ""
    assert numbers.parse_decimal(text, "english") is None


def test_a_file_that_mixes_styles_is_refused_with_both_lines():
    with pytest.raises(DataError, match=r"'1.234,5' \(line 3\).*'1,234.5' \(line 7\)"):
        numbers.detect_style([(2, "250"), (3, "1.234,5"), (7, "1,234.5")], "f.csv")


def test_no_deciding_value_gives_none():
    assert numbers.detect_style([(2, "1.234"), (3, "250")], "f.csv") is None


@pytest.mark.parametrize("mark", ["-", "..", "n.d.", "", "  ", "N.D."])
def test_missing_value_marks(mark):
    assert numbers.is_missing(mark)


def test_parse_series_matches_the_single_value_parser():
    texts = ["23885,1", "1.234,56", "220", "12,3x4", ""]
    parsed = numbers.parse_series(pd.Series(texts), "spanish").tolist()
    assert parsed[:3] == [23885.1, 1234.56, 220.0]
    assert all(v != v for v in parsed[3:])  # NaN: not a number
