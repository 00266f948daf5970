"""Form definitions: the bundled kit loads; every kind of mistake is refused with its place."""

from __future__ import annotations

import copy
import re
from decimal import Decimal

import pytest
import yaml

from xltools.errors import FormDefinitionError
from xltools.forms import (
    FIELD_TYPES,
    load_form_definition,
    normalise_label,
    parse_form_definition,
)

# A small valid definition; each test breaks one thing in a deep copy.
BASE = {
    "id": "t",
    "version": "1",
    "title": "测试表",
    "forms": [
        {
            "name": "a",
            "sheet": "表一",
            "fields": [
                {"name": "x", "label": "名称", "type": "text"},
                {"name": "n", "label": "人数", "type": "integer", "min": 0, "max": 10},
                {"name": "c", "label": "类别", "type": "choice", "choices": ["甲", "乙"]},
                {"name": "d", "label": "日期", "type": "date"},
            ],
        },
        {
            "name": "b",
            "sheet": "表二",
            "fields": [{"name": "x", "label": "名称", "type": "text", "ref": "a.x"}],
        },
    ],
    "figures": [
        {"name": "total", "op": "count", "form": "a", "where": {"field": "c", "op": "eq", "value": "甲"}},
        {"name": "people", "op": "sum", "form": "a", "field": "n"},
    ],
}


def dump(data: dict) -> str:
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


def problems_of(data_or_text, source: str = "t.yaml") -> list[str]:
    text = data_or_text if isinstance(data_or_text, str) else dump(data_or_text)
    with pytest.raises(FormDefinitionError) as info:
        parse_form_definition(text, source=source)
    err = info.value
    assert err.source == source
    assert "\n" not in str(err)
    assert str(err).startswith(f"表单定义有 {len(err.problems)} 处错误")
    for p in err.problems:
        assert f"{source}：{p}" in str(err)
    return err.problems


def broken(**paths) -> dict:
    """A deep copy of BASE with ``path=value`` edits; a path is keys/indices joined by '__'."""
    data = copy.deepcopy(BASE)
    for path, value in paths.items():
        *head, last = [int(p) if p.isdigit() else p for p in path.split("__")]
        target = data
        for key in head:
            target = target[key]
        target[last] = value
    return data


# --------------------------------------------------------------------------- the bundled kit


def test_bundled_kit_loads(kit_path):
    d = load_form_definition(kit_path)
    assert d.id == "pioneer_posts"
    assert d.version == "1.0"
    assert d.title == "党员先锋岗工作台账"
    assert d.issuer == "区直机关党工委"
    assert d.source == "pioneer_posts.yaml"
    assert [f.name for f in d.forms] == ["posts", "deeds", "results", "assessment", "stories"]
    assert [f.sheet for f in d.forms] == ["先锋岗登记表", "办实事做好事登记表", "工作成效表", "年度考核表", "先进事迹表"]
    assert [f.optional for f in d.forms] == [False, False, False, False, True]
    figures = {g.name for g in d.figures}
    for name in ("posts_total", "window_posts", "leaders", "members", "units_with_posts",
                 "deeds_total", "beneficiaries"):
        assert name in figures
    assert len(d.instructions) == 7


def test_bundled_kit_details(kit):
    posts = kit.form("posts")
    assert posts.max_rows == 30 and posts.key == ("post_name",)
    assert posts.header[:3] == ("先锋岗名称", "所在科室", "是否窗口单位")
    members = posts.field("members")
    assert (members.type, members.min, members.max, members.unit) == ("integer", Decimal(0), Decimal(500), "人")
    assert kit.form("deeds").field("post_name").ref == ("posts", "post_name")
    assert kit.form("deeds").field("category").choices[0] == "政策咨询"
    total = kit.form("assessment").field("total")
    assert total.derived is not None and total.derived.op == "sum" and len(total.derived.fields) == 5
    assert kit.form("assessment").complete_for == ("posts", "post_name")
    window = kit.figure("window_posts")
    assert window.where[0].field == "is_window" and window.where[0].value is True
    assert kit.figure("units_with_posts").field == "_unit" and kit.figure("units_with_posts").per_unit is False
    # every field type used by the kit is a known one
    assert {f.type for form in kit.forms for f in form.fields} <= set(FIELD_TYPES)


def test_valid_base_parses():
    d = parse_form_definition(dump(BASE), source="t.yaml")
    assert d.form("a").field("n").max == Decimal(10)
    assert d.form("b").field("x").ref == ("a", "x")
    assert d.figure("total").where[0].value == "甲"
    assert d.form("a").max_rows == 50  # the documented default


# --------------------------------------------------------------------------- refusals


def test_type_typo_names_the_place():
    problems = problems_of(broken(forms__0__fields__3__type="interger"))
    assert len(problems) == 1
    assert problems[0].startswith("forms[0].fields[3].type：'interger' 不是字段类型")


@pytest.mark.parametrize(
    ("path", "place"),
    [
        ("colour", "colour：未知的键 'colour'"),
        ("forms__0__sheeet", "forms[0].sheeet：未知的键 'sheeet'"),
        ("forms__0__fields__1__requried", "forms[0].fields[1].requried：未知的键 'requried'"),
        ("figures__1__filed", "figures[1].filed：未知的键 'filed'"),
        ("figures__0__where__vlaue", "figures[0].where[0].vlaue：未知的键 'vlaue'"),
    ],
)
def test_unknown_key_at_each_level(path, place):
    problems = problems_of(broken(**{path: True}))
    assert any(p.startswith(place) for p in problems), problems


def test_unknown_key_in_derived():
    data = broken(forms__0__fields__1__derived={"op": "sum", "fields": ["n"], "opp": 1})
    problems = problems_of(data)
    assert any(p.startswith("forms[0].fields[1].derived.opp：未知的键 'opp'") for p in problems)


def test_duplicate_field_name():
    data = copy.deepcopy(BASE)
    data["forms"][0]["fields"].append({"name": "x", "label": "另一个名称", "type": "text"})
    assert "forms[0].fields：字段名 'x' 重复" in problems_of(data)


def test_duplicate_label_after_normalising():
    data = copy.deepcopy(BASE)
    data["forms"][0]["fields"].append({"name": "y", "label": " 名 称 ", "type": "text"})
    assert any("'y'" in p and "与字段 'x' 的相同" in p for p in problems_of(data))


@pytest.mark.parametrize("choices", [None, []])
def test_choice_without_choices(choices):
    data = broken(forms__0__fields__2__choices=choices)
    assert "forms[0].fields[2].choices：选择型字段（choice）须列出选项（choices）" in problems_of(data)


def test_choices_on_a_non_choice_field():
    problems = problems_of(broken(forms__0__fields__0__choices=["甲"]))
    assert any(p.startswith("forms[0].fields[0].choices：选项（choices）只用于 choice 类型的字段") for p in problems)


def test_duplicate_yaml_key_gives_its_line():
    text = dump(BASE).replace("title: 测试表\n", "title: 测试表\ntitle: 又一个\n", 1)
    (problem,) = problems_of(text)
    assert problem.startswith("第 4 行第 1 列：")
    assert "键 'title' 重复（第一次出现在第 3 行）" in problem


def test_duplicate_key_inside_a_field():
    text = "\n".join([
        "id: t", "version: '1'", "title: x", "forms:", "  - name: a", "    sheet: 表一", "    fields:",
        "      - name: x", "        label: 名称", "        type: text", "        type: integer",
    ])
    (problem,) = problems_of(text)
    assert problem.startswith("第 11 行第 9 列：") and "键 'type' 重复" in problem


@pytest.mark.parametrize(
    ("edits", "expected"),
    [
        ({"forms__0__fields__1__min": 20}, "forms[0].fields[1]：下限 min 20 大于上限 max 10"),
        ({"forms__0__fields__1__max": "many"}, "forms[0].fields[1].max：应为数字，实际是 'many'"),
        ({"forms__0__fields__3__min": "2006-13-01"}, "forms[0].fields[3].min：应为日期（如 2006-01-01）"),
        ({"forms__0__fields__3__min": "2007-01-01", "forms__0__fields__3__max": "2006-01-01"},
         "forms[0].fields[3]：下限 min 2007-01-01 大于上限 max 2006-01-01"),
        ({"forms__0__fields__0__max": 5}, "forms[0].fields[0].max：min/max 只用于 integer、decimal 和 date 字段"),
    ],
)
def test_bad_min_max(edits, expected):
    problems = problems_of(broken(**edits))
    assert any(p.startswith(expected) for p in problems), problems


def test_unknown_figure_form_and_field():
    problems = problems_of(broken(figures__0__form="nope", figures__1__field="nobody"))
    assert any(p.startswith("figures[0].form：没有表单 'nope'") for p in problems)
    assert "figures[1].field：表单 'a' 没有字段 'nobody'" in problems


def test_figure_sum_needs_a_number_field():
    problems = problems_of(broken(figures__1__field="x"))
    assert "figures[1].field：计算方式 'sum' 须用 integer 或 decimal 字段，'x' 是 'text'" in problems


def test_condition_on_unknown_field():
    problems = problems_of(broken(figures__0__where={"field": "colour", "op": "eq", "value": "红"}))
    assert "figures[0].where[0].field：表单 'a' 没有字段 'colour'" in problems


def test_condition_value_not_a_choice():
    problems = problems_of(broken(figures__0__where={"field": "c", "op": "eq", "value": "丙"}))
    assert any(p.startswith("figures[0].where[0].value：'丙' 不是字段 'c' 的选项") for p in problems)


def test_ref_to_unknown_form_and_field():
    assert "forms[1].fields.x.ref：没有表单 'zzz'" in problems_of(broken(forms__1__fields__0__ref="zzz.x"))
    assert "forms[1].fields.x.ref：表单 'a' 没有字段 'y'" in problems_of(broken(forms__1__fields__0__ref="a.y"))


@pytest.mark.parametrize(
    ("sheet", "expected"),
    [
        ("一" * 32, "超过 Excel 工作表名 31 个字符的上限"),
        ("表/一", "含有 Excel 工作表名不允许的字符"),
        ("表[一]", "含有 Excel 工作表名不允许的字符"),
        ("_meta", "工作表名 '_meta' 已由 xltools 使用"),
        ("填表说明", "工作表名 '填表说明' 已由 xltools 使用"),
    ],
)
def test_bad_sheet_names(sheet, expected):
    problems = problems_of(broken(forms__0__sheet=sheet))
    assert any(expected in p for p in problems), problems


def test_sheet_name_of_31_characters_is_fine():
    d = parse_form_definition(dump(broken(forms__0__sheet="一" * 31)))
    assert d.forms[0].sheet == "一" * 31


@pytest.mark.parametrize("text", ["", "   \n", "# only a comment\n"])
def test_empty_file(text):
    assert problems_of(text) == ["文件是空的"]


def test_yaml_syntax_error_gives_line_number():
    text = dump(BASE).replace("title: 测试表", "title: [测试表", 1)
    (problem,) = problems_of(text)
    assert problem.startswith("第 ") and "YAML 语法错误" in problem
    line = int(problem.split()[1])
    assert 3 <= line <= 5


def test_not_a_mapping():
    assert problems_of("- a\n- b\n") == ["（顶层）：应为“键: 值”形式的映射，实际是列表"]


def test_missing_required_keys():
    problems = problems_of({"id": "t", "forms": [{"name": "a", "sheet": "表一", "fields": [{"name": "x", "type": "text"}]}]})
    assert "version：缺少此项（必填）" in problems
    assert "title：缺少此项（必填）" in problems
    assert "forms[0].fields[0].label：缺少此项（必填）" in problems


def test_several_problems_reported_at_once():
    data = broken(
        colour="red",
        forms__0__fields__3__type="interger",
        forms__0__fields__2__choices=[],
        forms__0__sheet="表/一",
        figures__1__field="nobody",
    )
    problems = problems_of(data)
    assert len(problems) >= 5
    places = [p.split("：")[0] for p in problems]
    for place in ("colour", "forms[0].fields[3].type", "forms[0].fields[2].choices", "forms[0].sheet",
                  "figures[1].field"):
        assert place in places, problems


def test_missing_file_is_a_form_definition_error(tmp_path):
    with pytest.raises(FormDefinitionError) as info:
        load_form_definition(tmp_path / "gone.yaml")
    assert "gone.yaml" in str(info.value) and "文件不存在" in str(info.value)


def test_load_reports_the_file_name(tmp_path):
    p = tmp_path / "mine.yaml"
    p.write_text(dump(broken(forms__0__fields__3__type="interger")), encoding="utf-8")
    with pytest.raises(FormDefinitionError) as info:
        load_form_definition(p)
    assert "mine.yaml：forms[0].fields[3].type：'interger' 不是字段类型" in str(info.value)


def test_load_accepts_a_bom(tmp_path):
    p = tmp_path / "bom.yaml"
    p.write_bytes(b"\xef\xbb\xbf" + dump(BASE).encode("utf-8"))
    assert load_form_definition(p).title == "测试表"


# --------------------------------------------------------------------------- labels


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("参与党员人数", "参与党员人数"),
        ("涉及金额（万元）", "涉及金额(万元)"),  # full-width brackets
        ("ＡＢＣ１２３", "abc123"),  # full-width letters and digits, case-folded
        ("参与\u00a0党员", "参与党员"),  # NBSP
        ("\u3000参与党员\u3000", "参与党员"),  # ideographic space
        (" 参与党员\n人数 ", "参与党员人数"),  # newline inside a header cell
        ("参与党员\r\n人数", "参与党员人数"),
        ("*先锋岗名称", "先锋岗名称"),  # leading required-marker
        ("＊先锋岗名称", "先锋岗名称"),  # full-width asterisk
        ("先锋岗名称：", "先锋岗名称"),  # trailing full-width colon
        ("先锋岗名称:", "先锋岗名称"),
        ("\ufeff先锋岗\u200b名称", "先锋岗名称"),  # BOM and zero-width space
        (None, ""),
        (12, "12"),
    ],
)
def test_normalise_label(raw, expected):
    assert normalise_label(raw) == expected


def test_normalise_label_keeps_different_labels_apart():
    assert normalise_label("上年值") != normalise_label("本年值")
    assert normalise_label("涉及金额（万元）") != normalise_label("涉及金额（元）")


# --------------------------------------------------------------------------- fingerprint


def test_fingerprint_is_stable_and_label_sensitive(kit):
    again = parse_form_definition(dump(BASE)).form("a").fingerprint
    first = parse_form_definition(dump(BASE)).form("a").fingerprint
    assert first == again
    assert len(first) == 16 and all(c in "0123456789abcdef" for c in first)
    # same labels written differently (full-width, spaces) → same fingerprint
    spaced = broken(forms__0__fields__0__label="名　称", forms__0__fields__1__label="人数 ")
    assert parse_form_definition(dump(spaced)).form("a").fingerprint == first
    # names, types and rules do not count, only the header
    renamed = broken(forms__0__fields__3__name="day", forms__0__fields__1__max=99)
    assert parse_form_definition(dump(renamed)).form("a").fingerprint == first
    # a changed label, or the same labels in another order, is a different header
    changed = broken(forms__0__fields__0__label="名称（全称）")
    assert parse_form_definition(dump(changed)).form("a").fingerprint != first
    swapped = copy.deepcopy(BASE)
    f = swapped["forms"][0]["fields"]
    f[0], f[1] = f[1], f[0]
    assert parse_form_definition(dump(swapped)).form("a").fingerprint != first
    # the kit's four forms all differ
    assert len({form.fingerprint for form in kit.forms}) == len(kit.forms) == 5


@pytest.mark.parametrize(
    "changes",
    [
        {"title": ["a", "b"]},
        {"id": "1bad", "anonymous": "yes", "instructions": {"a": 1}},
        {"forms__0__max_rows": 0, "forms__0__ref_severity": "fatal", "forms__0__key": ["nobody"]},
        {"forms__0__complete_for": "a", "forms__0__fields__1__unit": "斤", "forms__0__fields__1__decimals": 11},
        {"forms__0__fields__0__unit": "人", "forms__0__fields__0__width": 300, "forms__0__fields__0__max_length": -1},
        {"forms__0__fields__0__derived": {"op": "avg", "fields": ["zz"]}, "forms__0__fields__2__choices": ["甲", "甲"]},
        {"figures__0__op": "median", "figures__1__form": "b"},
        {"figures__0__field": "x", "figures__1__op": "count_names"},
        {"figures__0__where": {"field": "c", "op": "like", "value": 1}},
        {"figures__0__where": [{"field": "c", "op": "blank", "value": 1}, {"field": "c", "op": "in", "value": "甲"},
                               {"field": "n", "op": "eq"}, {"field": "d", "op": "eq", "value": "someday"},
                               {"field": "n", "op": "eq", "value": "many"}]},
        {"forms": {"a": 1}, "figures": "x"},
        {"forms": []},
    ],
)
def test_every_problem_is_in_chinese(changes):
    """DESIGN.md §7: error messages are Chinese.  Every problem, after its place in the YAML,
    says what is wrong in Chinese (YAML keys and values are quoted as written)."""
    problems = problems_of(broken(**changes))
    assert problems
    for p in problems:
        place, _, message = p.partition("：")
        assert message and re.search(r"[\u4e00-\u9fff]", message), p
        assert not re.search(r"\b(expected|unknown|required|must|needs|got|only|not a)\b", message), p
