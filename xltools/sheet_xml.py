"""What a worksheet part's XML becomes in the copy of an .xlsx/.xlsm handed to calamine
(:meth:`xltools.readers._Package.stored_copy`): the same cells, with the merged-cell list
placed where calamine finds it without reading the sheet twice.

Why (issue 7, measured on python-calamine 0.9.1): ``CalamineWorkbook.get_sheet_by_name``
parses the sheet's XML once for its cells and then once more, from the start, for the
``<mergeCells>`` element, which ECMA-376 places after ``<sheetData>`` (Part 1 §18.3.1.99, the
order of CT_Worksheet) and which calamine's second pass stops at.  Placed just before
``<sheetData>``, the list is found after a few hundred bytes; calamine's cell pass passes over it
as over any element before the cells.  A S2 return (2,000 rows) loads in calamine 12.3 → 9.1 ms.

Why the reading cannot change — for a part calamine reads as one sheet and in no other role,
which the caller ensures (:func:`xltools.readers._read_only_as_sheets`; a part also read as the
shared strings had its text changed, a fourth review found): the cell pass reads the same bytes up to ``</sheetData>`` (the
list put before ``<sheetData>`` is an element it skips), so it finds the same cells or fails the
same way; the second pass stops at the same list, read from the same bytes, having parsed before
it only what the cell pass parsed too (the part up to the cells, and the list) instead of the
cells and then the elements between them and the list, which are checked to parse without
error.  That holds when what is found here by byte search is what calamine's XML parser
(quick-xml, end tag names unchecked) sees, so a part is rewritten only when:

* it holds no ``<!`` (comment, CDATA, declaration);
* everything before ``<sheetData`` is an optional byte-order mark and XML declaration, text, and
  whole tags (ASCII names, quoted attribute values holding no ``<``): no processing instruction,
  no tag left open;
* ``<sheetData …>`` is itself a whole start tag, not the empty element ``<sheetData/>`` (after
  which calamine's cell pass parses no cells, leaving them to the second pass);
* ``sheetData`` is named only there and in the last ``</sheetData>``;
* the first ``mergeCells`` after it starts a list of the form
  ``<mergeCells count="n"><mergeCell ref="A1:B2"/>…</mergeCells>``, none comes before, and
  between ``</sheetData>`` and the list there are only whitespace and whole tags with
  double-quoted ASCII values holding none of ``<&'?``, no end tag closing an element opened
  before them;
* the part before ``<sheetData`` and the one between the cells and the list are at most 64 KB
  each (a few hundred bytes in what spreadsheet programs write): a part built to make these
  checks slow is handed over.

A sheet with no merged cells keeps its second pass (an empty list put first would hide an error
that pass finds in the rest of the part).  Any other part is handed over as it came.  One
difference is left, in parts calamine cannot read either way: when something opened among the
cells (a processing instruction, a quote) swallows ``</sheetData>``, the cell pass runs to the
end of the part and fails with or without the rewrite, but may fail on different bytes, so the
refusal's message can differ.  The safety scan (:mod:`xltools.xlsx_scan`) reads the original
part; the rewrite moves no cell.
"""

from __future__ import annotations

import re

from .xlsx_scan import _contains

_WS = rb"[ \t\r\n]"  # XML whitespace (XML 1.0 §2.3: not \v or \f, which \s would take)
#: One merged-cell list as Excel, WPS, LibreOffice and XlsxWriter write it.
_RE_MERGE_CELLS = re.compile(
    rb'<mergeCells(?:' + _WS + rb'+count="[0-9]{1,9}")?' + _WS + rb'*>'
    rb'(?:' + _WS + rb'*<mergeCell' + _WS + rb'+ref="[A-Z]{1,3}[0-9]{1,7}(?::[A-Z]{1,3}[0-9]{1,7})?"' + _WS + rb'*/>)*'
    + _WS + rb'*</mergeCells' + _WS + rb'*>'
)
# A whole tag: "<", an optional "/", an ASCII name (a prefix allowed), attributes with quoted
# values holding no "<", an optional "/", ">".  Text runs hold no "<" and sit only between tags,
# so a region has one way to match (no backtracking blow-up on a region that fails).
_NAME = rb"[A-Za-z_][A-Za-z0-9_.:-]*"
_ATTRS = rb"(?:" + _WS + rb"+" + _NAME + _WS + rb"*=" + _WS + rb"""*(?:"[^"<]*"|'[^'<]*'))*""" + _WS + rb"*"
_TAG = rb"</?" + _NAME + _ATTRS + rb"/?>"
_RE_PLAIN_HEAD = re.compile(rb"(?:\xef\xbb\xbf)?(?:<\?xml" + _WS + rb"[^<>?]*\?>)?[^<]*(?:" + _TAG + rb"[^<]*)*")
#: The cells' start tag, whole and not empty.
_RE_SHEET_DATA = re.compile(rb"<sheetData" + _ATTRS + rb">")
# Between the cells and the list: whitespace and whole tags whose values are double-quoted and
# hold none of <&'? (no reference to resolve, nothing that could end a quote or a processing
# instruction opened among the cells).
_SAFE_VALUE = rb'"[^"<&' + rb"'?]*" + rb'"'
_RE_PLAIN_BETWEEN = re.compile(
    rb"(?:" + _WS + rb"*</?" + _NAME + rb"(?:" + _WS + rb"+" + _NAME + _WS + rb"*=" + _WS + rb"*"
    + _SAFE_VALUE + rb")*" + _WS + rb"*/?>)*" + _WS + rb"*"
)
# In a region _RE_PLAIN_BETWEEN matched: each tag's leading "/" (an end tag) and trailing "/" (empty).
_RE_TAG_KIND = re.compile(rb'<(/?)[^>"/]*(?:"[^"]*"[^>"/]*)*(/?)>')
#: Most bytes looked at before <sheetData and between the cells and the list.
_REGION_LIMIT = 64 << 10


def merge_cells_first(xml: bytes) -> bytes | None:
    """``xml`` (a worksheet part) with its merged-cell list moved to just before
    ``<sheetData>``; None when it has no list or is not of the shape described in the module
    docstring, to be handed over unchanged."""
    start = xml.find(b"<sheetData")
    end = xml.rfind(b"</sheetData>")
    if start < 0 or end < start or start > _REGION_LIMIT:
        return None
    after = end + 12
    first = xml.find(b"mergeCells", after)
    if first < 0 or first - after > _REGION_LIMIT:
        return None
    cells = _RE_SHEET_DATA.match(xml, start, end)
    if cells is None or _contains(xml, b"<!", 1) or _RE_PLAIN_HEAD.fullmatch(xml, 0, start) is None:
        return None
    found = _RE_MERGE_CELLS.match(xml, first - 1)
    if (found is None or xml.find(b"sheetData", 0, start) >= 0 or xml.find(b"sheetData", after) >= 0
            or xml.find(b"sheetData", start + 10, end) >= 0 or xml.find(b"mergeCells", 0, end) >= 0):
        return None
    between = found.start()
    if between > after and not _closes_nothing_opened_before(xml, after, between):
        return None
    view = memoryview(xml)  # the pieces joined with one copy
    return b"".join((view[:start], view[between:found.end()], view[start:between], view[found.end():]))


def _closes_nothing_opened_before(xml: bytes, pos: int, endpos: int) -> bool:
    """Whether ``xml[pos:endpos]`` is ASCII whitespace and whole tags as ``_RE_PLAIN_BETWEEN``
    takes them, none of them an end tag without its start tag in the region."""
    if not xml[pos:endpos].isascii() or _RE_PLAIN_BETWEEN.fullmatch(xml, pos, endpos) is None:
        return False
    depth = 0
    for close, empty in _RE_TAG_KIND.findall(xml, pos, endpos):
        if close:
            depth -= 1
            if depth < 0:
                return False
        elif not empty:
            depth += 1
    return True


__all__ = ["merge_cells_first"]
