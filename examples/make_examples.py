#!/usr/bin/env python3
"""Write the example file the documentation runs on: examples/pa_trade_2000_2020.csv.

Every figure in it is MADE UP. The file only has the shape of real data, so that the
examples of `balance` (with blocs), `mirror`, `trend`, `matrix` and the charts can run from
a clone of the repository, without any file from outside it:

- pa-trade's tidy layout (`reporter,partner,year,flow,value_usd,valuation,source`);
- the four Pacific Alliance members (CHL, COL, MEX, PER) as reporters, each with the other
  three, South Korea, China, the United States and the World (`WLD`) as partners;
- the years 2000-2020, so that `trend` splits growth before and after the Korea FTAs of
  Chile (2004), Peru (2011) and Colombia (2016);
- exports FOB and imports CIF, both sides of every flow between members reported (the
  importer's CIF figure is the exporter's FOB figure times a made-up margin), so that
  `mirror` and `matrix --mirror` have two records to compare. One direction (Chile to
  Peru) is given a low margin on purpose, so that `mirror` shows a ratio outside its band;
- every row's source says `pa-trade example data (made-up figures)`.

Standard library only, seeded: running it again gives the same bytes.

    python3 examples/make_examples.py            # writes examples/pa_trade_2000_2020.csv
    python3 examples/make_examples.py OUT.csv    # writes OUT.csv instead
"""

from __future__ import annotations

import csv
import io
import random
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE / "pa_trade_2000_2020.csv"

SOURCE = "pa-trade example data (made-up figures)"
SEED = 20240612
YEARS = range(2000, 2021)
MEMBERS = ("CHL", "COL", "MEX", "PER")
OUTSIDE = ("KOR", "CHN", "USA")
# the year a member's FTA with Korea entered into force (data/ftas.csv): after it, the
# made-up trade with Korea grows a little faster, so that trend's split has something to show
KOREA_FTA = {"CHL": 2004, "PER": 2011, "COL": 2016}
# made-up scale of each member's trade, in millions of dollars in 2000
SIZE = {"CHL": 900.0, "COL": 700.0, "MEX": 2600.0, "PER": 500.0}
PARTNER_WEIGHT = {"KOR": 0.6, "CHN": 1.4, "USA": 4.0}


def series(rng: random.Random, start: float, growth: float, boost_from: int | None) -> list:
    """A made-up yearly path: steady growth, a dip in 2009 and 2020, some noise."""
    values = []
    value = start
    for year in YEARS:
        rate = growth + (0.06 if boost_from is not None and year >= boost_from else 0.0)
        if year in (2009, 2020):
            rate -= 0.18
        if year > YEARS[0]:
            value *= 1 + rate + rng.uniform(-0.08, 0.08)
        values.append(value)
    return values


def dollars(millions: float) -> int:
    return int(round(millions * 1_000_000))


def rows() -> list[tuple]:
    rng = random.Random(SEED)
    out = []
    exports_total = {(m, y): 0.0 for m in MEMBERS for y in YEARS}
    imports_total = {(m, y): 0.0 for m in MEMBERS for y in YEARS}

    def add(reporter, partner, year, flow, millions):
        valuation = "FOB" if flow == "export" else "CIF"
        out.append((reporter, partner, year, flow, dollars(millions), valuation, SOURCE))
        totals = exports_total if flow == "export" else imports_total
        totals[reporter, year] += millions

    # trade between members: the exporter reports FOB, the importer CIF
    for exporter in MEMBERS:
        for importer in MEMBERS:
            if exporter == importer:
                continue
            start = SIZE[exporter] * rng.uniform(0.15, 0.5)
            path = series(rng, start, rng.uniform(0.02, 0.07), None)
            margin = 0.80 if (exporter, importer) == ("CHL", "PER") else rng.uniform(1.0, 1.2)
            for year, value in zip(YEARS, path, strict=True):
                add(exporter, importer, year, "export", value * rng.uniform(0.98, 1.02))
                add(importer, exporter, year, "import", value * margin * rng.uniform(0.97, 1.03))

    # trade with partners outside the bloc, which report nothing here
    for member in MEMBERS:
        for partner in OUTSIDE:
            boost = KOREA_FTA.get(member) if partner == "KOR" else None
            weight = PARTNER_WEIGHT[partner] * SIZE[member]
            exports = series(rng, weight * rng.uniform(0.3, 0.9), rng.uniform(0.01, 0.08), boost)
            imports = series(rng, weight * rng.uniform(0.3, 0.9), rng.uniform(0.01, 0.08), boost)
            for year, x, m in zip(YEARS, exports, imports, strict=True):
                add(member, partner, year, "export", x)
                add(member, partner, year, "import", m)

    # the World: more than the partners listed, as a real total would be
    for member in MEMBERS:
        share = rng.uniform(0.45, 0.65)
        for year in YEARS:
            x = exports_total[member, year] / share
            m = imports_total[member, year] / share
            out.append((member, "WLD", year, "export", dollars(x), "FOB", SOURCE))
            out.append((member, "WLD", year, "import", dollars(m), "CIF", SOURCE))
    out.sort(key=lambda row: (row[0], row[1], row[3], row[2]))
    return out


def render() -> str:
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(["reporter", "partner", "year", "flow", "value_usd", "valuation", "source"])
    writer.writerows(rows())
    return text.getvalue()


def main(argv: list[str]) -> None:
    target = Path(argv[1]) if len(argv) > 1 else OUT
    target.write_bytes(render().encode("utf-8"))
    print(f"wrote {target}")


if __name__ == "__main__":
    main(sys.argv)
