"""The language and width of what people read: English or Spanish words, numbers written
1,234.5 or 1.234,5, tables fitted to the terminal.

The commands set both once per run (`configure`, from --lang / $PA_TRADE_LANG / the locale,
and --width / the terminal); everything people read passes through `say` (a text) or
`name_of` (a place) on its way out. Machine formats (csv, tsv, json) never do: their column
names, codes and statuses are a stable interface and stay English.

Spanish comes from data/spanish.csv: a text, or a pattern with {fields} filled in by the
English text ('published balance of {country} with {country2} in {year}: {amount} M ...').
A field's name says how its value is carried over: {country...} and {countries...} are
places (named in Spanish), {amount...} numbers (restyled), {period...} periods (month names
in Spanish), {note...} a text translated in turn, any other field as it is. A text the table
does not know stays English, whole: never half translated.
"""

from __future__ import annotations

import os
import re
from functools import cache
from typing import NamedTuple

LANGUAGES = ("en", "es", "es-mx")
# what a language writes numbers like: Colombia, Chile, Peru and Spain 1.234,5; Mexico 1,234.5
DECIMAL_COMMA = {"en": False, "es": True, "es-mx": False}


class Settings:
    """This run's language and width (None: no limit)."""

    lang = "en"
    width: int | None = None


_settings = Settings()


def configure(lang: str | None = None, width: int | None = None) -> None:
    """The language (None: $PA_TRADE_LANG, else the locale) and the width to fit tables to
    (None: the terminal's, else $COLUMNS, else 80; 0: no limit) for this run."""
    _settings.lang = language(lang)
    if width is None:
        import shutil

        width = shutil.get_terminal_size((80, 24)).columns
    _settings.width = width if width > 0 else None


def language(given: str | None = None) -> str:
    """'en', 'es' or 'es-mx': the one given, else $PA_TRADE_LANG, else the locale's (es_MX:
    es-mx; another Spanish locale: es; anything else: en)."""
    for text in (given, os.environ.get("PA_TRADE_LANG")):
        if text and text.strip():
            return _language_code(text)
    for variable in ("LC_ALL", "LC_MESSAGES", "LANG"):
        text = os.environ.get(variable, "")
        if text:
            code = text.split(".")[0].replace("_", "-").lower()
            if code.startswith("es"):
                return "es-mx" if code == "es-mx" else "es"
            return "en"
    return "en"


def _language_code(text: str) -> str:
    from pa_trade.errors import UsageError

    code = text.strip().split(".")[0].replace("_", "-").lower()
    if code in LANGUAGES:
        return code
    if code.startswith("es-"):
        return "es"  # es-CO, es-CL, es-PE, es-ES write 1.234,5
    if code.startswith("en"):
        return "en"
    raise UsageError(f"language {text!r}: pa-trade speaks en, es and es-mx "
                     f"(es-CO, es-CL, es-PE: es)")


def spanish() -> bool:
    return _settings.lang != "en"


def width() -> int | None:
    """The columns tables must fit in; None: no limit."""
    return _settings.width


def number(text: str) -> str:
    """A number written for people in English style (1,234.5) in the language's style."""
    if not DECIMAL_COMMA[_settings.lang]:
        return text
    return text.translate(_SWAP)


_SWAP = str.maketrans({",": ".", ".": ","})


def say(text: str) -> str:
    """`text` in the language of the run (English text, or its Spanish from the table)."""
    if not spanish() or not text:
        return text
    return _translate(text)


def name_of(code: str, english: str) -> str:
    """The name of a place for a table: its Spanish name by code when `english` is its
    English name, else `english` translated as a text (a bloc's subtotal, 'Total, 2
    partners')."""
    if not spanish():
        return english
    from pa_trade.reference import countries

    if code and english == countries.name(code):
        return countries.name(code, "es")
    return _english_names().get(english) or _translate(english)


# --- the table ------------------------------------------------------------------------------

MONTHS_EN = ("January", "February", "March", "April", "May", "June", "July", "August",
             "September", "October", "November", "December")
MONTHS_ES = ("enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto",
             "septiembre", "octubre", "noviembre", "diciembre")
SHORT_EN = tuple(m[:3] for m in MONTHS_EN)
SHORT_ES = ("ene", "feb", "mar", "abr", "may", "jun", "jul", "ago", "sep", "oct", "nov", "dic")


class _Pattern(NamedTuple):
    regex: re.Pattern
    fields: tuple[str, ...]
    spanish: str


@cache
def _table() -> tuple[dict[str, str], tuple[_Pattern, ...]]:
    import csv

    from pa_trade.paths import data_dir

    texts: dict[str, str] = {}
    patterns = []
    with open(data_dir() / "spanish.csv", encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            english, spanish_text = row["english"], row["spanish"]
            fields = tuple(re.findall(r"\{(\w+)\}", english))
            if not fields:
                texts[english] = spanish_text
                continue
            parts = re.split(r"\{(\w+)\}", english)
            regex = "".join(re.escape(part) if index % 2 == 0 else f"(?P<{part}>.+?)"
                            for index, part in enumerate(parts))
            literal = len(re.sub(r"\{\w+\}", "", english))
            patterns.append((literal, _Pattern(re.compile(regex, re.S), fields, spanish_text)))
    # the most literal pattern first: 'mixed ({note})' before '{country} ({codes})'
    patterns.sort(key=lambda item: -item[0])
    return texts, tuple(pattern for _, pattern in patterns)


def _translate(text: str) -> str:
    texts, patterns = _table()
    if text in texts:
        return texts[text]
    lead = re.match(r"[\s◆↳]*", text).group()
    if lead:  # an indented or marked line keeps its indent and mark
        return lead + _translate(text[len(lead):])
    for pattern in patterns:
        found = pattern.regex.fullmatch(text)
        if found:
            values = {field: _field(field, found.group(field)) for field in pattern.fields}
            if None not in values.values():
                return pattern.spanish.format(**values)
    return text


def _field(field: str, value: str) -> str | None:
    """A field's value in Spanish; None when it is not what the field holds (a {country}
    that is no place, a {period} without a year or month), so that the next pattern is
    tried: '{country}, {period}' must not swallow every text with a comma."""
    kind = re.sub(r"\d+$", "", field)
    if kind == "country":
        return _places(value) if _is_place(value) else None
    if kind == "countries":
        return _places(value)
    if kind == "amount":
        return number(value) if re.fullmatch(r"[-+−]?[\d.,]+", value) else None
    if kind == "period":
        said = period(value)
        return said if re.search(r"\d{4}", value) or said != value else None
    if kind in ("year", "n"):
        return value if value.isdigit() else None
    if kind == "note":
        said = _translate(value)
        return _places(value) if said == value and _is_place(value) else said
    return value


def _is_place(text: str) -> bool:
    from pa_trade.reference import countries

    text = text.removeprefix("the ")
    if text in _english_names() or text in _table()[0]:
        return True
    # a name as people write it: no marks ('◆ Colombia' is a mark and a name)
    return bool(re.fullmatch(r"[\w .,'()-]+", text)) and countries.lookup(text) is not None


def _places(text: str) -> str:
    """'Mexico', 'Mexico and Peru', 'Chile, Mexico and Peru', 'the World' in Spanish."""
    from pa_trade.reference import countries

    names = _english_names()
    if text in names:
        return names[text]
    if text.startswith("the ") and text[4:] in names:
        return "el " + names[text[4:]] if text == "the World" else names[text[4:]]
    code = countries.lookup(text)
    if code is not None:  # 'Korea' in an agreement's name
        return countries.name(code, "es")
    parts = re.split(r", | and ", text)
    if len(parts) > 1:
        said = [names.get(part) or (countries.name(countries.lookup(part), "es")
                                    if _is_place(part) else _translate(part)) for part in parts]
        if all(s != p or p in names for s, p in zip(said, parts, strict=True)):
            return ", ".join(said[:-1]) + " y " + said[-1]
    return _translate(text)


@cache
def _english_names() -> dict[str, str]:
    from pa_trade.reference import countries

    return countries.spanish_names()


def period(text: str) -> str:
    """'January–June 2023' -> 'enero–junio de 2023'; 'Jan–Jun 2023' -> 'ene–jun 2023';
    years as they are."""
    if not spanish():
        return text
    out = text
    for english, spanish_name in zip(MONTHS_EN, MONTHS_ES, strict=True):
        out = re.sub(rf"\b{english}\b", spanish_name, out)
    for english, spanish_name in zip(SHORT_EN, SHORT_ES, strict=True):
        out = re.sub(rf"\b{english}\b", spanish_name, out)
    out = re.sub(r"([a-z]) (\d{4})\b", r"\1 de \2", out) if out != text else out
    return (out.replace(" of each year", " de cada año")
            .replace("the whole year", "el año completo"))
