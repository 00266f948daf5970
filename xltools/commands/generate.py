"""``xltools generate`` — the CLI twin of :func:`xltools.generate.generate`."""

from __future__ import annotations

import contextlib
import sys
from datetime import date
from pathlib import Path

import click

from .._io import readable_name
from ..cli import cli
from ..forms import load_form_definition
from ..generate import default_generated_date, generate, resolve_form_definition
from ..roster import load_roster
from ._options import iso_date

#: Above this many workbooks a progress bar is shown on stderr.
PROGRESS_THRESHOLD = 5




@cli.command("generate")
@click.argument("form_definition", metavar="FORM_DEFINITION")
@click.option(
    "--roster",
    "roster_path",
    required=True,
    metavar="ROSTER",
    help="填报单位名单（.xlsx 或 .csv，须有“单位代码”“单位名称”两列）。",
)
@click.option(
    "--out",
    "out_dir",
    required=True,
    metavar="DIR",
    help="输出文件夹；不存在时自动创建（其上级文件夹须已存在）。",
)
@click.option(
    "--deadline",
    callback=iso_date,
    metavar="YYYY-MM-DD",
    help="报送截止日期，例如 2006-03-31；写入填表说明和标识。默认用表单定义中的 deadline。",
)
@click.option(
    "--date",
    "generated",
    callback=iso_date,
    metavar="YYYY-MM-DD",
    help="生成日期，写入标识和文档属性；默认今天（设置了 SOURCE_DATE_EPOCH 时用它）。"
    "日期相同则生成的文件逐字节相同。",
)
@click.option(
    "--overwrite",
    is_flag=True,
    help="覆盖输出文件夹中已填有数据的同名工作簿。默认不覆盖：文件夹中的同名文件只要填有数据"
    "（例如误放进来的报送文件），就一个也不生成并报错；未填写的同名登记表照常更新。",
)
def generate_command(
    form_definition: str,
    roster_path: str,
    out_dir: str,
    deadline: date | None,
    generated: date | None,
    overwrite: bool,
) -> None:
    """按表单定义和填报单位名单，为每个填报单位生成一个带标识的登记表工作簿。

    FORM_DEFINITION 是表单定义（YAML 文件）的路径，或随附表单定义的名称，例如 pioneer_posts。

    \b
    每个工作簿命名为“单位代码_单位名称_表单标题.xlsx”，包含：
      填表说明   填写要求、报送截止日期、联系人和表格清单
      各登记表   表头、下拉列表和填写提示；只有白色单元格可以填写
      标识       隐藏的 _meta 工作表和文档属性，汇总时据此识别报送单位

    \b
    示例：
      xltools generate pioneer_posts --roster 名单.xlsx --out 下发 --deadline 2006-03-31
    """
    definition = load_form_definition(resolve_form_definition(form_definition))
    roster = load_roster(roster_path)
    kwargs = {"deadline": deadline.isoformat() if deadline else "", "generated": generated, "overwrite": overwrite}
    if len(roster) > PROGRESS_THRESHOLD:
        # The bar starts with the first workbook written: a round refused before that (a filled
        # workbook in the way) shows only its error.
        with contextlib.ExitStack() as stack:
            bars: list = []

            def tick(*_: object) -> None:
                if not bars:
                    bars.append(stack.enter_context(
                        click.progressbar(length=len(roster), label="正在生成工作簿", file=sys.stderr)))
                bars[0].update(1)

            paths = generate(definition, roster, out_dir, progress=tick, **kwargs)
    else:
        paths = generate(definition, roster, out_dir, **kwargs)
    click.echo(f"已生成 {len(paths)} 个工作簿 → {readable_name(str(Path(out_dir)))}")
    # a definition reused from an earlier round keeps its deadline: the units would be given
    # one already past (a review)
    stamped_deadline = kwargs["deadline"] or definition.deadline  # the definition's is read as YYYY-MM-DD
    issued = generated or default_generated_date()
    if stamped_deadline and date.fromisoformat(stamped_deadline) < issued:
        fix = ("请改正 --deadline 后重新生成" if kwargs["deadline"]
               else "请在表单定义中改正 deadline，或加 --deadline 重新生成")
        click.echo(f"注意：报送截止日期 {stamped_deadline} 早于生成日期 {issued.isoformat()}，各单位会看到一个已经过去的截止日期；"
                   f"如需新的截止日期，{fix}", err=True)
