"""INEGI's BCMM by-country open data (layout inegi-bcmm): the real monthly excerpt and the
annual avocado subset read to the dollar against a direct pandas computation, and the
project's fixtures in the same layouts."""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal
from pathlib import Path

import pytest

from tests.conftest import FIXTURES, ROOT

REAL = ROOT.parent / "shared" / "realdata" / "hunt2" / "mexico"
MONTHLY = FIXTURES / "inegi" / "bcmm_paises_bien_mensual_2024_example.csv"
ANNUAL = FIXTURES / "inegi" / "bcmm_anual_0804_example.csv"
# INEGI's codes that are not ISO's, as the test reads them (independent of data/)
NOT_ISO = {"ZYA": "NLD", "CUR": "CUW", "PTY": "PCZ", "EMU": "XIU", "YUG": "XIY"}
CONTINENTS = {"C01": "XAM", "C02": "XEE", "C03": "XAS", "C04": "XAF", "C05": "XOC"}
REGIONS = {"R01": "XNA", "R02": "XCA", "R03": "XIB", "R04": "XSA", "R05": "XIS",
           "R06": "XIA", "R07": "XIO", "R09": "XEU"}


def real(name: str) -> Path:
    path = REAL / name
    if not path.exists():
        pytest.skip("the real INEGI files (../shared/realdata/hunt2) are absent")
    return path


def flows_of(result, with_month: bool = True) -> dict[str, str]:
    """{'export,COL,2026,1': '221581000.00'} from `flows -f csv` output."""
    out: dict[str, Decimal] = {}
    for r in csv.DictReader(io.StringIO(result.stdout)):
        assert r["reporter"] == "MEX"
        when = r.get("month") or r.get("months") or ""
        key = f"{r['flow']},{r['partner']},{r['year']},{when if with_month else ''}"
        out[key] = out.get(key, Decimal(0)) + Decimal(r["value_usd"])
    return {k: f"{v:.2f}" for k, v in out.items()}


def test_the_real_monthly_excerpt_gives_the_direct_sums_per_partner_and_month(run):
    import pandas as pd

    path = real("inegi_bcmm_paises_bien_mensual_2026_head_excerpt.csv")
    result = run("flows", "-d", str(path), "-f", "csv", "--no-cache")
    assert result.exit_code == 0, result.stderr
    table = pd.read_csv(path, dtype=str, keep_default_na=False)
    table = table[table["VAL_USD"] != ""]

    def partner(row) -> str:
        if row["PAIS_O_D"]:
            return NOT_ISO.get(row["PAIS_O_D"], row["PAIS_O_D"])
        if row["CLAVE_REGION"]:
            return REGIONS[row["CLAVE_REGION"]]
        return CONTINENTS.get(row["CLAVE_CONTINENTE"], "WLD")

    table = table.assign(partner=table.apply(partner, axis=1),
                         dollars=table["VAL_USD"].map(lambda v: Decimal(v) * 1000),
                         flow=table["TIPO"].map({"Exportaciones": "export",
                                                 "Importaciones": "import"}))
    direct = {f"{f},{p},{y},{m}": f"{sum(group['dollars']):.2f}" for (f, p, y, m), group in
              table.groupby(["flow", "partner", "ANIO", "MES"])}
    assert flows_of(result) == direct
    assert direct["export,COL,2026,1"] == "221581000.00"
    assert direct["export,WLD,2026,1"] == "10286678000.00"
    err = result.stderr
    assert "3 cells are confidential" in err and "AIA exports January 2026" in err
    assert "only some types of good" in err and "Consumo" in err
    assert "Cifras Revisadas" in result.stdout


def test_the_real_annual_subset_is_read_at_one_tariff_level(run):
    import pandas as pd

    path = real("inegi_bcmm_anual_aguacate_0804_por_pais_2003_2023_subset.csv")
    result = run("flows", "-d", str(path), "-f", "csv", "--no-cache")
    assert result.exit_code == 0, result.stderr
    table = pd.read_csv(path, dtype=str, keep_default_na=False)
    # the subheading (80440) is in every year: the coarsest level, read alone
    coarse = table[(table["TARIFA"] == "80440") & (table["VAL_USD"] != "")]
    months = {"01-12": "", "01-06": "1-6", "07-12": "7-12"}
    direct = {}
    for (f, p, y, m), group in coarse.groupby(["TIPO", "PAIS_O_D", "ANIO", "MES"]):
        flow = {"Exportaciones": "export", "Importaciones": "import"}[f]
        key = f"{flow},{NOT_ISO.get(p, p) or 'WLD'},{y},{months[m]}"
        direct[key] = f"{sum(Decimal(v) for v in group['VAL_USD']):.2f}"
    assert flows_of(result) == direct
    # 2021: the whole of exports to the United States, not the NICO level's part of it
    assert direct["export,USA,2021,"] == "2529470734.00"
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert {r["hs_code"] for r in rows} == {"080440"}
    assert "[nested-code]" in result.stderr and "TARIFA 08044001 inside 080440" in result.stderr
    assert "Cifras Ajustadas" in result.stdout and "Cifras Definitivas" in result.stdout


def test_balance_mexico_reads_the_real_excerpt(run):
    path = real("inegi_bcmm_paises_bien_mensual_2026_head_excerpt.csv")
    result = run("balance", "mexico", "-d", str(path), "--no-cache", "-q", "-f", "csv")
    assert result.exit_code == 0, result.stderr
    rows = {r["partner"]: r for r in csv.DictReader(io.StringIO(result.stdout))}
    assert rows["COL"]["exports_usd"] == "221581000"
    for reporter in ("colombia", "chile", "peru"):
        other = run("balance", reporter, "-d", str(path), "--no-cache", "-q")
        assert other.exit_code == 1 and "cover Mexico" in other.stderr


def test_the_fixtures_read_every_figure_to_the_cent(run):
    expected = json.loads((FIXTURES / "inegi" / "expected.json").read_text(encoding="utf-8"))
    monthly = run("flows", "-d", str(MONTHLY), "-f", "csv", "--no-cache")
    assert monthly.exit_code == 0, monthly.stderr
    assert flows_of(monthly) == {k: f"{Decimal(v):.2f}" for k, v in
                                 expected[MONTHLY.name].items()}
    annual = run("flows", "-d", str(ANNUAL), "-f", "csv", "--no-cache")
    assert annual.exit_code == 0, annual.stderr
    assert flows_of(annual) == {k: f"{Decimal(v):.2f}" for k, v in
                                expected[ANNUAL.name].items()}


def test_the_fixtures_account_for_every_row(run):
    monthly = run("flows", "-d", str(MONTHLY), "--no-cache")
    assert "2 cells are confidential" in monthly.stderr
    assert "CUW exports February 2024" in monthly.stderr
    annual = run("flows", "-d", str(ANNUAL), "--no-cache")
    err = annual.stderr
    assert "set aside 7 rows [nested-code]" in err
    assert "1 row [missing-value]" in err and "BLZ exports 2021" in err
    strict = run("flows", "-d", str(ANNUAL), "--no-cache", "--strict")
    assert strict.exit_code == 1


def test_pseudo_codes_are_inegis_own(run):
    result = run("flows", "-d", str(MONTHLY), "-f", "csv", "--no-cache", "-q")
    partners = {r["partner"] for r in csv.DictReader(io.StringIO(result.stdout))}
    assert {"NLD", "CUW", "XIU", "XIY", "ZZZ", "WLD", "XAM", "XEU"} <= partners
    assert not {"ZYA", "YUG", "EMU", "CUR"} & partners


def test_a_file_that_does_not_say_it_is_mexicos_is_refused(run, tmp_path):
    text = MONTHLY.read_text(encoding="utf-8").replace("de México", "de Atlantis")
    other = tmp_path / "other.csv"
    other.write_text(text, encoding="utf-8")
    result = run("flows", "-d", str(other), "--no-cache")
    assert result.exit_code == 1 and "does not name Mexico" in result.stderr
    header, *rows = ANNUAL.read_text(encoding="ascii").splitlines()
    cut = tmp_path / "no_pesos.csv"
    cut.write_text("\n".join(",".join(c for i, c in enumerate(line.split(",")) if i != 7)
                             for line in [header, *rows]) + "\n", encoding="ascii")
    result = run("flows", "-d", str(cut), "--no-cache")
    assert result.exit_code == 1 and "cannot tell whose trade" in result.stderr


def test_the_generator_writes_the_same_bytes(tmp_path, monkeypatch):
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "make_mexico_chile_fixtures", FIXTURES / "make_mexico_chile_fixtures.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    monkeypatch.setattr(module, "HERE", tmp_path)
    module.main()
    for folder in ("inegi", "aduanas"):
        for made in (tmp_path / folder).iterdir():
            assert made.read_bytes() == (FIXTURES / folder / made.name).read_bytes(), made.name
