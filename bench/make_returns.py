"""Synthetic returns for the benchmark scenarios (bench/, not run by CI).

For each scenario this writes, under ``bench/data/<scenario>/``:

* ``roster.xlsx`` — a synthetic roster (单位代码, 单位名称, 联系人, 联系电话);
* ``issued/`` — the stamped workbooks of the round, made by :func:`xltools.generate.generate`
  (the pioneer-post kit, ``templates/xlsx/pioneer_posts.yaml``);
* ``returns/`` — one filled return per unit, named like the issued file;
* ``manifest.json`` — what was written: rows per form, bad cells injected, expected counts.

Filling: every return is written with XlsxWriter (shared strings, as Excel and WPS save) by
copying its unit's issued workbook cell by cell as python-calamine reads it — the same sheets in
the same order, ``填表说明`` and the plain-hidden ``_meta`` sheet verbatim, each form sheet's
title, identity line and header (rows 1–3) verbatim — plus the stamp as ``xltools_*`` custom
properties (from the ``_meta`` key/values), then the data rows from row 4 with the issued number
formats (dates are real dates, numbers are numbers, text keeps ``@``) and the template's styled
blank rows below them up to the form's ``max_rows``.  So the layout is the generated one, never
a hand-written imitation; :func:`check_first_return` reads the first return back through
:func:`xltools.merge.read_one` and fails unless it is identified by its ``_meta`` stamp and every
row and bad cell is accounted for.

Content is Chinese and realistic in shape: post names, departments, names joined with 、,
dates (some typed as text: ``2024年3月5日``, ``2024.3.5``), counts, amounts in 万元, choices, a long
free-text column (事项内容, up to ~400 characters) and shorter notes.  Each file gets
:data:`BAD_CELLS` bad cells (an impossible date, a count with words, a choice not on the list),
each of which merge must report as an error and reject its row.

Rows per unit are spread over the four forms like a real round: 5 % posts, one assessment per
post, 10 % results, the rest (≈ 80 %) deeds.

Deterministic: every value comes from ``random.Random`` seeded with the scenario, the unit code
and :data:`SEED`; XlsxWriter pins the zip timestamps and the ``created`` date is pinned, so the
same scenario gives byte-identical files.

Usage (from the repository root)::

    /work/venv/bin/python bench/make_returns.py --scenario S1
    nohup /work/venv/bin/python bench/make_returns.py --scenario S2 > bench/data/S2.log 2>&1 &
"""

from __future__ import annotations

import argparse
import hashlib
import json
import multiprocessing
import random
import shutil
import sys
import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import xlsxwriter
from python_calamine import CalamineWorkbook, SheetVisibleEnum

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

from xltools import stamp  # noqa: E402
from xltools.forms import Form, FormDefinition, load_form_definition  # noqa: E402
from xltools.generate import generate, workbook_filename  # noqa: E402
from xltools.roster import Roster, Unit  # noqa: E402

KIT = ROOT / "templates" / "xlsx" / "pioneer_posts.yaml"
DATA = HERE / "data"
SEED = 20240315
#: Bad cells injected per return (each makes merge reject one deeds row).
BAD_CELLS = 3
GENERATED = date(2024, 1, 15)
DEADLINE = "2024-12-31"
SAVED = datetime(2024, 12, 20, 10, 0, 0)


@dataclass(frozen=True)
class Scenario:
    name: str
    units: int
    rows: int  # data rows per unit, over the four forms
    note: str


SCENARIOS = {
    "S1": Scenario("S1", 50, 200, "区：50 个单位 × 200 行"),
    "S2": Scenario("S2", 500, 2_000, "市：500 个单位 × 2,000 行"),
    "S3": Scenario("S3", 1, 200_000, "1 个单位 × 200,000 行"),
    "S4": Scenario("S4", 5_000, 20, "5,000 个单位 × 20 行"),
    # issue 7's independent check: "a merge of 40,000 rows against its own read and write floors"
    "S5": Scenario("S5", 20, 2_000, "20 个单位 × 2,000 行（40,000 行）"),
}


def split_rows(total: int) -> dict[str, int]:
    """Rows per form for ``total`` rows of one unit: 5 % posts (at least 1), as many
    assessments as posts, 10 % results (at least 1), the rest deeds (at least BAD_CELLS)."""
    posts = max(1, round(total * 0.05))
    results = max(1, round(total * 0.10))
    deeds = total - 2 * posts - results
    if deeds < BAD_CELLS:
        raise ValueError(f"{total} rows per unit is too few (need at least {2 * posts + results + BAD_CELLS})")
    return {"posts": posts, "deeds": deeds, "results": results, "assessment": posts}


# --------------------------------------------------------------------------- vocabulary

_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
_GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉萍红建文辉力梅鑫斌宇浩凯波俊峰晨欣雪琳瑶婷慧颖佳思雨萌志国庆海燕晓东春梅永胜"
_AREA_1 = "东西南北中新临江河湖山金银青白龙凤泰安和平永兴宁嘉长昌福瑞云阳"
_AREA_2 = "城湖阳山江川林桥溪岭源泉州门关岗塘港坪洲台"
_AREA_KIND = ("区", "县", "镇", "街道", "乡")
_BUREAUS = (
    "委办", "人大办", "政府办", "政协办", "纪委", "组织部", "宣传部", "统战部", "政法委", "党校",
    "发改局", "教育局", "科技局", "公安分局", "民政局", "司法局", "财政局", "人社局", "自然资源局",
    "生态环境局", "住建局", "交通局", "水利局", "农业农村局", "商务局", "文旅局", "卫健局",
    "退役军人事务局", "应急管理局", "审计局", "市场监管局", "统计局", "医保局", "城管局",
    "信访局", "行政服务中心", "档案馆", "法院", "检察院", "税务局", "总工会", "团委", "妇联",
)
_DEPTS = ("办公室", "综合科", "政策法规科", "行政审批科", "综合窗口", "信访接待室", "监察大队",
          "执法大队", "服务中心", "业务一科", "业务二科", "财务科", "人事科", "便民服务窗口",
          "法律援助中心", "调解委员会", "党建办", "宣传科")
_THEMES = ("维权", "便民服务", "窗口服务", "政策宣讲", "法律援助", "安全生产", "文明执法", "优质服务",
           "廉洁自律", "矛盾调解", "科技创新", "绿色环保", "扶贫帮困", "关爱老人", "青年突击",
           "巾帼建功", "志愿服务", "群众满意", "高效审批", "诚信纳税", "平安建设", "清风", "为民", "先进")
_INDICATORS = (("受理投诉举报案件数", "件"), ("追回欠薪金额", "万元"), ("人均办案数", "件"),
               ("办结率", "%"), ("群众满意率", "%"), ("帮扶困难群众", "人"), ("开展宣讲", "次"),
               ("接待来访群众", "人次"), ("化解矛盾纠纷", "件"), ("志愿服务时长", "小时"),
               ("审批提速", "%"), ("培训党员", "人次"))
_CATEGORIES = ("政策咨询", "办事服务", "维权帮扶", "矛盾调解", "志愿服务", "其他")
_RATINGS = ("满意", "满意", "满意", "基本满意", "不满意", None)
_GRADES = ("优秀", "良好", "良好", "合格", "不合格")
_PEOPLE = ("困难群众", "外来务工人员", "退休职工", "企业负责人", "社区居民", "留守儿童家长", "残疾人",
           "个体工商户", "来访群众", "农民工")
_CLAUSES = (
    "耐心细致解答政策疑问", "现场协调相关科室联合办理", "主动上门了解实际困难", "当场办结相关手续",
    "帮助整理申报材料", "多次电话回访跟踪进展", "联系用人单位协商解决", "依法督促企业限期整改",
    "为其申请法律援助", "组织志愿者开展帮扶", "协调落实临时救助资金", "开通绿色通道加急办理",
    "利用休息时间加班处理", "牵头召开专题协调会", "逐项核对历史档案资料", "向群众宣讲最新惠民政策",
    "化解了长期积累的矛盾", "讨回被拖欠的劳动报酬", "帮助解决子女入学问题", "落实就业岗位推荐",
    "提供一对一业务指导", "实行首问负责和限时办结", "做到件件有回音事事有着落", "群众送来锦旗表示感谢",
)
_GOALS = ("一岗一标牌，亮身份、树形象", "服务群众零距离，办事效率再提升", "做到群众满意率百分之百",
          "争创市级党员示范岗", "打造便民服务品牌", "实现投诉办结率全覆盖", "建立长效帮扶机制")
_MEASURES = ("建立党员责任区", "实行挂牌上岗", "开展党员承诺践诺", "每月召开岗位分析会", "推行延时服务",
             "公开服务承诺和监督电话", "开展业务技能比武", "组织结对帮扶", "落实首问负责制",
             "建立群众意见台账", "定期回访服务对象", "开展星级评定")
_OUTCOMES = ("已办结，群众满意", "问题已解决", "已协调落实", "正在跟踪办理", "已答复当事人",
             "款项已全部追回", "已移交相关部门并跟踪", "双方达成和解协议")
_DIGITS_FW = str.maketrans("0123456789", "０１２３４５６７８９")


def _name(rng: random.Random) -> str:
    return rng.choice(_SURNAMES) + "".join(rng.choice(_GIVEN) for _ in range(rng.choice((1, 2, 2))))


def _names(rng: random.Random, most: int) -> str:
    return "、".join(_name(rng) for _ in range(rng.randint(1, most)))


def _day(rng: random.Random, first: date, last: date) -> date:
    return first + timedelta(days=rng.randrange((last - first).days + 1))


def _text(rng: random.Random, parts: tuple[str, ...], lo: int, hi: int, limit: int) -> str:
    s = "；".join(rng.sample(parts, rng.randint(lo, min(hi, len(parts))))) + "。"
    return s[:limit]


def make_roster(scenario: Scenario) -> Roster:
    """``scenario.units`` units with unique codes (``S2-0001``…) and unique Chinese names."""
    rng = random.Random(f"{SEED}-{scenario.name}-roster")
    units: list[Unit] = []
    seen: set[str] = set()
    areas = [a + b + k for a in _AREA_1 for b in _AREA_2 for k in _AREA_KIND]
    rng.shuffle(areas)
    i = 0
    while len(units) < scenario.units:
        area = areas[i // len(_BUREAUS) % len(areas)]
        name = area + _BUREAUS[i % len(_BUREAUS)]
        i += 1
        if name in seen:
            continue
        seen.add(name)
        code = f"{scenario.name}-{len(units) + 1:04d}"
        units.append(Unit(code=code, name=name, contact=_name(rng),
                          phone=f"0571-8{rng.randrange(10**6, 10**7)}"))
    return Roster(units=tuple(units))


def write_roster(roster: Roster, path: Path) -> None:
    wb = xlsxwriter.Workbook(str(path), {"strings_to_numbers": False, "strings_to_formulas": False})
    wb.set_properties({"created": SAVED})
    ws = wb.add_worksheet("填报单位名单")
    for c, h in enumerate(("单位代码", "单位名称", "联系人", "联系电话")):
        ws.write_string(0, c, h)
    for r, u in enumerate(roster, start=1):
        for c, v in enumerate((u.code, u.name, u.contact, u.phone)):
            ws.write_string(r, c, v)
    wb.close()


# --------------------------------------------------------------------------- rows


def unit_rows(scenario: Scenario, unit: Unit) -> dict[str, list[dict]]:
    """The typed values a unit fills in, per form: field name → value (``date``, ``int``,
    ``Decimal``, ``str``; booleans as 是/否 as clerks type them; None = blank).  Same scenario and
    unit → same rows."""
    rng = random.Random(f"{SEED}-{scenario.name}-{unit.code}")
    n = split_rows(scenario.rows)
    posts = []
    for i in range(n["posts"]):
        theme = _THEMES[i % len(_THEMES)]
        name = f"{theme}党员先锋岗" if i < len(_THEMES) else f"{theme}党员先锋岗第{i // len(_THEMES) + 1}组"
        posts.append({
            "post_name": name,
            "department": rng.choice(_DEPTS),
            "is_window": rng.choice(("是", "否", "否")),
            "leaders": _names(rng, 3),
            "members": rng.randint(2, 40),
            "goal": _text(rng, _GOALS, 1, 3, 300),
            "measures": _text(rng, _MEASURES + _CLAUSES, 4, 12, 500),
            "set_up_date": _day(rng, date(2004, 1, 1), date(2024, 6, 30)),
            "has_sign": rng.choice(("是", "是", "否")),
        })
    names = [p["post_name"] for p in posts]
    deeds = []
    for _ in range(n["deeds"]):
        when = _day(rng, date(2024, 1, 1), date(2024, 12, 15))
        people = rng.choice(_PEOPLE)
        content = (f"{when.month}月{when.day}日，{rng.choice(_DEPTS)}接待{people}{rng.randint(1, 30)}人次，"
                   + _text(rng, _CLAUSES, 2, 9, 420))
        amount = Decimal(rng.randrange(1, 5_000_000)) / 100 if rng.random() < 0.3 else None
        deeds.append({
            "deed_date": when,
            "post_name": rng.choice(names),
            "member": _names(rng, 2),
            "category": rng.choice(_CATEGORIES),
            "content": content[:500],
            "beneficiaries": rng.randint(1, 500) if rng.random() < 0.9 else None,
            "amount": amount,
            "outcome": rng.choice(_OUTCOMES),
            "rating": rng.choice(_RATINGS),
        })
    results = []
    for i in range(n["results"]):
        post = names[i % len(names)]
        k = i // len(names)
        indicator, unit_of = _INDICATORS[k % len(_INDICATORS)]
        if k >= len(_INDICATORS):
            indicator += f"（{k // len(_INDICATORS) + 1}）"
        prior = Decimal(rng.randrange(0, 100_000)) / 10 if rng.random() < 0.7 else None
        results.append({
            "post_name": post, "indicator": indicator, "prior": prior,
            "current": Decimal(rng.randrange(0, 100_000)) / 10, "measure_unit": unit_of,
            "note": _text(rng, _CLAUSES, 1, 3, 200) if rng.random() < 0.4 else None,
        })
    assessment = []
    for post in names:
        scores = {f"score_{k}": rng.randint(10, 20) for k in ("service", "skill", "quality", "model", "satisfaction")}
        assessment.append({"post_name": post, **scores, "total": None, "grade": rng.choice(_GRADES)})
    return {"posts": posts, "deeds": deeds, "results": results, "assessment": assessment}


def typed_variants(rng: random.Random, row: dict) -> dict:
    """What some clerks type instead of the clean value (all of which merge accepts): a date as
    ``2024年3月5日`` / ``2024.3.5`` text, a count in full-width digits, an amount as text with a
    thousands separator."""
    out = dict(row)
    x = rng.random()
    if x < 0.03:
        d = row["deed_date"]
        out["deed_date"] = f"{d.year}年{d.month}月{d.day}日"
    elif x < 0.05:
        d = row["deed_date"]
        out["deed_date"] = f"{d.year}.{d.month}.{d.day}"
    elif x < 0.06 and row["beneficiaries"] is not None:
        out["beneficiaries"] = str(row["beneficiaries"]).translate(_DIGITS_FW)
    elif x < 0.07 and row["amount"] is not None:
        out["amount"] = f"{row['amount']:,.2f}"
    return out


#: (field, raw text) of each injected bad cell, in order; each is an error on a deeds row.
BAD = (("deed_date", "2024年13月45日"), ("beneficiaries", "约五十多人"), ("category", "其它事项"))


def bad_rows(scenario: Scenario, unit: Unit, deeds: int) -> list[int]:
    """0-based deeds rows that get the :data:`BAD` cells (distinct)."""
    rng = random.Random(f"{SEED}-{scenario.name}-{unit.code}-bad")
    return rng.sample(range(deeds), BAD_CELLS)


# --------------------------------------------------------------------------- writing


class _Formats:
    """The issued workbook's data-cell number formats, per field type (xltools.generate)."""

    def __init__(self, wb: xlsxwriter.Workbook) -> None:
        base = {"font_name": "宋体", "font_size": 11, "border": 1, "border_color": "#A6A6A6",
                "valign": "top", "locked": False}
        self.by_type = {
            "date": wb.add_format({**base, "num_format": "yyyy-mm-dd", "align": "center"}),
            "integer": wb.add_format({**base, "num_format": "0"}),
            "decimal": wb.add_format({**base, "num_format": "0.00"}),
            "text": wb.add_format({**base, "num_format": "@"}),
            "wrap": wb.add_format({**base, "num_format": "@", "text_wrap": True}),
            "derived": wb.add_format({"bg_color": "#BFBFBF", "border": 1}),
        }
        self.title = wb.add_format({"bold": True, "font_size": 16, "align": "center", "border": 1})
        self.ident = wb.add_format({"font_size": 9, "font_color": "#595959", "text_wrap": True, "border": 1})
        self.head = wb.add_format({"bold": True, "align": "center", "text_wrap": True, "border": 1,
                                   "bg_color": "#D9D9D9"})

    def of(self, field) -> object:
        if field.derived:
            return self.by_type["derived"]
        if field.type in ("date", "integer", "decimal"):
            return self.by_type[field.type]
        return self.by_type["wrap" if field.multiline else "text"]


def _put(ws, r: int, c: int, value, fmt) -> None:
    if value is None:
        ws.write_blank(r, c, None, fmt)
    elif isinstance(value, date):
        ws.write_datetime(r, c, datetime(value.year, value.month, value.day), fmt)
    elif isinstance(value, (int, Decimal)):
        ws.write_number(r, c, float(value), fmt)
    else:
        ws.write_string(r, c, str(value), fmt)


def write_return(definition: FormDefinition, scenario: Scenario, unit: Unit, issued: Path, out: Path) -> dict:
    """Write the filled return of ``unit`` to ``out`` from its issued workbook; returns what was
    written: rows per form and the bad cells as (sheet, row 1-based, field)."""
    book = CalamineWorkbook.from_path(str(issued))
    sheets = {m.name: m for m in book.sheets_metadata}
    forms = {f.sheet: f for f in definition.forms}
    rows = unit_rows(scenario, unit)
    bad_at = dict(zip(bad_rows(scenario, unit, len(rows["deeds"])), BAD))
    vrng = random.Random(f"{SEED}-{scenario.name}-{unit.code}-typed")
    wb = xlsxwriter.Workbook(str(out), {"strings_to_numbers": False, "strings_to_formulas": False,
                                        "strings_to_urls": False})
    wb.set_properties({"title": f"{definition.title}（{unit.name}）", "author": unit.contact or "填报人",
                       "created": SAVED})
    fmts = _Formats(wb)
    meta_items: list[tuple[str, str]] = []
    bad_cells: list[tuple[str, int, str]] = []
    for name in book.sheet_names:
        cells = book.get_sheet_by_name(name).to_python(skip_empty_area=False)
        ws = wb.add_worksheet(name)
        form: Form | None = forms.get(name)
        if form is None:  # 填表说明, _meta, _lists: verbatim
            for r, line in enumerate(cells):
                for c, v in enumerate(line):
                    if v not in (None, ""):
                        ws.write_string(r, c, str(v))
            if name == stamp.META_SHEET:
                meta_items = [(str(a), str(b)) for a, b, *_ in cells if a not in (None, "")]
            if sheets[name].visible != SheetVisibleEnum.Visible:
                ws.hide()
            continue
        last = len(form.fields) - 1
        for c, f in enumerate(form.fields):
            ws.set_column(c, c, f.width or 12)
        ws.merge_range(stamp.TITLE_ROW - 1, 0, stamp.TITLE_ROW - 1, last, str(cells[0][0]), fmts.title)
        ws.merge_range(stamp.IDENTITY_ROW - 1, 0, stamp.IDENTITY_ROW - 1, last, str(cells[1][0]), fmts.ident)
        for c, label in enumerate(cells[stamp.HEADER_ROW - 1]):
            ws.write_string(stamp.HEADER_ROW - 1, c, str(label), fmts.head)
        ws.freeze_panes(stamp.FIRST_DATA_ROW - 1, 0)
        field_fmts = [(f.name, fmts.of(f)) for f in form.fields]
        first = stamp.FIRST_DATA_ROW - 1
        # forms this generator does not fill (the optional 先进事迹表 of issue 8) stay as issued:
        # the template's blank rows only
        data = rows.get(form.name, [])
        for i, values in enumerate(data):
            r = first + i
            if form.name == "deeds":
                values = typed_variants(vrng, values)
                if i in bad_at:
                    fname, raw = bad_at[i]
                    values = {**values, fname: raw}
                    bad_cells.append((name, r + 1, fname))
            for c, (fname, fmt) in enumerate(field_fmts):
                _put(ws, r, c, values.get(fname), fmt)
        for r in range(first + len(data), first + form.max_rows):  # the template's blank rows
            for c, (_, fmt) in enumerate(field_fmts):
                ws.write_blank(r, c, None, fmt)
    for key, value in meta_items:
        wb.set_custom_property(stamp.PROPERTY_PREFIX + key, value, "text")
    wb.close()
    return {"rows": {k: len(v) for k, v in rows.items()}, "bad_cells": bad_cells}


def _write_one(args: tuple) -> tuple[str, dict]:
    definition, scenario, unit, issued, out = args
    return unit.code, write_return(definition, scenario, unit, issued, out)


def _generate_chunk(args: tuple) -> int:
    definition, units, out = args
    return len(generate(definition, Roster(units=units), out, deadline=DEADLINE, generated=GENERATED))


# --------------------------------------------------------------------------- driver


def check_first_return(definition: FormDefinition, roster: Roster, path: Path, written: dict) -> None:
    """Read the first return back through merge's own per-file stage; raise SystemExit unless
    it is identified by the ``_meta`` stamp, every row written is read, and exactly the injected
    bad cells are errors (at the cells where they were put)."""
    from xltools.merge import read_one

    res = read_one(path, definition, roster)
    unit = roster.units[0]
    if res.status != "ok" or res.unit_code != unit.code or res.identified_by != "_meta":
        raise SystemExit(f"{path}: read back as {res.status}/{res.unit_code}/{res.identified_by}: {res.reason}")
    got = {k: len(v) for k, v in res.rows.items() if v or k in written["rows"]}  # blank forms: none
    if got != written["rows"]:
        raise SystemExit(f"{path}: rows read {got} != written {written['rows']}")
    errors = sorted((r.sheet, r.row, i.kind) for rows in res.rows.values() for r in rows for i in r.issues
                    if i.is_error)
    if len(errors) != len(written["bad_cells"]) or sorted((s, r) for s, r, _ in errors) != sorted(
            (s, r) for s, r, _ in written["bad_cells"]):
        raise SystemExit(f"{path}: errors {errors} != injected {written['bad_cells']}")


def make(scenario: Scenario, jobs: int) -> dict:
    definition = load_form_definition(KIT)
    base = DATA / scenario.name
    if base.exists():
        shutil.rmtree(base)
    (base / "returns").mkdir(parents=True)
    roster = make_roster(scenario)
    write_roster(roster, base / "roster.xlsx")
    t0 = time.perf_counter()
    units = roster.units
    size = max(1, -(-len(units) // (jobs * 8)))
    chunks = [(definition, units[i:i + size], base / "issued") for i in range(0, len(units), size)]
    (base / "issued").mkdir()
    with multiprocessing.get_context("fork").Pool(jobs) as pool:
        sum(pool.imap(_generate_chunk, chunks))
    t_issue = time.perf_counter() - t0
    t0 = time.perf_counter()
    tasks = [(definition, scenario, u, base / "issued" / workbook_filename(definition, u),
              base / "returns" / workbook_filename(definition, u)) for u in units]
    written: dict[str, dict] = {}
    with multiprocessing.get_context("fork").Pool(jobs) as pool:
        for code, info in pool.imap(_write_one, tasks, chunksize=max(1, min(32, len(tasks) // (jobs * 4) or 1))):
            written[code] = info
    t_fill = time.perf_counter() - t0
    check_first_return(definition, roster, tasks[0][4], written[units[0].code])
    per_form = {f.name: sum(w["rows"].get(f.name, 0) for w in written.values()) for f in definition.forms}
    n_bad = sum(len(w["bad_cells"]) for w in written.values())
    digest = hashlib.sha256()
    for _, _, _, _, out in tasks[:3]:
        digest.update(out.read_bytes())
    manifest = {
        "scenario": scenario.name,
        "note": scenario.note,
        "seed": SEED,
        "units": len(units),
        "rows_per_unit": scenario.rows,
        "rows_per_form": per_form,
        "rows_total": sum(per_form.values()),
        "bad_cells": n_bad,
        "expected": {"rows_read": sum(per_form.values()), "rows_rejected": n_bad},
        "bytes_returns": sum(t[4].stat().st_size for t in tasks),
        "sha256_first3": digest.hexdigest(),
        "seconds": {"issue": round(t_issue, 2), "fill": round(t_fill, 2)},
    }
    (base / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8")
    return manifest


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description="Write synthetic returns for the benchmark scenarios.")
    ap.add_argument("--scenario", default="S1", choices=[*SCENARIOS, "all"])
    ap.add_argument("--jobs", type=int, default=multiprocessing.cpu_count())
    args = ap.parse_args(argv)
    names = list(SCENARIOS) if args.scenario == "all" else [args.scenario]
    for name in names:
        m = make(SCENARIOS[name], args.jobs)
        print(json.dumps(m, ensure_ascii=False), flush=True)


if __name__ == "__main__":
    main()
