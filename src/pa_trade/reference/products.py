"""Products from tariff codes: HS section, chapter, heading, subheading and broad group.

A tariff code is text: "0901110000" is Colombian coffee, chapter "09", heading "0901",
subheading "090111", section "II", group "agriculture". Codes are never numbers, so a
leading zero is never lost; a code of odd length ("901110000") has lost one, and gets it back.

Names of sections and chapters (English and Spanish) come from `data/hs_sections.csv` and
`data/hs_chapters.csv` (the WCO's Harmonized System, 2022 edition); broad groups from
`data/product_groups.csv` (the WTO's SITC-based product groups, mapped to HS headings). The
tables load on first use; importing this module reads no file and imports only the standard
library, so the command line starts fast.
"""

from __future__ import annotations

from functools import cache

from pa_trade.errors import DataError, UsageError

LEVELS = ("section", "chapter", "heading", "subheading", "group")
DIGITS = {"chapter": 2, "heading": 4, "subheading": 6}
GROUPS = {
    "agriculture": ("Agriculture and food", "Agropecuarios, alimentos y bebidas"),
    "mining": ("Fuels and mining products", "Combustibles y productos de industrias extractivas"),
    "manufactures": ("Manufactures", "Manufacturas"),
    "other": ("Other: non-monetary gold, arms, not classified",
              "Otros: oro no monetario, armas, no clasificados"),
}
NO_SECTION = "none"  # chapters 98-99 (national use) and codes outside the HS
_NO_SECTION_NAMES = ("No HS section (national chapters 98-99, or not an HS code)",
                     "Sin sección del SA (capítulos nacionales 98-99, o código ajeno al SA)")
_SECTION_COLUMNS = ("section", "first_chapter", "last_chapter", "name_en", "name_es", "short_en")
_CHAPTER_COLUMNS = ("chapter", "section", "name_en", "name_es", "short_en")
_GROUP_COLUMNS = ("prefix", "group", "sitc", "comment")


def check_level(level: str) -> str:
    """`level` in lower case when it is one of LEVELS; UsageError otherwise."""
    found = str(level).strip().lower()
    if found not in LEVELS:
        raise UsageError(f"unknown product level {level!r}; expected {', '.join(LEVELS)}")
    return found


def clean(code: object) -> str | None:
    """A tariff code as digits only: '0901.11.00.00' -> '0901110000'; None when empty.

    HS codes have an even number of digits; a code of odd length lost its leading zero on
    the way (a spreadsheet read it as a number): '901110000' -> '0901110000'.
    """
    try:
        if code is None or code != code:  # None, NaN
            return None
    except TypeError:  # pandas' NA has no truth value
        return None
    text = "".join(str(code).split()).replace(".", "").replace("-", "")
    if not text or text.lower() in ("nan", "<na>", "none"):
        return None
    if text.isascii() and text.isdigit() and len(text) % 2:
        text = "0" + text
    return text


def chapter(code: str) -> str:
    """The 2-digit chapter of a tariff code: '0901110000' -> '09'."""
    return clean(code)[:2]


def section(code: str) -> str:
    """The HS section (roman numeral) of a tariff code, or NO_SECTION outside the sections."""
    return _tables().chapter_section.get(chapter(code), NO_SECTION)


def group(code: str) -> str:
    """The broad group of a tariff code (a key of GROUPS): the longest prefix listed in
    data/product_groups.csv decides; codes outside the HS are 'other'."""
    prefixes = _tables().groups
    digits = clean(code)
    for length in (6, 4, 2):
        if len(digits) >= length and digits[:length] in prefixes:
            return prefixes[digits[:length]]
    return "other"


def product(code: str, level: str) -> str:
    """The product a tariff code belongs to at `level`.

    chapter '09', heading '0901', subheading '090111', section 'II', group 'agriculture'.
    A code with fewer digits than the level asks for stays as it is ('09' at heading level:
    a chapter-level source such as UN Comtrade's AG2 cannot be split further).
    """
    digits = clean(code)
    if level == "section":
        return section(digits)
    if level == "group":
        return group(digits)
    return digits[: DIGITS[level]]


def products_of(codes, level: str):
    """product() of many tariff codes at once -> an Arrow string array, one product per code.

    `codes`: an Arrow string array or a sequence of texts (no missing values), such as the
    distinct codes of a column. Codes of digits only (every code microdata and tidy files
    give) are cut with Arrow: odd lengths padded, the first digits kept, sections and groups
    looked up by chapter and prefix; any other text goes through product() one by one.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    texts = _text_array(codes)
    if not _all_digits(texts):  # spaces, dots, letters, empty codes: clean()'s rules
        return pa.array([product(code, level) for code in texts.to_pylist()], pa.string())
    digits = _even(texts)
    if level in DIGITS:
        return pc.utf8_slice_codeunits(digits, 0, DIGITS[level])
    tables = _tables()
    if level == "section":
        return _looked_up(pc.utf8_slice_codeunits(digits, 0, 2), tables.chapter_section,
                          NO_SECTION)
    found = None  # groups: the longest prefix listed decides
    for length in (6, 4, 2):
        listed = {prefix: g for prefix, g in tables.groups.items() if len(prefix) == length}
        # a code shorter than `length` is cut to itself, which no prefix of `length` matches
        hit = _looked_up(pc.utf8_slice_codeunits(digits, 0, length), listed, None)
        found = hit if found is None else pc.coalesce(found, hit)
    return pc.fill_null(found, "other")


def names_of(product_codes, level: str, lang: str = "en", short: bool = False) -> list[str]:
    """name() of many products of `level` at once (an Arrow string array or a sequence of
    texts, such as the distinct products of a table) -> their names, in order."""
    return names_array(product_codes, level, lang, short).to_pylist()


def names_array(product_codes, level: str, lang: str = "en", short: bool = False):
    """names_of as an Arrow string array, for millions of products: no Python text each.

    Products of digits are named by their chapter, looked up once per chapter."""
    import pyarrow as pa
    import pyarrow.compute as pc

    texts = _text_array(product_codes)
    if level in ("section", "group") or not _all_digits(texts):
        distinct = pc.unique(texts)
        named = [name(code, level, lang, short) for code in distinct.to_pylist()]
        return pc.take(pa.array(named, pa.string()), pc.index_in(texts, distinct))
    digits = _even(texts)
    # a chapter's name, or its name as the chapter of a heading or subheading
    whole = pc.less_equal(pc.utf8_length(digits), 2)
    key = pc.binary_join_element_wise(pc.utf8_slice_codeunits(digits, 0, 2),
                                      pc.if_else(whole, "", "+"), "")
    distinct = pc.unique(key)
    named = [name(code.replace("+", "00"), level, lang, short) for code in distinct.to_pylist()]
    return pc.take(pa.array(named, pa.string()), pc.index_in(key, distinct))


def _all_digits(texts) -> bool:
    """Whether every text is ASCII digits (and there is one at least)."""
    import pyarrow.compute as pc

    return pc.all(pc.match_substring_regex(texts, "^[0-9]+$")).as_py() is not False


def _even(digits):
    """Codes of digits with the leading zero an odd length lost given back (clean())."""
    import pyarrow.compute as pc

    odd = pc.equal(pc.bit_wise_and(pc.utf8_length(digits), 1), 1)
    if not pc.any(odd).as_py():  # microdata's codes: all ten digits, nothing to pad
        return digits
    return pc.if_else(odd, pc.binary_join_element_wise("0", digits, ""), digits)


def _text_array(codes):
    """Codes as an Arrow string array (pa.array's own conversion where it gives text)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if isinstance(codes, pa.ChunkedArray):
        codes = codes.combine_chunks()
    try:
        array = codes if isinstance(codes, pa.Array) else pa.array(codes, from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        array = pa.array([str(code) for code in codes], pa.string())
    if pa.types.is_dictionary(array.type):
        array = pc.cast(array, array.type.value_type)
    if not (pa.types.is_string(array.type) or pa.types.is_large_string(array.type)):
        array = pa.array([str(code) for code in array.to_pylist()], pa.string())
    return pc.cast(array, pa.string())


def _looked_up(keys, table: dict, default):
    """table[key] for an Arrow array of keys; `default` (None: missing) where absent."""
    import pyarrow as pa
    import pyarrow.compute as pc

    found = pc.take(pa.array(list(table.values()), pa.string()),
                    pc.index_in(keys, pa.array(list(table), pa.string())))
    return found if default is None else pc.fill_null(found, default)


def is_finer_than_code(code: str, level: str) -> bool:
    """True when `level` asks for more digits than `code` has (a chapter at heading level)."""
    return level in DIGITS and len(clean(code)) < DIGITS[level]


def name(product_code: str, level: str, lang: str = "en", short: bool = False) -> str:
    """The name of a product at `level`, in English or Spanish; `short` for tables (English).

    Sections, chapters and groups have their own names. Headings and subheadings are named
    by the chapter they belong to ('in chapter 09: Coffee, tea, maté and spices'): pa-trade
    does not ship the ~1,200 heading and ~5,600 subheading titles.
    """
    if lang not in ("en", "es"):
        raise UsageError(f"unknown language {lang!r}; expected en or es")
    tables = _tables()
    if level == "group":
        english, spanish = GROUPS.get(product_code, (product_code, product_code))
        return english if lang == "en" else spanish
    if level == "section":
        if product_code not in tables.sections:
            return _NO_SECTION_NAMES[0 if lang == "en" else 1]
        full_en, full_es, short_en = tables.sections[product_code]
        return (short_en if short else full_en) if lang == "en" else full_es
    digits = clean(product_code) or ""
    ch = digits[:2]
    if ch not in tables.chapters:
        return "not an HS chapter" if lang == "en" else "no es un capítulo del SA"
    full_en, full_es, short_en = tables.chapters[ch]
    text = (short_en if short else full_en) if lang == "en" else full_es
    if len(digits) <= 2:
        return text
    if lang == "es":
        return f"del capítulo {ch}: {text}"
    return f"in ch. {ch}: {text}" if short else f"in chapter {ch}: {text}"


def sections() -> list[tuple[str, str, str]]:
    """(section, first chapter, last chapter) for the 21 HS sections, in order."""
    return list(_tables().ranges)


def chapters() -> list[str]:
    """Every chapter in data/hs_chapters.csv: '01'..'97' (77 reserved) and the national 98-99."""
    return list(_tables().chapters)


def level_label(level: str, plural: bool = False) -> str:
    """'HS chapter' / 'HS chapters', 'broad group', ... for titles."""
    text = "broad group" if level == "group" else f"HS {level}"
    return text + "s" if plural else text


class _Tables:
    def __init__(self) -> None:
        self.sections: dict[str, tuple[str, str, str]] = {}
        self.ranges: list[tuple[str, str, str]] = []
        self.chapters: dict[str, tuple[str, str, str]] = {}
        self.chapter_section: dict[str, str] = {}
        self.groups: dict[str, str] = {}


@cache
def _tables() -> _Tables:
    from pa_trade.paths import data_dir
    from pa_trade.reference.countries import read_data_table  # the same CSV reading and errors

    tables = _Tables()
    folder = data_dir()
    path = folder / "hs_sections.csv"
    for line, rec in read_data_table(path, _SECTION_COLUMNS):
        first, last = rec["first_chapter"], rec["last_chapter"]
        if not (len(first) == len(last) == 2 and first.isdigit() and last.isdigit()):
            raise DataError(f"{path}, line {line}: chapters {first!r}-{last!r} are not 2 digits")
        tables.sections[rec["section"]] = (rec["name_en"], rec["name_es"], rec["short_en"])
        tables.ranges.append((rec["section"], first, last))
    path = folder / "hs_chapters.csv"
    for line, rec in read_data_table(path, _CHAPTER_COLUMNS):
        code = rec["chapter"]
        if len(code) != 2 or not code.isdigit():
            raise DataError(f"{path}, line {line}: chapter {code!r} is not 2 digits")
        ranged = next((s for s, first, last in tables.ranges if first <= code <= last), "")
        if rec["section"] != ranged:
            raise DataError(f"{path}, line {line}: chapter {code} is in section "
                            f"{ranged or 'none'}, not {rec['section'] or 'none'}")
        tables.chapters[code] = (rec["name_en"], rec["name_es"], rec["short_en"])
        if ranged:
            tables.chapter_section[code] = ranged
    path = folder / "product_groups.csv"
    for line, rec in read_data_table(path, _GROUP_COLUMNS):
        prefix = rec["prefix"]
        if len(prefix) not in (2, 4, 6) or not prefix.isdigit():
            raise DataError(f"{path}, line {line}: prefix {prefix!r} is not 2, 4 or 6 digits")
        if rec["group"] not in GROUPS:
            raise DataError(f"{path}, line {line}: unknown group {rec['group']!r}; expected "
                            f"{', '.join(GROUPS)}")
        if prefix in tables.groups:
            raise DataError(f"{path}, line {line}: prefix {prefix} is listed twice")
        tables.groups[prefix] = rec["group"]
    return tables
