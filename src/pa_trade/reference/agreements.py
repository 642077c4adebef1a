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
        parties = tuple(_party(p, where)
                        for p in (rec["parties"] or "").replace(",", " ").split())
        if len(parties) < 2 and not (parties and countries.bloc(parties[0])):
            raise DataError(f"{where}: an agreement needs two parties or more, or one bloc "
                            f"(among its members)")
        try:
            date = datetime.date.fromisoformat((rec["entry_into_force"] or "").strip())
        except ValueError as exc:
            raise DataError(f"{where}: entry_into_force {rec['entry_into_force']!r} is not "
                            f"a date like 2004-04-01") from exc
        agreements.append(Agreement((rec["agreement"] or "").strip(), parties, date,
                                    (rec["source"] or "").strip()))
    return agreements


def _party(text: str, where: str) -> str:
    """A party's code: a country or aggregate as `countries.resolve` reads it (PA is Panama),
    else a bloc's code (XCP, the CPTPP, which no aggregate row has)."""
    from pa_trade.errors import UnknownCountry

    try:
        return countries.resolve(text, where=where)
    except UnknownCountry:
        found = countries.bloc(text)
        if found is None:
            raise
        return found.code


def _in_force(agreement: Agreement, code: str):
    """The day `agreement` covers `code` from, or None: a party from its entry into force; a
    member of a bloc that is a party (XEU, XEF, XCP) from the later of that day and the day
    it joined the bloc (Croatia and the EU's agreements from 1 July 2013); a member that left
    the bloc before the agreement is not covered."""
    if code in agreement.parties:
        return agreement.entry_into_force
    days = []
    for party in agreement.parties:
        found = countries.bloc(party) if party != code else None
        if found is not None and found.code == party:
            day = found.joined(code, agreement.entry_into_force)
            if day is not None:
                days.append(day)
    return min(days) if days else None


def agreements_between(agreements, reporter: str, partners: list[str]) -> list[Agreement]:
    """The agreements whose parties include the reporter and every partner, by date.

    A party that is a bloc stands for itself and for its members (by day joined): the
    EU–Mexico agreement covers Mexico with Germany, and with Croatia from 1 July 2013, the
    date the agreement returned carries for that pair; a bloc alone as party (the CPTPP) is an
    agreement among its members. A bloc's code as reporter or partner (XEU) matches the
    agreements that bloc is a party to.
    """
    import dataclasses

    wanted = [reporter, *partners]
    found = []
    for agreement in agreements:
        days = [_in_force(agreement, code) for code in wanted]
        if all(day is not None for day in days):
            day = max(days)
            if day != agreement.entry_into_force:
                agreement = dataclasses.replace(agreement, entry_into_force=day)
            found.append(agreement)
    return sorted(found, key=lambda a: a.entry_into_force)
