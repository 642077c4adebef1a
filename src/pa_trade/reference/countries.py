"""Country and area resolution: names, ISO, DIAN and UN Comtrade codes to ISO3, and trade blocs.

Everything resolves to an ISO 3166 alpha-3 code for a country, or to one of our own codes for
an aggregate or pseudo-partner listed in `data/aggregates.csv` (WLD for the world, XEU for the
European Union, XOT for "other countries", ZZZ for DIAN's "not declared", ...). Names match
whole, after `normalize`: "New Mexico" is not Mexico and "Niger" is not "Nigeria".

Numbers are ambiguous between code systems (040 is Austria in ISO, Angola for DIAN), so the
caller says which one a column uses: `codes="iso"` (the default), `"dian"` or `"comtrade"`, or
the text carries a prefix such as "dian:040".

The tables load on first use; importing this module reads no file and imports only the
standard library, so the command line starts fast.
"""

from __future__ import annotations

import unicodedata
from functools import cache

from pa_trade.errors import DataError, InputError, UnknownCountry, UsageError

TYPE_CHECKING = False
if TYPE_CHECKING:  # for annotations only: pathlib alone costs more than this whole module
    from collections.abc import Iterable
    from pathlib import Path

__all__ = [
    "Bloc",
    "aduanas_to_code",
    "all_codes",
    "bloc",
    "comtrade_to_iso3",
    "dian_to_iso3",
    "numeric_to_code",
    "expand",
    "imf_code_of",
    "imf_lookup",
    "imf_to_code",
    "inegi_to_code",
    "is_aggregate",
    "kind",
    "load_blocs",
    "lookup",
    "name",
    "normalize",
    "resolve",
    "sunat_lookup",
]

CODE_SYSTEMS = ("iso", "dian", "comtrade")
KINDS = ("country", "world", "group", "other", "domestic")
COUNTRY_COLUMNS = (
    "iso3",
    "iso2",
    "iso_numeric",
    "comtrade_codes",
    "dian_codes",
    "name_en",
    "name_es",
    "aliases",
)
_AGGREGATE_COLUMNS = ("code", "kind", "name_en", "name_es", "aliases", "dian_codes")
_IMF_COLUMNS = ("imf_code", "code", "kind", "name_en", "aliases")
_BLOC_COLUMNS = ("bloc", "code", "aliases", "name_en", "name_es", "members", "source")


_ASCII_PUNCTUATION = {c: " " for c in range(128) if not chr(c).isalnum()}


def normalize(text: str) -> str:
    """Fold a name for comparison: no accents, casefolded, punctuation as spaces, single spaces.

    >>> normalize("Corea, República de")
    'corea republica de'
    >>> normalize("EE.UU.")
    'ee uu'
    """
    text = str(text)
    if text.isascii():  # most names: the same folding without a loop over characters
        return " ".join(text.lower().translate(_ASCII_PUNCTUATION).split())
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    kept = []
    for char in decomposed:
        if unicodedata.combining(char):
            continue
        kept.append(char if char.isalnum() else " ")
    return " ".join("".join(kept).split())


class _Tables:
    """The indexes built from countries.csv and aggregates.csv."""

    def __init__(self) -> None:
        self.names: dict[str, str] = {}  # normalized name -> code
        self.alpha: dict[str, str] = {}  # upper-case alpha-2, alpha-3 or our code -> code
        self.iso_numeric: dict[int, str] = {}
        self.dian: dict[int, str] = {}
        self.comtrade: dict[int, str] = {}
        self.display: dict[str, tuple[str, str]] = {}  # code -> (English, Spanish)
        self.kinds: dict[str, str] = {}
        self.imf: dict[str, str] = {}  # an IMF partner code (G001, TX898, CHN) -> code
        self.imf_names: dict[str, str] = {}  # normalized IMF spelling -> code
        self.imf_of: dict[str, str] = {}  # code -> the IMF's code for it (made on first use)

    def add_name(self, text: str, code: str, where: str) -> None:
        key = normalize(text)
        if not key:
            return
        if self.names.setdefault(key, code) != code:
            raise DataError(f"{where}: the name {text!r} means both {self.names[key]} and {code}")

    def add_number(self, index: dict[int, str], text: str, code: str, where: str) -> None:
        number = _number(text)
        if number is None:
            raise DataError(f"{where}: {text!r} is not a numeric code")
        if index.setdefault(number, code) != code:
            raise DataError(f"{where}: the code {text} means both {index[number]} and {code}")


def read_data_table(path: Path, columns: tuple[str, ...]) -> list[tuple[int, dict[str, str]]]:
    """Rows of one of pa-trade's CSV tables (or a user's: blocs, agreements) with their line
    numbers, values stripped; one-line errors for a missing file, header column or encoding."""
    import csv  # csv pulls in re; load it only when a table is read

    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle)
            missing = [c for c in columns if c not in (reader.fieldnames or [])]
            if missing:
                raise DataError(f"{path}, line 1: missing column(s) {', '.join(missing)}")
            return [
                (reader.line_num, {k: (v or "").strip() for k, v in rec.items() if k})
                for rec in reader
            ]
    except FileNotFoundError as exc:
        raise InputError(f"{path}: no such file") from exc
    except UnicodeDecodeError as exc:
        raise DataError(f"{path}: not UTF-8 text ({exc.reason})") from exc


def _user_assigned(code: str) -> bool:
    """True for alpha-3 codes ISO 3166 leaves to users (AAA-AAZ, QMA-QZZ, XAA-XZZ, ZZA-ZZZ)."""
    return code[:2] in ("AA", "ZZ") or code[:1] == "X" or ("QM" <= code[:2] <= "QZ")


@cache
def _tables() -> _Tables:
    from pa_trade.paths import data_dir  # imports pathlib: only once a table is needed

    tables = _Tables()
    folder = data_dir()
    path = folder / "countries.csv"
    for line, rec in read_data_table(path, COUNTRY_COLUMNS):
        where = f"{path}, line {line}"
        code = rec["iso3"].upper()
        if len(code) != 3 or not code.isalpha():
            raise DataError(f"{where}: {rec['iso3']!r} is not an alpha-3 code")
        pseudo = not rec["iso2"] and not rec["iso_numeric"] and _user_assigned(code)
        tables.kinds[code] = "other" if pseudo else "country"
        tables.display[code] = (rec["name_en"] or code, rec["name_es"] or rec["name_en"] or code)
        tables.alpha[code] = code
        if rec["iso2"]:
            tables.alpha[rec["iso2"].upper()] = code
        if rec["iso_numeric"]:
            tables.add_number(tables.iso_numeric, rec["iso_numeric"], code, where)
        for number in rec["dian_codes"].split():
            tables.add_number(tables.dian, number, code, where)
        for number in rec["comtrade_codes"].split():
            tables.add_number(tables.comtrade, number, code, where)
        for text in (rec["name_en"], rec["name_es"], *rec["aliases"].split("|")):
            tables.add_name(text, code, where)
    path = folder / "aggregates.csv"
    for line, rec in read_data_table(path, _AGGREGATE_COLUMNS):
        where = f"{path}, line {line}"
        code = rec["code"].upper()
        if rec["kind"] not in KINDS[1:]:
            raise DataError(f"{where}: kind {rec['kind']!r} is not world, group, other or "
                            f"domestic")
        if code in tables.kinds:
            raise DataError(f"{where}: code {code} is already a country's")
        tables.kinds[code] = rec["kind"]
        tables.display[code] = (rec["name_en"] or code, rec["name_es"] or rec["name_en"] or code)
        tables.alpha[code] = code
        for number in rec.get("comtrade_codes", "").split():
            tables.add_number(tables.comtrade, number, code, where)
        for number in rec["dian_codes"].split():
            tables.add_number(tables.dian, number, code, where)
        for text in (rec["name_en"], rec["name_es"], *rec["aliases"].split("|")):
            tables.add_name(text, code, where)
    _read_imf_areas(tables, folder / "imf_areas.csv")
    return tables


def _read_imf_areas(tables: _Tables, path: Path) -> None:
    """The IMF's partner codes and spellings (data/imf_areas.csv): each to a country, to one
    of pa-trade's aggregates, or to an aggregate of its own (a QMA-QZZ code) that this adds.
    IMF spellings join the names every command accepts where no other place has them."""
    for line, rec in read_data_table(path, _IMF_COLUMNS):
        where = f"{path}, line {line}"
        code = rec["code"].upper()
        if code not in tables.kinds:
            if not code.startswith("Q") or not _user_assigned(code):
                raise DataError(f"{where}: {code} is no country or aggregate of pa-trade")
            if rec["kind"] not in ("group", "other"):
                raise DataError(f"{where}: kind {rec['kind']!r} of an IMF aggregate is not "
                                f"group or other")
            tables.kinds[code] = rec["kind"]
            tables.display[code] = (rec["name_en"] or code, rec["name_en"] or code)
            tables.alpha[code] = code
        if rec["imf_code"] and tables.imf.setdefault(rec["imf_code"].upper(), code) != code:
            raise DataError(f"{where}: the IMF code {rec['imf_code']} is listed twice")
        for text in (rec["name_en"], *rec["aliases"].split("|")):
            key = normalize(text)
            if key:
                tables.imf_names.setdefault(key, code)
                tables.names.setdefault(key, code)


def imf_to_code(code: str) -> str | None:
    """pa-trade's code for an IMF partner code (IMTS CL_IMTS_COUNTRY: G001, TX898, CHN)."""
    return _tables().imf.get(str(code).strip().upper())


def imf_code_of(code: str) -> str | None:
    """The IMF's partner code for one of pa-trade's codes (WLD -> G001, PSE -> WBG), the
    code to ask the IMF's API for; None when the IMF has none."""
    tables = _tables()
    if not tables.imf_of:
        for imf, ours in tables.imf.items():
            # a country's own alpha-3 code first, then the first IMF code meaning it
            if imf == ours or ours not in tables.imf_of:
                tables.imf_of[ours] = imf
    return tables.imf_of.get(code)


def imf_lookup(text: str) -> str | None:
    """pa-trade's code for a partner as the IMF spells it ('Korea, Rep. of', 'Euro Area'),
    the IMF's spelling first, then every other name pa-trade knows."""
    return _tables().imf_names.get(normalize(text)) or lookup(text)


# -- the offices' own partner codes: INEGI (Mexico) and Aduanas (Chile) ----------------------

_INEGI_COLUMNS = ("inegi_code", "code", "name_inegi")
_ADUANAS_COLUMNS = ("aduanas_code", "code", "name_aduanas")


def _read_office_codes(path: Path, columns: tuple[str, ...], numeric: bool) -> dict:
    """An office's code table (data/inegi_codes.csv, data/aduanas_countries.csv): each of the
    office's codes to one of pa-trade's countries or aggregates. DataError for a code listed
    twice or one that is no code of pa-trade."""
    tables = _tables()
    out: dict = {}
    for line, rec in read_data_table(path, columns):
        where = f"{path}, line {line}"
        code = rec["code"].upper()
        if code not in tables.kinds:
            raise DataError(f"{where}: {code} is no country or aggregate of pa-trade")
        theirs = _number(rec[columns[0]]) if numeric else rec[columns[0]].upper()
        if theirs is None or theirs == "":
            raise DataError(f"{where}: {rec[columns[0]]!r} is no code")
        if out.setdefault(theirs, code) != code:
            raise DataError(f"{where}: the code {rec[columns[0]]} is listed twice")
    return out


@cache
def _inegi_codes() -> dict[str, str]:
    from pa_trade.paths import data_dir

    return _read_office_codes(data_dir() / "inegi_codes.csv", _INEGI_COLUMNS, numeric=False)


@cache
def _aduanas_codes() -> dict[int, str]:
    from pa_trade.paths import data_dir

    return _read_office_codes(data_dir() / "aduanas_countries.csv", _ADUANAS_COLUMNS,
                              numeric=True)


def inegi_to_code(code: str) -> str | None:
    """pa-trade's code for a partner or area code of INEGI's trade data (ZYA -> NLD,
    YUG -> XIY, C01 -> XAM, R09 -> XEU); an ISO alpha-3 code INEGI uses as ISO does (COL)
    gives that country. None for anything else: never a name, never a number."""
    text = str(code).strip().upper()
    found = _inegi_codes().get(text)
    if found is not None:
        return found
    if len(text) == 3 and text.isascii() and text.isalpha():
        tables = _tables()
        country = tables.alpha.get(text)
        return country if country and tables.kinds[country] == "country" else None
    return None


def aduanas_to_code(code: str | int) -> str | None:
    """pa-trade's code for one of Chile's Aduanas country codes (225 -> USA, 336 -> CHN,
    528 -> POL, 999 -> XNS), from data/aduanas_countries.csv only: Aduanas' numbers are
    never read as ISO or DIAN codes, with which they collide. None for a code not listed."""
    number = code if isinstance(code, int) else _number(str(code))
    return None if number is None else _aduanas_codes().get(number)


def _number(text: str) -> int | None:
    """The integer in a code written as digits ("069", " 842 ", "842.0"), else None."""
    text = text.strip()
    if text.endswith(".0"):
        text = text[:-2]  # a spreadsheet or a float column turned "842" into "842.0"
    if text.isascii() and text.isdigit():
        return int(text)
    return None


def _split_prefix(text: str, codes: str) -> tuple[str, str]:
    """Separate a "dian:" / "comtrade:" / "iso:" prefix, which overrides `codes`."""
    if codes not in CODE_SYSTEMS:
        raise UsageError(f"unknown code system {codes!r}; expected iso, dian or comtrade")
    scheme, sep, rest = text.partition(":")
    if sep and scheme.strip().lower() in CODE_SYSTEMS:
        return rest.strip(), scheme.strip().lower()
    return text.strip(), codes


def lookup(text: str, *, codes: str = "iso") -> str | None:
    """The ISO3 code (or aggregate / pseudo-partner code) for a name or code, or None.

    Accepts English and Spanish names in any case with or without accents, ISO alpha-2 and
    alpha-3 codes, our aggregate codes, and numeric codes read in the system `codes` names:
    "iso" (ISO numeric; a number that is no ISO code but a UN Comtrade one, such as 842, is
    read as Comtrade), "dian" (DIAN's 3-digit codes) or "comtrade". Leading zeros are
    optional. A prefix "iso:", "dian:" or "comtrade:" in `text` overrides `codes`.
    """
    text, codes = _split_prefix(str(text), codes)
    if not text:
        return None
    tables = _tables()
    number = _number(text)
    if number is not None:
        if codes == "dian":
            return tables.dian.get(number)
        if codes == "comtrade":
            return tables.comtrade.get(number)
        return tables.iso_numeric.get(number) or tables.comtrade.get(number)
    if len(text) in (2, 3) and text.isascii() and text.isalpha():
        code = tables.alpha.get(text.upper())
        if code:
            return code
    return tables.names.get(normalize(text))


def resolve(text: str, *, codes: str = "iso", where: str = "") -> str:
    """Like `lookup`, but raise `UnknownCountry` (with up to 3 close matches) for no match.

    `where` (a file and line, an option name) prefixes the message.
    """
    code = lookup(text, codes=codes)
    if code is None:
        raise UnknownCountry(str(text), _suggest(str(text), codes), where)
    return code


def _label(code: str) -> str:
    return f"{name(code)} ({code})"


def _suggest(text: str, codes: str) -> list[str]:
    """Up to three "Name (CODE)" candidates for an unknown name or code."""
    bare, codes = _split_prefix(text, codes)
    tables = _tables()
    number = _number(bare)
    if number is not None:
        # the number may be right but read in the wrong code system
        found = []
        for system, index in (
            ("ISO", tables.iso_numeric),
            ("DIAN", tables.dian),
            ("Comtrade", tables.comtrade),
        ):
            if number in index:
                found.append(f"{_label(index[number])} as a {system} code")
        return found[:3]
    key = normalize(bare)
    if not key:
        return []
    import difflib  # only on the error path: keeps the import cheap

    scores: dict[str, float] = {}
    padded = f" {key} "
    for alias, code in tables.names.items():
        score = 0.0
        if len(alias) >= 4 and f" {alias} " in padded:
            score = len(alias) / len(key)  # "new mexico" contains "mexico"
        elif len(alias) >= 4 and key.startswith(alias):
            score = len(alias) / len(key)  # "perugia" starts with "peru"
        elif len(key) >= 3 and alias.startswith(key):
            score = len(key) / len(alias)  # "corea" begins "corea del sur"
        if score > scores.get(code, 0.0):
            scores[code] = score
    for alias in difflib.get_close_matches(key, list(tables.names), n=8, cutoff=0.7):
        code = tables.names[alias]
        ratio = difflib.SequenceMatcher(None, key, alias).ratio()
        if ratio > scores.get(code, 0.0):
            scores[code] = ratio
    ranked = sorted(scores, key=lambda c: (-scores[c], c))
    return [_label(code) for code in ranked[:3]]


def _code(text: str) -> str:
    """A known code as is (any case), otherwise what `resolve` makes of the text."""
    code = str(text).strip().upper()
    if code in _tables().kinds:
        return code
    return resolve(text)


def _bloc_code(text: str) -> Bloc | None:
    """The bloc whose code is `text` (XCP), for the bloc codes no aggregate row has."""
    code = str(text).strip().upper()
    if code in _tables().kinds:
        return None
    found = bloc(code)
    return found if found is not None and found.code == code else None


def name(code: str, lang: str = "en") -> str:
    """The display name of a code (or of what a name resolves to), in English or Spanish.

    Friendly forms: "South Korea" / "Corea del Sur", "United States" / "Estados Unidos".
    A bloc's code that is no aggregate (XCP, the CPTPP) gives the bloc's name.
    """
    if lang not in ("en", "es"):
        raise UsageError(f"unknown language {lang!r}; expected en or es")
    found = _bloc_code(code)
    if found is not None:
        return found.name_en if lang == "en" else found.name_es
    english, spanish = _tables().display[_code(code)]
    return english if lang == "en" else spanish


def spanish_names() -> dict[str, str]:
    """{English display name: Spanish display name} of every country, aggregate and bloc
    ('South Korea': 'Corea del Sur', 'World': 'Mundo'), for text written in English."""
    out = {}
    for english, spanish in _tables().display.values():
        out.setdefault(english, spanish)
    for item in load_blocs():
        out.setdefault(item.name_en, item.name_es)
    return out


def kind(code: str) -> str:
    """The kind of a code: country, world, group, other or domestic.

    A group is an aggregate of countries (a region, a bloc, "other countries"); other is a
    pseudo-partner such as free zones, bunkers or DIAN's "not declared"; domestic is a
    destination or origin inside the reporter's own territory that its customs records
    all the same (Colombia's free-trade zones, goods declared with Colombia as partner).
    """
    if _bloc_code(code) is not None:
        return "group"
    return _tables().kinds[_code(code)]


def is_aggregate(code: str) -> bool:
    """True for the world and groups of countries, which must stay out of partner sums.

    Text that resolves to nothing is not a known aggregate: False.
    """
    try:
        return kind(code) in ("world", "group")
    except UnknownCountry:
        return False


def all_codes() -> list[str]:
    """The ISO3 codes of all countries in the table, sorted.

    Includes former countries that DIAN or UN Comtrade still list (ANT, SCG, SUN, YUG, ...)
    and Kosovo (XKX); excludes aggregates and pseudo-partners.
    """
    return sorted(c for c, k in _tables().kinds.items() if k == "country")


def dian_to_iso3(codes: Iterable[str]) -> dict[str, str | None]:
    """Map DIAN 3-digit codes ("069", "69", "493") to ISO3; None for codes DIAN lacks.

    Meant for microdata: pass the distinct values of a column, get one dict back.
    """
    return numeric_to_code(codes, "dian")


def numeric_to_code(codes: Iterable[str], system: str) -> dict[str, str | None]:
    """Map numeric codes of microdata, read in `system` ('dian' or 'iso'), to ISO3 or one of
    our codes; None for a code the system lacks.

    DIAN's codes of places that are no country (Colombia's free-trade zones, 999 'not
    declared') have no ISO code and no ISO code uses their numbers: they are read the same
    in both systems.
    """
    tables = _tables()
    if system == "dian":
        index = tables.dian
    elif system == "iso":
        index = tables.iso_numeric
    else:
        raise UsageError(f"unknown code system {system!r}; expected dian or iso")
    out: dict[str, str | None] = {}
    for code in codes:
        if code not in out:
            number = _number(str(code))
            found = None if number is None else index.get(number)
            if found is None and number is not None and system == "iso":
                local = tables.dian.get(number)
                found = local if local and tables.kinds[local] in ("domestic", "other") else None
            out[code] = found
    return out


def numeric_codes(code: str) -> dict[str, list[str]]:
    """The DIAN codes (three digits) and UN Comtrade codes that stand for `code`."""
    tables = _tables()
    return {"dian": sorted(f"{n:03d}" for n, c in tables.dian.items() if c == code),
            "comtrade": [str(n) for n in sorted(n for n, c in tables.comtrade.items()
                                                if c == code)]}


def comtrade_to_iso3(code: int | str) -> str | None:
    """Map a UN Comtrade area code (842, "251", 0 for the world) to ISO3 or our code."""
    number = code if isinstance(code, int) else _number(str(code))
    return None if number is None else _tables().comtrade.get(number)


class Bloc:
    """A trade bloc and its member countries. Immutable, compared by value.

    `members`: every country that has been a member, in the order of the file; `spans`: one
    (code, first day, last day) per membership, a day None where the file gives none (a
    founder, a member still). `members_in(year)` gives the members of one year.
    A hand-written frozen record: the dataclasses module would add milliseconds to import.
    """

    __slots__ = ("id", "code", "name_en", "name_es", "members", "source", "aliases", "spans")

    def __init__(
        self,
        id: str,
        code: str,
        name_en: str,
        name_es: str,
        members: tuple[str, ...],
        source: str = "",
        aliases: tuple[str, ...] = (),
        spans: tuple[tuple, ...] = (),
    ) -> None:
        spans = tuple(spans) or tuple((m, None, None) for m in members)
        values = (id, code, name_en, name_es, tuple(members), source, tuple(aliases), spans)
        for slot, value in zip(self.__slots__, values, strict=True):
            object.__setattr__(self, slot, value)

    def __setattr__(self, attr: str, value: object) -> None:
        raise AttributeError(f"Bloc is immutable: cannot set {attr!r}")

    def __delattr__(self, attr: str) -> None:
        raise AttributeError(f"Bloc is immutable: cannot delete {attr!r}")

    def _fields(self) -> tuple[object, ...]:
        return tuple(getattr(self, slot) for slot in self.__slots__)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Bloc):
            return NotImplemented
        return self._fields() == other._fields()

    def __hash__(self) -> int:
        return hash(self._fields())

    def __repr__(self) -> str:
        inner = ", ".join(f"{slot}={getattr(self, slot)!r}" for slot in self.__slots__)
        return f"Bloc({inner})"

    @property
    def by_year(self) -> bool:
        """True when membership changed over time (the file gives days for some member)."""
        return any(first or last for _, first, last in self.spans)

    def members_in(self, year: int) -> list[str]:
        """The members of `year`: the countries that were members on its 31 December (the
        United Kingdom is out of the EU in 2020, Croatia in from 2013), in file order."""
        import datetime

        return self.members_on(datetime.date(int(year), 12, 31))

    def members_on(self, day) -> list[str]:
        """The members on one day (a datetime.date), in file order."""
        found = []
        for code, first, last in self.spans:
            if (first is None or first <= day) and (last is None or day <= last):
                if code not in found:
                    found.append(code)
        return found

    def joined(self, code: str, since):
        """The first day from `since` (a datetime.date) on when `code` was a member: `since`
        itself when it was one then, the day it joined when that came later; None if never."""
        days = [max(first or since, since) for member, first, last in self.spans
                if member == code and (last is None or since <= last)]
        return min(days) if days else None

    def describe_members(self, years=None) -> str:
        """'CHL COL MEX PER', or with membership by year the members of the years given:
        'the members of each year (2019: 28, 2020: 27)'."""
        if not self.by_year or not years:
            return " ".join(self.members)
        counts = {int(y): len(self.members_in(y)) for y in years}
        if len(set(counts.values())) == 1:
            return " ".join(self.members_in(max(counts)))
        return ", ".join(f"{y}: {n}" for y, n in sorted(counts.items()))


def _span_day(text: str, where: str, end: bool):
    """A day of a membership span: YYYY-MM-DD, or a bare year YYYY (joined during that year:
    counted from its 31 December; left during it: last counted the 31 December before)."""
    import datetime

    if not text:
        return None
    try:
        if len(text) == 4 and text.isdigit():
            return datetime.date(int(text) - 1, 12, 31) if end else datetime.date(int(text), 12,
                                                                               31)
        return datetime.date.fromisoformat(text)
    except ValueError:
        raise DataError(f"{where}: {text!r} is not a day like 2013-07-01 or a year like 1994"
                        ) from None


def _member_spans(text: str, where: str) -> list[tuple]:
    """The members column: codes or names separated by spaces, each alone (a member all
    along) or with its span, CODE:FIRST/LAST (GBR:1973-01-01/2020-01-31, HRV:2013-07-01)."""
    spans = []
    for item in text.replace(",", " ").split():
        member, _, span = item.partition(":")
        first_text, _, last_text = span.partition("/")
        code = resolve(member, where=where)
        if kind(code) != "country":
            raise DataError(f"{where}: member {member!r} is not a country")
        first = _span_day(first_text.strip(), where, end=False)
        last = _span_day(last_text.strip(), where, end=True)
        if first and last and last < first:
            raise DataError(f"{where}: member {item!r} leaves before it joins")
        spans.append((code, first, last))
    return spans


def _read_blocs(path: Path) -> list[Bloc]:
    blocs = []
    for line, rec in read_data_table(path, _BLOC_COLUMNS):
        where = f"{path}, line {line}"
        if not rec["bloc"]:
            raise DataError(f"{where}: empty bloc id")
        spans = _member_spans(rec["members"], where)
        if not spans:
            raise DataError(f"{where}: bloc {rec['bloc']!r} has no members")
        members = tuple(dict.fromkeys(code for code, _, _ in spans))
        aliases = tuple(a.strip() for a in rec["aliases"].split("|") if a.strip())
        blocs.append(
            Bloc(
                rec["bloc"],
                rec["code"].upper(),
                rec["name_en"] or rec["bloc"],
                rec["name_es"] or rec["name_en"] or rec["bloc"],
                members,
                rec["source"],
                aliases,
                tuple(spans),
            )
        )
    return blocs


def _bloc_keys(item: Bloc) -> set[str]:
    texts = (item.id, item.code, item.name_en, item.name_es, *item.aliases)
    return {normalize(t) for t in texts if normalize(t)}


@cache
def _builtin_blocs() -> tuple[dict[str, Bloc], tuple[Bloc, ...]]:
    from pa_trade.paths import data_dir

    blocs = tuple(_read_blocs(data_dir() / "blocs.csv"))
    return {key: item for item in blocs for key in _bloc_keys(item)}, blocs


_user_blocs: dict[str, Bloc] = {}  # blocs added by load_blocs(path), by normalized key
_user_order: list[Bloc] = []


def load_blocs(path: str | Path | None = None) -> list[Bloc]:
    """The built-in blocs (and any added before) or, with `path`, add the blocs of that file.

    The file has the layout of `data/blocs.csv`: bloc,code,aliases,name_en,name_es,members,
    source; a member is a code, or a code with its span (GBR:1973-01-01/2020-01-31). An added
    bloc takes precedence over a built-in one with the same id or alias.
    """
    if path is None:
        return [*_builtin_blocs()[1], *_user_order]
    import pathlib

    added = _read_blocs(pathlib.Path(path))
    for item in added:
        for key in _bloc_keys(item):
            _user_blocs[key] = item
        _user_order.append(item)
    return added


def bloc(text: str) -> Bloc | None:
    """The bloc whose id, code, name or alias is `text` (normalized), or None.

    `CAN` is Canada, never the Andean Community (`can-bloc`, `comunidad andina`)."""
    key = normalize(text)
    return _user_blocs.get(key) or _builtin_blocs()[0].get(key)


def expand(text: str, *, codes: str = "iso") -> list[str]:
    """The member ISO3 codes of a bloc (all that have been members), or `[resolve(text)]`
    for anything else."""
    found = bloc(text)
    if found is not None:
        return list(found.members)
    return [resolve(text, codes=codes)]


# -- SUNAT's (Peru) own ways of writing partners ---------------------------------------------

_SUNAT_COLUMNS = ("name", "code", "form")


@cache
def _sunat_names() -> dict[str, str]:
    """SUNAT's partner names that no other table knows (data/sunat_names.csv): truncated at
    25 characters, inverted, misspelt, garbled by a charset conversion, pseudo-partners;
    normalized, each to one of pa-trade's codes. DataError for a name listed twice with two
    codes or a code that is no code of pa-trade."""
    from pa_trade.paths import data_dir

    tables = _tables()
    path = data_dir() / "sunat_names.csv"
    names: dict[str, str] = {}
    for line, rec in read_data_table(path, _SUNAT_COLUMNS):
        where = f"{path}, line {line}"
        code = rec["code"].upper()
        if code not in tables.kinds:
            raise DataError(f"{where}: {code} is no country or aggregate of pa-trade")
        key = normalize(rec["name"])
        if not key or names.setdefault(key, code) != code:
            raise DataError(f"{where}: the name {rec['name']!r} is empty or listed twice")
    return names


def sunat_lookup(text: str) -> str | None:
    """pa-trade's code for a partner as SUNAT's cuadros write it ('ESPAÐA', 'CAIMAN,ISLAS',
    'VIRGENES ISLAS (NORTEAMER'), SUNAT's own forms first, then every name pa-trade knows.
    None for a number: SUNAT names its partners, a number there is a rank, not a code."""
    if _number(str(text)) is not None:
        return None
    return _sunat_names().get(normalize(text)) or lookup(text)
