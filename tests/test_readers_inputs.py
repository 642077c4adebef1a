"""What goes into a load: a country's trade with itself in every layout, pa-trade's own
results put among the data, standard input given twice."""

import pytest

from pa_trade import readers
from pa_trade.errors import DataError
from pa_trade.readers import dane_microdata
from pa_trade.textio import read_source
from tests.conftest import FIXTURES
from tests.test_readers import sums

EXPO_HEADER = ("FECH;ADUA;PAIS;COD_SAL;DPTO2;VIA;POSAR;DPTO1;UNID;CANTI;PBK;PNK;FOBDOL;FOBPES;"
               "FLETES;SEGURO")
IMPO_HEADER = ("FECH;ADUA;PAISGEN;PAISPRO;PAISCOM;DEPTODES;VIATRANS;PBK;PNK;NABAN;VAFODO;FLETE;"
               "SEGUROS;VACID;VACIP")


# --- trade of a country with itself -------------------------------------------------------

def test_a_tidy_row_of_a_country_with_itself_is_set_aside(tmp_path):
    path = tmp_path / "flows.csv"
    path.write_text(
        "reporter,partner,year,flow,value_usd,valuation,source\n"
        "COL,MEX,2022,export,1752000000,FOB,DANE\n"
        "COL,COL,2022,export,5000000,FOB,DANE\n"
        "MEX,México,2022,import,7000000,FOB,SE\n"
        "COL,MEX,2022,import,4174000000,CIF,DANE\n", encoding="utf-8")
    frame, report = readers.read_file(read_source(str(path)))
    assert not (frame["reporter"] == frame["partner"]).any()
    assert [(r.line, r.reason) for r in report.set_aside] == [
        (3, "reporter-is-partner"), (4, "reporter-is-partner")]
    assert report.set_aside[1].detail == "reporter 'MEX', partner 'México'"
    assert report.balanced and report.rows_used == 2


@pytest.mark.parametrize("way", ["stream", "line by line", "pieces"])
def test_microdata_with_colombia_as_destination_give_national_territory(tmp_path, monkeypatch,
                                                                        way):
    # DIAN's 169 is Colombia: goods 'exported' to the country itself, which DANE counts in
    # its total: a partner of its own, national territory, never a country
    lines = [EXPO_HEADER,
             "2201;23;493;6;13;1;0901110000;76;KG;6094,32;6338,09;6094,32;178638,32;"
             "699238616,83;8931,92;1786,38",
             "2201;23;169;5;13;4;2701120010;11;KG;2249,93;2339,93;2249,93;54210,75;"
             "212195512,4;2710,54;542,11",
             "2202;88;211;2;11;1;0803901100;11;KG;3450,7;3588,73;3450,7;23885,1;"
             "93492730,38;1194,26;238,85"]
    path = tmp_path / "expo.csv"
    path.write_bytes(("\n".join(lines) + "\n").encode("latin-1"))
    if way == "pieces":
        monkeypatch.setattr(dane_microdata, "CHUNK_BYTES", 100)
    frame, report = dane_microdata.read_expo(read_source(str(path)),
                                             line_by_line=way == "line by line")
    assert set(frame["partner"]) == {"MEX", "CHL", "XTN", "WLD"}
    national = frame[frame["partner"] == "XTN"]
    assert national["value_usd"].tolist() == [54210.75]
    world = frame[frame["partner"] == "WLD"]["value_usd"].sum()
    assert world == pytest.approx(178638.32 + 54210.75 + 23885.1, abs=0.005)
    assert not report.set_aside and report.balanced and report.rows_used == 3


def test_microdata_with_colombia_as_origin_give_national_territory(tmp_path):
    lines = [IMPO_HEADER,
             "202201;48;493;493;493;13;1;5911,44;5629,94;8703231090;152300,4;6120,35;380,75;"
             "158801,5;675829011,72",
             "202201;48;169;169;169;13;4;24910,01;23723,82;8517130000;88450;7010,2;221,13;"
             "95681,33;407201561,03"]
    path = tmp_path / "impo.csv"
    path.write_bytes(("\ufeff" + "\n".join(lines) + "\n").encode("utf-8"))
    frame, report = readers.read_file(read_source(str(path)))
    assert set(frame["partner"]) == {"MEX", "XTN", "WLD"}
    assert not report.set_aside and report.balanced and report.rows_used == 2


def test_flows_and_balance_see_the_same_rows(run, tmp_path):
    path = tmp_path / "flows.csv"
    path.write_text(
        "reporter,partner,year,flow,value_usd,valuation,source\n"
        "COL,COL,2022,export,5000000,FOB,DANE\n"
        "COL,MEX,2022,export,1752000000,FOB,DANE\n", encoding="utf-8")
    flows = run("flows", "-d", str(path))
    assert "COL,COL" not in flows.stdout and "reporter-is-partner" in flows.stderr
    balance = run("balance", "colombia", "-d", str(path), "-f", "csv")
    assert "reporter-is-partner" in balance.stderr


# --- pa-trade's own results among the data ------------------------------------------------

EXPO_FIXTURE = str(FIXTURES / "dane_expo_yymm_latin1_semicolon.csv")
OWN_RESULTS = {
    "balance": ["balance", "colombia", "-f", "csv"],
    "balance (millions, tsv)": ["balance", "colombia", "-f", "tsv", "--units", "millions"],
    "mirror": ["mirror", "colombia", "mexico", "-f", "csv"],
    "trend": ["trend", "colombia", "-p", "mexico", "-f", "csv"],
    "trend summary": ["trend", "colombia", "-p", "mexico", "-f", "csv", "--summary"],
    "matrix": ["matrix", "-f", "csv"],
    "products": ["products", "colombia", "-d", EXPO_FIXTURE, "-f", "csv"],
}


def written(run, tmp_path, what: str):
    result = run(*OWN_RESULTS[what], "-q")
    assert result.exit_code == 0, result.stderr
    folder = tmp_path / "data"
    folder.mkdir(exist_ok=True)
    slug = "".join(c if c.isalnum() else "_" for c in what)
    path = folder / (slug + (".tsv" if "tsv" in what else ".csv"))
    path.write_text(result.stdout, encoding="utf-8")
    return path


@pytest.mark.parametrize("what", sorted(OWN_RESULTS))
def test_a_result_of_pa_trade_given_as_data_is_named_not_misread(run, tmp_path, what):
    path = written(run, tmp_path, what)
    command = what.split(" (")[0]
    with pytest.raises(DataError) as caught:
        readers.load([str(path)])
    message = str(caught.value)
    assert message.startswith(str(path)) and "\n" not in message
    assert f"pa-trade's {command} output, not flows" in message
    assert "pa-trade flows -f csv" in message
    with pytest.raises(DataError, match=f"{command} output"):
        readers.read_file(read_source(str(path)), "dane-cuadro")  # forcing a layout


def test_results_of_pa_trade_in_a_data_folder_are_skipped_with_a_note(run, tmp_path):
    for what in OWN_RESULTS:
        folder = written(run, tmp_path, what).parent
    flows = run("flows", "-d", EXPO_FIXTURE, "-q").stdout
    (folder / "flows.csv").write_text(flows, encoding="utf-8")
    loaded = readers.load([str(folder)])
    assert len(loaded.reports) == 1 and loaded.reports[0].file.endswith("flows.csv")
    assert len(loaded.skipped_files) == len(OWN_RESULTS)
    assert all("output, not flows" in why for why in loaded.skipped_files)
    assert sums(loaded.flows) == sums(readers.load([EXPO_FIXTURE]).flows)
    result = run("balance", "colombia", "-d", str(folder), "-f", "csv")
    assert result.exit_code == 0 and "skipped" in result.stderr


# --- standard input given twice -----------------------------------------------------------

def test_standard_input_given_twice_is_read_once(run):
    data = (FIXTURES / "dane_expo_yymm_latin1_semicolon.csv").read_bytes()
    once = run("balance", "colombia", "-d", "-", "-f", "csv", "-q", input=data)
    twice = run("balance", "colombia", "-d", "-", "-d", "-", "-f", "csv", input=data)
    assert twice.exit_code == 0, twice.stderr
    assert twice.stdout == once.stdout
    assert "skipped <stdin>" in twice.stderr and "given twice" in twice.stderr
