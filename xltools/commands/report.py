"""``xltools report`` — the CLI twin of :func:`xltools.report.report`."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import click

from .._io import readable_name
from ..cli import cli
from ._options import iso_date

#: From this size of the data file on, ``xltools report`` says on stderr what it is reading and
#: drafting: a district's workbook (10,000 rows, 1 MB) is well under it, 100,000 rows (11 MB,
#: half a minute for the compilation) above.
PROGRESS_BYTES = 8 * 2**20


@cli.command("report")
@click.argument("templates", nargs=-1, required=True, metavar="TEMPLATE...")
@click.option(
    "--data",
    metavar="DATA",
    help="xltools merge 生成的汇总表（.xlsx）或汇总指标（.json）。用 .json 时没有逐行数据："
    "通报表彰和事迹汇编需要汇总表。",
)
@click.option(
    "--out",
    metavar="OUT",
    help="输出文件夹（不存在时自动创建），每个模板生成“模板名.docx”（随附模板用中文名，如 汇报材料.docx）；只有一个模板时也可以是 .docx 文件名。",
)
@click.option(
    "--date",
    "report_date",
    callback=iso_date,
    metavar="YYYY-MM-DD",
    help="文稿的成文日期（模板中的 round.date），例如 2006-01-15；默认今天。",
)
@click.option(
    "--tally",
    "tally_json",
    metavar="RESULT.json",
    type=click.Path(dir_okay=False, exists=True),
    help="xltools tally 生成的计票结果 JSON：通报表彰的“十佳”名单按投票结果（top10），不按考核总分。",
)
@click.option(
    "--unit-docs",
    metavar="DIR",
    type=click.Path(file_okay=False),
    help="各单位以 Word 文档（.docx）报送的先进事迹所在的文件夹：文件名含单位代码（如 D23_先进事迹.docx）"
    "或单位名称的，并入事迹汇编该单位一章的开头；对不上单位、对上多个单位或无法打开的文件报错。",
)
@click.option(
    "--list-vars",
    is_flag=True,
    help="不生成文稿，只列出每个模板用到的变量；给了 --data 时用 ✓/✗ 标出数据是否提供。",
)
@click.option(
    "--overwrite",
    is_flag=True,
    help="替换输出位置已有的、生成后又被修改保存过的同名文稿。默认不替换：只要有一份被人改过（在 Word、WPS 中"
    "改好的文稿），就一份也不生成并报错；没改过的照常更新。",
)
def report_command(
    templates: tuple[str, ...],
    data: str | None,
    out: str | None,
    report_date: date | None,
    tally_json: str | None,
    unit_docs: str | None,
    list_vars: bool,
    overwrite: bool,
) -> None:
    """用汇总数据填写 Word 报告模板，生成文稿（GB/T 9704 公文格式）。

    TEMPLATE 是 .docx 模板的路径，或随附模板的名称（英文名或中文名都可以，文稿按中文名保存）：

    \b
      work_report         汇报材料（基本情况、工作成效、各部门设岗情况附件）
      commendation        通报表彰：“十佳”党员先锋岗（需要汇总表）
      deeds_compilation   先进事迹汇编（封面、带页码的目录、逐岗事迹；需要汇总表）

    模板用 Jinja2 标记（{{ posts_total }}、{% for %}），可用的变量和过滤器见
    README.md 的“起草”一节。缺少变量、标记写错或用了全角符号（｛％ ％｝）时不生成任何文件，
    并指出是哪个模板、哪一段。

    \b
    示例：
      xltools report work_report commendation deeds_compilation --data 汇总表.xlsx --out 文稿
      xltools report 我的模板.docx --data 汇总指标.json --out 汇报.docx --date 2006-01-15
      xltools report deeds_compilation --data 汇总表.xlsx --unit-docs 单位事迹 --out 事迹汇编.docx
      xltools report work_report --list-vars --data 汇总表.xlsx
    """
    from ..report import (
        forms_used,
        list_template_vars,
        load_report_data,
        missing_hint,
        provides,
        refuse_edited_drafts,
        report,
        report_context,
        resolve_template,
    )

    if list_vars:
        listed = [(resolve_template(template), list_template_vars(template)) for template in templates]
        needed = {name for _path, names in listed for name in names}
        context = report_context(data, date=report_date, needed=needed) if data else None
        for path, names in listed:
            click.echo(f"{path.name}：用到 {len(names)} 个变量")
            for name in names:
                mark = "" if context is None else ("✓ " if provides(context, name) else "✗ ")
                click.echo(f"  {mark}{name}")
            if context is not None:
                missing = [n for n in names if not provides(context, n)]
                if missing:
                    click.echo(f"  数据缺少 {len(missing)} 个：{', '.join(missing)}{missing_hint(context, missing)}")
        return
    if not data:
        raise click.UsageError("缺少 --data（xltools merge 生成的汇总表 .xlsx 或汇总指标 .json）")
    if not out:
        raise click.UsageError("缺少 --out（输出文件夹，或只有一个模板时的 .docx 文件名）")
    if not overwrite:  # a draft somebody finished is named before a city's workbook is read
        refuse_edited_drafts(templates, out)
    extra = None
    if tally_json:
        from ..ballot import load_tally_top10

        extra = {"top10": load_tally_top10(tally_json)}
    # A city's workbook takes a while to read and its compilation half an hour to draft: say
    # what is happening, on stderr, rather than stay silent.
    data_path = Path(data)
    size = data_path.stat().st_size if data_path.is_file() else 0
    talk = size >= PROGRESS_BYTES
    if talk:
        click.echo(f"正在读取汇总表 {data_path.name}（{size / 2**20:.0f} MB）…", err=True)
    # read once, only the forms the templates reach: the drafts and the warning below use it
    loaded, _ = load_report_data(data, forms_used(templates, extra))
    written = report(list(templates), loaded, out, date=report_date, extra=extra, unit_docs=unit_docs,
                     overwrite=overwrite, progress=(lambda i, n, name: click.echo(f"正在起草 {i}/{n}：{name} …", err=True)) if talk else None)
    counts = loaded.get("counts") or {}
    if counts.get("missing") or counts.get("errors"):
        # only what there is: "0 个单位未报送" next to 154 errors read as a contradiction (a review)
        said = [f"{counts[key]} {what}" for key, what in (("missing", "个单位未报送"), ("errors", "个错误"),
                                                         ("rows_rejected", "行被退回")) if counts.get(key)]
        click.echo(f"注意：这次汇总还有 {'、'.join(said)}，文稿中的数字可能不完整，请在最终汇总后重新生成", err=True)
    for path in written:
        click.echo(f"  {path}")
    where = Path(out) if len(written) > 1 or Path(out).suffix.lower() != ".docx" else written[0]
    click.echo(f"已生成 {len(written)} 份文稿 → {readable_name(str(where))}")
