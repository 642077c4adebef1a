"""Which code system a microdata file's country column uses, decided by evidence.

DANE's microdata give the partner as a number: DIAN's codes in older releases, ISO 3166
numeric in newer ones (from 2025: 528 the Netherlands, 840 the USA), often with the ISO
alpha-3 code beside it (COD_PAI4). The two systems share 61 numbers that mean different
countries (528 is Nigeria for DIAN, 040 Angola for DIAN and Austria for ISO), so a wrong
reading sends real value to wrong countries without any code looking unknown. The system is
therefore never assumed:

- with an alpha-3 column, the alpha-3 code names the partner; the numeric code is read in
  the system that agrees with it, and rows where the two disagree are reported;
- without one, the system is the reading that places the value on known codes while the
  other leaves a large share of it on codes no country has (each wrong reading leaves
  80 % or more of a real month unplaced);
- when the evidence does not decide, the file is refused and `--country-codes` settles it.
"""

from __future__ import annotations

from dataclasses import dataclass

from pa_trade.errors import DataError
from pa_trade.reference import countries

SYSTEMS = ("dian", "iso")
SYSTEM_NAMES = {"dian": "DIAN's country codes", "iso": "ISO 3166 numeric codes"}
SHORT = {"dian": "DIAN codes", "iso": "ISO numeric codes"}
# a reading is decided when the other leaves at least this share of the value unplaced more
DECISIVE_SHARE = 0.05


class MixedSystems(DataError):
    """Codes of both systems in one file: no option can read them right."""


@dataclass(frozen=True)
class Decision:
    """The system a column is read in, and the evidence, as a sentence for the report."""

    system: str
    evidence: str


def partners(pairs: list[tuple[str, str]], system: str, reporter: str,
             domestic: str) -> list[tuple[str | None, str | None]]:
    """(partner, disagreement) for distinct (numeric code, alpha-3 code) pairs.

    The alpha-3 code wins when it is a known code; the reporter's own code becomes
    `domestic`. `disagreement` describes a pair whose two codes name different partners
    (or whose alpha-3 code is unknown), for the report; None when they agree.
    """
    numeric = countries.numeric_to_code([code for code, _ in pairs], system)
    out = []
    for code, alpha in pairs:
        by_number = numeric[code]
        by_alpha = _alpha(alpha)
        partner = by_alpha or by_number
        disagreement = None
        if alpha and by_alpha is None:
            disagreement = f"alpha-3 {alpha!r} is no known code"
        elif by_alpha and by_number is None and code.strip():
            disagreement = f"{code!r} is none of {SYSTEM_NAMES[system]}, {alpha!r} is " \
                           f"{countries.name(by_alpha)}"
        elif by_alpha and by_number and by_alpha != by_number:
            disagreement = (f"{code!r} is {countries.name(by_number)} in "
                            f"{SYSTEM_NAMES[system]}, {alpha!r} is "
                            f"{countries.name(by_alpha)}")
        if partner == reporter:
            partner = domestic
        out.append((partner, disagreement))
    return out


def _alpha(text: str) -> str | None:
    """The code an alpha-3 cell names ('USA', 'XCF'), or None."""
    text = text.strip()
    if len(text) != 3 or not text.isalpha():
        return None
    return countries.lookup(text)


def decide(totals: dict[tuple[str, str], float], column: str, alpha_column: str | None,
           name: str) -> Decision:
    """The system of `column` from the value on each distinct (code, alpha-3) pair.

    Raises DataError, naming the doubt and `--country-codes`, when the codes read alike in
    both systems and no alpha-3 column tells them apart.
    """
    total = sum(abs(v) for v in totals.values()) or 1.0
    readings = {system: countries.numeric_to_code({c for c, _ in totals}, system)
                for system in SYSTEMS}
    with_alpha = {pair: value for pair, value in totals.items() if _alpha(pair[1])}
    if with_alpha:
        alpha_total = sum(abs(v) for v in with_alpha.values()) or 1.0
        agree = {
            system: sum(abs(v) for (code, alpha), v in with_alpha.items()
                        if _same(readings[system][code], _alpha(alpha)))
            / alpha_total
            for system in SYSTEMS
        }
        best = max(SYSTEMS, key=lambda s: agree[s])
        other = next(s for s in SYSTEMS if s != best)
        if agree[best] >= 0.5 and agree[best] > agree[other]:
            _same_system_without_alpha(totals, with_alpha, readings, best, other, column,
                                       alpha_column, name)
            given = alpha_total / total
            where = "" if given > 0.995 else f" where it is given ({given:.1%} of the value)"
            return Decision(best, (
                f"{column} read as {SYSTEM_NAMES[best]}, which agree with {alpha_column}"
                f"{where} on {agree[best]:.1%} of the value ({SHORT[other]} would on "
                f"{agree[other]:.1%}); the partner is {alpha_column}'s code where it is given"))
        if len(with_alpha) == len(totals):
            return Decision(best, (
                f"{column} agrees with neither code system; every row's partner is its "
                f"{alpha_column} code"))
    unplaced = {system: sum(abs(v) for (code, _), v in totals.items()
                            if readings[system][code] is None) / total
                for system in SYSTEMS}
    best = min(SYSTEMS, key=lambda s: unplaced[s])
    other = next(s for s in SYSTEMS if s != best)
    if unplaced[best] > 1 - DECISIVE_SHARE:
        # codes of neither system: no reading sends value to a wrong country; the unknown
        # codes are set aside, each with its line
        return Decision("dian", (
            f"{column} holds codes of neither system on {unplaced[best]:.1%} of the value or "
            f"more; read as {SYSTEM_NAMES['dian']}, the codes no country has are set aside"))
    if unplaced[other] - unplaced[best] >= DECISIVE_SHARE:
        return Decision(best, (
            f"{column} read as {SYSTEM_NAMES[best]} (read as {SHORT[other]}, "
            f"{unplaced[other]:.1%} of the value would fall on no country)"))
    raise DataError(
        f"{name}: cannot tell whether {column} holds DIAN's country codes or ISO 3166 "
        f"numeric codes: {_example(totals, readings)}, and both readings place "
        f"{1 - unplaced['dian']:.0%} and {1 - unplaced['iso']:.0%} of the value; "
        f"say which with --country-codes dian or --country-codes iso")


def _same_system_without_alpha(totals, with_alpha, readings, best: str, other: str,
                               column: str, alpha_column: str, name: str) -> None:
    """DataError when the rows without an alpha-3 code read better in the other system
    than in the one their neighbours' alpha-3 codes decided: two systems in one file."""
    rest = {pair: value for pair, value in totals.items() if pair not in with_alpha}
    rest_total = sum(abs(v) for v in rest.values())
    if not rest_total:
        return
    unplaced = {system: sum(abs(v) for (code, _), v in rest.items()
                            if readings[system][code] is None) / rest_total
                for system in (best, other)}
    if unplaced[best] - unplaced[other] >= DECISIVE_SHARE:
        raise MixedSystems(
            f"{name}: {column} seems to mix two code systems: where {alpha_column} is given, "
            f"{column} holds {SYSTEM_NAMES[best]}, but where it is empty, read so, "
            f"{unplaced[best]:.1%} of their value would fall on no country "
            f"({SHORT[other]}: {unplaced[other]:.1%}); no one reading places both: keep the "
            f"lines of each release in files of their own")


def _same(a: str | None, b: str | None) -> bool:
    return a is not None and a == b


def _example(totals, readings) -> str:
    """'528 is Nigeria for DIAN and the Netherlands in ISO', for the code with most value
    that the two systems read differently."""
    ranked = sorted(totals.items(), key=lambda item: -abs(item[1]))
    for (code, _), _value in ranked:
        dian, iso = readings["dian"][code], readings["iso"][code]
        if dian and iso and dian != iso:
            return (f"{code} is {countries.name(dian)} for DIAN and {countries.name(iso)} "
                    f"in ISO")
    return "its codes mean different countries in the two systems"
