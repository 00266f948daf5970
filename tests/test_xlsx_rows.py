"""Issue 7: the form sheets' rows of the consolidated workbook are written as SpreadsheetML text
(:mod:`xltools.xlsx_rows`) and spliced into the workbook XlsxWriter built.  The workbook's bytes
must be exactly those XlsxWriter gives when it writes every cell itself, for every kind of value
a row can hold — including the two values XlsxWriter alone used to lose (text shaped like its
rich-string markup; the date 1900-01-01), which both paths now write right.  "The same" is member
for member: names, order, dates, attributes, CRC and bytes once inflated — the deflate streams
themselves differ, since the spliced sheets' rows are deflated apart (xltools.zip_writer)."""

from __future__ import annotations

import tempfile
import zipfile
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from xml.etree import ElementTree

import pytest
from python_calamine import CalamineWorkbook

import xltools.consolidated as consolidated
from xltools.combine import LedgerEntry
from xltools.consolidated import write_consolidated
from xltools.issues import ERROR, WARNING, Issue
from xltools.merge import merge
from xltools.returns import Row
from xltools.roster import Roster, Unit
from xltools.xlsx_rows import SheetRows, clean_text, excel_serial, inline_text, splice, write_rows

ROOT = Path(__file__).resolve().parent.parent
ROUND1 = ROOT / "samples" / "returns" / "round1"

#: values of every kind a row can hold, and the text XlsxWriter and XML treat specially
ODD_VALUES = [
    "plain text", "  leading and trailing spaces  ", "tab\there", "line\nbreak", "cr\r\nlf", "ctrl\x01\x1fchars",
    "\ufffe nonchar", "emoji 😀 and 𠀀 (non-BMP)", "x" * 40_000, "😀" * 17_000, "_x0041_ escaped-looking",
    "_X0041_ upper", "a_x00e9_b_x12G4_", "=SUM(A1:A2)", "http://example.com", "0012", "", "#DIV/0!",
    "a & b < c > d \"q\" 'q'", "\u3000全角空格\u3000", "\xa0nbsp", " ", "\n", "\t",
    0, -7, 2**53 + 1, 1.5, -0.0, float("1e308"), 1e-9, 0.1 + 0.2, Decimal("12.50"), Decimal("-0.001"),
    True, False, date(2024, 3, 5), date(1900, 2, 28), date(1900, 1, 2), date(1900, 3, 1), date(9999, 12, 31),
    datetime(2024, 3, 5, 14, 30), datetime(1900, 1, 2, 6), ("张明", "李华"), (), ["王五"], None,
]
#: what XlsxWriter writes unescaped, taking it for a rich string
RICH_LOOKING = ["<r>见附件</r>", "<r><t>x</t></r>", "<r>a & b</r>", "<r>_x0041_\r</r>", ("<r>张明", "李华</r>")]
#: ... and so long that as markup it would pass Excel's limit
RICH_LONG = ["<r>" + "&" * 7_000 + "</r>", "<r>" + "<" * 33_000 + "</r>"]
EARLY_DATES = [date(1900, 1, 1), datetime(1900, 1, 1, 6)]


def _rows(form, n: int, values: list) -> list[Row]:
    names = [f.name for f in form.fields]
    rows = []
    for i in range(n):
        vals = {name: values[(i * len(names) + k) % len(values)] for k, name in enumerate(names)}
        rows.append(Row(form.name, vals, f"D{i % 3:02d}", f"单位{i % 3}", f"round1/D{i % 3:02d}.xlsx",
                        "先锋岗登记表", i + 4))
    return rows


@pytest.fixture(scope="module")
def round1(kit_path, roster_path):
    return merge(kit_path, roster_path, [ROUND1], jobs=1)


def _package(path: Path) -> list[tuple]:
    """Every member of the zip at ``path``, in order: what it records and what it holds."""
    with zipfile.ZipFile(path) as z:
        assert z.testzip() is None
        return [(i.filename, i.date_time, i.external_attr, i.create_system, i.compress_type, i.CRC, i.file_size,
                 i.comment, z.read(i)) for i in z.infolist()]


def _write(cons, path: Path, as_xml: bool, monkeypatch) -> list[tuple]:
    monkeypatch.setattr(consolidated, "_ROWS_AS_XML", as_xml)
    return _package(write_consolidated(cons, path))


def test_sample_round_gives_the_workbook_xlsxwriter_gives(round1, tmp_path, monkeypatch):
    fast = _write(round1, tmp_path / "fast.xlsx", True, monkeypatch)
    slow = _write(round1, tmp_path / "slow.xlsx", False, monkeypatch)
    assert [m[0] for m in fast] == [m[0] for m in slow] and len(fast) > 20
    assert fast == slow
    assert round1.counts["rows_accepted"] == 622
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fast.xlsx", "slow.xlsx"]  # no scratch left


def test_every_kind_of_value_gives_the_same_bytes(round1, tmp_path, monkeypatch):
    kit = round1.definition
    values = ODD_VALUES + RICH_LOOKING + RICH_LONG + EARLY_DATES
    monkeypatch.setattr(round1, "rows", {f.name: _rows(f, 3 * len(values), values) for f in kit.forms})
    fast = _write(round1, tmp_path / "fast.xlsx", True, monkeypatch)
    slow = _write(round1, tmp_path / "slow.xlsx", False, monkeypatch)
    assert fast == slow
    with zipfile.ZipFile(tmp_path / "fast.xlsx") as z:
        xml = z.read("xl/worksheets/sheet2.xml")
        assert z.testzip() is None
    assert b"<v>45356</v>" in xml and b"_x005F_x0041_ escaped-looking" in xml and b"cr_x000D_\nlf" in xml
    assert b'<t xml:space="preserve">  leading and trailing spaces  </t>' in xml
    assert b"<r><t>&lt;r&gt;\xe8\xa7\x81\xe9\x99\x84\xe4\xbb\xb6&lt;/r&gt;</t></r>" in xml
    # and the texts read back as they were (calamine: what xltools report reads)
    texts = {v for f in kit.forms for row in CalamineWorkbook.from_path(str(tmp_path / "fast.xlsx"))
             .get_sheet_by_name(f.sheet).to_python() for v in row}
    for text in ("tab\there", "cr\r\nlf", "_x0041_ escaped-looking", "_X0041_ upper", "a_x00e9_b_x12G4_",
                 "a & b < c > d \"q\" 'q'", "\u3000全角空格\u3000", "  leading and trailing spaces  ", "ctrlchars"):
        assert text in texts, text
    for text in RICH_LOOKING[:4] + ["<r>张明、李华</r>"]:
        assert text in texts, text
    assert any(isinstance(t, str) and t.startswith("<r>&&&") and t.endswith("…（已截断）") for t in texts)


def _texts(i: int) -> str:
    return str(ODD_VALUES[i % 24]) if i % 3 else RICH_LOOKING[i % 4]


@pytest.mark.parametrize("n", [0, 1, 2, 40])
def test_ledger_issues_rejected_and_per_unit_rows_give_the_same_bytes(round1, tmp_path, monkeypatch, n):
    """The sheets written with xlsx_rows.write_cell_rows (all but their last row) against
    XlsxWriter writing every cell: hostile texts everywhere, empty texts, both severities, row
    heights from one line to Excel's 409 pt, numbers of every kind in the per-unit figures, and
    0, 1, 2 and 40 rows per sheet."""
    kit = round1.definition
    form = kit.forms[0]
    issues = [Issue(ERROR if i % 2 else WARNING, "很长" * 1500 if i == 3 else "m" * (i * 37 % 900) + _texts(i) if i % 5 else "短", kind="x",
                    file=_texts(i + 1), sheet=_texts(i + 2), cell="B7" if i % 2 else "", row=i if i % 3 else None,
                    field=_texts(i + 3) if i % 4 else "", raw=_texts(i + 4), unit_code=f"D{i:02d}",
                    unit_name=_texts(i + 5)) for i in range(n)]
    rejected = []
    for i in range(n):
        row = _rows(form, 1, ODD_VALUES[i % 20:] + ODD_VALUES)[0]
        row.issues = [issues[i]] if issues[i].is_error else [Issue(ERROR, "第" + "很长" * i + "行有错")]
        rejected.append(row)
    ledger = [LedgerEntry(f"D{i:02d}", _texts(i), ["有错误", "已报送", "未报送", "无法读取"][i % 4],
                          [_texts(i + 1), "b.xlsx"][: 1 + i % 2], i, i * 3, i % 5, 2**40 if i == 7 else i,
                          _texts(i + 2), "" if i % 2 else "0571-1", _texts(i + 3)) for i in range(n)]
    units = [Unit(f"D{i:02d}", f"单位{_texts(i)}") for i in range(n)]
    figure_values = [0, 3, Decimal("12.50"), 1.5, Decimal("-0.001"), 2**53 + 1, None]
    per_unit = {u.code: {f.name: figure_values[(k + j) % len(figure_values)] for j, f in enumerate(kit.figures)}
                for k, u in enumerate(units)}
    form_counts = {u.code: {f.name: k * j for j, f in enumerate(kit.forms)} for k, u in enumerate(units)}
    for name, value in (("issues", issues), ("rejected", rejected), ("ledger", ledger), ("per_unit", per_unit),
                        ("form_counts", form_counts), ("roster", Roster(tuple(units)))):
        monkeypatch.setattr(round1, name, value)
    fast = _write(round1, tmp_path / "fast.xlsx", True, monkeypatch)
    slow = _write(round1, tmp_path / "slow.xlsx", False, monkeypatch)
    assert [m[0] for m in fast] == [m[0] for m in slow]
    assert fast == slow
    book = CalamineWorkbook.from_path(str(tmp_path / "fast.xlsx"))
    listed = book.get_sheet_by_name(consolidated.ISSUES_SHEET).to_python()
    assert len(listed) == n + 1 and [r[8] for r in listed[1:]] == [
        clean_text(i.message) for i in issues]
    if n > 3:
        with zipfile.ZipFile(tmp_path / "fast.xlsx") as z:
            xml = z.read(_part_of(z, consolidated.ISSUES_SHEET)).decode()
        assert xml.count('customHeight="1"') == n and '<row r="5" s="' in xml  # every row its height, f_top
        assert 'ht="408.75"' in xml and 'ht="17.25"' in xml  # 409 pt and one line, as XlsxWriter rounds them


def _part_of(z: zipfile.ZipFile, sheet: str) -> str:
    names = [s.get("name") for s in ElementTree.fromstring(z.read("xl/workbook.xml")).iter(
        "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}sheet")]
    return f"xl/worksheets/sheet{names.index(sheet) + 1}.xml"


@pytest.mark.parametrize("shape", ["one row", "date in the last row only", "two rows"])
def test_a_date_first_met_in_the_last_row_numbers_the_styles_as_xlsxwriter_does(round1, tmp_path, monkeypatch, shape):
    """XlsxWriter numbers a style when it writes out a row, and writes a sheet's last row only
    when the workbook is closed, after the later sheets' rows: the date style's number then
    comes after theirs."""
    forms = {f.name: f for f in round1.definition.forms}
    deeds = forms["deeds"]
    dated = _rows(deeds, 1 if shape == "one row" else 2, [date(2024, 3, 5), "x", 3])
    if shape == "date in the last row only":
        dated[0].values = {name: ("x" if isinstance(v, date) else v) for name, v in dated[0].values.items()}
    monkeypatch.setattr(round1, "rows", {name: (dated if name == "deeds" else []) for name in forms})
    fast = _write(round1, tmp_path / "fast.xlsx", True, monkeypatch)
    slow = _write(round1, tmp_path / "slow.xlsx", False, monkeypatch)
    assert fast == slow
    sheet = CalamineWorkbook.from_path(str(tmp_path / "fast.xlsx")).get_sheet_by_name(deeds.sheet).to_python()
    assert len(sheet) == len(dated) + 1 and date(2024, 3, 5) in sheet[-1]


def test_text_shaped_like_rich_string_markup_is_kept(round1, tmp_path, monkeypatch):
    kit = round1.definition
    form = kit.forms[0]
    text_fields = [f.name for f in form.fields if f.type == "text"]
    rows = _rows(form, 3, ["x"])
    for row in rows:
        for name, value in zip(text_fields, RICH_LOOKING):
            row.values[name] = value
    monkeypatch.setattr(round1, "rows", {**round1.rows, form.name: rows})
    ledger = round1.ledger[0]
    monkeypatch.setattr(ledger, "name", "<r>见附件</r>")  # a sheet XlsxWriter still writes
    for as_xml in (True, False):
        out = tmp_path / f"{as_xml}.xlsx"
        _write(round1, out, as_xml, monkeypatch)
        book = CalamineWorkbook.from_path(str(out))
        sheet = book.get_sheet_by_name(form.sheet).to_python()
        header = sheet[0]
        cols = [header.index(f.label) for f in form.fields if f.name in text_fields][: len(RICH_LOOKING)]
        assert [sheet[1][c] for c in cols] == RICH_LOOKING[: len(cols)]
        ledger_rows = book.get_sheet_by_name(consolidated.LEDGER_SHEET).to_python()
        assert ledger_rows[1][1] == "<r>见附件</r>"


def test_1900_01_01_is_serial_one(round1, tmp_path, monkeypatch):
    """The second difference: XlsxWriter writes the date 1900-01-01 as serial 0 (it takes the
    day for "a time without a date"), which Excel shows as 1900-01-00; the serial is 1."""
    form = next(f for f in round1.definition.forms if any(x.type == "date" for x in f.fields))
    name = next(x.name for x in form.fields if x.type == "date")
    rows = _rows(form, 2, ["x"])
    rows[0].values[name] = date(1900, 1, 1)
    rows[1].values[name] = datetime(1900, 1, 1, 6)
    monkeypatch.setattr(round1, "rows", {**round1.rows, form.name: rows})
    out = tmp_path / "c.xlsx"
    _write(round1, out, True, monkeypatch)
    sheet = CalamineWorkbook.from_path(str(out)).get_sheet_by_name(form.sheet).to_python()
    col = sheet[0].index(next(x.label for x in form.fields if x.name == name))
    assert sheet[1][col] == date(1900, 1, 1) and sheet[2][col] == datetime(1900, 1, 1, 6)


@pytest.mark.parametrize("escape", ["\\t", "\\r", "\\x85", "\\uffff", "\\ufffe"])
def test_a_control_or_non_character_in_a_sheet_name_is_refused(tmp_path, escape):
    from xltools.errors import FormDefinitionError
    from xltools.forms import load_form_definition

    text = (ROOT / "templates" / "xlsx" / "pioneer_posts.yaml").read_text(encoding="utf-8")
    bad = tmp_path / "bad.yaml"
    bad.write_text(text.replace("sheet: 先锋岗登记表", f'sheet: "先锋岗{escape}登记表"', 1), encoding="utf-8")
    with pytest.raises(FormDefinitionError, match="控制字符"):
        load_form_definition(bad)


def test_libreoffice_reads_the_spliced_sheets(round1, tmp_path, monkeypatch, soffice):
    kit = round1.definition
    # LibreOffice drops a tab and the CR of CR LF from a cell's text (so it does with the bytes
    # XlsxWriter writes): those two are left out here, the rest must come back cell for cell
    values = [v for v in ODD_VALUES[:24] if not ("\t" in v or "\r" in v)] + RICH_LOOKING
    monkeypatch.setattr(round1, "rows", {f.name: _rows(f, len(ODD_VALUES), values) for f in kit.forms})
    out = tmp_path / "c.xlsx"
    _write(round1, out, True, monkeypatch)
    ods = soffice(out, "ods", tmp_path / "lo")
    ours = CalamineWorkbook.from_path(str(out))
    theirs = CalamineWorkbook.from_path(str(ods))
    for form in kit.forms:
        a = ours.get_sheet_by_name(form.sheet).to_python()
        b = theirs.get_sheet_by_name(form.sheet).to_python()
        assert len(a) == len(b) == len(ODD_VALUES) + 1
        assert a[1:] == b[1:], form.name
    texts = {v for row in ours.get_sheet_by_name(kit.forms[0].sheet).to_python() for v in row}
    assert "<r>见附件</r>" in texts and "a & b < c > d \"q\" 'q'" in texts
    # the sample round's ledger, issue list and per-unit figures, spliced the same way
    for sheet in (consolidated.PER_UNIT_SHEET, consolidated.LEDGER_SHEET, consolidated.ISSUES_SHEET):
        a = ours.get_sheet_by_name(sheet).to_python()
        b = theirs.get_sheet_by_name(sheet).to_python()
        assert len(a) > 3 and a == b, sheet


def test_a_failed_write_leaves_no_scratch_files(round1, tmp_path, monkeypatch):
    kit = round1.definition
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    form = kit.forms[0]
    number = next(f.name for f in form.fields if f.type in ("integer", "number", "money"))
    rows = _rows(form, 2, ["x"])
    rows[1].values[number] = Decimal("NaN")
    monkeypatch.setattr(round1, "rows", {**round1.rows, form.name: rows})
    with pytest.raises(TypeError, match="nan"):
        _write(round1, out_dir / "c.xlsx", True, monkeypatch)
    assert list(out_dir.iterdir()) == [] and list(scratch.iterdir()) == []


def test_clean_text_cuts_at_excels_limit_in_utf16_units():
    assert clean_text("a\x00b\x0bc\ufffe\uffff") == "abc" and clean_text(None) == "" and clean_text(12) == "12"
    assert clean_text("\t\n\r") == "\t\n\r"  # XML keeps these
    assert clean_text("a\ud800b\udcc7") == "ab"  # lone surrogates: UTF-8 cannot hold them
    short = "长" * 16_000
    assert clean_text(short) is short
    cut = clean_text("x" * 40_000)
    assert len(cut) == 32_767 and cut.endswith("…（已截断）")
    emoji = clean_text("😀" * 17_000)  # 34,000 UTF-16 units
    assert len(emoji.encode("utf-16-le")) // 2 <= 32_767 and emoji.endswith("…（已截断）")
    assert len(emoji.encode("utf-16-le")) // 2 >= 32_766  # cut no shorter than a character needs
    exact = "😀" * 16_383 + "x"  # 32,767 units: kept whole
    assert clean_text(exact) == exact


def test_inline_text_escapes():
    assert inline_text("a&b<c>") == "<t>a&amp;b&lt;c&gt;</t>"
    assert inline_text("_x0041_") == "<t>_x005F_x0041_</t>"
    assert inline_text("a\rb") == "<t>a_x000D_b</t>"
    assert inline_text(" x") == '<t xml:space="preserve"> x</t>'
    assert inline_text("x\n") == '<t xml:space="preserve">x\n</t>'
    assert inline_text("\u3000x") == '<t xml:space="preserve">\u3000x</t>'
    assert inline_text("") == "<t></t>"


def test_excel_serial_follows_the_1900_date_system():
    assert excel_serial(date(1900, 1, 1)) == 1
    assert excel_serial(date(1900, 2, 28)) == 59
    assert excel_serial(date(1900, 3, 1)) == 61  # 60 is Lotus 1-2-3's 1900-02-29
    assert excel_serial(date(2024, 3, 5)) == 45356
    assert excel_serial(datetime(2024, 3, 5, 18)) == 45356.75


def test_write_rows_counts_and_numbers_rows_from_two(tmp_path):
    path = tmp_path / "rows.xml"
    records = [(("a", 1, None), "D01", "单位", "f.xlsx", "表", 4), ((None, None, date(2024, 1, 2)), "D01", "单位", "f.xlsx", "表", 5)]
    styles = []
    n = write_rows(path, records, 3, lambda: styles.append(1) or 7)
    text = path.read_text(encoding="utf-8")
    assert n == 2 and styles == [1]  # the date style asked for once
    assert text.startswith('<row r="2"><c r="A2" t="inlineStr"><is><t>a</t></is></c><c r="B2"><v>1</v></c>')
    assert '<c r="C3" s="7"><v>45293</v></c>' in text and '<c r="H3"><v>5</v></c></row>' in text


def test_splice_refuses_a_sheet_the_workbook_lacks_or_one_laid_out_otherwise(round1, tmp_path):
    built = write_consolidated(round1, tmp_path / "c.xlsx")
    rows = tmp_path / "r.xml"
    rows.write_text("", encoding="utf-8")
    with pytest.raises(ValueError, match="没有的表"):
        splice(built, tmp_path / "o.xlsx", [SheetRows(99, "没有的表", rows, 0)])
    # the summary sheet holds more than a header and a last row numbered n_rows + 2
    with pytest.raises(ValueError, match="汇总指标.*不是表头行之后接最后一行"):
        splice(built, tmp_path / "o.xlsx", [SheetRows(0, "汇总指标", rows, 5)])


def _disk_full(*args, **kwargs):
    raise OSError(28, "No space left on device")


@pytest.mark.parametrize("where", ["rows", "xlsxwriter"])
def test_a_full_temporary_folder_is_named_not_the_output(round1, tmp_path, monkeypatch, where):
    import xlsxwriter
    from xlsxwriter.exceptions import FileCreateError

    from xltools.errors import OutputError

    if where == "rows":
        monkeypatch.setattr(consolidated, "write_rows", _disk_full)
    else:
        def close(self):
            raise FileCreateError(OSError(28, "No space left on device"))

        monkeypatch.setattr(xlsxwriter.Workbook, "close", close)
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    with pytest.raises(OutputError, match=r"临时文件夹 .* 写入出错（No space left on device）.*TMPDIR"):
        write_consolidated(round1, out_dir / "c.xlsx")
    assert list(out_dir.iterdir()) == []


def test_xlsxwriter_failing_to_write_the_output_is_an_output_error(round1, tmp_path, monkeypatch):
    """Without the row splice XlsxWriter writes the output itself; its FileCreateError (its own
    wrapper of OSError) used to end the command with 内部错误."""
    import xlsxwriter
    from xlsxwriter.exceptions import FileCreateError

    from xltools.errors import OutputError

    def close(self):
        raise FileCreateError(OSError(28, "No space left on device"))

    monkeypatch.setattr(xlsxwriter.Workbook, "close", close)
    monkeypatch.setattr(consolidated, "_ROWS_AS_XML", False)
    with pytest.raises(OutputError, match=r"c\.xlsx：无法写入汇总表（\[Errno 28\] No space left on device）"):
        write_consolidated(round1, tmp_path / "c.xlsx")


def test_display_units_count_wide_and_fullwidth_characters_twice():
    """The issue list's row heights: the per-character table gives what
    ``unicodedata.east_asian_width`` gives, for ASCII, CJK, Hangul, fullwidth forms, symbols
    and characters beyond the BMP."""
    import random
    import unicodedata

    from xltools.layout import display_units as _display_units

    rng = random.Random(11)
    ranges = [(0, 127), (0x80, 0x2FFF), (0x3000, 0x9FFF), (0xAC00, 0xD7A3), (0xFF00, 0xFFEF), (0x10000, 0x3FFFF)]
    for _ in range(2000):
        text = "".join(chr(rng.randint(*rng.choice(ranges))) for _ in range(rng.randint(0, 40)))
        assert _display_units(text) == sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)
    assert _display_units("第 3 行：金额（万元）") == 21 and _display_units("abc") == 3 and _display_units("") == 0


def test_short_texts_and_integers_take_the_shortcuts_to_the_same_text(tmp_path, monkeypatch):
    """write_rows makes a short text's <t> once per distinct value (the table emptied when full)
    and writes an integer below 10**15 as its str: the same text as the long way round."""
    import xltools.xlsx_rows as xr

    values = ["是", "否", " 是", "<r>x</r>", "_x0041_", "a&b", "ctrl\x01", "😀", "x" * 24, "x" * 25, "",
              0, -7, 10**15 - 1, -(10**15 - 1), 10**15, 10**16, 2**53 + 1, True, Decimal("3"), 1.0]
    records = [([values[(i + k) % len(values)] for k in range(6)], "D01", "单位", "f.xlsx", "表", i + 4 + 10**15 * (i == 3))
               for i in range(60)]
    monkeypatch.setattr(xr, "_SHORT_TEXTS", 3)
    xr.write_rows(tmp_path / "fast.xml", records, 6, lambda: 5)
    monkeypatch.setattr(xr, "_SHORT_TEXT", -1)
    monkeypatch.setattr(xr, "_EXACT_INT", 0)
    xr.write_rows(tmp_path / "slow.xml", records, 6, lambda: 5)
    fast = (tmp_path / "fast.xml").read_text(encoding="utf-8")
    assert fast == (tmp_path / "slow.xml").read_text(encoding="utf-8")
    assert "<v>999999999999999</v>" in fast and "<v>1E+16</v>" in fast and "<v>1000000000000000</v>" in fast and "<t>_x005F_x0041_</t>" in fast


def test_wrapped_lines_counts_each_line_and_wide_characters():
    from xltools.layout import text_units, wrapped_lines

    assert text_units("汉字") == pytest.approx(4.2) and text_units("ab", 9) == pytest.approx(2.2 * 9 / 11)
    # 10 columns wide leave 8.5 usable: four 汉字 (8.4) fit a line, a fifth wraps
    assert wrapped_lines("四个汉字", 10) == 1 and wrapped_lines("五个汉字啊", 10) == 2
    assert wrapped_lines("一\n二\n", 10) == 3 and wrapped_lines("", 10) == 1
    assert wrapped_lines("x" * 100, 0.5) == 110  # a column narrower than its padding: one unit a line
