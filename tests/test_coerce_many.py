"""Issue 7: a names column's plain strings are coerced in one batch (``coerce._many`` with
``_names_plain``).  The batch must give exactly what the per-value coercer gives, for every
value: names, separators of every kind, interpuncts, zero-width and full-width characters,
digits, long names, blanks, error codes, and values that are not strings."""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal

import pytest

from xltools import coerce as C
from xltools.forms import Field

PIECES = [
    "张明", "李华", "王强", "赵敏", "欧阳娜娜", "阿依古丽", "买买提", "Tom", "ＡＢＣ", "李１", "王2",
    "长" * 21, "短" * 20, "、", "，", ",", ";", "；", "/", "／", " ", "  ", "\u3000", "\t", "\n", "\r\n",
    "·", "•", "・", " • ", "\u200b", "\ufeff", "\u00a0", "#", "#N/A", "0", "１２", "ﾃｽﾄ", "①", "e\u0301",
    "\u0301", "ᄀ", "ᅡ", "\uffff", "\x00", "\x1f", "无", "/", "—", "...", "张", "明", "𠮷",
]


def _random_values(rng: random.Random, n: int) -> list[object]:
    out: list[object] = []
    for _ in range(n):
        k = rng.randint(0, 6)
        out.append("".join(rng.choice(PIECES) for _ in range(k)))
    out += [None, 12, 3.5, True, date(2024, 3, 5), "", " ", "#DIV/0!", "张明、李华", " 张明", "张明 "]
    return out


def _field(**kw) -> Field:
    return Field(name="members", label="参与人员", type="names", **kw)


@pytest.mark.parametrize("required", [False, True])
def test_batch_equals_per_value(required):
    coerce = C.compile_field(_field(required=required))
    assert coerce.many is not None
    rng = random.Random(20261130)
    for _ in range(300):
        values = _random_values(rng, rng.randint(0, 40))
        assert coerce.many(values) == {v: coerce(v) for v in set(values)}


def test_typical_column():
    coerce = C.compile_field(_field())
    values = ["张明、李华", "王强，赵敏", "阿依古丽 • 买买提", "李１", "长" * 21, "#N/A", " 张明 ", "无"]
    got = coerce.many(values)
    assert got["张明、李华"] == (("张明", "李华"), [])
    assert got["王强，赵敏"] == (("王强", "赵敏"), [])
    assert got["阿依古丽 • 买买提"] == (("阿依古丽·买买提",), [])
    assert got["李１"][0] == ("李1",) and got["李１"][1][0][1] == "odd_name"
    assert got["长" * 21][1][0][1] == "odd_name"
    assert got["#N/A"][0] is None and got["#N/A"][1][0][1] == "error_value"
    assert got[" 张明 "] == (("张明",), [])
    assert got == {v: coerce(v) for v in values}


def test_only_the_space_is_both_printable_and_stripped():
    # the plain path of _many relies on it: a printable string holds no other _WS character
    assert [c for c in C._WS if c.isprintable()] == [" "]
    assert not C._NFKC_JOIN.isprintable()


def test_other_field_types_have_no_batch():
    for t in ("choice", "boolean"):
        kw = {"choices": ("是", "否")} if t == "choice" else {}
        assert C.compile_field(Field(name="x", label="x", type=t, **kw)).many is None


def test_batch_equals_per_value_on_columns_without_digits_long_names_or_interpuncts():
    # the batch's shortcut (no value needs a message, no empty piece) and the empty-piece test
    # that guards it: separators at either end of a value, values of separators only
    coerce = C.compile_field(_field(required=True))
    clean = ["张明", "李华", "王强", "欧阳娜娜", "Tom", "、", "，", ",", ";", "；", "/", " ", "  ", "、、", "无", "张", "明"]
    rng = random.Random(20261201)
    for _ in range(400):
        values = ["".join(rng.choice(clean) for _ in range(rng.randint(1, 5))) for _ in range(rng.randint(1, 30))]
        assert coerce.many(values) == {v: coerce(v) for v in set(values)}, values
    assert coerce.many(["张明、李华", "王强"]) == {"张明、李华": (("张明", "李华"), []), "王强": (("王强",), [])}
    assert coerce.many(["、张明", "李华、"]) == {"、张明": (("张明",), []), "李华、": (("李华",), [])}
    got = coerce.many(["、", "张明"])
    assert got["、"][0] is None and got["、"][1][0][1] == "required" and got["张明"] == (("张明",), [])


def test_batch_equals_per_value_when_some_values_need_a_message_and_none_has_an_interpunct():
    # the suspect parts (a digit, a long piece, an empty piece) take the per-value test, the
    # others keep their pieces
    coerce = C.compile_field(_field())
    pieces = ["张明", "李华", "王强", "李１", "王2", "长" * 21, "短" * 20, "、", "，", " ", "0", "１２"]
    rng = random.Random(20261202)
    for _ in range(400):
        values = ["".join(rng.choice(pieces) for _ in range(rng.randint(1, 4))) for _ in range(rng.randint(1, 30))]
        assert coerce.many(values) == {v: coerce(v) for v in set(values)}, values
    got = coerce.many(["张明、李华", "王2", "短" * 20 + "、张明"])
    assert got["张明、李华"] == (("张明", "李华"), []) and got["短" * 20 + "、张明"] == (("短" * 20, "张明"), [])
    assert got["王2"][0] == ("王2",) and got["王2"][1][0][1] == "odd_name"


@pytest.mark.parametrize("max_length", [None, 3, 10])
def test_text_batch_equals_per_value(max_length):
    coerce = C.compile_field(Field(name="note", label="说明", type="text", required=True, max_length=max_length))
    assert coerce.many is not None
    pieces = ["已办结", "群众满意", " ", "#N/A", "#", "a\tb", "\r\n", "\x07", "长" * 11, "\u3000", "ＡＢ", "0", ""]
    rng = random.Random(20261203)
    for _ in range(400):
        values = ["".join(rng.choice(pieces) for _ in range(rng.randint(0, 4))) for _ in range(rng.randint(1, 20))]
        values += rng.sample([None, 12, 3.5, True, date(2024, 3, 5)], rng.randint(0, 2))
        assert coerce.many(values) == {v: coerce(v) for v in set(values)}, values
    plain = ["已办结", "群众满意", "长" * 11]
    assert coerce.many(plain) == {v: coerce(v) for v in plain}


NUMBER_FIELDS = [
    Field(name="n", label="人数", type="integer", min=Decimal(0), max=Decimal(1000)),
    Field(name="n", label="人数", type="integer"),
    Field(name="m", label="金额", type="decimal", min=Decimal(0), max=Decimal(100000), decimals=2),
    Field(name="m", label="金额", type="decimal", decimals=0),
    Field(name="m", label="金额", type="decimal", min=Decimal("-5")),
    Field(name="m", label="金额", type="decimal", required=True),
]


@pytest.mark.parametrize("field", NUMBER_FIELDS, ids=lambda f: f"{f.type}-{f.min}-{f.max}-{f.decimals}-{f.required}")
def test_number_batch_equals_per_value(field):
    coerce = C.compile_field(field)
    assert coerce.many is not None
    numbers = [0.0, -0.0, 1.0, 12.0, 12.5, 0.1 + 0.2, 491.3, 999.999, 1000.0, 1001.0, -1.0, 1e-5, 1.5e16, 1e15,
               123456789012345.67, float("inf"), float("-inf"), float("nan"), 2.25, 100000.0, 100000.01, 3.14159]
    others = [None, "12", " 7 ", "十二", "无", "#N/A", 5, True, date(2024, 3, 5)]
    rng = random.Random(20261204)
    for _ in range(600):
        values = rng.sample(numbers, rng.randint(0, 8)) + rng.sample(others, rng.randint(0, 3))
        values += [round(rng.uniform(-10, 2000), rng.choice([0, 1, 2, 3])) for _ in range(rng.randint(0, 6))]
        got, want = coerce.many(values), {v: coerce(v) for v in set(values)}
        assert got.keys() == want.keys(), values
        for v in want:  # compared as text too: Decimal("1.0") == Decimal("1") but prints otherwise
            assert got[v] == want[v] and repr(got[v]) == repr(want[v]), (v, values)


def test_number_batch_gives_each_cell_its_own_problem_list():
    coerce = C.compile_field(NUMBER_FIELDS[0])
    got = coerce.many([1.0, 2.0, 3.0])
    lists = [problems for _value, problems in got.values()]
    assert lists == [[], [], []] and len({id(x) for x in lists}) == 3


def test_number_batch_takes_the_usual_column_and_leaves_the_rest():
    ints, amounts = C._numeric_floats(NUMBER_FIELDS[0]), C._numeric_floats(NUMBER_FIELDS[2])
    assert ints([3.0, 12.0, 0.0]) == [(3, []), (12, []), (0, [])]
    assert ints([3.0, 12.5]) is None and ints([3.0, 1001.0]) is None  # not whole; out of bounds
    assert amounts([491.3, 0.1 + 0.2, 2.25]) == [(Decimal("491.3"), []), (Decimal("0.3"), []), (Decimal("2.25"), [])]
    assert amounts([1.125]) is None and amounts([1e-5]) is None and amounts([float("nan")]) is None


@pytest.mark.parametrize("bounds", [(None, None), (date(2020, 1, 1), date(2024, 12, 31)), (date(2023, 6, 1), None)])
def test_date_batch_equals_per_value(bounds):
    from datetime import datetime

    coerce = C.compile_field(Field(name="d", label="日期", type="date", required=True, min=bounds[0], max=bounds[1]))
    assert coerce.many is not None
    rng = random.Random(20261205)
    days = [date(2019, 12, 31), date(2020, 1, 1), date(2023, 6, 1), date(2024, 12, 31), date(2025, 1, 1)]
    others = [None, "2024-03-05", "2024.3.5", "二〇二四年三月五日", 45356.0, datetime(2024, 3, 5, 8, 30), "明天", True]
    for _ in range(400):
        values = rng.sample(days, rng.randint(0, 4)) + rng.sample(others, rng.randint(0, 3))
        values += [date(2020, 1, 1) + timedelta(days=rng.randint(0, 1800)) for _ in range(rng.randint(0, 5))]
        got, want = coerce.many(values), {v: coerce(v) for v in set(values)}
        assert got == want, values
    out = coerce.many([date(2019, 12, 31)])[date(2019, 12, 31)]
    if bounds[0] is not None:  # the message quotes the date as it reads
        assert out[0] is None and "2019-12-31" in out[1][0][2] and "即" not in out[1][0][2]


def test_a_cell_of_thousands_of_names_with_repeats_is_one_message():
    # a review: pieces.count() per name made a 32,000-character cell take 2.5 s (30 rows: 67 s)
    names = [f"张{chr(0x4E00 + i)}{chr(0x4E00 + i + 1)}" for i in range(5000)]
    cell = "、".join(names + names)
    value, problems = C.compile_field(_field())(cell)
    assert value == tuple(names)
    assert problems == [("warning", "repeated_name", f"“{'、'.join(names[:10])}等”在本格中写了不止一次，已只计一次，请核实")]


def test_single_characters_are_joined_only_in_twos():
    coerce = C.compile_field(_field())
    got = coerce.many(["赵 钱 孙 李", "张 明 李小华", "王 小 明"])
    assert got["张 明 李小华"] == (("张明", "李小华"), [])
    assert got["赵 钱 孙 李"] == (("赵", "钱", "孙", "李"), [
        ("warning", "odd_name", "“赵、钱、孙、李”各只有一个字，不像完整的姓名，请核实（多人请用顿号分隔）")])
    assert got["王 小 明"][0] == ("王", "小", "明")
