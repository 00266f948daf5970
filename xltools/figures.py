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
from functools import partial
from operator import is_not
from typing import Any

from .forms import Condition, Figure, FormDefinition

_DECIMALS = frozenset({Decimal, type(None)})
_INTS = frozenset({int, type(None)})
_NOT_NONE = partial(is_not, None)


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


def _selected(figure: Figure, rows: Iterable[tuple[str, Mapping[str, Any]]]) -> Iterable[tuple[str, Mapping[str, Any]]]:
    """The rows meeting every ``where`` condition (all rows when there is none)."""
    conds = [(c.field, c) for c in figure.where]
    if not conds:
        return rows
    if len(conds) == 1:
        name, c = conds[0]
        if name != "_unit" and c.op == "eq" and c.value.__class__ in (str, bool):
            # the common "field eq text/true" filter, without a call per row: for a str or bool
            # target, == gives what _matches gives (None, numbers, tuples and dates never equal
            # a str; 1, 1.0 and Decimal 1 equal True either way)
            target = c.value
            return [(code, row) for code, row in rows if row.get(name) == target]
        return [(code, row) for code, row in rows if _matches(code if name == "_unit" else row.get(name), c)]
    return [
        (code, row) for code, row in rows
        if all(_matches(code if name == "_unit" else row.get(name), c) for name, c in conds)
    ]


def compute_figure(figure: Figure, rows: Iterable[tuple[str, Mapping[str, Any]]]) -> Decimal | int:
    """One figure over ``rows`` given as ``(unit_code, values)`` pairs of the figure's form.

    Returns an ``int`` for counts and a ``Decimal`` for sums.  Blank values are skipped by
    ``sum``, ``count_distinct`` and ``count_names``."""
    selected = _selected(figure, rows)
    name = figure.field or ""
    if figure.op == "count":
        return len(selected) if isinstance(selected, (list, tuple)) else sum(1 for _ in selected)
    if figure.op == "count_distinct":
        return len(_distinct(figure, selected))
    if name == "_unit":
        values: Iterable[Any] = (code for code, _row in selected)
    else:
        values = (row.get(name) for _code, row in selected)
    if figure.op == "sum":
        values = list(values)
        kinds = set(map(type, values))
        if kinds <= _DECIMALS:  # the usual column: summed by sum(), in the same order
            return sum(filter(_NOT_NONE, values), Decimal(0))
        if kinds <= _INTS:
            ints = list(filter(_NOT_NONE, values))
            if not ints:
                return Decimal(0)
            if max(map(abs, ints)) * len(ints) < 10**27:  # no partial sum reaches 28 digits: exact
                return Decimal(sum(ints))
        total = Decimal(0)
        for v in values:
            if v is not None and v != "" and not isinstance(v, bool):
                # an int converts exactly (Decimal(7) == Decimal("7")); a float through its
                # shortest repr, as typed (Decimal(0.1) would be 0.1000000000000000055…)
                total += v if isinstance(v, Decimal) else Decimal(v) if v.__class__ is int else Decimal(str(v))
        return total
    if figure.op == "count_names":
        n = 0
        for v in values:
            if isinstance(v, (tuple, list)):
                n += len(v)
            elif isinstance(v, str) and v.strip():
                from .coerce import split_names

                n += len(split_names(v))
        return n
    raise ValueError(f"unknown figure op {figure.op!r}")  # pragma: no cover - validated on load


def _distinct(figure: Figure, selected: Iterable[tuple[str, Mapping[str, Any]]]) -> set[Any]:
    name = figure.field or ""
    return {_row_value(row, code, name) for code, row in selected} - {None, ""}


def plain_number(value: Any) -> Any:
    """``Decimal``/float → ``int`` when whole, else ``float``; other values unchanged."""
    if isinstance(value, bool):
        return value
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


class FigureTally:
    """Running figures, fed one unit's accepted rows at a time (so a merge never needs every
    row at once: issue 7).  Each figure is computed per unit and the units' parts combine
    exactly: counts and sums add (``Decimal``), ``count_distinct`` unites the sets.

    ``definition``: the form definition; ``unit_codes``: the roster's codes, in order.
    :meth:`add_unit` takes ``{form name: [values, …]}`` for one unit; :meth:`result` gives
    ``(figures, per_unit)`` as :func:`compute_figures` does."""

    def __init__(self, definition: FormDefinition, unit_codes: Sequence[str]) -> None:
        self._figures = list(definition.figures)
        self._codes = list(unit_codes)
        self._totals: dict[str, Any] = {
            f.name: set() if f.op == "count_distinct" else (Decimal(0) if f.op == "sum" else 0) for f in self._figures
        }
        self._per_unit: dict[str, dict[str, Any]] = {code: {} for code in unit_codes}
        self._by_form: dict[str, list[Figure]] = {}
        for f in self._figures:
            self._by_form.setdefault(f.form, []).append(f)

    def parts(self, code: str, rows_by_form: Mapping[str, Sequence[Mapping[str, Any]]]) -> dict[str, Any]:
        """One unit's part of every figure (an int, a Decimal, or for ``count_distinct`` the set
        of values): pure, so it can be computed where the unit's rows are (a worker)."""
        out: dict[str, Any] = {}
        for form_name, figs in self._by_form.items():
            pairs = [(code, row) for row in rows_by_form.get(form_name, ())]
            for fig in figs:
                out[fig.name] = _part(fig, pairs)
        return out

    def add(self, code: str, parts: Mapping[str, Any]) -> None:
        """Add one unit's :meth:`parts` (units may come in any order)."""
        for fig in self._figures:
            part = parts.get(fig.name)
            if part is None:
                continue
            if fig.op == "count_distinct":
                self._totals[fig.name] |= part
            else:
                self._totals[fig.name] += part
        if code in self._per_unit:
            slot = self._per_unit[code]
            for fig in self._figures:
                if fig.per_unit:
                    part = parts.get(fig.name, 0)
                    slot[fig.name] = plain_number(len(part) if isinstance(part, set) else part)

    def parts_in_order(self, code: str, rows_by_form: Mapping[str, Sequence[Mapping[str, Any]]]) -> tuple[Any, ...]:
        """:meth:`parts` as a tuple in the definition's figure order (None for a figure without a
        part): what a unit's verdict keeps, 0.5 KB smaller than the dict for the pioneer-post kit
        (a province's 5,000 verdicts wait in the merge's parent process: issue 7)."""
        parts = self.parts(code, rows_by_form)
        return tuple(parts.get(f.name) for f in self._figures)

    def add_in_order(self, code: str, values: Sequence[Any]) -> None:
        """:meth:`add` of a :meth:`parts_in_order` tuple."""
        self.add(code, {f.name: v for f, v in zip(self._figures, values)})

    def add_unit(self, code: str, rows_by_form: Mapping[str, Sequence[Mapping[str, Any]]]) -> None:
        """Add one unit's accepted rows: ``{form name: [values, …]}``."""
        self.add(code, self.parts(code, rows_by_form))

    def result(self) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
        figures = {}
        for fig in self._figures:
            total = self._totals[fig.name]
            figures[fig.name] = plain_number(len(total) if isinstance(total, set) else total)
        per_unit = {code: dict(v) for code, v in self._per_unit.items()}
        for code in self._codes:
            for fig in self._figures:
                if fig.per_unit:
                    per_unit[code].setdefault(fig.name, 0)
        return figures, per_unit


def _part(fig: Figure, pairs: Sequence[tuple[str, Mapping[str, Any]]]) -> Any:
    """One unit's part of a figure over its ``(unit_code, values)`` pairs: an int, a Decimal,
    or (count_distinct) the set of values."""
    if fig.op == "count_distinct":
        return _distinct(fig, _selected(fig, pairs))
    return compute_figure(fig, pairs)


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
    zeros included).  Rows of codes outside ``unit_codes`` count in the totals only."""
    grouped: dict[str, dict[str, list[Mapping[str, Any]]]] = {}
    for form_name, rows in rows_by_form.items():
        for code, row in rows:
            grouped.setdefault(code, {}).setdefault(form_name, []).append(row)
    tally = FigureTally(definition, unit_codes)
    for code, by_form in grouped.items():
        tally.add_unit(code, by_form)
    return tally.result()


__all__ = ["FigureTally", "compute_figure", "compute_figures", "plain_number"]
