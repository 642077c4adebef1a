"""Agreements and blocs analysts reason with (issue 15, item 12): the agreements of the four
members with their dates and sources, blocs beyond the Alliance with their members by year,
and `trend` and `matrix` with a bloc as reporter."""

import csv
import datetime
import json

import pytest

from pa_trade.paths import data_dir
from pa_trade.reference import countries
from pa_trade.reference.agreements import agreements_between, read_ftas

SOURCE = "test figures (made up)"


def tidy(tmp_path, rows, name="flows.csv"):
    """A tidy file of (reporter, partner, year, flow, value) rows, exports FOB, imports CIF."""
    path = tmp_path / name
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["reporter", "partner", "year", "flow", "value_usd", "valuation",
                         "source"])
        for reporter, partner, year, flow, value in rows:
            writer.writerow([reporter, partner, year, flow, value,
                             "FOB" if flow == "export" else "CIF", SOURCE])
    return str(path)


def both_ways(reporter, partner, years, exports=100, imports=50):
    return [(reporter, partner, y, flow, value + y - years[0]) for y in years
            for flow, value in (("export", exports), ("import", imports))]


# -- the agreements table ---------------------------------------------------------------------

ASKED = [  # the agreements the issue names, with the day each entered into force
    ("COL", "USA", datetime.date(2012, 5, 15)),
    ("PER", "CHN", datetime.date(2010, 3, 1)),
    ("COL", "XEU", datetime.date(2013, 8, 1)),
    ("PER", "XEU", datetime.date(2013, 3, 1)),
    ("MEX", "XEU", datetime.date(2000, 7, 1)),
    ("CHL", "XEU", datetime.date(2003, 2, 1)),
    ("COL", "CAN", datetime.date(2011, 8, 15)),
    ("PER", "CAN", datetime.date(2009, 8, 1)),
    ("CHL", "CAN", datetime.date(1997, 7, 5)),
    ("MEX", "XEF", datetime.date(2001, 7, 1)),
    ("CHL", "XEF", datetime.date(2004, 12, 1)),
    ("MEX", "JPN", datetime.date(2005, 4, 1)),
    ("PER", "JPN", datetime.date(2012, 3, 1)),
    ("CHL", "JPN", datetime.date(2007, 9, 3)),
    ("MEX", "USA", datetime.date(1994, 1, 1)),
    ("CHL", "ARG", datetime.date(1996, 10, 1)),
    ("MEX", "XCP", datetime.date(2018, 12, 30)),
    ("PER", "XCP", datetime.date(2021, 9, 19)),
    ("CHL", "XCP", datetime.date(2023, 2, 21)),
]


@pytest.mark.parametrize("reporter, partner, day", ASKED)
def test_the_table_has_the_agreements_analysts_ask_for(reporter, partner, day):
    found = agreements_between(read_ftas(), reporter, [partner])
    assert day in [a.entry_into_force for a in found]


def test_every_agreement_has_parties_a_date_and_a_source_and_is_listed_once():
    agreements = read_ftas()
    assert len(agreements) >= 60
    assert len({a.name for a in agreements}) == len(agreements)
    for agreement in agreements:
        assert agreement.source and len(agreement.source) > 30, agreement.name
        assert datetime.date(1969, 1, 1) < agreement.entry_into_force < datetime.date(2026, 1, 1)
        assert len(agreement.parties) >= 2 or countries.bloc(agreement.parties[0])


def test_a_member_of_a_bloc_party_is_covered_from_the_day_it_joined():
    agreements = read_ftas()
    days = {a.name: a.entry_into_force for a in agreements_between(agreements, "MEX", ["HRV"])}
    assert days["Mexico–EU Global Agreement"] == datetime.date(2013, 7, 1)
    days = {a.name: a.entry_into_force for a in agreements_between(agreements, "MEX", ["VNM"])}
    assert days == {"CPTPP": datetime.date(2019, 1, 14)}
    # the United Kingdom was in the EU when the EU agreement with Peru entered into force
    uk = [a.name for a in agreements_between(agreements, "PER", ["GBR"])]
    assert uk == ["Peru–EU Trade Agreement", "United Kingdom–Andean Trade Agreement (Peru)",
                  "CPTPP"]


def test_trend_marks_colombia_us_and_peru_china(run, tmp_path):
    path = tidy(tmp_path, both_ways("COL", "USA", range(2008, 2016))
                + both_ways("PER", "CHN", range(2006, 2014)))
    result = run("trend", "colombia", "-p", "usa", "-d", path, "-f", "json")
    assert result.exit_code == 0, result.stderr
    marks = {row["year"]: row["agreement"] for row in json.loads(result.stdout)}
    assert marks[2012] == "Colombia–United States TPA"
    assert {y for y, m in marks.items() if m} == {2012}
    result = run("trend", "peru", "-p", "china", "-d", path, "--summary", "-f", "csv")
    assert result.exit_code == 0, result.stderr
    assert "Peru–China FTA,2010-03-01,2006,2009" in result.stdout


def test_trend_marks_an_eu_agreement_with_an_eu_member(run, tmp_path):
    path = tidy(tmp_path, both_ways("MEX", "DEU", range(1998, 2003))
                + both_ways("MEX", "HRV", range(2011, 2016)))
    result = run("trend", "MEX", "-p", "DEU", "-d", path, "-f", "json")
    assert {r["year"]: r["agreement"] for r in json.loads(result.stdout)}[2000] == (
        "Mexico–EU Global Agreement")
    result = run("trend", "MEX", "-p", "HRV", "-d", path, "-f", "json")
    assert {r["year"]: r["agreement"] for r in json.loads(result.stdout)}[2013] == (
        "Mexico–EU Global Agreement")


# -- the blocs --------------------------------------------------------------------------------

BLOCS = {  # what analysts type, the bloc's code, a member
    "comunidad andina": ("XAN", "BOL"), "can-bloc": ("XAN", "ECU"), "mercosur": ("XMS", "BRA"),
    "eu": ("XEU", "DEU"), "unión europea": ("XEU", "FRA"), "t-mec": ("XTL", "USA"),
    "usmca": ("XTL", "CAN"), "apec": ("XAP", "CHN"), "asean": ("XAE", "VNM"),
    "cptpp": ("XCP", "JPN"), "pa-candidates": ("XPC", "AUS"), "pa-associates": ("XPS", "SGP"),
    "efta": ("XEF", "CHE"),
}


@pytest.mark.parametrize("text", sorted(BLOCS))
def test_blocs_beyond_the_alliance_are_built_in_with_members_and_sources(text):
    found = countries.bloc(text)
    code, member = BLOCS[text]
    assert found is not None and found.code == code
    assert member in found.members_in(2025)
    assert len(found.source) > 40


def test_can_is_canada_and_the_andean_community_has_names_of_its_own(run, tmp_path):
    assert countries.bloc("CAN") is None and countries.bloc("can") is None
    assert countries.resolve("CAN") == "CAN"
    path = tidy(tmp_path, both_ways("MEX", "CAN", range(2018, 2021))
                + both_ways("COL", "ECU", range(2018, 2021)))
    result = run("trend", "MEX", "-p", "CAN", "-d", path, "-f", "csv")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines()[1].startswith("MEX,CAN,2018")
    result = run("balance", "can-bloc", "-d", path, "-f", "csv")
    assert result.exit_code == 0, result.stderr
    assert ",XAN," in result.stdout or "XAN,XAN" in result.stdout
    result = run("balance", "comunidad andina", "-d", path)
    assert "Andean Community" in result.stdout


def test_no_bloc_name_is_also_a_country_s_name_or_code():
    for item in countries.load_blocs():
        for text in (item.id, item.code, item.name_en, item.name_es, *item.aliases):
            assert countries.lookup(text) in (None, item.code, "PAN"), text  # pa: see below
    # 'pa' has always meant the Alliance where a bloc is accepted (Panama elsewhere: PAN)
    assert countries.bloc("pa").code == "XPA"


def test_a_bloc_with_an_aggregate_row_keeps_its_code_and_name():
    for code in ("XAN", "XEU", "XMS", "XTL", "XAP", "XAE", "XEF", "XPA"):
        assert countries.kind(code) == "group"
        assert countries.bloc(code).code == code
    assert countries.name("XCP") == "CPTPP" and countries.kind("XCP") == "group"


def test_eu_membership_by_year():
    eu = countries.bloc("eu")
    assert len(eu.members_in(2012)) == 27 and "HRV" not in eu.members_in(2012)
    assert len(eu.members_in(2013)) == 28 and "HRV" in eu.members_in(2013)
    assert "GBR" in eu.members_in(2019) and "GBR" not in eu.members_in(2020)
    assert len(eu.members_in(2020)) == 27
    assert "VEN" in countries.bloc("can-bloc").members_in(2005)
    assert "VEN" not in countries.bloc("can-bloc").members_in(2006)
    assert countries.bloc("apec").members_in(1997) == countries.bloc("apec").members_in(1994)
    assert "PER" in countries.bloc("apec").members_in(1998)


EU_ROWS = (both_ways("COL", "DEU", range(2012, 2022), 1000, 500)
           + both_ways("COL", "GBR", range(2012, 2022), 100, 50)
           + both_ways("COL", "HRV", range(2012, 2022), 10, 5))


def test_balance_bloc_subtotal_takes_the_members_of_each_year(run, tmp_path):
    path = tidy(tmp_path, EU_ROWS)
    result = run("balance", "COL", "-p", "eu", "-d", path, "-f", "json")
    assert result.exit_code == 0, result.stderr
    exports = {r["year"]: r["exports_usd"] for r in json.loads(result.stdout)}
    assert exports[2012] == (1000 + 0) + (100 + 0)  # no Croatia yet
    assert exports[2013] == 1001 + 101 + 11  # Croatia from 1 July 2013
    assert exports[2019] == 1007 + 107 + 17
    assert exports[2020] == 1008 + 18  # the United Kingdom left on 31 January 2020


def test_balance_with_the_eu_as_reporter_counts_members_of_each_year(run, tmp_path):
    rows = (both_ways("GBR", "USA", range(2018, 2022), 100, 50)
            + both_ways("DEU", "USA", range(2018, 2022), 1000, 500)
            + both_ways("DEU", "GBR", range(2018, 2022), 10, 5))
    path = tidy(tmp_path, rows)
    result = run("balance", "eu", "-p", "usa", "-d", path, "-f", "json")
    assert result.exit_code == 0, result.stderr
    bloc_rows = {r["year"]: r["exports_usd"] for r in json.loads(result.stdout)
                 if r["reporter"] == "XEU"}
    assert bloc_rows[2019] == 1001 + 101 and bloc_rows[2020] == 1002


def test_trend_takes_a_bloc_as_reporter(run, tmp_path):
    rows = (both_ways("GBR", "MEX", range(1998, 2022), 100, 50)
            + both_ways("DEU", "MEX", range(1998, 2022), 1000, 500))
    path = tidy(tmp_path, rows)
    result = run("trend", "eu", "-p", "mexico", "-d", path, "-f", "json")
    assert result.exit_code == 0, result.stderr
    table = {r["year"]: r for r in json.loads(result.stdout)}
    assert table[2019]["reporter"] == "XEU"
    assert table[2019]["exports_usd"] == 1021 + 121
    assert table[2020]["exports_usd"] == 1022  # the United Kingdom is out
    assert table[2000]["agreement"] == "Mexico–EU Global Agreement"
    result = run("trend", "pa", "-p", "CHN", "-d", "examples/pa_trade_2000_2020.csv")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("Pacific Alliance: trade with China, 2000–2020")
    result = run("trend", "pa", "-p", "COL", "-d", "examples/pa_trade_2000_2020.csv")
    assert result.exit_code == 2 and "member of the Pacific Alliance" in result.stderr


def test_matrix_takes_a_bloc_and_shows_its_members_of_the_year(run, tmp_path):
    rows = []
    for year in (2019, 2020):
        for exporter, importer in (("DEU", "GBR"), ("GBR", "DEU"), ("DEU", "FRA"),
                                   ("FRA", "DEU")):
            rows.append((exporter, importer, year, "export", 100))
    path = tidy(tmp_path, rows)
    result = run("matrix", "eu", "--year", "2019", "-d", path, "-f", "csv")
    assert result.exit_code == 0, result.stderr
    header = result.stdout.splitlines()[0].split(",")
    assert "GBR" in header and len(header) == 1 + 28 + 2
    result = run("matrix", "eu", "--year", "2020", "-d", path, "-f", "csv")
    header = result.stdout.splitlines()[0].split(",")
    assert "GBR" not in header and len(header) == 1 + 27 + 2
    result = run("matrix", "--year", "2019", "-d", "examples/pa_trade_2000_2020.csv",
                 "-f", "csv")
    assert result.stdout.splitlines()[0] == "exporter,CHL,COL,MEX,PER,year,months"
    result = run("matrix", "eu", "--bloc", "pa", "-d", path)
    assert result.exit_code == 2


def test_a_users_bloc_file_takes_membership_spans(run, tmp_path):
    blocs = tmp_path / "blocs.csv"
    blocs.write_text("bloc,code,aliases,name_en,name_es,members,source\n"
                     "duo,XDU,,Duo,Dúo,DEU FRA:2020-01-01,ours\n", encoding="utf-8")
    path = tidy(tmp_path, both_ways("COL", "DEU", range(2018, 2022))
                + both_ways("COL", "FRA", range(2018, 2022), 10, 5))
    result = run("balance", "COL", "-p", "duo", "--blocs", str(blocs), "-d", path, "-f", "json")
    assert result.exit_code == 0, result.stderr
    exports = {r["year"]: r["exports_usd"] for r in json.loads(result.stdout)}
    assert exports[2019] == 101 and exports[2020] == 102 + 12
    blocs.write_text("bloc,code,aliases,name_en,name_es,members,source\n"
                     "duo,XDU,,Duo,Dúo,DEU FRA:2020-01-01/2019-01-01,ours\n", encoding="utf-8")
    result = run("balance", "COL", "-p", "duo", "--blocs", str(blocs), "-d", path)
    assert result.exit_code != 0 and "leaves before it joins" in result.stderr


def test_the_built_in_tables_name_their_sources_in_sources_md():
    text = (data_dir() / "SOURCES.md").read_text(encoding="utf-8")
    for word in ("CPTPP", "Andean Community", "membership", "31 January 2020"):
        assert word in text
