"""Per unit: the files' results → a :class:`Consolidation` (the second stage of
:func:`xltools.merge.merge`).

The files of each unit are combined: a newer copy supersedes an older one form by form (the
time saved inside the file decides, then the file system's), duplicate keys and cross-form
references are checked (:func:`judge_unit`, pure: it runs in the worker that read a unit's only
file, or here for a unit that sent several), and every row is accepted (no error-level issue)
or rejected (kept, with its raw values, in :attr:`Consolidation.rejected`).  The ledger
(报送情况), the issue list and the figures are built in roster order.

Accounting: ``rows_read == rows_accepted + rows_rejected`` always holds (asserted).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from decimal import Decimal
from functools import partial
from pathlib import Path
from typing import Any

from .coerce import format_value
from .errors import DataError
from .figures import FigureTally
from .forms import Form, FormDefinition, normalise_label
from .issues import ERROR, WARNING, Issue
from .returns import FileResult, PackedResult, Row, _issue
from .roster import Roster, Unit
from .spill import (
    AcceptedRows,
    IssueList,
    RejectedRows,
    append_segment,
    read_segment,
)

#: Ledger statuses (报送情况 状态).
RETURNED = "已报送"
MISSING = "未报送"
HAS_ERRORS = "有错误"
DUPLICATE = "重复报送"
SUPERSEDED = "已被替代"
UNIDENTIFIED = "无法识别"
UNREADABLE = "无法读取"


@dataclass
class LedgerEntry:
    """One row of the returns ledger (报送情况).  Roster units have a ``code``; files that could
    not be read or identified, and superseded copies, have their own rows."""

    code: str
    name: str
    status: str
    files: list[str] = field(default_factory=list)
    accepted: int = 0
    rejected: int = 0
    errors: int = 0
    warnings: int = 0
    contact: str = ""
    phone: str = ""
    reason: str = ""

    @property
    def returned_blank(self) -> bool:
        """A roster unit whose return was read and held nothing: blank forms only (their
        empty_return error; ``counts["empty"]``), not files that could not be used (``reason``)."""
        return (bool(self.code) and self.status not in (MISSING, SUPERSEDED) and bool(self.files)
                and not self.accepted and not self.rejected and not self.reason)

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "name": self.name,
            "status": self.status,
            "file": "；".join(self.files),
            "accepted": self.accepted,
            "rejected": self.rejected,
            "errors": self.errors,
            "warnings": self.warnings,
            "contact": self.contact,
            "phone": self.phone,
            "reason": self.reason,
        }


@dataclass
class Consolidation:
    """The result of :func:`merge`.

    ``rows``: form name → accepted rows in roster order, then file, then source row (an
    :class:`AcceptedRows` sequence: read back one file at a time when iterated).
    ``rejected``: rows with an error-level issue, with their raw values (a
    :class:`~xltools.spill.RejectedRows` sequence).  ``issues``: every issue, ordered by roster
    order, file, sheet, row (an :class:`~xltools.spill.IssueList`; both read each unit's part
    back from the spill files when iterated, issue 7).  ``ledger``: one entry per roster unit (roster
    order) then one per unreadable / unidentified / superseded file.  ``figures``: name → int or
    float.  ``per_unit``: code → {figure name → value}.  ``counts``: units, returned, missing,
    rows_read, rows_accepted, rows_rejected, errors, warnings, files, skipped."""

    definition: FormDefinition
    roster: Roster
    rows: dict[str, AcceptedRows]
    rejected: Sequence[Row]
    issues: Sequence[Issue]
    ledger: list[LedgerEntry]
    figures: dict[str, Any]
    per_unit: dict[str, dict[str, Any]]
    counts: dict[str, int]
    skipped: list[str] = field(default_factory=list)
    superseded: list[str] = field(default_factory=list)
    deadline: str = ""
    saved_at: datetime | None = None
    #: file name as shown in the ledger and issue list → the path it was read from
    sources: dict[str, str] = field(default_factory=dict)
    #: unit code → form name → accepted rows
    form_counts: dict[str, dict[str, int]] = field(default_factory=dict)
    #: keeps :func:`merge`'s spill directory alive as long as the rows are needed
    spill_dir: Any = field(default=None, repr=False, compare=False)

    def close(self) -> None:
        """Remove :func:`merge`'s temporary spill files now rather than when this object is
        garbage-collected.  Afterwards reading ``rows``, ``rejected`` or ``issues`` raises
        :class:`~xltools.errors.DataError`; the figures, counts and ledger stay.  Idempotent."""
        if self.spill_dir is not None:
            self.spill_dir.close()

    @property
    def closed(self) -> bool:
        """Whether :meth:`close` has removed the spilled rows (``rows``, ``rejected`` and
        ``issues`` can then no longer be read)."""
        return self.spill_dir is not None and self.spill_dir.closed

    def __enter__(self) -> Consolidation:
        """``with merge(...) as cons:`` closes the consolidation (:meth:`close`) on leaving."""
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def has_errors(self) -> bool:
        return self.counts.get("errors", 0) > 0

    @property
    def missing_units(self) -> list[Unit]:
        missing = {e.code for e in self.ledger if e.status == MISSING}
        return [u for u in self.roster if u.code in missing]

    def to_json(self) -> dict[str, Any]:
        """The figures JSON (``xltools merge --json``); documented in the README."""
        out = self.json_parts()
        out["per_unit"] = list(out["per_unit"])
        out["ledger"] = list(out["ledger"])
        return out

    def json_parts(self) -> dict[str, Any]:
        """:meth:`to_json` with ``per_unit`` and ``ledger`` as iterators that make each unit's
        dict when it is reached: a province's 5,000 units need not exist as dicts all at once
        while the workbook's ``_data`` sheet is encoded (issue 7)."""
        from . import __version__

        d = self.definition
        per_unit = (
            {"code": u.code, "name": u.name, **self.per_unit.get(u.code, {})} for u in self.roster
        )
        return {
            "xltools": __version__,
            "form": {"id": d.id, "version": d.version, "title": d.title},
            "round": {"title": d.title, "deadline": self.deadline},
            "figures": dict(self.figures),
            "figure_info": [
                {"name": f.name, "label": f.label, "unit": f.unit, "value": self.figures.get(f.name)}
                for f in d.figures
            ],
            "per_unit": per_unit,
            "ledger": (e.to_dict() for e in self.ledger),
            "counts": dict(self.counts),
        }


# --------------------------------------------------------------------------- per unit


def _key_of(row: Row, form: Form) -> tuple | None:
    key = tuple(row.values.get(k) for k in form.key)
    if any(v is None for v in key):
        return None
    return tuple(normalise_label(format_value(v)) for v in key)


@dataclass
class UnitVerdict:
    """The row-level outcome for one unit (see :func:`judge_unit`): ``issues`` raised on its rows
    and across them, in order; the ``rejected`` rows; per form ``(accepted rows, indexes of the
    rejected rows, index → issues of accepted rows with warnings)`` in the chosen file's read
    order; ``figures``: the unit's part of each figure, in the definition's figure order
    (:meth:`FigureTally.parts_in_order`)."""

    issues: list[Issue]
    rejected: list[Row]
    forms: dict[str, tuple[int, frozenset[int], Mapping[int, list[Issue]]]]
    figures: tuple[Any, ...]
    #: once :func:`_stow_verdict` has moved ``issues`` and ``rejected`` to a spill file (issue 7):
    #: ``(spill file, (offset, length), issues, error-level issues, rejected rows)``; the two
    #: lists are then empty and :meth:`load` reads them back
    stowed: tuple[str, tuple[int, int], int, int, int] | None = None

    @property
    def accepted(self) -> int:
        return sum(n for n, _, _ in self.forms.values())

    @property
    def n_issues(self) -> int:
        return self.stowed[2] if self.stowed else len(self.issues)

    @property
    def n_errors(self) -> int:
        return self.stowed[3] if self.stowed else sum(1 for i in self.issues if i.is_error)

    @property
    def n_rejected(self) -> int:
        return self.stowed[4] if self.stowed else len(self.rejected)

    def load(self) -> tuple[list[Issue], list[Row]]:
        """``(issues, rejected rows)``, read back from the spill file when stowed."""
        if self.stowed is None:
            return self.issues, self.rejected
        return _read_stowed(*self.stowed[:2])

    def stowed_issues(self) -> Callable[[], list[Issue]]:
        """A loader of the stowed issues (the verdict must be stowed).  A function of the spill
        file and segment alone, not a method of this verdict: the consolidation keeps one
        loader per unit until the workbook is written, and a bound method kept the whole
        verdict alive with it — its per-form maps and figure parts, about 15 MB for a
        province's 5,000 units (issue 7: memory bounded by the largest return)."""
        return partial(_stowed_part, *self.stowed[:2], 0)  # type: ignore[index]

    def stowed_rejected(self) -> Callable[[], list[Row]]:
        """A loader of the stowed rejected rows, as :meth:`stowed_issues`."""
        return partial(_stowed_part, *self.stowed[:2], 1)  # type: ignore[index]


def _read_stowed(path: str, segment: tuple[int, int]) -> tuple[list[Issue], list[Row]]:
    try:
        return read_segment(path, segment)  # type: ignore[return-value]
    except FileNotFoundError:
        raise DataError(
            f"汇总时暂存的问题清单已被删除（{path} 不存在：汇总结果已关闭或临时目录被清理），请重新汇总"
        ) from None


def _stowed_part(path: str, segment: tuple[int, int], which: int) -> list:
    return _read_stowed(path, segment)[which]


class _NoRows(frozenset):
    """The empty set of rejected rows, one object in each process (pickled by name)."""

    def __reduce__(self) -> str:
        return "_NO_ROWS"


class _NoFlags(dict):
    """The empty map of flagged rows, one object in each process (pickled by name).  Shared by
    every form without flagged rows, so it refuses to be changed."""

    def __reduce__(self) -> str:
        return "_NO_FLAGS"

    def _refuse(self, *args, **kwargs):
        raise TypeError("the shared empty map of flagged rows cannot be changed")

    __setitem__ = __delitem__ = update = setdefault = pop = popitem = clear = __ior__ = _refuse  # type: ignore[assignment]


_NO_ROWS: frozenset[int] = _NoRows()
_NO_FLAGS: Mapping[int, list[Issue]] = _NoFlags()


def _stow_verdict(res: FileResult) -> FileResult:
    """Move the verdict's issues and rejected rows (with their raw cells) to the end of the
    file's spill file, keeping only their counts (issue 7: a round of 5,000 small returns with
    15,000 bad cells must not hold them all until the workbook is written).  Runs where the file
    was read (the pool worker), so only the counts travel back.  A result without a spill file,
    or whose spill file cannot be written to, keeps them in memory."""
    verdict, spill = res.verdict, res.spill
    if verdict is None or verdict.stowed is not None or not isinstance(spill, tuple) or not spill:
        return res
    if not verdict.issues and not verdict.rejected:
        return res
    try:
        segment = append_segment(spill[0], (verdict.issues, verdict.rejected))
    except OSError:
        return res
    res.verdict = replace(verdict, issues=[], rejected=[],
                          stowed=(str(spill[0]), segment, len(verdict.issues),
                                  sum(1 for i in verdict.issues if i.is_error), len(verdict.rejected)))
    return res


def judge_unit(definition: FormDefinition, unit_code: str, chosen: dict[str, FileResult],
               tally: FigureTally | None = None) -> UnitVerdict:
    """Judge one unit's rows: duplicate keys within the unit, cross-form references and
    ``complete_for``, then accept (no error-level issue) or reject each row.  ``chosen`` maps
    form name → the file whose rows count for that form.  Pure; runs in the worker that read a
    unit's only file, or in :func:`combine` when the unit sent several."""
    unit_rows: dict[str, list[Row]] = {f.name: chosen[f.name].load(f.name, definition) if f.name in chosen else []
                                       for f in definition.forms}
    issues: list[Issue] = []
    for form in definition.forms:
        if not form.key:
            continue
        seen: dict[tuple, Row] = {}
        for row in unit_rows[form.name]:
            k = _key_of(row, form)
            if k is None:
                continue
            if k in seen:
                first = seen[k]
                label = "、".join(form.field(n).label for n in form.key)
                shown = "、".join(format_value(row.values.get(n)) for n in form.key)
                c = _field_cell(row, form, form.key[0])
                there = f"工作表“{first.sheet}”" if first.sheet != row.sheet else ""
                row.issues.append(_issue(ERROR, "duplicate_key",
                                         f"{label}“{shown}”与{there}第 {first.row} 行重复（同一单位内不能重复），请删除或合并",
                                         file=row.file, sheet=row.sheet, cell=c, row=row.row,
                                         field=form.field(form.key[0]).label, raw=shown,
                                         unit_code=row.unit_code, unit_name=row.unit_name))
            else:
                seen[k] = row
    present_forms = set(chosen)
    for form in definition.forms:
        for fld in form.fields:
            if not fld.ref or fld.ref[0] not in present_forms:
                continue
            # a target's name → True when a row of it was accepted, else its first rejected row
            targets: dict[str, bool | Row] = {}
            for r in unit_rows[fld.ref[0]]:
                if r.values.get(fld.ref[1]) is not None:
                    name = _ref_key(r.values.get(fld.ref[1]))
                    if not r.has_error:
                        targets[name] = True
                    elif name not in targets:
                        targets[name] = r
            ref_form = definition.form(fld.ref[0])
            found: dict[str, bool | Row | None] = {}  # a text value → its target's state (values repeat)
            for row in unit_rows[form.name]:
                v = row.values.get(fld.name)
                if v is None:
                    continue
                if v.__class__ is str:
                    if v not in found:
                        found[v] = targets.get(normalise_label(v))
                    state = found[v]
                else:
                    state = targets.get(_ref_key(v))
                if state is True:
                    continue
                if state is not None:
                    # the row it names is rejected: this row is accepted, but the drafts list a
                    # post's results under the post, so it would drop out of them unseen.  Where
                    # that row is, so the clerk finds it without searching (a review: one
                    # rejected post gave five warnings that did not say where it was)
                    row.issues.append(_issue(WARNING, "reference_rejected",
                                             f"{fld.label}“{format_value(v)}”在本单位{ref_form.title}中的那一行"
                                             f"（第 {state.row} 行）有错误、未采用，"
                                             f"本行暂不会写入文稿；请一并改正该行后重新报送",
                                             file=row.file, sheet=row.sheet, cell=_field_cell(row, form, fld.name),
                                             row=row.row, field=fld.label, raw=format_value(v),
                                             unit_code=row.unit_code, unit_name=row.unit_name))
                    continue
                row.issues.append(_issue(form.ref_severity, "unknown_reference",
                                         f"{fld.label}“{format_value(v)}”不在本单位的{ref_form.title}中，请与登记表中的名称保持一致",
                                         file=row.file, sheet=row.sheet, cell=_field_cell(row, form, fld.name),
                                         row=row.row, field=fld.label, raw=format_value(v),
                                         unit_code=row.unit_code, unit_name=row.unit_name))
        if form.complete_for and form.complete_for[0] in present_forms and form.name in present_forms:
            src_form = definition.form(form.complete_for[0])
            src_field = form.complete_for[1]
            have = {normalise_label(format_value(r.values.get(src_field))) for r in unit_rows[form.name]
                    if r.values.get(src_field) is not None}
            for r in unit_rows[src_form.name]:
                v = r.values.get(src_field)
                if v is None or r.has_error:
                    continue
                if normalise_label(format_value(v)) not in have:
                    # on the cell naming it (a review: the warning had no cell to click or mark)
                    issues.append(_issue(WARNING, "missing_complete_for",
                                         f"{src_form.title}中的“{format_value(v)}”在{form.title}中没有对应行，请补填",
                                         file=r.file, sheet=r.sheet, cell=_field_cell(r, src_form, src_field),
                                         row=r.row, field=src_form.field(src_field).label, raw=format_value(v),
                                         unit_code=chosen[form.name].unit_code,
                                         unit_name=chosen[form.name].unit_name))
    # --- accept / reject -------------------------------------------------------------------
    # Accepted rows stay where they are (memory or spill file); the verdict keeps which of
    # the file's rows were rejected and the issues of the accepted ones.
    rejected: list[Row] = []
    forms: dict[str, tuple[int, frozenset[int], Mapping[int, list[Issue]]]] = {}
    accepted_values: dict[str, list[dict[str, Any]]] = {}
    for form in definition.forms:
        rejected_at: set[int] = set()
        flagged: dict[int, list[Issue]] = {}
        values: list[dict[str, Any]] = []
        for i, row in enumerate(unit_rows[form.name]):
            if row.issues:
                issues.extend(row.issues)
                if row.has_error:
                    row.cells = row.field_cells()  # kept until the workbook is written
                    rejected.append(row)
                    rejected_at.add(i)
                    continue
                flagged[i] = row.issues
            values.append(row.values)
        accepted_values[form.name] = values
        if form.name in chosen:
            # one shared empty set and map for the (many) forms without problems: 280 bytes a
            # form a file otherwise, held until the workbook is written (issue 7)
            forms[form.name] = (len(values), frozenset(rejected_at) if rejected_at else _NO_ROWS,
                                flagged or _NO_FLAGS)
    tally = tally or FigureTally(definition, ())
    return UnitVerdict(issues=issues, rejected=rejected, forms=forms,
                       figures=tally.parts_in_order(unit_code, accepted_values))


def _unit_name(roster: Roster, code: str) -> str:
    unit = roster.by_code(code)
    return unit.name if unit is not None else ""


def _superseded_reason(why: str, rows_read: int) -> str:
    """The ledger's 说明 for a superseded file: why, and how many of its rows were not counted
    (an identical copy's rows are counted once, in the copy used)."""
    if why.endswith("其中的行不重复计入"):
        return why.replace("其中的行不重复计入", f"其中的 {rows_read} 行不重复计入")
    return f"{why}，{rows_read} 行未计入"


def combine(definition: FormDefinition, roster: Roster, results: Sequence[FileResult | PackedResult],
            on_duplicate: str = "newest", skipped: Sequence[str] = ()) -> Consolidation:
    """Stage 2: combine per-file results into a :class:`Consolidation` (roster order; results
    may come in any order, as :class:`FileResult` or :class:`PackedResult`: a usable return is
    unpacked when its unit is reached and not kept after; an unreadable or unidentified file is
    unpacked at the start and kept to the end, for its ledger line and issues).  ``on_duplicate``: ``"newest"`` (default) uses the newer copy of each
    form and lists the other as superseded (已被替代); ``"error"`` does the same but makes it an
    error-level issue."""
    if on_duplicate not in ("newest", "error"):
        raise ValueError("on_duplicate must be 'newest' or 'error'")
    duplicate = ERROR if on_duplicate == "error" else WARNING  # a duplicate decided without doubt
    results = sorted(results, key=lambda r: r.path)
    by_unit: dict[str, list[FileResult]] = {}
    others: list[FileResult] = []
    # unit code → (file, unit it was counted under) for files whose name names the unit and
    # whose stamp another: the named unit, if it sent nothing else, is told where the file went
    named_here: dict[str, list[tuple[str, str]]] = {}
    for res in results:
        if res.status == "ok":
            by_unit.setdefault(res.unit_code, []).append(res)
            if res.named_for:
                named_here.setdefault(res.named_for, []).append((res.path, res.unit_code))
        else:
            others.append(_unpacked(res))
    # Issues and rejected rows are kept per unit, in memory or (judged in a worker) still in the
    # spill file, and read back in order when the workbook is written (issue 7).
    issues = IssueList(_issue_order)
    order = {u.code: i for i, u in enumerate(roster)}
    n_errors = n_warnings = 0
    accepted = {f.name: AcceptedRows(definition, f.name) for f in definition.forms}
    form_counts: dict[str, dict[str, int]] = {u.code: {f.name: 0 for f in definition.forms} for u in roster}
    tally = FigureTally(definition, [u.code for u in roster])
    rejected = RejectedRows()
    ledger: list[LedgerEntry] = []
    # path → (unit code, unit name, rows read), in the order the files were superseded
    superseded_of: dict[str, tuple[str, str, int]] = {}
    superseded_why: dict[str, str] = {}
    listed_under_unit: set[str] = set()  # unusable files whose issues are in their unit's part
    form_names = {f.name: f.name for f in definition.forms}  # one string per form name, shared
    rows_superseded = 0
    deadlines: list[str] = []  # the stamped deadline of each unit's return with rows, in roster order
    for unit in roster:
        files = [_unpacked(r) for r in by_unit.get(unit.code, ())]
        # id(result) → the result without its verdict and issues, shared by its forms; per unit,
        # while the unit's results are alive (an id of a freed result can be reused)
        lean: dict[int, FileResult] = {}
        unit_issues: list[Issue] = []
        where = {"unit_code": unit.code, "unit_name": unit.name}
        # --- which file supplies each form -------------------------------------------------
        chosen: dict[str, list[FileResult]] = {}
        replaced: dict[tuple[str, str, str], list[str]] = {}  # (old, newest, how) -> form titles
        # A file without a single row beside one with rows (a blank form attached too) supplies
        # no form: set aside whole, so its "nothing filled in" error does not fall on the unit.
        filled = [r for r in files if r.rows_read]
        for form in definition.forms:
            having = [r for r in (filled or files) if form.name in r.forms]
            if not having:
                continue
            if len(having) > 1:
                having.sort(key=lambda r, name=form.name: _preference(r, name))
                newest = having[-1]
                for old in having[:-1]:
                    if not old.count(form.name):
                        # nothing of it set aside, nothing to say (the form's sheet left empty
                        # in a file that carries another form, or in both copies)
                        continue
                    how = _how_chosen(old, newest)
                    replaced.setdefault((old.path, newest.path, how), []).append(form.title)
                having = [newest]
            chosen[form.name] = having
        # A copy that supplies only empty sheets (its rows all went to newer copies, and it is
        # chosen for a form no other copy carries, empty there too) is set aside like the rest:
        # it supplies nothing (a third review saw it listed as used and as replaced at once).
        supplying = {r.path for name, rs in chosen.items() for r in rs if r.count(name)}
        if supplying:
            chosen = {name: rs for name, rs in chosen.items() if all(r.path in supplying for r in rs)}
        for (old_path, new_path, how), titles in replaced.items():
            newest, old_file = _file(files, new_path), _file(files, old_path)
            old_name, new_name = _shown_names(old_path, new_path)
            # the forms named only when the older copy still supplies others (forms neither copy
            # has rows of are never compared)
            either = {f.title for f in definition.forms if old_file.count(f.name) or newest.count(f.name)}
            what = "" if set(titles) >= either else f"（{'、'.join(titles)}）"
            if how == "same":
                # the very same file sent twice (a copy, or one folder merged with another):
                # nothing to decide, nothing counted twice
                sev = duplicate
                why = (f"同一单位重复报送{what}：“{old_name}”与“{new_name}”内容完全相同，"
                       f"已采用“{new_name}”，不重复计入")
                superseded_why[old_path] = f"与“{new_name}”内容完全相同，其中的行不重复计入"
            elif how == "tie":
                sev, why = ERROR, (f"“{old_name}”与“{new_name}”是同一单位的重复报送{what}，"
                                   f"两份文件的保存时间相同，无法判断哪份较新，暂用后者；请确认后只保留一份")
                superseded_why[old_path] = f"与“{new_name}”保存时间相同，无法判断哪份较新，暂用后者"
            elif how == "unknown":
                # one file records its save time, the other (.csv) only has the file
                # system's: two different clocks, so which is newer is not known
                sev, why = ERROR, (f"“{old_name}”与“{new_name}”是同一单位的重复报送{what}，其中只有一份文件记录了保存时间"
                                   f"（.csv 不记录），无法判断哪份较新，暂用“{new_name}”；请确认后只保留一份")
                superseded_why[old_path] = f"与“{new_name}”无法比较保存时间（只有一份记录了保存时间），暂用后者"
            elif how == "disputed":
                # an error, as the conflict itself was: whose data the set-aside file holds is open
                doubt = next(i.message for i in old_file.issues if i.kind in _DISPUTED).split("；")[0]
                sev, why = ERROR, (f"同一单位重复报送{what}：“{old_name}”{doubt}，未用它替代本单位的“{new_name}”；"
                                   f"请核实“{old_name}”是哪个单位的登记表")
                superseded_why[old_path] = f"标识互相矛盾，未替代本单位的“{new_name}”"
            elif how == "file_time":
                # no time inside either file, or the same one (a copy, or a converter that keeps
                # it): the file system's modification time decided (_age), and the message says so
                sev = duplicate
                same = "内部记录的保存时间相同" if newest.saved_inside else "都没有记录保存时间（.csv 不记录）"
                why = (f"同一单位重复报送{what}：两份文件{same}，已按文件的修改时间采用较新的"
                       f"“{new_name}”（修改于 {_fmt_time(newest.mtime)}），“{old_name}”已被替代；请确认")
                superseded_why[old_path] = (f"被同一单位的“{new_name}”替代（按文件修改时间判断；"
                                            f"本文件修改于 {_fmt_time(old_file.mtime)}）")
            else:
                sev = duplicate
                why = (f"同一单位重复报送{what}：已采用较新的“{new_name}”（保存于 {_fmt_time(newest.saved_at)}），"
                       f"“{old_name}”已被替代")
                superseded_why[old_path] = f"被同一单位较新的“{new_name}”替代（本文件保存于 {_fmt_time(old_file.saved_at)}）"
            unit_issues.append(_issue(sev, "duplicate_return", why, file=old_path, **where))
        used = sorted({r.path for rs in chosen.values() for r in rs})
        for r in files:
            if r.path in used or r.path in superseded_why:
                continue
            # set aside without a comparison of rows: a blank form beside the filled return, or
            # one of two blank (or identical) copies; named with the copies used
            shown, *used_names = _shown_names(r.path, *used)
            taken = "、".join(f"“{name}”" for name in used_names)
            if any(r.digest and r.digest == _file(files, p).digest for p in used):
                said, why = f"与{taken}内容完全相同", f"与同一单位的{taken}内容完全相同，采用后者"
            elif filled:  # so r is blank: a copy with rows that was set aside has its message above
                said, why = "中没有填写数据", f"没有填写数据，采用同一单位的{taken}"
            else:
                said, why = f"与{taken}也没有填写数据", f"与同一单位的{taken}也没有填写数据，采用后者"
            unit_issues.append(_issue(duplicate, "duplicate_return", f"同一单位重复报送：“{shown}”{said}，已采用{taken}",
                                      file=r.path, **where))
            superseded_why[r.path] = why
        for r in files:
            if r.path not in used and r.path not in superseded_of:
                superseded_of[r.path] = (r.unit_code, r.unit_name, r.rows_read)
            # rows of forms another copy replaced are not part of this consolidation
            rows_superseded += sum(r.count(form_name) for form_name in r.forms
                                   if r not in chosen.get(form_name, []))
        used_results = [r for r in files if r.path in used]
        for r in used_results:
            unit_issues.extend(r.issues)
        # --- rows: key duplicates, cross-form references, accept / reject --------------------
        # Judged in the worker that read the file when the unit sent one file (the usual case);
        # else here, from the spill files.
        if len(files) == 1 and files[0].verdict is not None:
            verdict = files[0].verdict
        else:
            verdict = judge_unit(definition, unit.code, {f: chosen[f][0] for f in chosen})
        # The unit's issues: those found here and in its files (before), the judged ones (in
        # memory, or still in the spill file of a unit judged in a worker), then those below.
        after: list[Issue] = []
        if verdict.stowed is not None:
            rejected.add(order[unit.code], verdict.stowed_rejected(), verdict.n_rejected)
        else:
            rejected.add(order[unit.code], verdict.rejected, len(verdict.rejected))
        n_acc, n_rej = verdict.accepted, verdict.n_rejected
        if used_results and (n_acc or n_rej):  # one say per unit with rows ("" too): not blank forms
            deadlines.append(Counter(r.deadline for r in used_results).most_common(1)[0][0])
        for form_name, (n, rejected_at, flagged) in verdict.forms.items():
            form_counts[unit.code][form_name] = n
            res = chosen[form_name][0]
            if id(res) not in lean:  # the rows' part needs the spill, not the verdict or issues
                lean[id(res)] = _lean(res, form_names)
            accepted[form_name].add(lean[id(res)], n, rejected_at, flagged)
        tally.add_in_order(unit.code, verdict.figures)
        if files:
            for form in definition.forms:
                if form.name not in chosen and not form.optional:
                    after.append(_issue(WARNING, "form_missing",
                                        f"报送文件中没有找到{form.title}，如本单位确无此项内容可忽略，否则请补报",
                                        file=used[0] if used else files[0].path, sheet=form.sheet, **where))
        broken = [r for r in others if r.unit_code == unit.code]
        reason = ""
        if not files and broken:
            # The unit did send something, but nothing usable: not 未报送, and not chased as such.
            for r in broken:
                after.extend(r.issues)
                listed_under_unit.add(r.path)
            used = [r.path for r in broken]
            reason = "报送的文件无法使用（" + "；".join(r.reason for r in broken) + "），请重新报送"
        issues.add(unit_issues, verdict.stowed_issues() if verdict.stowed is not None else verdict.issues,
                   verdict.n_issues, after, where)
        n_err = sum(1 for i in unit_issues if i.is_error) + verdict.n_errors + sum(1 for i in after if i.is_error)
        n_warn = len(unit_issues) + verdict.n_issues + len(after) - n_err
        n_errors += n_err
        n_warnings += n_warn
        if not files and not broken:
            status = MISSING  # a file named for it is said after the loop (named_here)
        elif n_err:
            status = HAS_ERRORS
        elif len(files) > len(used):
            status = DUPLICATE
        else:
            status = RETURNED
        ledger.append(LedgerEntry(code=unit.code, name=unit.name, status=status,
                                  files=used, accepted=n_acc, rejected=n_rej, errors=n_err, warnings=n_warn,
                                  contact=unit.contact, phone=unit.phone, reason=reason))
    # --- a missing unit a file was named for: where the file went (still chased: whose data
    # it holds is for staff to check); set aside files are known only now
    for entry in ledger:
        if entry.status == MISSING and entry.code in named_here:
            entry.reason = "；".join(
                f"文件名指向本单位的“{Path(path).name}”标识为 {code} {_unit_name(roster, code)}，"
                + ("已被该单位的其他文件替代、未计入" if path in superseded_of else "已计入该单位")
                for path, code in named_here[entry.code]) + "；请核实是否为本单位的报送，如是请用本单位的登记表重新报送"
    # --- files outside the roster's units ----------------------------------------------------
    other_issues: list[Issue] = []
    units_by_code = {u.code: u for u in roster}
    for path, (code, name, rows_read) in superseded_of.items():
        ledger.append(LedgerEntry(code=code, name=name, status=SUPERSEDED, files=[path],
                                  reason=_superseded_reason(superseded_why.get(path, "被同一单位较新的文件替代"), rows_read)))
    for res in others:
        n_rej = 0
        found: list[Issue] = []  # this file's issues counted on its own ledger line
        for form_name in res.forms:
            for row in res.load(form_name, definition):
                row.cells = row.field_cells()
                rejected.add(order.get(row.unit_code, len(order)), [row], 1)
                found.extend(row.issues)
                n_rej += 1
        reason = res.reason
        unit = units_by_code.get(res.unit_code)
        if res.path not in listed_under_unit:
            # Listed here unless its unit sent nothing usable (then under the unit, above): an
            # unreadable resend of a unit whose older return was used must not go unmentioned,
            # and names its unit.
            found.extend(res.issues if unit is None else
                         [i.at(unit_code=unit.code, unit_name=unit.name) for i in res.issues])
        elif unit is not None:
            # Its problems are counted on the unit's line; counted again here, the ledger's
            # 错误数 column added up to more errors than the issue list holds.
            reason = f"{reason}；问题已计入 {unit.code} {unit.name} 一行"
        other_issues.extend(found)
        status = UNREADABLE if res.status == "unreadable" else UNIDENTIFIED
        n_err = sum(1 for i in found if i.is_error)
        ledger.append(LedgerEntry(code="", name=res.unit_name, status=status, files=[res.path],
                                  rejected=n_rej, errors=n_err, warnings=len(found) - n_err, reason=reason))
    # --- order, figures, counts ------------------------------------------------------------------
    issues.add((), other_issues, len(other_issues), (), None)
    n_errors += sum(1 for i in other_issues if i.is_error)
    n_warnings += sum(1 for i in other_issues if not i.is_error)
    figures, per_unit = tally.result()
    rows_read = sum(res.rows_read for res in results) - rows_superseded
    n_accepted = sum(len(v) for v in accepted.values())
    counts = {
        "units": len(roster),
        "returned": sum(1 for e in ledger[: len(roster)] if e.status != MISSING),
        "missing": sum(1 for e in ledger[: len(roster)] if e.status == MISSING),
        # returned, but blank forms only (empty_return): counted in returned, said apart
        "empty": sum(1 for e in ledger[: len(roster)] if e.returned_blank),
        # returned, but nothing usable (unreadable or unidentified files only): said apart too
        "unusable": sum(1 for e in ledger[: len(roster)] if e.status != MISSING and e.reason),
        "files": len(results),
        "superseded": len(superseded_of),
        "unreadable": sum(1 for r in others if r.status == "unreadable"),
        "unidentified": sum(1 for r in others if r.status == "unidentified"),
        "skipped": len(skipped),
        "rows_read": rows_read,
        "rows_superseded": rows_superseded,
        "rows_accepted": n_accepted,
        "rows_rejected": len(rejected),
        "errors": n_errors,
        "warnings": n_warnings,
    }
    if counts["rows_read"] != counts["rows_accepted"] + counts["rows_rejected"]:  # pragma: no cover
        raise AssertionError(f"row accounting broken: {counts}")
    saved = [r.saved_at for r in results if r.saved_at and r.path not in superseded_of]
    return Consolidation(definition=definition, roster=roster, rows=accepted, rejected=rejected, issues=issues,
                         ledger=ledger, figures=figures, per_unit=per_unit, counts=counts,
                         skipped=[str(s) for s in skipped], superseded=list(superseded_of), deadline=_round_deadline(deadlines),
                         saved_at=max(saved) if saved else None, form_counts=form_counts)


def _file(results: Sequence[FileResult | PackedResult], path: str) -> FileResult | PackedResult:
    return next(r for r in results if r.path == path)


def _lean(res: FileResult, names: Mapping[str, str]) -> FileResult:
    """What the accepted rows need of a return until the workbook is written
    (:meth:`FileResult.load` and :meth:`FileResult.values`: where its rows are, whose they are),
    with the definition's form-name strings as keys: a province's 5,000 returns keep 5,000 of
    these (issue 7), so no save times, issues or verdict, and no unpickled copy of each form name."""
    spill = res.spill
    if spill is not None:
        spill = (spill[0], {names.get(k, k): v for k, v in spill[1].items()})
    return FileResult(path=res.path, status=res.status, unit_code=res.unit_code, unit_name=res.unit_name,
                      rows=res.rows, counts={names.get(k, k): v for k, v in res.counts.items()}, spill=spill)


def _unpacked(res: FileResult | PackedResult) -> FileResult:
    return res.unpack() if isinstance(res, PackedResult) else res


def _age(r: FileResult) -> tuple:
    """Sort key: the time saved inside the file, then the file system's time, then the path."""
    floor = datetime.min.replace(tzinfo=timezone.utc)
    return (r.saved_at or floor, r.mtime or floor, r.path)


#: File-level issues that say a file's identity is in doubt (a forwarded or copied workbook).
_DISPUTED = frozenset({"identity_conflict", "forwarded"})


def _disputed(r: FileResult) -> bool:
    return any(i.kind in _DISPUTED for i in r.issues)


def _ref_key(value: Any) -> str:
    """How a referenced value is compared (``ref: form.field``): a text as its normalised label
    (as headers are matched), a number by its value (an integer 5 and a decimal 5.0 are the same
    post number), anything else as its text."""
    if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        return format_value(Decimal(str(value)).normalize())
    return normalise_label(format_value(value))


def _preference(r: FileResult, form_name: str) -> tuple:
    """Sort key among a unit's copies of form ``form_name``, the last one used: a file whose
    identity is not in doubt before one whose is — a workbook of another unit's, forwarded or
    copied and saved later, must not replace the unit's own return (a hostile review saw 12
    rows of a unit dropped and another's counted twice) — then one with rows of the form before
    one without (a blank form sent beside the filled one, or the form's sheet left empty in a
    file that carries another form: a newcomer's review saw the blank copy win and the unit's
    rows go), then :func:`_age`."""
    return (not _disputed(r), r.count(form_name) > 0, *_age(r))


def _round_deadline(deadlines: Sequence[str]) -> str:
    """The round's deadline from the units' returns (one each, "" for a return stamped with
    none; blank forms have no say): the one most units' returns carry, the earlier in roster
    order on a tie; "" when that is none.  The first in roster order alone, then a vote of files
    that left out "", let one unit's blank form of another issue set the work report's date (two
    hostile reviews)."""
    if not deadlines:
        return ""
    counts = Counter(deadlines)
    top = max(counts.values())
    return next(d for d in deadlines if counts[d] == top)


def _shown_names(*paths: str) -> list[str]:
    """Each of ``paths`` (files as listed) as a message names it: its file name, or the path as
    listed when another of them has the same file name (one name in two folders)."""
    names = [Path(p).name for p in paths]
    return [p if names.count(n) > 1 else n for p, n in zip(paths, names)]


def _how_chosen(old: FileResult, newest: FileResult) -> str:
    """Why ``newest`` was preferred to ``old`` (for a form both have rows of), for the message:
    ``same`` (the same bytes: one file sent twice), ``disputed`` (old's identity is in doubt),
    ``tie`` (same times), ``unknown`` (only one records its save time: two clocks),
    ``file_time`` (no different recorded times: the file system's time decided), or ``newer``
    (saved later, by the time inside both files)."""
    if old.digest and old.digest == newest.digest:
        return "same"
    if _disputed(old) and not _disputed(newest):
        return "disputed"
    if _age(old)[:2] == _age(newest)[:2]:
        return "tie"
    if old.saved_inside != newest.saved_inside:
        return "unknown"
    if not newest.saved_inside or old.saved_at == newest.saved_at:
        return "file_time"
    return "newer"


def _issue_order(i: Issue) -> tuple:
    return (i.file, i.sheet, i.row or 0, _col_index(i.cell), i.kind)


def _col_index(cell: str) -> int:
    letters = "".join(ch for ch in cell if ch.isalpha())
    n = 0
    for ch in letters:
        n = n * 26 + (ord(ch.upper()) - 64)
    return n


def _field_cell(row: Row, form: Form, field_name: str) -> str:
    """The real cell address of a field on a row (empty when the column is missing)."""
    return row.cell(field_name)


def _fmt_time(t: datetime | None) -> str:
    if t is None:
        return "未知时间"
    return t.astimezone().strftime("%Y-%m-%d %H:%M:%S")
