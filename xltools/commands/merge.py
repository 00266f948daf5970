"""``xltools merge`` and ``xltools check``."""

from __future__ import annotations

import json
import re
import sys
import unicodedata
from pathlib import Path

import click

from .._io import readable_name, refuse_among_returns, refuse_same_file
from ..cli import cli
from ..consolidated import figures_json, write_consolidated, write_figures_json
from ..forms import load_form_definition
from ..merge import MISSING, SUPERSEDED, UNKNOWN_UNIT, Consolidation, check, merge
from ..readers import Limits
from ..resources import resolve_form_definition

_LIST_LIMIT = 10


def _limits(max_mb: int | None, max_rows: int | None) -> Limits:
    kwargs = {}
    if max_mb:
        kwargs["max_uncompressed_bytes"] = max_mb * 2**20
    if max_rows:
        kwargs["max_rows_per_sheet"] = max_rows
    return Limits(**kwargs)


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * max(0, width - _width(text))


def _progress(total_hint: str):
    bar = None

    def update(done: int, total: int, path: str) -> None:
        nonlocal bar
        if total <= 5:
            return
        if bar is None:
            bar = click.progressbar(length=total, label=total_hint, file=sys.stderr)
            bar.__enter__()
        bar.update(1)
        if done == total:
            bar.__exit__(None, None, None)

    return update


def summary_lines(cons: Consolidation, out: Path | None = None, json_out: Path | None = None) -> list[str]:
    """The closing summary of a merge, in Chinese (also used by ``xltools demo``)."""
    c = cons.counts
    # returned, but nothing in their files could be used (the 无法读取/无法识别 lines below name
    # the files): 已报送 alone hid them
    again = [f"{c['unusable']} 个单位的文件无法使用"] if c.get("unusable") else []
    again += [f"{c['empty']} 个单位报回的是空表"] if c.get("empty") else []
    unusable = f"（其中 {'、'.join(again)}，需重新报送）" if again else ""
    lines = [f"报送情况：已报送 {c['returned']}/{c['units']} 个单位{unusable}，未报送 {c['missing']} 个"]
    missing = [e for e in cons.ledger if e.status == MISSING]
    for e in missing[:_LIST_LIMIT]:
        contact = "，".join(x for x in (e.contact, e.phone) if x)
        lines.append(f"  未报送：{e.code} {e.name}" + (f"（{contact}）" if contact else ""))
    if len(missing) > _LIST_LIMIT:
        lines.append(f"  …… 等共 {len(missing)} 个单位未报送，完整名单见汇总表的“报送情况”")
    empty = [e for e in cons.ledger if e.returned_blank]  # counts["empty"]
    if empty:
        shown = "、".join(f"{e.code} {e.name}" for e in empty[:_LIST_LIMIT])
        lines.append(f"  报回空表（各登记表都没有填写数据）：{shown}"
                     + ("……" if len(empty) > _LIST_LIMIT else ""))
    for e in cons.ledger:
        if e.status == SUPERSEDED:
            lines.append(f"  已被替代：{e.files[0]}（{e.name}；{e.reason}）" if e.reason else f"  已被替代：{e.files[0]}（{e.name}）")
        elif not e.code:
            lines.append(f"  {e.status}：{e.files[0]}（{e.reason}）")
    if c.get("skipped"):
        lines.append(f"  已跳过 {c['skipped']} 个临时或系统文件")
    lines.append(f"读取 {c['rows_read']} 行 = 采用 {c['rows_accepted']} 行 + 退回 {c['rows_rejected']} 行"
                 + (f"（另有 {c['rows_superseded']} 行在被替代的文件中，未计入）" if c.get("rows_superseded") else ""))
    if not c.get("files"):
        lines.append("没有找到任何报送文件，请检查路径")
    lines.append(f"问题：错误 {c['errors']} 个，警告 {c['warnings']} 个" + ("（详见汇总表的“问题清单”）" if out and (c['errors'] or c['warnings']) else ""))
    if out:
        lines.append(f"汇总表 → {readable_name(str(out))}")
    if json_out:
        lines.append(f"汇总指标 JSON → {readable_name(str(json_out))}")
    return lines


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _terminal_text(text: str) -> str:
    """``text`` fit for one line of the terminal: tabs and line breaks as spaces, other control
    characters (a unit's cell may hold them) as “?”: one issue, one line."""
    return _CONTROL.sub(lambda m: " " if m.group() in "\t\n\r" else "?", str(text))


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


@cli.command("merge")
@click.argument("form_definition", metavar="表单定义")
@click.argument("returns", nargs=-1, required=True, metavar="报送文件或目录...")
@click.option("--roster", required=True, type=click.Path(dir_okay=False), help="填报单位名单（.xlsx 或 .csv）。")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False), help="汇总表的保存路径（.xlsx）。")
@click.option("--json", "json_out", type=click.Path(dir_okay=False), help="另存汇总指标 JSON（供 xltools report 使用）。")
@click.option("--on-duplicate", type=click.Choice(["newest", "error"]), default="newest", show_default=True,
              help="同一单位重复报送时：newest 采用较新的文件；error 同样采用较新的，但记为错误。")
@click.option("--jobs", type=click.IntRange(1, 64), default=None, metavar="进程数", help="并行读取的进程数（默认：CPU 核数）。")
@click.option("--max-mb", type=click.IntRange(1), default=None, metavar="MB", help="单个报送文件解压后的大小上限（MB，默认 1024）。")
@click.option("--max-rows", type=click.IntRange(1), default=None, metavar="行数", help="每个工作表的行数上限（默认 1048576）。")
def merge_command(form_definition, returns, roster, out, json_out, on_duplicate, jobs, max_mb, max_rows):
    """汇总报送文件：生成汇总表（汇总指标、各表明细、分单位统计、报送情况、问题清单）。

    \b
    报送文件可以是文件或目录（递归查找 .xlsx .xlsm .xls .ods .csv；目录中的其他文件
    列为“无法读取”，便于发现报错了格式的单位），临时文件（~$*.xlsx）和系统文件会被跳过。
    报送文件本身不会被修改；汇总表不能保存在报送文件所在的目录中。
    有错误时仍会生成汇总表，退出码为 1；没有错误时为 0。

    \b
    示例：
      xltools merge pioneer_posts samples/returns/final --roster samples/roster.xlsx --out 汇总表.xlsx --json 汇总指标.json
    """
    definition_path = resolve_form_definition(form_definition)
    definition = load_form_definition(definition_path)
    inputs = ((roster, "填报单位名单"), (definition_path, "表单定义"))
    for target, what in ((out, "汇总表"), (json_out, "汇总指标 JSON")):
        if target:
            refuse_among_returns(target, returns, what)
            for source, source_what in inputs:
                refuse_same_file(target, source, what, source_what)
    if json_out:
        refuse_same_file(json_out, out, "汇总指标 JSON", "汇总表")
    cons = merge(definition, roster, returns, on_duplicate=on_duplicate, jobs=jobs,
                 limits=_limits(max_mb, max_rows), progress=_progress("读取报送文件"))
    out_path = write_consolidated(cons, out)
    json_path = write_figures_json(cons, json_out) if json_out else None
    for line in summary_lines(cons, out_path, json_path):
        click.echo(line)
    sys.exit(1 if cons.has_errors else 0)


@cli.command("check")
@click.argument("return_file", metavar="报送文件", type=click.Path(dir_okay=False))
@click.option("--form", "form_definition", required=True, metavar="表单定义", help="表单定义（YAML 路径，或随附定义的名称如 pioneer_posts）。")
@click.option("--roster", type=click.Path(dir_okay=False), default=None, help="填报单位名单（可选；用于核对单位）。")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出问题。")
def check_command(return_file, form_definition, roster, as_json):
    """检查一个报送文件：按汇总的规则读取、识别和校验，列出全部问题。

    有错误时退出码为 1。填报单位自查或党工委收件时使用。
    """
    definition = load_form_definition(resolve_form_definition(form_definition))
    res = check(return_file, definition, roster)
    if as_json:
        click.echo(json.dumps({
            "file": res.path, "status": res.status, "unit_code": res.unit_code, "unit_name": res.unit_name,
            "rows_read": res.rows_read, "rows_accepted": res.rows_accepted, "rows_rejected": res.rows_rejected,
            "issues": [i.to_dict() for i in res.issues],
        }, ensure_ascii=False, indent=2))
        sys.exit(1 if res.has_errors else 0)
    who = f"{res.unit_code} {res.unit_name}".strip() if res.unit_code not in ("", UNKNOWN_UNIT) else "（未识别）"
    click.echo(f"文件：{res.path}")
    click.echo(f"填报单位：{who}")
    if res.reason:
        click.echo(f"说明：{res.reason}")
    if res.issues:
        head = ("级别", "工作表", "单元格", "字段", "原值", "问题")
        rows = [tuple(map(_terminal_text, (i.level, i.sheet, i.cell or (f"第{i.row}行" if i.row else ""), i.field,
                                      _cut(i.raw, 20), i.message)))
                for i in res.issues]
        widths = [min(max(_width(str(r[k])) for r in [head, *rows]), 24) for k in range(5)]
        click.echo("  ".join(_pad(h, w) for h, w in zip(head[:5], widths)) + "  " + head[5])
        for r in rows:
            click.echo("  ".join(_pad(str(v), w) for v, w in zip(r[:5], widths)) + "  " + r[5])
    n_err = sum(1 for i in res.issues if i.is_error)
    click.echo(f"读取 {res.rows_read} 行 = 采用 {res.rows_accepted} 行 + 退回 {res.rows_rejected} 行；"
               f"错误 {n_err} 个，警告 {len(res.issues) - n_err} 个")
    sys.exit(1 if res.has_errors else 0)


__all__ = ["merge_command", "check_command", "summary_lines", "figures_json"]
