"""The safety scan of an .ods spreadsheet's content.xml (OASIS OpenDocument 1.2/1.3, streamed
through defusedxml's iterparse): per table its extent, formulas, error cells (LibreOffice's
``calcext:value-type="error"``), hidden rows and merged ranges, as a
:class:`xltools.sheet_scan._SheetScan` per table name.  Split out of :mod:`xltools.readers`, which
calls :func:`_scan_ods` before calamine loads any sheet; a table too large is refused as soon as
its end tag is reached (:func:`xltools.sheet_scan._check_extent`)."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import iterparse as _xml_iterparse

from .sheet_scan import _ADVICE_RESAVE, _check_extent, _corrupt, _Refused, _SheetScan

if TYPE_CHECKING:
    from .readers import Limits


# Clark-notation namespace prefixes of ODF (OASIS OpenDocument 1.2/1.3) and LibreOffice's calcext.
_T = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"
_O = "{urn:oasis:names:tc:opendocument:xmlns:office:1.0}"
_CX = "{urn:org:documentfoundation:names:experimental:calc:xmlns:calcext:1.0}"
_M = "{urn:oasis:names:tc:opendocument:xmlns:meta:1.0}"


def _ods_int(el: Element, name: str) -> int:
    value = el.get(_T + name)
    try:
        return max(1, int(value)) if value else 1
    except ValueError:
        return 1


def _scan_ods(content: bytes, limits: Limits) -> dict[str, _SheetScan]:
    scans: dict[str, _SheetScan] = {}
    depth = 0
    scan: _SheetScan | None = None
    name = ""
    table_el: Element | None = None
    row0 = rrep = col = 0
    pending: list[tuple[int, int, int, int, str, str]] = []  # row0, rrep, col0, crep, kind, text
    try:
        for event, el in _xml_iterparse(io.BytesIO(content), events=("start", "end"), forbid_dtd=True):
            tag = el.tag
            if tag == _T + "table":
                if event == "start":
                    depth += 1
                    if depth == 1:
                        name = el.get(_T + "name", "")
                        scan, table_el, row0, pending = _SheetScan(), el, 0, []
                        scan.merged = []
                else:
                    depth -= 1
                    if depth == 0 and scan is not None:
                        _check_extent(scan, name, limits)
                        _expand_ods(scan, pending)
                        scans[name] = scan
                        el.clear()
                continue
            if depth != 1 or scan is None:
                continue
            if tag == _T + "table-row":
                if event == "start":
                    rrep, col = _ods_int(el, "number-rows-repeated"), 0
                else:
                    if el.get(_T + "visibility") in ("collapse", "filter"):
                        scan.hidden_ranges.append((row0 + 1, row0 + rrep))
                    row0 += rrep
                    el.clear()
                    if table_el is not None:
                        table_el.clear()
            elif event == "end" and tag in (_T + "table-cell", _T + "covered-table-cell"):
                crep = _ods_int(el, "number-columns-repeated")
                formula = el.get(_T + "formula")
                valued = (el.get(_O + "value-type") is not None or formula is not None
                          or len(el) > 0)
                if valued:
                    scan.see(row0 + rrep, col + crep - 1)
                    if formula is not None:
                        # "of:=SUM([.A1:.A3])": drop the formula namespace prefix (ODF 1.2
                        # Part 2 §3; oooc/msoxl from older writers), keep the leading "=".
                        ns, sep, rest = formula.partition(":")
                        text = rest if sep and ns in ("of", "oooc", "ooow", "msoxl") else formula
                        text = text if text.startswith("=") else f"={text}"
                        pending.append((row0, rrep, col, crep, "f", text))
                    if el.get(_CX + "value-type") == "error":
                        code = "".join(el.itertext()).strip()
                        pending.append((row0, rrep, col, crep, "e", code or "#VALUE!"))
                cs = _ods_int(el, "number-columns-spanned")
                rs = _ods_int(el, "number-rows-spanned")
                if (cs > 1 or rs > 1) and tag == _T + "table-cell":
                    scan.merged.append((row0 + 1, col, row0 + rs, col + cs - 1))
                col += crep
                el.clear()
    except _Refused:
        raise
    except DefusedXmlException:
        raise _Refused("含有 XML 实体声明，已拒绝（疑似 XML 炸弹）", _ADVICE_RESAVE) from None
    except (ParseError, ValueError, UnicodeError):
        raise _corrupt("content.xml 不是有效的 XML") from None
    return scans


def _expand_ods(scan: _SheetScan, pending: list[tuple[int, int, int, int, str, str]]) -> None:
    # Repeats were bounded by the extent check just made, so expansion is bounded too.
    for row0, rrep, col0, crep, kind, text in pending:
        for r in range(row0 + 1, row0 + rrep + 1):
            for c in range(col0, col0 + crep):
                (scan.formulas if kind == "f" else scan.errors)[(r, c)] = text
