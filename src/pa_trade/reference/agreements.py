"""Trade agreements: who signed with whom and when each entered into force (data/ftas.csv,
with its sources), so that `trend` can split growth before and after an agreement."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from pathlib import Path

from pa_trade.errors import DataError
from pa_trade.reference import countries

FTA_COLUMNS = ("agreement", "parties", "entry_into_force", "source")


@dataclass(frozen=True)
class Agreement:
    """A trade agreement between `parties` (ISO3 codes) and the day it entered into force."""

    name: str
    parties: tuple[str, ...]
    entry_into_force: datetime.date
    source: str = ""

    @property
    def base_year(self) -> int:
        """The last calendar year wholly before the agreement: growth 'after' starts here."""
        return self.entry_into_force.year - 1


def read_ftas(path: str | Path | None = None) -> list[Agreement]:
    """The agreements in `path`, by default the built-in `data/ftas.csv`.

    Layout: agreement,parties,entry_into_force,source; parties are ISO3 codes or names
    separated by spaces, the date is YYYY-MM-DD.
    """
    import pathlib

    if path is None:
        from pa_trade.paths import data_dir

        path = data_dir() / "ftas.csv"
    path = pathlib.Path(path)
    records = countries.read_data_table(path, tuple(FTA_COLUMNS))
    agreements = []
    for line, rec in records:
        where = f"{path}, line {line}"
        parties = tuple(countries.resolve(p, where=where)
                        for p in (rec["parties"] or "").replace(",", " ").split())
        if len(parties) < 2:
            raise DataError(f"{where}: an agreement needs two parties or more")
        try:
            date = datetime.date.fromisoformat((rec["entry_into_force"] or "").strip())
        except ValueError as exc:
            raise DataError(f"{where}: entry_into_force {rec['entry_into_force']!r} is not "
                            f"a date like 2004-04-01") from exc
        agreements.append(Agreement((rec["agreement"] or "").strip(), parties, date,
                                    (rec["source"] or "").strip()))
    return agreements


def agreements_between(agreements, reporter: str, partners: list[str]) -> list[Agreement]:
    """The agreements whose parties include the reporter and every partner, by date."""
    wanted = {reporter, *partners}
    found = [a for a in agreements if wanted <= set(a.parties)]
    return sorted(found, key=lambda a: a.entry_into_force)
