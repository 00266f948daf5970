"""What a worksheet part's XML becomes in the copy of an .xlsx/.xlsm handed to calamine
(:meth:`xltools.readers._Package.stored_copy`): the same cells, with the merged-cell list
placed where calamine finds it without reading the sheet twice.

Why (issue 7, measured on python-calamine 0.9.1): ``CalamineWorkbook.get_sheet_by_name``
parses the sheet's XML once for its cells and then once more, from the start, for the
``<mergeCells>`` element, which ECMA-376 places after ``<sheetData>`` (Part 1 §18.3.1.99, the
order of CT_Worksheet) and which calamine's second pass stops at.  Placed just before
``<sheetData>``, the list is found after a few hundred bytes; calamine's cell pass passes over it
as over any element before the cells.  A S2 return (2,000 rows) loads in calamine 12.3 → 9.1 ms.

Why the reading cannot change: the cell pass reads the same bytes up to ``</sheetData>`` (the
list put before ``<sheetData>`` is an element it skips), so it finds the same cells or fails the
same way; the second pass stops at the same list, read from the same bytes, having parsed before
it only what the cell pass parsed (the part up to the cells, and the list itself) instead of the
cells and the elements between them and the list, which are checked to parse without error.
That holds when what is found here by byte search is what calamine's XML parser (quick-xml, end
tag names unchecked) sees, so a part is rewritten only when:

* it holds no ``<!`` (comment, CDATA, declaration);
* everything before ``<sheetData`` is an optional byte-order mark and XML declaration, text, and
  whole tags (ASCII names, quoted attribute values holding no ``<``): no processing instruction,
  no tag left open;
* ``sheetData`` is named only there and in the last ``</sheetData>`` (anything that swallowed
  that end tag leaves calamine's cell pass at the end of the part, an error either way);
* the first ``mergeCells`` after it starts a list of the form
  ``<mergeCells count="n"><mergeCell ref="A1:B2"/>…</mergeCells>``, none comes before, and
  between ``</sheetData>`` and the list there are only text and whole tags, no end tag closing
  an element opened before them (the only error quick-xml raises there: nothing open to close).

A sheet with no merged cells keeps its second pass (an empty list put first would hide an error
that pass finds in the rest of the part).  Any other part is handed over as it came.  The safety
scan (:mod:`xltools.xlsx_scan`) reads the original part; the rewrite moves no cell.
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
_TAG = (rb"</?" + _NAME + rb"(?:" + _WS + rb"+" + _NAME + _WS + rb"*=" + _WS
        + rb"""*(?:"[^"<]*"|'[^'<]*'))*""" + _WS + rb"*/?>")
_RE_PLAIN_HEAD = re.compile(rb"(?:\xef\xbb\xbf)?(?:<\?xml" + _WS + rb"[^<>?]*\?>)?[^<]*(?:" + _TAG + rb"[^<]*)*")
_RE_PLAIN = re.compile(rb"[^<]*(?:" + _TAG + rb"[^<]*)*")
# In a region _RE_PLAIN matched: each tag's leading "/" (an end tag) and trailing "/" (empty).
_RE_TAG_KIND = re.compile(rb"""<(/?)[^>"'/]*(?:(?:"[^"]*"|'[^']*')[^>"'/]*)*(/?)>""")
_AFTER_NAME = (b">", b" ", b"\n", b"\r", b"\t")


def merge_cells_first(xml: bytes) -> bytes | None:
    """``xml`` (a worksheet part) with its merged-cell list moved to just before
    ``<sheetData>``; None when it has no list or is not of the shape described in the module
    docstring, to be handed over unchanged."""
    start = xml.find(b"<sheetData")
    end = xml.rfind(b"</sheetData>")
    if start < 0 or end < start or xml[start + 10:start + 11] not in _AFTER_NAME:
        return None
    after = end + 12
    first = xml.find(b"mergeCells", after)
    if first < 0 or _contains(xml, b"<!", 1) or _RE_PLAIN_HEAD.fullmatch(xml, 0, start) is None:
        return None
    found = _RE_MERGE_CELLS.match(xml, first - 1)
    if (found is None or xml.find(b"sheetData", 0, start) >= 0 or xml.find(b"sheetData", after) >= 0
            or xml.find(b"sheetData", start + 10, end) >= 0 or xml.find(b"mergeCells", 0, end) >= 0):
        return None
    between = found.start()
    if between > after and not _balanced(xml, after, between):
        return None
    view = memoryview(xml)  # the pieces joined with one copy
    return b"".join((view[:start], view[between:found.end()], view[start:between], view[found.end():]))


def _balanced(xml: bytes, pos: int, endpos: int) -> bool:
    """Whether ``xml[pos:endpos]`` is text and whole tags, none of them an end tag without its
    start tag in the region."""
    if _RE_PLAIN.fullmatch(xml, pos, endpos) is None:
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
