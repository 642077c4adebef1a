"""The canonical table and pa-trade's tidy CSV: written out and read back, nothing changes."""

import io

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from pa_trade import flows
from pa_trade.readers import read_file
from pa_trade.textio import SourceFile

PARTNERS = ["MEX", "PER", "CHL", "KOR", "USA", "WLD", "AUS"]

flow_rows = st.lists(
    st.fixed_dictionaries(
        {
            "reporter": st.sampled_from(["COL", "MEX"]),
            "partner": st.sampled_from(PARTNERS),
            "year": st.integers(1995, 2030),
            "month": st.one_of(st.none(), st.integers(1, 12)),
            "flow": st.sampled_from(flows.FLOWS),
            # cents as integers: every value a customs file can hold, up to 10^12 dollars
            "value_usd": st.integers(-10**14, 10**14).map(lambda cents: cents / 100),
            "valuation": st.sampled_from(["FOB", "CIF", "unknown"]),
            "source": st.sampled_from(["DANE (a.csv)", "SE, with a comma", 'quote "q"']),
            "hs_code": st.one_of(st.none(), st.sampled_from(["0901110000", "2701", "090111"])),
        }
    ),
    min_size=1,
    max_size=30,
)


def roundtrip(frame):
    buffer = io.StringIO()
    flows.to_tidy_csv(frame, buffer)
    back, report = read_file(SourceFile("t.csv", buffer.getvalue().encode()), "tidy")
    return back, report


@settings(max_examples=60, deadline=None)
@given(flow_rows)
def test_tidy_csv_reads_back_identically(rows):
    # one figure per flow, whatever its source: a flow given twice is refused on reading
    frame = pd.DataFrame(rows).drop_duplicates(
        ["reporter", "partner", "year", "month", "flow", "valuation", "hs_code"])
    # and a country's trade with itself is no flow: set aside on reading
    frame = flows.aggregate(frame[frame["reporter"] != frame["partner"]])
    back, report = roundtrip(frame)
    assert report.set_aside == []
    pd.testing.assert_frame_equal(back, frame)


def test_tidy_csv_keeps_leading_zeros_and_writes_plain_numbers():
    frame = flows.normalise_frame(pd.DataFrame([{
        "reporter": "COL", "partner": "MEX", "year": 2022, "flow": "export",
        "value_usd": 1752000000.0, "valuation": "FOB", "source": "MinCIT", "hs_code": "0901110000",
    }]))
    buffer = io.StringIO()
    flows.to_tidy_csv(frame, buffer)
    text = buffer.getvalue()
    assert text.splitlines()[0] == "reporter,partner,year,flow,value_usd,valuation,source,hs_code"
    assert "COL,MEX,2022,export,1752000000,FOB,MinCIT,0901110000" in text


def test_format_usd_is_exact_to_the_cent():
    assert flows.format_usd(1752000000.0) == "1752000000"
    assert flows.format_usd(23885.1) == "23885.1"
    assert flows.format_usd(0.05) == "0.05"
    assert flows.format_usd(-2422000000.0) == "-2422000000"
