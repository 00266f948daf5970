"""Pages of a compiled draft: the 目录's page references, and the units' Word documents made
safe to merge into it (the compilation of exemplary deeds).

A template marks each heading a 目录 entry points to with a bookmark ``_Tocxl_<kind>`` (the
bundled ``deeds_compilation``: ``_Tocxl_u`` on a unit's chapter heading, ``_Tocxl_p`` on a
post's section heading) and ends each entry with a field ``PAGEREF _Tocxl_<kind> \\h``.  Jinja
loops repeat both; after rendering, :func:`link_page_refs` pairs each entry of a kind with the
heading of that kind whose text is the entry's (else the n-th entry with the n-th heading) and
names the pair ``_Tocxl<m>`` (document order), so LibreOffice (on opening) and Word (on the field
update it asks for) print each heading's page.  A 目录 whose entries do not repeat the headings'
text must list them in the order the body has them (pairing is then by position);
headings of a kind no entry names (a 目录 that lists units only) are left as plain headings.
Each marker name appears once in the template, so an editor that keeps bookmark names unique
(LibreOffice renames a second ``X`` to ``X_Copy_1``, Word drops it) keeps the template
working.

What the units' documents (``--unit-docs``) bring is set apart before they are merged
(:func:`set_apart_unit_docs`):

* bookmarks of these names (text copied from last year's compilation), bookmarks whose names
  the template or an earlier unit's document already uses (Word's ``_Toc…`` names recur
  across documents), and references to ``_Tocxl…`` names with no bookmark: renamed, with the
  fields (in one run or several, ``fldSimple``) and hyperlinks of that document naming them,
  to names no merged document uses, so each reference keeps pointing into its own document;
* section breaks: a unit's section (its page size, margins, page numbering restart) would
  become a section of the compilation — a break that starts a new page becomes a page break,
  a continuous one is dropped, so the template's page layout and numbering hold throughout.

docxtpl's subdocuments renumber the template's bookmark ids before rendering (docxcompose
``renumber_bookmarks``): :func:`link_page_refs` gives every bookmark of the body its own id
afterwards (an end whose start a ``{%p if %}`` removed is dropped).

Field codes, bookmarks and sections follow ECMA-376 Part 1, §17.16 (fields), §17.13.6
(bookmarks) and §17.6 (sections); bookmark names are compared without case, as Word compares
them.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator, Sequence
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


def _field_codes(root: Any) -> Iterator[tuple[str, Any, Any, Any]]:
    """Every field code under ``root``, document order: ``(code, set_code, clear_result, at)``,
    ``at`` the element holding (the first part of) the code.  A
    complex field's code is its ``instrText`` runs between ``begin`` and ``separate`` (or
    ``end``) joined — Word splits one code over several runs — and ``set_code(text)`` writes
    ``text`` into the first run and empties the others; a ``fldSimple``'s code is its
    ``w:instr``.  ``clear_result()`` removes the field's stored result (the runs between
    ``separate`` and ``end`` when both are in one paragraph; a ``fldSimple``'s content)."""
    stack: list[list[Any]] = []  # per open field: [instrText elements, still reading the code, separate]
    for e in root.iter(_FLDCHAR, _INSTR, _SIMPLE):
        if e.tag == _SIMPLE:
            yield (e.get(_W + "instr") or "", (lambda text, e=e: e.set(_W + "instr", text)),
                   (lambda e=e: _clear_children(e)), e)
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
                               (lambda sep=field[2], end=e: _clear_between(sep, end)), field[0][0])


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


_REF_TOKEN = re.compile(r'"[^"]*"|\S+')
_TOCXL_WORD = re.compile(r"(?<!\w)_Tocxl\w*", re.IGNORECASE)


def _ref_target(code: str, commands: tuple[str, ...] = ("PAGEREF",)) -> str | None:
    """The bookmark a field code of one of ``commands`` names, as written (quotes kept): its
    first argument that is not a switch (``PAGEREF \\h X`` and ``PAGEREF "X"`` are Word's too)."""
    words = _REF_TOKEN.findall(code)
    if not words or words[0].upper() not in commands:
        return None
    return next((w for w in words[1:] if not w.startswith("\\")), None)


def set_apart_unit_docs(template_body: Any, unit_bodies: Sequence[Any]) -> None:
    """Make the units' document bodies (``unit_bodies``, in the order they are merged) safe to
    merge into a template whose body is ``template_body`` (module docstring):

    * each bookmark named ``_Tocxl…`` or with a name (without case) the template or an earlier
      unit's document already has is renamed ``_xlOld<k>``, a name no body uses, and so is
      every ``_Tocxl…`` name a field code or hyperlink of that document names without its
      bookmark; every field code (``PAGEREF``, ``REF``, ``HYPERLINK \\l``, in one run or
      several, or ``fldSimple``) and hyperlink anchor of that document naming a renamed
      bookmark is renamed alike (one name kept twice within a document, as a text box's two
      renditions keep it, stays one name);
    * each section break (a paragraph's ``w:sectPr``) is removed, leaving a page break in its
      paragraph unless the break was continuous.

    The bodies are changed in place."""
    used = {(e.get(_W + "name") or "").casefold()
            for root in (template_body, *unit_bodies) for e in root.iter(_START)}
    numbers = count(1)

    def fresh() -> str:
        while True:
            name = f"_xlOld{next(numbers)}"
            if name.casefold() not in used:
                used.add(name.casefold())
                return name

    seen = {(e.get(_W + "name") or "").casefold() for e in template_body.iter(_START)}
    for body in unit_bodies:
        _break_sections(body)
        renamed: dict[str, str] = {}
        here: set[str] = set()
        for start in body.iter(_START):
            key = (start.get(_W + "name") or "").casefold()
            if key not in renamed and (key.startswith(PREFIX.casefold()) or key in seen):
                renamed[key] = fresh()
            if key in renamed:
                start.set(_W + "name", renamed[key])
            else:
                here.add(key)
        codes = list(_field_codes(body))
        anchors = [link for link in body.iter(_LINK) if link.get(_W + "anchor")]
        for text in [code for code, _set, _clear, _at in codes] + [link.get(_W + "anchor") for link in anchors]:
            for word in _TOCXL_WORD.findall(text):
                if word.casefold() not in renamed:
                    renamed[word.casefold()] = fresh()
        seen |= here | set(map(str.casefold, renamed.values()))
        if not renamed:
            continue
        token = re.compile(r"(?<!\w)(" + "|".join(re.escape(k) for k in renamed) + r")(?!\w)", re.IGNORECASE)
        for code, set_code, _clear, _at in codes:
            if token.search(code):
                set_code(token.sub(lambda m, names=renamed: names[m.group(1).casefold()], code))
        for link in anchors:
            anchor = link.get(_W + "anchor")
            if anchor.casefold() in renamed:
                link.set(_W + "anchor", renamed[anchor.casefold()])


def _break_sections(body: Any) -> None:
    """Remove the section breaks of a unit's document ``body``: a paragraph's ``w:sectPr``
    (ECMA-376 §17.6.17; the body's last ``sectPr`` docxtpl already leaves out) goes, and a
    page break (``w:br w:type="page"``) ends the paragraph unless the section's start was
    ``continuous`` (a missing ``w:type`` means ``nextPage``)."""
    from lxml import etree

    for sect in list(body.iter(_W + "sectPr")):
        ppr = sect.getparent()
        if ppr is None or ppr.tag != _W + "pPr":
            continue
        kind = sect.find(_W + "type")
        starts_page = kind is None or kind.get(_W + "val", "nextPage") != "continuous"
        ppr.remove(sect)
        paragraph = ppr.getparent()
        if starts_page and paragraph is not None:
            run = etree.SubElement(paragraph, _W + "r")
            etree.SubElement(run, _W + "br").set(_W + "type", "page")


def link_page_refs(body: Any, taken_ids: set[int] = frozenset()) -> int:
    """Pair, in the rendered ``body``, each ``PAGEREF _Tocxl_<kind>`` field with the
    ``_Tocxl_<kind>`` bookmark whose heading has the entry's text (:func:`_by_text`; else the
    n-th field with the n-th bookmark) and name both ``_Tocxl<m>`` (m in document order of the
    bookmarks; the field's bookmark may be quoted or follow a switch); a kind's bookmarks no
    field names are removed.  Then give every bookmark of ``body`` its own id, none of
    ``taken_ids`` (those of the headers, footers, footnotes, endnotes and comments).  Returns
    the number of pairs.  Raises :class:`PageRefMismatch` (counts of the kinds that have
    entries) when a kind's entries and headings differ in number; nothing is changed then."""
    marks: dict[str, list[Any]] = {}
    order: list[Any] = []
    for start in body.iter(_START):
        m = MARKER.fullmatch(start.get(_W + "name") or "")
        if m:
            marks.setdefault(m.group(1).casefold(), []).append(start)
            order.append(start)
    refs: dict[str, list[tuple[str, Any, Any, Any, str]]] = {}
    ref_order: list[tuple[str, Any]] = []  # (kind, element) of every entry, in document order
    for code, set_code, clear, at in list(_field_codes(body)):
        word = _ref_target(code)
        m = MARKER.fullmatch(word.strip('"')) if word else None
        if m:
            refs.setdefault(m.group(1).casefold(), []).append((code, set_code, clear, at, word))
            ref_order.append((m.group(1).casefold(), at))
    counts = {k: (len(refs.get(k, ())), len(marks.get(k, ()))) for k in {*marks, *refs}}
    if any(a != b for a, b in counts.values() if a):
        raise PageRefMismatch({k: c for k, c in counts.items() if c[0]})
    for kind in [k for k in marks if k not in refs]:  # headings no entry names: plain headings
        for start in marks.pop(kind):
            start.getparent().remove(start)  # its end goes as an orphan (_unique_ids)
            order.remove(start)
    name_of = {id(start): f"{PREFIX}{n}" for n, start in enumerate(order, 1)}
    kind_of = {id(start): kind for kind, starts in marks.items() for start in starts}
    # each heading's and entry's text, compared without the page field and leaders
    text = {id(e): _norm(_text_outside_fields(_paragraph_of(e))) for e in [*order, *(at for _, at in ref_order)]}
    head_parent = _parents([(kind_of[id(s)], s) for s in order], text)
    entry_parent = _parents(ref_order, text)
    for kind, starts in marks.items():
        ats = [e[3] for e in refs[kind]]
        paired = _by_text(starts, [text[id(s)] for s in starts], [text[id(at)] for at in ats],
                          [head_parent[id(s)] for s in starts], [entry_parent[id(at)] for at in ats])
        for start, (code, set_code, clear, _at, word) in zip(paired, refs[kind]):
            name = name_of[id(start)]
            start.set(_W + "name", name)
            set_code(code.replace(word, name, 1))
            clear()  # a number an editor stored in the template is no page of this document
    _unique_ids(body, taken_ids)
    return len(order)


def _parents(elements: list[tuple[str, Any]], text: dict[int, str]) -> dict[int, str]:
    """For each ``(kind, element)`` (document order), the text (``text`` by ``id``) of the
    nearest element before it of another kind — a post heading's unit heading, a post entry's
    unit entry — without its numbering, or ''."""
    latest: dict[str, tuple[int, str]] = {}  # kind → (position, text) of its latest element
    out: dict[int, str] = {}
    for n, (kind, e) in enumerate(elements):
        before = [v for k, v in latest.items() if k != kind]
        out[id(e)] = max(before)[1] if before else ""
        latest[kind] = (n, _ENUMERATOR.sub("", text[id(e)]))
    return out


def _by_text(starts: list[Any], heads: list[str], texts: list[str], head_parents: list[str],
             entry_parents: list[str]) -> list[Any]:
    """The headings (bookmark starts) of one kind in the order of their 目录 entries, given
    the headings' and the entries' text (``heads``, ``texts``: without the page field and
    leaders) and their parents' (:func:`_parents`): each entry takes the heading not yet taken
    whose text is its own, else the same but for their numbering (一、, （一）), else one whose
    text contains it or is contained in it.  When several headings qualify (two units each with
    an 办公室党员先锋岗), the one under the same parent (the nearest heading of another kind, as
    the entry's nearest entry of another kind: ``head_parents``, ``entry_parents``) is taken,
    the first of them if several; when the parent does not tell, or some entry finds no
    heading, ``starts`` as they are (pairing by position).  So a 目录 sorted differently from
    the body (``|sort``, ``|reverse``) still gets each heading's page."""
    if not all(texts) or not all(heads):
        return starts
    bare_heads = [_ENUMERATOR.sub("", h) for h in heads]
    bare_texts = [_ENUMERATOR.sub("", t) for t in texts]
    same: list[Any] = [
        lambda i, j: texts[i] == heads[j],                          # 一、甲 ↔ 一、甲
        lambda i, j: bare_texts[i] == bare_heads[j],                # 甲 ↔ 二、甲 (own numbering)
        lambda i, j: texts[i] in heads[j] or heads[j] in texts[i],  # 甲 ↔ 甲同志事迹
    ]

    def same_parent(i: int, j: int) -> bool:
        a, b = entry_parents[i], head_parents[j]
        return a == b or bool(a and b and (a in b or b in a))

    taken: dict[int, int] = {}  # entry → heading
    for match in same:
        for i in range(len(texts)):
            if i in taken:
                continue
            free = set(taken.values())
            found = [j for j in range(len(heads)) if j not in free and match(i, j)]
            if len(found) > 1:
                found = [j for j in found if same_parent(i, j)]
                if not found:
                    return starts  # the text names several headings and the parent none of them
            if found:
                taken[i] = found[0]
    if len(taken) < len(texts):
        return starts
    return [starts[taken[i]] for i in range(len(texts))]


#: A heading's or entry's own numbering: 一、 （一） 1. 第一章.
_ENUMERATOR = re.compile(r"^(第[一二三四五六七八九十百零〇0-9]+[章节篇部分]+|[(（][一二三四五六七八九十百零〇0-9]+[)）]"
                         r"|[一二三四五六七八九十百零〇0-9]+[、.．])")


def _paragraph_of(e: Any) -> Any:
    """The paragraph holding ``e`` (a bookmark start or a field code); for a bookmark between
    paragraphs, the next paragraph."""
    node = e
    while node is not None and node.tag != _W + "p":
        node = node.getparent()
    if node is None:
        node = e.getnext()
        while node is not None and node.tag != _W + "p":
            node = node.getnext()
    return node


def _text_outside_fields(p: Any) -> str:
    """The text of paragraph ``p`` outside every field (a 目录 entry's page number is a field's
    result, so it is left out)."""
    if p is None:
        return ""
    out: list[str] = []
    depth = 0
    for e in p.iter(_FLDCHAR, _W + "t"):
        if e.tag == _FLDCHAR:
            kind = e.get(_W + "fldCharType")
            depth += 1 if kind == "begin" else -1 if kind == "end" and depth else 0
        elif depth == 0 and not any(a.tag == _SIMPLE for a in e.iterancestors()):
            out.append(e.text or "")
    return "".join(out)


def _norm(text: str) -> str:
    """Entry or heading text compared: NFKC, without whitespace and a leader's dots."""
    return re.sub(r"[\s.·…]+", "", unicodedata.normalize("NFKC", text))


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


__all__ = ["MARKER", "PREFIX", "PageRefMismatch", "link_page_refs", "set_apart_unit_docs"]
