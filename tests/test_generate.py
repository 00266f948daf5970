"""generate: one stamped registration workbook per unit — names, stamp, validation, protection,
no formulas, determinism, safe file names, and what survives a LibreOffice round trip."""

from __future__ import annotations

import dataclasses
import zipfile
from datetime import date, datetime, timezone
from pathlib import Path

import openpyxl
import pytest
from openpyxl.utils.datetime import to_excel
from python_calamine import CalamineWorkbook

from xltools import stamp
from xltools.errors import FormDefinitionError, OutputError, XltoolsError
from xltools.forms import parse_form_definition
from xltools.generate import (
    LISTS_SHEET,
    generate,
    generate_workbook,
    resolve_form_definition,
    workbook_filename,
)
from xltools.issues import column_letter
from xltools.roster import Roster, Unit

GENERATED = date(2006, 3, 1)
DEADLINE = "2006-03-31"
TITLE = "党员先锋岗工作台账"


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def issued(tmp_path_factory, kit, roster):
    """The kit issued to the 48 sample units; ``out`` did not exist before."""
    out = tmp_path_factory.mktemp("issue") / "下发"
    calls: list[tuple[int, int, Unit]] = []
    paths = generate(kit, roster, out, deadline=DEADLINE, generated=GENERATED,
                     progress=lambda *a: calls.append(a))
    return out, paths, calls


@pytest.fixture(scope="module")
def books(issued, roster):
    """unit code → (unit, path, openpyxl workbook)."""
    _, paths, _ = issued
    return {u.code: (u, p, openpyxl.load_workbook(p)) for u, p in zip(roster, paths, strict=True)}


def small_roster(*units: Unit) -> Roster:
    return Roster(units=units or (Unit("A1", "甲单位", "张三", "1"), Unit("A2", "乙单位")))


def meta_of(path: Path) -> dict[str, str]:
    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_name(stamp.META_SHEET).to_python(
        skip_empty_area=False
    )
    return {r[0]: r[1] for r in rows}


def dv_by_range(ws) -> dict[str, object]:
    return {str(dv.sqref): dv for dv in ws.data_validations.dataValidation}


def excel_serial(d: date) -> str:
    return str(int(to_excel(d)))


def col_width(ws, col: int) -> float:
    """Width of 0-based column ``col`` (XlsxWriter groups equal adjacent columns in one <col>)."""
    for dim in ws.column_dimensions.values():
        if dim.min <= col + 1 <= dim.max:
            return dim.width
    raise AssertionError(f"no width for column {col}")


def data_range(form, col: int) -> str:
    letter = column_letter(col)
    return f"{letter}{stamp.FIRST_DATA_ROW}:{letter}{stamp.FIRST_DATA_ROW + form.max_rows - 1}"


# A definition using every field type and every kind of bound, plus a one-column form.
ALL_TYPES = """
id: all_types
version: "2"
title: 全类型测试表
issuer: 测试单位
contact: 张三 123
deadline: "2006-04-30"
instructions: [第一条说明。, 第二条说明。]
forms:
  - name: main
    sheet: 主表
    title: 全类型主表
    max_rows: 5
    fields:
      - {name: t, label: 文本, type: text, required: true, help: 随便写。}
      - {name: tl, label: 短文本, type: text, max_length: 8, multiline: true}
      - {name: nm, label: 姓名, type: names}
      - {name: idn, label: 身份证号码, type: id_number}
      - {name: ph, label: 电话, type: phone, max_length: 20}
      - {name: d, label: 日期, type: date}
      - {name: d2, label: 起始日期, type: date, min: 2004-01-01, max: 2030-12-31}
      - {name: i, label: 整数, type: integer}
      - {name: imin, label: 下限整数, type: integer, min: 0, unit: 人}
      - {name: imax, label: 上限整数, type: integer, max: 9}
      - {name: dec, label: 小数, type: decimal}
      - {name: dec0, label: 零位小数, type: decimal, decimals: 0, min: -5, max: 5}
      - {name: dec3, label: 三位小数, type: decimal, decimals: 3, min: 0.5, max: 1.5}
      - {name: b, label: 是否, type: boolean}
      - {name: c, label: 选择, type: choice, choices: [甲, 乙, 丙]}
      - {name: tot, label: 合计, type: integer, derived: {op: sum, fields: [i, imin]}}
  - name: one
    sheet: 单列表
    max_rows: 3
    fields:
      - {name: only, label: 唯一列, type: text}
"""


@pytest.fixture(scope="module")
def all_types(tmp_path_factory):
    d = parse_form_definition(ALL_TYPES, source="all_types.yaml")
    out = tmp_path_factory.mktemp("all")
    (path,) = generate(d, small_roster(Unit("Z9", "全类型单位")), out, generated=GENERATED)
    return d, path, openpyxl.load_workbook(path)


# --------------------------------------------------------------------------- files


def test_one_file_per_unit_named_by_code_name_title(issued, roster):
    out, paths, _ = issued
    assert out.is_dir()
    assert len(paths) == 48
    assert [p.name for p in paths] == [f"{u.code}_{u.name}_{TITLE}.xlsx" for u in roster]
    assert paths[0].name == "D01_区委办_党员先锋岗工作台账.xlsx"
    assert all(p.parent == out for p in paths)
    # nothing else: no temporary .part files left behind
    assert sorted(p.name for p in out.iterdir()) == sorted(p.name for p in paths)


def test_progress_reports_every_unit_in_order(issued, roster):
    _, _, calls = issued
    assert [(done, total, unit.code) for done, total, unit in calls] == [
        (i, 48, u.code) for i, u in enumerate(roster, start=1)
    ]


def test_sheet_order_and_visibility(books, kit):
    for _, _, wb in books.values():
        assert wb.sheetnames == [stamp.INSTRUCTIONS_SHEET, *[f.sheet for f in kit.forms], stamp.META_SHEET]
        states = [wb[s].sheet_state for s in wb.sheetnames]
        assert states == ["visible"] * (1 + len(kit.forms)) + ["hidden"]  # plain hidden, not veryHidden
        assert wb.active.title == stamp.INSTRUCTIONS_SHEET


# --------------------------------------------------------------------------- the stamp


def test_meta_sheet_holds_the_stamp_as_text(books, kit):
    for code, (unit, _, wb) in books.items():
        ws = wb[stamp.META_SHEET]
        assert ws.sheet_state == "hidden"
        assert ws.protection.sheet is True and ws.protection.password is None
        pairs = [(r[0].value, r[1].value) for r in ws.iter_rows(min_row=1, max_col=2)]
        expected = stamp.meta_items(kit, code, unit.name, DEADLINE, GENERATED.isoformat())
        assert pairs == expected
        assert all(c.data_type == "s" for r in ws.iter_rows(max_col=2) for c in r)
        assert dict(pairs)["unit_code"] == code
        assert dict(pairs)["fingerprint.posts"] == kit.form("posts").fingerprint
        assert dict(pairs)["generated"] == "2006-03-01"


def test_calamine_reads_meta(issued, roster, kit):
    _, paths, _ = issued
    for unit, path in zip(roster, paths, strict=True):
        meta = meta_of(path)
        assert meta["unit_code"] == unit.code
        assert meta["unit_name"] == unit.name
        assert meta["form_id"] == "pioneer_posts" and meta["form_version"] == "1.0"
        assert meta["deadline"] == DEADLINE
        got = stamp.stamp_from_items(meta, "_meta")
        assert got.unit_code == unit.code
        assert got.fingerprints == {f.name: f.fingerprint for f in kit.forms}
        assert got.sheets == {f.name: f.sheet for f in kit.forms}


def test_custom_properties_are_strings(books, kit):
    for code, (unit, _, wb) in books.items():
        props = {p.name: p for p in wb.custom_doc_props.props}
        expected = stamp.meta_items(kit, code, unit.name, DEADLINE, GENERATED.isoformat())
        assert set(props) == {stamp.PROPERTY_PREFIX + k for k, _ in expected}
        for key, value in expected:
            prop = props[stamp.PROPERTY_PREFIX + key]
            assert type(prop).__name__ == "StringProperty"
            assert prop.value == value
        items = {p.name[len(stamp.PROPERTY_PREFIX):]: p.value for p in wb.custom_doc_props.props}
        assert stamp.stamp_from_items(items, "properties").unit_code == code


def test_document_properties(books):
    unit, _, wb = books["D13"]
    p = wb.properties
    assert p.title == f"{TITLE}（{unit.name}）"
    assert unit.name in p.subject and "D13" in p.subject
    assert p.creator == "区直机关党工委"
    assert p.created == datetime(2006, 3, 1)
    assert p.category == "登记表"


def test_identity_line_and_header_read_back(issued, roster, kit):
    _, paths, _ = issued
    for unit, path in zip(roster, paths, strict=True):
        wb = CalamineWorkbook.from_path(str(path))
        for form in kit.forms:
            rows = wb.get_sheet_by_name(form.sheet).to_python(skip_empty_area=False)
            assert rows[stamp.TITLE_ROW - 1][0] == form.title
            parsed = stamp.parse_identity_line(rows[stamp.IDENTITY_ROW - 1][0])
            assert parsed is not None
            assert (parsed.form_id, parsed.version, parsed.unit_code, parsed.unit_name) == (
                "pioneer_posts", "1.0", unit.code, unit.name)
            header = rows[stamp.HEADER_ROW - 1]
            assert tuple(header[: len(form.fields)]) == form.header
            assert all(v == "" for v in header[len(form.fields):])


# --------------------------------------------------------------------------- validation


def check_validation(dv, field) -> None:
    """The validation of one field's data range matches its type and rules."""
    t = field.type
    if t == "choice":
        assert dv.type == "list"
        assert dv.formula1 == '"' + ",".join(field.choices) + '"'
    elif t == "boolean":
        assert (dv.type, dv.formula1) == ("list", '"是,否"')
    elif t in ("integer", "decimal"):
        assert dv.type == ("whole" if t == "integer" else "decimal")
        lo, hi = field.min, field.max
        if lo is not None and hi is not None:
            assert dv.operator in (None, "between")
            assert (float(dv.formula1), float(dv.formula2)) == (float(lo), float(hi))
        elif lo is not None:
            assert (dv.operator, float(dv.formula1)) == ("greaterThanOrEqual", float(lo))
        elif hi is not None:
            assert (dv.operator, float(dv.formula1)) == ("lessThanOrEqual", float(hi))
        else:
            assert (float(dv.formula1), float(dv.formula2)) == (-1e15, 1e15)
    elif t == "date":
        assert dv.type == "date" and dv.operator in (None, "between")
        assert dv.formula1 == excel_serial(field.min or date(1900, 1, 1))
        assert dv.formula2 == excel_serial(field.max or date(9999, 12, 31))
    elif t == "id_number":
        assert (dv.type, dv.operator, dv.formula1) == ("textLength", "equal", "18")
    else:
        assert (dv.type, dv.operator) == ("textLength", "lessThanOrEqual")
        assert dv.formula1 == str(field.max_length or 32767)
    assert dv.allow_blank is True
    assert dv.showInputMessage is True and dv.showErrorMessage is True
    assert dv.errorStyle in (None, "stop")  # stop is the OOXML default
    assert dv.promptTitle == field.label
    assert dv.prompt
    if field.help:
        assert dv.prompt.startswith(field.help)
    if field.required and not field.derived:
        assert "必填" in dv.prompt
    assert dv.errorTitle and dv.error and any("\u4e00" <= ch <= "\u9fff" for ch in dv.error)


def test_every_field_has_its_validation(books, kit):
    for _, _, wb in books.values():
        for form in kit.forms:
            ws = wb[form.sheet]
            dvs = dv_by_range(ws)
            assert set(dvs) == {data_range(form, c) for c in range(len(form.fields))}
            for c, field in enumerate(form.fields):
                check_validation(dvs[data_range(form, c)], field)


def test_list_validation_on_every_choice_and_boolean_column(books, kit):
    lists = [(form, c, f) for form in kit.forms for c, f in enumerate(form.fields)
             if f.type in ("choice", "boolean")]
    assert [f.label for _, _, f in lists] == ["是否窗口单位", "是否设置标牌", "事项类别", "群众评价", "考核等次"]
    for _, _, wb in books.values():
        for form, c, field in lists:
            dv = dv_by_range(wb[form.sheet])[data_range(form, c)]
            assert dv.type == "list"
            shown = field.choices if field.type == "choice" else ("是", "否")
            assert dv.formula1.strip('"').split(",") == list(shown)


def test_every_field_type_and_bound(all_types):
    d, _, wb = all_types
    for form in d.forms:
        dvs = dv_by_range(wb[form.sheet])
        assert len(dvs) == len(form.fields)
        for c, field in enumerate(form.fields):
            check_validation(dvs[data_range(form, c)], field)
    dvs = dv_by_range(wb["主表"])
    assert dvs["I4:I8"].prompt.endswith("填写不小于 0 的整数（单位：人）。")
    assert dvs["D4:D8"].error == "居民身份证号码应为 18 位，请核对。"
    assert dvs["P4:P8"].prompt == "由汇总时自动计算，无需填写。"


def test_long_and_comma_choice_lists_go_through_a_hidden_range(tmp_path):
    many = [f"第{i:02d}类事项名称较长" for i in range(40)]
    assert len(",".join(many)) > 255
    text = f"""
id: lists
version: "1"
title: 选项测试
forms:
  - name: f
    sheet: "_lists"
    fields:
      - {{name: many, label: 很多选项, type: choice, choices: {many}}}
      - {{name: comma, label: 带逗号, type: choice, choices: ["甲,乙", '丙"丁', 戊]}}
      - {{name: short, label: 短列表, type: choice, choices: [是的, 不是]}}
"""
    d = parse_form_definition(text)
    (path,) = generate(d, small_roster(Unit("A1", "甲")), tmp_path, generated=GENERATED)
    wb = openpyxl.load_workbook(path)
    lists_name = LISTS_SHEET + "_"  # "_lists" is taken by the form itself
    assert wb.sheetnames == [stamp.INSTRUCTIONS_SHEET, "_lists", lists_name, stamp.META_SHEET]
    hidden = wb[lists_name]
    assert hidden.sheet_state == "hidden" and hidden.protection.sheet is True
    assert [c.value for c in hidden["A"]] == many
    assert [c.value for c in hidden["B"][:3]] == ["甲,乙", '丙"丁', "戊"]
    dvs = dv_by_range(wb["_lists"])
    assert dvs["A4:A53"].type == "list"
    assert dvs["A4:A53"].formula1 == f"'{lists_name}'!$A$1:$A$40"
    assert dvs["B4:B53"].formula1 == f"'{lists_name}'!$B$1:$B$3"
    assert dvs["C4:C53"].formula1 == '"是的,不是"'
    # and calamine, which merge uses, reads the choices back
    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_name(lists_name).to_python()
    assert [r[0] for r in rows] == many


# --------------------------------------------------------------------------- protection, layout


def test_protection_leaves_only_data_cells_editable(books, kit):
    for _, _, wb in books.values():
        for name in wb.sheetnames:
            prot = wb[name].protection
            assert prot.sheet is True and prot.password is None, name
        for form in kit.forms:
            ws = wb[form.sheet]
            p = ws.protection
            # allowed (False = not protected in OOXML): what a clerk needs
            assert (p.formatColumns, p.formatRows, p.insertRows, p.deleteRows) == (False,) * 4
            assert (p.selectLockedCells, p.selectUnlockedCells) == (False, False)
            # not allowed: columns (the header is the contract), formatting cells, sorting
            assert (p.insertColumns, p.deleteColumns, p.formatCells, p.sort) == (True,) * 4
            last = stamp.FIRST_DATA_ROW + form.max_rows - 1
            for c, field in enumerate(form.fields, start=1):
                for row in (stamp.TITLE_ROW, stamp.IDENTITY_ROW, stamp.HEADER_ROW, last + 1):
                    assert ws.cell(row, c).protection.locked is True
                for row in (stamp.FIRST_DATA_ROW, stamp.FIRST_DATA_ROW + 1, last):
                    cell = ws.cell(row, c)
                    assert cell.value is None
                    assert cell.protection.locked is bool(field.derived), (form.sheet, cell.coordinate)


def test_derived_field_is_grey_locked_and_empty(books, kit):
    _, _, wb = books["D01"]
    form = kit.form("assessment")
    col = [f.name for f in form.fields].index("total") + 1
    ws = wb[form.sheet]
    header = ws.cell(stamp.HEADER_ROW, col)
    assert header.value == "总分"
    assert header.fill.fgColor.rgb == "FFBFBFBF"
    for row in range(stamp.FIRST_DATA_ROW, stamp.FIRST_DATA_ROW + form.max_rows):
        cell = ws.cell(row, col)
        assert cell.value is None and cell.data_type != "f"
        assert cell.protection.locked is True
        assert cell.fill.fgColor.rgb == "FFBFBFBF"


def test_no_formula_anywhere(issued, books):
    out, paths, _ = issued
    for _, _, wb in books.values():
        for ws in wb.worksheets:
            for row in ws.iter_rows():
                for cell in row:
                    assert cell.data_type != "f", (ws.title, cell.coordinate)
                    assert not (isinstance(cell.value, str) and cell.value.startswith("=")), cell.coordinate
    for path in paths:
        with zipfile.ZipFile(path) as z:
            for name in z.namelist():
                if name.startswith("xl/worksheets/"):
                    assert b"<f>" not in z.read(name) and b"<f " not in z.read(name), name


def test_header_row_text_and_colours(books, kit):
    _, _, wb = books["D05"]
    for form in kit.forms:
        ws = wb[form.sheet]
        for c, field in enumerate(form.fields, start=1):
            cell = ws.cell(stamp.HEADER_ROW, c)
            assert cell.value == field.label
            assert cell.font.b is True
            red = cell.font.color is not None and cell.font.color.rgb == "FFC00000"
            assert red is (field.required and not field.derived), field.label


def test_layout_and_print_setup(books, kit):
    _, _, wb = books["D01"]
    for form in kit.forms:
        ws = wb[form.sheet]
        last_col = column_letter(len(form.fields) - 1)
        merged = {str(r) for r in ws.merged_cells.ranges}
        assert merged == {f"A1:{last_col}1", f"A2:{last_col}2"}
        assert ws["A1"].font.b is True and ws["A1"].font.sz > 11
        assert ws["A2"].font.sz < 11 and ws["A2"].protection.locked is True
        assert ws.freeze_panes == "A4"
        assert ws.print_title_rows == "$1:$3"
        last_row = stamp.FIRST_DATA_ROW + form.max_rows - 1
        assert ws.print_area == f"'{form.sheet}'!$A$1:${last_col}${last_row}"
        ps = ws.page_setup
        # fitToWidth/fitToHeight absent mean 1 (the OOXML defaults); fitToHeight 0 = as many pages
        # as needed, 1 for a form of at most 30 prepared rows (one page: never 3 rows alone on a second)
        tall = 1 if form.max_rows <= 30 else 0
        fit = (ps.fitToWidth or 1, 1 if ps.fitToHeight is None else ps.fitToHeight)
        assert (ps.orientation, ps.paperSize, *fit) == ("landscape", 9, 1, tall)
        assert ws.sheet_properties.pageSetUpPr.fitToPage is True
        for c, field in enumerate(form.fields):
            width = col_width(ws, c)
            assert field.width <= width < field.width + 1, field.label
        # header row tall enough for a wrapped label
        assert ws.row_dimensions[stamp.HEADER_ROW].height >= 30


def test_number_formats(all_types, books, kit):
    d, _, wb = all_types
    ws = wb["主表"]
    expected = {
        "文本": "@", "短文本": "@", "姓名": "@", "身份证号码": "@", "电话": "@",
        "日期": "yyyy-mm-dd", "起始日期": "yyyy-mm-dd", "整数": "0", "下限整数": "0", "上限整数": "0",
        "小数": "General", "零位小数": "0", "三位小数": "0.000", "是否": "General", "选择": "@",
    }
    for c, field in enumerate(d.form("main").fields, start=1):
        for row in (4, 8):
            cell = ws.cell(row, c)
            if field.derived:
                assert cell.protection.locked is True
                continue
            assert cell.number_format == expected[field.label], field.label
            assert cell.alignment.wrap_text is (True if field.multiline else None), field.label
    assert ws.cell(9, 1).protection.locked is True  # below the data rows
    _, _, kwb = books["D01"]
    amount = kit.form("deeds").fields.index(kit.form("deeds").field("amount")) + 1
    assert kwb["办实事做好事登记表"].cell(4, amount).number_format == "0.00"


def test_one_column_form_is_not_merged(all_types):
    _, _, wb = all_types
    ws = wb["单列表"]
    assert not ws.merged_cells.ranges
    assert ws["A1"].value == "单列表"  # the title defaults to the sheet name
    assert stamp.parse_identity_line(ws["A2"].value).unit_code == "Z9"
    assert ws["A3"].value == "唯一列"
    assert [ws.cell(r, 1).protection.locked for r in (4, 6, 7)] == [False, False, True]


def test_a_one_column_form_is_found_again_on_merge(all_types, tmp_path):
    # a review: a form of one field was generated but merge never found its header (two labels
    # were needed), so its rows were never read
    from xltools.merge import merge

    d, path, _ = all_types
    wb = openpyxl.load_workbook(path)
    ws = wb["单列表"]
    ws["A4"], ws["A5"] = "甲", "乙"
    (tmp_path / "r").mkdir()
    wb.save(tmp_path / "r" / path.name)
    cons = merge(d, small_roster(Unit("Z9", "全类型单位")), [tmp_path / "r"], jobs=1)
    assert [(r.sheet, r.row, r.values) for r in cons.rows["one"]] == [("单列表", 4, {"only": "甲"}), ("单列表", 5, {"only": "乙"})]


# --------------------------------------------------------------------------- 填表说明


def test_instructions_sheet(books, kit):
    unit, _, wb = books["D07"]
    ws = wb[stamp.INSTRUCTIONS_SHEET]
    assert wb.sheetnames[0] == stamp.INSTRUCTIONS_SHEET
    assert ws.protection.sheet is True and ws.protection.password is None
    texts = [c.value for row in ws.iter_rows() for c in row if c.value is not None]
    assert texts[0] == TITLE
    joined = "\n".join(texts)
    assert "区直机关党工委" in joined
    assert f"{unit.name}（单位代码 {unit.code}）" in texts
    assert "报送截止日期：" in texts and "2006年3月31日" in texts
    assert kit.contact in texts
    for i, para in enumerate(kit.instructions, start=1):
        assert f"{i}. {para}" in texts
    for form in kit.forms:
        assert any(form.sheet in t and form.description in t and str(form.max_rows) in t for t in texts)
    # paragraphs wrap, and long ones get rows tall enough to print
    first = next(c for row in ws.iter_rows() for c in row if c.value == f"1. {kit.instructions[0]}")
    assert first.alignment.wrap_text is True
    assert ws.row_dimensions[first.row].height > 20
    assert ws.page_setup.orientation == "portrait" and ws.page_setup.paperSize == 9
    assert ws.sheet_properties.pageSetUpPr.fitToPage is True and (ws.page_setup.fitToWidth or 1) == 1


def test_deadline_from_definition_or_absent(tmp_path, kit):
    with_deadline = dataclasses.replace(kit, deadline="2006-04-30")
    (path,) = generate(with_deadline, small_roster(Unit("A1", "甲")), tmp_path / "a", generated=GENERATED)
    assert meta_of(path)["deadline"] == "2006-04-30"
    texts = [c.value for row in openpyxl.load_workbook(path)[stamp.INSTRUCTIONS_SHEET].iter_rows()
             for c in row if c.value]
    assert "2006年4月30日" in texts
    # the argument wins over the definition
    (path,) = generate(with_deadline, small_roster(Unit("A1", "甲")), tmp_path / "b", deadline="2006-05-01",
                       generated=GENERATED)
    assert meta_of(path)["deadline"] == "2006-05-01"
    # none at all: an empty stamp value and no deadline line
    (path,) = generate(kit, small_roster(Unit("A1", "甲")), tmp_path / "c", generated=GENERATED)
    assert meta_of(path)["deadline"] == ""
    wb = openpyxl.load_workbook(path)
    assert "报送截止日期：" not in [c.value for row in wb[stamp.INSTRUCTIONS_SHEET].iter_rows() for c in row]
    assert {p.name: p.value for p in wb.custom_doc_props.props}["xltools_deadline"] in ("", None)


@pytest.mark.parametrize("bad", ["2006-02-30", "31/03/2006", "明天"])
def test_bad_deadline(tmp_path, kit, bad):
    with pytest.raises(XltoolsError, match="不是有效日期"):
        generate(kit, small_roster(), tmp_path / "out", deadline=bad, generated=GENERATED)
    with pytest.raises(XltoolsError, match="pioneer_posts.yaml 中的 deadline"):
        generate(dataclasses.replace(kit, deadline=bad), small_roster(), tmp_path / "out")


# --------------------------------------------------------------------------- determinism


def test_deterministic(tmp_path, issued, kit, roster):
    _, paths, _ = issued
    again = generate(kit, roster, tmp_path / "again", deadline=DEADLINE, generated=GENERATED)
    assert [p.name for p in again] == [p.name for p in paths]
    for a, b in zip(paths, again, strict=True):
        assert a.read_bytes() == b.read_bytes(), a.name
    other_day = generate(kit, small_roster(roster.units[0]), tmp_path / "other", deadline=DEADLINE,
                         generated=date(2006, 3, 2))
    assert other_day[0].read_bytes() != paths[0].read_bytes()
    assert meta_of(other_day[0])["generated"] == "2006-03-02"


def test_source_date_epoch(tmp_path, monkeypatch, kit):
    epoch = int(datetime(2006, 3, 2, 12, 0, tzinfo=timezone.utc).timestamp())
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(epoch))
    a = generate(kit, small_roster(), tmp_path / "a")
    b = generate(kit, small_roster(), tmp_path / "b")
    assert [p.read_bytes() for p in a] == [p.read_bytes() for p in b]
    assert meta_of(a[0])["generated"] == "2006-03-02"
    assert openpyxl.load_workbook(a[0]).properties.created == datetime(2006, 3, 2)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "yesterday")
    with pytest.raises(XltoolsError, match="SOURCE_DATE_EPOCH"):
        generate(kit, small_roster(), tmp_path / "c")


def test_default_date_is_today(tmp_path, monkeypatch, kit):
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    before = date.today().isoformat()
    (path, _) = generate(kit, small_roster(), tmp_path)
    assert meta_of(path)["generated"] in {before, date.today().isoformat()}


# --------------------------------------------------------------------------- names and output


UNSAFE = [
    Unit("U1", "../../逃逸"),
    Unit("U2", "a/b\\c"),
    Unit("U3", "C:\\Windows\\system32"),
    Unit("U4", ".."),
    Unit("U5", "/etc/passwd"),
    Unit("U6", '名称*?<>|"'),
    Unit("U7", ".隐藏"),
    Unit("../U8", "正常名称"),
    Unit("U9", "=1+1"),
]


def test_unsafe_unit_names_stay_inside_out_dir(tmp_path, kit):
    base = tmp_path / "base"
    base.mkdir()
    out = base / "out"
    paths = generate(kit, small_roster(*UNSAFE), out, generated=GENERATED)
    assert len(paths) == len(UNSAFE)
    for unit, p in zip(UNSAFE, paths, strict=True):
        assert p.resolve().parent == out.resolve()
        assert p.is_file() and p.name.endswith(f"_{TITLE}.xlsx")
        assert not p.name.startswith(".")
        # the stamp keeps the name exactly as the roster has it
        assert meta_of(p)["unit_name"] == unit.name and meta_of(p)["unit_code"] == unit.code
    assert sorted(base.rglob("*")) == sorted([out, *paths])
    assert not list(tmp_path.glob("*逃逸*")) and not (tmp_path.parent / "逃逸").exists()
    # a name that looks like a formula is text everywhere
    ws = openpyxl.load_workbook(paths[-1])[stamp.INSTRUCTIONS_SHEET]
    assert "=1+1（单位代码 U9）" in [c.value for row in ws.iter_rows() for c in row]


def test_file_name_collision_is_refused_before_writing(tmp_path, kit):
    out = tmp_path / "out"
    with pytest.raises(OutputError, match="文件名相同"):
        generate(kit, small_roster(Unit("D/1", "甲"), Unit("D:1", "甲")), out, generated=GENERATED)
    assert not out.exists()
    with pytest.raises(OutputError, match="单位代码 d1 与 D1"):
        generate(kit, small_roster(Unit("d1", "甲"), Unit("D1", "甲")), out, generated=GENERATED)


def test_workbook_filename(kit):
    assert workbook_filename(kit, Unit("D01", "区委办")) == "D01_区委办_党员先锋岗工作台账.xlsx"
    assert workbook_filename(kit, Unit("D02", "a/../b")) == "D02_a___b_党员先锋岗工作台账.xlsx"
    # long CJK names are cut so the name (and atomic_path's temporary name) fits in 255 bytes
    long = workbook_filename(kit, Unit("D03", "很长的单位名称" * 40))
    assert long.startswith("D03_很长的单位名称") and long.endswith(".xlsx")
    assert len(long.encode("utf-8")) <= 200


def test_out_dir_parent_must_exist(tmp_path, kit):
    with pytest.raises(OutputError) as info:
        generate(kit, small_roster(), tmp_path / "missing" / "out", generated=GENERATED)
    assert str(tmp_path / "missing") in str(info.value) and "不存在" in str(info.value)
    assert not (tmp_path / "missing").exists()


def test_out_dir_that_is_a_file(tmp_path, kit):
    (tmp_path / "out").write_text("x")
    with pytest.raises(OutputError, match="不是文件夹"):
        generate(kit, small_roster(), tmp_path / "out", generated=GENERATED)


def test_an_existing_file_is_replaced_only_with_overwrite_unless_it_is_a_blank_form(tmp_path, kit):
    unit = Unit("A1", "甲")
    target = tmp_path / workbook_filename(kit, unit)
    target.write_bytes(b"old junk")
    with pytest.raises(OutputError, match="无法确认是未填写的登记表"):
        generate(kit, small_roster(unit), tmp_path, generated=GENERATED)
    assert target.read_bytes() == b"old junk"
    (path,) = generate(kit, small_roster(unit), tmp_path, generated=GENERATED, overwrite=True)
    assert path == target and meta_of(path)["unit_code"] == "A1"
    blank = path.read_bytes()
    (again,) = generate(kit, small_roster(unit), tmp_path, generated=GENERATED)  # a blank form: renewed
    assert again.read_bytes() == blank


def test_generating_again_over_blanks_builds_each_workbook_once(tmp_path, kit, monkeypatch):
    # The blank written to compare with a file in the way is the one issued (session 13 noticed
    # every workbook built twice); the files are what a first generate writes, permissions too.
    import os

    import xltools.generate as gen

    roster = small_roster(Unit("A1", "甲单位", "张三", "1"), Unit("A2", "乙单位"), Unit("A3", "丙单位"))
    first = generate(kit, roster, tmp_path / "a", deadline=DEADLINE, generated=GENERATED)
    fresh = {p.name: p.read_bytes() for p in first}
    out = tmp_path / "b"
    generate(kit, roster, out, deadline=DEADLINE, generated=GENERATED)
    (out / first[1].name).unlink()  # one unit's file missing: built as usual
    built: list[str] = []
    real = gen._write_workbook
    monkeypatch.setattr(gen, "_write_workbook", lambda plan, unit, target: (built.append(unit.code), real(plan, unit, target))[1])
    again = generate(kit, roster, out, deadline=DEADLINE, generated=GENERATED)
    assert sorted(built) == ["A1", "A2", "A3"]  # once each: A1 and A3 compared then copied, A2 built
    assert {p.name: p.read_bytes() for p in again} == fresh
    umask = os.umask(0)
    os.umask(umask)
    assert {p.stat().st_mode & 0o777 for p in again} == {0o666 & ~umask}
    assert sorted(p.name for p in out.iterdir()) == sorted(fresh)  # no scratch copies left behind


def test_a_roster_built_in_code_with_a_repeated_code_keeps_each_units_workbook(tmp_path, kit):
    # A review: the blank kept to copy was looked up by unit code; two units of one code (a
    # Roster made in code: load_roster refuses it) both got the second unit's workbook.
    roster = Roster(units=(Unit("D01", "甲单位"), Unit("D01", "乙单位")))
    first = generate(kit, roster, tmp_path, generated=GENERATED)
    fresh = [p.read_bytes() for p in first]
    assert generate(kit, roster, tmp_path, generated=GENERATED) == first
    assert [p.read_bytes() for p in first] == fresh and fresh[0] != fresh[1]
    assert [meta_of(p)["unit_name"] for p in first] == ["甲单位", "乙单位"]


def test_a_folder_in_the_way_stops_generate_before_anything_is_written(tmp_path, kit):
    # A review: with --overwrite, a folder named like the third workbook was met after two
    # workbooks had been written, with advice to close the file in Excel.
    roster = small_roster(Unit("A1", "甲"), Unit("A2", "乙"), Unit("A3", "丙"))
    (tmp_path / workbook_filename(kit, roster.units[2])).mkdir()
    for overwrite in (True, False):
        with pytest.raises(OutputError, match="这里是一个同名文件夹，不能写成文件，没有生成任何文件") as caught:
            generate(kit, roster, tmp_path, generated=GENERATED, overwrite=overwrite)
        assert "丙" in str(caught.value) and "\n" not in str(caught.value)
        assert [p.name for p in tmp_path.iterdir()] == [workbook_filename(kit, roster.units[2])]


def test_xlsxwriter_refusal_becomes_an_output_error(tmp_path, kit):
    # A custom property over Excel's 255 characters: XlsxWriter only warns.
    unit = Unit("A1", "很长的单位名称" * 40)
    with pytest.raises(OutputError) as info:
        generate(kit, small_roster(unit), tmp_path, generated=GENERATED)
    assert "255" in str(info.value) and "\n" not in str(info.value)
    assert list(tmp_path.iterdir()) == []  # nothing half-written


def test_xlsxwriter_return_code_becomes_an_output_error(tmp_path, kit):
    # Over Excel's 32,767 characters a cell is truncated: write_string returns -2, no warning.
    unit = Unit("A1", "名" * 33000)
    with pytest.raises(OutputError) as info:
        generate_workbook(kit, unit, tmp_path / "x.xlsx", generated=GENERATED)
    assert "填表说明" in str(info.value) and "XlsxWriter 返回 -2" in str(info.value)
    assert list(tmp_path.iterdir()) == []


def test_generate_workbook_for_one_unit(tmp_path, kit):
    unit = Unit("X1", "单独一份")
    path = tmp_path / "copy.xlsx"
    generate_workbook(kit, unit, path, deadline=DEADLINE, generated=GENERATED)
    meta = meta_of(path)
    assert (meta["unit_code"], meta["deadline"], meta["generated"]) == ("X1", DEADLINE, "2006-03-01")
    with pytest.raises(OutputError, match="不存在"):
        generate_workbook(kit, unit, tmp_path / "nope" / "copy.xlsx", generated=GENERATED)


def test_accepts_paths(tmp_path, kit_path):
    roster_csv = tmp_path / "名单.csv"
    roster_csv.write_text("单位代码,单位名称\nB1,丙单位\nB2,丁单位\n", encoding="gbk")
    paths = generate(kit_path, roster_csv, tmp_path / "out", generated=GENERATED)
    assert [p.name for p in paths] == [f"B1_丙单位_{TITLE}.xlsx", f"B2_丁单位_{TITLE}.xlsx"]
    with pytest.raises(FormDefinitionError):
        generate(tmp_path / "none.yaml", roster_csv, tmp_path / "out")


def test_resolve_form_definition(tmp_path, kit_path):
    assert resolve_form_definition("pioneer_posts").read_bytes() == kit_path.read_bytes()
    assert resolve_form_definition("pioneer_posts.yaml").name == "pioneer_posts.yaml"
    mine = tmp_path / "mine.yaml"
    mine.write_text("id: x", encoding="utf-8")
    assert resolve_form_definition(mine) == mine
    assert resolve_form_definition(str(mine)) == mine
    with pytest.raises(FormDefinitionError, match="pioneer_posts"):
        resolve_form_definition("pioneer")
    with pytest.raises(FormDefinitionError):
        resolve_form_definition(str(tmp_path / "pioneer_posts"))


# --------------------------------------------------------------------------- LibreOffice


def assert_survives(path: Path, unit: Unit, kit) -> None:
    wb = CalamineWorkbook.from_path(str(path))
    visibility = {m.name: str(m.visible) for m in wb.sheets_metadata}
    assert visibility[stamp.META_SHEET].endswith("Hidden"), (path, visibility)
    meta = {r[0]: r[1] for r in wb.get_sheet_by_name(stamp.META_SHEET).to_python(skip_empty_area=False)}
    assert meta["unit_code"] == unit.code and meta["unit_name"] == unit.name, path
    assert meta["form_id"] == "pioneer_posts"
    assert meta["fingerprint.deeds"] == kit.form("deeds").fingerprint
    for form in kit.forms:
        rows = wb.get_sheet_by_name(form.sheet).to_python(skip_empty_area=False)
        parsed = stamp.parse_identity_line(rows[stamp.IDENTITY_ROW - 1][0])
        assert parsed is not None and parsed.unit_code == unit.code, (path, form.sheet)
        assert tuple(rows[stamp.HEADER_ROW - 1][: len(form.fields)]) == form.header, (path, form.sheet)


def test_libreoffice_round_trip(soffice, issued, roster, kit, tmp_path):
    _, paths, _ = issued
    for i in (0, 47):
        unit, src = roster.units[i], paths[i]
        xls = soffice(src, "xls", tmp_path / f"xls{i}")
        ods = soffice(src, "ods", tmp_path / f"ods{i}")
        resaved = soffice(ods, "xlsx", tmp_path / f"xlsx{i}")
        for converted in (xls, ods, resaved):
            assert_survives(converted, unit, kit)


def test_anonymous_ballot_definition_is_never_issued_per_unit(tmp_path, roster_path):
    from xltools.errors import XltoolsError
    from xltools.resources import resolve_form_definition

    with pytest.raises(XltoolsError, match="无记名"):
        generate(resolve_form_definition("top10_ballot"), roster_path, tmp_path / "out")
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").iterdir())


def test_a_long_label_wraps_in_a_capped_column(kit, tmp_path):
    # a review: a 150-character label gave a column 291.7 wide (Excel's limit is 255) and a
    # printout shrunk to nothing; the column stops at 40 and the header grows instead
    long_label = "本年度内由本岗位党员牵头组织并实际完成的面向群众的服务事项的数量" * 5
    posts = kit.forms[0]
    members = posts.field("members")
    fields = tuple(dataclasses.replace(f, label=long_label, width=None) if f is members else f for f in posts.fields)
    d = dataclasses.replace(kit, forms=(dataclasses.replace(posts, fields=fields), *kit.forms[1:]))
    (path,) = generate(d, small_roster(Unit("A1", "甲")), tmp_path, generated=GENERATED)
    ws = openpyxl.load_workbook(path)[posts.sheet]
    col = [f.name for f in fields].index("members")
    assert col_width(ws, col) == pytest.approx(40, abs=1)  # XlsxWriter adds its padding
    header_row = stamp.FIRST_DATA_ROW - 1
    assert ws.cell(header_row, col + 1).value.startswith(long_label[:10])
    assert ws.row_dimensions[header_row].height > 100  # wrapped over several lines
