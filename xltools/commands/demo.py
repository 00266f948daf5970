"""``xltools demo``."""

from __future__ import annotations

import click

from ..cli import cli


@cli.command("demo")
@click.option("--out", "out", default="xltools-demo", show_default=True, type=click.Path(file_okay=False),
              help="输出目录。")
@click.option("--jobs", type=click.IntRange(1, 64), default=None, metavar="进程数", help="汇总时并行读取的进程数（默认：CPU 核数）。")
def demo_command(out, jobs):
    """用随附的示例数据演示一次完整的填报：下发、第一轮汇总、最终汇总、起草文稿。

    \b
    示例数据是区直机关 48 个部门的“党员先锋岗工作台账”：第一轮有 3 个单位未报送、
    1 个单位重复报送、若干填错的单元格；最终各单位全部报送。输出写入 --out 目录。
    """
    from ..demo import demo

    demo(out, say=click.echo, jobs=jobs)
