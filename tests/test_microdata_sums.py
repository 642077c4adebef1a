"""The microdata reader's per-piece sums (readers.dane_microdata): the ways of grouping and of
reading dates agree with the plain ones, whatever the rows."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pa_trade.readers import dane_microdata as dm

SETTINGS = settings(max_examples=200, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


def _hashed(high, low, values):
    # the grouping by hashing that the counted one stands in for: groups by first appearance
    keys = list(dict.fromkeys(zip(high.tolist(), low.tolist(), strict=True)))
    place = {key: i for i, key in enumerate(keys)}
    sums = np.zeros(len(keys))
    for h, lo, v in zip(high.tolist(), low.tolist(), values.tolist(), strict=True):
        sums[place[(h, lo)]] += v
    return [h for h, _ in keys], [lo for _, lo in keys], sums


@SETTINGS
@given(st.lists(st.tuples(st.integers(0, 40), st.integers(1400, 1420),
                          st.sampled_from([dm.NO_HS, 901110000, 2709000000]),
                          st.sampled_from([0.0, 1.5, 2.25, 1e6, 0.01])),
                min_size=1, max_size=60), st.booleans())
def test_rows_summed_by_pair_and_month_in_order_of_first_appearance(rows, one_code):
    # without tariff codes (balance) the keys are counted, with them hashed: same groups,
    # same order, same sums
    if one_code:
        rows = [(pair, month, dm.NO_HS, value) for pair, month, _, value in rows]
    high = np.asarray([r[0] for r in rows], dtype=np.int64)
    low = np.asarray([(r[1] << dm.HS_BITS) | r[2] for r in rows], dtype=np.int64)
    values = np.asarray([r[3] for r in rows])
    got_high, got_low, sums = dm._grouped(high, low, {"FOB": values})
    want_high, want_low, want = _hashed(high, low, values)
    assert got_high.tolist() == want_high and got_low.tolist() == want_low
    assert np.allclose(sums["FOB"], want, rtol=0, atol=1e-9)


@SETTINGS
@given(st.lists(st.one_of(st.integers(0, 10000), st.integers(189912, 210001),
                          st.sampled_from([203, 2301, 202312, 9912, 100, 99, 1300])),
                min_size=1, max_size=40))
def test_dates_looked_up_are_the_dates_read_row_by_row(dates):
    # FECH as YYMM, YMM or YYYYMM: worked out once per number in the range, then looked up
    date = np.asarray(dates, dtype=np.int64)
    months, good = dm._typed_months(date)
    want_months, want_good = dm._months_of(date)
    assert good.tolist() == want_good.tolist()
    assert months[good].tolist() == want_months[want_good].tolist()
    assert months.tolist()[:1] and (dm._typed_months(np.asarray([2301]))[0][0]
                                    == (2023 - 1900) * 12)
