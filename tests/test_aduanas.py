"""Chile's Aduanas declarations (layouts aduanas-salidas, aduanas-ingresos): the real
Salidas excerpt read to the cent against a direct sum of its export operations, the
project's fixtures in both layouts, and mirror against INEGI's figures."""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal
from pathlib import Path

import pytest

from tests.conftest import FIXTURES, ROOT

REAL = ROOT.parent / "shared" / "realdata" / "hunt2" / "chile"
SALIDAS = FIXTURES / "aduanas" / "salidas_2024_example.csv"
INGRESOS = FIXTURES / "aduanas" / "ingresos2024_example.csv"
INEGI = FIXTURES / "inegi" / "bcmm_paises_bien_mensual_2024_example.csv"
EXPORTS = {*range(200, 208), *range(210, 214), 216}
# Aduanas' codes of the excerpt, as documented (PROVENANCE.md; paises_comercio.json)
CODES = {"202": "COL", "218": "ECU", "219": "PER", "220": "BRA", "221": "BOL", "336": "CHN",
         "528": "POL"}


def real(name: str) -> Path:
    path = REAL / name
    if not path.exists():
        pytest.skip("the real Aduanas files (../shared/realdata/hunt2) are absent")
    return path


def flows_of(result) -> dict[str, str]:
    """{'export,COL,2026,1': '43953.87'}, summed over tariff codes, from `flows -f csv`."""
    out: dict[str, Decimal] = {}
    for r in csv.DictReader(io.StringIO(result.stdout)):
        assert r["reporter"] == "CHL"
        key = f"{r['flow']},{r['partner']},{r['year']},{r['month']}"
        out[key] = out.get(key, Decimal(0)) + Decimal(r["value_usd"])
    return {k: f"{v:.2f}" for k, v in out.items()}


def test_the_real_salidas_give_the_direct_sums_of_export_operations(run):
    import pandas as pd

    path = real("aduanas_salidas_2026_head_excerpt.csv")
    result = run("flows", "-d", str(path), "-f", "csv", "--no-cache")
    assert result.exit_code == 0, result.stderr
    table = pd.read_csv(path, sep=";", dtype=str)
    table = table[table["COD_TIPO_OPERACION"].astype(int).isin(EXPORTS)]
    value = table["FOBUS_AJUSTADO_IVV"].map(lambda v: Decimal(v.replace(",", ".")))
    direct = {f"export,{CODES[code]},{y},{m}": f"{sum(group):.2f}" for (code, y, m), group in
              value.groupby([table["COD_PAIS_DESTINO"], table["PERIODO"], table["MES"]])}
    assert flows_of(result) == direct
    assert direct["export,BRA,2026,1"] == "4440408.92"
    # 528 is Poland in Aduanas' table (the Netherlands in ISO), 336 China (ISO: the Vatican)
    assert "export,POL,2026,1" in direct and "export,CHN,2026,1" in direct
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert "02071430" in {r["hs_code"] for r in rows}  # the tariff as text, leading zero
    assert "differs from FOB_US_DUSLEG, by US$ 11,232" in result.stderr


def test_balance_chile_reads_the_real_salidas_and_nobody_else_does(run):
    path = real("aduanas_salidas_2026_head_excerpt.csv")
    result = run("balance", "chile", "-d", str(path), "--no-cache", "-q", "-f", "csv")
    assert result.exit_code == 0, result.stderr
    rows = {r["partner"]: r for r in csv.DictReader(io.StringIO(result.stdout))}
    assert rows["PER"]["exports_usd"] == "3422999.15"  # 16200 legalised, 27432 adjusted
    for reporter in ("colombia", "mexico"):
        other = run("balance", reporter, "-d", str(path), "--no-cache", "-q")
        assert other.exit_code == 1 and "cover Chile" in other.stderr


def test_the_fixtures_read_every_figure_to_the_cent(run):
    expected = json.loads((FIXTURES / "aduanas" / "expected.json").read_text(encoding="utf-8"))
    for path in (SALIDAS, INGRESOS):
        result = run("flows", "-d", str(path), "-f", "csv", "--no-cache")
        assert result.exit_code == 0, result.stderr
        assert flows_of(result) == {k: f"{Decimal(v):.2f}" for k, v in
                                    expected[path.name].items()}


def test_the_fixtures_account_for_every_row(run):
    err = run("flows", "-d", str(SALIDAS), "--no-cache").stderr
    assert "set aside 23 rows [other-operation]" in err
    assert "COD_TIPO_OPERACION 227 (1), 235 (22)" in err
    assert "[reporter-is-partner]" in err and "COD_PAIS_DESTINO 997 (Chile)" in err
    assert "[unknown-country]" in err and "'888' is not in Aduanas' table" in err
    err = run("flows", "-d", str(INGRESOS), "--no-cache").stderr
    assert "set aside 16 rows [other-operation]" in err


def test_the_header_less_registro_is_refused(run):
    result = run("flows", "-d", str(FIXTURES / "aduanas" /
                                     "error_registro_dus_sin_encabezado.txt"), "--no-cache")
    assert result.exit_code == 1
    assert "no header and 84 fields" in result.stderr and "field order" in result.stderr


def test_mirror_pairs_chile_with_mexico(run):
    args = [a for p in (INEGI, SALIDAS, INGRESOS) for a in ("-d", str(p))]
    result = run("mirror", "chile", "mexico", *args, "--no-cache", "-q", "-f", "csv")
    assert result.exit_code == 0, result.stderr
    rows = {(r["exporter"], r["importer"]): r for r in csv.DictReader(io.StringIO(result.stdout))}
    inegi = json.loads((FIXTURES / "inegi" / "expected.json").read_text(encoding="utf-8"))
    chile = json.loads((FIXTURES / "aduanas" / "expected.json").read_text(encoding="utf-8"))
    monthly = inegi[INEGI.name]

    def both(table: dict, flow: str, partner: str) -> Decimal:
        return sum(Decimal(table[f"{flow},{partner},2024,{m}"]) for m in (1, 2))

    cl_mx = rows[("CHL", "MEX")]
    assert Decimal(cl_mx["exports_reported_usd"]) == both(chile[SALIDAS.name], "export", "MEX")
    assert Decimal(cl_mx["imports_reported_usd"]) == both(monthly, "import", "CHL")
    mx_cl = rows[("MEX", "CHL")]
    assert Decimal(mx_cl["exports_reported_usd"]) == both(monthly, "export", "CHL")
    assert Decimal(mx_cl["imports_reported_usd"]) == both(chile[INGRESOS.name], "import", "MEX")
    assert mx_cl["imports_valuation"] == "CIF"
