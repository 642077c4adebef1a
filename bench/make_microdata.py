"""Write synthetic DANE customs microdata, EXPO and IMPO, of any size, for benchmarks.

    python bench/make_microdata.py --rows 5000000 --out /tmp/dane-5m

writes `expo.csv` and `impo.csv` (N rows each) in the layout of docs/spec formats §1-§2:
Latin-1 (the content is plain ASCII, which Latin-1 and UTF-8 read alike), `;`, decimal comma
("178638,32", "88450", "212195512,4": trailing zeros dropped as DANE's own files do), FECH as
YYMM with leading zeros, 3-digit DIAN country codes with leading zeros ("069", "023"),
10-digit tariff codes as text with leading zeros, FOBDOL/FOBPES for exports and
VAFODO/FLETE/SEGUROS/VACID/VACIP for imports, PAISPRO/PAISCOM differing from the origin
PAISGEN on ~15% of import rows. Partners follow Colombia's trade (USA, China, Panama, Mexico,
Brazil, Peru, ...) with a tail of every other country in pa-trade's table and a few lines of
"999" (not declared). Values are random, not statistics.

Rows are drawn and written in chunks, each chunk's lines built as one byte matrix with numpy,
so memory stays bounded and ten million rows take well under a minute per file.
"""

from __future__ import annotations

import argparse
import csv
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

COUNTRIES_CSV = Path(__file__).resolve().parents[1] / "data" / "countries.csv"
COLOMBIA_DIAN = "169"
NOT_DECLARED_DIAN = "999"
UNMAPPED_DIAN = ("000", "990", "998")  # codes DIAN does not have

# DIAN code -> rough share of declaration lines, from Colombia's main markets and suppliers
EXPORT_PARTNERS = {
    # USA CHN PAN ECU NLD BRA
    "249": 28.0, "215": 7.0, "580": 6.0, "239": 5.0, "573": 4.0, "105": 3.5,
    # IND MEX PER CHL ESP TUR
    "361": 3.0, "493": 3.5, "589": 3.5, "211": 2.5, "245": 2.0, "827": 2.0,
    # DEU KOR JPN CAN ITA GBR
    "023": 1.5, "190": 1.0, "399": 1.0, "149": 1.2, "386": 1.0, "628": 1.0,
    # BEL VEN DOM GTM CRI PRI
    "087": 1.0, "850": 1.5, "647": 1.5, "317": 1.2, "196": 1.0, "611": 0.8,
    # ISR CHE ABW CUW ARG BOL
    "383": 0.8, "767": 0.8, "027": 0.8, "200": 0.6, "063": 0.5, "097": 0.5,
}
IMPORT_PARTNERS = {
    # USA CHN MEX BRA DEU IND
    "249": 26.0, "215": 24.0, "493": 5.5, "105": 5.0, "023": 3.5, "361": 2.0,
    # JPN KOR ITA FRA ESP PER
    "399": 2.0, "190": 1.8, "386": 1.5, "275": 1.5, "245": 1.5, "589": 1.5,
    # CHL ECU ARG CAN GBR CHE
    "211": 1.2, "239": 1.5, "063": 1.5, "149": 1.2, "628": 1.0, "767": 1.0,
    # VNM TWN THA IDN MYS NLD
    "855": 1.2, "218": 1.0, "776": 0.8, "365": 0.8, "455": 0.6, "573": 1.0,
    # BEL TUR PAN AUS ARE RUS
    "087": 0.8, "827": 0.8, "580": 0.6, "069": 0.4, "244": 0.3, "676": 0.5,
    # HKG SGP URY BOL
    "351": 0.4, "741": 0.4, "845": 0.3, "097": 0.3,
}
# where goods come through when provenance differs from origin: hubs and neighbours
PROVENANCE_HUBS = {"249": 40.0, "580": 20.0, "573": 8.0, "493": 8.0, "245": 6.0, "211": 6.0,
                   "741": 4.0, "351": 4.0, "239": 4.0}
TAIL_SHARE = 0.03  # lines with any other country in the table
NOT_DECLARED_SHARE = 0.0005
PROVENANCE_DIFFERS = 0.15
TARIFF_LINES = 8000  # distinct 10-digit codes per file, roughly a year of DANE's


def dian_codes_in_table(path: Path = COUNTRIES_CSV) -> list[str]:
    """Every DIAN code of pa-trade's country table, 3 digits with leading zeros."""
    if not path.is_file():
        return []
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return sorted({f"{int(code):03d}" for row in csv.DictReader(handle)
                       for code in row["dian_codes"].split()})


class Cells:
    """A column of text cells as a byte matrix: `chars` (rows, width) and the `used` bytes.

    Cells of different lengths share a width; a line is the used bytes read row by row, so
    whole chunks of lines are built with array operations and no Python loop over rows.
    """

    __slots__ = ("chars", "used")

    def __init__(self, chars: np.ndarray, used: np.ndarray):
        self.chars, self.used = chars, used



_POWERS = 10 ** np.arange(1, 19, dtype=np.int64)


def _digit_count(values: np.ndarray) -> np.ndarray:
    return np.searchsorted(_POWERS, values, side="right") + 1


def _write_digits(values: np.ndarray, chars: np.ndarray, width: int) -> None:
    """Decimal digits of `values` into the `width` last columns of `chars`, right-aligned."""
    rest = values.copy()
    for column in range(chars.shape[1] - 1, chars.shape[1] - 1 - width, -1):
        rest, digit = np.divmod(rest, 10)
        chars[:, column] = digit
        chars[:, column] += ord("0")


def digits(values: np.ndarray, pad: int = 1) -> Cells:
    """Non-negative integers in decimal, with leading zeros up to `pad` digits."""
    values = np.asarray(values, dtype=np.int64)
    count = np.maximum(_digit_count(values), pad)
    width = int(count.max()) if len(values) else pad
    chars = np.empty((len(values), width), np.uint8)
    _write_digits(values, chars, width)
    return Cells(chars, np.arange(width) >= (width - count)[:, None])


def decimal_comma(cents: np.ndarray) -> Cells:
    """Money as DANE writes it: decimal comma, trailing zeros of the cents dropped
    ("178638,32", "212195512,4", "88450")."""
    whole, rest = np.divmod(cents, 100)
    count = _digit_count(whole)
    width = int(count.max()) + 3 if len(cents) else 4
    chars = np.empty((len(cents), width), np.uint8)
    _write_digits(rest, chars, 2)
    chars[:, -3] = ord(",")
    _write_digits(whole, chars[:, :-3], width - 3)
    used = np.empty((len(cents), width), bool)
    np.greater_equal(np.arange(width - 3), (width - 3 - count)[:, None], out=used[:, :-3])
    has_cents = rest != 0
    used[:, -3] = has_cents
    used[:, -2] = has_cents
    np.not_equal(rest % 10, 0, out=used[:, -1])
    return Cells(chars, used)


class Pool:
    """A fixed set of texts (country codes, tariff codes, units) to draw cells from."""

    def __init__(self, texts: list[str], weights: np.ndarray | None = None):
        width = max(len(t) for t in texts)
        self.texts = texts
        self.chars = np.zeros((len(texts), width), np.uint8)
        self.used = np.zeros((len(texts), width), bool)
        for i, text in enumerate(texts):
            raw = text.encode("latin-1")
            self.chars[i, : len(raw)] = np.frombuffer(raw, np.uint8)
            self.used[i, : len(raw)] = True
        p = np.ones(len(texts)) if weights is None else np.asarray(weights, dtype=float)
        self.p = p / p.sum()

    def draw(self, rng: np.random.Generator, rows: int) -> np.ndarray:
        """Indices of `rows` texts drawn by weight."""
        return rng.choice(len(self.p), rows, p=self.p)

    def cells(self, indices: np.ndarray) -> Cells:
        return Cells(self.chars[indices], self.used[indices])


def lines(columns: list[Cells]) -> bytes:
    """The chunk's lines: cells joined by ';', each line ended by a newline."""
    rows = len(columns[0].chars)
    width = sum(c.chars.shape[1] + 1 for c in columns)
    chars = np.empty((rows, width), np.uint8)
    used = np.empty((rows, width), bool)
    start = 0
    for column in columns:
        end = start + column.chars.shape[1]
        chars[:, start:end] = column.chars
        used[:, start:end] = column.used
        chars[:, end] = ord(";")
        used[:, end] = True
        start = end + 1
    chars[:, -1] = ord("\n")
    return chars[used].tobytes()


def partners(weights: dict[str, float], tail: list[str], unmapped: float = 0.0) -> Pool:
    """DIAN codes to draw: the main partners by weight, then a uniform tail of the table's
    other countries, a few "not declared" and, if asked, codes no table has."""
    rest = [c for c in tail if c not in weights and c not in (COLOMBIA_DIAN, NOT_DECLARED_DIAN)]
    tail_share = TAIL_SHARE if rest else 0.0
    total = sum(weights.values())
    shares = {c: w / total * (1 - tail_share - NOT_DECLARED_SHARE - unmapped)
              for c, w in weights.items()}
    shares.update({code: tail_share / len(rest) for code in rest})
    shares[NOT_DECLARED_DIAN] = NOT_DECLARED_SHARE
    if unmapped:
        shares.update({code: unmapped / len(UNMAPPED_DIAN) for code in UNMAPPED_DIAN})
    return Pool(list(shares), np.array(list(shares.values())))


def tariff_pool(rng: np.random.Generator, size: int = TARIFF_LINES) -> Pool:
    """Distinct 10-digit tariff codes as text (leading zeros kept), with Zipf-like weights."""
    chapters = np.array([c for c in range(1, 98) if c != 77])
    numbers: set[int] = set()
    while len(numbers) < size:
        chapter = rng.choice(chapters, size)
        heading = rng.integers(1, 40, size)
        subheading = rng.integers(0, 100, size)
        national = rng.integers(0, 10, size) * 10
        numbers.update((chapter * 10**8 + heading * 10**6 + subheading * 10**4
                        + national * 10**2).tolist())
    chosen = np.sort(rng.choice(np.array(sorted(numbers)), size, replace=False))
    weights = 1.0 / np.arange(1, size + 1) ** 0.9
    return Pool([f"{n:010d}" for n in chosen.tolist()], rng.permutation(weights))


def exchange_rates(years: range) -> tuple[np.ndarray, np.ndarray]:
    """(YYMM, pesos per dollar): a smooth path from ~2,400 to ~4,800 over the years."""
    months = [(y % 100) * 100 + m for y in years for m in range(1, 13)]
    step = np.arange(len(months))
    rates = 2400 + 2400 * step / max(len(months) - 1, 1) + 150 * np.sin(step / 5.0)
    return np.array(months, dtype=np.int64), rates


def lognormal_cents(rng: np.random.Generator, rows: int, mean: float, sigma: float) -> np.ndarray:
    """Positive amounts in cents (at least one cent), log-normally spread."""
    return np.maximum(np.rint(rng.lognormal(mean, sigma, rows) * 100), 1).astype(np.int64)


def pick(rng: np.random.Generator, rows: int, values: list[int]) -> Cells:
    return digits(np.asarray(values, dtype=np.int64)[rng.integers(0, len(values), rows)])


DEPARTMENTS = [5, 8, 11, 13, 15, 17, 19, 20, 23, 25, 41, 47, 50, 52, 54, 63, 66, 68, 73, 76, 88]
CUSTOMS_OFFICES = [1, 2, 3, 4, 9, 10, 12, 13, 14, 15, 16, 19, 23, 25, 27, 35, 37, 40, 48, 87, 88]
EXPO_COLUMNS = ["FECH", "ADUA", "PAIS", "COD_SAL", "DPTO2", "VIA", "POSAR", "DPTO1", "UNID",
                "CANTI", "PBK", "PNK", "FOBDOL", "FOBPES", "FLETES", "SEGURO"]
IMPO_COLUMNS = ["FECH", "ADUA", "PAISGEN", "PAISPRO", "PAISCOM", "DEPTODES", "VIATRANS", "PBK",
                "PNK", "NABAN", "VAFODO", "FLETE", "SEGUROS", "VACID", "VACIP"]


class Generator:
    """Draws chunks of EXPO and IMPO lines."""

    def __init__(self, seed: int, years: range, unmapped: float = 0.0,
                 random_codes: bool = False):
        tables, expo, impo = np.random.SeedSequence(seed).spawn(3)
        self.random_codes = random_codes
        rng = np.random.default_rng(tables)
        # each file draws from its own stream, so both can be written at once
        self.expo_rng, self.impo_rng = np.random.default_rng(expo), np.random.default_rng(impo)
        tail = dian_codes_in_table()
        self.expo_partners = partners(EXPORT_PARTNERS, tail, unmapped)
        self.impo_partners = partners(IMPORT_PARTNERS, tail, unmapped)
        self.hubs = Pool(list(PROVENANCE_HUBS), np.array(list(PROVENANCE_HUBS.values())))
        # where each import partner's code sits among the hubs, to keep provenance != origin
        self.hub_of_partner = np.array(
            [self.hubs.texts.index(c) if c in self.hubs.texts else -1
             for c in self.impo_partners.texts])
        self.units = Pool(["KG", "U", "L", "M2", "PAR"], np.array([70, 20, 5, 3, 2]))
        self.expo_tariffs = tariff_pool(rng)
        self.impo_tariffs = tariff_pool(rng)
        self.yymm, self.rates = exchange_rates(years)

    def _tariffs(self, rng: np.random.Generator, rows: int, pool: Pool) -> Cells:
        """Tariff codes of `rows` lines: drawn from the pool, or with --random-codes any
        10-digit code, uniformly (nearly every line its own code: the worst case for sums)."""
        if self.random_codes:
            return digits(rng.integers(0, 10**10, rows), pad=10)
        return pool.cells(pool.draw(rng, rows))

    def _dates(self, rng: np.random.Generator, rows: int) -> tuple[Cells, np.ndarray]:
        which = rng.integers(0, len(self.yymm), rows)
        return digits(self.yymm[which], pad=4), self.rates[which]

    def expo(self, rows: int) -> bytes:
        """`rows` lines of an EXPO file."""
        rng = self.expo_rng
        fech, rate = self._dates(rng, rows)
        fob = lognormal_cents(rng, rows, 9.0, 2.2)
        kilos = lognormal_cents(rng, rows, 7.0, 2.0)
        return lines([
            fech,
            pick(rng, rows, CUSTOMS_OFFICES),
            self.expo_partners.cells(self.expo_partners.draw(rng, rows)),
            digits(rng.integers(1, 9, rows)),
            pick(rng, rows, DEPARTMENTS),
            digits(rng.integers(1, 9, rows)),
            self._tariffs(rng, rows, self.expo_tariffs),
            pick(rng, rows, DEPARTMENTS),
            self.units.cells(self.units.draw(rng, rows)),
            decimal_comma(lognormal_cents(rng, rows, 6.0, 2.0)),
            decimal_comma(kilos + kilos // 20),
            decimal_comma(kilos),
            decimal_comma(fob),
            decimal_comma(np.rint(fob * rate).astype(np.int64)),
            decimal_comma(fob // 20),
            decimal_comma(fob // 100),
        ])

    def impo(self, rows: int) -> bytes:
        """`rows` lines of an IMPO file."""
        rng = self.impo_rng
        fech, rate = self._dates(rng, rows)
        origin = self.impo_partners.draw(rng, rows)
        # provenance differs from origin on ~15% of lines: goods routed through a hub
        hub = self.hubs.draw(rng, rows)
        clash = hub == self.hub_of_partner[origin]
        hub[clash] = (hub[clash] + 1) % len(self.hubs.texts)
        differs = rng.random(rows) < PROVENANCE_DIFFERS
        # the purchase country is mostly the provenance, sometimes the origin's seller
        bought_there = rng.random(rows) < 0.8
        origin_cells = self.impo_partners.cells(origin)
        hub_cells = self.hubs.cells(hub)
        width = max(origin_cells.chars.shape[1], hub_cells.chars.shape[1])

        def choose(mask: np.ndarray) -> Cells:
            chars = np.zeros((rows, width), np.uint8)
            used = np.zeros((rows, width), bool)
            for cells, where in ((origin_cells, ~mask), (hub_cells, mask)):
                w = cells.chars.shape[1]
                chars[where, :w] = cells.chars[where]
                used[where, :w] = cells.used[where]
            return Cells(chars, used)

        fob = lognormal_cents(rng, rows, 9.2, 2.2)
        freight = np.rint(fob * rng.uniform(0.02, 0.12, rows)).astype(np.int64)
        insurance = fob // 200
        cif = fob + freight + insurance
        kilos = lognormal_cents(rng, rows, 7.0, 2.0)
        return lines([
            fech,
            pick(rng, rows, CUSTOMS_OFFICES),
            origin_cells,
            choose(differs),
            choose(differs & bought_there),
            pick(rng, rows, DEPARTMENTS),
            digits(rng.integers(1, 9, rows)),
            decimal_comma(kilos + kilos // 20),
            decimal_comma(kilos),
            self._tariffs(rng, rows, self.impo_tariffs),
            decimal_comma(fob),
            decimal_comma(freight),
            decimal_comma(insurance),
            decimal_comma(cif),
            decimal_comma(np.rint(cif * rate).astype(np.int64)),
        ])


def write(rows: int, out: Path, seed: int = 1, first_year: int = 2015, last_year: int = 2023,
          chunk_rows: int = 250_000, unmapped: float = 0.0, random_codes: bool = False
          ) -> tuple[Path, Path]:
    """Write out/expo.csv and out/impo.csv with `rows` rows each -> their paths."""
    if first_year > last_year:
        raise ValueError(f"--first-year {first_year} is after --last-year {last_year}")
    if not (2000 <= first_year and last_year <= 2099):
        raise ValueError("YYMM dates need years from 2000 to 2099")
    out.mkdir(parents=True, exist_ok=True)
    generator = Generator(seed, range(first_year, last_year + 1), unmapped, random_codes)

    def one_file(name: str, header: list[str], make) -> Path:
        path = out / name
        partial = path.with_suffix(".csv.partial")
        with partial.open("wb") as sink:
            sink.write((";".join(header) + "\n").encode("latin-1"))
            for start in range(0, rows, chunk_rows):
                sink.write(make(min(chunk_rows, rows - start)))
        partial.replace(path)
        return path

    # numpy releases the GIL in the heavy steps: the two files are written side by side
    with ThreadPoolExecutor(max_workers=2) as pool:
        expo = pool.submit(one_file, "expo.csv", EXPO_COLUMNS, generator.expo)
        impo = pool.submit(one_file, "impo.csv", IMPO_COLUMNS, generator.impo)
        return expo.result(), impo.result()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows in each file")
    parser.add_argument("--out", type=Path, default=Path("dane-microdata"),
                        help="folder to write expo.csv and impo.csv into")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--first-year", type=int, default=2015)
    parser.add_argument("--last-year", type=int, default=2023)
    parser.add_argument("--chunk-rows", type=int, default=250_000,
                        help="rows drawn and written at a time (bounds memory)")
    parser.add_argument("--unmapped", type=float, default=0.0,
                        help="share of rows with DIAN codes no table has (000, 990, 998)")
    parser.add_argument("--random-codes", action="store_true",
                        help="uniformly random 10-digit tariff codes instead of a pool of "
                             f"{TARIFF_LINES:,} with Zipf-like weights")
    args = parser.parse_args()
    if args.rows < 0 or args.chunk_rows < 1 or not 0 <= args.unmapped < 0.5:
        parser.error("--rows >= 0, --chunk-rows >= 1 and 0 <= --unmapped < 0.5")
    started = time.perf_counter()
    try:
        paths = write(args.rows, args.out, args.seed, args.first_year, args.last_year,
                      args.chunk_rows, args.unmapped, args.random_codes)
    except ValueError as exc:
        parser.error(str(exc))
    took = time.perf_counter() - started
    for path in paths:
        print(f"{path}: {args.rows:,} rows, {path.stat().st_size / 1e6:,.0f} MB")
    print(f"written in {took:.1f} s")


if __name__ == "__main__":
    main()
