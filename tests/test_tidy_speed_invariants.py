"""The tidy reader at Arrow speed (issue 16, items 5 and 6) gives what a plain reading gives.

Property tests compare the reader, and flows.aggregate, with straightforward references
written here row by row: every flow, every row set aside (line, reason, detail), with the
tariff codes kept and summed away. Then what makes it fast and must stay so: a big UTF-8 file
is not decoded in Python, repeated rows are found without the line-by-line path, and the
cache of parsed files keys on what changes the parse, so `balance` then `mirror
--valuation fob` parse a file once."""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pa_trade import flows, readers
from pa_trade.periods import parse_spec
from pa_trade.readers import cache, tidy
from pa_trade.reference import countries
from pa_trade.textio import SourceFile

# cells as offices and hand edits write them: right, padded, in other cases, wrong
CELLS = {
    "reporter": ["COL", "col", " COL", "MEX", "Peru", "PER", "XYZ", "", "Colombia", "'COL"],
    "partner": ["MEX", "USA", "COL", "usa", "", "ZZZ", "Perú", "PER", "CHN ", "=1+1"],
    "year": ["2022", "2021", " 2020", "20x2", "1899", "2100", "02022", "+2022", "", "٢٠٢٢"],
    "month": ["", "1", "01", "12", "13", "0", " 7", "x"],
    "months": ["", "1-7", "1-12", "01-07", "13", "1-3,7", "7-1", " 1-6"],
    "flow": ["export", "import", "Export", "IMPORT", "exports", "", " export"],
    "value_usd": ["100", "1752000000.5", "0.5", "-3", "1e5", "abc", "", " 12 ", "1e999",
                  "inf", "nan", "12.345", ".5", "5.", "0", "-0", "N/A", "0.07", "2669.89"],
    "valuation": ["FOB", "CIF", "fob", "", "unknown", "FAS", " cif"],
    "source": ["s", "", "DANE cuadro 3", "'=HYPERLINK(x)", "'+1", "''=x", "'plain", "ñ"],
    "source_url": ["", "http://x", "'=x"],
    "hs_code": ["", "0901", "09", "x1", "12345678901", " 0901"],
}
REQUIRED = ["reporter", "partner", "year", "flow", "value_usd", "valuation"]
MONTHS_TEXT = re.compile(tidy.MONTHS_TEXT)


@st.composite
def tidy_files(draw):
    """(file text, its columns): a header, rows drawn from CELLS, rows repeated (some with
    another figure), blank lines, and now and then a line of the wrong length."""
    optional = draw(st.lists(st.sampled_from(["source", "month", "months", "hs_code",
                                              "source_url"]), unique=True))
    columns = draw(st.permutations(REQUIRED + optional))
    lines, rows = [",".join(columns)], []
    for _ in range(draw(st.integers(0, 30))):
        kind = draw(st.sampled_from(["row"] * 6 + ["again", "other figure", "blank", "short"]))
        if kind == "blank":
            lines.append("")
        elif kind == "short":
            lines.append(",".join(draw(st.sampled_from(CELLS[c])) for c in columns[:-1]))
        elif kind != "row" and rows:
            row = dict(draw(st.sampled_from(rows)))
            if kind == "other figure":
                row["value_usd"] = draw(st.sampled_from(CELLS["value_usd"]))
            lines.append(",".join(row[c] for c in columns))
        else:
            row = {c: draw(st.sampled_from(CELLS[c])) for c in columns}
            rows.append(row)
            lines.append(",".join(row[c] for c in columns))
    return "\n".join(lines) + "\n", columns


def plain_reading(text: str, name: str, products: bool):
    """(flows, [(line, reason, detail)], rows read, rows used), row by row with Python's
    str and re, as formats.md §5 says the tidy layout is read."""
    lines = text.split("\n")[:-1]
    header = [cell.strip().lower() for cell in lines[0].split(",")]
    width = len(header)
    # a line that does not fit the header sends the file line by line, where blank lines
    # are no rows; read whole, a blank line is a row of empty cells
    whole = all(line == "" or len(line.split(",")) == width for line in lines[1:])
    records = []
    aside = []
    for number, line in enumerate(lines[1:], start=2):
        if not whole and not line.strip():
            continue
        cells = [""] * width if line == "" else line.split(",")
        if len(cells) > width and not any(c.strip() for c in cells[width:]):
            cells = cells[:width]  # empty fields at the end (a spreadsheet's habit)
        if len(cells) != width:
            aside.append((number, "bad-field-count", f"{len(cells)} fields, header has {width}"))
            continue
        records.append((number, {h: c.strip() for h, c in zip(header, cells, strict=True)}))
    read = len(records) + len(aside)
    kept = []
    for number, row in records:
        cell = {c: row.get(c, "") for c in tidy.CHECKED}
        for c in ("source", "source_url"):
            cell[c] = flows.unquote_text(cell[c])
        reason = why_not(cell)
        if reason:
            aside.append((number, *reason))
        else:
            kept.append((number, cell))
    groups: dict[tuple, list] = {}
    for number, cell in kept:
        groups.setdefault(flow_of(cell), []).append((number, cell))
    used = []
    for group in groups.values():
        figures = [float(cell["value_usd"]) for _, cell in group]
        if all(f == figures[0] for f in figures):
            used.append(group[0][1])
            aside += [(n, "duplicate-row", f"same flow and figure as line {group[0][0]}")
                      for n, _ in group[1:]]
        else:
            shown = ", ".join(f"line {n}: {f:.2f}" for (n, _), f in zip(group, figures,
                                                                          strict=True))
            aside += [(n, "conflicting-row", shown) for n, _ in group]
    table = pd.DataFrame([canonical(cell, name, products) for cell in used],
                         columns=flows.COLUMNS)
    frame = flows.normalise_frame(table if len(table) else None)
    if len(frame):
        summed = frame.groupby(flows.KEY, dropna=False, sort=True)["value_usd"].sum()
        frame = flows.normalise_frame(summed.reset_index())
    return frame, sorted(aside), read, len(used)


def why_not(cell: dict):
    """(reason, detail) of the first check a row fails, or None."""
    reporter, partner = countries.lookup(cell["reporter"]), countries.lookup(cell["partner"])
    if reporter is None or partner is None:
        return "unknown-country", repr(cell["reporter"] if reporter is None else cell["partner"])
    value = cell["value_usd"]
    if value == "":
        return "missing-value", "value_usd empty"
    if not re.fullmatch(tidy.PLAIN_NUMBER, value) or not math.isfinite(float(value)):
        return "bad-number", f"value_usd {value!r}"
    year, month, months = cell["year"], cell["month"], cell["months"]
    if not re.fullmatch(r"(19|20)[0-9]{2}", year):
        return "bad-field", f"year {year!r}"
    if month and not (re.fullmatch(r"[0-9]{1,2}", month) and 1 <= int(month) <= 12):
        return "bad-field", f"month {month!r}"
    if months and (not MONTHS_TEXT.fullmatch(months) or month or not readable(months)):
        return "bad-field", (f"months {months!r} (expected months like 1-7, and no month "
                             f"beside them)")
    if cell["flow"].lower() not in flows.FLOWS:
        return "bad-field", f"flow {cell['flow']!r} (expected export or import)"
    if cell["hs_code"] and not re.fullmatch(r"[0-9]{1,10}", cell["hs_code"]):
        return "bad-field", f"hs_code {cell['hs_code']!r} (expected 1 to 10 digits)"
    if cell["valuation"].upper() not in ("FOB", "CIF", "", "UNKNOWN"):
        return "bad-field", f"valuation {cell['valuation']!r} (expected FOB, CIF or empty)"
    if reporter == partner:
        return "reporter-is-partner", (f"reporter {cell['reporter']!r}, "
                                       f"partner {cell['partner']!r}")
    return None


def readable(months: str) -> bool:
    try:
        parse_spec(months)
    except ValueError:
        return False
    return True


def flow_of(cell: dict) -> tuple:
    """What makes two rows the same flow (the source apart)."""
    valuation = cell["valuation"].upper()
    return (countries.lookup(cell["reporter"]), countries.lookup(cell["partner"]),
            int(cell["year"]), int(cell["month"]) if cell["month"] else None,
            cell["months"] or None, cell["flow"].lower(),
            valuation if valuation in ("FOB", "CIF") else "unknown", cell["hs_code"] or None)


def canonical(cell: dict, name: str, products: bool) -> dict:
    reporter, partner, year, month, months, flow, valuation, hs_code = flow_of(cell)
    source = cell["source"] or f"tidy file ({name})"
    if cell["source_url"]:
        source += ", " + cell["source_url"]
    return {"reporter": reporter, "partner": partner, "year": year, "month": month,
            "months": months, "flow": flow, "value_usd": float(cell["value_usd"]),
            "valuation": valuation, "source": source,
            "hs_code": hs_code if products else None}


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tidy_files(), st.booleans())
def test_the_reader_gives_what_a_plain_reading_gives(drawn, products):
    text, _ = drawn
    frame, report = tidy.read_tidy(SourceFile("case.csv", text.encode("utf-8")),
                                   products=products)
    expected, aside, read, used = plain_reading(text, "case.csv", products)
    assert [(r.line, r.reason, r.detail) for r in report.set_aside] == aside
    assert (report.rows_read, report.rows_used) == (read, used)
    assert report.balanced
    # summed over tariff codes, amounts are added in cents: equal to the cent, not the bit
    pd.testing.assert_frame_equal(frame, expected, check_exact=products, rtol=0, atol=1e-6)


def frames_to_aggregate():
    """Canonical-looking frames with repeated keys, missing values and categoricals."""
    text = st.sampled_from(["COL", "MEX", "b", "a", "", None])
    return st.lists(st.tuples(text, text, st.integers(2020, 2022),
                              st.sampled_from([None, 1, 2, 12]),
                              st.sampled_from([None, "1-6", "1-12"]),
                              st.sampled_from(["export", "import"]),
                              st.one_of(st.floats(-1e9, 1e9), st.just(math.nan)),
                              st.sampled_from(["FOB", "CIF", "unknown"]), text,
                              st.sampled_from([None, "09", "0901"])), max_size=25)


@settings(max_examples=300, deadline=None)
@given(frames_to_aggregate(), st.booleans())
def test_aggregate_gives_what_grouping_gives(rows, as_categories):
    frame = pd.DataFrame(rows, columns=flows.COLUMNS)
    if as_categories:  # as the tidy reader hands them over
        for column in ("reporter", "partner", "months", "flow", "valuation", "source",
                       "hs_code"):
            frame[column] = frame[column].astype(object).astype("category")
    plain = flows.normalise_frame(frame.astype({c: object for c in frame.columns
                                                if isinstance(frame[c].dtype,
                                                              pd.CategoricalDtype)}))
    expected = plain
    if len(plain):
        summed = plain.groupby(flows.KEY, dropna=False, sort=True)["value_usd"].sum()
        expected = flows.normalise_frame(summed.reset_index())
    pd.testing.assert_frame_equal(flows.aggregate(frame), expected, check_exact=True)


def write_tidy(path, rows: int, repeat_every: int = 0) -> None:
    """A tidy file as pa-trade writes it: Colombia and Mexico with each other and others,
    by month and tariff code; every `repeat_every`-th row given twice."""
    partners = ["BRA", "CHL", "MEX", "PER", "USA"]
    lines = ["reporter,partner,year,month,flow,value_usd,valuation,source,hs_code"]
    for index in range(rows):
        reporter = ("COL", "MEX")[index % 2]
        partner = partners[index // 2 % 5]
        if partner == reporter:
            partner = "COL"
        flow = ("export", "import")[index // 10 % 2]
        line = (f"{reporter},{partner},{2020 + index // 20 % 3},{index // 60 % 12 + 1},{flow},"
                f"{index * 37 % 100000 / 100 + 1},{'FOB' if flow == 'export' else 'CIF'},"
                f"test office,{index // 720:010d}")
        lines.append(line)
        if repeat_every and index % repeat_every == 0:
            lines.append(line)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_a_big_utf8_file_is_not_decoded_in_python(tmp_path):
    path = tmp_path / "flows.csv"
    write_tidy(path, 30000)
    src = SourceFile(str(path), path=path)
    frame, report = tidy.read_tidy(src)
    assert report.rows_read == report.rows_used == 30000 and report.encoding == "UTF-8"
    assert "decoded" not in src.__dict__ and src.held is None  # read by Arrow alone
    assert len(frame) == 30000


def test_a_big_file_that_is_not_utf8_after_its_head_is_read_as_before(tmp_path):
    path = tmp_path / "flows.csv"
    write_tidy(path, 30000)
    with path.open("ab") as handle:
        handle.write("COL,PER,2022,1,export,5,FOB,Bogot\xe1,0901\n".encode("latin-1"))
    frame, report = tidy.read_tidy(SourceFile(str(path), path=path))
    assert report.encoding == "Windows-1252" and report.rows_used == 30001
    assert "Bogotá" in set(frame["source"])


def test_repeated_rows_are_found_without_reading_line_by_line(tmp_path, monkeypatch):
    path = tmp_path / "flows.csv"
    write_tidy(path, 30000, repeat_every=100)

    def refuse(*_args, **_kwargs):
        raise AssertionError("read line by line")

    monkeypatch.setattr(tidy, "_read_line_by_line", refuse)
    _, report = tidy.read_tidy(SourceFile(str(path), path=path))
    assert report.rows_read == 30300 and report.rows_used == 30000
    assert {r.reason for r in report.set_aside} == {"duplicate-row"}


def test_flows_summed_over_tariff_codes_are_the_same_to_the_cent(tmp_path):
    path = tmp_path / "flows.csv"
    write_tidy(path, 30000, repeat_every=7)
    with_codes, report = tidy.read_tidy(SourceFile(str(path), path=path))
    summed, same_report = tidy.read_tidy(SourceFile(str(path), path=path), products=False)
    assert same_report == report
    assert summed["hs_code"].isna().all() and len(summed) < len(with_codes)
    expected = flows.aggregate(with_codes.assign(hs_code=pd.NA))
    pd.testing.assert_frame_equal(summed, expected, check_exact=False, rtol=0, atol=1e-6)


@pytest.fixture
def parses(monkeypatch):
    """How many times a file is parsed (read_input is where the cache misses)."""
    count = []
    real = readers.read_input

    def counted(*args, **kwargs):
        count.append(args[0].name)
        return real(*args, **kwargs)

    monkeypatch.setattr(readers, "read_input", counted)
    return count


def cached_entries():
    folder = cache.folder()
    return sorted(folder.glob("*.parquet")) if folder.exists() else []


def test_balance_then_mirror_with_another_valuation_parse_a_tidy_file_once(
        run, tmp_path, parses):
    path = tmp_path / "flows.csv"
    write_tidy(path, 30000)
    assert path.stat().st_size > cache.MIN_BYTES
    first = run("balance", "colombia", "-d", str(path), "-f", "csv", "-q")
    second = run("mirror", "colombia", "mexico", "-d", str(path), "--valuation", "fob",
                 "-f", "csv", "-q")
    assert first.exit_code == second.exit_code == 0
    assert parses == [str(path)] and len(cached_entries()) == 1
    # and the cached flows give what a fresh parse gives
    again = run("mirror", "colombia", "mexico", "-d", str(path), "--valuation", "fob",
                "-f", "csv", "-q", "--no-cache")
    assert again.stdout == second.stdout


def test_an_expo_file_is_cached_once_whatever_import_valuation_is_asked(tmp_path, parses):
    from tests.test_cache import write_expo

    path = tmp_path / "expo.csv"
    write_expo(path, 18000, seed=3)
    cif = readers.load([str(path)], products=False, valuations=("CIF",))
    fob = readers.load([str(path)], products=False, valuations=("FOB",))
    every = readers.load([str(path)], products=False)
    assert parses == [str(path)] and len(cached_entries()) == 1
    for loaded in (fob, every):
        pd.testing.assert_frame_equal(loaded.flows, cif.flows)


def test_what_changes_an_impo_file_or_the_products_still_parses_again(tmp_path, parses):
    path = tmp_path / "flows.csv"
    write_tidy(path, 30000)
    readers.load([str(path)], products=False)
    readers.load([str(path)], products=False, valuations=("FOB",), layout="tidy")
    assert len(parses) == 1  # the layout forced is the one found: the same reading
    with_codes = readers.load([str(path)], products=True)
    assert len(parses) == 2 and with_codes.flows["hs_code"].notna().all()


def test_ordered_key_orders_rows_as_their_columns_do():
    rng = np.random.default_rng(5)
    parts = [(rng.integers(0, count, 500), count) for count in (3, 1 << 40, 7, 1 << 30, 2)]
    key = flows.ordered_key([(ranks, count) for ranks, count in parts], 500)
    by_columns = np.lexsort([ranks for ranks, _ in reversed(parts)])
    assert (np.diff(key[by_columns]) >= 0).all()
    rows = {tuple(int(r[i]) for r, _ in parts) for i in range(500)}
    assert len(set(key.tolist())) == len(rows)
