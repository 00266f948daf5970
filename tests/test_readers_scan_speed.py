"""The fast path of the xlsx cell scan (xlsx_scan._scan_canonical_cells) gives exactly what the
per-cell loop (xlsx_scan._scan_each_cell, the reference behaviour) gives, on real worksheets and on
hostile ones, whatever the chunking; and it is taken for the worksheets real writers produce.
"""

from __future__ import annotations

import dataclasses
import random
import re
import zipfile
from pathlib import Path

import pytest

from xltools import readers, xlsx_scan
from xltools.issues import cell_address, column_letter

ROOT = Path(__file__).resolve().parent.parent
_H = b'<?xml version="1.0"?>\n<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
_T = b"</sheetData></worksheet>"


def _sheet(body: bytes) -> bytes:
    return _H + body + _T


def _outcome(xml: bytes) -> tuple:
    """Everything _scan_xlsx_sheet reports, order-sensitive where the scan has an order."""
    try:
        scan = xlsx_scan._scan_xlsx_sheet(xml, "xl/worksheets/sheet1.xml")
    except xlsx_scan._Refused as exc:
        return ("refused", exc.reason, exc.advice)
    fields = dataclasses.asdict(scan)
    fields["formulas"] = list(scan.formulas.items())
    fields["errors"] = list(scan.errors.items())
    fields["hidden_rows"] = sorted(scan.hidden_rows)
    fields["visible_rows"] = sorted(scan.visible_rows)
    return ("read", fields)


def _reference(xml: bytes, monkeypatch: pytest.MonkeyPatch) -> tuple:
    with monkeypatch.context() as m:
        m.setattr(xlsx_scan, "_scan_canonical_cells", lambda xml, scan, general: False)
        return _outcome(xml)


def _assert_same(xml: bytes, monkeypatch: pytest.MonkeyPatch, chunks=(1, 2, 7, 64)) -> None:
    want = _reference(xml, monkeypatch)
    assert _outcome(xml) == want
    for chunk in chunks:
        with monkeypatch.context() as m:
            m.setattr(xlsx_scan, "_SCAN_CHUNK", chunk)
            m.setattr(xlsx_scan, "_CHUNK", chunk)  # the tag tests' chunks
            m.setattr(readers, "_CHUNK", chunk)  # the zip reader's (and its DTD check's)
            assert _outcome(xml) == want, f"chunk {chunk}"


HOSTILE = {
    "plain": b'<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" s="1"><v>2</v></c></row>',
    "rows without r": b'<row><c r="A1"><v>1</v></c></row><row><c r="C2"><v>1</v></c></row>',
    "cell without r": b'<row r="1"><c><v>1</v></c><c r="B1"><v>2</v></c></row>',
    "cell without r later": b'<row r="1"><c r="B1"><v>2</v></c><c t="n"><v>1</v></c></row>',
    "bad ref then no r": b'<row r="1"><c r="1A"><v>2</v></c><c><v>1</v></c></row>',
    "bare <c> at the end": b'<row r="1"><c r="A1"><v>1</v></c><c>',
    "inline strings": b'<row r="1"><c r="A1" t="inlineStr"><is><t>He said "hi" &gt; x</t></is></c>'
                      b'<c r="D3" t="inlineStr"><is><t>x</t></is></c></row>',
    "huge spans": b'<row r="1" spans="1:16384"><c r="A1"><v>1</v></c></row>'
                  b'<row r="1048576" spans="1:16384"><c r="B5"/></row>',
    "self-closing": b'<row r="1"><c r="A1"/><c r="XFD1048576"/><c r="C3" /><c r="Z9"></c></row>',
    "prefixed": b'<x:row r="1"><x:c r="A1" t="s"><x:v>0</x:v></x:c><x:c r="C1"><x:f>A1+1</x:f>'
                b'<x:v>1</x:v></x:c><x:c r="D1" t="e"><x:v>#N/A</x:v></x:c></x:row>'
                b'<x:row r="5" hidden="1"><x:c r="B5"><x:v>3</x:v></x:c></x:row>',
    "mixed prefix": b'<row r="1"><c r="A1"><v>1</v></c><x:c r="Q1"><v>1</v></x:c></row>',
    "formulas": b'<row r="1"><c r="A1"><f>SUM(B1:B3)</f><v>6</v></c><c r="B1"><f t="shared" ref="B1:B4" '
                b'si="0">C1*2</f></c><c r="B2"><f t="shared" si="0"/></c><c r="C1"><f t="array" '
                b'ref="C1:C3">A1:A3*2</f><v>1</v></c><c r="D1"><f>IF(A1="x","&lt;a&gt;",1)</f><v>1</v></c></row>',
    "errors": b'<row r="1"><c r="A1" t="e"><v>#DIV/0!</v></c><c r="B1" t="e"><f>1/0</f><v> #REF! </v></c>'
              b'<c r="C1" t="e"><v></v></c><c r="D1" t="e"/><c r="E1" t="e" t="s"><v>#N/A</v></c>'
              b'<c r="F1" t = "e"><v>#N/A</v></c><c r="G1" t=\'e\'><v>#N/A</v></c></row>',
    "two r attributes": b'<row r="1"><c r="A1" r="Z9"><v>1</v></c><c r="B1" r ="C7"><v>1</v></c></row>',
    "lower case and $": b'<row r="1"><c r="a1"><v>1</v></c><c r="$B$7"><v>1</v></c></row>',
    "row 0 and leading zeros": b'<row r="1"><c r="C0"><v>1</v></c><c r="A01"><v>1</v></c><c r="B3"/></row>',
    "out of order": b'<row r="9"><c r="D9"><v>1</v></c><c r="B9"><v>1</v></c></row><row r="2"><c r="Z2">'
                    b'<v>1</v></c></row><row r="9"><c r="Z9"><v>1</v></c><c r="AA1"><v>1</v></c></row>',
    "too long a reference": b'<row r="1"><c r="A12345678"><v>1</v></c><c r="ABCD1"><v>1</v></c></row>',
    "> in a value": b'<row r="1"><c r="A1" x="a>b"><v>1</v></c><c r="B2" x="/>" ><v>1</v></c></row>',
    "< in a value": b'<row r="1"><c r="A1" x="<c r=&quot;Q9&quot;>"><v>1</v></c></row>',
    "quoted > across cells": b'<row r="1"><c r="A1" x="' + b"a" * 40 + b">" + b'<c r="B2">' * 5
                             + b'"><v>1</v></c><c r="C3"><v>"q"</v></c></row>',
    "comment and CDATA": b'<row r="1"><!-- <c r="Q99"><f>1</f></c> --><c r="A1" t="inlineStr"><is><t>'
                         b'<![CDATA[<c r="Z999">]]></t></is></c></row>',
    "whitespace in tags": b'<row r="1"><c  r="A1"\n s="1"><v>1</v></c><c\tr="B2"><v>1</v></c>'
                          b'<c r = "C3"><v>1</v></c><c r=\'D4\'><v>1</v></c></row>',
    "r in other attributes": b'<row r="1"><c r="A1" xr="Q5" t="str"><f>"a"</f><v>a</v></c>'
                             b'<c r="B1" x=" r="><v>1</v></c></row>',
    "hidden rows": b'<row r="1"><c r="A1"><v>1</v></c></row><row r="2" hidden="1"><c r="A2"><v>1</v></c>'
                   b'</row><row r="3" hidden="true"/><row r="9" hidden="1"/>',
    "hidden row without r": b'<row r="1"><c r="A1"><v>1</v></c></row><row hidden="1"><c r="A2"/></row>',
    "no cells": b'<row r="1"/><row r="2" hidden="1"/>',
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_fast_path_matches_the_per_cell_loop(name, monkeypatch):
    _assert_same(_sheet(HOSTILE[name]), monkeypatch)


def test_fast_path_matches_on_mutated_sheets(monkeypatch):
    rng = random.Random(20261130)
    pieces = [b"<c", b"<c ", b"<x:c ", b' r="A1"', b' r="Z10"', b' r="a1"', b' r="A01"', b" r='C3'",
              b' s="1"', b' t="e"', b" t='e'", b' t="str"', b' x="a>b"', b' x="/>"', b'"', b"'", b">",
              b"/>", b"<v>", b"</v>", b"#N/A", b"<f>", b"</f>", b"<f/>", b"<x:f>", b"</c>",
              b'<row r="3">', b'<row hidden="1" r="2">', b"<row>", b"</row>", b"\n", b" ", b"r=",
              b"<!-- ", b" -->"]
    cells = [b'<c r="%s%d"%s>%s</c>' % (rng.choice([b"A", b"B", b"AA", b"XFD"]), rng.randint(1, 30),
                                        rng.choice([b"", b' s="1"', b' t="e"', b' t="s" s="2"']),
                                        rng.choice([b"<v>1</v>", b"<f>1+1</f><v>2</v>", b"<v>#N/A</v>", b""]))
             for _ in range(30)]
    for _ in range(400):
        body = b"".join(rng.choice(cells) if rng.random() < 0.5 else rng.choice(pieces)
                        for _ in range(rng.randint(1, 30)))
        _assert_same(_sheet(body), monkeypatch, chunks=(1, rng.randint(2, 50)))


def _worksheets(paths) -> list[bytes]:
    out = []
    for path in paths:
        with zipfile.ZipFile(path) as zf:
            out += [zf.read(n) for n in zf.namelist() if n.startswith("xl/worksheets/") and n.endswith(".xml")]
    return out


def test_fast_path_is_taken_and_agrees_on_sample_returns(monkeypatch):
    sheets = _worksheets(sorted((ROOT / "samples").rglob("*.xlsx")))
    assert sheets, "no sample workbooks"
    taken = 0
    real = xlsx_scan._scan_canonical_cells

    def counting(xml, scan, general):
        nonlocal taken
        ok = real(xml, scan, general)
        taken += ok
        return ok

    for xml in sheets:
        want = _reference(xml, monkeypatch)
        with monkeypatch.context() as m:
            m.setattr(xlsx_scan, "_scan_canonical_cells", counting)
            assert _outcome(xml) == want
    assert taken == len(sheets)  # what openpyxl / Excel / XlsxWriter write is canonical


def test_gt_before_quote_is_the_regular_expression(monkeypatch):
    # the second of _tag_tests' answers
    pattern = re.compile(rb">[^<]*[\"']")
    rng = random.Random(7)
    texts = [b"", b">", b'>"', b"> '", b'<a>"', b"<a>x<b>'", b'x="a>b"', b'>a<"', b">>>'", b"<>"]
    texts += [bytes(rng.choice(b'<>"\'ab ') for _ in range(rng.randint(0, 12))) for _ in range(300)]
    for chunk in (1, 2, 3, 1 << 20):
        monkeypatch.setattr(xlsx_scan, "_CHUNK", chunk)
        for text in texts:
            assert xlsx_scan._tag_tests(text)[1] == (pattern.search(text) is not None), (chunk, text)


# --------------------------------------------------------------------------- hostile: no quadratic scans


_OLD_ATTRS = re.compile(rb"([^\s=/>\"']+)\s*=\s*(?:\"([^\"]*)\"|'([^']*)')")


def test_attribute_pattern_matches_as_before_on_random_attribute_runs():
    rng = random.Random(7)
    alphabet = [b"r", b"a", b"=", b" ", b'"', b"'", b"/", b">", b"1", b"t", b"e", b"\t"]
    for _ in range(3000):
        text = b"".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40)))
        assert xlsx_scan._RE_ATTRS.findall(text) == _OLD_ATTRS.findall(text), text


def test_a_long_attribute_run_without_equals_is_read_in_linear_time():
    # Quadratic before: 40 KB took 25 s, so 2 MB would take hours.  Lower-case "a1" makes the tag
    # non-canonical, so the per-cell loop and its attribute pattern run.
    xml = _sheet(b'<row r="1"><c r="a1" ' + b"a" * 2_000_000 + b"><v>1</v></c></row>")
    outcome = _outcome(xml)
    assert outcome[0] == "read" and (outcome[1]["last_row"], outcome[1]["last_col"]) == (1, 0)


@pytest.mark.parametrize("body", [b"<c " * 200_000 + b"/>", b"<x:c " * 200_000 + b"/>",
                                  b'<c r="A1" x="<c r="A2">'])
def test_a_cell_tag_holding_lt_is_refused_not_scanned(body):
    outcome = _outcome(_sheet(b'<row r="1">' + body + b"</row>"))
    assert outcome[0] == "refused" and "不是有效的 XML" in outcome[1]


def test_a_cell_without_attributes_is_not_taken_for_a_tag_holding_lt():
    outcome = _outcome(_sheet(b'<row r="1"><c><v>1</v></c><c r="B1"><v>2</v></c></row>'))
    assert outcome[0] == "read"


def test_the_fast_lt_test_is_a_precondition_of_the_exact_one():
    # _tag_tests' lt_after_lt guards _RE_LT_IN_CELL_TAG: whenever the exact pattern matches, the fast test
    # must be true, or a hostile sheet would reach the quadratic cell patterns.
    rng = random.Random(11)
    pieces = [b"<c ", b"<x:c ", b"<", b">", b"a", b" ", b"/>", b'"', b"<!--", b"-->"]
    for _ in range(5000):
        text = b"".join(rng.choice(pieces) for _ in range(rng.randint(0, 30)))
        if xlsx_scan._RE_LT_IN_CELL_TAG.search(text):
            assert xlsx_scan._tag_tests(text)[0], text
    # across the chunk boundary
    big = b"<row>" + b"a" * (xlsx_scan._CHUNK - 5 - 3) + b"<c <c/>"
    assert xlsx_scan._tag_tests(big)[0] and _outcome(_sheet(big))[0] == "refused"


# --------------------------------------------------------------------------- the bounded scan


def _with_dimension(body: bytes, ref: bytes | None) -> bytes:
    dimension = b'<dimension ref="' + ref + b'"/>' if ref is not None else b""
    return _H.replace(b"<sheetData>", dimension + b"<sheetData>") + body + _T


def _exact_dimension(xml: bytes, monkeypatch: pytest.MonkeyPatch) -> bytes | None:
    outcome = _reference(xml, monkeypatch)
    if outcome[0] != "read" or outcome[1]["last_row"] == 0:
        return None
    fields = outcome[1]
    return b"A1:" + cell_address(fields["last_row"], fields["last_col"]).encode()


_EXTRA_BODIES = {
    "far cell": b'<row r="1"><c r="A1"><v>1</v></c></row><row r="1048576"><c r="XFD1048576"><v>1</v></c></row>',
    "far cell first": b'<row r="9"><c r="C9"><v>1</v></c><c r="A1"><v>1</v></c><c r="B9"><v>1</v></c></row>',
    "last row and column in one cell": b'<row r="1"><c r="A1"><v>1</v></c></row><row r="5"><c r="D5"><v>1</v></c></row>',
    "last column before last row": b'<row r="1"><c r="A1"><v>1</v></c><c r="K1"><v>1</v></c></row>'
                                   b'<row r="70"><c r="B70"><v>1</v></c></row>',
    "last row before last column": b'<row r="70"><c r="B70"><v>1</v></c></row><row r="2"><c r="K2"><v>1</v></c>'
                                   b'<c r="K9"><v>1</v></c></row>',
    "only blank cells in the last row": b'<row r="1"><c r="A1"><v>1</v></c></row><row r="9"><c r="C9" s="1"/></row>',
    "many rows": b"".join(b'<row r="%d"><c r="A%d" t="s"><v>0</v></c><c r="B%d" s="2"/><c r="AB%d"><v>%d</v>'
                          b"</c></row>" % (r, r, r, r, r) for r in range(1, 1200)),
}


@pytest.mark.parametrize("name", sorted(HOSTILE) + sorted(_EXTRA_BODIES))
def test_bounded_scan_matches_the_per_cell_loop_whatever_the_dimension(name, monkeypatch):
    body = HOSTILE.get(name, _EXTRA_BODIES.get(name))
    exact = _exact_dimension(_sheet(body), monkeypatch)
    refs = [None, b"A1", b"Z99", b"XFD1048576", b"A0", b"a1:c3", b"B2:B2", b"A1:C", b"A1:AB1199", b"A1:AA1199"]
    if exact is not None:
        last = exact.split(b":")[1]
        letters, digits = re.fullmatch(rb"([A-Z]+)([0-9]+)", last).groups()
        refs += [exact, last, b"A1:" + letters + str(int(digits) + 1).encode(), b"A1:" + letters + b"1",
                 b"A1:A" + digits, b"A1:Z" + digits]
    for ref in refs:
        _assert_same(_with_dimension(body, ref), monkeypatch, chunks=(1, 64))


def test_bounded_scan_matches_on_mutated_sheets_with_dimensions(monkeypatch):
    rng = random.Random(20261201)
    cells = [b'<c r="%s%d"%s>%s</c>' % (rng.choice([b"A", b"B", b"C", b"AA"]), rng.randint(1, 12),
                                        rng.choice([b"", b' s="1"', b' t="e"', b' t="s" s="2"']),
                                        rng.choice([b"<v>1</v>", b"<f>1+1</f><v>2</v>", b"<v>#N/A</v>", b""]))
             for _ in range(40)]
    pieces = [b'<c r="B3"/>', b'<c r="A01"><v>1</v></c>', b"<c><v>1</v></c>", b'<row r="3">', b"</row>",
              b' x="a>b"', b"<!-- ", b" -->", b'<c r="C12" s="1"/>', b'<c  r="B2"><v>1</v></c>']
    for _ in range(600):
        body = b"".join(rng.choice(cells) if rng.random() < 0.8 else rng.choice(pieces)
                        for _ in range(rng.randint(1, 25)))
        ref = b"A1:%s%d" % (rng.choice([b"A", b"B", b"C", b"AA", b"AB"]), rng.randint(1, 13))
        _assert_same(_with_dimension(body, ref), monkeypatch, chunks=(1,))


def test_bounded_scan_is_taken_on_sample_returns():
    sheets = [xml for xml in _worksheets(sorted((ROOT / "samples").rglob("*.xlsx"))) if b"<v>" in xml]
    assert sheets
    taken = sum(xlsx_scan._scan_within_dimension(xml, xlsx_scan._SheetScan()) for xml in sheets)
    assert taken == len(sheets)  # XlsxWriter, Excel and LibreOffice write an exact dimension


@pytest.mark.parametrize(("bound", "kind"), [(b, "row") for b in (1, 9, 10, 11, 99, 100, 1603, 20000, 1048576)]
                         + [(b, "column") for b in (0, 1, 25, 26, 27, 51, 701, 702, 727, 16383)])
def test_bound_patterns_match_exactly_the_numbers_up_to_the_bound(bound, kind):
    if kind == "row":
        pattern = re.compile(xlsx_scan._rows_up_to(bound))
        values = [*range(1, 30_000), *range(bound - 50, bound + 50), 999_999, 1_048_575, 1_048_576, 1_048_577]
        for n in values:
            if n >= 1:
                assert bool(pattern.fullmatch(str(n).encode())) == (n <= bound), n
        assert pattern.fullmatch(b"0") is None and pattern.fullmatch(b"01") is None
    else:
        pattern = re.compile(xlsx_scan._columns_up_to(bound))
        for c in range(0, 18_278):
            assert bool(pattern.fullmatch(column_letter(c).encode())) == (c <= bound), c
