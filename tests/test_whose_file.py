"""No file of one member comes out as another's (issue 14): every layout forced on every
member's file is refused in one line, or reads the file as its own reporter's."""

from __future__ import annotations

import csv
import io

import pytest

from pa_trade.cli.common import LAYOUT_NAMES
from tests.conftest import FIXTURES

# a file of each member's office (committed fixtures in the offices' layouts) -> its reporter
FILES = {
    "dane_cuadro_expo_millones_fob_latin1_crlf.csv": "COL",
    "dane_expo_yymm_latin1_semicolon.csv": "COL",
    "mexico_se_balanza_miles_utf8bom_comma.csv": "MEX",
    "inegi/bcmm_paises_bien_mensual_2024_example.csv": "MEX",
    "sunat/cdro_G6_example.xlsx": "PER",
    "aduanas/salidas_2024_example.csv": "CHL",
    "imf/imts_example.csv": "COL",
}


@pytest.mark.parametrize("name", list(FILES))
@pytest.mark.parametrize("layout", LAYOUT_NAMES)
def test_a_forced_layout_is_refused_or_reads_the_files_own_reporter(run, name, layout):
    result = run("flows", "-d", str(FIXTURES / name), "--layout", layout, "--no-cache", "-q")
    assert "internal error" not in result.stderr
    if result.exit_code != 0:
        assert result.exit_code in (1, 2, 3), result.stderr
        assert result.stderr.count("\n") == 1 and "error:" in result.stderr
        return
    reporters = {r["reporter"] for r in csv.DictReader(io.StringIO(result.stdout))}
    assert reporters <= {FILES[name]}, (layout, reporters)


@pytest.mark.parametrize("name", [n for n in FILES if not n.endswith(".xlsx")])
def test_each_file_detected_reads_as_its_reporters(run, name):
    result = run("flows", "-d", str(FIXTURES / name), "--no-cache", "-q")
    assert result.exit_code == 0, result.stderr
    reporters = {r["reporter"] for r in csv.DictReader(io.StringIO(result.stdout))}
    assert reporters == {FILES[name]}
