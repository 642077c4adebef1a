"""The UN Comtrade area code to ask the API for a country or aggregate given by ISO3.

`countries.comtrade_to_iso3` reads codes found in answers (every code a country ever had);
asking needs the one code Comtrade files the country's current data under.
"""

from __future__ import annotations

import csv
from functools import cache

from pa_trade.errors import DataError

# Where Comtrade files a country under a code other than its ISO numeric one (its area
# differs, or the ISO number is an older series): data/SOURCES.md, "UN Comtrade reference".
CURRENT_CODE_DIFFERS_FROM_ISO = {
    "USA": 842,  # 840 is ISO's; 841 is "USA and Puerto Rico (...1980)"
    "FRA": 251,  # 250 is "Metropolitan France"
    "NOR": 579,  # 578 is "Norway, excluding Svalbard and Jan Mayen"
    "IND": 699,  # 356 is "India (...1974)"
    "CHE": 757,  # 756 occurs only in old data
    "TWN": 490,  # "Other Asia, nes": how Comtrade files Taiwan
}


@cache
def _codes() -> dict[str, int]:
    from pa_trade.paths import data_dir

    found: dict[str, int] = {}
    path = data_dir() / "countries.csv"
    for row in _rows(path):
        iso3 = row["iso3"].strip().upper()
        listed = [int(code) for code in row["comtrade_codes"].split()]
        if not listed:
            continue
        if iso3 in CURRENT_CODE_DIFFERS_FROM_ISO:
            code = CURRENT_CODE_DIFFERS_FROM_ISO[iso3]
            if code not in listed:
                raise DataError(f"{path}: {iso3} lacks its Comtrade code {code}")
        else:
            iso_numeric = int(row["iso_numeric"]) if row["iso_numeric"].strip() else None
            # the ISO number when Comtrade lists it (KNA 659, not the older 658); areas without
            # an ISO number (Kosovo 412, former areas) have a single code
            code = iso_numeric if iso_numeric in listed else listed[0]
        found[iso3] = code
    for row in _rows(data_dir() / "aggregates.csv"):
        listed = row.get("comtrade_codes", "").split()
        if len(listed) == 1:  # WLD 0, XEU 97; "areas nes" has many codes and cannot be asked
            found[row["code"].strip().upper()] = int(listed[0])
    return found


def _rows(path):
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def comtrade_code(iso3: str) -> int | None:
    """The Comtrade area code for an ISO3 or aggregate code (USA -> 842, WLD -> 0), or None."""
    return _codes().get(str(iso3).strip().upper())
