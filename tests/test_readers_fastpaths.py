"""The speed-ups of issue 7 give exactly what the code they replace gave: the _rectangle fast path
and its fallback, the row conversion of _sheet_data, the one-translate tag tests, the memchr
substring test, the DTD pre-check and the rewritten cell pattern."""

from __future__ import annotations

import random
import re
import zipfile
from pathlib import Path

import pytest

from xltools import readers, xlsx_scan
from xltools.errors import ReturnReadError
from xltools.readers import CellError, read_return

# --------------------------------------------------------------------------- _rectangle


def _old_rectangle(rows, formulas):
    """_rectangle as it was before its fast path (the reference behaviour)."""
    last_row, last_col = 0, -1
    for i, r in enumerate(rows):
        for j in range(len(r) - 1, last_col, -1):
            if r[j] is not None:
                last_col = j
                break
        if last_row < i + 1 and any(v is not None for v in r):
            last_row = i + 1
    for r, c in formulas:
        last_row, last_col = max(last_row, r), max(last_col, c)
    width = last_col + 1
    out = []
    for r in rows[:last_row]:
        r = r[:width]
        if len(r) < width:
            r = r + [None] * (width - len(r))
        out.append(r)
    while len(out) < last_row:
        out.append([None] * width)
    return out


def _typed(rows):
    return [[(type(v), v) for v in r] for r in rows]


@pytest.mark.parametrize("rows, formulas, want", [
    # fast path: rectangular, values in the last row and the last column
    ([[1, None], [None, "x"]], {}, [[1, None], [None, "x"]]),
    ([[True]], {(1, 0): "=A1"}, [[True]]),
    # last row empty: trimmed
    ([[1, 2], [None, None]], {}, [[1, 2]]),
    # last column empty: trimmed
    ([[1, None], [2, None]], {}, [[1], [2]]),
    # both, and an empty row in the middle kept
    ([[1, None, None], [None, None, None], [0.0, None, None], [None, None, None]], {},
     [[1], [None], [0.0]]),
    # ragged rows: padded to the widest value
    ([[1], [None, None, 3], [4, 5]], {}, [[1, None, None], [None, None, 3], [4, 5, None]]),
    # a formula beyond the values widens and lengthens the area
    ([[1, 2]], {(3, 3): "=A1"}, [[1, 2, None, None], [None] * 4, [None] * 4]),
    ([[1, 2], [3, 4]], {(1, 2): ""}, [[1, 2, None], [3, 4, None]]),
    ([[1, 2], [3, 4]], {(3, 0): ""}, [[1, 2], [3, 4], [None, None]]),
    # nothing at all
    ([], {}, []),
    ([[None, None]], {}, []),
    ([[]], {}, []),
    ([[None]], {(2, 1): ""}, [[None, None], [None, None]]),
])
def test_rectangle_trims_and_pads(rows, formulas, want):
    got = readers._rectangle([list(r) for r in rows], dict(formulas))
    assert _typed(got) == _typed(want)
    assert _typed(got) == _typed(_old_rectangle([list(r) for r in rows], dict(formulas)))


def test_rectangle_keeps_types_apart():
    # 1, 1.0 and True are equal in Python; the rows must keep each one as it was
    rows = [[1, 1.0], [True, CellError("#N/A")]]
    got = readers._rectangle(rows, {})
    assert _typed(got) == [[(int, 1), (float, 1.0)], [(bool, True), (CellError, CellError("#N/A"))]]


def test_rectangle_matches_the_old_code_on_random_grids():
    rng = random.Random(3)
    values = [None, None, None, 0, 1, 1.0, True, False, "", "a", CellError("#REF!")]
    for _ in range(4000):
        n = rng.randint(0, 5)
        square = rng.random() < 0.6
        width = rng.randint(0, 4)
        rows = [[rng.choice(values) for _ in range(width if square else rng.randint(0, 4))]
                for _ in range(n)]
        formulas = {(rng.randint(1, 6), rng.randint(0, 5)): "" for _ in range(rng.choice((0, 0, 1, 2)))}
        want = _old_rectangle([list(r) for r in rows], formulas)
        assert _typed(readers._rectangle([list(r) for r in rows], formulas)) == _typed(want), (rows, formulas)


# --------------------------------------------------------------------------- whole files


_CT = (b'<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/'
       b'package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.'
       b'openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType='
       b'"application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/'
       b'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName='
       b'"/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument'
       b'.spreadsheetml.worksheet+xml"/></Types>')
_RELS = (b'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.'
         b'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://'
         b'schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target='
         b'"xl/workbook.xml"/></Relationships>')
_WB = (b'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.'
       b'org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/'
       b'2006/relationships"><sheets><sheet name="S" sheetId="1" r:id="rId1"/></sheets></workbook>')
_WB_RELS = (b'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.'
            b'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http:'
            b'//schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target='
            b'"worksheets/sheet1.xml"/></Relationships>')


def _xlsx(tmp_path: Path, body: bytes, extra: dict[str, bytes] | None = None) -> Path:
    path = tmp_path / "r.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", _CT)
        z.writestr("_rels/.rels", _RELS)
        z.writestr("xl/workbook.xml", _WB)
        z.writestr("xl/_rels/workbook.xml.rels", _WB_RELS)
        z.writestr("xl/worksheets/sheet1.xml",
                   b'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.'
                   b'openxmlformats.org/spreadsheetml/2006/main"><sheetData>' + body
                   + b"</sheetData></worksheet>")
        for name, data in (extra or {}).items():
            z.writestr(name, data)
    return path


def _s(ref: str, text: str) -> bytes:
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'.encode()


def test_a_grid_needing_nothing_is_read_as_is(tmp_path):
    body = (b'<row r="1">' + _s("A1", "a") + b'<c r="B1"><v>1</v></c></row>'
            b'<row r="2"><c r="A2" t="b"><v>1</v></c>' + _s("B2", "") + b'<c r="C2"><v>2.5</v></c></row>')
    sheet = read_return(_xlsx(tmp_path, body)).sheets[0]
    assert _typed(sheet.rows) == _typed([["a", 1.0, None], [True, None, 2.5]])


def test_an_empty_string_in_the_last_column_or_row_is_trimmed(tmp_path):
    # calamine's grid reaches the "" cells; as None they are trailing and go
    body = (b'<row r="1"><c r="A1"><v>1</v></c>' + _s("C1", "") + b"</row>"
            b'<row r="2"><c r="A2"><v>2</v></c></row>'
            b'<row r="3">' + _s("B3", "") + b"</row>")
    sheet = read_return(_xlsx(tmp_path, body)).sheets[0]
    assert _typed(sheet.rows) == _typed([[1.0], [2.0]])


def test_a_formula_beyond_the_values_extends_the_rows(tmp_path):
    body = (b'<row r="1"><c r="A1"><v>3</v></c></row>'
            b'<row r="4"><c r="D4"><f>A1*2</f></c></row>')
    sheet = read_return(_xlsx(tmp_path, body)).sheets[0]
    assert sheet.formulas == {(4, 3): "=A1*2"}
    assert _typed(sheet.rows) == _typed([[3.0, None, None, None]] + [[None] * 4] * 3)


def test_an_error_cell_at_the_edge_is_kept(tmp_path):
    body = (b'<row r="1"><c r="A1"><v>1</v></c><c r="B1" t="e"><v>#N/A</v></c></row>'
            b'<row r="2"><c r="A2" t="e"><v>#DIV/0!</v></c></row>')
    sheet = read_return(_xlsx(tmp_path, body)).sheets[0]
    assert _typed(sheet.rows) == _typed([[1.0, CellError("#N/A")], [CellError("#DIV/0!"), None]])


def test_an_exclamation_mark_is_not_a_dtd_but_a_doctype_still_is(tmp_path):
    body = b'<row r="1">' + _s("A1", "Hi!") + b"</row>"
    assert read_return(_xlsx(tmp_path, body)).sheets[0].rows == [["Hi!"]]
    for dtd in (b'<!DOCTYPE x [<!ENTITY a "b">]>', '<!ENTITY a "b">'.encode("utf-16-le")):
        path = _xlsx(tmp_path, body, {"docProps/app.xml": b'<?xml version="1.0"?>' + dtd + b"<x/>"})
        with pytest.raises(ReturnReadError, match="XML 实体"):
            read_return(path)


# --------------------------------------------------------------------------- byte-level tests


def _kept_pair(xml: bytes, delete: bytes, pairs: tuple[bytes, ...]) -> bool:
    """The two pre-checks as they were before _tag_tests (the reference behaviour): whether a
    pair occurs once every byte in ``delete`` is removed, chunk by chunk (xlsx_scan._CHUNK)."""
    last = b""
    for start in range(0, len(xml), xlsx_scan._CHUNK):
        kept = last + xml[start:start + xlsx_scan._CHUNK].translate(None, delete)
        if any(pair in kept for pair in pairs):
            return True
        last = kept[-1:]
    return False


def _old_lt_after_lt(xml: bytes) -> bool:
    return _kept_pair(xml, bytes(c for c in range(256) if c not in b"<>"), (b"<<",))


def _old_gt_before_quote(xml: bytes) -> bool:
    return _kept_pair(xml, xlsx_scan._NOT_TAG_OR_QUOTE, (b'>"', b">'"))


def test_tag_tests_are_the_two_separate_tests():
    rng = random.Random(9)
    texts = [b"", b"<", b"<<", b"<'<", b'>"', b">'", b'> x"', b"<a b='>'>", b"<c <c/>"]
    texts += [bytes(rng.choice(b"<>\"'ab ") for _ in range(rng.randint(0, 14))) for _ in range(1500)]
    for chunk in (1, 2, 3, 5, 1 << 20):
        with pytest.MonkeyPatch.context() as m:
            m.setattr(xlsx_scan, "_CHUNK", chunk)
            for text in texts:
                want = (_old_lt_after_lt(text), _old_gt_before_quote(text))
                assert xlsx_scan._tag_tests(text) == want, (chunk, text)


def test_contains_is_the_substring_test():
    rng = random.Random(4)
    needles = [(b'"e"', 1), (b"<f", 1), (b":f", 1), (b"hidden=", 0), (b"zeroHeight=", 0)]
    for _ in range(600):
        # long texts with many key bytes run past the probe budget into the plain search
        size = rng.choice((0, 5, 50, 3000, 9000))
        alphabet = b'"e<f:hidn=zroHgt x'
        text = bytes(rng.choice(alphabet) for _ in range(size))
        for needle, at in needles:
            assert xlsx_scan._contains(text, needle, at) == (needle in text), (needle, text[:60])
    many = b"e" * 5000 + b'"e"'
    assert xlsx_scan._contains(many, b'"e"', 1) and not xlsx_scan._contains(many[:-1], b'"e"', 1)


def test_cell_pattern_is_the_one_it_replaced():
    old = re.compile(rb"<c(?![^>]*/>)(?:" + xlsx_scan._CANON_REF + xlsx_scan._CANON_REST
                     + rb">|(?=[\s>])[^>]*>)")
    rng = random.Random(5)
    pieces = [b"<c", b" ", b'r="', b"A", b"Z", b"1", b"0", b'"', b"'", b"r", b"r ", b"r=",
              b"/", b">", b"<", b"/>", b' s="3"', b"t", b"=", b"\t", b'<c r="A1"', b"<col", b"ar"]
    for _ in range(20000):
        x = b"".join(rng.choice(pieces) for _ in range(rng.randint(0, 20)))
        assert xlsx_scan._RE_CELLS.findall(x) == old.findall(x), x
        for i in range(len(x)):
            a, b = old.match(x, i), xlsx_scan._RE_CELLS.match(x, i)
            assert (a and (a.span(), a.groups())) == (b and (b.span(), b.groups())), (x, i)


def test_blank_to_none_matches_the_cell_by_cell_replacement():
    from xltools.readers import _blank_to_none

    rng = random.Random(20261130)
    kinds = ["", "a", 0.0, 1, None, "x", False, True, " ", "0", -0.0]
    for _ in range(3000):
        row = [rng.choice(kinds) for _ in range(rng.randint(1, 25))]
        want = [None if v == "" else v for v in row]
        if "" in row:
            _blank_to_none(row)
        assert row == want
        assert [type(v) for v in row] == [type(v) for v in want]


# --------------------------------------------------------------------------- hidden rows out of order


@pytest.mark.parametrize("order", [(5, 6, 2), (2, 5, 6), (6, 2, 5)])
def test_hidden_rows_in_any_order_are_those_the_full_parse_finds(order):
    # A differential review: the regex scan stopped at the first hidden row past the used
    # area, so a hidden row written after it (rows out of order) went unreported.
    rows = {5: '<row r="5"><c r="A5"><v>1</v></c></row>', 6: '<row r="6" hidden="1"></row>',
            2: '<row r="2" hidden="1"><c r="A2"><v>2</v></c></row>'}
    xml = ('<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/'
           '2006/main"><dimension ref="A1:A5"/><sheetData>' + "".join(rows[r] for r in order)
           + "</sheetData></worksheet>").encode()
    scan = xlsx_scan._scan_xlsx_sheet(xml, "sheet1.xml")
    full = xlsx_scan._SheetScan()
    xlsx_scan._parse_xlsx_sheet(xml, "sheet1.xml", full)
    assert scan.last_row == full.last_row == 5
    assert scan.hidden_rows == {r for r in full.hidden_rows if r <= full.last_row} == {2}
