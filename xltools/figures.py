"""Figures (汇总指标): named aggregates over the accepted rows of a consolidation.

The operations and the condition language are those of the form definition's ``figures:``
section (:class:`xltools.forms.Figure`): ``count``, ``sum``, ``count_distinct``,
``count_names``, each optionally filtered by ``where`` conditions (``field op value``; no
``eval``).  Sums are exact (``decimal.Decimal``); :func:`plain_number` turns a result into an
``int`` when whole, else a ``float``, for JSON and the workbook.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from .forms import Condition, Figure, FormDefinition


def _row_value(row: Mapping[str, Any], unit_code: str, field: str) -> Any:
    return unit_code if field == "_unit" else row.get(field)


def _matches(value: Any, cond: Condition) -> bool:
    op = cond.op
    if op == "blank":
        return value is None or value == "" or value == ()
    if op == "not_blank":
        return not (value is None or value == "" or value == ())
    if value is None:
        return op == "ne" or op == "not_in"
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = Decimal(str(value))
    target = cond.value
    try:
        if op == "eq":
            return value == target
        if op == "ne":
            return value != target
        if op == "in":
            return value in target
        if op == "not_in":
            return value not in target
        if op == "gt":
            return value > target
        if op == "ge":
            return value >= target
        if op == "lt":
            return value < target
        if op == "le":
            return value <= target
    except TypeError:
        return False
    raise ValueError(f"unknown condition operator {op!r}")  # pragma: no cover - validated on load


def compute_figure(figure: Figure, rows: Iterable[tuple[str, Mapping[str, Any]]]) -> Decimal | int:
    """One figure over ``rows`` given as ``(unit_code, values)`` pairs of the figure's form.

    Returns an ``int`` for counts and a ``Decimal`` for sums.  Blank values are skipped by
    ``sum``, ``count_distinct`` and ``count_names``."""
    selected = (
        (code, row) for code, row in rows if all(_matches(_row_value(row, code, c.field), c) for c in figure.where)
    )
    if figure.op == "count":
        return sum(1 for _ in selected)
    if figure.op == "sum":
        total = Decimal(0)
        for code, row in selected:
            v = _row_value(row, code, figure.field or "")
            if v is not None and v != "" and not isinstance(v, bool):
                total += v if isinstance(v, Decimal) else Decimal(str(v))
        return total
    if figure.op == "count_distinct":
        return len({_row_value(row, code, figure.field or "") for code, row in selected} - {None, ""})
    if figure.op == "count_names":
        n = 0
        for code, row in selected:
            v = _row_value(row, code, figure.field or "")
            if isinstance(v, (tuple, list)):
                n += len(v)
            elif isinstance(v, str) and v.strip():
                from .coerce import split_names

                n += len(split_names(v))
        return n
    raise ValueError(f"unknown figure op {figure.op!r}")  # pragma: no cover - validated on load


def plain_number(value: Any) -> Any:
    """``Decimal``/float → ``int`` when whole, else ``float``; other values unchanged."""
    if isinstance(value, bool):
        return value
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def compute_figures(
    definition: FormDefinition,
    rows_by_form: Mapping[str, Sequence[tuple[str, Mapping[str, Any]]]],
    unit_codes: Sequence[str],
) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """All figures of ``definition``.

    ``rows_by_form``: form name → ``(unit_code, values)`` pairs of accepted rows.
    ``unit_codes``: the roster's codes, in order.
    Returns ``(figures, per_unit)``: ``figures`` maps name → int/float; ``per_unit`` maps unit
    code → {figure name → value} for the figures with ``per_unit: true`` (every unit present,
    zeros included)."""
    figures: dict[str, Any] = {}
    per_unit: dict[str, dict[str, Any]] = {code: {} for code in unit_codes}
    for fig in definition.figures:
        rows = rows_by_form.get(fig.form, ())
        figures[fig.name] = plain_number(compute_figure(fig, rows))
        if fig.per_unit:
            by_unit: dict[str, list[tuple[str, Mapping[str, Any]]]] = {code: [] for code in unit_codes}
            for code, row in rows:
                by_unit.setdefault(code, []).append((code, row))
            for code in unit_codes:
                per_unit[code][fig.name] = plain_number(compute_figure(fig, by_unit.get(code, ())))
    return figures, per_unit


__all__ = ["compute_figure", "compute_figures", "plain_number"]
