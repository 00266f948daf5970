"""The “十佳” ballot (十佳评选): issue anonymous ballots and count them.

The seed's committee chose the top ten posts by anonymous vote (无记名投票).  :func:`ballot`
writes one workbook per ballot, :func:`tally` counts the returned ballots, and
:func:`write_tally` writes the result workbook and the JSON that feeds ``commendation.docx``.

**The ballot** (form definition ``templates/xlsx/top10_ballot.yaml``: title, issuer, contact,
instructions, sheet name and the four labels 序号 / 单位 / 先锋岗名称 / 推荐).  The candidates are
every registered post of the consolidated workbook's 先锋岗登记表, in roster order.  Each
workbook (XlsxWriter, no formula anywhere) has: 填表说明; the ballot sheet laid out like a
registration form (:mod:`xltools.stamp`: row 1 title, row 2 identity line with the ballot
number, row 3 header, one candidate per row from row 4), every cell locked except 推荐, whose
only choice is √; a hidden ``_candidates`` sheet (序号, 单位代码, 单位名称, 先锋岗名称, 所在科室,
党员责任人) for the count; and the stamp — the hidden ``_meta`` sheet and ``xltools_*`` custom
properties with ``form_id``, ``ballot_no``, ``ballots_issued``, ``candidates_fingerprint`` …
Nothing in a ballot identifies the voter: all ballots of an issue are identical but for the
ballot number, and the numbers 1…N are shuffled over the files ``选票_001.xlsx`` … by a
deterministic permutation seeded by the candidates, so neither a file's name nor its position
in any list tells who received it.

**The count** (:func:`tally`).  A ballot is 废票 (invalid), with every reason found, when:

* it is not a ballot: unreadable, no ballot stamp, the stamp of another form;
* its ballot number was changed (the stamp carriers disagree) or is outside 1…issued;
* it belongs to another issue (its candidates fingerprint differs from the one most ballots
  carry), or its candidate list was altered (a row deleted, added or edited; the hidden list no
  longer matches the fingerprint);
* anything is written outside the 推荐 column of the candidate rows (无记名: no marks);
* a 推荐 cell holds something that is not a mark: marks are ``√ ✓ ✔ 是 1 Y`` (full-width forms and
  lower-case ``y`` included, surrounding spaces ignored, a number 1 or TRUE too); a blank cell
  is no mark; anything else (``× 0 否``, other text) voids the ballot;
* it marks more than 10 candidates;
* its ballot number occurs on more than one returned file: ALL copies are void, since which one
  is genuine cannot be told (common practice for duplicated ballot numbers).  A ballot whose
  number was changed is void for that and does not void the ballot whose number it took.

A ballot with no mark and no other fault is a 空白票 (blank ballot): returned, counted
separately, not a valid ballot.  Shares are of the valid ballots:
``votes / valid × 100`` rounded to one decimal, ``ROUND_HALF_UP``.  Candidates are ranked by votes
(competition ranking 1, 2, 2, 4; ties listed in candidate order); only candidates with at
least one vote enter the top ten.  A tie across the tenth place is never broken: every tied
candidate is listed (so the top ten has more than ten entries), ``tie_at_10`` is true and the
result sheet says 并列 — the committee decides.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
import unicodedata
import warnings
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import xlsxwriter

from . import stamp
from ._dates import iso_deadline
from ._io import atomic_path, prepare_dir, refuse_filled, refuse_folders
from .errors import DataError, FormDefinitionError, OutputError, ReturnReadError, XltoolsError
from .forms import Form, FormDefinition, load_form_definition, normalise_label
from .generate import default_generated_date
from .issues import cell_address
from .layout import wrapped_lines
from .readers import CellError, Limits, ReturnWorkbook, SheetData, find_returns, read_return
from .resources import bundled
from .roster import Roster, load_roster

#: How many posts a ballot may recommend (“十佳”).
TOP_N = 10
#: Hidden sheet with the candidate list (same in every ballot of an issue).
CANDIDATES_SHEET = "_candidates"
#: Form definition of the ballot in the bundled kit.
BALLOT_DEFINITION = "top10_ballot"
#: The fields the ballot form must have, in this order.
BALLOT_FIELDS = ("number", "unit_name", "post_name", "mark")
#: Ballot status in the result (选票明细).
VALID = "有效"
BLANK = "空白票"
INVALID = "废票"
#: Values that count as a mark in 推荐 (after NFKC, stripping and case folding).
MARKS = frozenset({"√", "✓", "✔", "是", "1", "y"})

_CANDIDATE_HEADER = ("序号", "单位代码", "单位名称", "先锋岗名称", "所在科室", "党员责任人")
_NUMBER_RE = re.compile(r"选票编号\s*(\d+)")
_HEADER_SCAN_ROWS = 30
_FONT = "宋体"


@dataclass(frozen=True)
class Candidate:
    """One post on the ballot: ``number`` (序号, from 1), the unit's code and name, the post's
    name, and for the commendation its 所在科室 and 党员责任人 (``""`` when unknown)."""

    number: int
    unit_code: str
    unit_name: str
    post_name: str
    department: str = ""
    leaders: str = ""


def candidates_fingerprint(candidates: Sequence[Candidate]) -> str:
    """16 hex digits identifying a candidate list: SHA-256 over each candidate's number, unit
    code, unit name and post name (normalised with :func:`xltools.forms.normalise_label`)."""
    text = "\x1e".join(
        "\x1f".join((str(c.number), normalise_label(c.unit_code), normalise_label(c.unit_name),
                     normalise_label(c.post_name)))
        for c in candidates
    )
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def load_candidates(consolidated: str | Path) -> list[Candidate]:
    """The candidates from a consolidated workbook (``xltools merge --out``): every row of its
    先锋岗登记表 (``read_consolidated(path)["forms"]["posts"]``), in roster order, numbered from 1.
    Raises :class:`~xltools.errors.DataError` when the workbook is not a consolidated workbook or
    has no registered post."""
    from .consolidated import read_consolidated

    data = read_consolidated(consolidated)
    rows = (data.get("forms") or {}).get("posts") or []
    out: list[Candidate] = []
    for r in rows:
        post = _text(r.get("post_name"))
        if not post:
            continue
        out.append(Candidate(number=len(out) + 1, unit_code=_text(r.get("unit_code")),
                             unit_name=_text(r.get("unit_name")), post_name=post,
                             department=_text(r.get("department")), leaders=_text(r.get("leaders"))))
    if not out:
        raise DataError(f"{consolidated}：汇总表中没有先锋岗登记表的数据，无法生成选票；请先汇总各单位的登记表")
    return out


def ballot_definition(path: str | Path | None = None) -> tuple[FormDefinition, Form]:
    """Load the ballot's form definition (default: the bundled ``top10_ballot.yaml``) and return
    it with its form.  Raises :class:`~xltools.errors.FormDefinitionError` when it does not have
    exactly one form with the fields ``number, unit_name, post_name, mark`` (``mark`` a choice)."""
    p = Path(path) if path else bundled("templates", "xlsx", f"{BALLOT_DEFINITION}.yaml")
    definition = load_form_definition(p)
    form = definition.forms[0]
    names = tuple(f.name for f in form.fields)
    if len(definition.forms) != 1 or names != BALLOT_FIELDS or form.field("mark").type != "choice":
        raise FormDefinitionError(p.name, [f"选票须有且只有一张表，字段依次为 {', '.join(BALLOT_FIELDS)}"
                                           "（mark 为 choice 类型）"])
    return definition, form


# --------------------------------------------------------------------------- issue ballots


def ballot(
    candidates: Sequence[Candidate] | str | Path,
    voters: int | Roster | str | Path,
    out_dir: str | Path,
    *,
    deadline: str = "",
    generated: date | None = None,
    definition: str | Path | None = None,
    overwrite: bool = False,
) -> list[Path]:
    """Write one anonymous ballot workbook per voter into ``out_dir``: ``选票_001.xlsx`` …

    ``candidates``: a consolidated workbook (see :func:`load_candidates`) or a list of
    :class:`Candidate`.  ``voters``: the number of ballots, or a roster (a :class:`Roster` or
    its file; one ballot per unit, but nothing in any file ties a ballot to a unit).
    ``deadline``: ISO date shown in 填表说明 (optional).  ``generated``: the date stamped and
    used as the creation date (default :func:`xltools.generate.default_generated_date`), so the
    same inputs give byte-identical files.  ``definition``: another ballot form definition.

    Ballot numbers 1…N are shuffled over the files deterministically (seeded by the candidates
    fingerprint and N).  Returns the paths in file order.  Raises
    :class:`~xltools.errors.OutputError`, before anything is written, when ``out_dir`` cannot be
    used, already holds other ballot files, or holds one of these names that is marked or is not
    a blank ballot (unless ``overwrite``; :func:`xltools._io.refuse_filled`), :class:`~xltools.errors.DataError` for bad candidates,
    :class:`~xltools.errors.XltoolsError` for a bad voter count or deadline.
    """
    defn, form = ballot_definition(definition)
    cands = load_candidates(candidates) if isinstance(candidates, (str, Path)) else list(candidates)
    if not cands:
        raise DataError("候选名单为空，无法生成选票")
    if [c.number for c in cands] != list(range(1, len(cands) + 1)):
        raise DataError("候选人的序号须从 1 起连续编号")
    n = _voter_count(voters)
    deadline = iso_deadline(deadline)
    generated = generated or default_generated_date()
    fp = candidates_fingerprint(cands)
    width = max(3, len(str(n)))
    numbers = list(range(1, n + 1))
    random.Random(f"{fp}:{n}").shuffle(numbers)
    out = prepare_dir(Path(out_dir))
    targets = [out / f"选票_{k:0{width}d}.xlsx" for k in range(1, n + 1)]
    stale = sorted(p.name for p in out.glob("选票_*") if p not in targets)
    if stale:
        raise OutputError(f"{out}：目录中已有其他选票文件（{stale[0]} 等 {len(stale)} 个），请换一个空目录")
    refuse_folders(targets)
    if not overwrite:
        refuse_filled(targets, lambda path: _ballot_filled(path, defn, form), "生成任何选票")
    for target, number in zip(targets, numbers):
        _write_ballot(target, defn, form, cands, fp, f"{number:0{width}d}", n, deadline, generated)
    return targets


def _ballot_filled(path: Path, definition: FormDefinition, form: Form) -> str | None:
    """What an existing file in the way of :func:`ballot` holds, unless it is a ballot exactly as
    issued: not a ballot; 推荐 marked (a returned ballot); or anything :func:`tally` would count
    against it, judged by the ballot's own stamp and hidden candidate list (:func:`_judge`): a
    candidate row edited, cleared or deleted, a √ in another column, its number changed.  A 废票
    is a returned ballot too (two hostile reviews saw such ones replaced).  None for a blank
    ballot as issued, whatever its candidate list."""
    read = _read_ballot(path, path.name, definition, form, Limits())
    if not read.is_ballot:
        return read.reasons[0] if read.reasons else "不是选票"
    if any(not _blank(row[4]) for row in read.rows):
        return "已填写推荐（是交回的选票）"
    judged = _judge(read, read.fingerprint, read.hidden, read.issued or 0)
    if judged.reasons:
        return f"与下发的空白选票不同（{judged.reasons[0]}），可能是交回的选票"
    return None


def _voter_count(voters: int | Roster | str | Path) -> int:
    if isinstance(voters, str) and voters.strip().isdigit():
        voters = int(voters.strip())
    if isinstance(voters, bool):
        raise XltoolsError("选票张数须为正整数")
    if isinstance(voters, int):
        if not 1 <= voters <= 99999:
            raise XltoolsError(f"选票张数 {voters} 无效，须为 1 至 99999 的整数")
        return voters
    roster = voters if isinstance(voters, Roster) else load_roster(voters)
    if not len(roster):
        raise XltoolsError(f"{roster.source or '填报单位名单'}：名单中没有单位，无法生成选票")
    return len(roster)




def identity_line(definition: FormDefinition, number: str) -> str:
    """The ballot's visible identity line (row 2 of the ballot sheet), e.g.
    ``表单：“十佳”党员先锋岗推荐票（top10_ballot，版本 1.0）　选票编号 017　无记名投票，请勿填写单位或姓名　本行请勿修改``."""
    return (f"表单：{definition.title}（{definition.id}，版本 {definition.version}）　选票编号 {number}"
            "　无记名投票，请勿填写单位或姓名　本行请勿修改")


def meta_items(definition: FormDefinition, number: str, issued: int, fingerprint: str, count: int,
               deadline: str, generated: date) -> list[tuple[str, str]]:
    """The ballot's stamp: key/value pairs of ``_meta`` and (prefixed ``xltools_``) of the custom
    properties.  No key names a unit or a voter."""
    return [
        ("stamp_format", stamp.STAMP_FORMAT),
        ("form_id", definition.id),
        ("form_version", definition.version),
        ("form_title", definition.title),
        ("ballot_no", number),
        ("ballots_issued", str(issued)),
        ("max_marks", str(TOP_N)),
        ("candidates_count", str(count)),
        ("candidates_fingerprint", fingerprint),
        ("deadline", deadline),
        ("generated", generated.isoformat()),
    ]


def _write_ballot(target: Path, definition: FormDefinition, form: Form, cands: Sequence[Candidate], fp: str,
                  number: str, issued: int, deadline: str, generated: date) -> None:
    try:
        with atomic_path(target) as tmp:
            wb = xlsxwriter.Workbook(str(tmp), {"in_memory": True, "strings_to_formulas": False,
                                                "strings_to_numbers": False, "strings_to_urls": False})
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                try:
                    _BallotBuilder(wb, definition, form, cands, fp, number, issued, deadline, generated, target).build()
                finally:
                    wb.close()
            if caught:
                raise OutputError(f"{target}：生成失败（{caught[0].message}），请检查选票的表单定义和候选名单")
    except OSError as exc:
        raise OutputError(f"{target}：无法写入（{exc.strerror or exc}），请检查输出目录是否可写") from None


class _BallotBuilder:
    """Writes one ballot; a class only to share the workbook and its formats."""

    def __init__(self, wb, definition: FormDefinition, form: Form, cands: Sequence[Candidate], fp: str,
                 number: str, issued: int, deadline: str, generated: date, target: Path) -> None:
        self.wb, self.d, self.form, self.cands = wb, definition, form, cands
        self.fp, self.number, self.issued = fp, number, issued
        self.deadline, self.generated, self.target = deadline, generated, target
        self._formats: dict[tuple, Any] = {}

    def ok(self, result: int | None, what: str) -> None:
        if result is not None and result < 0:
            raise OutputError(f"{self.target}：{what}写入失败（XlsxWriter 返回 {result}）")

    def fmt(self, **props):
        key = tuple(sorted(props.items()))
        if key not in self._formats:
            self._formats[key] = self.wb.add_format({"font_name": _FONT, "font_size": 11, "valign": "vcenter", **props})
        return self._formats[key]

    def text(self, ws, row: int, col: int, value: str, cell_format=None) -> None:
        self.ok(ws.write_string(row, col, value, cell_format), f"工作表“{ws.name}”第 {row + 1} 行")

    def build(self) -> None:
        d = self.d
        self.wb.set_properties({
            "title": d.title,
            "subject": d.title,
            "author": d.issuer or "xltools",
            "company": d.issuer,
            "category": "选票",
            "comments": f"由 xltools 生成：表单定义 {d.id}，版本 {d.version}。无记名投票。",
            "created": datetime(self.generated.year, self.generated.month, self.generated.day),
        })
        self.instructions()
        self.ballot_sheet()
        self.candidates_sheet()
        self.meta_sheet()

    def instructions(self) -> None:
        d = self.d
        ws = self.wb.add_worksheet(stamp.INSTRUCTIONS_SHEET)
        ws.set_column(0, 0, 16)
        ws.set_column(1, 1, 76)
        ws.hide_gridlines(2)
        label = self.fmt(bold=True, align="right", valign="top")
        body = self.fmt(text_wrap=True, valign="top")
        ws.merge_range(0, 0, 0, 1, "", self.fmt(bold=True, font_size=16, align="center"))
        self.text(ws, 0, 0, d.title, self.fmt(bold=True, font_size=16, align="center"))
        ws.set_row(0, 32)
        row = 2

        def line(caption: str, text: str, cell_format=body) -> None:
            nonlocal row
            if caption:
                self.text(ws, row, 0, caption, label)
            self.text(ws, row, 1, text, cell_format)
            ws.set_row(row, 18 * max(1, -(-len(text) // 36)) + 2)
            row += 1

        if d.issuer:
            line("评选单位：", d.issuer)
        line("选票编号：", self.number, self.fmt(bold=True, valign="top"))
        line("候选名单：", f"共 {len(self.cands)} 个党员先锋岗，见“{self.form.sheet}”工作表。")
        if self.deadline:
            dd = date.fromisoformat(self.deadline)
            line("交回截止日期：", f"{dd.year}年{dd.month}月{dd.day}日", self.fmt(bold=True, font_color="#C00000", valign="top"))
        if d.contact:
            line("联系人：", d.contact)
        row += 1
        for i, para in enumerate(d.instructions, start=1):
            line("投票说明：" if i == 1 else "", f"{i}. {para}")
        ws.set_portrait()
        ws.set_paper(9)
        ws.fit_to_pages(1, 0)
        ws.protect("", {"select_locked_cells": True, "select_unlocked_cells": True})
        ws.activate()

    def ballot_sheet(self) -> None:
        form = self.form
        ws = self.wb.add_worksheet(form.sheet)
        widths = [f.width or 12 for f in form.fields]
        for c, w in enumerate(widths):
            ws.set_column(c, c, w)
        last = len(form.fields) - 1
        grey = "#F2F2F2"
        title = self.fmt(bold=True, font_size=16, align="center", bg_color=grey, border=1)
        ws.merge_range(stamp.TITLE_ROW - 1, 0, stamp.TITLE_ROW - 1, last, "", title)
        self.text(ws, stamp.TITLE_ROW - 1, 0, form.title, title)
        ws.set_row(stamp.TITLE_ROW - 1, 32)
        ident = self.fmt(font_size=9, font_color="#595959", bg_color=grey, text_wrap=True, border=1)
        ws.merge_range(stamp.IDENTITY_ROW - 1, 0, stamp.IDENTITY_ROW - 1, last, "", ident)
        line = identity_line(self.d, self.number)
        self.text(ws, stamp.IDENTITY_ROW - 1, 0, line, ident)
        # as tall as its wrapped lines, as generate sizes it (a fixed 28 pt cut 本行请勿修改 off)
        ws.set_row(stamp.IDENTITY_ROW - 1, max(28, 13 * wrapped_lines(line, sum(widths), 9) + 5))
        head = self.fmt(bold=True, align="center", border=1, bg_color="#D9D9D9", text_wrap=True)
        for c, f in enumerate(form.fields):
            self.text(ws, stamp.HEADER_ROW - 1, c, f.label, head)
        ws.set_row(stamp.HEADER_ROW - 1, 24)
        num = self.fmt(border=1, align="center")
        txt = self.fmt(border=1, text_wrap=True)
        mark = self.fmt(border=1, align="center", locked=False, num_format="@", font_size=14)
        first = stamp.FIRST_DATA_ROW - 1
        for i, c in enumerate(self.cands):
            r = first + i
            self.ok(ws.write_number(r, 0, c.number, num), f"第 {r + 1} 行")
            self.text(ws, r, 1, c.unit_name, txt)
            self.text(ws, r, 2, c.post_name, txt)
            self.ok(ws.write_blank(r, 3, None, mark), f"第 {r + 1} 行")
        last_row = first + len(self.cands) - 1
        f = form.field("mark")
        self.ok(ws.data_validation(first, 3, last_row, 3, {
            "validate": "list",
            "source": list(f.choices),
            "input_title": f.label,
            "input_message": f.help or "推荐的选 √，不推荐的留空。",
            "error_title": "只能选择 √",
            "error_message": "推荐栏只能选择 √ 或留空。",
            "error_type": "stop",
        }), "推荐栏的数据验证")
        ws.freeze_panes(stamp.FIRST_DATA_ROW - 1, 0)
        ws.repeat_rows(0, stamp.HEADER_ROW - 1)
        ws.set_portrait()
        ws.set_paper(9)
        ws.fit_to_pages(1, 0)
        ws.set_footer("&C第 &P 页，共 &N 页")
        self.ok(ws.print_area(0, 0, last_row, last), "打印区域")
        ws.protect("", {"select_locked_cells": True, "select_unlocked_cells": True,
                        "format_columns": True, "format_rows": True})

    def candidates_sheet(self) -> None:
        ws = self.wb.add_worksheet(CANDIDATES_SHEET)
        for c, label in enumerate(_CANDIDATE_HEADER):
            self.text(ws, 0, c, label)
        for r, c in enumerate(self.cands, start=1):
            self.ok(ws.write_number(r, 0, c.number), "候选名单")
            for col, value in enumerate((c.unit_code, c.unit_name, c.post_name, c.department, c.leaders), start=1):
                self.text(ws, r, col, value)
        ws.hide()
        ws.protect()

    def meta_sheet(self) -> None:
        ws = self.wb.add_worksheet(stamp.META_SHEET)
        ws.set_column(0, 0, 26)
        ws.set_column(1, 1, 40)
        items = meta_items(self.d, self.number, self.issued, self.fp, len(self.cands), self.deadline, self.generated)
        for r, (key, value) in enumerate(items):
            self.text(ws, r, 0, key)
            self.text(ws, r, 1, value)
            self.ok(self.wb.set_custom_property(stamp.PROPERTY_PREFIX + key, value, "text"), "文档属性")
        ws.hide()
        ws.protect()


# --------------------------------------------------------------------------- count


@dataclass
class BallotRecord:
    """One returned file as counted: ``file`` as named in the result (relative to the folder
    given), ``number`` (the ballot number, None when unreadable), ``status`` (:data:`VALID`,
    :data:`BLANK` or :data:`INVALID`), every ``reasons`` for a 废票 (Chinese), ``marks`` (序号 of
    the candidates marked, as read, also on a 废票)."""

    file: str
    number: int | None
    status: str
    reasons: list[str] = field(default_factory=list)
    marks: tuple[int, ...] = ()


@dataclass
class Standing:
    """A candidate's result: ``rank`` (competition ranking), ``votes``, ``share`` (percent of the
    valid ballots, one decimal, ROUND_HALF_UP; None when there is no valid ballot), ``tie``
    (another candidate with votes has as many)."""

    rank: int
    candidate: Candidate
    votes: int
    share: Decimal | None
    tie: bool


@dataclass
class TallyResult:
    """The result of :func:`tally`: the ballot definition's ``title``, the ``candidates`` and
    their ``fingerprint`` (from the ballots), ``issued`` (from their stamp), one ``records`` entry
    per returned file (ballot-number order, then file), ``standings`` for every candidate (rank
    order) and the ``skipped`` lock/system files."""

    title: str
    candidates: list[Candidate]
    fingerprint: str
    issued: int
    records: list[BallotRecord]
    standings: list[Standing]
    skipped: list[str] = field(default_factory=list)

    @property
    def counts(self) -> dict[str, int]:
        """``issued``, ``returned`` (files counted), ``valid``, ``invalid`` (废票), ``blank``
        (空白票); ``returned == valid + invalid + blank``."""
        c = Counter(r.status for r in self.records)
        return {"issued": self.issued, "returned": len(self.records), "valid": c[VALID],
                "invalid": c[INVALID], "blank": c[BLANK]}

    @property
    def top10(self) -> list[Standing]:
        """Candidates with at least one vote ranked 10th or better (more than ten on a tie)."""
        return [s for s in self.standings if s.votes > 0 and s.rank <= TOP_N]

    @property
    def tie_at_10(self) -> bool:
        """True when a tie crosses the tenth place (more than ten candidates rank 10th or better)."""
        return len(self.top10) > TOP_N

    def to_json(self) -> dict[str, Any]:
        """``{"top10": [...], "ballots": counts, "tie_at_10": bool}``.  Each top10 item has the
        keys of :func:`xltools.report.top_ten` (``rank``, ``unit_code``, ``unit_name``,
        ``post_name``, ``department``, ``leaders``, ``total`` = votes, ``grade`` = ``""``,
        ``tie``) plus ``votes`` and ``share`` (a number of percent, 93.8 meaning 93.8％; None
        without valid ballots), so ``report_context(..., extra={"top10": ...})`` fills
        ``commendation.docx``."""
        return {
            "top10": [
                {
                    "rank": s.rank,
                    "unit_code": s.candidate.unit_code,
                    "unit_name": s.candidate.unit_name,
                    "post_name": s.candidate.post_name,
                    "department": s.candidate.department,
                    "leaders": s.candidate.leaders,
                    "votes": s.votes,
                    "share": float(s.share) if s.share is not None else None,
                    "total": s.votes,
                    "grade": "",
                    "tie": s.tie,
                }
                for s in self.top10
            ],
            "ballots": self.counts,
            "tie_at_10": self.tie_at_10,
        }


@dataclass
class _Read:
    """One file as read, before it is judged against the issue."""

    file: str
    reasons: list[str] = field(default_factory=list)
    is_ballot: bool = False
    number: int | None = None
    number_ok: bool = False  # every carrier of the stamp gives the same number
    issued: int | None = None
    fingerprint: str = ""
    hidden: list[Candidate] = field(default_factory=list)
    rows: list[tuple[int, Any, Any, Any, Any]] = field(default_factory=list)  # excel row, 序号, 单位, 先锋岗, 推荐
    extra_cells: list[str] = field(default_factory=list)


def tally(
    ballots: Iterable[str | Path],
    *,
    definition: str | Path | None = None,
    limits: Limits | None = None,
) -> TallyResult:
    """Count returned ballots (files and/or folders, searched recursively; lock and system files
    skipped).  The rules are in the module documentation.  ``definition``: the ballot form
    definition used by :func:`ballot` (default the bundled one).

    Returns a :class:`TallyResult`.  Raises :class:`~xltools.errors.ReturnReadError` for a path
    that does not exist and :class:`~xltools.errors.DataError` when the ballots come from two
    issues in equal numbers (which is the real one cannot be told).  A bad file is a 废票, never
    an exception.
    """
    from .merge import display_names

    defn, form = ballot_definition(definition)
    roots = [Path(b) for b in ballots]
    files, skipped = find_returns(roots)
    names = display_names(roots, files)
    read = [_read_ballot(f, names[f], defn, form, limits or Limits()) for f in files]
    stamped = [r for r in read if r.is_ballot and r.fingerprint]
    fingerprint, cands, issued = "", [], 0
    if stamped:
        ranking = Counter(r.fingerprint for r in stamped).most_common()
        if len(ranking) > 1 and ranking[0][1] == ranking[1][1]:
            raise DataError(f"选票来自不同批次的评选（候选名单不同），且张数相同（各 {ranking[0][1]} 张），"
                            "无法判断哪批有效；请把不同批次的选票分开计票")
        fingerprint = ranking[0][0]
        same = [r for r in stamped if r.fingerprint == fingerprint]
        good = [r for r in same if candidates_fingerprint(r.hidden) == fingerprint]
        cands = good[0].hidden if good else []
        issued_counts = Counter(r.issued for r in same if r.issued)
        issued = issued_counts.most_common(1)[0][0] if issued_counts else 0
    records = [_judge(r, fingerprint, cands, issued) for r in read]
    _void_duplicates(records, read, fingerprint)
    for rec in records:
        if rec.reasons:
            rec.status = INVALID
        elif not rec.marks:
            rec.status = BLANK
    records.sort(key=lambda r: (r.number is None, r.number or 0, r.file))
    standings = _standings(cands, records)
    return TallyResult(title=defn.title, candidates=list(cands), fingerprint=fingerprint, issued=issued,
                       records=records, standings=standings,
                       skipped=list(display_names(roots, skipped).values()))


def mark_of(value: Any) -> bool | None:
    """What a 推荐 cell says: True (a mark), None (blank), False (not a mark: the ballot is void).
    Marks: ``√ ✓ ✔ 是 1 Y`` after NFKC (full-width forms), stripping and case folding; the number
    1 and TRUE.  Blank: empty or whitespace only."""
    if value is None:
        return None
    if isinstance(value, CellError):
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return value == 1
    text = unicodedata.normalize("NFKC", str(value)).strip()
    if not text:
        return None
    return text.casefold() in MARKS


def _text(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v).strip()


def _int(v: Any) -> int | None:
    if isinstance(v, bool) or v is None:
        return None
    if isinstance(v, (int, float)):
        return int(v) if float(v).is_integer() else None
    t = unicodedata.normalize("NFKC", str(v)).strip()
    return int(t) if t.isdigit() else None


def _blank(v: Any) -> bool:
    return v is None or (isinstance(v, str) and not v.strip())


def _sheet_items(sheet: SheetData | None) -> dict[str, str]:
    items: dict[str, str] = {}
    for r in sheet.rows if sheet else []:
        if len(r) >= 2 and not _blank(r[0]):
            items[_text(r[0])] = _text(r[1])
    return items


def _find_table(book: ReturnWorkbook, form: Form) -> tuple[SheetData, int, dict[str, int]] | None:
    """The ballot sheet, its header row (0-based) and field → column, found by the labels."""
    wanted = {normalise_label(f.label): f.name for f in form.fields}
    first = book.sheet(form.sheet)
    order = ([first] if first else []) + [s for s in book.sheets if s is not first]
    for sheet in order:
        if sheet.name in (stamp.META_SHEET, CANDIDATES_SHEET, stamp.INSTRUCTIONS_SHEET):
            continue
        for r, row in enumerate(sheet.rows[:_HEADER_SCAN_ROWS]):
            cols: dict[str, int] = {}
            for c, v in enumerate(row):
                name = wanted.get(normalise_label(v)) if isinstance(v, str) else None
                if name and name not in cols:
                    cols[name] = c
            if len(cols) == len(wanted):
                return sheet, r, cols
    return None


def _read_ballot(path: Path, name: str, definition: FormDefinition, form: Form, limits: Limits) -> _Read:
    res = _Read(file=name)
    try:
        book = read_return(path, limits)
    except ReturnReadError as exc:
        res.reasons.append(f"不是选票（无法读取：{exc.reason}）")
        return res
    n = len(stamp.PROPERTY_PREFIX)
    meta = _sheet_items(book.sheet(stamp.META_SHEET))
    props = {k[n:]: v for k, v in book.properties.items() if k.startswith(stamp.PROPERTY_PREFIX)}
    form_id = meta.get("form_id") or props.get("form_id")
    if not form_id:
        res.reasons.append("不是选票（没有选票标识）")
        return res
    if form_id != definition.id:
        res.reasons.append(f"不是选票（是表单“{form_id}”的文件）")
        return res
    res.is_ballot = True
    res.fingerprint = meta.get("candidates_fingerprint") or props.get("candidates_fingerprint") or ""
    res.issued = _int(meta.get("ballots_issued") or props.get("ballots_issued"))
    table = _find_table(book, form)
    said: list[tuple[str, int | None]] = []
    for carrier, items in (("隐藏的标识页", meta), ("文档属性", props)):
        if items.get("ballot_no"):
            said.append((carrier, _int(items["ballot_no"])))
    if table:
        sheet, header, _cols = table
        for row in sheet.rows[:header]:
            for v in row:
                m = _NUMBER_RE.search(unicodedata.normalize("NFKC", v)) if isinstance(v, str) else None
                if m:
                    said.append(("标识行", int(m.group(1))))
    numbers = {num for _, num in said}
    if not said or None in numbers:
        res.reasons.append("选票编号缺失或无法识别")
    elif len(numbers) > 1:
        shown = "，".join(f"{carrier}为 {num}" for carrier, num in said)
        res.reasons.append(f"选票编号被改动（{shown}）")
    else:
        res.number_ok = True
    res.number = said[0][1] if said else None
    hidden_sheet = book.sheet(CANDIDATES_SHEET)
    for row in (hidden_sheet.rows[1:] if hidden_sheet else []):
        cells = [*row, *([None] * 6)][:6]
        num = _int(cells[0])
        if num is None:
            continue
        res.hidden.append(Candidate(num, *(_text(v) for v in cells[1:6])))
    if table is None:
        res.reasons.append(f"找不到“{form.sheet}”的表头（序号、单位、先锋岗名称、推荐），候选名单被改动")
        return res
    sheet, header, cols = table
    used = set(cols.values())
    for r in range(header + 1, len(sheet.rows)):
        row = sheet.rows[r]
        for c, v in enumerate(row):
            if c not in used and not _blank(v):
                res.extra_cells.append(cell_address(r + 1, c))
        picked = [row[cols[k]] if cols[k] < len(row) else None for k in BALLOT_FIELDS]
        if all(_blank(v) for v in picked):
            continue
        res.rows.append((r + 1, *picked))
    return res


def _judge(r: _Read, fingerprint: str, cands: Sequence[Candidate], issued: int) -> BallotRecord:
    rec = BallotRecord(file=r.file, number=r.number, status=VALID, reasons=list(r.reasons))
    if not r.is_ballot:
        return rec
    marks: list[int] = []
    bad: list[str] = []
    for excel_row, number, unit, post, value in r.rows:
        m = mark_of(value)
        if m:
            num = _int(number)
            marks.append(num if num is not None else -excel_row)
        elif m is False:
            shown = _text(value.code if isinstance(value, CellError) else value)
            bad.append(f"第 {excel_row} 行（{_text(unit)} {_text(post)}）的推荐栏填写了“{shown}”")
    rec.marks = tuple(sorted(m for m in marks if m > 0))
    if r.fingerprint != fingerprint:
        rec.reasons.append("不是本次评选的选票（候选名单与其他选票不同）")
    else:
        if candidates_fingerprint(r.hidden) != fingerprint:
            rec.reasons.append("候选名单被改动（隐藏的候选名单与选票标识不符）")
        change = _list_change(r.rows, cands)
        if change:
            rec.reasons.append(f"候选名单被改动（{change}）")
        if r.number is not None and issued and not 1 <= r.number <= issued:
            rec.reasons.append(f"选票编号 {r.number} 不在发出的 1–{issued} 号之内")
    if r.extra_cells:
        more = "等" if len(r.extra_cells) > 3 else ""
        rec.reasons.append(f"推荐栏以外写有内容（{'、'.join(r.extra_cells[:3])}{more}）")
    if bad:
        more = f"等 {len(bad)} 处" if len(bad) > 2 else ""
        rec.reasons.append("；".join(bad[:2]) + more + "，推荐栏只能选择 √ 或留空")
    if len(marks) > TOP_N:
        rec.reasons.append(f"推荐了 {len(marks)} 个，超过 {TOP_N} 个")
    return rec


def _list_change(rows: list[tuple[int, Any, Any, Any, Any]], cands: Sequence[Candidate]) -> str:
    """Where the visible list differs from the candidates ("" when it does not)."""
    for (excel_row, number, unit, post, _), c in zip(rows, cands):
        if (_int(number), normalise_label(_text(unit)), normalise_label(_text(post))) != (
                c.number, normalise_label(c.unit_name), normalise_label(c.post_name)):
            return f"第 {excel_row} 行应为“{c.number} {c.unit_name} {c.post_name}”"
    if len(rows) < len(cands):
        return f"少了 {len(cands) - len(rows)} 行，应有 {len(cands)} 个候选"
    if len(rows) > len(cands):
        return f"多了 {len(rows) - len(cands)} 行，应有 {len(cands)} 个候选"
    return ""


def _void_duplicates(records: list[BallotRecord], read: list[_Read], fingerprint: str) -> None:
    groups: dict[int, list[BallotRecord]] = {}
    for rec, r in zip(records, read):
        # a ballot whose number was changed is void already and must not void the genuine one
        if r.is_ballot and r.number_ok and r.fingerprint == fingerprint and rec.number is not None:
            groups.setdefault(rec.number, []).append(rec)
    for number, group in groups.items():
        if len(group) > 1:
            files = "、".join(g.file for g in group)
            for rec in group:
                rec.reasons.append(f"选票编号 {number:03d} 重复（共 {len(group)} 份：{files}），无法分辨真伪，均作废")


def _standings(cands: Sequence[Candidate], records: Sequence[BallotRecord]) -> list[Standing]:
    valid = [r for r in records if r.status == VALID]
    votes = Counter(m for r in valid for m in r.marks)
    ordered = sorted(cands, key=lambda c: (-votes[c.number], c.number))
    all_votes = [votes[c.number] for c in cands]
    out = []
    for c in ordered:
        v = votes[c.number]
        share = (Decimal(v) * 100 / Decimal(len(valid))).quantize(Decimal("0.1"), ROUND_HALF_UP) if valid else None
        out.append(Standing(rank=1 + sum(1 for x in all_votes if x > v), candidate=c, votes=v, share=share,
                            tie=v > 0 and all_votes.count(v) > 1))
    return out


# --------------------------------------------------------------------------- result files


def write_tally(result: TallyResult, out: str | Path, json_out: str | Path | None = None) -> tuple[Path, Path | None]:
    """Write the result workbook (sheets 计票结果, 选票明细, 废票; XlsxWriter, atomically) and, when
    ``json_out`` is given, :meth:`TallyResult.to_json` as UTF-8 JSON.  Returns both paths.
    Raises :class:`~xltools.errors.OutputError` when a file cannot be written."""
    target = Path(out)
    try:
        with atomic_path(target) as tmp:
            wb = xlsxwriter.Workbook(str(tmp), {"in_memory": True, "strings_to_formulas": False,
                                                "strings_to_numbers": False, "strings_to_urls": False})
            try:
                _write_result_book(wb, result)
            finally:
                wb.close()
    except OSError as exc:
        raise OutputError(f"{target}：无法写入（{exc.strerror or exc}），请关闭正在打开该文件的程序后重试") from None
    json_path = None
    if json_out:
        json_path = Path(json_out)
        with atomic_path(json_path) as tmp:
            tmp.write_text(json.dumps(result.to_json(), ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return target, json_path


def summary_lines(result: TallyResult) -> list[str]:
    """The count in Chinese: ballots, the top ten, the tie warning (CLI and result sheet)."""
    c = result.counts
    lines = [f"发出选票 {c['issued']} 张，收回 {c['returned']} 张；有效票 {c['valid']} 张，"
             f"空白票 {c['blank']} 张，废票 {c['invalid']} 张。得票率按有效票计算。"]
    if result.tie_at_10:
        last = result.top10[-1]
        tied = [s for s in result.top10 if s.rank == last.rank]
        names = "、".join(f"{s.candidate.unit_name}“{s.candidate.post_name}”" for s in tied)
        lines.append(f"第 {TOP_N} 名有并列：{names} 各得 {last.votes} 票（并列第 {last.rank} 名），"
                     f"共 {len(result.top10)} 个先锋岗进入前十，请党工委研究确定。")
    return lines


def _share_text(share: Decimal | None) -> str:
    return "—" if share is None else f"{share}％"


def _write_result_book(wb, result: TallyResult) -> None:
    base = {"font_name": _FONT, "font_size": 11, "valign": "vcenter"}
    title = wb.add_format({**base, "bold": True, "font_size": 16})
    note = wb.add_format({**base, "text_wrap": True})
    warn = wb.add_format({**base, "bold": True, "font_color": "#C00000", "text_wrap": True})
    head = wb.add_format({**base, "bold": True, "border": 1, "bg_color": "#D9D9D9", "align": "center"})
    cell = wb.add_format({**base, "border": 1, "text_wrap": True})
    center = wb.add_format({**base, "border": 1, "align": "center"})
    top = wb.add_format({**base, "border": 1, "bg_color": "#FFF2CC", "text_wrap": True})
    top_center = wb.add_format({**base, "border": 1, "bg_color": "#FFF2CC", "align": "center"})

    def table(ws, row: int, header: Sequence[str], widths: Sequence[float]) -> None:
        for c, (label, width) in enumerate(zip(header, widths)):
            ws.set_column(c, c, width)
            ws.write_string(row, c, label, head)
        ws.freeze_panes(row + 1, 0)
        ws.repeat_rows(row)
        ws.set_landscape()
        ws.set_paper(9)
        ws.fit_to_pages(1, 0)
        ws.set_footer("&C第 &P 页，共 &N 页")

    ws = wb.add_worksheet("计票结果")
    ws.write_string(0, 0, f"{result.title}计票结果", title)
    row = 1
    widths = (7, 22, 34, 8, 10, 26)
    for line in summary_lines(result):
        ws.merge_range(row, 0, row, 5, "", note)
        ws.write_string(row, 0, line, warn if "并列" in line else note)
        # as high as the line wraps across the merged columns (a tie of many posts takes several)
        ws.set_row(row, min(409, max(36, 15 * wrapped_lines(line, sum(widths)) + 6)))  # Excel's highest row: 409 pt
        row += 1
    row += 1
    table(ws, row, ("名次", "单位", "先锋岗名称", "得票", "得票率", "备注"), widths)
    in_top = {id(s) for s in result.top10}
    last_rank = result.top10[-1].rank if result.tie_at_10 else None
    for s in result.standings:
        row += 1
        chosen = id(s) in in_top
        fmt, cfmt = (top, top_center) if chosen else (cell, center)
        remark = []
        if chosen:
            remark.append("进入前十")
        if s.tie:
            remark.append(f"并列第 {s.rank} 名")
        if last_rank is not None and s.rank == last_rank and chosen:
            remark.append("待研究确定")
        ws.write_number(row, 0, s.rank, cfmt)
        ws.write_string(row, 1, s.candidate.unit_name, fmt)
        ws.write_string(row, 2, s.candidate.post_name, fmt)
        ws.write_number(row, 3, s.votes, cfmt)
        ws.write_string(row, 4, _share_text(s.share), cfmt)
        ws.write_string(row, 5, "，".join(remark), fmt)

    width = max(3, len(str(result.issued or 0)))
    ws = wb.add_worksheet("选票明细")
    table(ws, 0, ("选票编号", "文件", "结果", "原因", "推荐数", "推荐的序号"), (10, 36, 8, 60, 8, 40))
    for r, rec in enumerate(result.records, start=1):
        ws.write_string(r, 0, "" if rec.number is None else f"{rec.number:0{width}d}", center)
        ws.write_string(r, 1, rec.file, cell)
        ws.write_string(r, 2, rec.status, center)
        ws.write_string(r, 3, "；".join(rec.reasons), cell)
        ws.write_number(r, 4, len(rec.marks), center)
        ws.write_string(r, 5, "、".join(str(m) for m in rec.marks), cell)

    ws = wb.add_worksheet("废票")
    table(ws, 0, ("选票编号", "文件", "原因"), (10, 36, 80))
    invalid = [rec for rec in result.records if rec.status == INVALID]
    for r, rec in enumerate(invalid, start=1):
        ws.write_string(r, 0, "" if rec.number is None else f"{rec.number:0{width}d}", center)
        ws.write_string(r, 1, rec.file, cell)
        ws.write_string(r, 2, "；".join(rec.reasons), cell)


__all__ = [
    "load_tally_top10",
    "BLANK",
    "INVALID",
    "MARKS",
    "TOP_N",
    "VALID",
    "BallotRecord",
    "Candidate",
    "Standing",
    "TallyResult",
    "ballot",
    "ballot_definition",
    "candidates_fingerprint",
    "load_candidates",
    "mark_of",
    "summary_lines",
    "tally",
    "write_tally",
]


def load_tally_top10(path: str | Path) -> list[dict[str, Any]]:
    """The ``top10`` list of a tally JSON written by :func:`write_tally` (``xltools tally
    --json``), for ``xltools report --tally``.  Raises :class:`~xltools.errors.DataError` when
    the file is not such a JSON."""
    import json

    p = Path(path)
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
        top10 = data["top10"]
        if not isinstance(top10, list):
            raise TypeError("top10 is not a list")
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise DataError(f"{p}：不是 xltools tally 生成的计票结果 JSON（{exc}），请用 xltools tally --json 的输出") from None
    return top10
