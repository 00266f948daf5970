"""The command line as a whole: every command has Chinese help, errors are one line, the
version prints, and ``python -m xltools`` works (DESIGN.md §6–§7)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from xltools import __version__
from xltools.cli import cli

CJK = re.compile(r"[\u4e00-\u9fff]")
COMMANDS = sorted(cli.commands)


def test_every_expected_command_is_registered():
    assert set(COMMANDS) >= {"generate", "merge", "check", "report", "demo", "feedback", "ballot", "tally"}


@pytest.mark.parametrize("name", COMMANDS)
def test_every_command_has_chinese_help(name):
    res = CliRunner().invoke(cli, [name, "--help"], prog_name="xltools")
    assert res.exit_code == 0, res.output
    usage, _, body = res.output.partition("\n")
    assert usage.startswith(f"用法：xltools {name} [选项]")
    assert len(CJK.findall(body)) > 20  # a real description, not a stub
    assert "显示本帮助并退出。" in body
    assert "Show this message" not in body and "[required]" not in body
    # click's English type names (INTEGER RANGE, TEXT, PATH …) are not shown as placeholders
    assert not re.search(r"\b(INTEGER|TEXT|PATH|FLOAT|FILENAME|DIRECTORY|RANGE|BOOLEAN)\b", body), body
    for line in body.splitlines():
        m = re.match(r"\s+(--[a-z-]+)", line)
        if m and m.group(1) != "--help":
            # every option is described (its help starts on the same line or the next)
            assert line.strip() != m.group(1)


def test_group_help_lists_the_round():
    res = CliRunner().invoke(cli, ["--help"])
    assert res.exit_code == 0
    for name in ("generate", "check", "merge", "feedback", "report", "ballot", "tally", "demo"):
        assert f"xltools {name}" in res.output


def test_version_and_python_dash_m():
    res = CliRunner().invoke(cli, ["--version"])
    assert res.output.strip() == f"xltools {__version__}"
    proc = subprocess.run([sys.executable, "-m", "xltools", "--version"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0 and proc.stdout.strip() == f"xltools {__version__}"


def test_usage_errors_exit_2_in_chinese():
    res = CliRunner().invoke(cli, ["merge", "pioneer_posts", "somewhere"])
    assert res.exit_code == 2
    assert "缺少选项 '--roster'" in res.output
    res = CliRunner().invoke(cli, ["nosuchcommand"])
    assert res.exit_code == 2 and "没有命令" in res.output
    # click's plural-aware messages (ngettext) too: a newcomer's review met "Did you mean 'check'?"
    res = CliRunner().invoke(cli, ["chek"])
    assert res.exit_code == 2 and "没有命令 'chek'。是否要用 'check'？" in res.output and "Did you" not in res.output
    res = CliRunner().invoke(cli, ["merge", "pioneer_posts", "somewhere", "--roster"])
    assert res.exit_code == 2 and "选项 '--roster' 后面需要一个值" in res.output
    res = CliRunner().invoke(cli, ["merge", "pioneer_posts"])
    assert res.exit_code == 2 and "缺少参数 '报送文件或目录...'。" in res.output  # not '…'.
    res = CliRunner().invoke(cli, ["merge", "pioneer_posts", "x", "--roster", "r", "--out", "o", "--on-duplicate", "new"])
    assert res.exit_code == 2 and "'new' 不是 'newest'、'error' 之一。" in res.output


def test_failure_is_one_line_without_traceback(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "xltools", "generate", str(tmp_path / "missing.yaml"), "--roster", "x.csv",
         "--out", str(tmp_path / "o")],
        capture_output=True, text=True, timeout=60,
    )
    assert proc.returncode == 1
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("错误：") and "missing.yaml" in lines[0]
    assert "Traceback" not in proc.stderr
    debug = subprocess.run(
        [sys.executable, "-m", "xltools", "--debug", "generate", str(tmp_path / "missing.yaml"), "--roster", "x.csv",
         "--out", str(tmp_path / "o")],
        capture_output=True, text=True, timeout=60,
    )
    assert debug.returncode == 1 and "Traceback" in debug.stderr


def test_closed_stdout_ends_quietly():
    """``xltools report --list-vars … | head -1``: the reader of stdout goes away before the
    command writes.  That is not an internal error: click's own EPIPE handling ends the
    command with exit code 1 and nothing on stderr."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "xltools", "report", "--list-vars", "work_report", "commendation"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    proc.stdout.close()  # before the command has started writing (it is still importing)
    with proc.stderr:
        err = proc.stderr.read().decode("utf-8")
    assert proc.wait(timeout=60) == 1
    assert err == ""


def test_merge_summary_says_why_a_copy_was_set_aside(tmp_path):
    # An identical copy was listed as 已被替代 with no word on why ("N 行未计入" alarmed a reader
    # into thinking rows were lost, session 13's note): the summary now gives the ledger's reason.
    root = Path(__file__).resolve().parent.parent / "samples"
    src = sorted((root / "returns" / "final").glob("D01_*.xlsx"))[0]
    (tmp_path / "r" / "copy").mkdir(parents=True)
    (tmp_path / "r" / src.name).write_bytes(src.read_bytes())
    (tmp_path / "r" / "copy" / src.name).write_bytes(src.read_bytes())
    res = CliRunner().invoke(cli, ["merge", "pioneer_posts", str(tmp_path / "r"), "--roster", str(root / "roster.xlsx"),
                                   "--out", str(tmp_path / "汇总表.xlsx")])
    line = next(x for x in res.output.splitlines() if "已被替代" in x)
    assert line == (f"  已被替代：r/{src.name}（区委办；与“r/copy/{src.name}”内容完全相同，其中的 11 行不重复计入）")
