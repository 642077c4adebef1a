"""Trade balances as the statistics offices publish them (data/official_balances.csv, each
with its publisher and page), to show beside the balance pa-trade computes: the offices value
imports FOB, so a balance computed with CIF imports differs from theirs."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from pa_trade.errors import DataError

COLUMNS = ("reporter", "partner", "year", "balance_usd", "imports_valuation", "publisher",
           "source_url")


@dataclass(frozen=True)
class OfficialBalance:
    reporter: str
    partner: str
    year: int
    balance_usd: float
    imports_valuation: str
    publisher: str
    source_url: str


@cache
def official_balances() -> dict[tuple[str, str, int], OfficialBalance]:
    """{(reporter, partner, year): the published balance} of the built-in table."""
    from pa_trade.paths import data_dir
    from pa_trade.reference.countries import read_data_table

    path = data_dir() / "official_balances.csv"
    found = {}
    for line, rec in read_data_table(path, COLUMNS):
        try:
            item = OfficialBalance(rec["reporter"].upper(), rec["partner"].upper(),
                                   int(rec["year"]), float(rec["balance_usd"]),
                                   rec["imports_valuation"].upper(), rec["publisher"],
                                   rec["source_url"])
        except ValueError as exc:
            raise DataError(f"{path}, line {line}: {exc}") from None
        found[(item.reporter, item.partner, item.year)] = item
    return found
