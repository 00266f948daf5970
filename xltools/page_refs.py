"""Page references in rendered drafts: the 目录 of the compilation of exemplary deeds.

A template marks each heading a 目录 entry points to with a bookmark ``_Tocxl_<kind>`` (the
bundled ``deeds_compilation``: ``_Tocxl_u`` on a unit's chapter heading, ``_Tocxl_p`` on a
post's section heading) and ends each entry with a field ``PAGEREF _Tocxl_<kind> \\h``.  Jinja
loops repeat both; after rendering, :func:`link_page_refs` pairs the n-th entry of a kind with
the n-th heading of that kind and names the pair ``_Tocxl<m>`` (document order), so LibreOffice
(on opening) and Word (on the field update it asks for) print each heading's page.  Each
marker name appears once in the template, so an editor that keeps bookmark names unique
(LibreOffice renames a second ``X`` to ``X_Copy_1``, Word drops it) keeps the template
working.

Two things can spoil that, both handled here:

* a unit's Word document merged into the compilation (``--unit-docs``) may carry bookmarks of
  these names (text copied from last year's compilation) and fields naming them:
  :func:`set_aside_page_marks` renames them in the unit's document before it is merged, and
  the fields, field codes split over several runs, ``fldSimple`` fields and hyperlinks of that
  document that name them, alike;
* docxtpl's subdocuments renumber the template's bookmark ids before rendering (docxcompose
  ``renumber_bookmarks``): :func:`link_page_refs` gives every bookmark of the body its own id
  afterwards (an end whose start a ``{%p if %}`` removed is dropped).

Field codes and bookmarks follow ECMA-376 Part 1, §17.16 (fields) and §17.13.6 (bookmarks);
bookmark names are compared without case, as Word compares them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from itertools import count
from typing import Any

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_START, _END = _W + "bookmarkStart", _W + "bookmarkEnd"
_FLDCHAR, _INSTR, _SIMPLE, _LINK = _W + "fldChar", _W + "instrText", _W + "fldSimple", _W + "hyperlink"

#: The prefix of every page-reference bookmark xltools writes or reads (case-insensitive).
PREFIX = "_Tocxl"
#: A template's marker: ``_Tocxl_`` and a kind (letters and digits).
MARKER = re.compile(r"_Tocxl_([A-Za-z0-9]+)", re.IGNORECASE)


class PageRefMismatch(ValueError):
    """A rendered document's entries and headings of one kind differ in number; ``counts`` is
    kind → (entries, headings)."""

    def __init__(self, counts: dict[str, tuple[int, int]]) -> None:
        self.counts = counts
        super().__init__(counts)


def _field_codes(root: Any) -> Iterator[tuple[str, Any, Any]]:
    """Every field code under ``root``, document order: ``(code, set_code, clear_result)``.  A
    complex field's code is its ``instrText`` runs between ``begin`` and ``separate`` (or
    ``end``) joined — Word splits one code over several runs — and ``set_code(text)`` writes
    ``text`` into the first run and empties the others; a ``fldSimple``'s code is its
    ``w:instr``.  ``clear_result()`` removes the field's stored result (the runs between
    ``separate`` and ``end`` when both are in one paragraph; a ``fldSimple``'s content)."""
    stack: list[list[Any]] = []  # per open field: [instrText elements, still reading the code, separate]
    for e in root.iter(_FLDCHAR, _INSTR, _SIMPLE):
        if e.tag == _SIMPLE:
            yield e.get(_W + "instr") or "", (lambda text, e=e: e.set(_W + "instr", text)), (lambda e=e: _clear_children(e))
        elif e.tag == _INSTR:
            if stack and stack[-1][1]:
                stack[-1][0].append(e)
        else:
            kind = e.get(_W + "fldCharType")
            if kind == "begin":
                stack.append([[], True, None])
            elif kind in ("separate", "end") and stack:
                field = stack[-1]
                if kind == "separate":
                    field[2] = e
                if field[1]:
                    field[1] = False
                    field.append(None)
                if kind == "end":
                    stack.pop()
                    if field[0]:
                        yield ("".join(p.text or "" for p in field[0]), (lambda text, parts=field[0]: _set_code(parts, text)),
                               (lambda sep=field[2], end=e: _clear_between(sep, end)))


def _clear_children(element: Any) -> None:
    for child in list(element):
        element.remove(child)


def _clear_between(separate: Any, end: Any) -> None:
    """Remove the runs between the run holding ``separate`` and the run holding ``end``, when
    both runs are children of one element (a field's result in one paragraph)."""
    if separate is None:
        return
    first, last = separate.getparent(), end.getparent()
    if first is None or last is None or first.getparent() is not last.getparent():
        return
    node = first.getnext()
    while node is not None and node is not last:
        following = node.getnext()
        node.getparent().remove(node)
        node = following


def _set_code(parts: list[Any], text: str) -> None:
    parts[0].text = text
    for p in parts[1:]:
        p.text = ""


def set_aside_page_marks(body: Any, names: Iterator[str]) -> None:
    """Rename, in a unit's document ``body`` (before it is merged), every bookmark whose name
    starts with :data:`PREFIX` to the next of ``names`` (a fresh name each, shared by all the
    units' documents of one rendering) and every reference to it in that document: field codes
    (``PAGEREF``, ``REF``, ``HYPERLINK \\l``, in one run or several, or ``fldSimple``) and
    hyperlink anchors."""
    renamed: dict[str, str] = {}
    for start in body.iter(_START):
        name = start.get(_W + "name") or ""
        if name.casefold().startswith(PREFIX.casefold()):
            new = renamed.setdefault(name.casefold(), next(names))
            start.set(_W + "name", new)
    if not renamed:
        return
    token = re.compile(r"(?<![\w])(" + "|".join(re.escape(k) for k in renamed) + r")(?![\w])", re.IGNORECASE)

    def rename(text: str) -> str:
        return token.sub(lambda m: renamed[m.group(1).casefold()], text)

    for code, set_code, _clear in list(_field_codes(body)):
        if token.search(code):
            set_code(rename(code))
    for link in body.iter(_LINK):
        anchor = link.get(_W + "anchor")
        if anchor and anchor.casefold() in renamed:
            link.set(_W + "anchor", renamed[anchor.casefold()])


def link_page_refs(body: Any, taken_ids: set[int] = frozenset()) -> int:
    """Pair, in the rendered ``body``, the n-th ``PAGEREF _Tocxl_<kind>`` field with the n-th
    ``_Tocxl_<kind>`` bookmark and name both ``_Tocxl<m>`` (m in document order of the
    bookmarks); then give every bookmark of ``body`` its own id, none of ``taken_ids`` (those of
    the headers and footers).  Returns the number of pairs.  Raises :class:`PageRefMismatch`
    when a kind's entries and headings differ in number (nothing is changed then)."""
    marks: dict[str, list[Any]] = {}
    order: list[Any] = []
    for start in body.iter(_START):
        m = MARKER.fullmatch(start.get(_W + "name") or "")
        if m:
            marks.setdefault(m.group(1).casefold(), []).append(start)
            order.append(start)
    refs: dict[str, list[tuple[str, Any, Any, str]]] = {}
    for code, set_code, clear in list(_field_codes(body)):
        words = code.split()
        if len(words) >= 2 and words[0].upper() == "PAGEREF":
            m = MARKER.fullmatch(words[1])
            if m:
                refs.setdefault(m.group(1).casefold(), []).append((code, set_code, clear, words[1]))
    counts = {k: (len(refs.get(k, ())), len(marks.get(k, ()))) for k in {*marks, *refs}}
    if any(a != b for a, b in counts.values()):
        raise PageRefMismatch(counts)
    name_of = {id(start): f"{PREFIX}{n}" for n, start in enumerate(order, 1)}
    for kind, starts in marks.items():
        for start, (code, set_code, clear, word) in zip(starts, refs[kind]):
            name = name_of[id(start)]
            start.set(_W + "name", name)
            set_code(code.replace(word, name, 1))
            clear()  # a number an editor stored in the template is no page of this document
    _unique_ids(body, taken_ids)
    return len(order)


def _unique_ids(body: Any, taken: set[int]) -> None:
    """Every bookmark of ``body`` its own ``w:id``, none of ``taken``: a start takes the next
    free number, an end the number of the latest still open start of its old id; an end
    without one (its start left out by a ``{%p if %}``) is removed, lest it close another."""
    open_ids: dict[str | None, list[str]] = {}
    numbers = (str(n) for n in count(1) if n not in taken)
    for e in list(body.iter(_START, _END)):
        old = e.get(_W + "id")
        if e.tag == _START:
            new = next(numbers)
            open_ids.setdefault(old, []).append(new)
            e.set(_W + "id", new)
        else:
            stack = open_ids.get(old)
            if stack:
                e.set(_W + "id", stack.pop())
            else:
                e.getparent().remove(e)


__all__ = ["MARKER", "PREFIX", "PageRefMismatch", "link_page_refs", "set_aside_page_marks"]
