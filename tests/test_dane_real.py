"""DANE's real export microdata (shared/realdata/hunt1: January-June 2023, as committed by
others to public repositories; skipped when absent), and every variant of DANE's releases
built from them: a yearly ZIP of monthly ZIPs with csv + dta + sav, a month whose CSV lost
FOBDOL beside a .dta with values, ISO numeric PAIS with and without COD_PAI4, padded numbers
and ' -   ' zeros, 3-digit FECH. Every partner is compared with sums computed directly with
pandas."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest

from pa_trade import readers
from tests.conftest import ROOT

REAL = ROOT.parent / "shared" / "realdata" / "hunt1" / "dane-expo-2023"
MONTHS = {1: "Enero", 2: "Febrero", 3: "Marzo", 4: "Abril", 5: "Mayo", 6: "Junio"}
# DANE's first release for January 2023 (Portafolio), before revisions; the file sums to
# 3,696.2 M (PROVENANCE.md)
JANUARY_TOTAL_MILLIONS = "3,696.2"


def real_files() -> list[Path]:
    files = sorted(REAL.glob("2023-0*.csv")) if REAL.is_dir() else []
    if len(files) != 6:
        pytest.skip("the real DANE files of shared/realdata/hunt1 are absent")
    return files


def real(month: int) -> Path:
    return real_files()[month - 1]


def table(path: Path):
    import pandas as pd

    return pd.read_csv(path, dtype=str, keep_default_na=False)


def direct_sums(frame) -> dict[str, int]:
    """Exports per partner straight from the file with pandas: COD_PAI4 names the partner,
    XCF the free-trade zones, COL the national territory (pa-trade's XTN); cents kept."""
    partner = frame["COD_PAI4"].replace({"COL": "XTN"})
    cents = (frame["FOBDOL"].astype(float) * 100).round().astype("int64")
    sums = cents.groupby(partner).sum().to_dict()
    sums["WLD"] = int(cents.sum())
    return sums


def loaded_sums(flows) -> dict[str, int]:
    cents = (flows["value_usd"] * 100).round().astype("int64")
    return cents.groupby(flows["partner"]).sum().to_dict()


@pytest.mark.parametrize("month", list(MONTHS))
def test_each_real_month_reads_whole_with_its_world_row(run, month):
    path = real(month)
    loaded = readers.load([str(path)], strict=True, use_cache=False)
    assert loaded_sums(loaded.flows) == direct_sums(table(path))
    result = run("balance", "colombia", "-d", str(path), "--strict")
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    assert "Colombian free-trade zones" in out and "National territory (Colombia)" in out
    assert f"trade balance by partner, {MONTHS_EN[month]} 2023" in out.splitlines()[0]
    if month == 1:
        world = next(line for line in out.splitlines() if line.startswith("World"))
        assert JANUARY_TOTAL_MILLIONS in world


MONTHS_EN = {1: "January", 2: "February", 3: "March", 4: "April", 5: "May", 6: "June"}


def test_six_real_months_are_never_shown_as_a_full_year(run):
    folder = str(real_files()[0].parent)
    people = run("balance", "colombia", "-d", folder, "-q").stdout
    assert people.splitlines()[0] == "Colombia: trade balance by partner, January–June 2023"
    markdown = run("balance", "colombia", "-d", folder, "-q", "-f", "markdown").stdout
    assert "January–June 2023" in markdown.splitlines()[0]
    import csv

    for fmt, sep in (("csv", ","), ("tsv", "\t")):
        out = run("balance", "colombia", "-d", folder, "-q", "-f", fmt).stdout
        assert {row["months"] for row in csv.DictReader(io.StringIO(out), delimiter=sep)} == {
            "1-6"}
    records = json.loads(run("balance", "colombia", "-d", folder, "-q", "-f", "json").stdout)
    assert {r["months"] for r in records} == {"1-6"}


def test_months_narrow_the_real_year_to_the_months_asked(run):
    folder = str(real_files()[0].parent)
    first_quarter = run("balance", "colombia", "-d", folder, "-q", "-f", "csv", "--totals",
                        "--months", "1-3").stdout
    world = next(line for line in first_quarter.splitlines() if line.startswith("COL,WLD,"))
    expected = sum(direct_sums(table(real(m)))["WLD"] for m in (1, 2, 3))
    cells = world.split(",")
    assert cells[4] == "1-3" and round(float(cells[5]) * 100) == expected


@pytest.fixture(scope="module")
def yearly_zip(tmp_path_factory) -> Path:
    """Expo_2023.zip as DANE ships it: one ZIP per month with csv, dta and sav; February's
    CSV with FOBDOL and PNK empty (as 26 of 67 months of 2021-2026), its .dta with values."""
    import pandas as pd
    import pyreadstat

    files = real_files()
    folder = tmp_path_factory.mktemp("zips")
    path = folder / "Expo_2023.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as outer:
        for month, file in zip(MONTHS, files, strict=True):
            name = MONTHS[month]
            text = table(file)
            numbers = text.copy()
            # as DANE's .dta holds them: codes and amounts as numbers, a few codes as text
            for column in numbers.columns:
                if column not in ("COD_PAI4", "COD_SAL", "POSAR", "CODUNI2"):
                    numbers[column] = pd.to_numeric(numbers[column], errors="coerce")
            stata = io.BytesIO()
            numbers.to_stata(stata, write_index=False, version=118)
            spss = folder / f"{name}.sav"
            pyreadstat.write_sav(numbers, str(spss))
            raw = file.read_bytes()
            if month == 2:
                text["FOBDOL"] = ""
                text["PNK"] = ""
                raw = text.to_csv(index=False, lineterminator="\r\n").encode("ascii")
            inner = io.BytesIO()
            with zipfile.ZipFile(inner, "w", zipfile.ZIP_DEFLATED) as monthly:
                monthly.writestr(f"{name}.csv", raw)
                monthly.writestr(f"{name}.dta", stata.getvalue())
                monthly.writestr(f"{name}.sav", spss.read_bytes())
            outer.writestr(f"{month:02d}. {name} 2023.zip", inner.getvalue())
    return path


def test_the_yearly_zip_gives_every_partner_exactly(yearly_zip, run):
    import pandas as pd

    loaded = readers.load([str(yearly_zip)], strict=True, use_cache=False)
    whole = pd.concat([table(f) for f in real_files()])
    assert loaded_sums(loaded.flows) == direct_sums(whole)
    read = sorted(r.file.rsplit(" › ", 1)[-1] for r in loaded.reports)
    assert read == ["Abril.csv", "Enero.csv", "Febrero.dta", "Junio.csv", "Marzo.csv",
                    "Mayo.csv"]
    result = run("balance", "colombia", "-d", str(yearly_zip), "-p", "mexico", "-f", "csv")
    assert result.exit_code == 0 and "Febrero.csv, the same month in CSV, has no FOBDOL" in (
        result.stderr)


def test_the_zip_and_its_cache_give_the_same_answer(yearly_zip, monkeypatch):
    from pa_trade.readers import cache

    cold = readers.load([str(yearly_zip)])
    assert len(list(cache.folder().glob("*.parquet"))) >= 5  # the members over 1 MB
    parsed = []
    real_read = readers.read_input
    monkeypatch.setattr(readers, "read_input",
                        lambda item, *a, **k: parsed.append(item.name) or real_read(item, *a,
                                                                                    **k))
    warm = readers.load([str(yearly_zip)])
    assert loaded_sums(cold.flows) == loaded_sums(warm.flows)
    assert parsed == []  # every member (over the cache's 1 MB floor) came from the cache


def test_sav_and_dta_alone_read_like_the_csv(yearly_zip, tmp_path):
    with zipfile.ZipFile(yearly_zip) as outer, zipfile.ZipFile(
            io.BytesIO(outer.read("03. Marzo 2023.zip"))) as inner:
        for member in ("Marzo.dta", "Marzo.sav"):
            (tmp_path / member).write_bytes(inner.read(member))
    expected = direct_sums(table(real(3)))
    for member in ("Marzo.dta", "Marzo.sav"):
        loaded = readers.load([str(tmp_path / member)], strict=True, use_cache=False)
        assert loaded_sums(loaded.flows) == expected, member
        assert loaded.reports[0].position == "row"


def iso_rewrite(frame, alpha: bool):
    """The month as the 2025 releases write it: PAIS in ISO 3166 numeric (free-trade zones
    keep DIAN's codes, which no ISO code uses), with or without COD_PAI4."""
    from pa_trade.reference import countries

    iso = {code: f"{number:03d}" for number, code in countries._tables().iso_numeric.items()}
    out = frame.copy()
    out["PAIS"] = [pais if a == "XCF" else iso[a] for pais, a in zip(
        frame["PAIS"], frame["COD_PAI4"], strict=True)]
    return out if alpha else out.drop(columns="COD_PAI4")


@pytest.mark.parametrize("alpha", [True, False], ids=["with COD_PAI4", "without COD_PAI4"])
def test_a_real_month_rewritten_with_iso_codes_gives_every_partner(tmp_path, alpha):
    original = table(real(1))
    path = tmp_path / "Enero_iso.csv"
    iso_rewrite(original, alpha).to_csv(path, index=False)
    loaded = readers.load([str(path)], strict=True, use_cache=False)
    assert loaded_sums(loaded.flows) == direct_sums(original)
    assert loaded.reports[0].country_codes == "iso"
    # forcing DIAN's codes, which the codes contradict, is refused: a guess would send the
    # Netherlands' exports to Nigeria
    from pa_trade.errors import DataError

    with pytest.raises(DataError, match="--country-codes dian contradicts the file's own codes"):
        readers.load([str(path)], use_cache=False, codes="dian")


def test_padded_numbers_and_dash_zeros_read_to_the_cent(tmp_path):
    original = table(real(4))

    def padded(text: str) -> str:
        value = float(text)
        if value == 0:
            return " -   "
        whole, cents = f"{value:,.2f}".split(".")
        return f" {whole.replace(',', '.')},{cents} "

    out = original.copy()
    for column in ("FOBDOL", "FOBPES", "PBK", "CANTI", "AGRENA", "FLETES"):
        out[column] = [padded(v) if v not in ("", "-") else v for v in original[column]]
    path = tmp_path / "Abril_padded.csv"
    out.to_csv(path, index=False, sep=";")
    loaded = readers.load([str(path)], strict=True, use_cache=False)
    assert loaded_sums(loaded.flows) == direct_sums(original)
    zeros = int((original["FOBDOL"].astype(float) == 0).sum())
    notes = " ".join(loaded.reports[0].notes)
    if zeros:
        assert f"{zeros:,} row{'s' if zeros > 1 else ''} with FOBDOL written '-'" in notes
    assert loaded.reports[0].number_style == "spanish"


def test_three_digit_dates_of_old_releases(tmp_path):
    original = table(real(5))
    out = original.copy()
    out["FECH"] = "305"  # YMM: May 2003, as releases of 2000-2009 write it
    out.columns = [c.lower() for c in out.columns]
    path = tmp_path / "Mayo_2003.csv"
    out.to_csv(path, index=False)
    loaded = readers.load([str(path)], strict=True, use_cache=False)
    assert set(zip(loaded.flows["year"], loaded.flows["month"], strict=True)) == {(2003, 5)}
    assert loaded_sums(loaded.flows) == direct_sums(original)


@pytest.mark.parametrize("command", [["mirror", "colombia", "mexico"],
                                     ["trend", "colombia", "-p", "mexico"],
                                     ["matrix", "--year", "2023"],
                                     ["products", "colombia", "-p", "mexico", "--level",
                                      "section"]])
def test_no_command_shows_six_real_months_as_a_year(run, command):
    import csv

    folder = str(real_files()[0].parent)
    people = run(*command, "-d", folder, "-q")
    assert people.exit_code == 0, people.stderr
    assert "January–June 2023" in people.stdout.splitlines()[0]
    machine = run(*command, "-d", folder, "-q", "-f", "csv").stdout
    months = {row["months"] for row in csv.DictReader(io.StringIO(machine))} - {""}
    assert months == {"1-6"}
    records = json.loads(run(*command, "-d", folder, "-q", "-f", "json").stdout)
    found = records if isinstance(records, list) else next(iter(records.values()))
    assert {r["months"] for r in found if r.get("months")} == {"1-6"}
