"""Issue 7: a report reads a form's rows only when a template reaches them —
:class:`xltools.consolidated.FormRows` (``read_consolidated(path, lazy=True)``) and the posts
of ``posts_by_unit``, whose deeds, results, assessment and story are joined on first use."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from docx_helpers import docx_with
from jinja2 import Environment

from xltools.cli import cli
from xltools.consolidated import DATA_SHEET, FormRows, read_consolidated, write_consolidated
from xltools.errors import DataError
from xltools.forms import load_form_definition
from xltools.merge import merge
from xltools.report import posts_by_unit, report, report_context

ROOT = Path(__file__).resolve().parent.parent
KIT = ROOT / "templates" / "xlsx" / "pioneer_posts.yaml"
DAY = dt.date(2024, 12, 31)


@pytest.fixture(scope="module")
def kit():
    return load_form_definition(KIT)


@pytest.fixture(scope="module")
def consolidated(kit, tmp_path_factory) -> Path:
    with merge(kit, ROOT / "samples" / "roster.xlsx", [ROOT / "samples" / "returns" / "round1"], jobs=1) as cons:
        return write_consolidated(cons, tmp_path_factory.mktemp("cons") / "汇总表.xlsx")


@pytest.fixture
def asked(sheets_read) -> list:
    """The ``sheets`` of every read_return call (one per pass over the workbook: conftest)."""
    return sheets_read


# --------------------------------------------------------------------------- FormRows


def test_lazy_read_lists_every_form_and_reads_rows_only_when_looked_up(consolidated, kit, asked):
    whole = read_consolidated(consolidated)
    asked.clear()
    lazy = read_consolidated(consolidated, forms=(), lazy=True)
    rows = lazy["forms"]
    assert isinstance(rows, FormRows)
    assert asked == [[DATA_SHEET]]
    # names, length and membership come from the _data sheet: no rows read
    assert list(rows) == list(whole["forms"]) and len(rows) == len(kit.forms) == 5
    assert "results" in rows and "无此表" not in rows and rows.loaded == frozenset()
    assert asked == [[DATA_SHEET]]
    # a lookup reads that one form's sheet, once
    sheet = {f.name: f.sheet for f in kit.forms}
    assert rows["results"] == whole["forms"]["results"] and len(rows["results"]) > 10
    assert rows["results"] is rows["results"]
    assert asked == [[DATA_SHEET], [sheet["results"]]] and rows.loaded == {"results"}
    # get() of an absent form is None, [] of one is a KeyError, neither reads anything
    assert rows.get("无此表") is None
    with pytest.raises(KeyError):
        rows["无此表"]
    # load() reads several forms in one pass, skipping those already read
    rows.load(["posts", "results", "deeds", "无此表"])
    assert asked[-1] == sorted([sheet["posts"], sheet["deeds"]])
    # everything else is what the eager read gives
    assert {k: v for k, v in lazy.items() if k != "forms"} == {k: v for k, v in whole.items() if k != "forms"}
    assert dict(rows) == whole["forms"]


def test_lazy_read_reads_the_forms_named_at_once_in_one_pass(consolidated, kit, asked):
    rows = read_consolidated(consolidated, forms={"assessment", "posts"}, lazy=True)["forms"]
    sheet = {f.name: f.sheet for f in kit.forms}
    assert asked == [[DATA_SHEET], sorted([sheet["assessment"], sheet["posts"]])]
    assert rows.loaded == {"assessment", "posts"}
    asked.clear()
    everything = read_consolidated(consolidated, lazy=True)["forms"]  # forms=None: all at once
    assert len(asked) == 2 and len(asked[1]) == len(kit.forms) and everything.loaded == set(everything)


def test_a_workbook_changed_since_it_was_read_is_refused_on_the_next_lookup(consolidated, tmp_path):
    copy = tmp_path / "汇总表.xlsx"
    shutil.copyfile(consolidated, copy)
    rows = read_consolidated(copy, forms=("posts",), lazy=True)["forms"]
    assert rows["posts"]  # already read: still served
    with open(copy, "ab") as fh:  # the committee re-ran merge into the same file meanwhile
        fh.write(b"\0")
    with pytest.raises(DataError, match="汇总表在读取期间被改动或替换") as err:
        rows["deeds"]
    assert str(copy) in str(err.value)


def _break_sheet(src: Path, dst: Path, sheet_name: str) -> None:
    """``src`` copied to ``dst`` with the worksheet part of ``sheet_name`` replaced by text that
    is not XML (XlsxWriter names the parts sheet1.xml … in tab order)."""
    import python_calamine

    names = python_calamine.CalamineWorkbook.from_path(str(src)).sheet_names
    part = f"xl/worksheets/sheet{names.index(sheet_name) + 1}.xml"
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            zout.writestr(info, b"<worksheet><sheetData><row r=" if info.filename == part else zin.read(info))


def test_an_unreadable_form_sheet_is_a_data_error_when_reached_and_nothing_is_written(consolidated, kit, tmp_path):
    broken = tmp_path / "坏.xlsx"
    deeds_sheet = next(f.sheet for f in kit.forms if f.name == "deeds")
    _break_sheet(consolidated, broken, deeds_sheet)
    # the figures and the forms not reached are still read
    data = read_consolidated(broken, forms=("posts",), lazy=True)
    assert data["forms"]["posts"] and data["counts"]["returned"] > 0
    with pytest.raises(DataError, match="无法读取汇总表") as err:
        data["forms"]["deeds"]
    assert str(broken) in str(err.value)
    # the commendation never reaches the deeds: drafted
    assert report(["commendation"], broken, tmp_path / "表彰.docx", date=DAY)[0].is_file()
    # the compilation does: the DataError itself (not a template error), and no file
    with pytest.raises(DataError, match="无法读取汇总表"):
        report(["deeds_compilation"], broken, tmp_path / "汇编.docx", date=DAY)
    assert not (tmp_path / "汇编.docx").exists()
    result = CliRunner().invoke(cli, ["report", "deeds_compilation", "--data", str(broken),
                                      "--out", str(tmp_path / "cli.docx"), "--date", "2024-12-31"])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "无法读取汇总表" in result.output and "坏.xlsx" in result.output
    assert not (tmp_path / "cli.docx").exists()


def test_context_without_needed_reads_every_form_at_once_as_plain_dicts(consolidated, asked):
    """The Python API's default (templates not known): every form in one pass, ``forms`` a dict
    of lists and each post a dict, as before lazy reading (json.dumps and mutation work)."""
    ctx = report_context(consolidated, date=DAY)
    assert len(asked) == 2 and type(ctx["forms"]) is dict and set(ctx["forms"]) == set(read_consolidated(consolidated)["forms"])
    assert ctx["top10"] and ctx["posts_by_unit"]
    post = ctx["posts_by_unit"][0]["posts"][0]
    assert type(post) is dict and list(post)[-4:] == ["deeds", "results", "assessment", "story"]
    json.dumps(ctx["posts_by_unit"], default=str, ensure_ascii=False)  # rows, not reprs
    assert "deed_date" in json.dumps(post, default=str)


def test_context_with_needed_computes_only_what_is_named(consolidated, asked):
    ctx = report_context(consolidated, date=DAY, needed={"posts_total", "forms"})
    assert asked == [[DATA_SHEET]]  # nothing at once: `forms` is read as it is reached
    assert ctx["top10"] == [] and ctx["posts_by_unit"] == []
    assert "deeds" in ctx["forms"] and ctx["forms"].loaded == frozenset()


# --------------------------------------------------------------------------- posts_by_unit


class _Spy(dict):
    """A forms dict recording which forms are looked up."""

    def __init__(self, *args, **kw):
        super().__init__(*args, **kw)
        self.seen: list[str] = []

    def get(self, name, default=None):
        self.seen.append(name)
        return super().get(name, default)


def _forms() -> _Spy:
    return _Spy(
        posts=[{"unit_code": "D01", "unit_name": "区委办", "post_name": "甲岗", "leaders": "王强", "source_row": 4},
               {"unit_code": "D01", "unit_name": "区委办", "post_name": "乙岗", "leaders": "李华", "source_row": 5}],
        deeds=[{"unit_code": "D01", "post_name": "甲岗", "deed_date": dt.date(2005, 6, 2), "source_row": 4},
               {"unit_code": "D01", "post_name": "甲岗", "deed_date": None, "source_row": 5},
               {"unit_code": "D01", "post_name": "甲岗", "deed_date": dt.date(2005, 3, 9), "source_row": 6}],
        results=[{"unit_code": "D01", "post_name": "乙岗", "indicator": "办件"}],
        assessment=[{"unit_code": "D01", "post_name": "甲岗", "total": 98},
                    {"unit_code": "D01", "post_name": "甲岗", "total": 50}],
    )


def test_a_post_joins_its_rows_only_when_first_looked_up():
    forms = _forms()
    units = posts_by_unit(forms, [{"code": "D01", "name": "区委办"}], lazy=True)
    assert forms.seen == ["posts"]
    first, second = units[0]["posts"]
    assert first["leaders"] == "王强" and forms.seen == ["posts"]
    # by date, undated last; the same list on every lookup
    assert [d["source_row"] for d in first["deeds"]] == [6, 4, 5] and first["deeds"] is first["deeds"]
    assert forms.seen == ["posts", "deeds"]
    assert second["deeds"] == [] and forms.seen == ["posts", "deeds"]  # indexed once for all posts
    assert first["assessment"]["total"] == 98  # the first row for a post
    assert second["assessment"] is None and first["story"] is None and second["results"][0]["indicator"] == "办件"
    assert forms.seen == ["posts", "deeds", "assessment", "stories", "results"]


def test_a_post_is_a_mapping_of_its_row_then_the_joined_keys():
    post = posts_by_unit(_forms(), [], lazy=True)[0]["posts"][1]
    assert list(post) == ["unit_code", "unit_name", "post_name", "leaders", "source_row",
                          "deeds", "results", "assessment", "story"]
    assert len(post) == 9 and "deeds" in post and "leaders" in post and "无此键" not in post
    assert post == {"unit_code": "D01", "unit_name": "区委办", "post_name": "乙岗", "leaders": "李华",
                    "source_row": 5, "deeds": [], "results": [{"unit_code": "D01", "post_name": "乙岗", "indicator": "办件"}],
                    "assessment": None, "story": None}
    assert post.get("无此键", "-") == "-"
    with pytest.raises(KeyError):
        post["无此键"]
    # a template reaches the keys as attributes, as on a dict
    env = Environment()
    out = env.from_string("{{ p.post_name }}|{{ p.deeds|length }}|{{ p.results[0].indicator }}|"
                          "{{ p.get('leaders') }}|{{ p.story is none }}").render(p=post)
    assert out == "乙岗|0|办件|李华|True"
    # printed, and compared, it is the dict posts_by_unit gives without lazy
    eager = posts_by_unit(_forms(), [])[0]["posts"][1]
    assert type(eager) is dict and post == eager and repr(post) == repr(eager)
    assert env.from_string("{{ p }}").render(p=post) == env.from_string("{{ p }}").render(p=eager)


def test_a_field_named_like_a_joined_key_is_shadowed_by_the_join_as_before():
    forms = {"posts": [{"unit_code": "D01", "post_name": "甲岗", "results": "手填的成效"}],
             "results": [{"unit_code": "D01", "post_name": "甲岗", "indicator": "办件"}]}
    post = posts_by_unit(forms, [], lazy=True)[0]["posts"][0]
    assert post["results"] == forms["results"] and list(post).count("results") == 1 and len(post) == 6
    assert posts_by_unit(forms, [])[0]["posts"][0]["results"] == forms["results"]


def test_lazily_read_posts_draft_the_same_documents_as_eager_ones(consolidated, tmp_path):
    eager = read_consolidated(consolidated)
    lazy = read_consolidated(consolidated, forms=(), lazy=True)
    for name in ("work_report", "deeds_compilation", "commendation"):
        a = report([name], eager, tmp_path / f"a-{name}.docx", date=DAY)[0]
        b = report([name], lazy, tmp_path / f"b-{name}.docx", date=DAY)[0]
        with zipfile.ZipFile(a) as za, zipfile.ZipFile(b) as zb:
            assert za.read("word/document.xml") == zb.read("word/document.xml"), name
    assert os.path.getsize(tmp_path / "a-deeds_compilation.docx") > 20_000


# --------------------------------------------------------------------------- what is read at once


def test_tags_naming_forms_are_read_in_the_first_pass(consolidated, kit, tmp_path, asked):
    from xltools.report import forms_used

    sheet = {f.name: f.sheet for f in kit.forms}
    tpl = docx_with(tmp_path / "named.docx", "{{ forms.deeds|length }}/{{ forms['results']|length }}/"
                    "{{ forms.get('assessment')|length }}/{{ 'stories' in forms }}")
    assert forms_used([tpl]) == {"deeds", "results", "assessment"}  # `in` reads no rows
    whole = read_consolidated(consolidated)
    asked.clear()
    out = report([tpl], consolidated, tmp_path / "named-out.docx", date=DAY)[0]
    assert _text(out) == (f"{len(whole['forms']['deeds'])}/{len(whole['forms']['results'])}/"
                          f"{len(whole['forms']['assessment'])}/是")  # True renders as 是
    assert asked == [[DATA_SHEET], sorted(sheet[f] for f in ("deeds", "results", "assessment"))]


def test_forms_used_as_a_whole_are_all_read_in_the_first_pass(consolidated, kit, tmp_path, asked):
    from xltools.report import forms_used

    whole = read_consolidated(consolidated)
    loops = {
        "loop": "{% for name in forms|sort %}{{ name }}={{ forms[name]|length }};{% endfor %}",
        "items": "{% for name, rows in forms|dictsort %}{{ name }}={{ rows|length }};{% endfor %}",
        "alias": "{% set f = forms %}{% for name in f|sort %}{{ name }}={{ f[name]|length }};{% endfor %}",
    }
    want = "".join(f"{n}={len(whole['forms'][n])};" for n in sorted(whole["forms"]))
    for label, text in loops.items():
        tpl = docx_with(tmp_path / f"{label}.docx", text)
        assert forms_used([tpl]) is None, label
        asked.clear()
        assert _text(report([tpl], consolidated, tmp_path / f"{label}-out.docx", date=DAY)[0]) == want, label
        assert asked == [[DATA_SHEET], sorted(f.sheet for f in kit.forms)], label
    # a test of membership, of the count, or of emptiness reads no rows
    tpl = docx_with(tmp_path / "tests.docx", "{{ 'deeds' in forms }}/{{ forms|length }}/{% if forms %}有{% endif %}"
                    "/{{ 'x' if not forms else 'y' }}")
    assert forms_used([tpl]) == set()
    asked.clear()
    assert _text(report([tpl], consolidated, tmp_path / "tests-out.docx", date=DAY)[0]) == "是/5/有/y"
    assert asked == [[DATA_SHEET]]


def test_joins_reached_by_a_computed_key_are_read_when_reached(consolidated, kit, tmp_path, asked):
    """A post's joined rows reached by a computed key are not in the first pass: the form is
    read when reached, once."""
    from xltools.report import forms_used

    sheet = {f.name: f.sheet for f in kit.forms}
    tpl = docx_with(
        tmp_path / "dynamic.docx",
        "{% set key = 'de' ~ 'eds' %}{% for u in posts_by_unit %}{% for p in u.posts %}"
        "{{ p[key]|length }},{% endfor %}{% endfor %}",
    )
    assert forms_used([tpl]) == {"posts"}
    whole = read_consolidated(consolidated)
    asked.clear()
    out = report([tpl], consolidated, tmp_path / "dynamic-out.docx", date=DAY)[0]
    deeds = whole["forms"]["deeds"]
    want = [sum(1 for d in deeds if (d["unit_code"], d["post_name"]) == (p["unit_code"], p["post_name"]))
            for u in posts_by_unit(whole["forms"], whole["per_unit"]) for p in u["posts"]]
    assert _text(out) == "".join(f"{n}," for n in want) and sum(want) > 300
    assert asked == [[DATA_SHEET], [sheet["posts"]], [sheet["deeds"]]]


def test_joined_keys_named_by_subscript_or_get_are_read_in_the_first_pass(tmp_path):
    from xltools.report import forms_used

    tpl = docx_with(tmp_path / "keys.docx", "{% for u in posts_by_unit %}{% for p in u.posts %}"
                    "{{ p['deeds']|length }}{{ p.get('story') }}{% endfor %}{% endfor %}")
    assert forms_used([tpl]) == {"posts", "deeds", "stories"}


def _text(path: Path) -> str:
    from docx import Document

    return "\n".join(p.text for p in Document(str(path)).paragraphs)


def test_a_workbook_deleted_before_a_later_lookup_is_a_data_error(consolidated, tmp_path):
    from xltools.report import render_template

    copy = tmp_path / "汇总表.xlsx"
    shutil.copyfile(consolidated, copy)
    ctx = report_context(copy, date=DAY, needed={"forms"})
    tpl = docx_with(tmp_path / "t.docx", "{{ forms.deeds|length }}")
    copy.unlink()  # deleted (or moved) while the report runs
    with pytest.raises(DataError, match="汇总表在读取期间被删除或移走") as err:
        render_template(tpl, ctx)
    assert str(copy) in str(err.value)


def _rename_sheet(src: Path, dst: Path, old: str, new: str) -> None:
    """``src`` copied to ``dst`` with the sheet ``old`` named ``new`` in xl/workbook.xml."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            blob = zin.read(info)
            if info.filename == "xl/workbook.xml":
                blob = blob.replace(f'name="{old}"'.encode(), f'name="{new}"'.encode())
            zout.writestr(info, blob)


def test_a_form_sheet_missing_from_the_workbook_is_a_data_error_not_empty_rows(consolidated, kit, tmp_path):
    deeds_sheet = next(f.sheet for f in kit.forms if f.name == "deeds")
    broken = tmp_path / "缺表.xlsx"
    _rename_sheet(consolidated, broken, deeds_sheet, "别的表")
    with pytest.raises(DataError, match=f"汇总表缺少工作表“{deeds_sheet}”"):
        read_consolidated(broken)
    # a report that never reaches the deeds is drafted; one that does is refused, nothing written
    assert report(["commendation"], broken, tmp_path / "表彰.docx", date=DAY)[0].is_file()
    result = CliRunner().invoke(cli, ["report", "deeds_compilation", "--data", str(broken),
                                      "--out", str(tmp_path / "汇编.docx"), "--date", "2024-12-31"])
    assert result.exit_code == 1 and "缺少工作表" in result.output and "缺表.xlsx" in result.output
    assert not (tmp_path / "汇编.docx").exists()


def test_forms_and_posts_print_and_list_as_the_dicts_did(consolidated, tmp_path):
    """Printed or listed as a whole in a template (``{{ forms }}``, ``forms.keys()``, ``{{ p }}``,
    ``p.keys()``, ``p.copy()``), the lazy objects show what the dicts of the eager read show."""
    eager = read_consolidated(consolidated)
    lazy = read_consolidated(consolidated, forms=(), lazy=True)["forms"]
    assert repr(lazy.keys()) == repr(eager["forms"].keys())
    assert repr(lazy) == repr(eager["forms"]) and lazy.loaded == set(eager["forms"])
    assert repr(lazy.items()) == repr(eager["forms"].items()) and lazy.copy() == eager["forms"]
    units = posts_by_unit(eager["forms"], eager["per_unit"])
    lazy_units = posts_by_unit(eager["forms"], eager["per_unit"], lazy=True)
    post, lazy_post = units[1]["posts"][0], lazy_units[1]["posts"][0]
    assert repr(lazy_post.keys()) == repr(post.keys()) and repr(lazy_post.items()) == repr(post.items())
    assert type(lazy_post.copy()) is dict and lazy_post.copy() == post
    tpl = docx_with(tmp_path / "whole.docx", "{{ forms.keys() }}", "{% for u in posts_by_unit %}{{ u.posts[0] }}{% endfor %}")
    want = docx_with(tmp_path / "whole-eager.docx", "{{ forms.keys() }}", "{% for u in posts_by_unit %}{{ u.posts[0] }}{% endfor %}")
    a = _text(report([tpl], consolidated, tmp_path / "lazy-out.docx", date=DAY)[0])
    b = _text(report([want], eager, tmp_path / "eager-out.docx", date=DAY)[0])
    assert a == b and "dict_keys([" in a and "'deeds': [" in a


def test_cli_says_what_it_reads_and_drafts_for_a_big_workbook(consolidated, tmp_path, monkeypatch):
    import xltools.commands.report as command

    argv = ["report", "work_report", "commendation", "--data", str(consolidated), "--out", str(tmp_path / "d"),
            "--date", "2024-12-31"]
    quiet = CliRunner().invoke(cli, argv)
    assert quiet.exit_code == 0 and "正在" not in quiet.stderr  # a district's workbook: no chatter
    monkeypatch.setattr(command, "PROGRESS_BYTES", 1)
    loud = CliRunner().invoke(cli, argv)
    assert loud.exit_code == 0, loud.output
    lines = [line for line in loud.stderr.splitlines() if line.startswith("正在")]
    assert lines[0].startswith(f"正在读取汇总表 {consolidated.name}（") and lines[0].endswith(" MB）…")
    assert lines[1:] == ["正在起草 1/2：work_report.docx …", "正在起草 2/2：commendation.docx …"]
    assert loud.stdout == quiet.stdout  # the summary on stdout is the same
