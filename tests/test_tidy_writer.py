"""The tidy CSV and TSV writer (flows.tidy_lines, issue 16 item 4): column by column and a
chunk at a time, yet byte for byte what pandas' to_csv and Python's csv module write."""

from __future__ import annotations

import csv
import io

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from pa_trade import flows

TEXTS = st.sampled_from(["DANE (a.csv)", "a,b", 'say "x"', "line\nbreak",
                         "=SUM(A1)", "+1", "-x", "@me", "'=quoted", " lead", "tab\tin",
                         "é ñ", "", "x;y"])


def reference_csv(frame: pd.DataFrame, raw_text: bool = False) -> str:
    """to_tidy_csv as it was: pandas sorts, formats each amount, and writes."""
    frame = flows.normalise_frame(frame)
    columns = ["reporter", "partner", "year"]
    if frame["month"].notna().any():
        columns.append("month")
    if frame["months"].notna().any():
        columns.append("months")
    columns += ["flow", "value_usd", "valuation", "source"]
    if frame["hs_code"].notna().any():
        columns.append("hs_code")
    frame = frame.sort_values(flows.TIDY_ORDER, na_position="first", kind="stable")
    table = frame[columns].copy()
    table["value_usd"] = [flows.format_usd(v) for v in frame["value_usd"]]
    if not raw_text:
        for column in columns:
            if column not in ("year", "month", "value_usd"):
                table[column] = flows.safe_column(table[column])
    out = io.StringIO()
    table.to_csv(out, index=False, lineterminator="\n")
    return out.getvalue()


def written(frame, **options) -> str:
    return b"".join(flows.tidy_lines(frame, **options)).decode("utf-8")


rows = st.lists(st.fixed_dictionaries({
    "reporter": st.sampled_from(["COL", "PER"]),
    "partner": st.sampled_from(["MEX", "USA", "CHN", "WLD"]),
    "year": st.integers(2015, 2017),
    "month": st.one_of(st.none(), st.integers(1, 12)),
    "months": st.one_of(st.none(), st.sampled_from(["1-6", "1-3"])),
    "flow": st.sampled_from(["export", "import"]),
    "value_usd": st.one_of(
        st.floats(-1e12, 1e12, allow_nan=False),
        st.integers(-10**9, 10**9).map(lambda c: c / 100),
        st.integers(-10**6, 10**6).map(lambda c: c / 1000 + 0.005),  # half cents
        st.sampled_from([0.0, -0.0, 0.125, -0.125, 1.005, 2.675, 0.994, 1e15 + 0.5])),
    "valuation": st.sampled_from(["FOB", "CIF", "unknown"]),
    "source": TEXTS,
    "hs_code": st.one_of(st.none(), st.sampled_from(["0901110000", "27", "8703"])),
}), min_size=1, max_size=40)


@settings(max_examples=150, deadline=None)
@given(rows, st.booleans(), st.integers(1, 7))
def test_the_csv_is_what_pandas_wrote(records, raw_text, chunk_rows):
    frame = pd.DataFrame(records)
    assert written(frame, raw_text=raw_text, chunk_rows=chunk_rows) == reference_csv(
        frame, raw_text=raw_text)


@settings(max_examples=80, deadline=None)
@given(rows)
def test_the_tsv_is_what_the_csv_module_writes(records):
    frame = pd.DataFrame(records)
    out = io.StringIO()
    csv.writer(out, delimiter="\t", lineterminator="\n").writerows(
        csv.reader(io.StringIO(reference_csv(frame))))
    assert written(frame, delimiter="\t") == out.getvalue()


@given(st.floats(-1e14, 1e14, allow_nan=False))
def test_amounts_are_format_usd(value):
    assert flows.usd_texts([value]).to_pylist() == [flows.format_usd(value)]


def test_a_stream_or_a_path_gets_the_same_bytes(tmp_path):
    frame = pd.DataFrame([{"reporter": "COL", "partner": "MEX", "year": 2022,
                           "flow": "export", "value_usd": 1752000000.0, "valuation": "FOB",
                           "source": "=test"}])
    text, binary, path = io.StringIO(), io.BytesIO(), tmp_path / "flows.csv"
    flows.to_tidy_csv(frame, text)
    flows.to_tidy_csv(frame, binary)
    flows.to_tidy_csv(frame, str(path))
    assert text.getvalue().encode() == binary.getvalue() == path.read_bytes()
    assert text.getvalue() == reference_csv(frame)
    assert "'=test" in text.getvalue()


def test_flows_streams_through_the_cli(run, fixtures):
    data = str(fixtures / "tidy_month_hs_code.csv")
    result = run("flows", "-d", data, "-q")
    assert result.exit_code == 0, result.stderr
    from pa_trade import readers

    assert result.stdout == reference_csv(readers.load([data]).flows)


def test_a_carriage_return_in_a_text_is_quoted_and_reads_back(tmp_path):
    """csv.writer leaves it bare (and csv.reader then refuses the file): pa-trade quotes it."""
    frame = pd.DataFrame([{"reporter": "COL", "partner": "MEX", "year": 2022,
                           "flow": "export", "value_usd": 10.0, "valuation": "FOB",
                           "source": "cr\rhere"}])
    text = written(frame)
    assert '"cr\rhere"' in text
    assert list(csv.reader(io.StringIO(text, newline="")))[1][-1] == "cr\rhere"
    assert '"cr\rhere"' in written(frame, delimiter="\t")
