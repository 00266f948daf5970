"""The safety scan of an .xlsx/.xlsm worksheet part (the XML bytes, before calamine parses
them): extent, formulas, error cells and hidden rows, by regular expressions over the bytes
with no Python work per plain cell (:func:`_scan_xlsx_sheet`), or by a full streaming parse
for sheets whose cells carry no ``r`` attribute or that hide rows by default
(:func:`_parse_xlsx_sheet`).  Split out of :mod:`xltools.readers` (issue 7), which calls it for
every worksheet; the patterns' equivalence arguments are in the comments beside them."""

from __future__ import annotations

import html
import io
import operator
import re
from functools import lru_cache
from xml.etree.ElementTree import ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import iterparse as _xml_iterparse

from .issues import column_letter
from .sheet_scan import (
    _ADVICE_RESAVE,
    _col_index,
    _corrupt,
    _local,
    _parse_range,
    _parse_ref,
    _Refused,
    _SheetScan,
)

#: bytes of XML per chunk of the tag tests (_tag_tests); the zip reader reads members by the same size
_CHUNK = 1 << 20

# An opening <c> tag that is not self-closing (a cell that may hold a value); group 1 holds its
# attributes.  The lookahead-capture-backreference makes the attribute scan atomic, so a
# self-closing styled-but-empty cell (<c r="A9" s="1"/>) fails at once: a million of them cost
# a fraction of a second and no Python work.  The fast pattern assumes no attribute value
# contains ">"; when one might (a ">" followed by a quote before the next "<"), the quote-aware
# pattern is used, so x="/>" cannot hide a cell.  Cells with a namespace prefix (Tencent Docs
# writes <ns2:c>) also take the general pattern.
_RE_OPEN_CELL = re.compile(rb"<c(?=[\s>])(?=([^>]*))\1(?<!/)>")
_RE_OPEN_CELL_GENERAL = re.compile(
    rb"<(?:[A-Za-z_][\w.-]*:)?c(?=[\s>])(?=((?:[^>\"']+|\"[^\"]*\"|'[^']*')*))\1(?<!/)>"
)
_RE_PREFIXED_CELL = re.compile(rb":c[\s>]")
# Deleted from a copy of the XML to find a ">" followed by a quote before the next "<" (the
# regular expression >[^<]*["'] takes twice as long): see _tag_tests.
_NOT_TAG_OR_QUOTE = bytes(c for c in range(256) if c not in b"<>\"'")
# A name starts only where no name character precedes it: the same matches as without the
# lookbehind (an attempt inside a run of name characters fails exactly when the attempt at the
# run's start does), in linear instead of quadratic time on a long run with no "=".
_RE_ATTRS = re.compile(rb"(?<![^\s=/>\"'])([^\s=/>\"']+)\s*=\s*(?:\"([^\"]*)\"|'([^']*)')")
# "<" between a cell's "<c" and the next ">" (linear: each attempt stops at the next "<" or ">").
_RE_LT_IN_CELL_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?c\s[^<>]*<")
_RE_CELL_REF = re.compile(rb"\$?([A-Za-z]{1,3})\$?([0-9]{1,7})")

# What follows a cell's opening tag: CT_Cell is the sequence f?, v?, is? (ECMA-376 Part 1
# §18.3.1.4), so an optional <f …>text</f> or <f …/> then an optional <v>text</v>.  Matched only
# for cells that start with <f or are error-typed, so plain cells cost nothing more.
_P = rb"(?:[A-Za-z_][\w.-]*:)?"
_RE_F_NEXT = re.compile(rb"\s*<" + _P + rb"f[\s>/]")
_RE_CELL_BODY = re.compile(
    rb"\s*(?:<" + _P + rb"f(?=[\s>/])([^>]*?)(?:/>|>([^<]*)</" + _P + rb"f\s*>))?"
    rb"\s*(?:<" + _P + rb"v\s*>([^<]*)<)?"
)
_RE_F_ATTR = re.compile(rb"\b(t|ref)\s*=\s*[\"']([^\"']*)[\"']")
# A hidden row's opening tag (only these produce matches) and its r attribute.
_RE_HIDDEN_ROW = re.compile(
    rb"<" + _P + rb"row\s(?=[^>]*\bhidden\s*=\s*[\"'](?:1|true)[\"'])([^>]*)>"
)
_RE_ROW_R = re.compile(rb"\br\s*=\s*[\"']([0-9]{1,8})[\"']")
_RE_ZERO_HEIGHT_ON = re.compile(rb"""zeroHeight\s*=\s*["'](?:1|true)["']""")

# The fast path of the cell scan (_scan_canonical_cells).  Nearly every writer opens a cell as
# <c r="B7" s="3" t="s">: the reference first, upper-case, no "$", no leading zero in the row,
# no other attribute named r, nothing holding "<", ">", "/" or "'".  _RE_CELLS matches exactly
# where _RE_OPEN_CELL does and over the same bytes, taking such a "canonical" tag with its
# reference captured (groups 1 and 2) and any other tag with empty groups, so one findall
# delivers every cell's position with no Python work per cell — or tells that some cell needs
# the per-cell loop (_scan_each_cell, the reference behaviour), which then scans the sheet.
# Why the two agree, at any position: _RE_OPEN_CELL matches when "<c" is followed by a space or
# ">" and the first ">" after it is not preceded by "/", up to that ">"; the lookahead of
# _RE_CELLS rejects exactly the other case, a canonical tag ends at that first ">" (nothing in it
# is ">"), and so does the second alternative.  For a canonical tag the per-cell code finds the
# same single r attribute: a name r needs "r" followed by a space or "=", and every other "r"
# in a canonical tag is followed by something else.
# _RE_CELLS_GENERAL mirrors _RE_OPEN_CELL_GENERAL (prefixed cells, or a ">" that may sit in a
# quoted value) the same way, its second alternative being that pattern itself: a canonical tag
# there holds only double-quoted values with none of "<>/" in them, so the quote-aware scan also
# ends at its first ">".
_NOT_R = rb"r(?![\s=])"
_CANON_REST = rb"[^<>/r']*(?:" + _NOT_R + rb"[^<>/r']*)*"
_CANON_VALUE = rb'"[^"<>/r]*(?:' + _NOT_R + rb'[^"<>/r]*)*"'
_CANON_REST_GENERAL = rb"[^<>/r\"']*(?:(?:" + _NOT_R + rb"|" + _CANON_VALUE + rb")[^<>/r\"']*)*"
_CANON_REF = rb'[ ]r="([A-Z]{1,3})([1-9][0-9]{0,6})"'
# _RE_CELLS is _CANON_REF + _CANON_REST + ">" or the lookahead (?![^>]*/>) then the other tag,
# written for speed: a canonical tag satisfies that lookahead anyway (its first ">" follows no
# "/"), so only the second alternative tests it, and the rest of a canonical tag is the same
# language as _CANON_REST + ">" with the common case (no "r" in it) taking no repeat.
_CANON_REST_END = rb"[^<>/r']*(?:>|" + _NOT_R + rb"(?:[^<>/r']|" + _NOT_R + rb")*>)"
_RE_CELLS = re.compile(
    rb"<c(?:" + _CANON_REF + _CANON_REST_END + rb"|(?![^>]*/>)(?=[\s>])[^>]*>)"
)
_RE_CELLS_GENERAL = re.compile(
    rb"<" + _P + rb"c(?:" + _CANON_REF + _CANON_REST_GENERAL + rb">"
    rb"|(?=[\s>])(?=((?:[^>\"']+|\"[^\"]*\"|'[^']*')*))\3(?<!/)>)"
)
# A cell tag whose quote-aware attribute scan would read a ">" inside a quoted value: only then
# can a quote-aware match run past a ">", so only then must the general scan not be cut there.
_RE_QUOTED_GT = re.compile(
    rb"<" + _P + rb"c(?=[\s>])[^>\"']*(?:(?:\"[^>\"]*\"|'[^>']*')[^>\"']*)*(?:\"[^\">]*>|'[^'>]*>)"
)


def _rare_cells(general: bool, errors: bool) -> re.Pattern[bytes]:
    """Canonical cells that may hold a formula (an <f> follows the tag) or, when ``errors``,
    an error (t="e" among the attributes); group 1 holds the attributes, 2 and 3 the column
    letters and row of the reference.  Where every cell is canonical these match exactly where
    _RE_CELLS / _RE_CELLS_GENERAL took a tag (no match can start inside a canonical tag: it
    holds no "<")."""
    formula = rb"(?=[^>]*>\s*<" + _P + rb"f[\s>/])"
    cond = rb"(?:(?=[^>]*t\s*=\s*[\"']e[\"'])|" + formula + rb")" if errors else formula
    rest = _CANON_REST_GENERAL if general else _CANON_REST
    return re.compile(rb"<" + (_P if general else b"") + rb"c" + cond + rb"(" + _CANON_REF + rest + rb")>")


_RE_RARE = {(general, errors): _rare_cells(general, errors)
            for general in (False, True) for errors in (False, True)}
_SCAN_CHUNK = 1 << 20  # bytes of XML per findall: bounds the per-cell lists of a huge sheet
_FIRST = operator.itemgetter(0)
_SECOND = operator.itemgetter(1)


def _scan_xlsx_sheet(xml: bytes, part: str) -> _SheetScan:
    """Extent, formulas, error cells and hidden rows of a worksheet part, by regular
    expressions over the bytes (no Python work per empty or plain cell).  Sheets whose cells
    carry no ``r`` attribute, or that hide rows by default (``zeroHeight``), get the full
    streaming parse instead."""
    scan = _SheetScan()
    head = xml[:200]
    if head.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in head:
        raise _corrupt(f"{part} 使用了不支持的 UTF-16 编码")
    if _contains(xml, b"zeroHeight=", 0) and _RE_ZERO_HEIGHT_ON.search(xml):
        # LibreOffice writes zeroHeight="false" on every sheet: only a true value needs the parse
        _parse_xlsx_sheet(xml, part, scan)
        return scan
    lt_after_lt, gt_before_quote = _tag_tests(xml)
    if lt_after_lt and _RE_LT_IN_CELL_TAG.search(xml):
        # Not well-formed XML (a tag cannot hold "<"), and the one shape that makes the cell
        # patterns below quadratic (<c <c <c … />): refused before they run.
        raise _corrupt(f"{part} 的单元格标记中含有“<”，不是有效的 XML")
    general = bool(_RE_PREFIXED_CELL.search(xml)) or gt_before_quote
    if not _scan_canonical_cells(xml, scan, general) and not _scan_each_cell(
            xml, part, scan, _RE_OPEN_CELL_GENERAL if general else _RE_OPEN_CELL):
        scan = _SheetScan()  # cells positioned implicitly (e.g. Power BI exports)
        _parse_xlsx_sheet(xml, part, scan)
        return scan
    if _contains(xml, b"hidden=", 0):
        for m in _RE_HIDDEN_ROW.finditer(xml):
            r = _RE_ROW_R.search(m.group(1))
            if r is None:  # rows positioned implicitly: let the parser count them
                scan = _SheetScan()
                _parse_xlsx_sheet(xml, part, scan)
                return scan
            row = int(r.group(1))
            if row <= scan.last_row:  # beyond the used area nothing to report
                # (not a stop: rows may come out of order, as the full parse takes them)
                scan.hidden_rows.add(row)
    return scan


def _contains(xml: bytes, needle: bytes, at: int) -> bool:
    """``needle in xml``, found through the occurrences of ``needle[at]`` (``bytes.find`` of one
    byte is a memchr): far faster than the substring search, whose work grows with the
    occurrences of the needle's last byte, when that byte is rare in the buffer.  After one miss
    per KB the substring search takes over from the last miss, so a common byte costs little
    more than the plain test."""
    key = needle[at:at + 1]
    i = xml.find(key, at)
    for _ in range(len(xml) >> 10):
        if i < 0:
            return False
        if xml.startswith(needle, i - at):
            return True
        i = xml.find(key, i + 1)
    # every occurrence not yet checked starts at i - at or later
    return i >= 0 and xml.find(needle, i - at) >= 0


_QUOTES_AS_ONE = bytes.maketrans(b"'", b'"')


def _tag_tests(xml: bytes) -> tuple[bool, bool]:
    """``(lt_after_lt, gt_before_quote)`` from one ``translate`` of the buffer, chunk by chunk
    (carrying the last kept byte across chunks):

    * *lt_after_lt*: two "<" follow each other with no ">" between them somewhere — never in
      well-formed XML outside comments and CDATA, and a precondition of a cell tag holding "<"
      (it spares the exact regular expression its per-tag work on ordinary sheets);
    * *gt_before_quote*: ``>[^<]*["']`` matches somewhere (a ">" that may sit in an attribute
      value).

    The copy keeps only ``< > " '``, with "'" mapped to '"': a ">" directly followed by '"' there
    is gt_before_quote; deleting the quotes from it leaves "<<" exactly where lt_after_lt holds."""
    lt = gt = False
    last_q = last_t = b""
    for start in range(0, len(xml), _CHUNK):
        new = xml[start:start + _CHUNK].translate(_QUOTES_AS_ONE, _NOT_TAG_OR_QUOTE)
        kept = last_q + new
        tags = last_t + new.translate(None, b'"')
        gt = gt or b'>"' in kept
        lt = lt or b"<<" in tags
        if lt and gt:
            break
        last_q, last_t = kept[-1:], tags[-1:]
    return lt, gt


def _scan_canonical_cells(xml: bytes, scan: _SheetScan, general: bool) -> bool:
    """The cell part of :func:`_scan_xlsx_sheet` when every cell tag is canonical (see
    ``_RE_CELLS``): the same result as :func:`_scan_each_cell`, with the work per cell done by
    ``findall``, ``map``, ``set`` and ``list.index`` only.  Returns False, leaving ``scan``
    untouched, when some cell is not canonical."""
    if not general and _scan_within_dimension(xml, scan):
        _scan_rare_cells(xml, scan, general)
        return True
    pattern = _RE_CELLS_GENERAL if general else _RE_CELLS
    # Chunks end just after a ">": a match attempt never reads past the first ">" after its
    # start (the quote-aware pattern: unless a quoted value holds one), so the chunks together
    # find exactly the matches of one pass over the whole buffer.
    size = len(xml)
    step = _SCAN_CHUNK
    if general and size > step and _RE_QUOTED_GT.search(xml):
        step = size
    columns: dict[bytes, int] = {}
    n = 0  # cells in earlier chunks
    best_row = best_col = 0  # largest row, largest column + 1 so far
    row_at = col_at = (0, 0, 0)  # (index, row, column) of their first occurrences
    start = 0
    while start < size:
        stop = xml.find(b">", start + step) + 1 if start + step < size else size
        if stop <= 0:
            stop = size
        found = pattern.findall(xml, start, stop)
        start = stop
        if not found:
            continue
        names = set(map(_FIRST, found))
        if b"" in names:  # a tag that is not canonical
            return False
        for name in names.difference(columns):
            columns[name] = _col_index(name)
        # no leading zeros, no lower case: equal numbers are equal bytes, so operator.indexOf
        # finds the first cell with the largest row or column (no per-cell lists are built)
        top = max(map(int, set(map(_SECOND, found))))
        if top > best_row:
            i = operator.indexOf(map(_SECOND, found), b"%d" % top)
            best_row, row_at = top, (n + i, top, columns[found[i][0]])
        right = max(map(columns.__getitem__, names))
        if right + 1 > best_col:
            i = operator.indexOf(map(_FIRST, found),
                                 next(name for name in names if columns[name] == right))
            best_col, col_at = right + 1, (n + i, int(found[i][1]), right)
        n += len(found)
    if n == 0:
        return True
    # _SheetScan.see moves far_cell to each cell that raises the largest row or column: the last
    # such cell is the first occurrence of the largest row or of the largest column, whichever
    # comes later.
    _, far_row, far_col = max(row_at, col_at)
    scan.last_row, scan.last_col, scan.far_cell = best_row, best_col - 1, (far_row, far_col)
    _scan_rare_cells(xml, scan, general)
    return True


def _scan_rare_cells(xml: bytes, scan: _SheetScan, general: bool) -> None:
    """Formulas and error values of a sheet whose cell tags are all canonical, in document
    order, through the per-cell code of :func:`_scan_each_cell` (``_RE_RARE`` matches only
    where the cell patterns take a tag)."""
    errors = _contains(xml, b'"e"', 1)  # t="e" with any spacing (canonical tags hold no "'")
    if errors or _contains(xml, b"<f", 1) or _contains(xml, b":f", 1):
        for m in _RE_RARE[general, errors].finditer(xml):
            _, is_error = _cell_attributes(m.group(1))
            _cell_extras(xml, m.end(), (int(m.group(3)), _col_index(m.group(2))), is_error, scan)


# The bounded scan (_scan_within_dimension).  A guess at the last row R (that of the last cell
# tag holding something: the one before the last "</c>") and the last column C (the sheet's
# <dimension>, which may also count styled blank cells below the data, but rarely columns) is
# checked by one pass over the cell tags: a search that stops only at a tag that is not
# canonical with its row ≤ R and column ≤ C — and, until they are met, at the first cell of row
# R and of column C.  When the guess holds (every cell tag canonical and within A1:CR, row R and
# column C both met), the first cells of row R and of column C give exactly what the findall of
# _scan_canonical_cells would: last row R, last column C and the far cell.  Any surprise (no
# dimension, a tag that is not canonical, a cell beyond the guess, no cell in row R or column C)
# leaves it to that findall.  No per-cell list is built: a S2 return's biggest sheet is scanned
# in about half the time.
_RE_DIMENSION = re.compile(rb'<dimension\s+ref="([A-Z]{1,3})([1-9][0-9]{0,6})(?::([A-Z]{1,3})([1-9][0-9]{0,6}))?"')
_RE_CANON_CELL = re.compile(rb"<c" + _CANON_REF + _CANON_REST_END)
_NOTHING = b"(?!)"


def _up_to(bound: str, first: str, digits: str) -> bytes:
    """A pattern matching exactly the strings over the character range ``digits`` (such as
    ``"0-9"``), starting with one of the range ``first``, that are not after ``bound`` in the
    order "shorter first, then character by character": rows without leading zeros
    (``_up_to("1603", "1-9", "0-9")``) and column letters (``_up_to("AB", "A-Z", "A-Z")``)."""
    k = len(bound)
    alternatives = [b"[%s][%s]{0,%d}" % (first.encode(), digits.encode(), k - 2)] if k > 1 else []
    for i, ch in enumerate(bound):
        low = first[0] if i == 0 else digits[0]
        if ch > low:
            rest = b"[%s]{%d}" % (digits.encode(), k - i - 1) if k - i - 1 else b""
            alternatives.append(re.escape(bound[:i]).encode() + b"[%s-%s]" % (low.encode(), chr(ord(ch) - 1).encode()) + rest)
    alternatives.append(re.escape(bound).encode())
    return b"(?:" + b"|".join(alternatives) + b")"


def _rows_up_to(row: int) -> bytes:
    """A pattern for the row numbers 1 … ``row`` as written in a canonical reference."""
    return _up_to(str(row), "1-9", "0-9") if row >= 1 else _NOTHING


def _columns_up_to(col: int) -> bytes:
    """A pattern for the column letters of 0-based columns 0 … ``col``."""
    return _up_to(column_letter(col), "A-Z", "A-Z") if col >= 0 else _NOTHING


@lru_cache(maxsize=256)
def _stop_outside(last_row: int, last_col: int) -> re.Pattern[bytes]:
    """A pattern matching at each cell tag (as ``_RE_CELLS`` takes them: ``<c`` then a space
    or ">", not self-closing) that is not canonical with its row ≤ ``last_row`` and its column
    ≤ ``last_col``."""
    inside = rb' r="' + _columns_up_to(last_col) + _rows_up_to(last_row) + rb'"' + _CANON_REST_END
    return re.compile(rb"<c(?!" + inside + rb")(?=[\s>])(?![^>]*/>)")


def _scan_within_dimension(xml: bytes, scan: _SheetScan) -> bool:
    """Extent and far cell of a sheet (not prefixed, no ">" in a quoted value) whose cells are
    canonical and whose last row and column are guessed right, by at most three searches; False,
    leaving ``scan`` untouched, for any other sheet (see the comment above ``_RE_DIMENSION``)."""
    data_at = xml.find(b"<sheetData")
    m = _RE_DIMENSION.search(xml, 0, max(data_at, 0))
    if m is None:
        return False
    last_col = _col_index(m.group(3) or m.group(1))
    closing = xml.rfind(b"</c>")
    last = _RE_CANON_CELL.match(xml, xml.rfind(b"<c", 0, closing)) if closing > 0 else None
    if last is None or last.end() > closing:
        return False
    last_row = int(last.group(2))
    first_in_row = first_in_col = None  # (position, row, column) of the first cell of row R / column C
    pos = 0
    while True:
        stop = _stop_outside(last_row if first_in_row else last_row - 1,
                             last_col if first_in_col else last_col - 1).search(xml, pos)
        if stop is None:
            break
        cell = _RE_CANON_CELL.match(xml, stop.start())
        if cell is None:
            return False
        row, col = int(cell.group(2)), _col_index(cell.group(1))
        if row > last_row or col > last_col:
            return False
        if row == last_row and first_in_row is None:
            first_in_row = (stop.start(), row, col)
        if col == last_col and first_in_col is None:
            first_in_col = (stop.start(), row, col)
        pos = cell.end()
    if first_in_row is None or first_in_col is None:
        return False
    scan.last_row, scan.last_col = last_row, last_col
    # _SheetScan.see: the far cell is the first cell of the last row or of the last column,
    # whichever comes later (the same cell when one is both)
    scan.far_cell = max(first_in_row, first_in_col)[1:]
    return True


def _cell_attributes(attrs: bytes) -> tuple[list[bytes], bool]:
    """A cell tag's r attributes (normally one) and whether it is error-typed (t="e")."""
    refs: list[bytes] = []
    is_error = False
    for name, dq, sq in _RE_ATTRS.findall(attrs):
        if name == b"r":
            refs.append(dq or sq)
        elif name == b"t":
            is_error = (dq or sq) == b"e"
    return refs, is_error


def _scan_each_cell(xml: bytes, part: str, scan: _SheetScan, pattern: re.Pattern[bytes]) -> bool:
    """The cell part of :func:`_scan_xlsx_sheet`, one match per cell: False when a cell has no
    ``r`` attribute (the caller then parses the sheet in full)."""
    for m in pattern.finditer(xml):
        refs, is_error = _cell_attributes(m.group(1))
        if not refs:  # cells positioned implicitly (e.g. Power BI exports)
            return False
        for ref in refs:
            rm = _RE_CELL_REF.fullmatch(ref)
            if rm is None:  # calamine would place it somewhere we cannot measure
                raise _corrupt(f"{part} 中的单元格地址无效（{ref[:20].decode('ascii', 'replace')}）")
            pos = int(rm.group(2)), _col_index(rm.group(1))
            scan.see(*pos)
        _cell_extras(xml, m.end(), pos, is_error, scan)
    return True


def _cell_extras(xml: bytes, end: int, pos: tuple[int, int], is_error: bool, scan: _SheetScan) -> None:
    """Formula and error value of the cell whose opening tag ends at ``end``."""
    if not is_error and not _RE_F_NEXT.match(xml, end):
        return
    body = _RE_CELL_BODY.match(xml, end)
    if body is None:
        return
    f_attrs, f_text, v_text = body.groups()
    if f_attrs is not None:
        text = html.unescape((f_text or b"").decode("utf-8", "replace"))
        scan.formulas[pos] = f"={text}" if text else ""
        fa = dict(_RE_F_ATTR.findall(f_attrs))
        if fa.get(b"t") in (b"array", b"dataTable") and fa.get(b"ref"):
            rng = _parse_range(fa[b"ref"].decode("ascii", "replace"))
            if rng:
                scan.formula_ranges.append(rng)
    if is_error and v_text and v_text.strip():
        scan.errors[pos] = html.unescape(v_text.decode("utf-8", "replace")).strip()


def _parse_xlsx_sheet(xml: bytes, part: str, scan: _SheetScan) -> None:
    """The full streaming parse (defusedxml iterparse): positions of cells without ``r``,
    ``zeroHeight`` sheets, and everything the regular-expression scan reports."""
    row = 0
    col = -1
    cell_pos = (0, 0)
    try:
        for event, el in _xml_iterparse(io.BytesIO(xml), events=("start", "end"), forbid_dtd=True):
            tag = _local(el.tag)
            if event == "start":
                if tag == "row":
                    r = el.get("r")
                    if r is not None and not (r.isascii() and r.isdigit() and len(r) <= 7):
                        raise _corrupt(f"{part} 中的行号无效（{r[:20]}）")
                    row = int(r) if r else row + 1
                    col = -1
                    hidden = el.get("hidden")
                    if hidden in ("1", "true"):
                        scan.hidden_rows.add(row)
                    else:
                        scan.visible_rows.add(row)
                elif tag == "c":
                    ref = el.get("r")
                    pos = _parse_ref(ref) if ref is not None else (max(row, 1), col + 1)
                    if pos is None:  # calamine would place it somewhere we cannot measure
                        raise _corrupt(f"{part} 中的单元格地址无效（{ref[:20]}）")
                    cell_pos = pos
                    col = pos[1]
                elif tag == "sheetFormatPr":
                    scan.hidden_by_default = el.get("zeroHeight") in ("1", "true")
            elif tag == "c":
                f = v = None
                for child in el:
                    name = _local(child.tag)
                    if name == "f":
                        f = child
                    elif name == "v":
                        v = child
                if f is not None:
                    text = f.text or ""
                    scan.formulas[cell_pos] = f"={text}" if text else ""
                    if f.get("t") in ("array", "dataTable") and f.get("ref"):
                        rng = _parse_range(f.get("ref", ""))
                        if rng:
                            scan.formula_ranges.append(rng)
                if el.get("t") == "e" and v is not None and (v.text or "").strip():
                    scan.errors[cell_pos] = (v.text or "").strip()
                if f is not None or v is not None or len(el):
                    scan.see(*cell_pos)
                el.clear()
            elif tag == "row":
                el.clear()
    except DefusedXmlException:
        raise _Refused("含有 XML 实体声明，已拒绝（疑似 XML 炸弹）", _ADVICE_RESAVE) from None
    except (ParseError, ValueError, UnicodeError):
        raise _corrupt(f"{part} 不是有效的 XML") from None
