"""Paths a hostile review gave ``xltools merge`` and ``xltools check``: symbolic links that loop
or dangle among the returns (one unreadable file each, never a stopped batch), outputs that
would replace an input or each other (refused before anything is read or written), and cells
whose control characters must not break ``check``'s one line per issue."""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from xltools.cli import cli

ROOT = Path(__file__).resolve().parents[1]
FINAL = ROOT / "samples" / "returns" / "final"
ROSTER = ROOT / "samples" / "roster.xlsx"


def _ledger(path: Path) -> list[tuple]:
    book = openpyxl.load_workbook(path, read_only=True)
    try:
        return list(book["报送情况"].iter_rows(min_row=2, values_only=True))
    finally:
        book.close()


def one_return(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    src = sorted(FINAL.glob("D02_*.xlsx"))[0]
    return Path(shutil.copy(src, folder / src.name))


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="no symbolic links")
def test_looping_and_dangling_links_are_unreadable_files(tmp_path):
    returns = tmp_path / "returns"
    one_return(returns)
    os.symlink(returns / "b.xlsx", returns / "a.xlsx")
    os.symlink(returns / "a.xlsx", returns / "b.xlsx")
    os.symlink(tmp_path / "nowhere.xlsx", returns / "c.xlsx")
    result = CliRunner().invoke(cli, ["merge", "pioneer_posts", str(returns), "--roster", str(ROSTER),
                                      "--out", str(tmp_path / "汇总表.xlsx")])
    assert result.exit_code == 1, result.output  # the three links are errors; the batch went on
    assert "  无法读取：returns/a.xlsx（是循环的符号链接（快捷方式），无法打开）" in result.output
    assert "  无法读取：returns/b.xlsx（是循环的符号链接（快捷方式），无法打开）" in result.output
    assert "  无法读取：returns/c.xlsx（是指向不存在文件的符号链接（快捷方式））" in result.output
    assert "读取 12 行 = 采用 12 行 + 退回 0 行" in result.output
    assert (tmp_path / "汇总表.xlsx").is_file()
    check = CliRunner().invoke(cli, ["check", str(returns / "a.xlsx"), "--form", "pioneer_posts"])
    assert check.exit_code == 1 and "是循环的符号链接（快捷方式），无法打开；请报送文件本身" in check.output


@pytest.mark.parametrize(
    "args, message",
    [
        (["--out", "{roster}"], "{roster}：汇总表与填报单位名单是同一个文件，会覆盖填报单位名单，请换一个文件名"),
        (["--out", "{out}", "--json", "{roster}"], "{roster}：汇总指标 JSON 与填报单位名单是同一个文件"),
        (["--out", "{out}", "--json", "{out}"], "{out}：汇总指标 JSON 与汇总表是同一个文件，会覆盖汇总表"),
        (["--out", "{out}", "--json", "{definition}"], "{definition}：汇总指标 JSON 与表单定义是同一个文件"),
    ],
)
def test_an_output_never_replaces_an_input_or_the_other_output(tmp_path, args, message):
    roster = Path(shutil.copy(ROSTER, tmp_path / "名单.xlsx"))
    definition = Path(shutil.copy(ROOT / "templates" / "xlsx" / "pioneer_posts.yaml", tmp_path / "kit.yaml"))
    names = {"roster": str(roster), "out": str(tmp_path / "汇总表.xlsx"), "definition": str(definition)}
    before = {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in (roster, definition)}
    result = CliRunner().invoke(cli, ["merge", str(definition), str(FINAL), "--roster", str(roster),
                                      *(a.format(**names) for a in args)])
    assert result.exit_code == 1
    assert result.output.startswith("错误：" + message.format(**names)), result.output
    assert result.output.count("\n") == 1
    assert {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in (roster, definition)} == before
    assert not (tmp_path / "汇总表.xlsx").exists()


def test_check_keeps_one_line_per_issue_whatever_the_cell_holds(tmp_path):
    path = one_return(tmp_path / "r")
    wb = openpyxl.load_workbook(path)
    ws = wb["先锋岗登记表"]
    ws["F4"] = "第一行\r\n第二行\t制表_x0001_控制"  # 创建目标: a pasted text (\x01 as Excel stores it)
    ws["E4"] = "十\n二"  # 参与党员人数: not a number, quoted in the message
    wb.save(path)
    result = CliRunner().invoke(cli, ["check", str(path), "--form", "pioneer_posts"])
    lines = result.output.splitlines()
    issues = [line for line in lines if line.startswith(("错误", "警告"))]
    assert issues and any("E4" in line for line in issues), result.output
    for line in lines:
        assert not any(ch in line for ch in "\x01\t\r"), repr(line)
    assert len(lines) == 4 + len(issues)  # 文件、填报单位、the header, the issues, the total


def test_a_file_without_the_form_counts_for_the_unit_its_name_gives(tmp_path):
    # like an unreadable file: the unit did send something (unusable), not 未报送 with the file apart
    returns = tmp_path / "returns"
    one_return(returns)
    (returns / "D07.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    out = tmp_path / "汇总表.xlsx"
    result = CliRunner().invoke(cli, ["merge", "pioneer_posts", str(returns), "--roster", str(ROSTER), "--out", str(out)])
    assert "  无法识别：returns/D07.csv（找不到任何登记表的表头；问题已计入 D07 区委宣传部 一行）" in result.output
    # the headline says one of the two returned sent nothing usable
    assert "报送情况：已报送 2/48 个单位（其中 1 个单位的文件无法使用，需重新报送），未报送 46 个" in result.output
    ledger = {r[0]: r for r in _ledger(out)}
    assert ledger["D07"][2:4] == ("有错误", "returns/D07.csv")
    assert ledger["D07"][10] == "报送的文件无法使用（找不到任何登记表的表头），请重新报送"


def test_the_ledgers_error_and_warning_columns_add_up_to_the_issue_list(tmp_path):
    """A unit whose only file is unusable is 有错误 on its own line, and the file has its own
    无法读取 / 无法识别 line too; the file's problems were counted on both, so the 错误数
    column added up to more errors than the issue list held."""
    from xltools.merge import merge

    returns = tmp_path / "returns"
    one_return(returns)
    (returns / "D04_区政协办_党员先锋岗工作台账.xlsx").write_text("not a workbook", encoding="utf-8")
    (returns / "D07.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    (returns / "nobody.xlsx").write_text("junk", encoding="utf-8")
    shutil.copy(sorted((ROOT / "samples" / "returns" / "round1").glob("D05_*"))[0], returns)
    for folders in ([returns], [ROOT / "samples" / "returns" / "round1"], [ROOT / "samples" / "returns"]):
        cons = merge(ROOT / "templates" / "xlsx" / "pioneer_posts.yaml", ROSTER, folders, jobs=1)
        issues = list(cons.issues)
        errors = sum(1 for i in issues if i.is_error)
        assert sum(e.errors for e in cons.ledger) == errors == cons.counts["errors"], folders
        assert sum(e.warnings for e in cons.ledger) == len(issues) - errors == cons.counts["warnings"], folders
    cons = merge(ROOT / "templates" / "xlsx" / "pioneer_posts.yaml", ROSTER, [returns], jobs=1)
    d04 = [e for e in cons.ledger if any(f.endswith("D04_区政协办_党员先锋岗工作台账.xlsx") for f in e.files)]
    assert [(e.code, e.status, e.errors) for e in d04] == [("D04", "有错误", 1), ("", "无法读取", 0)]
    assert d04[1].reason.endswith("；问题已计入 D04 区政协办 一行")
    nobody = [e for e in cons.ledger if e.files == ["returns/nobody.xlsx"]]
    assert [(e.status, e.errors) for e in nobody] == [("无法读取", 1)]  # no unit: counted on its own line


@pytest.mark.skipif(os.name != "posix" or os.uname().sysname == "Darwin",
                    reason="file names are bytes only on Linux and other POSIX file systems")
def test_a_gbk_file_name_is_read_as_chinese_not_a_crash(tmp_path):
    """A zip made on Chinese Windows, unzipped without ``unzip -O GBK``, leaves GBK file names;
    Python gives them lone surrogates, which stopped the whole merge with 内部错误."""
    returns = tmp_path / "returns"
    src = one_return(returns)
    gbk = os.fsencode(returns) + b"/" + src.name.encode("gbk")
    os.rename(src, gbk)
    out = tmp_path / "汇总表.xlsx"
    result = CliRunner().invoke(cli, ["merge", "pioneer_posts", str(returns), "--roster", str(ROSTER),
                                      "--out", str(out), "--json", str(tmp_path / "figures.json")])
    assert result.exit_code == 0, result.output
    files = {row[0]: row[3] for row in _ledger(out)}
    assert files["D02"] == f"returns/{src.name}"  # 区人大办, not returns/D02_\udcc7\udcf8…
    assert gbk.decode("gb18030").endswith(src.name)


def test_readable_name_decodes_each_part_that_is_not_utf8():
    from xltools._io import readable_name

    escaped = "收文".encode("gbk").decode("utf-8", "surrogateescape")
    assert readable_name(f"round1{os.sep}{escaped}.xlsx") == f"round1{os.sep}收文.xlsx"
    assert readable_name(f"区委办{os.sep}{escaped}") == f"区委办{os.sep}收文"  # the UTF-8 part untouched
    assert readable_name("a\udcffb") == "a\ufffdb"  # bytes that are not GB18030 either
    assert readable_name("lone\ud800") == "lone?"  # not a surrogateescape byte at all
    plain = "returns/D01_区委办.xlsx"
    assert readable_name(plain) is plain


@pytest.mark.skipif(os.name != "posix" or os.uname().sysname == "Darwin",
                    reason="file names are bytes only on Linux and other POSIX file systems")
def test_check_names_a_gbk_file_in_chinese(tmp_path):
    src = one_return(tmp_path)
    gbk = os.fsencode(tmp_path) + b"/" + src.name.encode("gbk")
    os.rename(src, gbk)
    result = CliRunner().invoke(cli, ["check", os.fsdecode(gbk), "--form", "pioneer_posts", "--json"])
    assert result.exit_code == 0, result.output
    assert f'"file": "{tmp_path / src.name}"' in result.output


@pytest.mark.skipif(os.name != "posix" or os.uname().sysname == "Darwin",
                    reason="file names are bytes only on Linux and other POSIX file systems")
def test_a_gbk_and_a_utf8_copy_of_one_name_stay_two_files(tmp_path):
    """Decoded, the two names are the same text; the copy that is replaced must still have its
    own 已被替代 line, and the two must be told apart in the messages."""
    returns = tmp_path / "returns"
    src = one_return(returns)
    shutil.copy(src, os.fsencode(returns) + b"/" + src.name.encode("gbk"))
    out = tmp_path / "汇总表.xlsx"
    result = CliRunner().invoke(cli, ["merge", "pioneer_posts", str(returns), "--roster", str(ROSTER),
                                      "--out", str(out)])
    d02 = [row for row in _ledger(out) if row[0] == "D02"]
    files = [row[3] for row in d02]
    assert len(d02) == 2 and len(set(files)) == 2, (d02, result.output)
    assert any("\\x" in f for f in files)  # the GBK copy's bytes shown as \xNN
    assert [row[2] for row in d02].count("已被替代") == 1


def test_readable_text_decodes_gbk_runs_inside_a_message():
    from xltools._io import readable_text

    path = "退回/收文.xlsx".encode("gbk").decode("utf-8", "surrogateescape")
    assert readable_text(f"错误：{path}：文件不存在") == "错误：退回/收文.xlsx：文件不存在"
    assert readable_text("a\udcffb") == "a\ufffdb"
    plain = "错误：没有问题"
    assert readable_text(plain) is plain


@pytest.mark.skipif(os.name != "posix", reason="file names are bytes only on POSIX file systems")
def test_an_output_with_a_gbk_name_is_named_in_chinese(tmp_path):
    import subprocess
    import sys

    returns = tmp_path / "returns"
    one_return(returns)
    out = os.fsencode(tmp_path) + b"/" + "汇总表.xlsx".encode("gbk")
    env = {**os.environ, "PYTHONIOENCODING": "utf-8:strict"}
    done = subprocess.run([sys.executable, "-c", "from xltools.cli import main; main()", "merge", "pioneer_posts",
                           os.fsencode(returns), b"--roster", os.fsencode(ROSTER), b"--out", out],
                          capture_output=True, env=env)
    text = done.stdout.decode("utf-8")
    assert done.returncode == 0, done.stderr.decode("utf-8", "replace")
    assert f"汇总表 → {tmp_path}/汇总表.xlsx" in text
    missing = subprocess.run([sys.executable, "-c", "from xltools.cli import main; main()", "merge", "pioneer_posts",
                              os.fsencode(returns), b"--roster", os.fsencode(tmp_path) + b"/" + "名单.xlsx".encode("gbk"),
                              b"--out", out], capture_output=True, env=env)
    assert "名单.xlsx" in missing.stderr.decode("utf-8") and "内部错误" not in missing.stderr.decode("utf-8")
