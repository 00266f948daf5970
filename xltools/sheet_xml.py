"""What a worksheet part's XML becomes in the copy of an .xlsx/.xlsm handed to calamine
(:meth:`xltools.readers._Package.stored_copy`): the same cells, with the merged-cell list
placed where calamine finds it without reading the sheet twice.

Why (issue 7, measured on python-calamine 0.9.1): ``CalamineWorkbook.get_sheet_by_name``
parses the sheet's XML once for its cells and then once more, from the start, for the
``<mergeCells>`` element, which ECMA-376 places after ``<sheetData>`` (Part 1 §18.3.1.99, the
order of CT_Worksheet) and which calamine's second pass stops at (or at the end of the part,
when a sheet has none).  Placed just before ``<sheetData>``, the list is found after a few
hundred bytes; calamine's cell pass passes over it as over any element before the cells.  A
S2 return (2,000 rows) loads in calamine 12.3 → 9.1 ms; values, merged ranges and extents are
the same (tests/test_sheet_xml.py compares both readings of every .xlsx fixture and corpus file).

Only a part of the plain shape every spreadsheet program writes is rewritten, where what this
module finds by byte search is what calamine's XML parser sees as tags:

* no ``<!`` anywhere (a comment or CDATA could hide or fake any tag);
* before the first ``<sheetData`` and from the last ``</sheetData>`` on, nothing but an optional
  byte-order mark and XML declaration, text, and whole tags of unprefixed or prefixed ASCII
  names whose attribute values are quoted and hold no ``<`` (so no processing instruction, no
  tag left open, no part cut short: any of those could swallow, or be closed by, the bytes
  moved);
* ``sheetData`` named nowhere between those two tags, ``mergeCells`` nowhere before the second;
* after the cells either no ``mergeCells`` at all or exactly one list of the form
  ``<mergeCells count="n"><mergeCell ref="A1:B2"/>…</mergeCells>``.

Any other part is handed over as it came.  The safety scan (:mod:`xltools.xlsx_scan`) reads the
original part; the rewrite moves no cell.
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
_RE_PLAIN_TAIL = re.compile(rb"[^<]*(?:" + _TAG + rb"[^<]*)*")
_AFTER_NAME = (b">", b" ", b"\n", b"\r", b"\t")
#: Put where a sheet with no merged cells had none: calamine's second pass ends on it at once.
_EMPTY_LIST = b"<mergeCells></mergeCells>"


def merge_cells_first(xml: bytes) -> bytes | None:
    """``xml`` (a worksheet part) with its merged-cell list moved to just before
    ``<sheetData>`` (an empty list put there when it has none); None when the part is not of
    the plain shape described in the module docstring, to be handed over unchanged."""
    start = xml.find(b"<sheetData")
    end = xml.rfind(b"</sheetData>")
    if start < 0 or end < start or xml[start + 10:start + 11] not in _AFTER_NAME:
        return None
    if _contains(xml, b"<!", 1):
        return None
    if _RE_PLAIN_HEAD.fullmatch(xml, 0, start) is None or _RE_PLAIN_TAIL.fullmatch(xml, end) is None:
        return None
    if xml.find(b"sheetData", start + 10, end) >= 0 or xml.find(b"mergeCells", 0, end) >= 0:
        return None
    first = xml.find(b"mergeCells", end)
    view = memoryview(xml)  # the pieces joined with one copy
    if first < 0:
        return b"".join((view[:start], _EMPTY_LIST, view[start:]))
    found = _RE_MERGE_CELLS.match(xml, first - 1)
    if found is None or xml.find(b"mergeCells", found.end()) >= 0:
        return None
    return b"".join((view[:start], view[found.start():found.end()], view[start:found.start()], view[found.end():]))


__all__ = ["merge_cells_first"]
