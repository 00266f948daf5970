"""``xltools ballot`` and ``xltools tally`` — the CLI twins of :func:`xltools.ballot.ballot` and
:func:`xltools.ballot.tally` (+ :func:`xltools.ballot.write_tally`)."""

from __future__ import annotations

from pathlib import Path

import click

from .._io import readable_name
from ..cli import cli
from ._options import iso_date


@cli.command("ballot")
@click.option("--candidates", required=True, type=click.Path(dir_okay=False), metavar="汇总表.xlsx",
              help="xltools merge 生成的汇总表；候选名单为其中“先锋岗登记表”的全部先锋岗，按填报单位顺序。")
@click.option("--voters", required=True, metavar="N|ROSTER",
              help="选票张数，或填报单位名单（每个单位一张，选票与单位不对应）。")
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False), metavar="DIR",
              help="输出文件夹；不存在时自动创建。")
@click.option("--deadline", callback=iso_date, metavar="YYYY-MM-DD", help="交回选票的截止日期（写入填表说明）。")
@click.option("--date", "generated", callback=iso_date, metavar="YYYY-MM-DD",
              help="生成日期，写入标识和文档属性；默认今天。日期相同则生成的文件逐字节相同。")
@click.option("--overwrite", is_flag=True,
              help="覆盖输出文件夹中已填写推荐的同名选票。默认不覆盖：同名文件只要填了推荐（交回的选票）"
                   "或不是选票，就一张也不生成并报错；未填写的同名选票照常更新。")
def ballot_command(candidates, voters, out_dir, deadline, generated, overwrite):
    """生成“十佳”党员先锋岗无记名推荐票：选票_001.xlsx、选票_002.xlsx ……

    \b
    每张选票列出全部候选先锋岗（序号、单位、先锋岗名称），只有“推荐”栏可以填写，
    只能选择 √，最多推荐 10 个。选票只带选票编号，不含任何投票单位的信息；
    选票编号在各文件间打乱，文件名和编号都不对应任何单位。

    \b
    示例：
      xltools ballot --candidates 汇总表.xlsx --voters samples/roster.xlsx --out 选票
      xltools ballot --candidates 汇总表.xlsx --voters 30 --out 选票 --deadline 2006-01-25
    """
    from ..ballot import ballot

    paths = ballot(candidates, voters, out_dir, deadline=deadline.isoformat() if deadline else "",
                   generated=generated, overwrite=overwrite)
    click.echo(f"已生成 {len(paths)} 张选票 → {readable_name(str(Path(out_dir)))}")


@cli.command("tally")
@click.argument("ballots", nargs=-1, required=True, metavar="选票文件或目录...")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False), metavar="RESULT.xlsx",
              help="计票结果工作簿（计票结果、选票明细、废票）。")
@click.option("--json", "json_out", type=click.Path(dir_okay=False), metavar="RESULT.json",
              help="另存计票结果 JSON（前十名，供通报表彰使用）。")
def tally_command(ballots, out, json_out):
    """统计交回的“十佳”推荐票。

    \b
    废票：不是选票；选票编号被改动或重复（重复的各份均作废）；候选名单被改动；
    推荐栏以外写有内容；推荐栏填了 √ 以外的内容（√ ✓ ✔ 是 1 Y 都算推荐）；推荐超过 10 个。
    一个也未推荐的为空白票，单独统计，不计入有效票。得票率按有效票计算，保留一位小数（四舍五入）。
    第 10 名有并列时全部列出并注明“并列”，由党工委研究确定。

    \b
    示例：
      xltools tally 交回的选票 --out 计票结果.xlsx --json 计票结果.json
    """
    from ..ballot import summary_lines, tally, write_tally

    result = tally(ballots)
    out_path, json_path = write_tally(result, out, json_out)
    for line in summary_lines(result):
        click.echo(line)
    for s in result.top10:
        share = "—" if s.share is None else f"{s.share}％"
        tie = "（并列）" if s.tie else ""
        click.echo(f"  {s.rank:>2}. {s.candidate.unit_name}“{s.candidate.post_name}” {s.votes} 票，{share}{tie}")
    click.echo(f"计票结果 → {readable_name(str(out_path))}")
    if json_path:
        click.echo(f"计票结果 JSON → {readable_name(str(json_path))}")
