"""Figures' fast paths (issue 7) give exactly what the general code gives: the one-condition
``eq`` filter with a text or boolean target, and sums of int values."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from xltools.figures import _matches, _selected, compute_figure
from xltools.forms import Condition, Figure

VALUES = [None, "", "满意", "满意 ", "不满意", True, False, 1, 0, 1.0, 0.0, 2, Decimal("1"), Decimal("1.0"),
          Decimal("0"), ("满意",), (), date(2024, 3, 5), "True", "1"]


@pytest.mark.parametrize("target", ["满意", "", "1", True, False])
def test_eq_filter_matches_the_general_rule(target):
    cond = Condition(field="x", op="eq", value=target)
    fig = Figure(name="n", label="n", op="count", form="f", where=(cond,))
    rows = [("U1", {"x": v}) for v in VALUES] + [("U1", {})]
    picked = _selected(fig, rows)
    expected = [(code, row) for code, row in rows if _matches(row.get("x"), cond)]
    assert picked == expected
    assert compute_figure(fig, rows) == len(expected)


def test_eq_true_counts_numbers_equal_to_one_as_the_general_rule_does():
    cond = Condition(field="x", op="eq", value=True)
    fig = Figure(name="n", label="n", op="count", form="f", where=(cond,))
    rows = [("U", {"x": v}) for v in (True, 1, 1.0, Decimal("1"), False, 0, None, "是")]
    assert compute_figure(fig, rows) == 4


def test_sum_of_ints_and_floats_is_exact_and_typed_as_before():
    fig = Figure(name="s", label="s", op="sum", form="f", field="x")
    rows = [("U", {"x": v}) for v in (1, 2, 10**30, 0.1, 0.2, Decimal("0.3"), None, "", True)]
    total = compute_figure(fig, rows)
    assert isinstance(total, Decimal)
    # the same additions as converting every value through str, in the same order (so the same
    # rounding at Decimal's 28 digits); booleans and blanks skipped
    reference = Decimal(0)
    for v in (1, 2, 10**30, 0.1, 0.2, Decimal("0.3")):
        reference += Decimal(str(v))
    assert total == reference and str(total) == str(reference)
    assert compute_figure(fig, [("U", {"x": v}) for v in (1, 2, 3)]) == Decimal(6)
    assert compute_figure(fig, [("U", {"x": v}) for v in (0.1, 0.2)]) == Decimal("0.3")


def _stepwise(values):
    """The general rule: Decimal additions one value at a time, blanks and booleans skipped."""
    total = Decimal(0)
    for v in values:
        if v is not None and v != "" and not isinstance(v, bool):
            total += v if isinstance(v, Decimal) else Decimal(v) if v.__class__ is int else Decimal(str(v))
    return total


@pytest.mark.parametrize("values", [
    [Decimal("1.50"), None, Decimal("2"), Decimal("0.00"), Decimal("-0"), Decimal("1E+3")],
    [Decimal("9" * 27), Decimal("9" * 27), Decimal("0.000001")],  # rounds at 28 digits, the same way
    [None, None], [], [3, None, 5, 0, -2], [10**26, 10**26, 10**26], [10**40, 1, -10**40],
    [Decimal("-0.00")],
])
def test_sums_of_one_type_are_the_stepwise_sums(values):
    import random

    fig = Figure(name="s", label="s", op="sum", form="f", field="x")
    for order in range(3):
        vals = list(values)
        random.Random(order).shuffle(vals)
        got = compute_figure(fig, [("U", {"x": v}) for v in vals])
        want = _stepwise(vals)
        assert isinstance(got, Decimal) and got == want and str(got) == str(want), vals
