"""generate works out everything that does not depend on the unit once per round (a plan shared
by every unit's workbook).  These tests pin that this changes nothing: a round gives the same
bytes as one workbook at a time, in any order, and the package members are exactly what the
per-unit code wrote before the plan existed."""

from __future__ import annotations

import hashlib
import zipfile
from datetime import date
from pathlib import Path

import pytest
import xlsxwriter

from xltools.forms import parse_form_definition
from xltools.generate import generate, generate_workbook
from xltools.roster import Roster, Unit

GENERATED = date(2006, 3, 1)

# Every field type, a derived field, choice lists inline and through the hidden range (a long
# one and one with a comma), help texts cut to Excel's limits, and a one-column form.
MANY = [f"第{i:02d}类事项名称较长" for i in range(40)]
DEFINITION = f"""
id: speed
version: "3"
title: 计划测试表
issuer: 测试单位
contact: 张三 123
deadline: "2006-04-30"
instructions: [第一条说明。, 第二条说明，稍长一些，需要在填表说明中换行显示才能看全的一条说明文字。]
forms:
  - name: main
    sheet: 主表
    title: 全类型主表
    description: 每行一项。
    max_rows: 7
    fields:
      - {{name: t, label: 文本, type: text, required: true, help: "{"很长的帮助" * 60}"}}
      - {{name: tl, label: 短文本, type: text, max_length: 8, multiline: true}}
      - {{name: nm, label: 姓名, type: names}}
      - {{name: idn, label: 身份证号码, type: id_number}}
      - {{name: ph, label: 电话, type: phone, max_length: 20}}
      - {{name: d, label: 日期, type: date}}
      - {{name: d2, label: 起始日期, type: date, min: 2004-01-01, max: 2030-12-31}}
      - {{name: i, label: 整数, type: integer, required: true}}
      - {{name: imin, label: 下限整数, type: integer, min: 0, unit: 人}}
      - {{name: dec3, label: 三位小数, type: decimal, decimals: 3, min: 0.5, max: 1.5}}
      - {{name: b, label: 是否, type: boolean}}
      - {{name: c, label: 选择, type: choice, choices: [甲, 乙, 丙]}}
      - {{name: many, label: 很多选项, type: choice, choices: {MANY}}}
      - {{name: comma, label: 带逗号, type: choice, choices: ["甲,乙", '丙"丁', 戊]}}
      - {{name: tot, label: 合计, type: integer, derived: {{op: sum, fields: [i, imin]}}}}
  - name: one
    sheet: 单列表
    max_rows: 3
    fields:
      - {{name: only, label: 唯一列, type: text}}
"""

UNITS = (
    Unit("A1", "甲单位"),
    Unit("Q-9", '有"引号",逗号的单位'),
    Unit("L1", "很长的单位名称" * 12),
    Unit("Z1", "全类型主表"),  # its name (in _meta) is also a form title: one shared string
)

# SHA-256 over the package members (name and content, in archive order) of the workbook of
# UNITS[1], as written by the per-unit code before the plan (XlsxWriter 3.3.1).  The members
# depend only on xltools and XlsxWriter, not on zlib, so the digest pins the generated XML.
# An intended change to the generated workbook changes it: recompute with members_digest()
# (last: forms of at most 30 prepared rows print on one page, fitToHeight="1").
MEMBERS_SHA256 = "459d2a5a550356a073c34e94f30901bdddfdc5728c45d1714603caf7166fd786"


def members_digest(path: Path) -> str:
    h = hashlib.sha256()
    with zipfile.ZipFile(path) as z:
        for info in z.infolist():
            h.update(info.filename.encode() + b"\0" + z.read(info) + b"\0")
    return h.hexdigest()


@pytest.fixture(scope="module")
def definition():
    return parse_form_definition(DEFINITION, source="speed.yaml")


def test_round_equals_one_workbook_at_a_time(tmp_path, definition):
    paths = generate(definition, Roster(UNITS), tmp_path / "round", deadline="2006-03-31", generated=GENERATED)
    backwards = generate(definition, Roster(UNITS[::-1]), tmp_path / "back", deadline="2006-03-31",
                         generated=GENERATED)
    assert {p.name for p in paths} == {p.name for p in backwards}
    for unit, path in zip(UNITS, paths, strict=True):
        single = tmp_path / "single.xlsx"
        generate_workbook(definition, unit, single, deadline="2006-03-31", generated=GENERATED)
        assert single.read_bytes() == path.read_bytes(), unit.code
        assert (tmp_path / "back" / path.name).read_bytes() == path.read_bytes(), unit.code


@pytest.mark.skipif(xlsxwriter.__version__ != "3.3.1", reason="digest taken with XlsxWriter 3.3.1")
def test_generated_members_unchanged(tmp_path, definition):
    (path,) = generate(definition, Roster(UNITS[1:2]), tmp_path, generated=GENERATED)
    assert members_digest(path) == MEMBERS_SHA256
