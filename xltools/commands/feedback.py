"""``xltools feedback`` — the CLI twin of :func:`xltools.feedback.feedback`."""

from __future__ import annotations

import click

from .._io import readable_name, readable_text
from ..cli import cli
from ..forms import load_form_definition
from ..resources import resolve_form_definition
from ._options import iso_date

_LIST_LIMIT = 10




@cli.command("feedback")
@click.argument("returns", nargs=-1, required=True, metavar="报送文件或目录...")
@click.option("--form", "form_definition", required=True, metavar="表单定义",
              help="表单定义（YAML 路径，或随附定义的名称如 pioneer_posts）。")
@click.option("--roster", required=True, type=click.Path(dir_okay=False), help="填报单位名单（.xlsx 或 .csv）。")
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False),
              help="输出文件夹；不存在时自动创建（上级目录须已存在）。不能放在报送文件所在的文件夹里。")
@click.option("--deadline", callback=iso_date, metavar="YYYY-MM-DD",
              help="重新报送和催报的截止日期，例如 2006-01-20；默认用登记表标识中的截止日期。")
def feedback_command(returns, form_definition, roster, out_dir, deadline):
    """汇总后生成退回修改的工作簿和催报名单。

    \b
    对每个有错误的单位，复制它自己报送的工作簿，生成“单位代码_单位名称_退回修改.xlsx”：
      出错的单元格标红、有警告的标黄，并加批注写明问题；
      第一张工作表“退回说明”列出全部问题，点击单元格地址可跳到该单元格。
    .xls、.ods、.csv 报送文件按下发的登记表重新生成 .xlsx 并填入原数据。
    报送文件本身不会被修改。未报送的单位写入“催报名单.xlsx”和“催报名单.txt”。

    \b
    示例：
      xltools feedback 第一轮 --form pioneer_posts --roster 名单.xlsx --out 退回 --deadline 2006-01-20
    """
    from ..feedback import feedback

    definition = load_form_definition(resolve_form_definition(form_definition))
    result = feedback(definition, roster, returns, out_dir, deadline=deadline.isoformat() if deadline else "")
    for c in result.corrections:
        click.echo(f"  退回：{c.unit.code} {c.unit.name}（错误 {c.errors} 个，警告 {c.warnings} 个）→ {readable_name(c.path.name)}")
    for u in result.missing[:_LIST_LIMIT]:
        contact = "，".join(x for x in (u.contact, u.phone) if x)
        click.echo(f"  催报：{u.code} {u.name}" + (f"（{contact}）" if contact else ""))
    if len(result.missing) > _LIST_LIMIT:
        click.echo(f"  …… 等共 {len(result.missing)} 个单位，完整名单见 {result.chase_xlsx.name}")
    click.echo(readable_text(result.summary))
