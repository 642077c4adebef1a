"""Every reader on every fixture: the layout detected, the account of rows, the exact sums."""

import csv
import json
from decimal import Decimal

import pytest

from pa_trade import readers
from pa_trade.errors import PaTradeError
from pa_trade.textio import SourceFile
from tests.conftest import FIXTURES

EXPECTED = json.loads((FIXTURES / "expected.json").read_text(encoding="utf-8"))
GOOD = sorted(name for name, e in EXPECTED.items() if not e["error"])
BAD = sorted(name for name, e in EXPECTED.items() if e["error"])


def source(name: str) -> SourceFile:
    return SourceFile(name, (FIXTURES / name).read_bytes())


def sums(frame) -> dict:
    """Exact sums per (reporter, partner, year, flow, valuation), as Decimal dollars."""
    out = {}
    for row in frame.itertuples(index=False):
        key = (row.reporter, row.partner, int(row.year), row.flow, row.valuation)
        out[key] = out.get(key, Decimal(0)) + Decimal(f"{row.value_usd:.2f}")
    return out


@pytest.mark.parametrize("name", GOOD)
def test_layout_is_detected_from_the_content(name):
    assert readers.detect_layout(source(name)) == EXPECTED[name]["layout"]


@pytest.mark.parametrize("name", GOOD)
def test_every_row_is_used_or_set_aside_with_line_and_reason(name):
    expected = EXPECTED[name]
    _, report = readers.read_file(source(name))
    assert report.rows_read == expected["rows_read"]
    assert report.rows_used == expected["rows_used"]
    assert report.balanced
    got = sorted((r.line, r.reason) for r in report.set_aside)
    assert got == sorted((r["line"], r["reason"]) for r in expected["set_aside"])


@pytest.mark.parametrize("name", GOOD)
def test_sums_are_exact_to_the_cent(name):
    frame, _ = readers.read_file(source(name))
    want = {
        (f["reporter"], f["partner"], f["year"], f["flow"], f["valuation"]): Decimal(f["value_usd"])
        for f in EXPECTED[name]["flows"]
    }
    assert sums(frame) == want


@pytest.mark.parametrize("name", GOOD)
def test_number_style_is_detected_or_the_convention_is_said(name):
    expected = EXPECTED[name]
    _, report = readers.read_file(source(name))
    assert report.number_style.split(" ")[0] == expected["number_style"]
    said = any("convention" in note for note in report.notes)
    assert said == expected["style_by_convention"]


@pytest.mark.parametrize("name", BAD)
def test_unreadable_files_fail_with_one_clear_line(name):
    with pytest.raises(PaTradeError) as caught:
        readers.read_file(source(name))
    message = str(caught.value)
    assert message.startswith(name) and "\n" not in message


def test_missing_value_column_is_named():
    with pytest.raises(PaTradeError, match="FOBDOL"):
        readers.read_file(source("error_dane_expo_no_fobdol_column.csv"))


def test_import_partner_is_the_country_of_origin_not_provenance():
    frame, _ = readers.read_file(source("dane_impo_yymm_latin1_semicolon.csv"))
    text = (FIXTURES / "dane_impo_yymm_latin1_semicolon.csv").read_text(encoding="latin-1")
    lines = [line.split(";") for line in text.splitlines()]
    header = lines[0]
    gen, pro = header.index("PAISGEN"), header.index("PAISPRO")
    differing = [row for row in lines[1:] if row[gen] != row[pro]]
    assert differing, "the fixture must have rows whose provenance differs from origin"
    from pa_trade.reference import countries

    origins = {countries.lookup(row[gen], codes="dian") for row in lines[1:]}
    assert set(frame["partner"]) - {"WLD"} == origins


def test_tariff_codes_keep_their_leading_zero():
    frame, _ = readers.read_file(source("dane_expo_yymm_latin1_semicolon.csv"))
    assert "0901110000" in set(frame["hs_code"].dropna())
    tidy, _ = readers.read_file(source("tidy_month_hs_code.csv"))
    assert "0901" in set(tidy["hs_code"].dropna())


def test_forcing_a_layout_that_does_not_fit_is_an_error():
    with pytest.raises(PaTradeError):
        readers.read_file(source("tidy_month_hs_code.csv"), layout="dane-expo")


def test_forcing_the_number_style_changes_the_reading():
    frame, report = readers.read_file(source("dane_cuadro_impo_fob_ambiguous_numbers.csv"),
                                      number_style="english")
    assert report.number_style == "english (forced)"
    default, _ = readers.read_file(source("dane_cuadro_impo_fob_ambiguous_numbers.csv"))
    assert frame["value_usd"].sum() < default["value_usd"].sum()


def test_the_same_figures_in_two_files_are_counted_once_and_said(tmp_path):
    copy = tmp_path / "copy.csv"
    # same figures, different bytes: a trailing blank line
    copy.write_bytes((FIXTURES / "tidy_month_hs_code.csv").read_bytes() + b"\n")
    once = readers.load([str(FIXTURES / "tidy_month_hs_code.csv")])
    both = readers.load([str(FIXTURES / "tidy_month_hs_code.csv"), str(copy)])
    assert sums(both.flows) == sums(once.flows)
    said = [line for line in both.skipped_duplicates if line.startswith(str(copy))]
    assert len(said) == 1 and "the same figures as" in said[0] and "counted once" in said[0]


def test_different_figures_for_the_same_flows_are_refused_saying_by_how_much(tmp_path):
    text = (FIXTURES / "tidy_month_hs_code.csv").read_text(encoding="utf-8")
    header, first, *rest = text.splitlines()
    cells = first.split(",")
    value = cells[header.split(",").index("value_usd")]
    changed = first.replace(f",{value},", f",{float(value) + 1_000_000:.2f},", 1)
    assert changed != first
    other = tmp_path / "revised.csv"
    other.write_text("\n".join([header, changed, *rest]) + "\n", encoding="utf-8")
    with pytest.raises(PaTradeError, match="counted twice") as caught:
        readers.load([str(FIXTURES / "tidy_month_hs_code.csv"), str(other)])
    message = str(caught.value)
    assert "with different figures" in message and "by US$ 1.0 M" in message
    assert "\n" not in message


def test_an_overlap_is_found_among_files_that_are_apart(tmp_path):
    header = "reporter,partner,year,flow,value_usd,valuation,source\n"
    files = {
        "a_exports.csv": "COL,MEX,2022,export,1752000000,FOB,DANE\n",
        "b_imports.csv": "COL,MEX,2022,import,4174000000,CIF,DANE\n",
        "c_exports_2021.csv": "COL,MEX,2021,export,1500000000,FOB,DANE\n",
        "d_exports_again.csv": "COL,MEX,2022,export,1751000000,FOB,DANE\n",
    }
    for name, row in files.items():
        (tmp_path / name).write_text(header + row, encoding="utf-8")
    apart = readers.load([str(tmp_path / n) for n in list(files)[:3]]).flows
    assert len(apart) == 3
    with pytest.raises(PaTradeError, match=r"a_exports\.csv and \S*d_exports_again\.csv both give"):
        readers.load([str(tmp_path)])


def test_monthly_files_of_one_year_add_up(tmp_path):
    text = (FIXTURES / "dane_expo_yymm_latin1_semicolon.csv").read_text(encoding="latin-1")
    header, *body = text.splitlines()
    months = sorted({line.split(";")[0] for line in body})
    assert len(months) > 1
    for month in months:
        part = [line for line in body if line.startswith(month + ";")]
        (tmp_path / f"expo_{month}.csv").write_text("\n".join([header, *part]) + "\n",
                                                    encoding="latin-1")
    whole, _ = readers.read_file(source("dane_expo_yymm_latin1_semicolon.csv"))
    split = readers.load([str(tmp_path)]).flows
    assert sums(split) == sums(whole)


SAMPLES = FIXTURES.parents[1].parent / "shared" / "samples"
SAMPLE_LAYOUTS = {
    "dane_expo_microdata.csv": "dane-expo",
    "dane_impo_microdata.csv": "dane-impo",
    "dane_cuadro_exportaciones.csv": "dane-cuadro",
    "dane_cuadro_importaciones.csv": "dane-cuadro",
    "mexico_se_balanza_por_pais.csv": "mexico-se",
    "tidy_flows.csv": "tidy",
}


@pytest.mark.parametrize("name, layout", sorted(SAMPLE_LAYOUTS.items()))
def test_the_shared_samples_are_read_whole(name, layout):
    path = SAMPLES / name
    if not path.exists():
        pytest.skip("shared samples are absent")
    src = SourceFile(name, path.read_bytes())
    assert readers.detect_layout(src) == layout
    frame, report = readers.read_file(src)
    assert report.balanced and report.set_aside == []
    assert not frame.empty


def test_the_shared_cuadro_sample_keeps_its_totals_apart():
    path = SAMPLES / "dane_cuadro_importaciones.csv"
    if not path.exists():
        pytest.skip("shared samples are absent")
    frame, _ = readers.read_file(SourceFile(path.name, path.read_bytes()))
    got = sums(frame)
    assert got[("COL", "MEX", 2022, "import", "CIF")] == Decimal("2899000000")
    assert got[("COL", "WLD", 2022, "import", "CIF")] == Decimal("28650200000")
    assert ("COL", "SGP", 2022, "import", "CIF") not in got  # '-' is no figure, not 0
    assert got[("COL", "KOR", 2021, "import", "CIF")] == Decimal("820400000")


def test_a_mexican_saldo_that_disagrees_with_its_own_figures_is_reported(tmp_path):
    text = (FIXTURES / "mexico_se_balanza_miles_utf8bom_comma.csv").read_text("utf-8-sig")
    _, clean = readers.read_file(source("mexico_se_balanza_miles_utf8bom_comma.csv"))
    assert not any("Saldo" in note for note in clean.notes)
    lines = text.splitlines()
    row = next(i for i, line in enumerate(lines) if line.upper().startswith("COLOMBIA"))
    cells = next(csv.reader([lines[row]]))
    cells[4] = "9,999,999.0"  # the 2021 Saldo
    lines[row] = ",".join(f'"{c}"' for c in cells)
    broken = tmp_path / "mx.csv"
    broken.write_text("\n".join(lines) + "\n", encoding="utf-8")
    frame, report = readers.read_file(SourceFile(broken.name, broken.read_bytes()))
    note = next(n for n in report.notes if "Saldo" in n)
    assert f"line {row + 1}" in note and "9,999,999.0" in note
    assert sums(frame) == sums(readers.read_file(
        source("mexico_se_balanza_miles_utf8bom_comma.csv"))[0])  # figures untouched


MICRODATA = sorted(n for n in GOOD if EXPECTED[n]["layout"] in ("dane-expo", "dane-impo"))


@pytest.mark.parametrize("name", MICRODATA)
def test_streaming_and_line_by_line_readings_agree(name):
    from pa_trade.readers import dane_microdata

    reader = (dane_microdata.read_expo if EXPECTED[name]["layout"] == "dane-expo"
              else dane_microdata.read_impo)
    fast, fast_report = reader(source(name))
    exact, exact_report = reader(source(name), line_by_line=True)
    assert sums(fast) == sums(exact)
    assert fast_report.set_aside == exact_report.set_aside
    assert (fast_report.rows_read, fast_report.rows_used) == (
        exact_report.rows_read, exact_report.rows_used)


@pytest.mark.parametrize("name", MICRODATA)
def test_leaving_products_out_keeps_every_total(name):
    with_products, _ = readers.read_file(source(name))
    without, _ = readers.read_file(source(name), products=False)
    assert without["hs_code"].isna().all()
    assert sums(without) == sums(with_products)


def test_a_tidy_row_repeated_is_set_aside_not_summed(tmp_path):
    path = tmp_path / "dup.csv"
    path.write_text(
        "reporter,partner,year,flow,value_usd,valuation,source\n"
        "MEX,AUS,2000,export,83932000,FOB,IMF\n"
        "MEX,AUS,2000,export,83932000,FOB,IMF\n"
        "MEX,CHL,2000,export,10,FOB,IMF\n"
        "MEX,CHL,2000,export,12,FOB,IMF\n"
        "MEX,PER,2000,export,5,FOB,IMF\n", encoding="utf-8")
    frame, report = readers.read_file(SourceFile(path.name, path.read_bytes()))
    got = sums(frame)
    assert got[("MEX", "AUS", 2000, "export", "FOB")] == Decimal("83932000")
    assert ("MEX", "CHL", 2000, "export", "FOB") not in got  # which one is right? neither
    assert [(r.line, r.reason) for r in report.set_aside] == [
        (3, "duplicate-row"), (4, "conflicting-row"), (5, "conflicting-row")]
    assert report.balanced and report.rows_used == 2


def test_tidy_cells_that_are_no_plain_number_or_year_are_set_aside():
    text = ("reporter,partner,year,month,flow,value_usd,valuation,source\n"
            " MEX , AUS ,\u30002000 , 1 ,export, 7.5 ,fob,IMF\n"   # padding of any kind: fine
            "MEX,CHL,2000,,export,1e999,FOB,IMF\n"                    # no finite amount
            "MEX,PER,2000,,export,\u0663,FOB,IMF\n"                  # an Arabic-Indic three
            "MEX,COL,20\u0662\u0662,,export,5,FOB,IMF\n"            # a year in two scripts
            "MEX,KOR,2000,\u0661,export,5,FOB,IMF\n"                 # a month likewise
            "MEX,USA,2000,,export,+.5,,IMF\n")
    frame, report = readers.read_file(SourceFile("odd.csv", text.encode("utf-8")))
    assert [(r.line, r.reason, r.detail) for r in report.set_aside] == [
        (3, "bad-number", "value_usd '1e999'"),
        (4, "bad-number", "value_usd '\u0663'"),
        (5, "bad-field", "year '20\u0662\u0662'"),
        (6, "bad-field", "month '\u0661'"),
    ]
    assert sums(frame) == {("MEX", "AUS", 2000, "export", "FOB"): Decimal("7.5"),
                           ("MEX", "USA", 2000, "export", "unknown"): Decimal("0.5")}
    assert report.balanced and report.rows_used == 2


@pytest.mark.parametrize("name", MICRODATA)
def test_files_parsed_in_pieces_on_every_core_read_the_same(name, tmp_path, monkeypatch):
    from pa_trade.readers import dane_microdata
    from pa_trade.textio import read_source

    monkeypatch.setattr(dane_microdata, "CHUNK_BYTES", 200)  # pieces of a few lines
    path = tmp_path / name
    path.write_bytes((FIXTURES / name).read_bytes())
    reader = (dane_microdata.read_expo if EXPECTED[name]["layout"] == "dane-expo"
              else dane_microdata.read_impo)
    pieces, report = reader(read_source(str(path)))
    exact, exact_report = reader(source(name), line_by_line=True)
    assert sums(pieces) == sums(exact)
    assert report.set_aside == exact_report.set_aside
    assert (report.rows_read, report.rows_used) == (exact_report.rows_read,
                                                    exact_report.rows_used)


@pytest.mark.parametrize("chunk", [200, 48 << 20])
def test_a_blank_line_inside_microdata_is_no_row_on_any_path(chunk, tmp_path, monkeypatch):
    from pa_trade.readers import dane_microdata
    from pa_trade.textio import read_source

    name = "dane_expo_yymm_latin1_semicolon.csv"
    lines = (FIXTURES / name).read_bytes().split(b"\n")
    path = tmp_path / name
    path.write_bytes(b"\n".join(lines[:5] + [b""] + lines[5:]))
    monkeypatch.setattr(dane_microdata, "CHUNK_BYTES", chunk)
    frame, report = dane_microdata.read_expo(read_source(str(path)))
    exact, exact_report = dane_microdata.read_expo(read_source(str(path)), line_by_line=True)
    assert report.set_aside == exact_report.set_aside
    assert (report.rows_read, report.rows_used) == (exact_report.rows_read,
                                                    exact_report.rows_used)
    assert sums(frame) == sums(exact)
    assert not any(r.reason == "bad-date" and "''" in r.detail for r in report.set_aside)


@pytest.mark.parametrize("line_by_line", [False, True])
def test_a_negative_customs_value_is_summed_and_said(line_by_line, tmp_path):
    from pa_trade.readers import dane_microdata
    from pa_trade.textio import read_source

    name = "dane_expo_yymm_latin1_semicolon.csv"
    lines = (FIXTURES / name).read_bytes().split(b"\n")
    cells = lines[2].split(b";")
    cells[12] = b"-" + cells[12]  # FOBDOL of line 3, 54210,75 below zero
    lines[2] = b";".join(cells)
    path = tmp_path / name
    path.write_bytes(b"\n".join(lines))
    frame, report = dane_microdata.read_expo(read_source(str(path)), line_by_line=line_by_line)
    original, _ = dane_microdata.read_expo(source(name))
    def partners_total(frame):
        return sum(v for key, v in sums(frame).items() if key[1] != "WLD")

    assert partners_total(frame) == partners_total(original) - 2 * Decimal("54210.75")
    assert report.notes[-1] == ("1 row with a negative FOBDOL, summed as given (customs values "
                                "are normally positive: a correction?)")
    assert report.balanced and not report.set_aside


@pytest.mark.parametrize("chunk", [200, 48 << 20])
def test_a_byte_that_is_no_text_inside_a_code_is_set_aside(chunk, tmp_path, monkeypatch):
    from pa_trade.readers import dane_microdata
    from pa_trade.textio import read_source

    name = "dane_expo_yymm_latin1_semicolon.csv"
    lines = (FIXTURES / name).read_bytes().split(b"\n")
    cells = lines[1].split(b";")
    cells[2] = cells[2][:2] + b"\x80" + cells[2][2:]  # PAIS '493' becomes '49\x803'
    lines[1] = b";".join(cells)
    path = tmp_path / name
    path.write_bytes(b"\n".join(lines))
    monkeypatch.setattr(dane_microdata, "CHUNK_BYTES", chunk)
    frame, report = dane_microdata.read_expo(read_source(str(path)))
    assert [(r.line, r.reason) for r in report.set_aside] == [(2, "unknown-country")]
    assert report.balanced


def test_figures_of_overlapping_periods_are_refused_and_like_periods_compared(tmp_path):
    header = "reporter,partner,year,months,flow,value_usd,valuation,source\n"
    half = tmp_path / "half.csv"
    half.write_text(header + "COL,MEX,2023,1-6,export,800000000,FOB,DANE anexo\n",
                    encoding="utf-8")
    year = tmp_path / "year.csv"
    year.write_text(header + "COL,MEX,2023,,export,1700000000,FOB,DANE cuadro\n",
                    encoding="utf-8")
    with pytest.raises(PaTradeError, match="one for January–June 2023, the other for 2023"):
        readers.load([str(half), str(year)])
    again = tmp_path / "again.csv"
    again.write_text(header + "COL,MEX,2023,1-6,export,800000000.00,FOB,DANE anexo\n",
                     encoding="utf-8")
    both = readers.load([str(half), str(again)])
    assert both.flows["value_usd"].sum() == 800000000
    assert any("January–June 2023" in line and "counted once" in line
               for line in both.skipped_duplicates)
