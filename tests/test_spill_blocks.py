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


def _hostile_return(kit, tmp_path):
    """A generated return a clerk mangled: a typed total that disagrees with its parts and one
    that is a formula, a formula for a number, a short row, a column of 所在科室 pasted twice (one copy empty), a
    merged cell over two posts, a hidden row, rows with every field blank but one."""
    import openpyxl

    from xltools.generate import generate
    from xltools.roster import Roster, Unit

    roster = Roster(units=(Unit("D01", "区委办"),), source="test")
    blank = next(p for p in generate(kit, roster, tmp_path / "blank", deadline="2006-01-20",
                                     generated=date(2006, 1, 4)) if p.name.startswith("D01_"))
    wb = openpyxl.load_workbook(blank)
    ws = wb["先锋岗登记表"]
    posts = [["秘书科党员先锋岗", "秘书科", "否", "张明、李华", 6, "服务领导", "集中学习", date(2005, 3, 1), "是"],
             ["文印室党员先锋岗", None, "是", "王芳", "=2+2", "热情接待", "首问负责", date(2005, 4, 2), "是"],
             ["档案室党员先锋岗", "档案科", "是", "王芳 赵强", "4人", "", "首问负责", "2005年4月", "是"],
             ["短行岗"]]
    for i, values in enumerate(posts):
        for j, v in enumerate(values):
            ws.cell(row=4 + i, column=1 + j, value=v)
    ws.merge_cells("B4:B5")
    ws.row_dimensions[6].hidden = True
    ws.insert_cols(3)
    ws["C3"] = "所在科室"
    ws = wb["年度考核表"]
    header = [c.value for c in ws[3]]
    at = {label: i + 1 for i, label in enumerate(header) if label}
    for r, (name, scores, total) in enumerate([("秘书科党员先锋岗", [18, 19, 17, 18, 20], 90),
                                               ("文印室党员先锋岗", [18, 19, 17, 18, 20], "=SUM(B5:F5)"),
                                               ("档案室党员先锋岗", [18, None, 17, 18, 20], 80)], start=4):
        ws.cell(row=r, column=1, value=name)
        for k, v in enumerate(scores):
            ws.cell(row=r, column=2 + k, value=v)
        ws.cell(row=r, column=at["总分"], value=total)
        ws.cell(row=r, column=at["考核等次"], value="优秀")
    out = tmp_path / "D01_区委办.xlsx"
    wb.save(out)
    return out


def test_the_columns_read_one_made_are_what_the_rows_transposed_give(kit, roster, tmp_path, kit_path):
    # Issue 7: spill_to stores read_one's SheetColumns instead of transposing the rows back
    # (_block); the stored block must be the same, byte for byte as pickled (the same objects
    # shared), for every return of the sample, every fixture and a mangled return.
    import pickle
    from pathlib import Path

    from xltools.readers import find_returns
    from xltools.returns import _block, _block_of, _by_sheet, read_one

    root = kit_path.parents[2]
    files, _ = find_returns([root / "samples" / "returns", Path(__file__).parent / "fixtures" / "returns"])
    files.append(_hostile_return(kit, tmp_path))
    blocks = 0
    kinds: set[str] = set()
    for f in files:
        res = read_one(f, kit, roster)
        if f == files[-1]:
            kinds = {i.kind for rows in res.rows.values() for r in rows for i in r.issues} | {i.kind for i in res.issues}
        for form_name, rows in res.rows.items():
            names = [x.name for x in kit.form(form_name).fields]
            parts, known = _by_sheet(rows), res.columnar.get(form_name, [])
            assert len(parts) == len(known), f
            for part, sheet in zip(parts, known):
                assert sheet.holds(part, names)
                made = _block_of(part, names, sheet.values, sheet.raw)
                assert pickle.dumps(made, 5) == pickle.dumps(_block(part, names), 5), (f.name, form_name)
                blocks += 1
    assert len(files) > 40 and blocks > 100
    assert {"derived_mismatch", "formula", "hidden_rows", "repeated_column", "merged_cells"} <= kinds, kinds


def test_rows_changed_after_reading_are_spilled_as_they_stand(kit, roster, tmp_path, kit_path):
    # A caller that edits rows between read_one and spill_to gets its edits spilled (by
    # default the rows are transposed as they stand: a hostile review found read_one's columns
    # stored instead); with as_read=True (the merge, straight after reading) a sheet whose
    # rows are no longer the very Row objects read, in order, is still transposed.
    import dataclasses

    from xltools.returns import read_one

    path = kit_path.parents[2] / "samples" / "returns" / "round1" / "D01_区委办_党员先锋岗工作台账.xlsx"
    form_name = "deeds"
    field = kit.form(form_name).fields[-1].name

    res = read_one(path, kit, roster)
    rows = res.rows[form_name]
    assert len(rows) > 2 and res.columnar[form_name]
    rows[1].values[field] = "改过的值"  # in place: the rows are still the objects read
    back = res.spill_to(tmp_path / "a.rows", kit).load(form_name, kit)
    assert back[1].values[field] == "改过的值"

    res = read_one(path, kit, roster)
    rows = res.rows[form_name]
    rows[2] = dataclasses.replace(rows[2], values={**rows[2].values, field: "换过的行"})
    back = res.spill_to(tmp_path / "r.rows", kit, as_read=True).load(form_name, kit)
    assert back[2].values[field] == "换过的行"

    res = read_one(path, kit, roster)
    rows = res.rows[form_name]
    rows[1], rows[2] = rows[2], rows[1]
    swapped = [r.values for r in rows]
    spilled = res.spill_to(tmp_path / "b.rows", kit, as_read=True)
    assert [r.values for r in spilled.load(form_name, kit)] == swapped and spilled.columnar == {}

    res = read_one(path, kit, roster)
    kept = [(r.row, r.values) for r in res.rows[form_name]]
    assert [(r.row, r.values) for r in res.spill_to(tmp_path / "c.rows", kit, as_read=True).load(form_name, kit)] == kept


def test_row_dicts_are_made_with_the_keys_in_order_whatever_they_hold():
    from xltools.returns import _dict_maker

    keys = ("post_name", "v0", "it's", 'say "hi"', "back\\slash", "先锋岗", "a\nb", "v1")
    columns = [[f"{k}-{i}" for i in range(3)] for k in keys]
    made = list(map(_dict_maker(keys), *columns))
    assert made == [dict(zip(keys, row)) for row in zip(*columns)]
    assert [list(d) for d in made] == [list(keys)] * 3
    assert _dict_maker(keys) is _dict_maker(tuple(keys))  # compiled once per tuple of keys
    assert _dict_maker(("only",))("x") == {"only": "x"}
