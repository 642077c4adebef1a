"""The one canonical table of trade flows that every reader produces and every analysis consumes.

Columns: reporter, partner (ISO3 or an aggregate code such as WLD), year, month (optional),
months (optional), flow ('export' | 'import'), value_usd (US dollars, kept to the cent),
valuation ('FOB' | 'CIF' | 'unknown'), source, hs_code (optional, text).

Every figure knows the months it covers: its `month` when it is a month's figure; else the
`months` of the year it covers, written as periods.spec writes them ('1-7' for a table's
cumulative 'Enero-julio' column); empty `months` on a figure without a month is the whole
year.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from pa_trade import periods

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

COLUMNS = ["reporter", "partner", "year", "month", "months", "flow", "value_usd", "valuation",
           "source", "hs_code"]
KEY = ["reporter", "partner", "year", "month", "months", "flow", "valuation", "source",
       "hs_code"]
FLOWS = ("export", "import")
VALUATIONS = ("FOB", "CIF", "unknown")
TIDY_REQUIRED = ["reporter", "partner", "year", "flow", "value_usd", "valuation", "source"]
WHOLE_YEAR = "1-12"
# the order to_tidy_csv writes rows in: every column but the value, so that it is the same
# whatever order the readers gave them in
TIDY_ORDER = ["reporter", "partner", "year", "month", "months", "flow", "valuation", "hs_code",
              "source"]


def empty() -> pd.DataFrame:
    """A canonical table with no rows."""
    return normalise_frame(None)


DTYPES = {"reporter": "category", "partner": "category", "year": "int64", "month": "Int64",
          "months": "category", "flow": "category", "value_usd": "float64",
          "valuation": "category", "source": "category", "hs_code": "category"}


CATEGORICAL = [column for column, kind in DTYPES.items() if kind == "category"]


def normalise_frame(frame, rounded: bool = False) -> pd.DataFrame:
    """Give a frame the canonical columns, order and dtypes; values rounded to the cent
    (`rounded`: they are already, by the caller, and are not copied to be rounded again)."""
    import pandas as pd

    if frame is None:
        return _empty_frame().copy()
    missing = {column: pd.NA for column in ("month", "months", "hs_code")
               if column not in frame}
    if missing:  # the caller's frame is left as it was
        frame = frame.assign(**missing)

    def typed(column: str):
        # a column of the right type already is taken as it is: small frames are many
        found = frame[column]
        if DTYPES[column] == "category":
            return _categories(found)
        return found if str(found.dtype) == DTYPES[column] else found.astype(DTYPES[column])

    month = typed("month")
    months = typed("months")
    if months.notna().any():
        # a month's figure covers its month; a whole year is said by no months at all
        months = months.where(month.isna() & (months != WHOLE_YEAR))
    columns = {column: typed(column) for column in COLUMNS}
    if not rounded:
        columns["value_usd"] = columns["value_usd"].round(2)
    columns.update(month=month, months=months)
    columns["reporter"], columns["partner"] = _one_country_list(columns["reporter"],
                                                                columns["partner"])
    # copy=False: the columns are shared, not copied (pandas copies on write)
    return pd.DataFrame(columns, copy=False).reset_index(drop=True)


def _one_country_list(reporter, partner):
    """Reporter and partner over the same sorted categories, so that they compare row by
    row (a reporter that is also a partner) and sort as their texts."""
    if reporter.cat.categories.equals(partner.cat.categories):
        return reporter, partner
    union = reporter.cat.categories.union(partner.cat.categories).sort_values()
    return reporter.cat.set_categories(union), partner.cat.set_categories(union)


def _categories(column) -> pd.Series:
    """A text column as a categorical of text: categories of the "string" dtype, in text
    order (so that codes sort as their texts), one small code per row. A categorical of
    text already is recoded, not rebuilt: the work is per distinct text."""
    import pandas as pd

    if isinstance(column.dtype, pd.CategoricalDtype):
        categories = column.cat.categories
        if str(categories.dtype) != "string":
            texts = categories.astype("string")
            if texts.has_duplicates:  # 1 and "1": one text, as the column is
                return _categories(column.astype("string"))
            column = column.cat.rename_categories(texts)
        if column.cat.ordered:
            column = column.cat.as_unordered()
        if not _in_text_order(column.cat.categories):
            column = column.cat.reorder_categories(column.cat.categories.sort_values())
        return column
    if str(column.dtype) != "string":
        column = column.astype("string")
    codes, uniques = pd.factorize(column, sort=True, use_na_sentinel=True)
    return pd.Series(pd.Categorical.from_codes(
        codes, dtype=pd.CategoricalDtype(pd.Index(uniques, dtype="string"))),
        index=column.index, name=column.name)


def _in_text_order(texts) -> bool:
    """Whether an Index of texts is sorted, compared by Arrow when its array converts to one
    (pandas compares through a Python text each: 2 s for five million tariff codes)."""
    import pyarrow.compute as pc

    if len(texts) < 2:
        return True
    if not hasattr(texts.array, "__arrow_array__"):
        return texts.is_monotonic_increasing
    array = arrow_texts(texts)
    return bool(pc.all(pc.less_equal(array[:-1], array[1:])).as_py())


def concat(frames: list, consume: bool = False) -> pd.DataFrame:
    """Canonical tables one after the other -> one canonical table, built column by column
    (each copied once, none re-typed). Each categorical column is joined over the union of
    its categories (_joined_categoricals), so that none falls back to Python objects;
    reporter and partner over one list of country codes.

    `consume`: the list given holds the only references to its frames; it is emptied, and
    each column of the frames let go once joined, so that the tables are not all held twice.
    """
    import pandas as pd

    given = frames
    frames = [normalise_frame(frame) for frame in frames]
    if consume:
        given.clear()
    if len(frames) == 1:
        return frames[0]
    countries = frames[0]["reporter"].cat.categories
    for frame in frames:
        countries = countries.union(frame["reporter"].cat.categories).union(
            frame["partner"].cat.categories)
    countries = countries.sort_values()
    columns = {}
    for column in COLUMNS:
        parts = [frame[column] for frame in frames]
        if column in ("reporter", "partner"):
            parts = [part.cat.set_categories(countries) for part in parts]
        if column in CATEGORICAL:
            columns[column] = _joined_categoricals(parts, column)
        else:
            columns[column] = pd.concat(parts, ignore_index=True)
        if consume:
            del parts
            for frame in frames:
                del frame[column]
    # copy=False: the columns joined above are the table's (pandas copies on write)
    return pd.DataFrame(columns, copy=False)


def _joined_categoricals(parts: list, name: str) -> pd.Series:
    """Categoricals of text (as _categories gives them) one after the other -> one, over
    the sorted union of their categories.

    Kept rather than pandas' union_categoricals: that one looks each part's categories up
    in the union through Python objects, 4 s for two files of a million distinct tariff
    codes each; here all categories are sorted together once (as numbers when they are
    digits of one width, else by Arrow: hashing them takes twice that), and each part's
    codes are recoded through one array per part."""
    import numpy as np
    import pandas as pd

    parts = [_categories(part) for part in parts]
    first = parts[0].cat.categories
    if all(part.cat.categories.equals(first) for part in parts[1:]):
        union, recode = first, [None] * len(parts)
    else:
        texts = [arrow_texts(part.cat.categories) for part in parts]
        union, recode = _union_of_digits(texts) or _union_of_texts(texts)
    kind = small_int(len(union))
    codes = np.concatenate([
        part.cat.codes.to_numpy().astype(kind, copy=False) if table is None
        else table[part.cat.codes.to_numpy()].astype(kind, copy=False)
        for part, table in zip(parts, recode, strict=True)])
    dtype = sorted_unique_dtype(union)
    return pd.Series(pd.Categorical.from_codes(codes, dtype=dtype, validate=False), name=name,
                     copy=False)


def _union_of_texts(texts: list) -> tuple:
    """(the sorted union of sorted, distinct Arrow texts as an Index, each part's place of
    its texts in it with -1 appended for a missing code)."""
    import numpy as np
    import pandas as pd
    import pyarrow as pa
    import pyarrow.compute as pc

    # every part's categories together, sorted once: equal neighbours are one text
    together = pa.concat_arrays(texts)
    order = pc.sort_indices(together).to_numpy()
    in_order = pc.take(together, pa.array(order))
    new = np.ones(len(order), dtype=bool)
    if len(order) > 1:
        new[1:] = pc.not_equal(in_order[1:], in_order[:-1]).to_numpy(zero_copy_only=False)
    position = places_in_sorted(order, new)  # each category's place in the union
    union = pd.Index(pd.arrays.ArrowStringArray(pc.filter(in_order, pa.array(new))),
                     dtype="string", copy=False)
    return union, _per_part(position, texts)


def _per_part(position, texts: list) -> list:
    """`position` (the places of every part's values, one part after the other) cut per
    part, each with -1 appended: code -1, missing, stays missing."""
    import numpy as np

    ends = np.cumsum([len(part_texts) for part_texts in texts])
    return [np.append(at, -1) for at in np.split(position, ends[:-1])]


def _union_of_digits(texts: list) -> tuple | None:
    """_union_of_texts for texts that are all digits of one width (tariff codes of ten
    digits): each part merged into the union of those before it as the numbers they read
    as (a binary search of one sorted list in the other, no sort of them all), the
    union's texts moved as whole items of bytes. None for any other texts."""
    import numpy as np
    import pandas as pd
    import pyarrow as pa

    digits = [_digit_bytes(part) if len(part) else None for part in texts]
    widths = {found.shape[1] for found in digits if found is not None}
    if len(widths) != 1 or any(found is None and len(part)
                               for found, part in zip(digits, texts, strict=True)):
        return None
    width = widths.pop()
    union = np.zeros(0, dtype=f"V{width}")  # each text's bytes as one item
    numbers = np.zeros(0, dtype=np.int64)
    places: list = []
    last = max(i for i, found in enumerate(digits) if found is not None)
    for index, found in enumerate(digits):
        if found is None:
            places.append(np.zeros(0, dtype=np.int64))
            continue
        values = _as_number(found)
        if not len(numbers):  # the first part with texts: the union so far, as it is
            places.append(np.arange(len(values)))
            numbers, union = values, found.view(union.dtype).ravel()
            continue
        before, mine, new = _merged(numbers, values)
        places = [before[at] for at in places] + [mine]
        merged = None
        if index < last:  # the numbers of the union, for the parts still to merge
            merged = np.empty(len(numbers) + int(new.sum()), dtype=np.int64)
            merged[before] = numbers
            merged[mine[new]] = values[new]
        items = np.empty(len(numbers) + int(new.sum()), dtype=union.dtype)
        items[before] = union
        items[mine[new]] = found.view(union.dtype).ravel()[new]
        numbers, union = merged, items
        del values, before, mine, new, merged, items
    array = _fixed_width_texts(union, len(union), width)
    index = pd.Index(pd.arrays.ArrowStringArray(array.cast(pa.string())), dtype="string",
                     copy=False)
    return index, _per_part(np.concatenate(places), texts)


def _merged(first, second):
    """(the place of each of `first` in the sorted union of both, the place of each of
    `second` there, which of `second` are not in `first`) of two sorted arrays of
    distinct int64."""
    import numpy as np

    at = np.searchsorted(first, second)  # where each of `second` goes among `first`
    new = np.ones(len(second), dtype=bool)
    inside = at < len(first)
    new[inside] = first[at[inside]] != second[inside]
    # before each of `second`: the `first` below it and the new ones of `second` before it
    mine = at + np.cumsum(new) - new
    # before each of `first`: its own place and the new ones of `second` below it
    below = np.cumsum(np.bincount(at[new], minlength=len(first) + 1))[:len(first)]
    return np.arange(len(first)) + below, mine, new


def _digit_bytes(texts):
    """The bytes of the Arrow string array `texts` as a (texts, width) uint8 array of the
    digits' values (no copy but the check), when every text is ASCII digits, all of one
    width from 1 to 18; else None."""
    import numpy as np
    import pyarrow as pa

    if isinstance(texts, pa.ChunkedArray):
        texts = texts.combine_chunks()
    if (not len(texts) or texts.null_count or not (pa.types.is_string(texts.type)
                                                   or pa.types.is_large_string(texts.type))):
        return None
    kind = np.int64 if pa.types.is_large_string(texts.type) else np.int32
    offsets = np.frombuffer(texts.buffers()[1], kind, count=len(texts) + 1,
                            offset=texts.offset * np.dtype(kind).itemsize)
    width = int(offsets[1] - offsets[0])
    if not 1 <= width <= 18 or int(offsets[-1] - offsets[0]) != width * len(texts) or (
            np.diff(offsets) != width).any():
        return None
    found = np.frombuffer(texts.buffers()[2], np.uint8)[int(offsets[0]):int(offsets[-1])]
    found = found.reshape(len(texts), width)
    # '0' to '9' are 48 to 57: one pass over the bytes
    if int(found.min()) < 48 or int(found.max()) > 57:
        return None
    return found


def _as_number(digits):
    """The rows of _digit_bytes as int64 numbers."""
    import numpy as np

    values = digits[:, 0].astype(np.int64) - 48
    for place in range(1, digits.shape[1]):
        values *= 10
        values += digits[:, place]
        values -= 48
    return values


def digit_values(texts):
    """(each text's number as int64, the texts' width) when every text of the Arrow string
    array `texts` is ASCII digits, all of one width from 1 to 18 (tariff codes of ten
    digits, leading zeros kept), else None. Numbers of one width sort as their texts do.

    Read from the array's own bytes with numpy: a tenth of the time of Arrow's text
    kernels on millions of codes, and the width is checked on the way."""
    digits = _digit_bytes(texts)
    return None if digits is None else (_as_number(digits), digits.shape[1])


def digit_texts(values, width: int):
    """Integers from 0 to 10**width - 1 (numpy) as Arrow texts of `width` digits, zero
    padded: the inverse of digit_values, five times Arrow's cast and pad."""
    import numpy as np

    count = len(values)
    digits = np.empty((count, width), dtype=np.uint8)
    rest = np.array(values, dtype=np.int64)
    for place in range(width - 1, -1, -1):
        digits[:, place] = rest % 10
        rest //= 10
    digits += np.uint8(48)
    return _fixed_width_texts(digits, count, width)


def _fixed_width_texts(data, count: int, width: int):
    """An Arrow string array over `data` (numpy, `count` texts of `width` bytes one after
    the other), without a copy: its offsets counted, not found."""
    import numpy as np
    import pyarrow as pa

    big = (count + 1) * width >= 1 << 31
    offsets = np.arange(0, (count + 1) * width, width, dtype=np.int64 if big else np.int32)
    return pa.Array.from_buffers(pa.large_string() if big else pa.string(), count,
                                 [None, pa.py_buffer(offsets), pa.py_buffer(data)])


def places_in_sorted(order, new):
    """Each value's place among the distinct values sorted, from `order` (the values'
    sorting permutation, numpy) and `new` (whether each value in that order differs from
    the one before it): a sort and a comparison of neighbours instead of hashing, which for
    millions of distinct values (tariff codes) is three times slower."""
    import numpy as np

    places = np.empty(len(order), dtype=np.int64)
    places[order] = np.cumsum(new) - 1
    return places


def first_rows(key):
    """The positions of the first row of each distinct value of `key` (non-negative
    int64), in the order of the rows: pandas' drop_duplicates, or where the keys span a
    range of at most a few times the rows, one flag per possible key instead of a hash
    table (the microdata reader's pieces, composition's periods)."""
    import numpy as np

    if not len(key):
        return np.zeros(0, dtype=np.int64)
    size = int(key.max()) + 1
    if size > max(2 * len(key), 1 << 22):
        import pandas as pd

        return pd.Series(key).drop_duplicates().index.to_numpy()
    first = np.full(size, len(key), dtype=np.int64)
    np.minimum.at(first, key, np.arange(len(key), dtype=np.int64))
    found = first[first < len(key)]
    found.sort()
    return found


def sorted_codes(values):
    """(each value's place among the distinct values sorted, those values) of a numpy
    array: pd.factorize(values, sort=True) by one stable sort and a comparison of
    neighbours (places_in_sorted), 2.5 times faster on millions of distinct values."""
    import numpy as np

    order = np.argsort(values, kind="stable")
    in_order = values[order]
    new = np.ones(len(order), dtype=bool)
    new[1:] = in_order[1:] != in_order[:-1]
    return places_in_sorted(order, new), in_order[new]


def sorted_unique_dtype(categories) -> pd.CategoricalDtype:
    """The dtype of a categorical over `categories`, known to be unique (they are sorted
    with no two alike): pandas would check them again through Python objects, 2.5 s for
    six million tariff codes, so its own unchecked constructor is used where it has one."""
    import pandas as pd

    unchecked = getattr(pd.CategoricalDtype, "_from_fastpath", None)
    if unchecked is not None:
        try:
            return unchecked(categories, ordered=False)
        except TypeError:  # another signature: the checked way below
            pass
    return pd.CategoricalDtype(categories, ordered=False)


def arrow_texts(index) -> pa.Array:
    """An Index of texts as an Arrow string array (without Python objects when it is
    Arrow's already)."""
    import pyarrow as pa

    array = pa.array(index.array) if hasattr(index.array, "__arrow_array__") else pa.array(
        index.to_numpy(dtype=object), type=pa.string())
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    return array.cast(pa.string())


def small_int(count: int):
    """The smallest numpy integer type that holds 0 to `count`, and -1 (codes into
    `count` values, -1 for a missing one)."""
    import numpy as np

    for kind in (np.int8, np.int16, np.int32):
        if count < np.iinfo(kind).max:
            return kind
    return np.int64


def _empty_frame() -> pd.DataFrame:
    """The canonical table with no rows, made once."""
    import pandas as pd

    global _EMPTY
    if _EMPTY is None:
        _EMPTY = pd.DataFrame({c: _categories(pd.Series([], dtype="string")) if t == "category"
                               else pd.Series([], dtype=t) for c, t in DTYPES.items()})
    return _EMPTY


_EMPTY = None


def aggregate(frame: pd.DataFrame) -> pd.DataFrame:
    """Sum value_usd over rows that share every other canonical column -> the canonical
    table, one row per KEY, in KEY order (missing values last).

    Rows already one per key (a tidy file's) are only put in that order, not grouped; text
    columns may come as categoricals of text (the tidy reader's), ordered by their codes."""
    import numpy as np

    if frame is None:
        return normalise_frame(frame)
    texts = [c for c in KEY if c in frame and _text_categories(frame[c])]
    ranks = {c: _category_ranks(frame[c]) for c in texts}
    # the canonical table's own categoricals stay categoricals, with only the texts rows
    # have (a reader's rows set aside leave theirs behind); reporter and partner are text
    kept = {c: frame[c].cat.remove_unused_categories() for c in texts if c in CATEGORICAL}
    frame = normalise_frame(_categories_as_text(
        frame.assign(**kept), [c for c in texts if c not in CATEGORICAL]))
    if frame.empty:
        return frame
    if "months" in ranks:  # normalise_frame leaves out some months: those are missing now
        codes, count = ranks["months"]
        ranks["months"] = (np.where(frame["months"].isna().to_numpy(), count - 1, codes),
                           count)
    key = ordered_key([ranks[c] if c in ranks else _value_ranks(frame[c]) for c in KEY],
                      len(frame))
    if len(key) > 1 and not bool((key[1:] > key[:-1]).all()):
        order = np.argsort(key, kind="stable")
        if not bool((key[order][1:] > key[order][:-1]).all()):
            summed = frame.groupby(KEY, dropna=False, sort=True, observed=True)["value_usd"]
            return normalise_frame(summed.sum().reset_index())
        frame = frame.take(order)
    # as a sum of one row: a missing value counts as 0, and -0.0 is 0.0
    values = frame["value_usd"].to_numpy(dtype="float64")
    frame = frame.reset_index(drop=True).assign(
        value_usd=np.where(np.isnan(values), 0.0, values) + 0.0)
    return normalise_frame(frame)


def _text_categories(column) -> bool:
    """Whether a column is a categorical of text (missing values allowed)."""
    import pandas as pd

    return (isinstance(column.dtype, pd.CategoricalDtype)
            and pd.api.types.infer_dtype(column.cat.categories) in ("string", "empty"))


def _category_ranks(column):
    """(each row's rank among the categories' texts, missing last; how many ranks)."""
    import numpy as np

    texts = column.cat.categories.to_numpy(dtype=object)
    rank = np.empty(len(texts) + 1, dtype=np.int64)
    rank[np.argsort(texts, kind="stable")] = np.arange(len(texts))
    rank[-1] = len(texts)  # code -1, missing: after every text
    return rank[column.cat.codes.to_numpy()], len(texts) + 1


def _categories_as_text(frame, names: list[str]):
    """The frame with the categoricals of text `names` as Arrow strings (pandas' own cast
    goes through Python objects)."""
    import pandas as pd
    import pyarrow as pa
    import pyarrow.compute as pc

    converted = {}
    for name in names:
        column = frame[name]
        codes = column.cat.codes.to_numpy()
        texts = pa.array(column.cat.categories.to_numpy(dtype=object), type=pa.string())
        indices = pa.array(codes.astype("int32"), mask=codes < 0)
        array = pc.cast(pa.DictionaryArray.from_arrays(indices, texts), pa.string())
        converted[name] = pd.Series(pd.arrays.ArrowStringArray(array), index=frame.index,
                                    dtype="string")
    return frame.assign(**converted) if converted else frame


def _value_ranks(column):
    """(each row's rank among the column's values, missing last; how many ranks)."""
    import numpy as np
    import pandas as pd

    if pd.api.types.is_integer_dtype(column.dtype):
        missing = column.isna().to_numpy()
        numbers = column.to_numpy(dtype="int64", na_value=0)
        if not missing.all():
            low, high = int(numbers[~missing].min()), int(numbers[~missing].max())
            if high - low < 1 << 32:
                return np.where(missing, high - low + 1, numbers - low), high - low + 2
    codes, uniques = pd.factorize(column, sort=True)
    return np.where(codes < 0, len(uniques), codes).astype(np.int64), len(uniques) + 1


def ordered_key(parts: list, rows: int):
    """One int64 for each of `rows` rows that orders them as the columns of `parts` do, one
    after the other: each part is (every row's rank in that column, how many ranks); a part
    of one rank (ranks None) orders nothing. Where the product of the counts would
    overflow, what is combined so far is numbered again."""
    import numpy as np
    import pandas as pd

    key, size = np.zeros(rows, dtype=np.int64), 1
    for ranks, count in parts:
        if count <= 1:
            continue
        if size * count >= 1 << 62:
            codes, uniques = pd.factorize(key, sort=True)
            key, size = codes.astype(np.int64), max(len(uniques), 1)
        if size > 1:  # in place: one array of the rows' length, whatever the columns
            key *= count
            key += ranks
        else:
            key = np.array(ranks, dtype=np.int64)
        size *= count
    return key


def format_usd(value: float) -> str:
    """Dollars as plain text, exact to the cent, without trailing zeros: 1752000000, 23885.1."""
    text = f"{value:.2f}"
    if text.endswith(".00"):
        text = text[:-3]
    elif text.endswith("0"):
        text = text[:-1]
    return "0" if text == "-0" else text


# What a spreadsheet takes for the start of a formula (OWASP, "CSV Injection"): these
# characters, and tab or carriage return, since a spreadsheet that trims a cell then sees
# what follows them
FORMULA_CHARS = ("=", "+", "-", "@")
FORMULA_STARTS = (*FORMULA_CHARS, "\t", "\r")
# looked past before a formula character: spaces (a spreadsheet may trim them) and the "'"
# of text already quoted (so that quoting is undone exactly, see needs_quote)
_LOOKED_PAST = "'" + "".join(c for c in map(chr, range(0x3001)) if c.isspace())


def needs_quote(text: str) -> bool:
    """True for text a spreadsheet could run as a formula: after any leading "'" it starts
    with a tab or a carriage return, or its first character past spaces and "'" is one of
    = + - @. Leading "'" are looked past so that a text that already starts with "'" before
    a formula start is quoted once more, and unquote_text gives every text back exactly."""
    return (text.lstrip("'").startswith(FORMULA_STARTS[len(FORMULA_CHARS):])
            or text.lstrip(_LOOKED_PAST).startswith(FORMULA_CHARS))


def safe_text(text: str) -> str:
    """A text cell for csv/tsv: with a leading "'" when needs_quote(text), else as it is."""
    return "'" + text if needs_quote(text) else text


def unquote_text(text: str) -> str:
    """The inverse of safe_text on what it writes: one leading "'" less where it added one."""
    return text[1:] if text.startswith("'") and needs_quote(text) else text


def safe_column(values: pd.Series) -> pd.Series:
    """safe_text over a text column (missing values kept), deciding once per distinct text."""
    quoted = {text for text in values.dropna().unique() if needs_quote(text)}
    if not quoted:
        return values
    if str(values.dtype) == "category":  # each category once
        return values.cat.rename_categories(
            lambda text: safe_text(text) if text in quoted else text)
    return values.where(~values.isin(quoted), "'" + values)


def to_tidy_csv(frame: pd.DataFrame, out, raw_text: bool = False) -> None:
    """Write flows as pa-trade's tidy CSV (formats.md §5): UTF-8, comma, plain numbers.

    month, months and hs_code are written only when some row has them. `out` is a path, a
    text stream or a binary stream. Text cells that a spreadsheet would run as formulas get
    a leading "'" (safe_text), which the tidy reader removes, unless `raw_text`; numbers are
    never touched. Written in chunks (tidy_lines): the whole text is never held.
    """
    chunks = tidy_lines(frame, raw_text=raw_text)
    if isinstance(out, (str, os.PathLike)):
        with open(out, "wb") as handle:
            for chunk in chunks:
                handle.write(chunk)
        return
    import io

    binary = not isinstance(out, io.TextIOBase)
    for chunk in chunks:
        out.write(chunk if binary else chunk.decode("utf-8"))


CHUNK_ROWS = 1 << 18  # rows turned into text at a time: memory stays bounded


def tidy_lines(frame: pd.DataFrame, raw_text: bool = False, delimiter: str = ",",
               chunk_rows: int = CHUNK_ROWS):
    """The tidy CSV (or, with delimiter '\\t', TSV) of `frame` as UTF-8 bytes, header first,
    then the rows in TIDY_ORDER, a chunk of rows at a time.

    Column by column, never cell by cell: a text column is quoted (and, unless `raw_text`,
    kept from spreadsheets' formulas) once per distinct text, amounts are written by
    usd_texts, and each chunk's lines are joined by Arrow. The bytes are those of Python's
    csv module with QUOTE_MINIMAL (a field is quoted when it holds the delimiter, '"' or a
    line feed), which the tests check, but for a carriage return in a text (_csv_field).
    """
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    frame = normalise_frame(frame)
    columns = ["reporter", "partner", "year"]
    if frame["month"].notna().any():
        columns.append("month")
    if frame["months"].notna().any():
        columns.append("months")
    columns += ["flow", "value_usd", "valuation", "source"]
    if frame["hs_code"].notna().any():
        columns.append("hs_code")
    yield (delimiter.join(columns) + "\n").encode("utf-8")
    if frame.empty:
        return
    factorized = {column: _factorized(frame[column]) for column in TIDY_ORDER}
    order = _tidy_order([factorized[column] for column in TIDY_ORDER])
    cells = {}  # column -> (codes in output order, the text of each code)
    for column in columns:
        if column == "value_usd":
            continue
        codes, uniques = factorized[column]
        if column in ("year", "month"):
            texts = [str(int(v)) for v in uniques]
        else:
            texts = [_csv_field(str(v) if raw_text else safe_text(str(v)), delimiter)
                     for v in uniques]
        cells[column] = (codes, pa.array(texts + [""], type=pa.string()))
    del factorized
    amounts = frame["value_usd"].to_numpy(dtype="float64")
    for first in range(0, len(order), chunk_rows):
        rows = order[first:first + chunk_rows]  # rows are put in order a chunk at a time
        parts = []
        for column in columns:
            if column == "value_usd":
                parts.append(usd_texts(amounts[rows]))
                continue
            codes, texts = cells[column]
            chunk = codes[rows]
            # a missing value (code -1) is the empty text at the end of `texts`
            parts.append(texts.take(pa.array(np.where(chunk < 0, len(texts) - 1, chunk))))
        parts[-1] = pc.binary_join_element_wise(parts[-1], "\n", "")
        lines = pc.binary_join_element_wise(*parts, delimiter)
        offsets = np.frombuffer(lines.buffers()[1], dtype=np.int32,
                                count=len(lines) + 1, offset=lines.offset * 4)
        yield lines.buffers()[2].to_pybytes()[offsets[0]:offsets[-1]]


def _factorized(values):
    """(codes, uniques) of a column, uniques sorted (code -1: missing), codes in the
    smallest integers that hold them; a categorical's own (its categories are sorted)."""
    import numpy as np
    import pandas as pd

    if isinstance(values.dtype, pd.CategoricalDtype):
        return values.cat.codes.to_numpy(), list(values.cat.categories)
    codes, uniques = pd.factorize(values, sort=True, use_na_sentinel=True)
    # room for one more code: tidy_lines gives a missing value the code len(uniques)
    return codes.astype(np.min_scalar_type(-(len(uniques) + 1))), list(uniques)


def _tidy_order(factorized: list):
    """The row order of to_tidy_csv from the (codes, uniques) of the TIDY_ORDER columns:
    missing values first, ties as given. The codes of sorted uniques sort as their texts,
    so one stable sort of one integer key (the codes in mixed radix) orders the rows, or,
    when that key would not fit in 63 bits, a lexicographic sort of the codes."""
    import numpy as np

    key = np.zeros(len(factorized[0][0]), dtype=np.int64)
    room = 1
    for codes, uniques in factorized:
        room *= len(uniques) + 1
        if room >= 2 ** 62:
            return np.lexsort([codes for codes, _ in factorized][::-1])
        key *= len(uniques) + 1
        key += codes.astype(np.int64) + 1  # missing (-1) first
    return np.argsort(key, kind="stable")


def _csv_field(text: str, delimiter: str) -> str:
    """A field as csv.writer writes it with QUOTE_MINIMAL and line end '\\n', and quoted
    too when it holds a carriage return, which csv.writer leaves bare (and csv.reader then
    refuses, as many spreadsheets break the line there)."""
    if delimiter in text or '"' in text or "\n" in text or "\r" in text:
        return '"' + text.replace('"', '""') + '"'
    return text


def usd_texts(values):
    """format_usd over an array of dollars, as an Arrow string array: whole cents split into
    dollars and cents with integer arithmetic. An amount whose cents sit at half a cent in
    floating point (where rounding could go either way) is written by format_usd itself."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    values = np.asarray(values, dtype="float64")
    whole = np.trunc(values)
    hundredths = (values - whole) * 100
    cents_part = np.rint(hundredths)
    with np.errstate(invalid="ignore"):  # NaN and huge amounts: format_usd below
        cents = whole.astype(np.int64) * 100 + cents_part.astype(np.int64)
    sign = np.where(cents < 0, "-", "")
    size = np.abs(cents)
    dollars = pc.cast(pa.array(size // 100), pa.string())
    rest = size % 100
    tens = rest % 10 == 0
    fraction = pc.if_else(
        pa.array(rest == 0), "",
        pc.if_else(pa.array(tens), pc.binary_join_element_wise(
            ".", pc.cast(pa.array(rest // 10), pa.string()), ""),
            pc.binary_join_element_wise(".", pc.utf8_lpad(
                pc.cast(pa.array(rest), pa.string()), 2, "0"), "")))
    texts = pc.binary_join_element_wise(pa.array(sign), dollars, fraction, "")
    near_half = np.abs(np.abs(hundredths - np.trunc(hundredths)) - 0.5) < 1e-6
    doubtful = np.flatnonzero(near_half | ~(np.abs(values) < 2.0 ** 52))  # NaN too
    if len(doubtful):
        texts = texts.to_numpy(zero_copy_only=False).astype(object)
        for index in doubtful:
            texts[index] = format_usd(float(values[index]))
        texts = pa.array(texts, type=pa.string())
    return texts


def row_masks(frame: pd.DataFrame):
    """The mask of the months each row covers (numpy array): its month, the months of a
    yearly figure, or the whole year."""
    import numpy as np

    month = frame["month"].to_numpy(dtype="float64", na_value=np.nan)
    out = np.full(len(frame), periods.ALL_MONTHS, dtype=np.int64)
    monthly = ~np.isnan(month)
    out[monthly] = np.left_shift(1, month[monthly].astype(np.int64) - 1)
    if "months" in frame:
        given = frame["months"]
        some = given.notna().to_numpy() & ~monthly
        if some.any():
            specs = {text: periods.parse_spec(text) for text in given[some].unique()}
            out[some] = given[some].map(specs).to_numpy(dtype=np.int64)
    return out


def source_family(source: str) -> str:
    """'DANE export microdata' for 'DANE export microdata (Enero.csv)'."""
    # the first bracket: a file may be named 'Enero (1).csv' by the browser that saved it
    return source.split(" (", 1)[0] if source.endswith(")") else source


def keep_months(flows: pd.DataFrame, wanted: int) -> tuple[pd.DataFrame, list[str]]:
    """The flows of the months `wanted` only (--months), and notes on what could not be
    narrowed: a figure covering some of those months and others too (a whole year, a
    cumulative column) is left out, and its sources named. Monthly figures are kept for the
    months asked."""
    import numpy as np

    if flows.empty:
        return flows, []
    masks = row_masks(flows)
    inside = (masks & ~wanted) == 0
    straddling = ~inside & ((masks & wanted) != 0)
    notes = []
    for cumulative in (False, True):
        chosen = straddling & (flows["months"].notna().to_numpy() == cumulative)
        if not chosen.any():
            continue
        dropped = flows[chosen]
        sources = sorted(dropped["source"].dropna().unique())
        named = "; ".join(sources[:3]) + (f" and {len(sources) - 3} more" if len(sources) > 3
                                          else "")
        if cumulative:
            spans = sorted({periods.months_text(periods.parse_spec(m))
                            for m in dropped["months"].unique()})
            what = f"cumulative figures ({', '.join(spans)})"
        else:
            what = "whole-year figures"
        notes.append(f"{what} of {named} cannot be narrowed to "
                     f"{periods.months_text(wanted)}: left out "
                     f"({int(np.count_nonzero(chosen)):,} rows)")
    return flows[inside], notes


def covered_text(flows: pd.DataFrame) -> str:
    """'January–June 2023' or '2021-2022, January–June 2023': what some flows cover."""
    import numpy as np

    if flows.empty:
        return "nothing"
    masks = row_masks(flows)
    years = flows["year"].to_numpy()
    parts = []
    for year in sorted(set(years.tolist())):
        value = int(np.bitwise_or.reduce(masks[years == year]))
        parts.append(periods.describe(value, int(year)))
    return ", ".join(parts)


# The canonical table as Parquet (`flows --format parquet`, the `parquet` layout): one file,
# or a folder partitioned by reporter and year the Hive way (reporter=COL/year=2023/...),
# which DuckDB, polars and Spark read as one table. docs/flows-and-country.md has the schema.
PARQUET_SCHEMA_VERSION = "1"
PARQUET_PARTITIONS = ("reporter", "year")
PARQUET_PART = "part-0.parquet"  # the one file of each partition
# value_usd as decimal(18, 2): cents exact, and any amount a float holds to the cent fits
USD_DECIMAL = (18, 2)
META_SCHEMA = b"pa_trade.schema_version"
META_VERSION = b"pa_trade.version"
META_PARTITIONS = b"pa_trade.partitioning"


def parquet_schema(partitioned: bool = False):
    """The Arrow schema of pa-trade's Parquet files (without reporter and year in a
    partitioned folder, whose paths give them), with pa-trade's key-value metadata."""
    import pyarrow as pa

    from pa_trade import __version__

    text = pa.dictionary(pa.int32(), pa.string())
    fields = [
        pa.field("reporter", text, nullable=False),
        pa.field("partner", text, nullable=False),
        pa.field("year", pa.int16(), nullable=False),
        pa.field("month", pa.int8()),
        pa.field("months", text),
        pa.field("flow", text, nullable=False),
        pa.field("value_usd", pa.decimal128(*USD_DECIMAL), nullable=False),
        pa.field("valuation", text, nullable=False),
        pa.field("source", text, nullable=False),
        pa.field("hs_code", text),
    ]
    if partitioned:
        fields = [f for f in fields if f.name not in PARQUET_PARTITIONS]
    metadata = {META_SCHEMA: PARQUET_SCHEMA_VERSION.encode(), META_VERSION: __version__.encode()}
    if partitioned:
        metadata[META_PARTITIONS] = ("hive: " + ", ".join(PARQUET_PARTITIONS)).encode()
    return pa.schema(fields, metadata=metadata)


def to_arrow(frame: pd.DataFrame, partitioned: bool = False):
    """The flows as an Arrow table of parquet_schema(partitioned), rows in the order
    to_tidy_csv writes them. DataError for a value no decimal(18, 2) holds to the cent."""
    import numpy as np
    import pyarrow as pa

    from pa_trade.errors import DataError
    from pa_trade.numbers import MAX_EXACT_USD

    frame = normalise_frame(frame).sort_values(TIDY_ORDER, na_position="first", kind="stable")
    schema = parquet_schema(partitioned)
    values = frame["value_usd"].to_numpy(dtype="float64")
    bad = ~np.isfinite(values) | (np.abs(values) >= MAX_EXACT_USD)
    if bad.any():
        raise DataError(f"value_usd {values[bad][0]!r} cannot be written to the cent "
                        f"(finite amounts below US$ {MAX_EXACT_USD:,.0f} only)")
    columns = []
    for field in schema:
        column = frame[field.name]
        if not field.nullable and column.isna().any():
            raise DataError(f"{field.name} is missing on {int(column.isna().sum()):,} of the "
                            f"flows; every flow has one")
        if field.name == "value_usd":
            columns.append(_decimal_cents(_cents(values), field.type))
        elif pa.types.is_dictionary(field.type):
            columns.append(pa.array(column, type=pa.string(), from_pandas=True)
                           .dictionary_encode())
        else:
            numbers = column.to_numpy(dtype="float64", na_value=np.nan)
            missing = np.isnan(numbers)
            whole = np.where(missing, 0, numbers).astype(field.type.to_pandas_dtype())
            columns.append(pa.array(whole, type=field.type, mask=missing if missing.any()
                                    else None))
    return pa.Table.from_arrays(columns, schema=schema)


def _cents(values):
    """Whole cents of amounts in dollars (numpy int64), as format_usd rounds them: the whole
    dollars and the fraction apart, so that no product by 100 of a large amount is rounded."""
    import numpy as np

    whole = np.trunc(values)
    return whole.astype(np.int64) * 100 + np.rint((values - whole) * 100).astype(np.int64)


def _decimal_cents(cents, decimal_type):
    """A decimal128 Arrow array of whole cents, built from its 16-byte little-endian
    integers: exact, with no trip through floats or Python's Decimal."""
    import numpy as np
    import pyarrow as pa

    words = np.empty((len(cents), 2), dtype="<i8")
    words[:, 0] = cents
    words[:, 1] = cents >> 63  # the sign, extended to the high word
    return pa.Array.from_buffers(decimal_type, len(cents), [None, pa.py_buffer(words)])


def parquet_target(path: str) -> str:
    """What write_parquet(frame, path) writes there: 'file' (a name ending in .parquet) or
    'folder' (an existing folder, or any other name). Checked before anything is read:
    UsageError for standard output, a file named otherwise, and a folder holding anything
    but a pa-trade Parquet dataset (never overwritten); InputError when the folder that
    would hold it is missing."""
    from pathlib import Path

    from pa_trade.errors import InputError, UsageError

    if path in ("", "-"):
        raise UsageError("Parquet cannot be written to standard output (a reader needs the "
                         "end of the file first); give a FILE.parquet or a FOLDER")
    target = Path(path)
    if target.is_dir():
        foreign = _not_of_a_dataset(target)
        if foreign is not None:
            raise UsageError(
                f"{path}: the folder holds {foreign}, which is not part of a pa-trade Parquet "
                f"dataset; nothing was written (give a new or empty folder, or remove it)")
        return "folder"
    if target.exists() and not target.is_file():
        raise UsageError(f"{path}: not a file or a folder; Parquet is written to a "
                         f"FILE.parquet or a FOLDER")
    if not target.parent.is_dir():
        raise InputError(f"{path}: no such folder {target.parent}")
    if target.suffix.lower() == ".parquet":
        return "file"
    if target.exists():
        raise UsageError(f"{path}: is a file not named .parquet; one Parquet file is written "
                         f"to a name ending in .parquet, a folder to any other name")
    return "folder"


def _not_of_a_dataset(folder) -> str | None:
    """None when every entry under `folder` is a partition pa-trade wrote
    (reporter=X/year=Y/part-0.parquet with pa-trade's metadata), or when it is empty; else
    the first other entry, named."""
    import re

    import pyarrow.parquet as pq

    for entry in sorted(folder.rglob("*")):
        parts = entry.relative_to(folder).parts
        named = [re.fullmatch(rf"{key}=[^=]+", part) is not None
                 for key, part in zip(PARQUET_PARTITIONS, parts, strict=False)]
        if not all(named):
            return str(entry)
        if len(parts) <= len(PARQUET_PARTITIONS):
            if entry.is_dir() and not entry.is_symlink():
                continue
            return str(entry)
        if len(parts) > len(PARQUET_PARTITIONS) + 1 or not entry.is_file() or \
                entry.is_symlink() or not parts[-1].endswith(".parquet"):
            return str(entry)
        try:
            metadata = pq.read_schema(entry).metadata or {}
        except Exception:  # noqa: BLE001 (not Parquet at all, damaged: not ours)
            return str(entry)
        if META_SCHEMA not in metadata:
            return f"{entry} (a Parquet file pa-trade did not write)"
    return None


def write_parquet(frame: pd.DataFrame, path: str) -> list[str]:
    """Write the flows to `path` as Parquet -> the files written.

    A name ending in .parquet: one file with every column, replaced whole. A folder (new,
    empty, or one pa-trade wrote before, whose partitions are all replaced): one file per
    reporter and year, reporter=COL/year=2023/part-0.parquet, without those two columns
    (the path gives them). Schema and refusals: parquet_schema, parquet_target. InputError
    when it cannot be written; nothing half written stays behind."""
    import pyarrow.parquet as pq

    from pa_trade.errors import InputError

    kind = parquet_target(path)
    frame = normalise_frame(frame)
    if kind == "file":
        from pathlib import Path

        table = to_arrow(frame)
        target = Path(path)
        partial = target.with_name(f".{target.name}.{os.getpid()}.part")
        try:
            pq.write_table(table, partial, compression="snappy")
            os.replace(partial, target)
        except OSError as exc:
            _remove(partial)
            raise InputError(f"{path}: cannot write ({exc.strerror or exc})") from None
        return [str(target)]
    return _write_partitions(frame, path)


def _write_partitions(frame: pd.DataFrame, path: str) -> list[str]:
    """The folder of write_parquet: the new partitions are written in a hidden folder inside
    it, the old ones moved aside, the new ones moved in, then the old removed."""
    import secrets
    from pathlib import Path
    from urllib.parse import quote

    import pyarrow.parquet as pq

    from pa_trade.errors import InputError

    folder = Path(path)
    created = not folder.exists()
    token = secrets.token_hex(4)
    staging, old = folder / f".pa-trade-{token}.part", folder / f".pa-trade-{token}.old"
    written: list[str] = []
    moved_out: list[Path] = []
    moved_in: list[Path] = []
    try:
        staging.mkdir(parents=True)
        for (reporter, year), rows in frame.groupby(list(PARQUET_PARTITIONS), sort=True):
            part = Path(f"reporter={quote(str(reporter), safe='')}", f"year={int(year)}")
            (staging / part).mkdir(parents=True)
            pq.write_table(to_arrow(rows, partitioned=True), staging / part / PARQUET_PART,
                           compression="snappy")
            written.append(str(folder / part / PARQUET_PART))
        previous = sorted(p for p in folder.iterdir() if not p.name.startswith("."))
        if previous:
            old.mkdir()
            for entry in previous:
                entry.rename(old / entry.name)
                moved_out.append(entry)
        for entry in sorted(staging.iterdir()):
            entry.rename(folder / entry.name)
            moved_in.append(folder / entry.name)
    except OSError as exc:
        for entry in moved_in:  # the folder as it was: the new partitions out, the old back
            _remove(entry)
        for entry in moved_out:
            try:
                (old / entry.name).rename(entry)
            except OSError:
                pass
        _remove(staging)
        if old.is_dir() and not any(old.iterdir()):  # else kept: what could not be put back
            _remove(old)
        if created:
            _remove(folder)
        raise InputError(f"{path}: cannot write ({exc.strerror or exc})") from None
    _remove(staging)
    _remove(old)
    return written


def _remove(path) -> None:
    """Remove a file or a folder tree if it is there; errors ignored (it is tidying up)."""
    import shutil
    from pathlib import Path

    path = Path(path)
    try:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        elif path.exists() or path.is_symlink():
            path.unlink()
    except OSError:
        pass
