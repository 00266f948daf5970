"""xltools.feedback: correction workbooks (退回修改) and the list of missing units (催报名单).

Returns are generated with xltools.generate for units of samples/roster.xlsx, filled with openpyxl
with known bad cells (one re-saved as .xls and one as .ods by LibreOffice), merged, and the
correction copies compared cell by cell with the merge's issue list."""

from __future__ import annotations

import hashlib
import shutil
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

import xltools.commands.feedback  # noqa: F401  (registers the command until commands/__init__ does)
from xltools.cli import cli
from xltools.errors import OutputError, XltoolsError
from xltools.feedback import (
    CHASE_TXT,
    CHASE_XLSX,
    ERROR_FILL,
    MARKS_SHEET,
    NOTES_SHEET,
    WARNING_FILL,
    feedback,
)
from xltools.generate import generate
from xltools.issues import column_letter
from xltools.merge import HAS_ERRORS, MISSING, merge
from xltools.roster import Roster, load_roster

POSTS = "先锋岗登记表"
DEEDS = "办实事做好事登记表"
ASSESS = "年度考核表"

POST_OK = ["秘书科党员先锋岗", "秘书科", "否", "张明、李华", 6, "服务领导", "集中学习", date(2005, 3, 1), "是"]
ASSESS_OK = ["秘书科党员先锋岗", 18, 17, 19, 18, 20, None, "优秀"]

# What each unit sends back: sheet → rows written from row 4 (None = leave blank).
FILLS: dict[str, dict[str, list[list]]] = {
    # clean
    "D01": {POSTS: [POST_OK], ASSESS: [ASSESS_OK]},
    # warnings only: a typed total that does not match the scores
    "D02": {POSTS: [POST_OK], ASSESS: [ASSESS_OK[:6] + [99, "优秀"]]},
    # .xlsx with errors on three sheets, warnings, a file-level warning and an extra column
    "D03": {
        POSTS: [
            ["信访窗口党员先锋岗", "信访科", "可能", "王芳", "待定", "", "", "2005-13-45", "是"],
            ["维权党员先锋岗", "法制科", "是", None, 5, "", "", date(2005, 5, 1), "是"],
            ["党建科党员先锋岗", "党建科", "否", "周强", 3, "", "", date(2005, 6, 1), "否"],
        ],
        DEEDS: [[date(2005, 6, 1), "党建科党员先锋岗", "周强", "其他类", "接待来访", 3, None, None, "满意"]],
        ASSESS: [["维权党员先锋岗", 18, 17, 19, 18, 20, 99, "优秀"]],
    },
    # re-saved as .xls by LibreOffice
    "D04": {POSTS: [["综合窗口党员先锋岗", "综合科", "是", "陈力", "abc", "", "", "2005/2/30", "是"]]},
    # re-saved as .ods by LibreOffice
    "D05": {
        POSTS: [["审批窗口党员先锋岗", "审批科", "maybe", "林雪", 7, "", "", date(2005, 7, 1), "是"]],
        ASSESS: [["审批窗口党员先锋岗", 25, 17, 19, 18, 20, None, "良好"]],
    },
    # D06 sends a CSV (no stamp, header in row 1); D07: not returned
}
FORMATS = {"D04": "xls", "D05": "ods"}


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def fill(src: Path, dst: Path, data: dict[str, list[list]], edit=None) -> Path:
    """Copy a generated workbook filling ``data`` from row 4, as a clerk's Excel would."""
    wb = openpyxl.load_workbook(src)
    for sheet, rows in data.items():
        for i, values in enumerate(rows):
            for j, v in enumerate(values):
                if v is not None and v != "":
                    wb[sheet].cell(row=4 + i, column=1 + j, value=v)
    if edit:
        edit(wb)
    dst.parent.mkdir(parents=True, exist_ok=True)
    wb.save(dst)
    return dst


def extra_column(wb) -> None:
    wb[POSTS]["J3"] = "备注"
    wb[POSTS]["J4"] = "临时"


@pytest.fixture(scope="module")
def roster7(roster_path) -> Roster:
    full = load_roster(roster_path)
    return Roster(units=tuple(list(full)[:7]), source=str(roster_path))


@pytest.fixture(scope="module")
def round1(tmp_path_factory, kit, roster7, soffice):
    """Returns of D01–D05 (D04 as .xls, D05 as .ods), their hashes, the merge and the feedback."""
    base = tmp_path_factory.mktemp("round1")
    blanks = {p.name.split("_")[0]: p for p in
              generate(kit, roster7, base / "blank", deadline="2006-01-10", generated=date(2006, 1, 4))}
    returns = base / "returns"
    returns.mkdir()
    for code, data in FILLS.items():
        name = blanks[code].name
        edit = extra_column if code == "D03" else None
        if code in FORMATS:
            filled = fill(blanks[code], base / "filled" / name, data)
            soffice(filled, FORMATS[code], returns)
        else:
            fill(blanks[code], returns / name, data, edit=edit)
    header = ",".join(f.label for f in kit.form("posts").fields)
    (returns / "D06_区委组织部_党员先锋岗工作台账.csv").write_text(
        f"{header}\n组织员窗口党员先锋岗,组织科,是,吴刚,许多,,,2005-08-01,是\n", encoding="utf-8-sig")
    hashes = {p: sha(p) for p in returns.iterdir()}
    out = base / "退回"
    result = feedback(kit, roster7, [returns], out, deadline="2006-01-20")
    return {"base": base, "returns": returns, "hashes": hashes, "out": out, "result": result,
            "cons": result.consolidation}


def cells_filled(wb, color: str) -> set[tuple[str, str]]:
    found = set()
    for ws in wb.worksheets:
        if ws.title in (NOTES_SHEET, MARKS_SHEET):
            continue
        for row in ws.iter_rows():
            for c in row:
                if c.fill is not None and c.fill.patternType == "solid" and c.fill.fgColor.rgb == color:
                    found.add((ws.title, c.coordinate))
    return found


def unit_issues(cons, code):
    return [i for i in cons.issues if i.unit_code == code]


def by_code(result):
    return {c.unit.code: c for c in result.corrections}


def test_only_units_with_errors_get_a_correction(round1):
    result, cons = round1["result"], round1["cons"]
    status = {e.code: e.status for e in cons.ledger if e.code}
    assert status["D01"] != HAS_ERRORS and not unit_issues(cons, "D01")
    assert status["D02"] != HAS_ERRORS and unit_issues(cons, "D02")  # warnings only
    assert [c.path.name for c in result.corrections] == [
        "D03_区政府办_退回修改.xlsx", "D04_区政协办_退回修改.xlsx", "D05_区纪委_退回修改.xlsx",
        "D06_区委组织部_退回修改.xlsx"]
    assert {c.unit.code: c.rebuilt for c in result.corrections} == {
        "D03": False, "D04": True, "D05": True, "D06": True}
    assert sorted(p.name for p in round1["out"].iterdir()) == sorted(
        [c.path.name for c in result.corrections] + [CHASE_XLSX, CHASE_TXT])
    assert result.summary == f"退回修改 4 个单位，催报 1 个单位 → {round1['out']}"


@pytest.mark.parametrize("code", ["D03", "D04", "D05"])
def test_red_and_yellow_cells_are_exactly_the_issue_cells(round1, code):
    cons = round1["cons"]
    issues = unit_issues(cons, code)
    errors = {(i.sheet, i.cell) for i in issues if i.is_error and i.cell}
    warnings = {(i.sheet, i.cell) for i in issues if not i.is_error and i.cell} - errors
    assert errors, "the scenario must give this unit error cells"
    corr = by_code(round1["result"])[code]
    wb = openpyxl.load_workbook(corr.path)
    assert cells_filled(wb, ERROR_FILL) == errors
    assert cells_filled(wb, WARNING_FILL) == warnings
    assert corr.marked == {**{k: "warning" for k in warnings}, **{k: "error" for k in errors}}
    for i in issues:
        if not i.cell:
            continue
        cell = wb[i.sheet][i.cell]
        assert cell.comment is not None and i.message in cell.comment.text
        assert cell.protection.locked is False  # the clerk can fix it on the protected sheet
        assert wb[i.sheet].protection.sheet is True


def test_the_scenario_covers_each_kind_of_issue(round1):
    cons = round1["cons"]
    kinds = {(i.unit_code, i.kind, i.severity, bool(i.cell)) for i in cons.issues}
    assert ("D03", "missing_complete_for", "warning", True) in kinds  # on the post's cell (a review)
    assert ("D06", "identified_by_filename", "warning", False) in kinds  # file-level: notes only
    assert ("D03", "extra_column", "warning", True) in kinds  # a locked header cell
    assert ("D03", "derived_mismatch", "warning", True) in kinds  # a locked derived cell
    assert ("D03", "required", "error", True) in kinds
    d03 = {(i.sheet, i.cell) for i in unit_issues(cons, "D03") if i.is_error}
    assert d03 == {(POSTS, "C4"), (POSTS, "E4"), (POSTS, "H4"), (POSTS, "D5"), (DEEDS, "D4")}
    assert {(i.sheet, i.cell) for i in unit_issues(cons, "D04") if i.is_error} == {(POSTS, "E4"), (POSTS, "H4")}
    assert {(i.sheet, i.cell) for i in unit_issues(cons, "D05") if i.is_error} == {(POSTS, "C4"), (ASSESS, "B4")}


@pytest.mark.parametrize("code", ["D03", "D04", "D05"])
def test_notes_sheet_first_with_working_links(round1, code):
    cons = round1["cons"]
    issues = unit_issues(cons, code)
    wb = openpyxl.load_workbook(by_code(round1["result"])[code].path)
    assert wb.sheetnames[0] == NOTES_SHEET
    assert wb.active.title == NOTES_SHEET
    assert [ws.sheet_view.tabSelected for ws in wb.worksheets].count(True) == 1
    ws = wb[NOTES_SHEET]
    rows = list(ws.iter_rows(values_only=True))
    text = "\n".join(str(v) for r in rows for v in r if v)
    assert "修改红色单元格" in text and "重新报送" in text
    assert "2006年1月20日" in text and "0571-88001234" in text  # deadline and the committee contact
    head = rows.index(("级别", "工作表", "单元格", "字段", "原值", "问题"))
    listed = rows[head + 1:]
    assert len(listed) == len(issues)
    for r, (values, issue) in enumerate(zip(listed, issues), start=head + 2):
        level, sheet, cell, fld, raw, message = values
        assert (level, message) == (issue.level, issue.message)
        assert (sheet or "", cell or "", fld or "", raw or "") == (issue.sheet, issue.cell, issue.field, issue.raw)
        link = ws.cell(row=r, column=3).hyperlink
        if issue.cell:
            assert link is not None and not link.target
            target_sheet, target_cell = link.location.rsplit("!", 1)
            target_sheet = target_sheet.strip("'").replace("''", "'")
            assert (target_sheet, target_cell) == (issue.sheet, issue.cell)
            assert wb[target_sheet][target_cell].comment is not None
        else:
            assert link is None


def test_originals_untouched(round1):
    assert {p: sha(p) for p in round1["returns"].iterdir()} == round1["hashes"]


@pytest.mark.parametrize("code", ["D03", "D04", "D05"])
def test_copy_merges_as_the_same_unit_with_the_same_problems(round1, roster7, kit, code, tmp_path):
    corr = by_code(round1["result"])[code]
    folder = tmp_path / "back"
    folder.mkdir()
    shutil.copy(corr.path, folder / corr.path.name)
    again = merge(kit, roster7, [folder])
    entry = next(e for e in again.ledger if e.code == code)
    assert entry.status == HAS_ERRORS and entry.files == [f"back/{corr.path.name}"]
    before = {(i.sheet, i.cell, i.kind, i.severity) for i in unit_issues(round1["cons"], code) if i.cell}
    after = {(i.sheet, i.cell, i.kind, i.severity) for i in unit_issues(again, code) if i.cell}
    assert after == before
    # the unit's values came through (the rebuilt copies hold what was read, at the same cells)
    assert again.counts["rows_read"] == sum(
        1 for rows in [*round1["cons"].rows.values(), round1["cons"].rejected] for r in rows if r.unit_code == code)


def test_csv_values_move_under_the_template_header(round1, roster7, kit, tmp_path):
    """A CSV's header is in row 1: its data go to the template's first data row, and the marks
    and links follow the values."""
    cons = round1["cons"]
    (issue,) = [i for i in unit_issues(cons, "D06") if i.is_error]
    assert (issue.sheet, issue.cell, issue.raw) == ("D06_区委组织部_党员先锋岗工作台账", "E2", "许多")
    corr = by_code(round1["result"])["D06"]
    assert corr.rebuilt and corr.marked == {(POSTS, "E4"): "error"}
    wb = openpyxl.load_workbook(corr.path)
    assert [c.value for c in wb[POSTS][4]][:5] == ["组织员窗口党员先锋岗", "组织科", "是", "吴刚", "许多"]
    assert cells_filled(wb, ERROR_FILL) == {(POSTS, "E4")}
    assert issue.message in wb[POSTS]["E4"].comment.text
    notes = wb[NOTES_SHEET]
    row = next(r for r in notes.iter_rows() if r[5].value == issue.message)
    assert (row[1].value, row[2].value) == (POSTS, "E4")
    assert row[2].hyperlink.location == f"'{POSTS}'!E4"
    folder = tmp_path / "back"
    folder.mkdir()
    shutil.copy(corr.path, folder / corr.path.name)
    again = merge(kit, roster7, [folder])
    assert {(i.sheet, i.cell) for i in unit_issues(again, "D06") if i.is_error} == {(POSTS, "E4")}
    assert not [i for i in unit_issues(again, "D06") if i.kind == "identified_by_filename"]  # stamped now


def test_rebuilt_copy_is_a_stamped_template(round1):
    wb = openpyxl.load_workbook(by_code(round1["result"])["D04"].path)
    assert wb.sheetnames[:2] == [NOTES_SHEET, "填表说明"]
    meta = {r[0]: r[1] for r in wb["_meta"].iter_rows(values_only=True)}
    assert (meta["unit_code"], meta["unit_name"], meta["form_id"]) == ("D04", "区政协办", "pioneer_posts")
    props = {p.name: p.value for p in wb.custom_doc_props.props}
    assert props["xltools_unit_code"] == "D04"
    assert wb[POSTS]["A4"].value == "综合窗口党员先锋岗" and wb[POSTS]["E4"].value == "abc"
    notes = " ".join(str(v) for r in wb[NOTES_SHEET].iter_rows(values_only=True) for v in r if v)
    assert "xls 格式" in notes


def test_copies_open_in_libreoffice(round1, soffice, tmp_path):
    for code in ("D03", "D05"):
        pdf = soffice(by_code(round1["result"])[code].path, "pdf", tmp_path / code)
        assert pdf.stat().st_size > 1000 and pdf.read_bytes().startswith(b"%PDF")


@pytest.mark.parametrize("code", ["D03", "D04"])
def test_correction_copies_print_only_the_filled_rows(round1, kit, code):
    # The issued form's print area covers every reserved row (200 for the deeds form): a
    # correction copy printed to check the marks was twelve pages of mostly empty rows.
    filled = {sheet: 3 + len(rows) for sheet, rows in FILLS[code].items()}
    wb = openpyxl.load_workbook(by_code(round1["result"])[code].path)
    for form in kit.forms:
        area = wb[form.sheet].print_area
        assert area == f"'{form.sheet}'!$A$1:${column_letter(len(form.fields) - 1)}${filled.get(form.sheet, 3)}", area


def test_print_areas_cut_only_when_one_range_covers_the_data():
    # A review: several ranges (openpyxl joins them with commas) lost all but one; an area the
    # unit set below its data became one empty row.
    from xltools.feedback import _print_only_filled_rows

    wb = openpyxl.Workbook()
    names = ["单一", "多段", "在下面", "无", "a,b's 表", "别的表"]
    for name in names:
        ws = wb.create_sheet(name)
        for r in (4, 5, 6):
            ws.cell(r, 1, f"第{r}行")
        ws.cell(40, 3, "   ")  # blanks do not count
    wb["单一"].print_area = "A1:I33"
    wb["多段"].print_area = ["A1:C33", "E1:I33"]
    wb["在下面"].print_area = "A10:I30"
    wb["a,b's 表"].print_area = "A1:I33"
    wb["别的表"].print_area = "A1:I33"
    before = {name: wb[name].print_area for name in names}
    _print_only_filled_rows(wb, set(names[:-1]))
    assert wb["单一"].print_area == "'单一'!$A$1:$I$6"
    assert wb["a,b's 表"].print_area.endswith("!$A$1:$I$6")
    assert {name: wb[name].print_area for name in ("多段", "在下面", "无", "别的表")} == {
        name: before[name] for name in ("多段", "在下面", "无", "别的表")}


def test_chase_list_title_wraps_when_long(tmp_path):
    from xltools.feedback import write_chase_xlsx
    from xltools.roster import Unit

    title = "2006年度区直属机关共产党员先锋岗创建活动工作台账及先进事迹"
    path = write_chase_xlsx([Unit("D01", "区委办")], tmp_path / "催报名单.xlsx", "2006-01-25", title)
    ws = openpyxl.load_workbook(path).active
    assert ws["A1"].value == f"《{title}》催报名单（1 个单位）" and ws["A1"].alignment.wrap_text
    assert ws.row_dimensions[1].height >= 45  # two lines of 14 pt within the five columns (XlsxWriter: steps of 0.75 pt)
    assert [u.code for u in load_roster(path)] == ["D01"]


def test_chase_list(round1, roster7):
    out = round1["out"]
    missing = load_roster(out / CHASE_XLSX)  # the header makes it a roster for re-issuing
    expected = [u for u in roster7 if u.code == "D07"]
    assert list(missing) == expected
    assert [u.code for u in round1["result"].missing] == ["D07"]
    assert {e.code for e in round1["cons"].ledger if e.status == MISSING} == {"D07"}
    ws = openpyxl.load_workbook(out / CHASE_XLSX).active
    assert ws["A1"].value == "《党员先锋岗工作台账》催报名单（1 个单位）" and "A1:E1" in ws.merged_cells
    assert [c.value for c in ws[2]] == ["单位代码", "单位名称", "联系人", "联系电话", "截止日期"]
    assert ws.max_row == 3 and ws.cell(row=3, column=5).value == datetime(2006, 1, 20)
    # printed as a list to ring round: A4, one page wide, title and header on every page
    assert ws.page_setup.paperSize == 9 and ws.sheet_properties.pageSetUpPr.fitToPage
    assert ws.page_setup.fitToWidth in (None, 1) and ws.page_setup.fitToHeight == 0
    assert ws.print_title_rows == "$1:$2" and ws.freeze_panes == "A3"
    lines = (out / CHASE_TXT).read_text(encoding="utf-8-sig").splitlines()
    assert len(lines) == 1
    for line, u in zip(lines, expected):
        assert line.startswith(f"{u.code} {u.name}")
        assert u.contact in line and u.phone in line and "2006年1月20日" in line and "《党员先锋岗工作台账》" in line


def test_second_round_marks_only_what_is_still_wrong(round1, roster7, kit, tmp_path):
    """The unit fixes some cells of its correction copy (keeping the marks, as a clerk would) and
    sends it back; the next feedback restores the old marks and marks only the current problems."""
    first = by_code(round1["result"])["D03"].path
    returns = tmp_path / "round2"

    def fix(wb):
        wb[POSTS]["E4"] = 12  # was 待定
        wb[ASSESS]["G4"] = None  # the typed total: no warning any more

    fill(first, returns / first.name, {}, edit=fix)
    before = openpyxl.load_workbook(first)
    assert before[ASSESS]["G4"].fill.fgColor.rgb == WARNING_FILL
    result = feedback(kit, roster7, [returns], tmp_path / "out2", deadline="2006-01-25")
    cons = result.consolidation
    errors = {(i.sheet, i.cell) for i in unit_issues(cons, "D03") if i.is_error and i.cell}
    assert (POSTS, "E4") not in errors and (POSTS, "C4") in errors
    wb = openpyxl.load_workbook(by_code(result)["D03"].path)
    assert cells_filled(wb, ERROR_FILL) == errors
    assert [n for n in wb.sheetnames if n in (NOTES_SHEET, MARKS_SHEET)] == [NOTES_SHEET, MARKS_SHEET]
    assert wb[POSTS]["E4"].fill.patternType is None and wb[POSTS]["E4"].comment is None
    # the derived cell is back to the template's grey, locked
    blank = openpyxl.load_workbook(next((round1["base"] / "blank").glob("D03_*.xlsx")))
    assert wb[ASSESS]["G4"].fill.fgColor.rgb == blank[ASSESS]["G4"].fill.fgColor.rgb
    assert wb[ASSESS]["G4"].protection.locked is True
    assert wb[ASSESS]["G4"].comment is None
    # every unit but D03 is missing from this folder
    assert [u.code for u in result.missing] == ["D01", "D02", "D04", "D05", "D06", "D07"]


def test_output_inside_returns_folder_is_refused(round1, roster7, kit):
    with pytest.raises(OutputError, match="报送文件所在的文件夹"):
        feedback(kit, roster7, [round1["returns"]], round1["returns"] / "退回", consolidation=round1["cons"])
    assert not (round1["returns"] / "退回").exists()


def test_bad_deadline(round1, roster7, kit, tmp_path):
    with pytest.raises(XltoolsError, match="不是有效日期"):
        feedback(kit, roster7, [round1["returns"]], tmp_path / "o", deadline="2006-02-30",
                 consolidation=round1["cons"])


def test_no_deadline_and_nobody_missing(round1, roster7, kit, tmp_path):
    """Without --deadline the round's own deadline (stamped on generate) is used."""
    only = Roster(units=tuple(u for u in roster7 if u.code in ("D01", "D03")))
    folder = tmp_path / "ret"
    folder.mkdir()
    for p in round1["returns"].iterdir():
        if p.name.startswith(("D01_", "D03_")):
            shutil.copy(p, folder / p.name)
    result = feedback(kit, only, [folder], tmp_path / "o")
    assert result.deadline == "2006-01-10" and result.missing == []
    assert (tmp_path / "o" / CHASE_TXT).read_text(encoding="utf-8-sig") == ""
    assert result.summary.startswith("退回修改 1 个单位，催报 0 个单位")


def test_cli(round1, roster_path, kit_path, tmp_path):
    runner = CliRunner()
    out = tmp_path / "cli-out"
    res = runner.invoke(cli, ["feedback", str(round1["returns"]), "--form", str(kit_path), "--roster",
                              str(roster_path), "--out", str(out), "--deadline", "2006-01-20"])
    assert res.exit_code == 0, res.output
    lines = res.output.strip().splitlines()
    # the full roster: 48 units, 6 returned
    assert lines[-1] == f"退回修改 4 个单位，催报 42 个单位 → {out}"
    assert any("D03 区政府办" in line and "D03_区政府办_退回修改.xlsx" in line for line in lines)
    assert len((out / CHASE_TXT).read_text(encoding="utf-8-sig").splitlines()) == 42
    assert sum(1 for line in lines if line.startswith("  催报：")) == 10 and "等共 42 个单位" in res.output
    bad = runner.invoke(cli, ["feedback", str(round1["returns"]), "--form", str(kit_path), "--roster",
                              str(roster_path), "--out", str(round1["returns"] / "x")])
    assert bad.exit_code == 1 and bad.output.startswith("错误：") and "Traceback" not in bad.output
    help_ = runner.invoke(cli, ["feedback", "--help"])
    assert help_.exit_code == 0 and "退回修改" in help_.output


def test_control_characters_in_a_return_do_not_stop_feedback(tmp_path, kit, roster_path):
    """Excel stores a control character as _x0001_; openpyxl refuses to write it back, so the
    correction copy and its 退回说明 must carry the text without it."""
    import zipfile

    from xltools.feedback import feedback
    from xltools.generate import generate
    from xltools.roster import Roster, Unit

    unit = Unit("D01", "区委办")
    blank = generate(kit, Roster(units=(unit,)), tmp_path / "blank")[0]
    wb = openpyxl.load_workbook(blank)
    ws = wb["先锋岗登记表"]
    for col, value in enumerate(["秘书科党员先锋岗", "秘书科", "否", None, 6, "目标CTRL结束", "", "2005-03-01", "是"], start=1):
        ws.cell(row=4, column=col, value=value)
    returns = tmp_path / "returns"
    returns.mkdir()
    path = returns / blank.name
    wb.save(path)
    with zipfile.ZipFile(path) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    for name, data in parts.items():
        if name.endswith(".xml"):
            parts[name] = data.replace(b"CTRL", b"_x0001_")
    with zipfile.ZipFile(path, "w") as z:
        for name, data in parts.items():
            z.writestr(name, data)
    result = feedback(kit, roster_path, [returns], tmp_path / "out")
    assert [c.unit.code for c in result.corrections] == ["D01"]
    copy = openpyxl.load_workbook(result.corrections[0].path)
    notes = [str(v) for row in copy["退回说明"].iter_rows(values_only=True) for v in row if v is not None]
    assert any("控制字符" in v for v in notes)  # the merge's warning reached the clerk
    assert not any("\x01" in v for v in notes)
    assert copy["先锋岗登记表"]["D4"].comment is not None  # the blank required cell is marked


def test_only_the_returns_to_correct_are_read_back(round1, kit, monkeypatch, tmp_path):
    """Issue 7: a city's round holds a million rows, of which feedback needs those of the few
    returns it copies; the other returns' spilled rows are not read back."""
    from xltools.returns import FileResult

    cons = merge(kit, round1["result"].consolidation.roster, [round1["returns"]], jobs=1)
    loaded: list[str] = []
    real = FileResult.load

    def spy(self, form_name, definition):
        loaded.append(self.path)
        return real(self, form_name, definition)

    monkeypatch.setattr(FileResult, "load", spy)
    result = feedback(kit, cons.roster, [round1["returns"]], tmp_path / "退回", deadline="2006-01-20",
                      consolidation=cons)
    corrected = {c.source for c in result.corrections}
    returned = {f for e in cons.ledger for f in e.files}
    assert corrected and set(loaded) <= corrected < returned  # some returns were never read back
    # and the copies hold the same cells as the feedback made from the full round above
    for mine, theirs in zip(result.corrections, round1["result"].corrections):
        a, b = openpyxl.load_workbook(mine.path), openpyxl.load_workbook(theirs.path)
        assert [[c.value for c in r] for ws in a for r in ws.iter_rows()] == \
               [[c.value for c in r] for ws in b for r in ws.iter_rows()]


# A text box as Excel anchors it; openpyxl writes its drawings in the default namespace.
_TEXTBOX_ANCHOR = (
    '<twoCellAnchor xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main">'
    '<from><col>11</col><colOff>0</colOff><row>1</row><rowOff>0</rowOff></from>'
    '<to><col>14</col><colOff>0</colOff><row>4</row><rowOff>0</rowOff></to>'
    '<sp macro="" textlink=""><nvSpPr><cNvPr id="99" name="TextBox 99"/><cNvSpPr txBox="1"/></nvSpPr>'
    '<spPr><a:xfrm><a:off x="0" y="0"/><a:ext cx="1000000" cy="500000"/></a:xfrm>'
    '<a:prstGeom prst="rect"><a:avLst/></a:prstGeom></spPr>'
    '<txBody><a:bodyPr/><a:lstStyle/><a:p><a:r><a:t>本科室说明</a:t></a:r></a:p></txBody>'
    '</sp><clientData/></twoCellAnchor>')


def test_pictures_and_charts_are_kept_and_what_is_not_is_named(tmp_path, kit, roster_path):
    """A unit pastes a photo, a chart and a text box into its return: the correction copy keeps
    the photo (openpyxl with Pillow) and the chart, and 退回说明 says the text box is not kept."""
    import io
    import zipfile

    from openpyxl.chart import BarChart, Reference
    from openpyxl.drawing.image import Image as SheetImage
    from PIL import Image

    from xltools.feedback import drawing_counts
    from xltools.roster import Roster, Unit

    blank = generate(kit, Roster(units=(Unit("D01", "区委办"),)), tmp_path / "blank")[0]
    returns = tmp_path / "returns"
    path = fill(blank, returns / blank.name, {POSTS: [POST_OK[:4] + ["待定"] + POST_OK[5:]]})
    assert drawing_counts(path) == {}
    wb = openpyxl.load_workbook(path)
    photo = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 30, 30)).save(photo, "PNG")
    wb[POSTS].add_image(SheetImage(photo), "L2")
    chart = BarChart()
    chart.add_data(Reference(wb[POSTS], min_col=5, min_row=3, max_row=4), titles_from_data=True)
    wb[POSTS].add_chart(chart, "L10")
    wb.save(path)
    with zipfile.ZipFile(path) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    drawing = next(n for n in parts if n.startswith("xl/drawings/drawing"))
    assert parts[drawing].endswith(b"</wsDr>")
    parts[drawing] = parts[drawing].replace(b"</wsDr>", _TEXTBOX_ANCHOR.encode() + b"</wsDr>")
    with zipfile.ZipFile(path, "w") as z:
        for name, data in parts.items():
            z.writestr(name, data)
    assert drawing_counts(path) == {"pic": 1, "graphicFrame": 1, "sp": 1}
    before = sha(path)

    result = feedback(kit, roster_path, [returns], tmp_path / "out")
    copy = result.corrections[0].path
    assert drawing_counts(copy) == {"pic": 1, "graphicFrame": 1}
    notes = [v for row in openpyxl.load_workbook(copy)[NOTES_SHEET].iter_rows(values_only=True) for v in row if v]
    assert "原报送文件中有 1 个文本框或形状未能保留在本文件中；它们不影响汇总，如仍需要，请从原报送文件复制到本文件。" in notes
    assert sha(path) == before


def test_no_note_when_nothing_is_lost(round1):
    copy = by_code(round1["result"])["D03"].path
    notes = [v for row in openpyxl.load_workbook(copy)[NOTES_SHEET].iter_rows(values_only=True) for v in row if v]
    assert notes and not any("未能保留" in str(v) for v in notes)
