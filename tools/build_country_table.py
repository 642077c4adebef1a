#!/usr/bin/env python3
"""Write data/countries.csv, pa-trade's merged country table.

Sources: ISO 3166-1 and -3 from the pycountry package (English names, Spanish names through its
gettext catalogues), the DIAN 3-digit country codes and the UN Comtrade area codes (reference
lists outside the project, see data/SOURCES.md), and the aliases written by hand below.

Usage: python tools/build_country_table.py [--reference DIR] [--out FILE]

The script refuses to write a table in which one name would mean two codes: an ambiguous
hand-written or source name is an error to fix here; an ambiguous name this script derives
itself (an inverted "Korea, Republic of" or a name without its parentheses) is dropped.
"""

from __future__ import annotations

import argparse
import csv
import gettext
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pycountry

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from pa_trade.reference.countries import COUNTRY_COLUMNS, normalize  # noqa: E402  (needs src above)

DEFAULT_REFERENCE = ROOT.parent / "shared" / "reference"
COLUMNS = list(COUNTRY_COLUMNS)  # the layout pa_trade.reference.countries reads

# Friendly display names where ISO's short name reads badly in a table ("Korea, Republic of").
DISPLAY: dict[str, tuple[str, str]] = {
    "ALA": ("Åland Islands", "Islas Åland"),
    "ANT": ("Netherlands Antilles", "Antillas Neerlandesas"),
    "ATB": ("British Antarctic Territory", "Territorio Antártico Británico"),
    "BES": ("Bonaire, Sint Eustatius and Saba", "Bonaire, San Eustaquio y Saba"),
    "BGD": ("Bangladesh", "Bangladés"),
    "BOL": ("Bolivia", "Bolivia"),
    "CIV": ("Côte d'Ivoire", "Costa de Marfil"),
    "COD": ("DR Congo", "República Democrática del Congo"),
    "COG": ("Congo", "Congo"),
    "COM": ("Comoros", "Comoras"),
    "CSK": ("Czechoslovakia", "Checoslovaquia"),
    "CZE": ("Czechia", "Chequia"),
    "DDR": ("East Germany", "Alemania Oriental"),
    "DZA": ("Algeria", "Argelia"),
    "FLK": ("Falkland Islands (Malvinas)", "Islas Malvinas (Falkland)"),
    "FSM": ("Micronesia", "Micronesia"),
    "GBR": ("United Kingdom", "Reino Unido"),
    "HKG": ("Hong Kong", "Hong Kong"),
    "IRN": ("Iran", "Irán"),
    "KOR": ("South Korea", "Corea del Sur"),
    "LAO": ("Laos", "Laos"),
    "MAC": ("Macao", "Macao"),
    "MAF": ("Saint Martin (French part)", "San Martín (parte francesa)"),
    "MDA": ("Moldova", "Moldavia"),
    "MDV": ("Maldives", "Maldivas"),
    "NTZ": ("Neutral Zone", "Zona Neutral"),
    "PCI": ("Pacific Islands (Trust Territory)", "Islas del Pacífico (Territorio en fideicomiso)"),
    "PCZ": ("Panama Canal Zone", "Zona del Canal de Panamá"),
    "PRK": ("North Korea", "Corea del Norte"),
    "PSE": ("Palestine", "Palestina"),
    "PUS": ("US Miscellaneous Pacific Islands", "Islas menores del Pacífico de Estados Unidos"),
    "RUS": ("Russia", "Rusia"),
    "SAU": ("Saudi Arabia", "Arabia Saudita"),
    "SCG": ("Serbia and Montenegro", "Serbia y Montenegro"),
    "SHN": ("Saint Helena", "Santa Elena"),
    "SUN": ("Soviet Union", "Unión Soviética"),
    "SUR": ("Suriname", "Surinam"),
    "SXM": ("Sint Maarten (Dutch part)", "San Martín (parte neerlandesa)"),
    "SYR": ("Syria", "Siria"),
    "TUN": ("Tunisia", "Túnez"),
    "TWN": ("Taiwan", "Taiwán"),
    "TZA": ("Tanzania", "Tanzania"),
    "USA": ("United States", "Estados Unidos"),
    "VAT": ("Vatican City", "Ciudad del Vaticano"),
    "VDR": ("North Vietnam", "Vietnam del Norte"),
    "VEN": ("Venezuela", "Venezuela"),
    "VGB": ("British Virgin Islands", "Islas Vírgenes Británicas"),
    "VIR": ("US Virgin Islands", "Islas Vírgenes de los Estados Unidos"),
    "VNM": ("Vietnam", "Vietnam"),
    "YMD": ("South Yemen", "Yemen del Sur"),
    "YUG": ("Yugoslavia", "Yugoslavia"),
}

# How trade tables, customs lists and international databases write partners besides ISO.
EXTRA_ALIASES: dict[str, list[str]] = {
    "ANT": ["Antillas Holandesas", "Antillas Neerlandesas", "Netherlands Antilles"],
    "ARE": ["Emiratos Árabes", "EAU", "UAE", "Emiratos"],
    "ASM": ["Samoa Americana", "Samoa Norteamericana"],
    "ATG": ["Antigua y Barbuda", "Antigua"],
    "BES": ["Bonaire", "Caribe Neerlandés", "Islas BES", "Bonaire, San Eustaquio y Saba"],
    "BHS": ["Bahamas, The", "Las Bahamas", "The Bahamas"],
    "BIH": ["Bosnia-Herzegovina", "Bosnia", "Bosnia y Hercegovina"],
    "BLR": ["Belarús", "Bielorrusia", "Byelorussia"],
    "BOL": ["Bolivia (Estado Plurinacional de)", "Bolivia, Estado Plurinacional de"],
    "BRN": ["Brunéi", "Brunei", "Brunéi Darussalam"],
    "CHN": [
        "China, República Popular de",
        "República Popular de China",
        "China (República Popular)",
        "China, República Popular",
        "China, People's Rep.",
        "China, P.R.: Mainland",
        "China continental",
        "Mainland China",
    ],
    "CIV": ["Costa de Marfil", "Ivory Coast", "Cote d'Ivoire"],
    "COD": [
        "República Democrática del Congo",
        "RD Congo",
        "RD del Congo",
        "DR Congo",
        "Congo, Dem. Rep.",
        "Congo, Dem. Rep. of",
        "Congo (Kinshasa)",
        "Congo, República Democrática del",
        "Democratic Republic of the Congo",
        "Zaire",
        "Zaire (República Democrática del Congo)",
    ],
    "COG": [
        "República del Congo",
        "Congo, Rep.",
        "Congo, Rep. of",
        "Congo (Brazzaville)",
        "Republic of the Congo",
        "Congo, República del",
    ],
    "CPV": ["Cape Verde"],
    "CSK": ["Checoslovaquia", "Czechoslovakia"],
    "CUW": ["Curazao", "Curacao"],
    "CZE": ["República Checa", "Czech Republic", "Chequia"],
    "DDR": ["República Democrática Alemana", "RDA", "East Germany", "German Democratic Republic"],
    "DEU": ["Alemania, República Federal de", "Alemania (República Federal)", "West Germany"],
    "DOM": ["Rep. Dominicana", "Dominican Rep.", "República Dominicana"],
    "DZA": ["Argelia"],
    "EGY": ["Egypt, Arab Rep.", "Egypt, Arab Rep. of"],
    "FLK": ["Islas Malvinas", "Malvinas", "Islas Malvinas (Falkland)", "Falkland Islands"],
    "FSM": ["Micronesia", "Micronesia, Fed. Sts.", "Micronesia (Estados Federados de)"],
    "GBR": [
        "Gran Bretaña",
        "Great Britain",
        "UK",
        "U.K.",
        "Reino Unido (Gran Bretaña)",
        "Reino Unido de Gran Bretaña",
        "United Kingdom of Great Britain",
    ],
    "GMB": ["Gambia, The", "The Gambia"],
    "GNB": ["Guinea Bissau", "Guinea Bisáu"],
    "GUY": ["Guayana"],
    "HKG": [
        "Hong Kong, China",
        "Hong Kong SAR",
        "China, Hong Kong SAR",
        "Hong Kong (China)",
        "Hong Kong SAR, China",
        "Hong Kong, RAE de China",
        "China, P.R.: Hong Kong",
        "Hongkong",
    ],
    "IRN": ["Irán", "Irán, República Islámica de", "Iran, Islamic Rep.", "Iran, Islamic Rep. of"],
    "KAZ": ["Kazajstán", "Kazakstán", "Kazajistán"],
    "KGZ": ["Kirguizistán", "Kirguistán", "Kyrgyz Republic"],
    "KNA": ["St. Kitts and Nevis", "Saint Kitts y Nevis", "San Cristóbal y Nevis"],
    "KOR": [
        "Corea del Sur",
        "Corea, República de",
        "República de Corea",
        "COREA (SUR), REPUBLICA DE",
        "Corea (Sur)",
        "Corea del Sur, República de",
        "Republic of Korea",
        "South Korea",
        "Korea, South",
        "Korea, Rep.",
        "Korea, Rep. of",
        "Korea Republic",
        "Korea (Republic of)",
        "Korea (South)",
        # in trade statistics a bare "Korea" is the Republic of Korea (Comtrade: "Rep. of Korea")
        "Korea",
        "Corea",
    ],
    "LAO": ["Laos", "Lao PDR", "República Democrática Popular Lao"],
    "LCA": ["St. Lucia"],
    "MAC": ["Macau", "China, Macao SAR", "Macao SAR, China", "China, P.R.: Macao", "Macao, China"],
    "MAF": ["Saint Martin", "San Martín (parte francesa)"],
    "MDA": ["Moldavia", "Moldova", "República de Moldavia"],
    "MEX": ["Estados Unidos Mexicanos", "Méjico"],
    "MKD": ["Macedonia", "Macedonia del Norte", "Macedonia, FYR", "ERY Macedonia"],
    "MMR": ["Birmania", "Burma", "Myanmar (Birmania)"],
    "MYS": ["Malasia"],
    "NLD": [
        "Holanda",
        "Países Bajos",
        "Holland",
        "The Netherlands",
        "Países Bajos (Holanda)",
        "Holanda (Países Bajos)",
    ],
    "NZL": ["Nueva Zelandia", "Nueva Zelanda"],
    "PRK": [
        "Corea del Norte",
        "COREA (NORTE), REPUBLICA POPULAR DEMOCRATICA DE",
        "Corea (Norte)",
        "North Korea",
        "Korea, North",
        "Korea, Dem. People's Rep.",
        "Korea, Dem. People's Rep. of",
        "Korea (North)",
        "República Popular Democrática de Corea",
    ],
    "PSE": [
        "Palestina",
        "Palestine",
        "Estado de Palestina",
        "Territorios Palestinos",
        "Palestinian Territory",
        "West Bank and Gaza",
    ],
    "PNG": ["Papua Nueva Guinea"],
    "ROU": ["Rumania"],
    "RUS": ["Rusia", "Russia", "Federación de Rusia", "Rusia (Federación de)"],
    "SAU": ["Arabia Saudita"],
    "SCG": ["Serbia y Montenegro"],
    "SLV": ["República de El Salvador"],
    "SUN": ["URSS", "USSR", "Unión Soviética", "Soviet Union"],
    "SUR": ["Surinam"],
    "SVK": ["República Eslovaca", "Slovak Republic"],
    "SWZ": ["Swazilandia", "Suazilandia", "Swaziland", "Esuatini"],
    "SXM": ["Sint Maarten", "San Martín (parte holandesa)", "San Martín (parte neerlandesa)"],
    "SYR": ["Siria", "Syria", "República Árabe Siria"],
    "TJK": ["Tayikistán", "Tadjikistán", "Tajikistán"],
    "TLS": ["Timor Oriental", "East Timor", "Timor-Leste"],
    "TTO": ["Trinidad & Tobago"],
    "TUN": ["Túnez"],
    "TUR": ["Turquía", "Turkey", "Türkiye"],
    "TWN": [
        "Taiwán",
        "Taiwan",
        "Taiwán (Formosa)",
        "Formosa",
        "China, Taiwán",
        "Taipéi Chino",
        "Chinese Taipei",
        "Taiwan Province of China",
        "Other Asia, nes",
        "Separate Customs Territory of Taiwan, Penghu, Kinmen and Matsu",
    ],
    "TZA": ["Tanzania", "Tanzania, República Unida de", "República Unida de Tanzania"],
    "USA": [
        "Estados Unidos de América",
        "Estados Unidos de Norteamérica",
        "Estados Unidos de Norte América",
        "EE.UU.",
        "EE. UU.",
        "EEUU",
        "E.U.A.",
        "EUA",
        "USA",
        "U.S.A.",
        "U.S.",
        "United States of America",
    ],
    "VAT": ["Vaticano", "Santa Sede", "Holy See", "Ciudad del Vaticano", "Vatican"],
    "VEN": [
        "Venezuela (República Bolivariana de)",
        "Venezuela, Rep. Bolivariana de",
        "Venezuela, RB",
    ],
    "VGB": ["Islas Vírgenes Británicas", "British Virgin Islands"],
    "VIR": [
        "Islas Vírgenes de los Estados Unidos",
        "Islas Vírgenes (EE.UU.)",
        "Islas Vírgenes Estadounidenses",
        "US Virgin Islands",
        "U.S. Virgin Islands",
    ],
    "VNM": ["Vietnam", "Viet Nam"],
    "XKX": ["Republic of Kosovo", "República de Kosovo"],
    "YEM": ["Yemen, Rep.", "Yemen, Republic of"],
    "YUG": ["Yugoslavia"],
    "ZAF": ["Sudáfrica", "Sud África", "Sur África", "República de Sudáfrica"],
    "ZZZ": ["No declarados", "Not declared", "Sin declarar", "País no declarado"],
}

# Partners neither pycountry nor the reference lists give an ISO3 for, with our own codes.
EXTRA_ROWS: dict[str, dict[str, str]] = {
    # Kosovo: XK/XKX as the European Commission, IMF and World Bank use them
    "XKX": {"iso2": "XK", "name_en": "Kosovo", "name_es": "Kosovo"},
    # DIAN 999 "NO DECLARADOS": declarations without a country; ZZZ is user-assigned in ISO 3166
    "ZZZ": {"iso2": "", "name_en": "Not declared", "name_es": "No declarado"},
}
COMTRADE_EXTRA = {412: "XKX"}  # Comtrade's Kosovo row has no ISO3
DIAN_EXTRA = {"999": "ZZZ"}  # DIAN's "NO DECLARADOS" row has no ISO3
# pycountry gives Yugoslavia the 891 of Serbia and Montenegro; Yugoslavia held 890 until 1992
HISTORIC_NUMERIC = {"YUG": "890"}

# A name "X, Y ..." ending in one of these is an inverted "Y ... X".
INVERSION_WORDS = {"of", "the", "de", "del", "la", "las", "los", "isla", "islas", "islands"}
# Comtrade's abbreviations in area names, spelt out for a second alias.
ABBREVIATIONS = {
    "Isds": "Islands",
    "Isd": "Island",
    "Rep.": "Republic",
    "Dem.": "Democratic",
    "Terr.": "Territory",
    "Br.": "British",
    "Fr.": "French",
}


@dataclass
class Row:
    iso3: str
    iso2: str = ""
    numeric: str = ""
    name_en: str = ""
    name_es: str = ""
    comtrade: list[int] = field(default_factory=list)
    dian: list[str] = field(default_factory=list)
    names: list[tuple[str, bool]] = field(default_factory=list)  # (name, derived by us)

    def add(self, name: str, *, abbreviated: bool = False) -> None:
        """Add a name from a source or from our lists, and the variants we derive from it."""
        name = " ".join(name.split())
        if name:
            self.names.append((name, False))
            for variant in variants(name, abbreviated=abbreviated):
                self.names.append((variant, True))


def variants(name: str, *, abbreviated: bool = False) -> list[str]:
    """Other spellings of a name: uninverted, without parentheses, abbreviations spelt out."""
    out = []
    head, sep, tail = name.partition(",")
    words = tail.casefold().split()
    if sep and words and words[-1] in INVERSION_WORDS:
        out.append(f"{tail.strip()} {head.strip()}")  # "Corea, República de", "MAN,ISLA DE"
    if "(" in name and ")" in name:
        outside = name[: name.index("(")] + name[name.index(")") + 1 :]
        out.append(" ".join(outside.split()))
    if abbreviated:
        spelt = " ".join(ABBREVIATIONS.get(word, word) for word in name.split())
        out.append(spelt)
    return [v for v in out if v and v != name]


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def build(reference: Path, aggregates_path: Path) -> list[Row]:
    es1 = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=["es"])
    es3 = gettext.translation("iso3166-3", pycountry.LOCALES_DIR, languages=["es"])
    dian = read_csv(reference / "dian_country_codes.csv")
    comtrade = read_csv(reference / "comtrade_codes.csv")
    aggregates = read_csv(aggregates_path)

    rows: dict[str, Row] = {}
    for country in pycountry.countries:
        row = Row(country.alpha_3, country.alpha_2, country.numeric)
        common = getattr(country, "common_name", "")
        official = getattr(country, "official_name", "")
        row.name_en = common or country.name
        row.name_es = es1.gettext(common or country.name)
        for text in (country.name, official, common):
            if text:
                row.add(text)
                row.add(es1.gettext(text))
        rows[row.iso3] = row

    # Former countries only where DIAN or Comtrade still list them.
    needed = {r["iso3"] for r in dian + comtrade if r["iso3"]} - set(rows)
    historic = [c for c in pycountry.historic_countries if c.alpha_3 in needed]
    current_iso2 = {r.iso2 for r in rows.values()}
    current_numeric = {r.numeric for r in rows.values()}
    historic_iso2 = [c.alpha_2 for c in historic]
    for country in historic:
        iso2 = country.alpha_2
        if iso2 in current_iso2 or historic_iso2.count(iso2) > 1:
            iso2 = ""  # "BQ" is now Bonaire, "CS" was both Czechoslovakia and Serbia-Montenegro
        numeric = HISTORIC_NUMERIC.get(country.alpha_3, getattr(country, "numeric", ""))
        if numeric in current_numeric:
            numeric = ""
        row = Row(country.alpha_3, iso2, numeric, country.name, es3.gettext(country.name))
        row.add(country.name)
        row.add(es3.gettext(country.name))
        rows[row.iso3] = row
    missing = needed - set(rows) - set(EXTRA_ROWS)
    if missing:
        sys.exit(f"no ISO 3166 entry for {sorted(missing)}")

    for iso3, extra in EXTRA_ROWS.items():
        rows[iso3] = Row(iso3, extra["iso2"], "", extra["name_en"], extra["name_es"])
        rows[iso3].add(extra["name_en"])
        rows[iso3].add(extra["name_es"])

    for rec in dian:
        iso3 = rec["iso3"] or DIAN_EXTRA[rec["dian_code"]]
        rows[iso3].dian.append(rec["dian_code"])
        rows[iso3].add(rec["name_es"])

    aggregate_comtrade = {
        int(code): agg["code"] for agg in aggregates for code in agg["comtrade_codes"].split()
    }
    for rec in comtrade:
        code = int(rec["comtrade_code"])
        if rec["is_group"] == "true":
            if code not in aggregate_comtrade:
                print(f"note: Comtrade group {code} {rec['name_en']!r} has no aggregate row")
            continue
        iso3 = rec["iso3"] or COMTRADE_EXTRA.get(code)
        if not iso3:
            print(f"note: Comtrade {code} {rec['name_en']!r} maps to no code")
            continue
        rows[iso3].comtrade.append(code)
        rows[iso3].add(rec["name_en"], abbreviated=True)

    for iso3, names in EXTRA_ALIASES.items():
        for text in names:
            rows[iso3].add(text)
    for iso3, (en, es) in DISPLAY.items():
        rows[iso3].name_en, rows[iso3].name_es = en, es
        rows[iso3].add(en)
        rows[iso3].add(es)

    check_and_prune(rows, aggregates)
    return [rows[k] for k in sorted(rows)]


def check_and_prune(rows: dict[str, Row], aggregates: list[dict[str, str]]) -> None:
    """Fail on a source or hand-written name that means two codes; drop derived ones that do."""
    owners: dict[str, set[str]] = {}  # normalized name -> codes it would mean
    firm: dict[str, set[str]] = {}  # the same, for names we must keep
    for row in rows.values():
        for code in (row.iso2, row.iso3):
            if code:
                firm.setdefault(normalize(code), set()).add(row.iso3)
        for text, derived in row.names:
            owners.setdefault(normalize(text), set()).add(row.iso3)
            if not derived:
                firm.setdefault(normalize(text), set()).add(row.iso3)
    for agg in aggregates:
        texts = [agg["code"], agg["name_en"], agg["name_es"], *agg["aliases"].split("|")]
        for text in filter(None, texts):
            firm.setdefault(normalize(text), set()).add(agg["code"])
            owners.setdefault(normalize(text), set()).add(agg["code"])
    clashes = {key: codes for key, codes in firm.items() if len(codes) > 1}
    if clashes:
        for key, codes in sorted(clashes.items()):
            print(f"ambiguous name {key!r}: {sorted(codes)}", file=sys.stderr)
        sys.exit("fix the names above: one name must mean one code")
    for row in rows.values():
        kept = []
        for text, derived in row.names:
            key = normalize(text)
            mine = owners[key] == {row.iso3} and firm.get(key, {row.iso3}) == {row.iso3}
            if derived and not mine:
                print(f"note: dropped {text!r} for {row.iso3}: also {sorted(owners[key])}")
                continue
            kept.append((text, derived))
        row.names = kept


def write(rows: list[Row], out: Path) -> None:
    with out.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(COLUMNS)
        for row in rows:
            seen = {normalize(row.name_en), normalize(row.name_es)}
            aliases = []
            for text, _derived in row.names:
                key = normalize(text)
                if key and key not in seen:
                    seen.add(key)
                    aliases.append(text)
            writer.writerow(
                [
                    row.iso3,
                    row.iso2,
                    row.numeric,
                    " ".join(str(c) for c in sorted(set(row.comtrade))),
                    " ".join(sorted(set(row.dian))),
                    row.name_en,
                    row.name_es,
                    "|".join(aliases),
                ]
            )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reference", type=Path, default=DEFAULT_REFERENCE)
    parser.add_argument("--out", type=Path, default=ROOT / "data" / "countries.csv")
    parser.add_argument("--aggregates", type=Path, default=ROOT / "data" / "aggregates.csv")
    args = parser.parse_args(argv)
    rows = build(args.reference, args.aggregates)
    write(rows, args.out)
    print(f"wrote {len(rows)} rows to {args.out}")


if __name__ == "__main__":
    main()
