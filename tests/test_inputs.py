"""How paths become inputs: archives read in place (ZIP, nested ZIP, gzip, from standard
input too), members named through their archives, the junk archives carry left out, damaged
archives refused in one line, and the cache of parsed files for archive members."""

from __future__ import annotations

import gzip
import io
import os
import zipfile

import pytest

from pa_trade import readers
from pa_trade.errors import InputError
from pa_trade.readers import cache
from tests.conftest import FIXTURES
from tests.test_readers import sums

EXPO = FIXTURES / "dane_expo_yymm_latin1_semicolon.csv"
IMPO = FIXTURES / "dane_impo_yymm_latin1_semicolon.csv"


def make_zip(path, members: dict[str, bytes]):
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            info = zipfile.ZipInfo(name, date_time=(2023, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data)
    return path


def test_a_gzip_file_reads_like_the_file(tmp_path):
    path = tmp_path / "Enero.csv.gz"
    path.write_bytes(gzip.compress(EXPO.read_bytes()))
    loaded = readers.load([str(path)], use_cache=False)
    assert sums(loaded.flows) == sums(readers.load([str(EXPO)], use_cache=False).flows)
    assert loaded.reports[0].file == str(path)


def test_members_are_named_through_their_archives(tmp_path):
    inner = io.BytesIO()
    make_zip(inner, {"Enero.csv": EXPO.read_bytes()})
    path = make_zip(tmp_path / "Expo_2022.zip", {
        "01. Enero 2022.zip": inner.getvalue(),
        "importaciones/impo.csv.gz": gzip.compress(IMPO.read_bytes()),
        "__MACOSX/._Enero.csv": b"\x00\x05\x16\x07junk",
        ".DS_Store": b"\x00\x00\x00\x01Bud1",
        "Diccionario de datos.pdf": b"%PDF-1.4",
    })
    loaded = readers.load([str(path)], use_cache=False)
    names = sorted(r.file for r in loaded.reports)
    assert names == [f"{path} › 01. Enero 2022.zip › Enero.csv",
                     f"{path} › importaciones/impo.csv.gz"]
    assert loaded.skipped_files == [
        f"{path} › Diccionario de datos.pdf: not a data file (no known layout)"]
    assert any("Enero.csv)" in s for s in loaded.flows["source"].unique())
    assert sums(loaded.flows) == sums(readers.load([str(EXPO), str(IMPO)],
                                                   use_cache=False).flows)


def test_member_names_written_by_spanish_windows_keep_their_accents(tmp_path):
    path = make_zip(tmp_path / "exportación.zip", {"Exportaci_n enero.csv": EXPO.read_bytes()})
    # as a Spanish Windows writes names: in its own code page, without the UTF-8 flag
    path.write_bytes(path.read_bytes().replace(b"Exportaci_n", "Exportación".encode("cp1252")))
    loaded = readers.load([str(path)], use_cache=False)
    assert loaded.reports[0].file.endswith(" › Exportación enero.csv")


def test_a_zip_in_a_folder_is_a_data_file_like_the_csvs(tmp_path):
    make_zip(tmp_path / "expo.zip", {"expo.csv": EXPO.read_bytes()})
    (tmp_path / "impo.csv").write_bytes(IMPO.read_bytes())
    (tmp_path / "notas.txt").write_text("Descargado de microdatos.dane.gov.co\n",
                                        encoding="utf-8")
    loaded = readers.load([str(tmp_path)], use_cache=False)
    assert len(loaded.reports) == 2
    assert len(loaded.skipped_files) == 1 and "notas.txt" in loaded.skipped_files[0]


def test_standard_input_may_be_a_zip(run):
    data = io.BytesIO()
    make_zip(data, {"expo.csv": EXPO.read_bytes()})
    piped = run("balance", "colombia", "-d", "-", "-f", "csv", "-q", input=data.getvalue())
    direct = run("balance", "colombia", "-d", str(EXPO), "-f", "csv", "-q")
    assert piped.exit_code == 0, piped.stderr

    def figures(text: str) -> list[list[str]]:
        import csv

        return [row[:-1] for row in csv.reader(io.StringIO(text))]  # all but the sources

    assert figures(piped.stdout) == figures(direct.stdout)
    assert "<stdin> › expo.csv" in piped.stdout


@pytest.mark.parametrize("damage", ["truncated", "bad member", "not a zip"])
def test_a_damaged_archive_is_one_line_and_exit_1(run, tmp_path, damage):
    path = make_zip(tmp_path / "expo.zip", {"expo.csv": EXPO.read_bytes() * 20})
    data = bytearray(path.read_bytes())
    if damage == "truncated":
        data = data[: len(data) // 2]
    elif damage == "bad member":
        data[60:90] = b"\xff" * 30  # inside the compressed member
    else:
        data = bytearray(b"this is no archive\n")
    path.write_bytes(bytes(data))
    result = run("balance", "colombia", "-d", str(path))
    assert result.exit_code == 1, result.stderr
    (line,) = [x for x in result.stderr.splitlines() if x.startswith("pa-trade: error")]
    assert str(path) in line and "Traceback" not in result.stderr


def test_an_archive_without_data_files_says_what_it_holds(tmp_path):
    path = make_zip(tmp_path / "docs.zip", {"Ficha metodológica.pdf": b"%PDF-1.4"})
    with pytest.raises(InputError, match=r"holds no data file.*Ficha metodológica\.pdf"):
        readers.load([str(path)])


def test_archive_members_are_cached_and_a_changed_archive_misses(tmp_path, monkeypatch):
    lines = EXPO.read_text(encoding="latin-1").splitlines()
    big = "\n".join([lines[0]] + lines[1:] * 1500) + "\n"
    assert len(big) > cache.MIN_BYTES
    path = make_zip(tmp_path / "expo.zip", {"expo.csv": big.encode("latin-1")})
    first = readers.load([str(path)])
    assert len(list(cache.folder().glob("*.parquet"))) == 1
    def no_parsing(*_args, **_kwargs):
        raise AssertionError("the member was parsed again instead of read from the cache")

    with monkeypatch.context() as patch:
        patch.setattr(readers, "read_input", no_parsing)
        again = readers.load([str(path)])
    assert sums(again.flows) == sums(first.flows)
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    readers.load([str(path)])
    assert len(list(cache.folder().glob("*.parquet"))) == 2  # the archive changed: read again


def test_standard_input_may_be_an_excel_workbook(run):
    workbook = FIXTURES / "anexos" / "anex-EXPORTACIONES-jun2023.xlsx"
    piped = run("balance", "colombia", "-d", "-", "-f", "csv", "-q",
                input=workbook.read_bytes())
    direct = run("balance", "colombia", "-d", str(workbook), "-f", "csv", "-q")
    assert piped.exit_code == 0, piped.stderr
    assert len(piped.stdout.splitlines()) == len(direct.stdout.splitlines()) > 10
