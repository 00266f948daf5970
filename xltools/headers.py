"""Find each form's sheet and header row by the normalised header labels and aliases, not by
sheet name or column position (DESIGN.md §5 "Headers").

A header may sit below title rows, start in any column, span two rows (a group label over
several columns, labels merged vertically, or one label split over the two rows), and have its
columns reordered, renamed to a known alias, added or deleted: :func:`find_headers` returns
where each field's column is, and merge reports every deviation.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from .forms import Form, FormDefinition, normalise_label
from .readers import SheetData

#: How many rows from the top of a sheet are searched for a header.
HEADER_SCAN_ROWS = 30
_LABEL_MAX = 60


@dataclass
class HeaderMatch:
    form: Form
    header_row: int  # 0-based index into rows
    columns: dict[str, int]  # field name -> column index
    labels: dict[int, str]  # column -> header text as found
    score: int
    #: field name -> every column whose header names it, when more than one does (a clerk
    #: copied a column); ``columns`` holds the first of them
    repeated: dict[str, list[int]] = field(default_factory=dict)


def label_index(definition: FormDefinition) -> dict[str, list[tuple[str, str, bool]]]:
    """Normalised label or alias → every ``(form name, field name, is_alias)`` it names (a label
    such as 先锋岗名称 belongs to several forms).

    A field with a ``unit`` is also named by its labels followed by that unit in brackets
    (``参与党员人数（人）``, ``参与党员人数（单位：人）``), as an alias: clerks add the unit to a header,
    and refusing the column made the whole sheet's rows 缺少必填列 (a hostile review).  Only the
    field's own unit: ``涉及金额（元）`` for a field in 万元 is still no match, never a number read
    10,000 times too large."""
    index: dict[str, list[tuple[str, str, bool]]] = {}
    for form in definition.forms:
        for f in form.fields:
            for i, lab in enumerate(f.labels):
                index.setdefault(normalise_label(lab), []).append((form.name, f.name, i > 0))
            if f.unit:
                for lab in f.labels:
                    if normalise_label(lab).endswith(")"):
                        continue  # the label carries its own bracket (涉及金额（万元）)
                    for suffix in (f"（{f.unit}）", f"（单位：{f.unit}）"):
                        key = normalise_label(lab + suffix)
                        if not any(e[:2] == (form.name, f.name) for e in index.get(key, [])):
                            index.setdefault(key, []).append((form.name, f.name, True))
    return index


_NUMBER_TYPES = ("integer", "decimal")
#: The share of a form's fields a header row names for the row to be that form's header
#: whatever other form a row below matches better.
_STRONG = 0.75
#: Closing bracket → its opening one, after NFKC (（）［］ are half-width then).
_BRACKETS = {")": "(", "]": "[", "】": "【", "〕": "〔"}


@lru_cache(maxsize=4096)
def _without_notes(key: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """A normalised header without its bracketed notes at the end, one more at a time:
    ``涉及金额(元)(含税)`` → ``(("涉及金额(元)", ("含税",)), ("涉及金额", ("元", "含税")))``; a
    note may hold brackets of its own (``是否窗口单位(是/否(下拉选择))``)."""
    out: list[tuple[str, tuple[str, ...]]] = []
    notes: tuple[str, ...] = ()
    rest = key
    while len(rest) > 1 and rest[-1] in _BRACKETS:
        close, opening, depth = rest[-1], _BRACKETS[rest[-1]], 0
        for i in range(len(rest) - 1, -1, -1):
            depth += (rest[i] == close) - (rest[i] == opening)
            if depth == 0:
                break
        if depth or i == 0:
            break  # unbalanced, or a bracket with no label before it
        notes = (rest[i + 1:-1], *notes)
        rest = rest[:i]
        out.append((rest, notes))
    return tuple(out)


def _noted_matches(key: str, index: dict, definition: FormDefinition) -> list[tuple[str, str, bool]]:
    """Every ``(form name, field name, True)`` a normalised header not in ``index`` names once
    its bracketed notes at the end are stripped (:func:`_without_notes`), as an alias: clerks
    write what to fill after the label (``是否窗口单位（是/否）``, ``先锋岗名称（全称）``;
    refusing it made every row 缺少必填列, a hostile review).  A number field is not matched
    so when a note may change what the numbers mean (:func:`_note_fits`).  Empty when the
    header has no such notes or they do not fit.  Such a match counts only for a field no other
    column names as written (:func:`_row_matches`): ``责任人（联系电话）`` beside 党员责任人 is an
    extra column, not a second 党员责任人."""
    for label, notes in _without_notes(key):
        found = index.get(label)
        if found is not None:
            return [(form_name, field_name, True) for form_name, field_name, _alias in found
                    if all(_note_fits(definition.form(form_name).field(field_name), n) for n in notes)]
    return []


#: A unit as clerks write one in a header's brackets (after NFKC): a magnitude, a unit, or both
#: (千, 百万, 元, 万元, 人, 人次, 个, %).
_UNIT_LIKE = re.compile(r"[十百千万亿]*(?:元|人次|人|名|件|个|次|户|项|天|小时|分|%|‰|家|份|场|期|篇|条)|[十百千万亿]+")
_MAGNITUDE = frozenset("十百千万亿元%‰")


def unit_like(note: str) -> bool:
    """Whether a header's bracketed ``note`` (normalised) is a unit: ``千元``, ``单位:人``, ``%``;
    not ``含责任人`` nor ``老百姓`` (a review: 百 and 人 found inside those refused them)."""
    note = note.strip()
    if note.startswith("单位"):
        note = note[2:].lstrip(":：")
    return bool(note) and _UNIT_LIKE.fullmatch(note) is not None


#: Inside a note (or any header text): money (any 元, with its magnitude: 元, 万元, 人民币元,
#: 美元); and a magnitude before a count unit (万人, 千户).
MONEY_IN = re.compile(r"[十百千万亿]*元")
_SCALED_IN = re.compile(r"[十百千万亿]+(?=[人件个次户项天名家份场期篇条])")


def _note_fits(f: Any, note: str) -> bool:
    """Whether a header's bracketed ``note`` leaves field ``f``'s meaning as it is.  Always for
    a field that is not a number.  For a number: money anywhere in the note (涉及金额（金额单位：
    元）, （人民币元）, （美元）) and a magnitude before a unit (万人) must be the field's own unit,
    and a field without a unit takes neither (a review: 30,000 万元 read from amounts in 元);
    a word of the note that is a unit (:func:`unit_like`: 千, 户数, 单位：个) must be the field's
    unit when it has one; a digit (1-500) is refused for a field with a unit.  A score's maximum
    (为民意识强（20分）) fits a field without a unit; 含责任人, 老百姓 fit any."""
    if f.type not in _NUMBER_TYPES:
        return True
    own = normalise_label(f.unit) if f.unit else ""
    if _SCALED_IN.search(note) or any(normalise_label(u) != own for u in MONEY_IN.findall(note)):
        return False
    words = [w.removeprefix("单位").lstrip(":：为以").removesuffix("计").removesuffix("数")
             for w in re.split(r"[,，、;；/\s]+", note) if w]
    units = [w for w in words if unit_like(w)]
    if own:
        return all(normalise_label(w) == own for w in units) and not any(ch.isdigit() for ch in note)
    return not any(ch in _MAGNITUDE for w in units for ch in w)


def header_labels(rows: list[list[Any]], r: int, index: dict) -> dict[int, str]:
    """Header text per column for candidate header row ``r`` of a two-row header: the cell's
    own text; or, when empty, the text of the cell above (single labels merged vertically over a
    grouped header); or the two cells joined when only that is a known label (a label split
    over two rows, 参与党员 / 人数)."""
    out: dict[int, str] = {}
    row = rows[r]
    above = rows[r - 1] if r > 0 else []
    for c in range(max(len(row), len(above))):
        v = row[c] if c < len(row) else None
        up = above[c] if c < len(above) else None
        # A header label is short; long text (a deed's description) is never one.
        own = v if isinstance(v, str) and v.strip() and len(v) <= _LABEL_MAX else None
        top = up if isinstance(up, str) and up.strip() and len(up) <= _LABEL_MAX else None
        if own and top and normalise_label(own) not in index and normalise_label(top + own) in index:
            out[c] = top + own
        elif own:
            out[c] = own
        elif top:
            out[c] = top
    return out


def _row_matches(rows: list[list[Any]], r: int, definition: FormDefinition, index: dict) -> list[HeaderMatch]:
    """Every form whose header row ``r`` could be: matching at least two of its fields and at
    least half of them; a form of one field, a row whose only header cell is that field's label
    or alias as written (a one-column form was generated but never found on merge, a review)."""
    labels = header_labels(rows, r, index)
    if not labels or len(labels) == 1 and all(len(f.fields) > 1 for f in definition.forms):
        return []
    per_form: dict[str, dict[str, list[int]]] = {}
    noted: list[tuple[int, list[tuple[str, str, bool]]]] = []
    for c, text in labels.items():
        key = normalise_label(text)
        found = index.get(key)
        if found is None:  # this runs on every cell of the first rows: most such cells are
            if key[-1:] in _BRACKETS:  # data, with no note to strip and no function call more
                noted_found = _noted_matches(key, index, definition)
                if noted_found:
                    noted.append((c, noted_found))
            continue
        for form_name, field_name, _alias in found:
            at = per_form.setdefault(form_name, {}).setdefault(field_name, [])
            if c not in at:  # one column, however many of the field's names it matches
                at.append(c)
    # a header matched only without its note names a field no column names as written: it never
    # makes a field's column ambiguous (the first such column wins; the others are extra)
    for c, found in noted:
        for form_name, field_name, _alias in found:
            per_form.setdefault(form_name, {}).setdefault(field_name, [c])
    out = []
    for form_name, found in per_form.items():
        form = definition.form(form_name)
        score = len(found)
        if len(form.fields) == 1:
            if len(labels) != 1 or noted:  # its label alone, as written
                continue
        elif score < 2 or score * 2 < len(form.fields):
            continue
        cols = {name: at[0] for name, at in found.items()}
        repeated = {name: at for name, at in found.items() if len(at) > 1}
        out.append(HeaderMatch(form, r, cols, labels, score, repeated))
    return out


def _best(matches: list[HeaderMatch], definition: FormDefinition) -> HeaderMatch:
    """The match covering the largest share of its form's fields (then the most fields; ties:
    definition order)."""
    order = {f.name: i for i, f in enumerate(definition.forms)}
    return max(matches, key=lambda m: (m.score / len(m.form.fields), m.score, -order[m.form.name]))


def find_headers(sheet: SheetData, definition: FormDefinition, index: dict) -> list[HeaderMatch]:
    """The form whose header this sheet carries, as ``[HeaderMatch]`` (empty when none): the
    row among the first :data:`HEADER_SCAN_ROWS` matching the most fields, at least two and at
    least half of the form's fields.  ``index`` is :func:`label_index` of ``definition``.
    Another form's table pasted further down the sheet is found while the rows are read
    (:func:`header_at`)."""
    best: dict[str, HeaderMatch] = {}
    rows = sheet.rows
    for r in range(min(len(rows), HEADER_SCAN_ROWS)):
        for m in _row_matches(rows, r, definition, index):
            current = best.get(m.form.name)
            if current is None or m.score > current.score:
                best[m.form.name] = m
    # A sheet holds one form at its top: the form issued on a sheet of this name; else the
    # topmost of the forms whose header it carries nearly whole (another form's table pasted
    # below it is read after its data, see header_at: a review found 工作成效表 read as the
    # 办实事 table pasted under it, which has more fields); else the best-scoring one (ties:
    # definition order).
    if not best:
        return []
    # the form issued on a sheet of this name, if its header is here at all: a clerk deletes
    # optional columns (工作成效表 with 4 of 6), and a fuller table pasted below must not take
    # the sheet and lose its rows (a review)
    own = [m for m in best.values() if m.form.sheet == sheet.name]
    strong = [m for m in best.values() if m.score >= _STRONG * len(m.form.fields)]
    if own or strong:
        top = own[0] if own else min(strong, key=lambda m: (m.header_row, -m.score / len(m.form.fields)))
        # another form's header above it with rows of data in between: a table of its own, the
        # chosen one below it (a renamed sheet with optional columns deleted; 办实事 typed at the
        # top of 先锋岗登记表: reviews) — read first, the lower one found below its data
        above = [m for m in best.values() if m.header_row < top.header_row and m.form is not top.form
                 and _data_between(rows, m.header_row, top.header_row)]
        return [min(above, key=lambda m: m.header_row) if above else top]
    return [_best(list(best.values()), definition)]


def _data_between(rows: list[list[Any]], first: int, last: int) -> bool:
    """Whether a row strictly between 0-based rows ``first`` and ``last`` holds two values or
    more (a data row, not a title or identity line)."""
    return any(sum(1 for v in row if v is not None and not (v.__class__ is str and not v.strip())) >= 2
               for row in rows[first + 1:last])


def header_of(rows: list[list[Any]], r: int, definition: FormDefinition, index: dict,
              form_name: str) -> HeaderMatch | None:
    """Row ``r`` (0-based) as a header of form ``form_name`` by the rule of :func:`find_headers`
    (its labels or aliases, at least half of its fields), or None."""
    return next((m for m in _row_matches(rows, r, definition, index) if m.form.name == form_name), None)


def header_at(rows: list[list[Any]], r: int, definition: FormDefinition, index: dict,
              other_than: str) -> HeaderMatch | None:
    """Row ``r`` (0-based) as the header of a form other than ``other_than`` (a form name), by
    the rule of :func:`find_headers`; None when it is none.  Used on rows below a table's data
    whose first cell is another form's label or title: a clerk pasted that form's table under
    this one."""
    matches = _row_matches(rows, r, definition, index)
    found = [m for m in matches if m.form.name != other_than]
    if not found:
        return None
    best = _best(found, definition)
    # a row that is as much this form's header (a shared label such as 先锋岗名称) is not another's
    own = [m for m in matches if m.form.name == other_than]
    if own and own[0].score / len(own[0].form.fields) >= best.score / len(best.form.fields):
        return None
    return best


__all__ = ["HEADER_SCAN_ROWS", "MONEY_IN", "HeaderMatch", "find_headers", "header_at", "header_labels", "header_of",
           "label_index", "unit_like"]
