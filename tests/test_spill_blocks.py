"""Issue 7: a return's rows are spilled column by column (``FileResult.spill_to``, one block per
source sheet) and read back (``load``, ``values``) exactly as they were: values, raw cells, issues
and provenance, whatever the rows' shape (short rows, cells held as a dict, a missing column,
a columns map in another order than the form's fields, several sheets)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from xltools.issues import ERROR, Issue
from xltools.returns import FileResult, Row
from xltools.spill import read_segment


def _facts(rows):
    return [(r.form, r.sheet, r.row, r.unit_code, r.unit_name, r.file, sorted(r.values.items(), key=str),
             r.raw, sorted((c, v) for c, v in r.field_cells().items() if v is not None), r.columns, r.labels,
             [(i.kind, i.cell, i.message) for i in r.issues]) for r in rows]


def test_rows_of_every_shape_come_back_unchanged(kit, tmp_path):
    form = kit.forms[0]
    names = [f.name for f in form.fields]
    labels = tuple(f.label for f in form.fields)
    text = "先锋岗甲"
    # sheet A: the columns map in field order, one field missing; the text column's raw cells are
    # the very objects of the values
    cols_a = {n: (i if i != 2 else None) for i, n in enumerate(names)}
    # sheet B: the columns map in reverse order (another layout), cells as a dict on one row and
    # a short list on another (a cell that is None and a cell not held are the same)
    cols_b = {n: len(names) - 1 - i for i, n in reversed(list(enumerate(names)))}
    rows = []
    for k in range(5):
        cells = [text if i == 0 else (k if i % 3 else f"v{k}-{i}") for i in range(len(names))]
        values = {n: (cells[0] if n == names[0] else Decimal(k) if i % 2 else f"t{k}") for i, n in enumerate(names)}
        issues = [Issue(severity=ERROR, kind="demo", message=f"问题{k}", cell=f"A{k + 4}")] if k == 3 else []
        rows.append(Row(form.name, values, "D01", "区委办", "round1/a.xlsx", "A", k + 4, cells, cols_a, labels, issues))
    for k, cells in enumerate([{0: "x", len(names) - 1: date(2024, 3, 5)}, ["only", "two"]]):
        values = dict.fromkeys(names)
        values[names[-1]] = date(2024, 3, 5)
        rows.append(Row(form.name, values, "D01", "区委办", "round1/a.xlsx", "B", k + 9, cells, cols_b, labels, []))
    res = FileResult(path="round1/a.xlsx", status="ok", unit_code="D01", unit_name="区委办", rows={form.name: rows})
    before = _facts(rows)
    spilled = res.spill_to(tmp_path / "r.rows", kit)
    assert spilled.rows == {} and spilled.counts == {form.name: 7}
    assert _facts(spilled.load(form.name, kit)) == before
    assert spilled.values(form.name, kit) == [(r.sheet, r.row, r.field_values(names)) for r in rows]
    # the text column was stored once, as the index of its values column (sheet A's first
    # field), and comes back as that very list; sheet B's columns hold other objects
    path, segments = spilled.spill
    stored = read_segment(path, segments[form.name])
    assert [b[0] for b in stored] == ["A", "B"]
    assert stored[0][4][0] == 0 and stored[1][4][0] == ["x", "only"]
    block = spilled._blocks(form.name)[0]
    assert block[4][0] is block[3][0]


def test_a_form_without_rows_and_other_forms(kit, tmp_path):
    res = FileResult(path="x.xlsx", status="ok", unit_code="D01", unit_name="区委办", rows={kit.forms[0].name: []})
    spilled = res.spill_to(tmp_path / "r.rows", kit)
    assert spilled.load(kit.forms[0].name, kit) == []
    assert spilled.values(kit.forms[1].name, kit) == []


def test_equal_but_not_identical_raw_cells_are_kept_as_they_were(kit, tmp_path):
    # -0.0 == 0.0 and a datetime's fold is not compared: such a raw column is stored beside
    # its values, never replaced by them
    from datetime import datetime

    form = kit.forms[0]
    names = [f.name for f in form.fields]
    labels = tuple(f.label for f in form.fields)
    cols = {n: i for i, n in enumerate(names)}
    folded = datetime(2024, 11, 3, 1, 30, fold=1)
    rows = []
    for k in range(3):
        cells = [-0.0 if i == 0 else folded if i == 1 else f"x{k}" for i in range(len(names))]
        values = {n: (0.0 if i == 0 else datetime(2024, 11, 3, 1, 30) if i == 1 else f"x{k}") for i, n in enumerate(names)}
        rows.append(Row(form.name, values, "D01", "区委办", "a.xlsx", "A", k + 4, cells, cols, labels, []))
    res = FileResult(path="a.xlsx", status="ok", unit_code="D01", unit_name="区委办", rows={form.name: rows})
    back = res.spill_to(tmp_path / "r.rows", kit).load(form.name, kit)
    for row in back:
        cells = row.field_cells()
        assert str(cells[0]) == "-0.0" and cells[1].fold == 1 and cells[2] == row.values[names[2]]
