"""``xltools generate`` on the command line (click's CliRunner)."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from python_calamine import CalamineWorkbook

from xltools import stamp
from xltools.cli import cli

TITLE = "党员先锋岗工作台账"
FINAL = Path(__file__).resolve().parent.parent / "samples" / "returns" / "final"


def run(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def meta(path) -> dict[str, str]:
    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_name(stamp.META_SHEET).to_python()
    return {r[0]: r[1] for r in rows}


def small_roster(tmp_path, n: int):
    p = tmp_path / "名单.csv"
    lines = ["单位代码,单位名称"] + [f"S{i},第{i}单位" for i in range(1, n + 1)]
    p.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return p


def test_generate_the_sample_round(tmp_path, roster_path, roster):
    out = tmp_path / "下发"
    result = run("generate", "pioneer_posts", "--roster", str(roster_path), "--out", str(out),
                 "--deadline", "2006-03-31", "--date", "2006-03-01")
    assert result.exit_code == 0, result.output
    assert result.stdout.strip().splitlines()[-1] == f"已生成 48 个工作簿 → {out}"
    files = sorted(out.glob("*.xlsx"))
    assert len(files) == 48
    assert sorted(p.name for p in files) == sorted(f"{u.code}_{u.name}_{TITLE}.xlsx" for u in roster)
    m = meta(out / f"D01_区委办_{TITLE}.xlsx")
    assert (m["unit_code"], m["deadline"], m["generated"]) == ("D01", "2006-03-31", "2006-03-01")
    # more than 5 workbooks: a progress bar (its label) on stderr, never on stdout
    assert "正在生成工作簿" in result.stderr
    assert "正在生成工作簿" not in result.stdout


def test_few_workbooks_no_progress_bar(tmp_path):
    out = tmp_path / "out"
    result = run("generate", "pioneer_posts", "--roster", str(small_roster(tmp_path, 5)), "--out", str(out))
    assert result.exit_code == 0
    assert result.stdout == f"已生成 5 个工作簿 → {out}\n"
    assert result.stderr == ""
    assert len(list(out.glob("*.xlsx"))) == 5


def test_six_workbooks_show_progress(tmp_path):
    result = run("generate", "pioneer_posts", "--roster", str(small_roster(tmp_path, 6)),
                 "--out", str(tmp_path / "out"))
    assert result.exit_code == 0
    assert "正在生成工作簿" in result.stderr
    assert result.stdout == f"已生成 6 个工作簿 → {tmp_path / 'out'}\n"


def test_definition_by_path_and_same_bytes_for_same_date(tmp_path, kit_path):
    roster = small_roster(tmp_path, 2)
    for folder in ("a", "b"):
        result = run("generate", str(kit_path), "--roster", str(roster), "--out", str(tmp_path / folder),
                     "--date", "2006-03-01")
        assert result.exit_code == 0
    for p in (tmp_path / "a").iterdir():
        assert p.read_bytes() == (tmp_path / "b" / p.name).read_bytes()
    wb = openpyxl.load_workbook(tmp_path / "a" / f"S1_第1单位_{TITLE}.xlsx")
    assert wb.sheetnames[-1] == stamp.META_SHEET


def one_line_error(result) -> str:
    assert result.exit_code == 1
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("错误：")
    assert "Traceback" not in result.stderr
    return lines[0]


def test_bad_definition(tmp_path):
    bad = tmp_path / "坏的.yaml"
    bad.write_text("id: x\nversion: '1'\ntitle: t\nforms:\n  - name: a\n    sheet: s\n    fields:\n"
                   "      - {name: f, label: 甲, type: interger}\n", encoding="utf-8")
    result = run("generate", str(bad), "--roster", str(small_roster(tmp_path, 1)), "--out", str(tmp_path / "o"))
    line = one_line_error(result)
    assert "坏的.yaml 第 8 行：forms[0].fields[0].type：'interger' 不是字段类型" in line
    assert not (tmp_path / "o").exists()


def test_unknown_definition_name(tmp_path):
    result = run("generate", "no_such_form", "--roster", str(small_roster(tmp_path, 1)), "--out", str(tmp_path / "o"))
    line = one_line_error(result)
    assert "no_such_form" in line and "pioneer_posts" in line


def test_missing_roster(tmp_path):
    result = run("generate", "pioneer_posts", "--roster", str(tmp_path / "无.xlsx"), "--out", str(tmp_path / "o"))
    assert "无.xlsx" in one_line_error(result)


def test_output_parent_missing(tmp_path):
    result = run("generate", "pioneer_posts", "--roster", str(small_roster(tmp_path, 1)),
                 "--out", str(tmp_path / "没有" / "o"))
    assert "不存在" in one_line_error(result)


@pytest.mark.parametrize("option", ["--deadline", "--date"])
@pytest.mark.parametrize("value", ["2006-02-30", "31.03.2006", "下周"])
def test_bad_dates_are_usage_errors(tmp_path, option, value):
    result = run("generate", "pioneer_posts", "--roster", str(small_roster(tmp_path, 1)),
                 "--out", str(tmp_path / "o"), option, value)
    assert result.exit_code == 2
    assert "不是有效日期" in result.stderr and value in result.stderr
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize(("deadline", "date"), [("2006年3月31日", "2006/3/1"), ("2006.3.31", "２００６年３月１日")])
def test_dates_written_year_first_are_read(tmp_path, deadline, date):
    out = tmp_path / "o"
    result = run("generate", "pioneer_posts", "--roster", str(small_roster(tmp_path, 1)), "--out", str(out),
                 "--deadline", deadline, "--date", date)
    assert result.exit_code == 0, result.output
    m = meta(out / f"S1_第1单位_{TITLE}.xlsx")
    assert (m["deadline"], m["generated"]) == ("2006-03-31", "2006-03-01")


@pytest.mark.parametrize(("deadline", "warned"), [("2006-02-28", True), ("2006-03-01", False), ("2006-03-31", False)])
def test_a_deadline_before_the_issue_date_is_pointed_out(tmp_path, deadline, warned):
    # a definition or command reused from an earlier round: the units would see a past deadline
    out = tmp_path / "o"
    result = run("generate", "pioneer_posts", "--roster", str(small_roster(tmp_path, 1)), "--out", str(out),
                 "--deadline", deadline, "--date", "2006-03-01")
    assert result.exit_code == 0, result.output
    said = (f"注意：报送截止日期 {deadline} 早于生成日期 2006-03-01，各单位会看到一个已经过去的截止日期；"
            "如需新的截止日期，请改正 --deadline 后重新生成")
    assert result.stderr.strip() == (said if warned else "")
    assert meta(out / f"S1_第1单位_{TITLE}.xlsx")["deadline"] == deadline  # written as asked all the same


def test_required_options(tmp_path):
    assert run("generate", "pioneer_posts", "--out", str(tmp_path)).exit_code == 2
    assert run("generate", "pioneer_posts", "--roster", "x.csv").exit_code == 2


def test_help_is_chinese():
    result = run("generate", "--help")
    assert result.exit_code == 0
    for term in ("表单定义", "填报单位名单", "工作簿", "报送截止日期", "--roster", "--out", "--deadline", "--date"):
        assert term in result.stdout, term
    assert "显示本帮助并退出" in result.stdout
    assert "generate" in run("--help").stdout


def test_generate_never_replaces_a_filled_return(tmp_path, roster_path):
    # A newcomer's review: returns copied into the issue folder (or --out pointed at the returns)
    # were replaced by blank forms without a word.
    out = tmp_path / "下发"
    args = ("generate", "pioneer_posts", "--roster", str(roster_path), "--out", str(out), "--date", "2006-03-01")
    assert run(*args).exit_code == 0
    blank = {p.name: p.read_bytes() for p in out.glob("*.xlsx")}
    assert run(*args).exit_code == 0  # generating again over blank forms is fine
    assert {p.name: p.read_bytes() for p in out.glob("*.xlsx")} == blank
    returned = sorted(FINAL.glob("D0[12]_*.xlsx"))
    assert len(returned) == 2 and all(p.name in blank for p in returned)
    for src in returned:
        (out / src.name).write_bytes(src.read_bytes())
    result = CliRunner().invoke(cli, [*args, "--date", "2006-03-02"])
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("错误：") and "在“先锋岗登记表”的 A4 等" in lines[0]
    assert "已有 2 个同名文件不是未填写的空白文件" in lines[0] and returned[1].name in lines[0]
    assert "--overwrite" in lines[0] and returned[0].name in lines[0]
    for src in returned:  # nothing was written: the returns are as they came, the other forms too
        assert (out / src.name).read_bytes() == src.read_bytes()
    untouched = [name for name in blank if name not in {p.name for p in returned}]
    assert all((out / name).read_bytes() == blank[name] for name in untouched)
    assert run(*args, "--overwrite").exit_code == 0
    assert {p.name: p.read_bytes() for p in out.glob("*.xlsx")} == blank


def test_generate_refuses_a_file_in_the_way_it_cannot_read(tmp_path, roster_path):
    out = tmp_path / "下发"
    out.mkdir()
    name = f"D01_区委办_{TITLE}.xlsx"
    (out / name).write_text("一份笔记", encoding="utf-8")
    result = CliRunner().invoke(cli, ["generate", "pioneer_posts", "--roster", str(roster_path), "--out", str(out)])
    assert result.exit_code == 1 and "无法确认是未填写的登记表" in result.output and name in result.output
    assert (out / name).read_text(encoding="utf-8") == "一份笔记" and len(list(out.iterdir())) == 1


def test_generate_reads_a_file_in_the_way_without_the_roster(tmp_path):
    # A return renamed to another unit's file name, whose stamp names a unit this roster does
    # not have: read against the roster it has no rows (unknown unit), read as it stands it has.
    roster = tmp_path / "名单.csv"
    roster.write_text("单位代码,单位名称\nD01,区委办\n", encoding="utf-8")
    out = tmp_path / "下发"
    out.mkdir()
    target = out / f"D01_区委办_{TITLE}.xlsx"
    src = next(FINAL.glob("D02_*.xlsx"))
    target.write_bytes(src.read_bytes())
    result = CliRunner().invoke(cli, ["generate", "pioneer_posts", "--roster", str(roster), "--out", str(out)])
    assert result.exit_code == 1 and "填有" in result.output and target.name in result.output
    assert target.read_bytes() == src.read_bytes()


@pytest.mark.parametrize("kind", ["headers_retyped", "sheet_added", "rows_below_a_renamed_sheet", "formula"])
def test_generate_refuses_any_content_a_blank_form_does_not_have(tmp_path, kind):
    # A hostile review: read as a return, these had no rows (headers not found, data on a sheet
    # of the unit's own) and were replaced as blank.
    roster = small_roster(tmp_path, 1)
    out = tmp_path / "下发"
    args = ["generate", "pioneer_posts", "--roster", str(roster), "--out", str(out), "--date", "2006-03-01"]
    assert run(*args).exit_code == 0
    (target,) = out.glob("*.xlsx")
    wb = openpyxl.load_workbook(target)
    ws = wb["先锋岗登记表"]
    if kind == "headers_retyped":
        for c in range(1, 10):
            ws.cell(row=3, column=c).value = f"栏目{c}"
        ws["A4"] = "秘书科党员先锋岗"
    elif kind == "sheet_added":
        wb.create_sheet("我单位先锋岗")["B2"] = "秘书科党员先锋岗"
    elif kind == "formula":  # openpyxl stores no result: the cell reads as empty, the formula is there
        ws["E4"] = "=2+3"
    else:
        ws.title = "Sheet1"
    wb.save(target)
    kept = target.read_bytes()
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 1 and "填有内容" in result.output
    assert target.read_bytes() == kept
    # 填表说明 is not compared: its lines follow the deadline, so a new deadline renews blank forms
    if kind == "sheet_added":
        del wb["我单位先锋岗"]
        wb.save(target)
        assert run(*args[:-2], "--date", "2006-03-02", "--deadline", "2006-04-30").exit_code == 0


def test_demo_names_a_return_in_its_issue_folder_and_points_to_out(tmp_path):
    # The demo has no --overwrite: the refusal from generate (the files, what they hold) is said
    # with the demo's own way on, the library's hint about --overwrite left out (FilesInTheWay).
    from xltools.demo import demo
    from xltools.errors import FilesInTheWay

    issued = tmp_path / "demo" / "1-下发登记表"
    issued.mkdir(parents=True)
    src = sorted(FINAL.glob("D01_*.xlsx"))[0]
    (issued / src.name).write_bytes(src.read_bytes())
    said: list[str] = []
    with pytest.raises(FilesInTheWay) as refused:
        demo(tmp_path / "demo", say=said.append)
    message = str(refused.value)
    assert [p.name for p, _ in refused.value.held] == [src.name]
    assert message.startswith(f"{issued / src.name}：文件已存在且在“先锋岗登记表”的 A4 等")
    assert "填有内容，为免覆盖，没有生成任何工作簿" in message
    assert message.endswith("；xltools demo 不覆盖改过的文件：请用 --out 换一个目录")
    assert "--overwrite" not in message and "\n" not in message
    assert (issued / src.name).read_bytes() == src.read_bytes()
    assert sorted(p.name for p in issued.iterdir()) == [src.name]  # nothing else written
    assert not (tmp_path / "demo" / "2-第一轮汇总").exists()
