"""DANE's microdata as DANE ships them, from the committed fixtures of
tests/fixtures/make_release_fixtures.py: a yearly ZIP of monthly ZIPs with csv + dta + sav, a
CSV without FOBDOL, ISO numeric codes with and without COD_PAI4, padded numbers and ' - '
zeros, 3-digit FECH and lower-case headers, alpha-3 codes that disagree, codes that read
alike in both systems."""

from __future__ import annotations

import json
import shutil
import zipfile
from decimal import Decimal

import pytest

from pa_trade import readers
from pa_trade.errors import DataError
from tests.conftest import FIXTURES

RELEASES = FIXTURES / "releases"
EXPECTED = json.loads((RELEASES / "expected.json").read_text(encoding="utf-8"))


def by_partner_month(frame) -> dict:
    """Exact sums per (partner, year, month), as the generator writes them."""
    out: dict[tuple, Decimal] = {}
    for row in frame.itertuples(index=False):
        key = (row.partner, int(row.year), int(row.month))
        out[key] = out.get(key, Decimal(0)) + Decimal(f"{row.value_usd:.2f}")
    return {k: v for k, v in out.items()}


def expected_sums(name: str) -> dict:
    return {(f["partner"], f["year"], f["month"]): Decimal(f["value_usd"])
            for f in EXPECTED[name]["flows"]}


@pytest.mark.parametrize("name", [n for n in EXPECTED if "error" not in EXPECTED[n]])
def test_every_partner_and_month_is_exact(name):
    loaded = readers.load([str(RELEASES / name)], use_cache=False)
    assert by_partner_month(loaded.flows) == expected_sums(name)
    for report in loaded.reports:
        assert report.balanced and not report.set_aside, report.summary_lines()


@pytest.mark.parametrize("name", [n for n in EXPECTED if EXPECTED[n].get("country_codes")])
def test_the_code_system_is_decided_and_said(name):
    loaded = readers.load([str(RELEASES / name)], use_cache=False)
    (report,) = loaded.reports
    system = EXPECTED[name]["country_codes"]
    assert report.country_codes == system
    words = {"iso": "ISO 3166 numeric codes", "dian": "DIAN's country codes"}[system]
    assert any(note.startswith(f"PAIS read as {words}") for note in report.notes)


def test_a_yearly_zip_of_monthly_zips_reads_each_month_once(run):
    path = RELEASES / "Expo_2022.zip"
    loaded = readers.load([str(path)], use_cache=False)
    read = {r.file.split(" › ")[1]: r.file.split(" › ")[2] for r in loaded.reports}
    assert read == EXPECTED["Expo_2022.zip"]["read"]
    # every member is named through its archives
    assert all(r.file.startswith(f"{path} › ") for r in loaded.reports)
    skipped = [line for line in loaded.skipped_files if "LEAME.txt" in line]
    assert len(skipped) == 1 and skipped[0].startswith(f"{path} › LEAME.txt")
    febrero = next(r for r in loaded.reports if r.file.endswith("Febrero.dta"))
    assert any("Febrero.csv, the same month in CSV, has no FOBDOL on any of its 24 rows"
               in note for note in febrero.notes)
    assert febrero.position == "row"
    result = run("balance", "colombia", "-d", str(path), "-f", "csv", "--totals")
    assert result.exit_code == 0, result.stderr
    assert "compared and counted once: 2 from the CSV, 1 from the Stata (.dta)" in result.stderr
    world = next(line for line in result.stdout.splitlines() if line.startswith("COL,WLD,"))
    total = sum(v for (p, _, _), v in expected_sums("Expo_2022.zip").items() if p == "WLD")
    assert world.split(",")[4:6] == ["1-3", f"{total:.2f}".rstrip("0").rstrip(".")]


def test_a_folder_of_unpacked_months_reads_like_the_zip(tmp_path):
    with zipfile.ZipFile(RELEASES / "Expo_2022.zip") as outer:
        outer.extractall(tmp_path / "zips")
    for inner in sorted((tmp_path / "zips").glob("*.zip")):
        with zipfile.ZipFile(inner) as archive:
            archive.extractall(tmp_path / "unpacked" / inner.stem)
    from_zip = readers.load([str(RELEASES / "Expo_2022.zip")], use_cache=False)
    from_folder = readers.load([str(tmp_path / "unpacked")], use_cache=False)
    assert by_partner_month(from_folder.flows) == by_partner_month(from_zip.flows)
    assert len(from_folder.reports) == 3 and len(from_folder.bundles_read_once) == 3
    # the inner ZIPs beside the folder are read as well: the same months twice, once
    both = readers.load([str(tmp_path / "zips"), str(tmp_path / "unpacked")], use_cache=False)
    assert by_partner_month(both.flows) == by_partner_month(from_zip.flows)
    assert any("counted once" in line for line in both.skipped_duplicates)


def test_a_csv_without_values_alone_is_refused_with_the_remedy():
    path = RELEASES / "expo_2022-02_fobdol_empty.csv"
    with pytest.raises(DataError) as caught:
        readers.load([str(path)], use_cache=False)
    message = str(caught.value)
    assert EXPECTED[path.name]["error"] in message and "February 2022" in message
    assert ".dta" in message and "\n" not in message


def test_a_csv_without_values_beside_a_month_that_has_them_is_skipped_and_said(tmp_path):
    with zipfile.ZipFile(RELEASES / "Expo_2022.zip") as outer, zipfile.ZipFile(
            __import__("io").BytesIO(outer.read("02. Febrero 2022.zip"))) as inner:
        (tmp_path / "Febrero.dta").write_bytes(inner.read("Febrero.dta"))
    shutil.copy(RELEASES / "expo_2022-02_fobdol_empty.csv", tmp_path / "other.csv")
    loaded = readers.load([str(tmp_path / "other.csv"), str(tmp_path / "Febrero.dta")],
                          use_cache=False)
    assert len(loaded.reports) == 1 and loaded.reports[0].file.endswith("Febrero.dta")
    said = [line for line in loaded.skipped_files if "other.csv" in line]
    assert said and "February 2022 comes from the other files loaded" in said[0]


def test_codes_that_read_alike_in_both_systems_are_refused_and_can_be_settled(run):
    path = str(RELEASES / "error_expo_ambiguous_codes.csv")
    result = run("balance", "colombia", "-d", path)
    assert result.exit_code == 1
    message = result.stderr.strip().splitlines()[-1]
    assert message.startswith("pa-trade: error: ") and "--country-codes" in message
    assert "Taiwan for DIAN and Ecuador in ISO" in message
    iso = run("balance", "colombia", "-d", path, "--country-codes", "iso", "-f", "csv")
    assert iso.exit_code == 0, iso.stderr
    assert {line.split(",")[1] for line in iso.stdout.splitlines()[1:]} >= {"NLD", "KOR", "ECU"}
    assert "(--country-codes)" in iso.stderr
    dian = run("balance", "colombia", "-d", path, "--country-codes", "dian", "-f", "csv")
    assert {line.split(",")[1] for line in dian.stdout.splitlines()[1:]} >= {"NGA", "KEN", "TWN"}


def test_alpha3_codes_that_disagree_with_pais_are_used_and_reported():
    name = "expo_2024-12_alpha_disagrees.csv"
    loaded = readers.load([str(RELEASES / name)], use_cache=False)
    (report,) = loaded.reports
    (note,) = [n for n in report.notes if "name different partners" in n]
    for line in EXPECTED[name]["disagreeing_lines"]:
        assert f"line {line} (" in note
    assert "'CAN' is Canada" in note and "2 rows" in note


def test_iso_codes_with_or_without_alpha3_give_the_same_partners():
    with_alpha = readers.load([str(RELEASES / "expo_2025-12_iso_numeric.csv")],
                              use_cache=False)
    without = readers.load([str(RELEASES / "expo_2025-12_iso_numeric_no_alpha.csv")],
                           use_cache=False)
    assert by_partner_month(with_alpha.flows) == by_partner_month(without.flows)
    partners = set(with_alpha.flows["partner"])
    assert {"NLD", "KOR", "ECU", "XCF", "XTN"} <= partners
    assert not partners & {"NGA", "KEN", "TWN"}  # what DIAN's reading would have made


def test_dashes_are_zero_counted_in_a_note_never_set_aside():
    loaded = readers.load([str(RELEASES / "expo_2025-12_iso_numeric.csv")], use_cache=False)
    (report,) = loaded.reports
    assert report.rows_used == EXPECTED["expo_2025-12_iso_numeric.csv"]["rows"]
    assert "2 rows with FOBDOL written '-', read as zero" in " ".join(report.notes)


def test_three_digit_dates_and_lower_case_headers():
    loaded = readers.load([str(RELEASES / "expo_2005_ymm_lowercase_nit.csv")],
                          use_cache=False)
    dates = set(zip(loaded.flows["year"], loaded.flows["month"], strict=True))
    assert dates == {(2005, 1), (2005, 2)}
    (report,) = loaded.reports
    assert report.encoding == "Windows-1252"


@pytest.mark.parametrize("fmt", ["csv", "tsv", "json"])
def test_strict_passes_on_clean_releases(run, fmt):
    for name in ("expo_2025-12_iso_numeric.csv", "expo_2005_ymm_lowercase_nit.csv",
                 "expo_2024-12_alpha_disagrees.csv"):
        result = run("balance", "colombia", "-d", str(RELEASES / name), "--strict", "-f", fmt,
                     "-q")
        assert result.exit_code == 0, result.stderr


def test_a_member_of_no_known_layout_is_named_and_does_not_fail_strict(run):
    # a text file inside an archive is part of what was downloaded (a readme beside the
    # months): named and skipped, never a reason for --strict to fail
    result = run("balance", "colombia", "-d", str(RELEASES / "Expo_2022.zip"), "--strict")
    assert result.exit_code == 0, result.stderr
    assert "skipped" in result.stderr and "LEAME.txt: line 1: unknown layout" in result.stderr


def test_import_microdata_with_iso_codes_read_by_evidence(tmp_path):
    """IMPO's PAISGEN decided like EXPO's PAIS: the same file in ISO codes gives the same
    partners as in DIAN's."""
    from pa_trade.reference import countries

    source = FIXTURES / "dane_impo_yymm_latin1_semicolon.csv"
    lines = source.read_text(encoding="latin-1").splitlines()
    header = lines[0].split(";")
    columns = [header.index(c) for c in ("PAISGEN", "PAISPRO", "PAISCOM")]
    dian = countries.numeric_to_code(
        {line.split(";")[i] for line in lines[1:] for i in columns}, "dian")
    iso = {code: f"{n:03d}" for n, code in countries._tables().iso_numeric.items()}
    rewritten = [lines[0]]
    for line in lines[1:]:
        cells = line.split(";")
        for i in columns:
            code = dian[cells[i]]
            cells[i] = iso.get(code, cells[i])  # 'not declared' (999) has no ISO code
        rewritten.append(";".join(cells))
    path = tmp_path / "impo_iso.csv"
    path.write_text("\n".join(rewritten) + "\n", encoding="latin-1")
    original = readers.load([str(source)], use_cache=False)
    loaded = readers.load([str(path)], use_cache=False)
    assert loaded.reports[0].country_codes == "iso"
    keep = ["partner", "year", "month", "flow", "valuation", "value_usd"]
    ours = loaded.flows[keep].sort_values(keep[:-1]).reset_index(drop=True)
    theirs = original.flows[keep].sort_values(keep[:-1]).reset_index(drop=True)
    import pandas as pd

    # DIAN's 999 'not declared' is no ISO code, and no ISO code is 999: read alike
    assert "ZZZ" in set(ours["partner"]) and not loaded.reports[0].set_aside
    pd.testing.assert_frame_equal(ours, theirs)


# --- the same month in several formats: compared, never assumed ---------------------------

def month_members(tmp_path, month: str = "01. Enero 2022.zip") -> dict[str, bytes]:
    import io as _io

    with zipfile.ZipFile(RELEASES / "Expo_2022.zip") as outer, zipfile.ZipFile(
            _io.BytesIO(outer.read(month))) as inner:
        return {name: inner.read(name) for name in inner.namelist()}


def test_members_that_give_other_figures_are_said_by_how_much(tmp_path):
    members = month_members(tmp_path)
    lines = members["Enero.csv"].decode("latin-1").split("\r\n")
    cells = lines[1].split(";")
    value = cells[COLUMNS_INDEX["FOBDOL"]]
    cells[COLUMNS_INDEX["FOBDOL"]] = str(int(value.split(",")[0]) + 1_000_000) + ",00"
    lines[1] = ";".join(cells)
    (tmp_path / "Enero.csv").write_bytes("\r\n".join(lines).encode("latin-1"))
    (tmp_path / "Enero.dta").write_bytes(members["Enero.dta"])
    loaded = readers.load([str(tmp_path)], use_cache=False)
    (report,) = loaded.reports
    (note,) = [n for n in report.notes if "gives other figures" in n]
    assert note.startswith("Enero.dta, the same month in Stata (.dta), gives other figures")
    assert "1 partner(s) differ, most United States (by US$ 1.0 M)" in note


COLUMNS_INDEX = {name: i for i, name in enumerate(
    "FECH ADUA PAIS COD_PAI4 COD_SAL1 COD_SAL DPTO2 VIA BANDERA REGIM MODAD FINALID CER_ORI1 "
    "SISESP POSAR DPTO1 UNID CODUNI2 CANTI PBK PNK FOBDOL FOBPES AGRENA FLETES SEGURO "
    "OTROSG".split())}


def test_a_csv_with_some_values_missing_gives_way_to_a_complete_dta(tmp_path):
    members = month_members(tmp_path)
    lines = members["Enero.csv"].decode("latin-1").split("\r\n")
    for index in range(1, 9):  # eight lines lost their FOBDOL
        cells = lines[index].split(";")
        cells[COLUMNS_INDEX["FOBDOL"]] = ""
        lines[index] = ";".join(cells)
    (tmp_path / "Enero.csv").write_bytes("\r\n".join(lines).encode("latin-1"))
    (tmp_path / "Enero.dta").write_bytes(members["Enero.dta"])
    loaded = readers.load([str(tmp_path)], use_cache=False)
    (report,) = loaded.reports
    assert report.file.endswith("Enero.dta") and not report.set_aside
    assert any("Enero.csv, the same month in CSV, has no FOBDOL on 8 of its 24 rows" in n
               for n in report.notes)
    january = {k: v for k, v in expected_sums("Expo_2022.zip").items() if k[2] == 1}
    assert by_partner_month(loaded.flows) == january


def test_files_of_one_name_but_other_months_are_both_read(tmp_path):
    (tmp_path / "expo.csv").write_bytes(month_members(tmp_path)["Enero.csv"])
    (tmp_path / "expo.dta").write_bytes(month_members(tmp_path, "03. Marzo 2022.zip")[
        "Marzo.dta"])
    loaded = readers.load([str(tmp_path)], use_cache=False)
    assert len(loaded.reports) == 2 and not loaded.bundles_read_once
    assert set(loaded.flows["month"]) == {1, 3}


def test_a_damaged_dta_in_a_folder_is_an_error_never_a_lost_month(run, tmp_path):
    members = month_members(tmp_path)
    (tmp_path / "Enero.csv").write_bytes(members["Enero.csv"])
    (tmp_path / "Febrero.dta").write_bytes(month_members(tmp_path, "02. Febrero 2022.zip")[
        "Febrero.dta"][:900])
    result = run("balance", "colombia", "-d", str(tmp_path))
    assert result.exit_code == 1
    assert "Febrero.dta: not a Stata (.dta) file that can be read" in result.stderr


def test_a_dta_that_holds_no_microdata_is_named_and_fails_strict(run, tmp_path):
    import pandas as pd

    (tmp_path / "Enero.csv").write_bytes(month_members(tmp_path)["Enero.csv"])
    pd.DataFrame({"ciudad": ["Bogotá"], "poblacion": [7_900_000]}).to_stata(
        tmp_path / "ciudades.dta", write_index=False)
    loose = run("balance", "colombia", "-d", str(tmp_path), "-f", "csv")
    assert loose.exit_code == 0
    assert "skipped" in loose.stderr and "ciudades.dta: a Stata (.dta) file whose columns" in (
        loose.stderr)
    strict = run("balance", "colombia", "-d", str(tmp_path), "--strict")
    assert strict.exit_code == 1 and "--strict: " in strict.stderr


def test_two_code_systems_in_one_file_are_refused_even_when_forced(run, tmp_path):
    iso = (RELEASES / "expo_2025-12_iso_numeric.csv").read_text(encoding="latin-1")
    dian = (RELEASES / "expo_2024-12_alpha_disagrees.csv").read_text(encoding="latin-1")
    header = iso.splitlines()[0].split(";")
    alpha = header.index("COD_PAI4")
    rows = []
    for line in dian.splitlines()[1:]:  # DIAN's codes with the alpha-3 column left empty
        cells = line.split(";")
        cells[alpha] = ""
        rows.append(";".join(cells))
    path = tmp_path / "mixed.csv"
    path.write_text(iso.rstrip("\r\n") + "\r\n" + "\r\n".join(rows) + "\r\n", encoding="latin-1")
    for forced in ([], ["--country-codes", "iso"], ["--country-codes", "dian"]):
        result = run("balance", "colombia", "-d", str(path), *forced)
        assert result.exit_code == 1, forced
        assert "seems to mix two code systems" in result.stderr.splitlines()[-1]


def test_a_csv_without_values_outside_the_months_asked_does_not_stop_the_run(tmp_path):
    shutil.copy(RELEASES / "expo_2022-02_fobdol_empty.csv", tmp_path / "Febrero.csv")
    (tmp_path / "Enero.csv").write_bytes(month_members(tmp_path)["Enero.csv"])
    with pytest.raises(DataError, match="February 2022 would have no figures"):
        readers.load([str(tmp_path)], use_cache=False)
    loaded = readers.load([str(tmp_path)], use_cache=False, months=1)
    assert set(loaded.flows["month"]) == {1}
    assert any("February 2022 is not among the months asked" in s for s in loaded.skipped_files)
