"""``xltools demo``: the seed's collection round, end to end, on the bundled sample.

Steps (each narrated in Chinese through ``say``):

1. generate the blank registration workbooks for the 48 units of ``samples/roster.xlsx``;
2. merge round 1 (``samples/returns/round1``: three units missing, a superseded copy, bad cells);
3. merge the final returns (``samples/returns/final``: all 48, clean);
4. render the three bundled Word templates from the final consolidated workbook.

Everything is written under ``out`` (default ``./xltools-demo``); the bundled files are read
through :func:`xltools.resources.bundled` and never modified.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from .consolidated import write_consolidated, write_figures_json
from .errors import FilesInTheWay
from .forms import load_form_definition
from .generate import generate
from .merge import DUPLICATE, HAS_ERRORS, MISSING, SUPERSEDED, Consolidation, merge
from .resources import bundled
from .roster import load_roster

REPORT_TEMPLATES = ("work_report", "commendation", "deeds_compilation")
#: The seed round's dates: the workbooks were issued on 2006-01-04 with a deadline of 2006-01-20;
#: the drafts are dated after the final merge.
ISSUED = _dt.date(2006, 1, 4)
DEADLINE = "2006-01-20"
REPORT_DATE = _dt.date(2006, 2, 10)


@dataclass
class DemoResult:
    """Where the demo wrote everything, and the two consolidations."""

    out: Path
    blanks: list[Path]
    round1: Consolidation
    final: Consolidation
    round1_workbook: Path
    final_workbook: Path
    final_json: Path
    reports: list[Path] = field(default_factory=list)


@contextlib.contextmanager
def _no_overwrite_in_demo() -> Iterator[None]:
    """A refusal to replace a file somebody changed (generate, report) as the demo can act on
    it: the demo has no --overwrite, so the way on is another --out (a third review)."""
    try:
        yield
    except FilesInTheWay as exc:
        raise exc.saying("xltools demo 不覆盖改过的文件：请用 --out 换一个目录") from None


def demo(out: str | Path = "xltools-demo", *, say: Callable[[str], None] = print,
         jobs: int | None = None, report_date: _dt.date | None = None) -> DemoResult:
    """Run the whole round on the bundled sample into ``out`` and narrate it with ``say``.

    Returns a :class:`DemoResult`.  Raises :class:`~xltools.errors.XltoolsError` if the bundled
    kit is missing or an output cannot be written."""
    from .report import refuse_edited_drafts, report

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    definition = load_form_definition(bundled("templates", "xlsx", "pioneer_posts.yaml"))
    roster = load_roster(bundled("samples", "roster.xlsx"))
    returns = bundled("samples", "returns")
    templates = [bundled("templates", "docx", f"{name}.docx") for name in REPORT_TEMPLATES]

    say(f"第 1 步  下发：为名单中的 {len(roster)} 个单位生成《{definition.title}》（截止日期 {DEADLINE}）")
    with _no_overwrite_in_demo():
        # drafts edited in an earlier demo are named before step 1 rewrites anything
        refuse_edited_drafts(templates, out / "4-文稿")
        blanks = generate(definition, roster, out / "1-下发登记表", deadline=DEADLINE, generated=ISSUED)
    say(f"        已生成 {len(blanks)} 个工作簿 → {out / '1-下发登记表'}")

    say("第 2 步  第一轮汇总：截止日收到的报送文件（samples/returns/round1）")
    r1 = merge(definition, roster, [returns / "round1"], jobs=jobs)
    (out / "2-第一轮汇总").mkdir(exist_ok=True)
    r1_book = write_consolidated(r1, out / "2-第一轮汇总" / "汇总表.xlsx")
    c = r1.counts
    say(f"        已报送 {c['returned']}/{c['units']} 个单位，未报送 {c['missing']} 个：")
    for e in r1.ledger:
        if e.status == MISSING:
            say(f"          · {e.name}（{e.code}）联系人 {e.contact}，电话 {e.phone}")
    for e in r1.ledger:
        if e.status == SUPERSEDED:
            say(f"        重复报送：{e.name} 的“{Path(e.files[0]).name}”已被较新的文件替代")
    with_errors = [e for e in r1.ledger if e.status == HAS_ERRORS]
    dup = [e for e in r1.ledger if e.status == DUPLICATE]
    say(f"        读取 {c['rows_read']} 行 = 采用 {c['rows_accepted']} 行 + 退回 {c['rows_rejected']} 行；"
        f"问题 {c['errors'] + c['warnings']} 个（错误 {c['errors']}，警告 {c['warnings']}），"
        f"{len(with_errors)} 个单位需要退回修改" + (f"，{len(dup)} 个单位重复报送" if dup else ""))
    for e in with_errors:
        say(f"          · {e.name}：错误 {e.errors} 个")
    say(f"        汇总表 → {r1_book}（见“报送情况”和“问题清单”）")

    say("第 3 步  最终汇总：各单位修改后重新报送（samples/returns/final）")
    final = merge(definition, roster, [returns / "final"], jobs=jobs)
    (out / "3-最终汇总").mkdir(exist_ok=True)
    final_book = write_consolidated(final, out / "3-最终汇总" / "汇总表.xlsx")
    final_json = write_figures_json(final, out / "3-最终汇总" / "汇总指标.json")
    c = final.counts
    f = final.figures
    say(f"        已报送 {c['returned']}/{c['units']} 个单位；读取 {c['rows_read']} 行 = 采用 {c['rows_accepted']} 行 + "
        f"退回 {c['rows_rejected']} 行；错误 {c['errors']} 个，警告 {c['warnings']} 个")
    say(f"        共建立“党员先锋岗”{f['posts_total']}个，其中窗口单位{f['window_posts']}个，"
        f"党员责任人{f['leaders']}人，参与党员{f['members']}人")
    say(f"        汇总表 → {final_book}；汇总指标 → {final_json}")

    say("第 4 步  起草文稿：用最终汇总表填写汇报材料、通报表彰、先进事迹汇编")
    reports = report(templates, final_book, out / "4-文稿", date=report_date or REPORT_DATE)
    for p in reports:
        say(f"        {p}")
    say(f"完成。全部输出在 {out.resolve()}")
    return DemoResult(out=out, blanks=blanks, round1=r1, final=final, round1_workbook=r1_book,
                      final_workbook=final_book, final_json=final_json, reports=reports)


__all__ = ["DemoResult", "demo"]
