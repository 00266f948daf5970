"""Returns as they really arrive (issue 6): each kind of edited, moved or foreign return merges
exactly, with real cell addresses, and the accounting holds.  Files are built here with openpyxl
(what a clerk's Excel writes) from small literal data, so each test shows its kind."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import openpyxl
import pytest

from xltools.consolidated import write_consolidated
from xltools.generate import generate
from xltools.merge import merge
from xltools.roster import Roster, Unit

UNITS = (Unit("D01", "区委办"), Unit("D02", "区人大办"), Unit("D03", "区政府办"))
POSTS_HEADER = ["先锋岗名称", "所在科室", "是否窗口单位", "党员责任人", "参与党员人数", "创建目标", "主要措施", "设岗日期", "是否设置标牌"]
POST_ROWS = [
    ["秘书科党员先锋岗", "秘书科", "否", "张明、李华", 6, "服务领导", "集中学习", date(2005, 3, 1), "是"],
    ["信访窗口党员先锋岗", "信访科", "是", "王芳", 4, "热情接待", "首问负责", date(2005, 4, 2), "是"],
]


@pytest.fixture(scope="module")
def roster() -> Roster:
    return Roster(units=UNITS)


@pytest.fixture(scope="module")
def blank(tmp_path_factory, kit, roster) -> Path:
    out = tmp_path_factory.mktemp("blank")
    return generate(kit, roster, out, generated=date(2006, 1, 4))[0]  # D01 区委办


def accounting(cons) -> tuple[int, int, int]:
    c = cons.counts
    assert c["rows_read"] == c["rows_accepted"] + c["rows_rejected"]
    return c["rows_read"], c["rows_accepted"], c["rows_rejected"]


def by_kind(cons, kind):
    return [i for i in cons.issues if i.kind == kind]


def new_book(path: Path, fill) -> Path:
    wb = openpyxl.Workbook()
    fill(wb.active)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


def test_header_in_column_c_below_two_title_rows_keeps_real_addresses(kit, roster, tmp_path):
    def fill(ws):
        ws["C1"] = "区委办党员先锋岗登记表"
        ws["C2"] = "填报日期：2006年1月"
        for j, label in enumerate(POSTS_HEADER):
            ws.cell(row=5, column=3 + j, value=label)
        for i, row in enumerate(POST_ROWS):
            for j, v in enumerate(row):
                ws.cell(row=6 + i, column=3 + j, value=v)
        ws["G7"] = "若干"  # 参与党员人数 (column C+4 = G), row 7: not a number

    path = new_book(tmp_path / "r" / "区委办先锋岗.xlsx", fill)
    cons = merge(kit, roster, [path], jobs=1)
    bad = [i for i in cons.issues if i.field == "参与党员人数"]
    assert [(i.cell, i.level, i.raw) for i in bad] == [("G7", "错误", "若干")]
    assert accounting(cons) == (2, 1, 1)
    row = cons.rows["posts"][0]
    assert (row.row, row.values["post_name"], row.values["members"]) == (6, "秘书科党员先锋岗", 6)


def test_two_row_merged_header_with_group_label(kit, roster, tmp_path):
    def fill(ws):
        ws.title = "考核"
        ws["A1"] = "年度考核表"
        ws.merge_cells("A1:H1")
        ws["A2"] = "先锋岗名称"
        ws.merge_cells("A2:A3")
        ws["B2"] = "考核得分（每项0-20分）"
        ws.merge_cells("B2:F2")
        for j, label in enumerate(["为民意识强", "岗位能力强", "服务质量好", "模范作用好", "服务对象满意"]):
            ws.cell(row=3, column=2 + j, value=label)
        ws["G2"] = "总分"
        ws.merge_cells("G2:G3")
        ws["H2"] = "考核等次"
        ws.merge_cells("H2:H3")
        ws.append(["秘书科党员先锋岗", 18, 17, 19, 18, 20, None, "优秀"])
        ws.append(["信访窗口党员先锋岗", 15, 16, 15, 14, 16, None, "良好"])

    path = new_book(tmp_path / "r" / "区委办_考核.xlsx", fill)
    cons = merge(kit, roster, [path], jobs=1)
    assert accounting(cons) == (2, 2, 0)
    got = {r.values["post_name"]: (r.values["total"], r.values["grade"], r.row) for r in cons.rows["assessment"]}
    assert got == {"秘书科党员先锋岗": (92, "优秀", 4), "信访窗口党员先锋岗": (76, "良好", 5)}


def fill_stamped(blank: Path, dst: Path, edit) -> Path:
    wb = openpyxl.load_workbook(blank)
    ws = wb["先锋岗登记表"]
    for i, row in enumerate(POST_ROWS):
        for j, v in enumerate(row):
            ws.cell(row=4 + i, column=1 + j, value=v)
    edit(wb)
    dst.parent.mkdir(parents=True, exist_ok=True)
    wb.save(dst)
    return dst


def fill_assessment(wb) -> None:
    """Score both posts 18 on each of the five goals (total 90), grade 优秀."""
    ws = wb["年度考核表"]
    for i, row in enumerate(POST_ROWS):
        ws.cell(row=4 + i, column=1, value=row[0])
        for j in range(5):
            ws.cell(row=4 + i, column=2 + j, value=18)
        ws.cell(row=4 + i, column=8, value="优秀")


def test_structure_edits_merge_with_warnings(kit, roster, blank, tmp_path):
    def edit(wb):
        ws = wb["先锋岗登记表"]
        ws.protection.sheet = False
        ws.title = "Sheet1"  # renamed
        ws.delete_cols(6, 2)  # 创建目标, 主要措施 (optional) deleted
        ws["H3"] = "备注"  # a column added
        ws["H4"] = "新设"
        ws.insert_rows(5, 2)  # blank rows inserted between the data rows
        ws.row_dimensions[7].hidden = True  # the second post's row, now row 7, hidden

    path = fill_stamped(blank, tmp_path / "r" / blank.name, edit)
    cons = merge(kit, roster, [path], jobs=1)
    kinds = {i.kind for i in cons.issues if not i.is_error}
    assert {"sheet_renamed", "missing_optional_column", "extra_column", "hidden_rows"} <= kinds
    assert [i.raw for i in by_kind(cons, "extra_column")] == ["备注"]
    assert sorted(i.field for i in by_kind(cons, "missing_optional_column")) == ["主要措施", "创建目标"]
    assert "7" in by_kind(cons, "hidden_rows")[0].message
    assert accounting(cons) == (2, 2, 0)
    assert [(r.row, r.sheet, r.values["goal"]) for r in cons.rows["posts"]] == [(4, "Sheet1", None), (7, "Sheet1", None)]
    assert cons.ledger[0].status == "已报送"


def test_forms_split_across_two_files_are_both_used(kit, roster, blank, tmp_path):
    def only_posts(wb):
        for name in ("办实事做好事登记表", "工作成效表", "年度考核表", "先进事迹表"):
            del wb[name]

    def only_assessment(wb):
        for name in ("先锋岗登记表", "办实事做好事登记表", "工作成效表", "先进事迹表"):
            del wb[name]
        fill_assessment(wb)

    a = fill_stamped(blank, tmp_path / "r" / "D01_区委办_登记表.xlsx", only_posts)
    b = fill_stamped(blank, tmp_path / "r" / "D01_区委办_考核表.xlsx", only_assessment)
    cons = merge(kit, roster, [a, b], jobs=1)
    assert cons.ledger[0].status == "已报送"
    assert sorted(cons.ledger[0].files) == sorted([str(a), str(b)])
    assert cons.superseded == []
    assert [r.values["total"] for r in cons.rows["assessment"]] == [90, 90]
    assert accounting(cons) == (4, 4, 0)


def test_error_values_are_issues_with_addresses(kit, roster, blank, tmp_path):
    def edit(wb):
        ws = wb["先锋岗登记表"]
        ws["E5"] = "#DIV/0!"
        ws["E5"].data_type = "e"

    path = fill_stamped(blank, tmp_path / "r" / blank.name, edit)
    cons = merge(kit, roster, [path], jobs=1)
    errs = by_kind(cons, "error_value")
    assert [(i.sheet, i.cell, i.level) for i in errs] == [("先锋岗登记表", "E5", "错误")]
    assert "#DIV/0!" in errs[0].message
    assert accounting(cons) == (2, 1, 1)


@pytest.mark.parametrize(("encoding", "sep"), [("gbk", ","), ("utf-8-sig", ","), ("utf-16", "\t")])
def test_csv_returns_in_gbk_and_utf8_bom(kit, roster, tmp_path, encoding, sep):
    # utf-16 with tabs: Excel's "Unicode text", saved under a .csv name
    lines = [sep.join(POSTS_HEADER)]
    lines.append(sep.join("秘书科党员先锋岗,秘书科,否,张明、李华,6,服务领导,集中学习,2005-03-01,是".split(",")))
    lines.append(sep.join(["信访窗口党员先锋岗", "信访科", "是", "王芳", "\"1,234\"" if sep == "," else "1,234",
                           "热情接待", "首问负责", "2005年4月2日", "√"]))
    path = tmp_path / "r" / "区政府办_先锋岗登记表.csv"
    path.parent.mkdir()
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode(encoding))
    cons = merge(kit, roster, [path], jobs=1)
    assert cons.ledger[2].status == "有错误"  # D03 区政府办, identified by the file name; E3 is an error
    members = [i for i in cons.issues if i.field == "参与党员人数"]
    assert [(i.cell, i.kind) for i in members] == [("E3", "out_of_range")]  # 1,234 > 500
    assert accounting(cons) == (2, 1, 1)
    row = cons.rows["posts"][0]
    assert row.values["set_up_date"] == date(2005, 3, 1) and row.values["is_window"] is False


def test_long_text_and_control_characters_are_reported(kit, roster, tmp_path):
    # openpyxl refuses to write control characters, but CSV exports and other writers carry them.
    lines = [",".join(POSTS_HEADER)]
    lines.append("秘书科党员先锋岗,秘书科,否,张明,6,服务\x07领导,集中学习,2005-03-01,是")
    lines.append("信访窗口党员先锋岗,信访科,是,王芳,4,热情接待," + "很长" * 300 + ",2005-04-02,是")
    path = tmp_path / "r" / "区委办.csv"
    path.parent.mkdir()
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    cons = merge(kit, roster, [path], jobs=1)
    ctrl = by_kind(cons, "control_chars")
    assert [(i.cell, i.level) for i in ctrl] == [("F2", "警告")]
    too_long = by_kind(cons, "too_long")
    assert [(i.cell, i.level) for i in too_long] == [("G3", "错误")]
    assert accounting(cons) == (2, 1, 1)
    assert cons.rows["posts"][0].values["goal"] == "服务领导"
    out = write_consolidated(cons, tmp_path / "o.xlsx")
    assert openpyxl.load_workbook(out)["先锋岗登记表"]["F2"].value == "服务领导"


def test_killed_merge_leaves_previous_output_intact(kit_path, tmp_path, blank):
    src = tmp_path / "r"
    for i in range(30):
        fill_stamped(blank, src / f"D01_copy{i:02d}.xlsx", lambda wb: None)
    roster = tmp_path / "roster.csv"
    roster.write_text("单位代码,单位名称\nD01,区委办\n", encoding="utf-8")
    out = tmp_path / "汇总表.xlsx"
    out.write_bytes(b"previous consolidated workbook")
    before = hashlib.sha256(out.read_bytes()).hexdigest()
    proc = subprocess.Popen([sys.executable, "-m", "xltools", "merge", str(kit_path), str(src),
                             "--roster", str(roster), "--out", str(out), "--jobs", "1"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(1.0)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert hashlib.sha256(out.read_bytes()).hexdigest() == before or _is_complete_xlsx(out)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith("汇总表") and p != out]


def _is_complete_xlsx(p: Path) -> bool:
    import zipfile

    try:
        with zipfile.ZipFile(p) as z:
            return z.testzip() is None and "xl/workbook.xml" in z.namelist()
    except zipfile.BadZipFile:
        return False


def test_check_without_roster_still_validates_an_unstamped_file(kit, tmp_path):
    from xltools.merge import check

    def fill(ws):
        ws.append(POSTS_HEADER)
        ws.append(POST_ROWS[0])
        bad = list(POST_ROWS[1])
        bad[4] = "许多"  # 参与党员人数: E3
        ws.append(bad)

    path = new_book(tmp_path / "我们的台账.xlsx", fill)
    res = check(path, kit)
    assert (res.rows_read, res.rows_accepted, res.rows_rejected) == (2, 1, 1)
    assert [(i.kind, i.level) for i in res.issues if not i.cell and i.kind != "form_missing"] == [("no_stamp", "警告")]
    # without a roster the unit cannot be told; merge will try the file name against the roster
    assert "不带名单检查时无法确定填报单位；汇总时按名单和文件名中的单位名称或代码识别" in next(
        i.message for i in res.issues if i.kind == "no_stamp")
    assert sorted(i.sheet for i in res.issues if i.kind == "form_missing") == ["办实事做好事登记表", "工作成效表", "年度考核表"]
    assert [(i.cell, i.level) for i in res.issues if i.cell] == [("E3", "错误")]


def test_partial_resubmission_counts_the_replaced_rows_as_superseded(kit, roster, blank, tmp_path):
    """A unit resends only the corrected 先锋岗登记表: that form comes from the new copy, the
    other forms from the first; the first copy's 先锋岗登记表 rows are superseded, not lost."""
    import re
    import zipfile

    def set_saved(path: Path, stamp: str) -> None:
        with zipfile.ZipFile(path) as z:
            parts = {n: z.read(n) for n in z.namelist()}
        core = re.sub(r"(<dcterms:modified[^>]*>)[^<]*", rf"\g<1>{stamp}", parts["docProps/core.xml"].decode())
        parts["docProps/core.xml"] = core.encode()
        with zipfile.ZipFile(path, "w") as z:
            for n, data in parts.items():
                z.writestr(n, data)

    def only_posts_corrected(wb):
        for name in ("办实事做好事登记表", "工作成效表", "年度考核表"):
            del wb[name]
        wb["先锋岗登记表"]["E4"] = 7

    first = fill_stamped(blank, tmp_path / "r" / "D01_区委办_台账.xlsx", fill_assessment)
    second = fill_stamped(blank, tmp_path / "r" / "D01_区委办_台账（改）.xlsx", only_posts_corrected)
    set_saved(first, "2006-01-18T09:00:00Z")
    set_saved(second, "2006-01-19T09:00:00Z")
    cons = merge(kit, roster, [tmp_path / "r"], jobs=1)
    assert accounting(cons) == (4, 4, 0)
    assert cons.counts["rows_superseded"] == 2
    assert [r.values["members"] for r in cons.rows["posts"]] == [7, 4]
    assert [r.file for r in cons.rows["assessment"]] == [f"r/{first.name}"] * 2
    assert cons.superseded == []  # both files are still used
    dup = by_kind(cons, "duplicate_return")
    assert len(dup) == 1 and "先锋岗登记表" in dup[0].message and dup[0].level == "警告"


def test_label_split_over_two_header_rows(kit, roster, tmp_path):
    def fill(ws):
        labels = ["先锋岗名称", "所在科室", "是否窗口单位", "党员责任人", None, "创建目标", "主要措施", "设岗日期", "是否设置标牌"]
        for j, label in enumerate(labels, start=1):
            if label:
                ws.cell(row=1, column=j, value=label)
                ws.merge_cells(start_row=1, start_column=j, end_row=2, end_column=j)
        ws.cell(row=1, column=5, value="参与党员")
        ws.cell(row=2, column=5, value="人数")
        for row in POST_ROWS:
            ws.append(row)

    path = new_book(tmp_path / "r" / "区委办.xlsx", fill)
    cons = merge(kit, roster, [path], jobs=1)
    assert accounting(cons) == (2, 2, 0)
    assert [(r.row, r.values["members"]) for r in cons.rows["posts"]] == [(3, 6), (4, 4)]


def test_unreadable_file_named_for_a_unit_is_not_missing(kit, roster, tmp_path):
    d = tmp_path / "r"
    d.mkdir()
    (d / "D02_区人大办_台账.xlsx").write_bytes(b"")
    cons = merge(kit, roster, [d], jobs=1)
    d02 = cons.ledger[1]
    assert (d02.code, d02.status) == ("D02", "有错误")
    assert "重新报送" in d02.reason and "0 字节" in d02.reason
    assert [u.code for u in cons.missing_units] == ["D01", "D03"]
    assert any(e.status == "无法读取" for e in cons.ledger)


def test_output_among_the_returns_is_refused(kit_path, tmp_path, blank):
    from click.testing import CliRunner

    from xltools.cli import cli

    d = tmp_path / "r"
    src = fill_stamped(blank, d / blank.name, lambda wb: None)
    before = src.read_bytes()
    roster = tmp_path / "roster.csv"
    roster.write_text("单位代码,单位名称\nD01,区委办\n", encoding="utf-8")
    runner = CliRunner()
    for out in (src, d / "汇总表.xlsx"):
        res = runner.invoke(cli, ["merge", str(kit_path), str(d), "--roster", str(roster), "--out", str(out)])
        assert res.exit_code == 1 and "错误：" in res.output
    assert src.read_bytes() == before
    assert sorted(p.name for p in d.iterdir()) == [src.name]


@pytest.mark.parametrize("name, codes", [
    ("D-01 x.xlsx", ["D-01"]),
    ("D01 台账.xlsx", ["D01"]),
    ("Ｄ０２区人大办.xlsx", ["D02"]),
    ("区委办 台账.xlsx", ["D01"]),
    ("d01_区委办.xlsx", ["D01"]),
    ("D011.xlsx", []),
    ("D01-2.xlsx", ["D01"]),  # a resubmission numbered after the code
    ("S4-0007_某局.xlsx", ["S4-0007"]),  # codes with a hyphen are tokens too
    ("区委办与区人大办联合.xlsx", ["D02"]),  # the longest name wins (区人大办 over 区委办)
    ("区政协办区人大办.xlsx", ["D02", "D03"]),  # two names of equal length: ambiguous
])
def test_units_named_in_file_names(name, codes):
    from xltools.identify import filename_units

    roster = Roster(units=(Unit("D-01", "甲局"), Unit("D01", "区委办"), Unit("D02", "区人大办"), Unit("D03", "区政协办"),
                           Unit("S4-0007", "乙局")))
    assert [u.code for u in filename_units(Path(name), roster)] == codes


def test_optional_stories_form_is_not_chased_and_keeps_paragraphs(kit, roster, blank, tmp_path):
    def without_stories(wb):
        del wb["先进事迹表"]

    def with_story(wb):
        ws = wb["先进事迹表"]
        ws["A4"] = "秘书科党员先锋岗"
        ws["B4"] = "甘当幕后“老黄牛”"
        ws["C4"] = "第一段：立足岗位。\n第二段：服务基层。\r\n第三段：争创一流。"
        ws["D4"] = "全年起草文稿120篇"

    a = fill_stamped(blank, tmp_path / "a" / blank.name, without_stories)
    cons = merge(kit, roster, [a], jobs=1)
    assert not [i for i in cons.issues if i.kind == "form_missing"]
    b = fill_stamped(blank, tmp_path / "b" / blank.name, with_story)
    cons = merge(kit, roster, [b], jobs=1)
    story = cons.rows["stories"][0].values
    assert story["body"].split("\n") == ["第一段：立足岗位。", "第二段：服务基层。", "第三段：争创一流。"]
    assert (story["title"], story["achievements"]) == ("甘当幕后“老黄牛”", "全年起草文稿120篇")


# --- blank forms and copies (a newcomer's review, the thirteenth round) ------------------------


def test_a_blank_form_sent_back_is_an_error_not_a_return_of_data(kit, roster, blank, tmp_path):
    from xltools.commands.merge import summary_lines

    d = tmp_path / "r"
    d.mkdir()
    (d / blank.name).write_bytes(blank.read_bytes())
    cons = merge(kit, roster, [d], jobs=1)
    empty = by_kind(cons, "empty_return")
    assert len(empty) == 1 and empty[0].is_error and empty[0].unit_code == "D01" and empty[0].file == f"r/{blank.name}"
    assert (cons.ledger[0].status, cons.ledger[0].errors) == ("有错误", 1)
    assert accounting(cons) == (0, 0, 0)
    assert "  报回空表（各登记表都没有填写数据）：D01 区委办" in summary_lines(cons)
    assert "（其中 1 个单位报回的是空表，需重新报送）" in summary_lines(cons)[0]


def test_a_blank_copy_beside_the_filled_return_never_replaces_it(kit, roster, blank, tmp_path):
    d = tmp_path / "r"
    filled = fill_stamped(blank, d / "D01_区委办_台账.xlsx", fill_assessment)
    stray = d / "D01_区委办_空表.xlsx"
    stray.write_bytes(blank.read_bytes())
    os.utime(filled, (1_000_000_000, 1_000_000_000))  # the blank copy is the newer file
    cons = merge(kit, roster, [d], jobs=1)
    assert accounting(cons) == (4, 4, 0)
    assert {r.file for rows in cons.rows.values() for r in rows} == {f"r/{filled.name}"}
    dup = by_kind(cons, "duplicate_return")
    assert len(dup) == 1 and not dup[0].is_error and "没有填写数据" in dup[0].message and stray.name in dup[0].message
    assert by_kind(cons, "empty_return") == []  # the stray copy's own error is set aside with it
    assert cons.ledger[0].status == "重复报送" and cons.superseded == [f"r/{stray.name}"]


def test_forms_split_over_two_full_workbooks_keep_both_forms_rows(kit, roster, blank, tmp_path):
    # Each file a whole issued workbook, each with one form filled in: the newer one's empty
    # 先锋岗登记表 must not replace the older one's rows.
    def only_assessment(wb):
        ws = wb["先锋岗登记表"]
        for r in range(4, 4 + len(POST_ROWS)):
            for c in range(1, 10):
                ws.cell(row=r, column=c).value = None
        fill_assessment(wb)

    d = tmp_path / "r"
    posts = fill_stamped(blank, d / "D01_区委办_登记表.xlsx", lambda wb: None)
    scores = fill_stamped(blank, d / "D01_区委办_考核表.xlsx", only_assessment)
    os.utime(posts, (1_000_000_000, 1_000_000_000))
    cons = merge(kit, roster, [d], jobs=1)
    assert accounting(cons) == (4, 4, 0)
    assert [r.file for r in cons.rows["posts"]] == [f"r/{posts.name}"] * 2
    assert [r.file for r in cons.rows["assessment"]] == [f"r/{scores.name}"] * 2
    assert cons.superseded == [] and by_kind(cons, "empty_return") == []
    # nothing of either copy set aside: not a duplicate, and no file said to hold no data (a
    # hostile review read 重复报送 …没有填写数据 for each of two files both used)
    assert by_kind(cons, "duplicate_return") == [] and cons.ledger[0].status == "已报送"


def test_the_same_file_in_two_folders_is_one_return_named_by_folder(kit, roster, blank, tmp_path):
    filled = fill_stamped(blank, tmp_path / "round1" / "D01_区委办_台账.xlsx", fill_assessment)
    again = tmp_path / "final" / filled.name
    again.parent.mkdir()
    again.write_bytes(filled.read_bytes())
    os.utime(again, (1_000_000_000, 1_000_000_000))  # even with another modification time
    cons = merge(kit, roster, [tmp_path / "round1", tmp_path / "final"], jobs=1)
    assert accounting(cons) == (4, 4, 0)
    dup = by_kind(cons, "duplicate_return")
    assert len(dup) == 1 and not dup[0].is_error and "内容完全相同" in dup[0].message
    assert f"final/{filled.name}" in dup[0].message and f"round1/{filled.name}" in dup[0].message
    assert cons.counts["errors"] == 0 and cons.counts["rows_superseded"] == 4


def test_a_column_without_header_is_named_by_its_first_filled_cell(kit, roster, blank, tmp_path):
    # A newcomer's review: a row typed one column to the right was reported at J3, the empty
    # header cell, while the data stood in J5.
    def edit(wb):
        wb["先锋岗登记表"]["J5"] = "多写的一格"

    cons = merge(kit, roster, [fill_stamped(blank, tmp_path / "r" / blank.name, edit)], jobs=1)
    (extra,) = by_kind(cons, "extra_column")
    assert (extra.cell, extra.row, extra.raw) == ("J5", 5, "多写的一格")
    assert "第 J 列没有表头但有内容（从 J5 起）" in extra.message and not extra.is_error


def test_a_4301_digit_count_rejects_its_row_and_the_merge_goes_on(kit, roster, blank, tmp_path):
    # A differential review: Python's int() refuses text of over 4,300 digits, and the
    # ValueError escaped read_one, which never raises for bad data.
    def edit(wb):
        wb["先锋岗登记表"]["E5"] = "1" * 4301

    cons = merge(kit, roster, [fill_stamped(blank, tmp_path / "r" / blank.name, edit)], jobs=1)
    assert accounting(cons) == (2, 1, 1)
    bad = [i for i in cons.issues if i.kind == "not_number"]
    assert [(i.cell, i.is_error) for i in bad] == [("E5", True)]


def test_a_broken_return_is_not_called_blank_in_the_summary(kit, roster, blank, tmp_path):
    from xltools.commands.merge import summary_lines

    d = tmp_path / "r"
    filled = fill_stamped(blank, d / blank.name, lambda wb: None)
    filled.write_bytes(filled.read_bytes()[:5000])  # cut short: unreadable
    cons = merge(kit, roster, [d], jobs=1)
    assert cons.ledger[0].reason and not any("没有填写数据" in line for line in summary_lines(cons))
    assert summary_lines(cons)[0].startswith("报送情况：已报送 1/")
    assert "（其中 1 个单位的文件无法使用，需重新报送）" in summary_lines(cons)[0]


def test_a_blank_copy_is_named_beside_the_copy_actually_used(kit, roster, blank, tmp_path):
    # A hostile review: the message named the last filled file by path, itself set aside by a
    # newer copy.
    older = fill_stamped(blank, tmp_path / "b" / blank.name, fill_assessment)
    fill_stamped(blank, tmp_path / "a" / blank.name, fill_assessment)  # the newer copy, used
    os.utime(older, (1_000_000_000, 1_000_000_000))
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / blank.name).write_bytes(blank.read_bytes())
    cons = merge(kit, roster, [tmp_path], jobs=1)
    blank_msg = [i.message for i in by_kind(cons, "duplicate_return") if i.file == f"{tmp_path.name}/c/{blank.name}"]
    assert blank_msg == [f"同一单位重复报送：“{tmp_path.name}/c/{blank.name}”中没有填写数据，"
                         f"已采用“{tmp_path.name}/a/{blank.name}”"]
    assert accounting(cons) == (4, 4, 0) and {r.file for r in cons.rows["posts"]} == {f"{tmp_path.name}/a/{blank.name}"}


@pytest.mark.parametrize("copy", ["identical", "blank"])
def test_on_duplicate_error_makes_every_duplicate_an_error(kit, roster, blank, tmp_path, copy):
    filled = fill_stamped(blank, tmp_path / "r" / "D01_区委办_台账.xlsx", fill_assessment)
    other = tmp_path / "r" / "D01_区委办_台账（副本）.xlsx"
    other.write_bytes(filled.read_bytes() if copy == "identical" else blank.read_bytes())
    for on_duplicate, level in (("newest", "警告"), ("error", "错误")):
        cons = merge(kit, roster, [tmp_path / "r"], jobs=1, on_duplicate=on_duplicate)
        (dup,) = by_kind(cons, "duplicate_return")
        assert dup.level == level and accounting(cons) == (4, 4, 0)


@pytest.mark.parametrize("on_duplicate", ["newest", "error"])
def test_two_identical_blank_copies_are_said_to_be_identical(kit, roster, blank, tmp_path, on_duplicate):
    # A second review: the set-aside copy was 'replaced by a newer file' and no issue was raised.
    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / blank.name).write_bytes(blank.read_bytes())
    cons = merge(kit, roster, [tmp_path / "a", tmp_path / "b"], jobs=1, on_duplicate=on_duplicate)
    (dup,) = by_kind(cons, "duplicate_return")
    assert "内容完全相同" in dup.message and dup.is_error == (on_duplicate == "error")
    assert "内容完全相同" in next(e.reason for e in cons.ledger if e.status == "已被替代")
    assert cons.counts["empty"] == 1 and len(by_kind(cons, "empty_return")) == 1


def test_units_with_only_unusable_files_are_counted_apart(kit, roster, blank, tmp_path):
    d = tmp_path / "r"
    fill_stamped(blank, d / blank.name, fill_assessment)
    (d / "D02_区人大办_台账.xlsx").write_text("不是表格", encoding="utf-8")
    cons = merge(kit, roster, [d], jobs=1)
    assert (cons.counts["returned"], cons.counts["unusable"], cons.counts["empty"], cons.counts["missing"]) == (2, 1, 0, 1)


def test_the_round_deadline_is_the_one_most_returns_carry(kit, tmp_path):
    # A second review: the first unit in roster order set it, a blank of another issue included.
    units = Roster(units=(Unit("D01", "区委办"), Unit("D02", "区人大办"), Unit("D03", "区政府办")))
    old = generate(kit, units, tmp_path / "old", deadline="2024-03-31", generated=date(2024, 1, 4))
    new = generate(kit, units, tmp_path / "new", deadline="2006-01-20", generated=date(2006, 1, 4))
    d = tmp_path / "r"
    d.mkdir()
    (d / old[0].name).write_bytes(old[0].read_bytes())  # D01: a blank of another issue
    for path in new[1:]:
        fill_stamped(path, d / path.name, lambda wb: None)
    cons = merge(kit, units, [d], jobs=1)
    assert cons.deadline == "2006-01-20"


def test_no_deadline_on_most_returns_is_no_round_deadline(kit, tmp_path):
    # A third review: returns issued without a deadline left "" out of the count, so one blank
    # form of another issue set the round's deadline; and blank forms have no say at all.
    units = Roster(units=(Unit("D01", "区委办"), Unit("D02", "区人大办"), Unit("D03", "区政府办")))
    other = generate(kit, units, tmp_path / "other", deadline="2024-04-30", generated=date(2024, 1, 4))
    plain = generate(kit, units, tmp_path / "plain", generated=date(2006, 1, 4))
    d = tmp_path / "r"
    d.mkdir()
    (d / other[0].name).write_bytes(other[0].read_bytes())  # D01 sends a blank form of another issue
    for path in plain[1:]:
        fill_stamped(path, d / path.name, lambda wb: None)
    assert merge(kit, units, [d], jobs=1).deadline == ""


def test_a_copy_left_with_only_empty_sheets_is_set_aside(kit, roster, blank, tmp_path):
    # A third review: the newer copy lacked the (empty) 工作成效表 sheet, so the older copy was
    # still "used" for it, listed as used in the ledger and as replaced in the issue list.
    def newer_without_results(wb):
        del wb["工作成效表"]
        fill_assessment(wb)

    older = fill_stamped(blank, tmp_path / "r" / "D01_区委办_台账.xlsx", fill_assessment)
    newer = fill_stamped(blank, tmp_path / "r" / "D01_区委办_台账（改）.xlsx", newer_without_results)
    os.utime(older, (1_000_000_000, 1_000_000_000))
    cons = merge(kit, roster, [tmp_path / "r"], jobs=1)
    assert cons.superseded == [f"r/{older.name}"] and cons.ledger[0].files == [f"r/{newer.name}"]
    assert cons.ledger[0].status == "重复报送" and accounting(cons) == (4, 4, 0)
