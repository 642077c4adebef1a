#!/usr/bin/env python3
"""Write data/imf_areas.csv: the IMF's partner codes and names -> pa-trade's codes.

    python tools/build_imf_areas.py PATH/TO/imts_structure.json

The input is the IMTS codelist `CL_IMTS_COUNTRY` (359 codes, International Trade in Goods by
partner country, dataflow IMF.STA:IMTS 1.0.0), as any structure answer of the IMF's SDMX API
gives it (`.../structure/codelist/IMF.STA/CL_IMTS_COUNTRY`); the file used is noted in
data/SOURCES.md. Every IMF code gets one pa-trade code:

- the IMF's country codes are ISO 3166 alpha-3 (a few are not: KOS Kosovo is XKX, WBG West
  Bank and Gaza is PSE, as pa-trade's country table has them);
- World is WLD, the European Union XEU, and the regions pa-trade's tables already know
  (data/aggregates.csv) keep their codes;
- every other IMF group, region and "not specified" area gets a code of its own in ISO's
  user-assigned range QMA-QZZ, so that two different aggregates never share a code (their
  figures would then clash or add up); groups are `group` (never added into partner sums),
  areas that are part of the world total are `other`.

The names of the IMF's older DOTS workbooks ("Korea, Rep. of", "Slovak Rep.", "Emerging and
Developing Economies", ...) are added as aliases of the code they mean (DOTS_NAMES below, from
the IMF's own DOTS Excel downloads of 2022).
"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from pa_trade.reference import countries  # noqa: E402 (needs src above)

OUT = ROOT / "data" / "imf_areas.csv"

# IMF codes that are no ISO alpha-3 code in pa-trade's table, or that must not be read as one
FIXED = {
    "KOS": "XKX", "WBG": "PSE",
    "G001": "WLD", "G998": "XEU", "TX899": "XSC", "TX898": "XNS",
    # the IMF's own regions of its memorandum items, as DANE's tables name them too
    "GX605": "XAF", "GX405": "XME", "GX170": "XEE",
    # UN M49 regions the IMF lists, where pa-trade has the same region
    "U019": "XAM", "U005": "XSA", "U029": "XCB", "U013": "XCA", "U009": "XOC", "U142": "XAS",
    "G92031": "XNA",
}
# areas inside the world total that are no country of today: pseudo-partners, kind `other`
OTHER_AREAS = {"TX126", "TX554", "TX198", "TX799", "TX598", "TX884", "TX489", "TX399",
               "TX910", "CWX", "YAR"}
# names of the IMF's DOTS Excel workbooks (vintage 2022) -> the IMTS code they mean
DOTS_NAMES = {
    "Advanced Economies": "G110", "Euro Area": "G995",
    "Emerging and Developing Economies": "G200", "Emerging and Developing Asia": "G505",
    "Emerging and Developing Europe": "G903", "Middle East and Central Asia": "G400",
    "Sub-Saharan Africa": "G603", "Western Hemisphere": "G205",
    "Emerging Market and Developing Economies by Source of Export Earnings: Fuel": "G080",
    "Emerging Market and Developing Economies by Source of Export Earnings: Nonfuel": "G092",
    "Africa": "GX605", "Middle East": "GX405",
    "Other Countries not included elsewhere": "TX910", "Eastern Germany": "DDR",
    "Afghanistan, Islamic Rep. of": "AFG", "Armenia, Rep. of": "ARM",
    "Azerbaijan, Rep. of": "AZE", "Bahrain, Kingdom of": "BHR", "Belarus, Rep. of": "BLR",
    "Comoros, Union of the": "COM", "Congo, Dem. Rep. of the": "COD",
    "Croatia, Rep. of": "HRV", "Czech Rep.": "CZE", "Equatorial Guinea, Rep. of": "GNQ",
    "Estonia, Rep. of": "EST", "Ethiopia, The Federal Dem. Rep. of": "ETH",
    "Fiji, Rep. of": "FJI", "Kazakhstan, Rep. of": "KAZ", "Kyrgyz Rep.": "KGZ",
    "Madagascar, Rep. of": "MDG", "Marshall Islands, Rep. of the": "MHL",
    "Mauritania, Islamic Rep. of": "MRT", "Moldova, Rep. of": "MDA",
    "Mozambique, Rep. of": "MOZ", "Nauru, Rep. of": "NRU", "Palau, Rep. of": "PLW",
    "Poland, Rep. of": "POL", "San Marino, Rep. of": "SMR", "Serbia, Rep. of": "SRB",
    "Slovak Rep.": "SVK", "Slovenia, Rep. of": "SVN", "South Sudan, Rep. of": "SSD",
    "Syrian Arab Rep.": "SYR", "São Tomé and Príncipe, Dem. Rep. of": "STP",
    "Tajikistan, Rep. of": "TJK", "Tanzania, United Rep. of": "TZA",
    "Timor-Leste, Dem. Rep. of": "TLS", "Türkiye, Rep of": "TUR",
    "Uzbekistan, Rep. of": "UZB", "Yemen Arab Rep.": "YAR",
    "Yemen, People's Dem. Rep. of": "YMD", "Yemen, Rep. of": "YEM",
    "Lesotho, Kingdom of": "LSO", "Eswatini, Kingdom of": "SWZ",
    "Eritrea, The State of": "ERI", "Korea, Rep. of": "KOR",
    "Micronesia, Fed. States of": "FSM", "Lao P.D.R.": "LAO", "Kosovo, Rep. of": "KOS",
    "Yugoslavia, SFR": "YUG", "Former U.S.S.R.": "SUN",
}


def user_codes():
    """QMA, QMB, ... QZZ: ISO 3166's user-assigned alpha-3 codes beginning with Q."""
    for second in "MNOPQRSTUVWXYZ":
        for third in "ABCDEFGHIJKLMNOPQRSTUVWXYZ":
            yield f"Q{second}{third}"


def main() -> None:
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    structure = json.loads(Path(sys.argv[1]).read_text(encoding="utf-8"))
    codelist = structure["codelists"]["CL_IMTS_COUNTRY"]
    free = user_codes()
    rows = []
    for imf_code, imf_name in codelist.items():
        if imf_code in FIXED:
            code = FIXED[imf_code]
        elif len(imf_code) == 3 and imf_code.isalpha() and countries.lookup(imf_code) \
                and countries.kind(countries.lookup(imf_code)) == "country":
            code = countries.lookup(imf_code)
        else:
            code = next(free)
        if code.startswith("Q"):
            kind = "other" if imf_code in OTHER_AREAS else "group"
        else:
            kind = countries.kind(code)
        aliases = sorted(name for name, meant in DOTS_NAMES.items()
                         if meant == imf_code and name != imf_name)
        rows.append({"imf_code": imf_code, "code": code, "kind": kind, "name_en": imf_name,
                     "aliases": "|".join(aliases)})
    missing = sorted(set(DOTS_NAMES.values()) - set(codelist))
    for imf_code in missing:  # DOTS names of codes the IMTS list no longer has
        code = countries.lookup(imf_code)
        if code is None:
            sys.exit(f"{imf_code}: a DOTS name means it, but neither IMTS nor pa-trade has it")
        names = sorted(n for n, meant in DOTS_NAMES.items() if meant == imf_code)
        rows.append({"imf_code": "", "code": code, "kind": countries.kind(code),
                     "name_en": names[0], "aliases": "|".join(names[1:])})
    with OUT.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, ["imf_code", "code", "kind", "name_en", "aliases"],
                                lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    print(f"wrote {len(rows)} IMF areas to {OUT}")


if __name__ == "__main__":
    main()
