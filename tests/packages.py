"""Minimal .xlsx packages written part by part, for the tests of how xltools and calamine resolve
a package (which workbook, which sheet part, which relationships): tests/test_sheet_xml.py,
tests/test_sheet_resolution.py, tests/test_read_selected_sheets.py."""

from __future__ import annotations

import zipfile
from collections.abc import Iterable, Mapping
from pathlib import Path

#: the officeDocument relationships namespace (ECMA-376 Part 1), also the prefix of relationship types
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
CONTENT_TYPES = ('<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" '
                 'ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" '
                 'ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/'
                 'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/></Types>')


def relationships(*items: tuple[str, str, str]) -> str:
    """A relationships part: ``(id, type, target)`` each, the type after :data:`REL`
    (``"worksheet"``, ``"officeDocument"``, ``"sharedStrings"``)."""
    body = "".join(f'<Relationship Id="{rid}" Type="{REL}/{kind}" Target="{target}"/>' for rid, kind, target in items)
    return f'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">{body}</Relationships>'


def workbook_xml(sheets: str) -> str:
    """A workbook part listing ``sheets`` (the ``<sheet>`` elements as written; prefixes ``r:`` and
    ``x:`` are declared)."""
    return f'<workbook xmlns="{MAIN}" xmlns:r="{REL}" xmlns:x="urn:x"><sheets>{sheets}</sheets></workbook>'


def xlsx_package(path: Path, sheets: str, targets: Mapping[str, str], parts: Mapping[str, str | bytes] = (),
                 *, office_document: str = "xl/workbook.xml") -> Path:
    """Write ``path``: [Content_Types].xml, ``_rels/.rels`` naming ``office_document``, that workbook
    listing ``sheets``, its relationships (id → worksheet target, relative to its folder), then
    ``parts`` by name — a name already written is replaced in place (member order kept), so any
    of the parts above can be given as the test needs it."""
    folder, _, name = office_document.rpartition("/")
    members: dict[str, str | bytes] = {
        "[Content_Types].xml": CONTENT_TYPES,
        "_rels/.rels": relationships(("rId1", "officeDocument", office_document)),
        office_document: workbook_xml(sheets),
        f"{folder}/_rels/{name}.rels": relationships(*((rid, "worksheet", t) for rid, t in targets.items())),
    }
    members.update(dict(parts))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for member, body in members.items():
            zf.writestr(member, body)
    return path


def one_sheet_package(path: Path, sheet_xml: str | bytes, parts: Mapping[str, str | bytes] = ()) -> Path:
    """:func:`xlsx_package` with one sheet, S1, at ``xl/worksheets/sheet1.xml``."""
    return xlsx_package(path, '<sheet name="S1" sheetId="1" r:id="rId1"/>', {"rId1": "worksheets/sheet1.xml"},
                        {"xl/worksheets/sheet1.xml": sheet_xml, **dict(parts)})


def sheet_list(pairs: Iterable[tuple[str, str]]) -> str:
    """``<sheet>`` elements for ``(name, relationship id)`` pairs, numbered from 1."""
    return "".join(f'<sheet name="{n}" sheetId="{k}" r:id="{r}"/>' for k, (n, r) in enumerate(pairs, 1))
