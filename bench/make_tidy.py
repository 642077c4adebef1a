"""Write a synthetic tidy flows CSV (pa-trade's own layout) of any size, for benchmarks.

    python bench/make_tidy.py --rows 5000000 --out /tmp/tidy-5m.csv
    python bench/make_tidy.py --rows 5000000 --duplicates 0.01 --out /tmp/tidy-5m-dup.csv

The file is what `pa-trade flows -f csv` writes for monthly, product-level flows (formats.md
§5): UTF-8, comma, a header `reporter,partner,year,month,flow,value_usd,valuation,source,
hs_code`, plain numbers without trailing zeros ("178638.32", "88450", "21219551.4"), rows in
the order pa-trade writes them (reporter, partner, year, month, flow, valuation, hs_code,
source). Four reporters (COL about half the rows, PER, MEX, CHL), some 200 partners with the
skew of real trade, 20 years, 12 months, 10-digit tariff codes with leading zeros from a pool
of 5,000; exports FOB; imports CIF, and for Colombia also FOB (DANE publishes both), so that
`balance --valuation` has a choice to make. One source per reporter and flow. Every row is
one flow: no two rows share the key the tidy reader checks.

`--duplicates F` repeats a share F of the rows right after themselves; a tenth of those
repeats carry another figure (the reader sets both rows aside as conflicting), the rest the
same (the repeat is set aside as a duplicate). Values are random, not statistics.

Keys are drawn as integers and made unique and sorted with numpy; the lines are written in
chunks by Arrow, so memory stays bounded and ten million rows take well under a minute.
"""

from __future__ import annotations

import argparse
import csv
import time
from pathlib import Path

import numpy as np

COUNTRIES_CSV = Path(__file__).resolve().parents[1] / "data" / "countries.csv"
REPORTERS = {"CHL": 0.15, "COL": 0.5, "MEX": 0.2, "PER": 0.15}  # alphabetical: the file order
HEAVY = {"USA": 20.0, "CHN": 12.0, "MEX": 4.0, "BRA": 4.0, "DEU": 3.0, "PAN": 3.0, "ECU": 3.0,
         "PER": 3.0, "CHL": 3.0, "COL": 3.0, "IND": 2.5, "JPN": 2.0, "KOR": 2.0, "ESP": 2.0,
         "NLD": 2.0, "CAN": 2.0, "ITA": 1.5, "FRA": 1.5, "GBR": 1.5, "ARG": 1.5}
FIRST_YEAR, YEARS, MONTHS = 2005, 20, 12
FLOWS = ("export", "import")
PRODUCTS = 5000
CHUNK = 1_000_000
HEADER = ["reporter", "partner", "year", "month", "flow", "value_usd", "valuation", "source",
          "hs_code"]
SOURCES = {"COL": "DANE {} microdata", "PER": "SUNAT {}s by country",
           "MEX": "INEGI {} microdata", "CHL": "Aduanas {} declarations"}


def partners() -> tuple[list[str], np.ndarray]:
    """ISO3 codes of pa-trade's countries (alphabetical) and each one's share of rows."""
    with COUNTRIES_CSV.open(encoding="utf-8-sig", newline="") as handle:
        codes = sorted(row["iso3"] for row in csv.DictReader(handle)
                       if len(row["iso3"]) == 3 and row["iso_numeric"])
    codes = codes[:200] if len(codes) > 200 else codes
    for heavy in HEAVY:
        if heavy not in codes:
            codes.append(heavy)
    codes.sort()
    weights = np.array([HEAVY.get(code, 0.3) for code in codes])
    return codes, weights / weights.sum()


def draw_keys(rows: int, rng, partner_codes: list[str], partner_weights) -> np.ndarray:
    """`rows` distinct row keys, sorted, as int64 (see decode for the digits)."""
    reporter_weights = np.array(list(REPORTERS.values()))
    found = np.empty(0, dtype=np.int64)
    while len(found) < rows:
        n = int((rows - len(found)) * 1.3) + 1000
        reporter = rng.choice(len(REPORTERS), n, p=reporter_weights)
        partner = rng.choice(len(partner_weights), n, p=partner_weights)
        year = rng.integers(0, YEARS, n)
        month = rng.integers(0, MONTHS, n)
        flow = rng.integers(0, 2, n)
        # 0 CIF, 1 FOB: exports FOB; imports CIF, Colombia's a third of them FOB as well
        colombia = reporter == list(REPORTERS).index("COL")
        valuation = np.where(flow == 0, 1, np.where(colombia & (rng.random(n) < 0.33), 1, 0))
        product = np.minimum(rng.zipf(1.3, n) - 1, PRODUCTS - 1)
        reporter_codes = np.searchsorted(partner_codes, list(REPORTERS))
        keep = partner != reporter_codes[reporter]  # no country's trade with itself
        reporter, partner, year, month, flow, valuation, product = (
            a[keep] for a in (reporter, partner, year, month, flow, valuation, product))
        key = ((((((reporter * 256 + partner) * YEARS + year) * MONTHS + month) * 2 + flow)
                * 2 + valuation) * PRODUCTS + product)
        found = np.unique(np.concatenate([found, key]))
    pick = np.sort(rng.choice(len(found), rows, replace=False))
    return found[pick]


def decode(keys: np.ndarray, codes: list[str], product_codes: np.ndarray, rng):
    """The columns of the rows with these keys, as an Arrow table in HEADER order."""
    import pyarrow as pa
    import pyarrow.compute as pc

    rest, product = np.divmod(keys, PRODUCTS)
    rest, valuation = np.divmod(rest, 2)
    rest, flow = np.divmod(rest, 2)
    rest, month = np.divmod(rest, MONTHS)
    rest, year = np.divmod(rest, YEARS)
    reporter, partner = np.divmod(rest, 256)
    cents = np.rint(np.exp(rng.normal(11.5, 2.2, len(keys))) * 100).astype(np.int64) + 1
    reporters = np.array(list(REPORTERS))
    sources = np.array([SOURCES[r].format(f) for r in REPORTERS for f in FLOWS])
    return pa.table({
        "reporter": pa.array(reporters[reporter]),
        "partner": pa.array(np.array(codes)[partner]),
        "year": pa.array(year + FIRST_YEAR),
        "month": pa.array(month + 1),
        "flow": pa.array(np.array(FLOWS)[flow]),
        "value_usd": usd_text(cents),
        "valuation": pa.array(np.array(["CIF", "FOB"])[valuation]),
        "source": pa.array(sources[reporter * 2 + flow]),
        "hs_code": pc.take(pa.array(product_codes), pa.array(product)),
    })


def usd_text(cents: np.ndarray):
    """Whole cents as pa-trade writes dollars: '1752000000', '23885.1', '0.05'."""
    import pyarrow as pa
    import pyarrow.compute as pc

    dollars, fraction = np.divmod(cents, 100)
    tens, units = np.divmod(fraction, 10)
    digits = np.array(list("0123456789"))
    tail = np.where(fraction == 0, "", np.where(units == 0, np.char.add(".", digits[tens]),
                    np.char.add(np.char.add(".", digits[tens]), digits[units])))
    return pc.binary_join_element_wise(pc.cast(pa.array(dollars), pa.string()),
                                       pa.array(tail), "")


def with_duplicates(table, share: float, rng):
    """Each row of a share of the table repeated right after itself; a tenth of the repeats
    with another figure."""
    import pyarrow as pa
    import pyarrow.compute as pc

    n = table.num_rows
    repeated = rng.random(n) < share
    order = np.repeat(np.arange(n), np.where(repeated, 2, 1))
    out = table.take(pa.array(order))
    second = np.zeros(len(order), dtype=bool)
    second[1:] = order[1:] == order[:-1]
    conflicting = second & (rng.random(len(order)) < 0.1)
    if conflicting.any():
        values = out.column("value_usd")
        other = pc.binary_join_element_wise(pa.array(["1"] * len(order)), values, "")
        out = out.set_column(HEADER.index("value_usd"), "value_usd",
                             pc.if_else(pa.array(conflicting), other, values))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, required=True, help="distinct flows")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--duplicates", type=float, default=0.0,
                        help="share of rows repeated (0.01: 1%%)")
    parser.add_argument("--seed", type=int, default=16)
    args = parser.parse_args()
    import pyarrow.csv as pacsv

    started = time.perf_counter()
    rng = np.random.default_rng(args.seed)
    codes, weights = partners()
    product_codes = np.sort(rng.choice(10**10, PRODUCTS, replace=False))
    product_codes = np.char.zfill(product_codes.astype(str), 10)
    keys = draw_keys(args.rows, rng, codes, weights)
    options = pacsv.WriteOptions(include_header=False, quoting_style="none")
    partial = args.out.with_name(args.out.name + ".part")
    with partial.open("wb") as handle:
        handle.write((",".join(HEADER) + "\n").encode())
        for start in range(0, len(keys), CHUNK):
            table = decode(keys[start:start + CHUNK], codes, product_codes, rng)
            if args.duplicates:
                table = with_duplicates(table, args.duplicates, rng)
            pacsv.write_csv(table, handle, options)
    partial.replace(args.out)
    print(f"wrote {args.out} ({args.rows:,} flows, {args.out.stat().st_size / 1e6:,.0f} MB) "
          f"in {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
