"""Issue 7: the form sheets of the consolidated workbook are written through XlsxWriter's
undecorated cell methods (``consolidated._cell_writers``).  The bytes must be exactly those the
public ``write_string`` / ``write_number`` give, for every kind of value a row can hold."""

from __future__ import annotations

import hashlib
import zipfile
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import xlsxwriter

import xltools.consolidated as consolidated
from xltools.consolidated import write_consolidated
from xltools.merge import merge
from xltools.returns import Row

ROOT = Path(__file__).resolve().parent.parent
ROUND1 = ROOT / "samples" / "returns" / "round1"

#: values of every kind the hot loop meets, and the text XlsxWriter treats specially
ODD_VALUES = [
    "plain text", "  leading and trailing spaces  ", "tab\there", "line\nbreak", "ctrl\x01\x1fchars",
    "\ufffe nonchar", "emoji 😀 and 𠀀 (non-BMP)", "x" * 40_000, "😀" * 17_000, "_x0041_ escaped-looking",
    "=SUM(A1:A2)", "http://example.com", "0012", "", "#DIV/0!",
    0, -7, 2**53 + 1, 1.5, -0.0, float("1e308"), Decimal("12.50"), Decimal("-0.001"), True, False,
    date(2024, 3, 5), date(1900, 2, 28), date(1900, 1, 1), datetime(2024, 3, 5, 14, 30),
    ("张明", "李华"), (), None,
]


def _rows(form, n: int) -> list[Row]:
    names = [f.name for f in form.fields]
    rows = []
    for i in range(n):
        values = {name: ODD_VALUES[(i * len(names) + k) % len(ODD_VALUES)] for k, name in enumerate(names)}
        rows.append(Row(form.name, values, f"D{i % 3:02d}", f"单位{i % 3}", f"round1/D{i % 3:02d}.xlsx",
                        "先锋岗登记表", i + 4))
    return rows


def _write_sheet(path: Path, form, rows, undecorated: bool, monkeypatch) -> bytes:
    monkeypatch.setattr(consolidated, "_UNDECORATED", undecorated)
    wb = xlsxwriter.Workbook(str(path), {"constant_memory": True, "strings_to_formulas": False,
                                          "strings_to_urls": False, "strings_to_numbers": False})
    wb.set_properties({"created": datetime(2000, 1, 1)})
    f_date = wb.add_format({"num_format": "yyyy-mm-dd"})
    ws = wb.add_worksheet("form")

    def cell(ws, r, c, value, fmt=None):  # the rare kinds go through the public methods anyway
        if isinstance(value, bool):
            ws.write_string(r, c, "是" if value else "否", fmt)
        elif isinstance(value, datetime):
            ws.write_datetime(r, c, value, fmt or f_date)
        elif isinstance(value, tuple):
            ws.write_string(r, c, "、".join(value), fmt)
        else:
            raise AssertionError(f"unexpected {value!r}")

    consolidated._write_form_rows(ws, form, rows, cell, f_date)
    wb.close()
    with zipfile.ZipFile(path) as z:
        return z.read("xl/worksheets/sheet1.xml")


def test_undecorated_methods_are_used_when_present(tmp_path):
    wb = xlsxwriter.Workbook(str(tmp_path / "w.xlsx"), {"constant_memory": True})
    ws = wb.add_worksheet()
    string, number = consolidated._cell_writers(ws)
    assert string.__name__ == "_write_string" and number.__name__ == "_write_number"
    assert string(1, 0, "x") == 0 and number(1, 1, 2.0) == 0
    wb.close()


def test_public_methods_when_the_library_lacks_them(monkeypatch):
    class Bare:
        def write_string(self, *a):
            return 0

        def write_number(self, *a):
            return 0

    ws = Bare()
    assert consolidated._cell_writers(ws) == (ws.write_string, ws.write_number)


def test_every_kind_of_value_gives_the_same_sheet_bytes(kit, tmp_path, monkeypatch):
    for form in kit.forms:
        rows = _rows(form, 3 * len(ODD_VALUES))
        fast = _write_sheet(tmp_path / "fast.xlsx", form, rows, True, monkeypatch)
        public = _write_sheet(tmp_path / "public.xlsx", form, rows, False, monkeypatch)
        assert fast == public, form.name
        assert b"t=\"inlineStr\"" in fast and b"<v>45356</v>" in fast  # strings and 2024-03-05 written


def test_sample_round_gives_the_same_workbook(kit, roster, tmp_path, monkeypatch):
    cons = merge(kit, roster, [ROUND1], jobs=1)
    digests = []
    for undecorated in (True, False):
        monkeypatch.setattr(consolidated, "_UNDECORATED", undecorated)
        out = write_consolidated(cons, tmp_path / f"c{undecorated}.xlsx")
        digests.append(hashlib.sha256(out.read_bytes()).hexdigest())
    assert digests[0] == digests[1]
    assert cons.counts["rows_accepted"] > 0
