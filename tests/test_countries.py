"""Country resolution: names, ISO / DIAN / Comtrade codes, aggregates and blocs."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pa_trade.errors import UnknownCountry, UsageError
from pa_trade.reference import countries
from pa_trade.reference.countries import Bloc, lookup, resolve

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = ROOT.parent / "shared" / "reference"  # ../shared/reference from the project root


def reference_rows(name: str) -> list[dict[str, str]]:
    path = REFERENCE / name
    if not path.exists():
        pytest.skip(f"shared reference file {name} is absent")
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture
def no_user_blocs(monkeypatch):
    """Blocs added by a test stay in that test."""
    monkeypatch.setattr(countries, "_user_blocs", {})
    monkeypatch.setattr(countries, "_user_order", [])


# --- normalize -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Corea, República de", "corea republica de"),
        ("MÉXICO", "mexico"),
        ("EE.UU.", "ee uu"),
        ("  Côte d'Ivoire ", "cote d ivoire"),
        ("Guinea-Bissau", "guinea bissau"),
        ('"Perú"  (p)', "peru p"),
        ("", ""),
    ],
)
def test_normalize(text, expected):
    assert countries.normalize(text) == expected


def test_normalize_is_idempotent():
    for text in ("Corea, República de", "ESTADOS UNIDOS (USA)", "São Tomé / Príncipe"):
        once = countries.normalize(text)
        assert countries.normalize(once) == once


@given(st.text(alphabet=st.characters(max_codepoint=127), max_size=30))
def test_plain_names_fold_as_accented_ones_do(text):
    # ASCII names take a shortcut; an accent sends the same name down the general path
    assert countries.normalize(text + "\u00e9") == countries.normalize(text + "e")
    assert countries.normalize("\u00c9" + text) == countries.normalize("E" + text)


# --- names ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("MÉXICO", "MEX"),
        ("Mexico", "MEX"),
        ("mexico", "MEX"),
        ("México", "MEX"),
        ("Perú", "PER"),
        ("PERU", "PER"),
        ("peru", "PER"),
        ("Chile", "CHL"),
        ("COLOMBIA", "COL"),
        ("Corea del Sur", "KOR"),
        ("Corea, República de", "KOR"),
        ("COREA (SUR), REPUBLICA DE", "KOR"),
        ("Republic of Korea", "KOR"),
        ("South Korea", "KOR"),
        ("Corea del Norte", "PRK"),
        ("Estados Unidos de América", "USA"),
        ("Estados Unidos", "USA"),
        ("United States", "USA"),
        ("United States of America", "USA"),
        ("EE.UU.", "USA"),
        ("EEUU", "USA"),
        ("ESTADOS UNIDOS (USA)", "USA"),
        ("Reino Unido", "GBR"),
        ("Países Bajos", "NLD"),
        ("Holanda", "NLD"),
        ("China, República Popular de", "CHN"),
        ("Taiwán", "TWN"),
        ("Other Asia, nes", "TWN"),
        ("Rusia", "RUS"),
        ("Vietnam", "VNM"),
        ("Viet Nam", "VNM"),
        ("Irán", "IRN"),
        ("Venezuela", "VEN"),
        ("Bolivia", "BOL"),
        ("Japón", "JPN"),
        ("Alemania", "DEU"),
        ("Canadá", "CAN"),
        ("Emiratos Árabes Unidos", "ARE"),
        ("Hong Kong", "HKG"),
        ("Costa de Marfil", "CIV"),
        ("Kosovo", "XKX"),
    ],
)
def test_names_in_spanish_and_english(text, code):
    assert lookup(text) == code
    assert resolve(text) == code


def test_surrounding_whitespace_is_ignored():
    assert lookup("  Perú \t") == "PER"
    assert lookup(" 069 ", codes="dian") == "AUS"


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("Guinea", "GIN"),
        ("Guinea Ecuatorial", "GNQ"),
        ("Equatorial Guinea", "GNQ"),
        ("Guinea-Bissau", "GNB"),
        ("Papúa Nueva Guinea", "PNG"),
        ("Niger", "NER"),
        ("Nigeria", "NGA"),
        ("Dominica", "DMA"),
        ("Dominican Republic", "DOM"),
        ("República Dominicana", "DOM"),
        ("Sudán", "SDN"),
        ("Sudán del Sur", "SSD"),
        ("Congo", "COG"),
        ("República Democrática del Congo", "COD"),
        ("Samoa", "WSM"),
        ("Samoa Americana", "ASM"),
        ("Samoa Estadounidense", "ASM"),
    ],
)
def test_whole_names_never_match_a_neighbour(text, code):
    assert lookup(text) == code


@pytest.mark.parametrize(
    ("text", "suggested"),
    [
        ("New Mexico", "Mexico (MEX)"),
        ("Nuevo México", "Mexico (MEX)"),
        ("Perugia", "Peru (PER)"),
        ("Colomiba", "Colombia (COL)"),
    ],
)
def test_false_friends_raise_with_close_matches(text, suggested):
    assert lookup(text) is None
    with pytest.raises(UnknownCountry) as info:
        resolve(text)
    assert suggested in info.value.suggestions
    assert suggested in str(info.value)
    assert len(info.value.suggestions) <= 3


def test_korea_alone_is_the_republic_of_korea_as_in_trade_statistics():
    for text in ("Corea", "Korea", "KOREA"):
        assert resolve(text) == "KOR"
    assert resolve("Corea del Norte") == "PRK"
    assert resolve("North Korea") == "PRK"


def test_resolve_message_names_where():
    with pytest.raises(UnknownCountry, match=r"^cuadro\.csv, line 7: unknown country") as info:
        resolve("Atlantis", where="cuadro.csv, line 7")
    assert info.value.where == "cuadro.csv, line 7"
    assert info.value.text == "Atlantis"


def test_unknown_number_suggests_the_other_code_systems():
    with pytest.raises(UnknownCountry) as info:
        resolve("249")  # DIAN's USA, no ISO or Comtrade code
    assert any("United States (USA)" in s and "DIAN" in s for s in info.value.suggestions)


# --- ISO codes -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("MX", "MEX"),
        ("mx", "MEX"),
        ("MEX", "MEX"),
        ("mex", "MEX"),
        ("Pe", "PER"),
        ("us", "USA"),
        ("USA", "USA"),
        ("KR", "KOR"),
        ("484", "MEX"),
        ("032", "ARG"),
        ("32", "ARG"),
        ("040", "AUT"),
        ("iso:840", "USA"),
    ],
)
def test_iso_codes(text, code):
    assert lookup(text) == code


def test_can_is_canada_not_the_andean_community():
    assert lookup("CAN") == "CAN"
    assert lookup("Comunidad Andina") == "XAN"


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("842", "USA"),
        ("251", "FRA"),
        ("579", "NOR"),
        ("699", "IND"),
        ("757", "CHE"),
        ("490", "TWN"),
    ],
)
def test_iso_numbers_fall_back_to_comtrade(text, code):
    assert lookup(text) == code


# --- Comtrade ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("842", "USA"),
        ("840", "USA"),
        ("251", "FRA"),
        ("250", "FRA"),
        ("579", "NOR"),
        ("578", "NOR"),
        ("699", "IND"),
        ("356", "IND"),
        ("757", "CHE"),
        ("756", "CHE"),
        ("490", "TWN"),
        ("0", "WLD"),
        ("97", "XEU"),
        ("899", "XNS"),
        ("838", "XZF"),
        ("412", "XKX"),
    ],
)
def test_comtrade_codes(text, code):
    assert lookup(text, codes="comtrade") == code
    assert countries.comtrade_to_iso3(int(text)) == code
    assert countries.comtrade_to_iso3(text) == code


def test_comtrade_unknown_and_prefix():
    assert countries.comtrade_to_iso3(457) is None  # Sarawak: no ISO code
    assert countries.comtrade_to_iso3("x") is None
    assert lookup("comtrade:842", codes="dian") == "USA"
    assert lookup("COMTRADE: 0") == "WLD"


# --- DIAN ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("493", "MEX"),
        ("589", "PER"),
        ("211", "CHL"),
        ("169", "COL"),
        ("249", "USA"),
        ("190", "KOR"),
        ("069", "AUS"),
        ("69", "AUS"),
        ("040", "AGO"),
        ("40", "AGO"),
        ("579", "PSE"),
        ("897", "PSE"),
        ("999", "ZZZ"),
        ("885", "YUG"),
    ],
)
def test_dian_codes(text, code):
    assert lookup(text, codes="dian") == code
    assert lookup(f"dian:{text}") == code


def test_same_number_differs_by_code_system():
    assert lookup("040") == "AUT"
    assert lookup("040", codes="dian") == "AGO"
    assert lookup("579") == "NOR"
    assert lookup("579", codes="dian") == "PSE"
    assert lookup("iso:040", codes="dian") == "AUT"
    assert lookup("123", codes="dian") is None


def test_dian_to_iso3_maps_distinct_values_at_once():
    mapping = countries.dian_to_iso3(["069", "69", "493", "493", "999", "123", "", "nan", "249.0"])
    assert mapping == {
        "069": "AUS",
        "69": "AUS",
        "493": "MEX",
        "999": "ZZZ",
        "123": None,
        "": None,
        "nan": None,
        "249.0": "USA",
    }


def test_unknown_code_system_is_a_usage_error():
    with pytest.raises(UsageError):
        lookup("493", codes="dane")


# --- aggregates and kinds ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("Total", "WLD"),
        ("Total general", "WLD"),
        ("TOTAL", "WLD"),
        ("Mundo", "WLD"),
        ("World", "WLD"),
        ("AMÉRICA", "XAM"),
        ("ASIA", "XAS"),
        ("EUROPA", "XEE"),
        ("ÁFRICA", "XAF"),
        ("OCEANÍA", "XOC"),
        ("Comunidad Andina", "XAN"),
        ("Unión Europea", "XEU"),
        ("UE", "XEU"),
        ("Resto de países", "XOT"),
        ("Demás países", "XOT"),
        ("Demás", "XOT"),
        ("T-MEC", "XTL"),
        ("TLCAN", "XTL"),
        ("ALADI", "XAL"),
        ("Alianza del Pacífico", "XPA"),
    ],
)
def test_aggregate_rows(text, code):
    assert lookup(text) == code
    assert countries.is_aggregate(code)
    assert countries.is_aggregate(text)


def test_kinds():
    assert countries.kind("MEX") == "country"
    assert countries.kind("WLD") == "world"
    assert countries.kind("XOT") == "group"
    assert countries.kind("XZF") == "other"
    assert countries.kind("ZZZ") == "other"
    assert countries.kind("YUG") == "country"
    assert countries.kind("Unión Europea") == "group"
    for code in ("MEX", "XZF", "XNS", "ZZZ", "XBK"):
        assert not countries.is_aggregate(code)
    assert not countries.is_aggregate("Atlantis")
    with pytest.raises(UnknownCountry):
        countries.kind("Atlantis")


def test_aggregate_codes_are_no_real_iso3():
    pycountry = pytest.importorskip("pycountry")
    real = {c.alpha_3 for c in pycountry.countries} | {
        c.alpha_3 for c in pycountry.historic_countries
    }
    with (ROOT / "data" / "aggregates.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert rows
    for row in rows:
        assert row["code"] not in real
        assert row["kind"] in ("world", "group", "other", "domestic")


# --- display names -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "english", "spanish"),
    [
        ("KOR", "South Korea", "Corea del Sur"),
        ("USA", "United States", "Estados Unidos"),
        ("MEX", "Mexico", "México"),
        ("PER", "Peru", "Perú"),
        ("WLD", "World", "Mundo"),
        ("XEU", "European Union", "Unión Europea"),
    ],
)
def test_display_names(code, english, spanish):
    assert countries.name(code) == english
    assert countries.name(code, "es") == spanish
    assert countries.name(code.lower()) == english


def test_name_accepts_a_name_and_rejects_other_languages():
    assert countries.name("Corea, República de") == "South Korea"
    with pytest.raises(UsageError):
        countries.name("MEX", "fr")
    with pytest.raises(UnknownCountry):
        countries.name("Atlantis")


def test_every_display_name_resolves_back_to_its_code():
    codes = countries.all_codes() + ["WLD", "XEU", "XOT", "XZF", "ZZZ"]
    for code in codes:
        for lang in ("en", "es"):
            assert lookup(countries.name(code, lang)) == code, (code, lang)


def test_all_codes_are_countries_only():
    codes = countries.all_codes()
    assert {"CHL", "COL", "MEX", "PER", "USA", "KOR", "TWN"} <= set(codes)
    assert not {"WLD", "XOT", "XEU", "ZZZ"} & set(codes)
    assert codes == sorted(codes)
    assert len(codes) >= 249


# --- blocs ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "pa",
        "PA",
        "Pacific Alliance",
        "alianza del pacífico",
        "Alianza del Pacifico",
        "XPA",
        "ap",
        "pacific-alliance",
    ],
)
def test_pacific_alliance_bloc(text):
    found = countries.bloc(text)
    assert isinstance(found, Bloc)
    assert found.members == ("CHL", "COL", "MEX", "PER")
    assert found.code == "XPA"
    assert "2012" in found.source
    assert countries.expand(text) == ["CHL", "COL", "MEX", "PER"]


def test_expand_non_bloc_resolves():
    assert countries.bloc("Mexico") is None
    assert countries.expand("Perú") == ["PER"]
    assert countries.expand("69", codes="dian") == ["AUS"]
    with pytest.raises(UnknownCountry):
        countries.expand("Atlantis")


def test_bloc_is_immutable_and_compared_by_value():
    found = countries.bloc("pa")
    with pytest.raises(AttributeError):
        found.members = ("MEX",)
    copy = Bloc(
        found.id,
        found.code,
        found.name_en,
        found.name_es,
        list(found.members),
        found.source,
        found.aliases,
    )
    assert copy == found
    assert hash(copy) == hash(found)
    assert "pacific-alliance" in repr(found)


def test_load_blocs_adds_a_user_bloc(tmp_path, no_user_blocs):
    path = tmp_path / "blocs.csv"
    path.write_text(
        "bloc,code,aliases,name_en,name_es,members,source\n"
        "pa-plus,XPP,pa plus|ap ampliada,PA and candidates,AP y candidatos,"
        '"CHL COL MEX PER KOR SGP",my notes\n',
        encoding="utf-8",
    )
    added = countries.load_blocs(path)
    assert [b.id for b in added] == ["pa-plus"]
    assert countries.bloc("AP ampliada").members == ("CHL", "COL", "MEX", "PER", "KOR", "SGP")
    assert countries.bloc("pa").code == "XPA"  # the built-in bloc is still there
    assert {"pacific-alliance", "pa-plus"} <= {b.id for b in countries.load_blocs()}


def test_load_blocs_rejects_unknown_members_with_file_and_line(tmp_path, no_user_blocs):
    path = tmp_path / "blocs.csv"
    path.write_text(
        "bloc,code,aliases,name_en,name_es,members,source\n"
        "ok,XP1,,One,Uno,CHL,\n"
        "bad,XP2,,Two,Dos,CHL Atlantis,\n",
        encoding="utf-8",
    )
    with pytest.raises(UnknownCountry, match=r"blocs\.csv, line 3"):
        countries.load_blocs(path)


# --- the table and the reference lists -----------------------------------------------------------


def test_table_keeps_leading_zeros_and_multiple_codes():
    with (ROOT / "data" / "countries.csv").open(encoding="utf-8", newline="") as handle:
        rows = {row["iso3"]: row for row in csv.DictReader(handle)}
    assert rows["AUS"]["dian_codes"] == "069"
    assert rows["AUS"]["iso_numeric"] == "036"
    assert rows["PSE"]["dian_codes"].split() == ["579", "897"]
    assert set(rows["USA"]["comtrade_codes"].split()) >= {"840", "842"}
    assert rows["ZZZ"]["dian_codes"] == "999"


def test_every_dian_reference_row_resolves():
    rows = reference_rows("dian_country_codes.csv")
    assert len(rows) > 200
    for row in rows:
        expected = row["iso3"] or "ZZZ"  # 999 NO DECLARADOS
        assert lookup(row["dian_code"], codes="dian") == expected, row
        assert lookup(row["dian_code"].lstrip("0"), codes="dian") == expected, row
        assert lookup(row["name_es"]) == expected, row


def test_every_comtrade_reference_row_resolves():
    rows = reference_rows("comtrade_codes.csv")
    assert len(rows) > 300
    for row in rows:
        code = row["comtrade_code"]
        if row["is_group"] == "true":
            # groups are aggregates or "areas, nes": never a country
            found = lookup(code, codes="comtrade")
            assert found is not None and countries.kind(found) != "country", row
        elif row["iso3"]:
            assert lookup(code, codes="comtrade") == row["iso3"], row
            assert lookup(row["name_en"]) == row["iso3"], row


def test_table_agrees_with_iso():
    pycountry = pytest.importorskip("pycountry")
    for country in pycountry.countries:
        assert lookup(country.alpha_3) == country.alpha_3
        assert lookup(country.alpha_2) == country.alpha_3
        assert lookup(country.numeric) == country.alpha_3
        assert lookup(country.name) == country.alpha_3


# --- import cost ---------------------------------------------------------------------------------


def test_import_does_not_load_pandas_or_tables():
    code = (
        "import sys, pa_trade.reference.countries as c; "
        "assert 'pandas' not in sys.modules, 'pandas'; "
        "assert c._tables.cache_info().currsize == 0, 'tables read at import'"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=False
    )
    assert result.returncode == 0, result.stderr
