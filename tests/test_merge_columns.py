"""Column-wise coercion (issue 7): a column is coerced one distinct value at a time when its
value types cannot compare equal across types; the result must be exactly what coercing every
cell on its own gives, for every field type and every mix of raw values a reader delivers."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import date, datetime, time, timedelta
from pathlib import Path

from openpyxl import Workbook

from xltools.coerce import compile_field
from xltools.merge import EXCEL_CELL_LIMIT, _coerce_column, _excel_limit, merge
from xltools.readers import CellError
from xltools.roster import Roster, Unit

#: What python-calamine and the CSV reader hand the merge, including values that are equal
#: across types (1, 1.0, True; 0, 0.0, -0.0, False), blanks, error values and over-long text.
RAW = [
    None, "", "  ", "\u3000", "1", " 1 ", "１２", "0", "-0", 1, 1.0, True, 0, 0.0, -0.0, False, 2.5, -3,
    12345678901234567, 1e300, float("nan"), "无", "/", "约五十多人", "三十", "二〇二四年三月五日",
    "2024.3.5", "2024年13月45日", "2024-03-05", date(2024, 3, 5), datetime(2024, 3, 5),
    datetime(2024, 3, 5, 8, 30), time(8, 30), timedelta(days=2), CellError("#N/A"), "#N/A", "#DIV/0!",
    "张三", "张三、李四", "张三,李四", "张三 1", "是", "否", "其它事项", "党员先锋岗", "x" * (EXCEL_CELL_LIMIT + 1),
    "line\r\nbreak", "ctrl\x07char", "110101199003076514", "11010119900307651x", "13800138000",
]


def reference(col, coerce):
    return [_excel_limit(coerce(v)) for v in col]


def shape(results):
    # type and repr too: 1 and 1.0 and True must not be mistaken for one another
    return [(type(v), repr(v), p) for v, p in results]


def all_fields(kit):
    return [f for form in kit.forms for f in form.fields if not f.derived]


def test_every_field_type_of_the_kit_is_covered(kit):
    assert {f.type for f in all_fields(kit)} >= {"text", "integer", "decimal", "date", "choice", "names"}


def test_each_raw_value_alone_and_repeated_matches_cell_by_cell(kit):
    for f in all_fields(kit):
        coerce = compile_field(f)
        for v in RAW:
            col = [v, v, None, v]
            results, bad, _distinct = _coerce_column(col, coerce)
            expected = reference(col, coerce)
            assert shape(results) == shape(expected), (f.name, v)
            assert bad == [i for i, (_v, p) in enumerate(expected) if p], (f.name, v)


def test_random_mixed_columns_match_cell_by_cell(kit):
    rng = random.Random(7)
    fields = all_fields(kit)
    for _ in range(600):
        f = rng.choice(fields)
        coerce = compile_field(f)
        col = [rng.choice(RAW) for _ in range(rng.randint(0, 40))]
        results, bad, _distinct = _coerce_column(col, coerce)
        expected = reference(col, coerce)
        assert shape(results) == shape(expected), (f.name, col)
        assert bad == [i for i, (_v, p) in enumerate(expected) if p], (f.name, col)


def test_equal_across_types_values_are_not_merged(kit):
    count = next(f for f in all_fields(kit) if f.type == "text")
    results, _bad, _distinct = _coerce_column([1, 1.0, True, 0.0, -0.0], compile_field(count))
    # a text field shows each as it was typed: merging 1/1.0/True or 0.0/-0.0 would not
    assert [v for v, _ in results] == [v for v, _ in reference([1, 1.0, True, 0.0, -0.0], compile_field(count))]


def test_over_long_text_is_an_error_each_time_it_occurs(kit):
    f = replace(next(f for f in all_fields(kit) if f.type == "text"), max_length=None)
    long = "长" * (EXCEL_CELL_LIMIT + 5)
    results, bad, _distinct = _coerce_column([long, "短", long], compile_field(f))
    assert bad == [0, 2]
    assert [p[-1][1] for _v, p in (results[0], results[2])] == ["too_long_for_excel", "too_long_for_excel"]
    assert results[1] == ("短", [])


# --------------------------------------------------------------------------- through a merge


def _return(path: Path, kit, rows) -> Path:
    """A return without a stamp: the kit's 先锋岗登记表 header on row 3, ``rows`` below (lists
    may be shorter than the header: ragged rows as a CSV gives them)."""
    form = kit.form("posts")
    wb = Workbook()
    ws = wb.active
    ws.title = form.sheet
    ws.append([form.title])
    ws.append(["填报单位：测试单位"])
    ws.append([f.label for f in form.fields])
    for r in rows:
        ws.append(r)
    wb.save(path)
    return path


def test_repeated_values_formulas_and_short_rows_keep_their_own_cells(kit, tmp_path):
    form = kit.form("posts")
    labels = [f.label for f in form.fields]
    roster = Roster([Unit(code="T01", name="测试单位")])
    n_col = next(i for i, f in enumerate(form.fields) if f.type == "integer")
    base = ["窗口服务岗", "政务服务科", "是", "张三", 3, "目标", "措施", date(2024, 3, 5), "是"]
    assert len(base) == len(labels)
    rows = []
    for i in range(6):
        row = list(base)
        row[0] = f"岗位{i % 2}"  # repeated values in a column
        row[3] = "张三"
        rows.append(row)
    rows[2][n_col] = "=1+2"  # a formula: never the cached value, wherever the value repeats
    rows[3][n_col] = "约五十多人"  # a bad value repeated in two rows
    rows[4][n_col] = "约五十多人"
    rows.append(list(base)[:2])  # a short row: the missing cells are blank
    src = _return(tmp_path / "测试单位_先锋岗.xlsx", kit, rows)
    cons = merge(kit, roster, [src], jobs=1)
    label = form.fields[n_col].label
    letter = chr(ord("A") + n_col)
    found = sorted((i.cell, i.kind) for i in cons.issues if i.field == label)
    assert found == sorted([(f"{letter}6", "formula"), (f"{letter}7", "not_number"), (f"{letter}8", "not_number"),
                            (f"{letter}10", "required")])
    short = sorted(i.field for i in cons.issues if i.row == 10 and i.kind == "required")
    assert short == sorted(f.label for f in form.fields[2:] if f.required)
    accepted = {r.row: r.values["members"] for r in cons.rows["posts"]}
    assert all(accepted[r] == 3 for r in accepted), accepted


def test_a_raw_column_equal_to_its_values_is_spilled_once(kit, tmp_path):
    """A raw column whose cells equal its field's values, type for type (text as typed,
    dates), is spilled as the index of the values column (issue 7:
    stored once); a column whose raw cells differ in type or text (numbers read as floats,
    是 for a boolean, text with spaces around it) is stored as read.  Read back, every row's raw text and values
    are what they were."""
    from xltools.returns import read_one
    from xltools.spill import read_segment

    roster = Roster([Unit(code="T01", name="测试单位")])
    base = ["窗口服务岗", "政务服务科", "是", "张三", 3, "目标", "措施", date(2024, 3, 5), "是"]
    rows = []
    for i in range(4):
        row = list(base)
        row[0] = f"岗位{i}"
        rows.append(row)
    rows[3][4] = 3.5  # one different number in a column of equal ones
    rows[2][6] = " 措施 "  # stripped: its value differs from the raw cell
    src = _return(tmp_path / "测试单位_先锋岗.xlsx", kit, rows)
    res = read_one(src, kit, roster)
    got = res.rows["posts"]
    assert len(got) == 4
    before = [(r.row, r.raw, dict(r.values)) for r in got]
    spilled = res.spill_to(tmp_path / "r.rows", kit)
    names = [f.name for f in kit.form("posts").fields]
    (block,) = read_segment(spilled.spill[0], spilled.spill[1]["posts"])
    columns, raw = block[1], block[4]
    present = [name for name, c in columns.items() if c is not None]
    stored = dict(zip(present, raw))
    for name in ("post_name", "department", "set_up_date", "goal"):
        assert stored[name] == names.index(name), name  # the index of its values column
    assert stored["is_window"] == ["是"] * 4  # raw text beside booleans, one object stored once
    assert all(cell is stored["is_window"][0] for cell in stored["is_window"])
    assert stored["members"] == [3.0, 3.0, 3.0, 3.5]  # raw floats beside int values
    assert stored["measures"] == ["措施", "措施", " 措施 ", "措施"]
    after = [(r.row, r.raw, dict(r.values)) for r in spilled.load("posts", kit)]
    assert after == before
    assert before[0][1][1] == "政务服务科" and before[2][1][6] == " 措施 "


def test_a_number_column_with_zeros_is_coerced_by_distinct_value_unless_it_holds_minus_zero(kit):
    amount = next(f for f in all_fields(kit) if f.type == "decimal")
    coerce = compile_field(amount)
    col = [0.0, 12.5, 0.0, None, 3.0, 12.5, 0.0]
    results, bad, distinct = _coerce_column(col, coerce)
    assert distinct is not None  # one coercion per distinct value
    assert shape(results) == shape(reference(col, coerce)) and bad == []
    col = [0.0, -0.0, 12.5, -0.0]
    results, _bad, distinct = _coerce_column(col, coerce)
    assert distinct is None  # cell by cell: 0.0 and -0.0 stay apart
    assert [repr(v) for v, _ in results] == [repr(v) for v, _ in reference(col, coerce)]
    assert [str(v) for v, _ in results][:2] == ["0", "-0"]
