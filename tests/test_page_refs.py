"""Page references of the compilation's 目录 (xltools.page_refs): pairing, renaming what a unit's
document brings, unique bookmark ids.  Bodies are built as WordprocessingML (ECMA-376 §17.13.6
bookmarks, §17.16 fields), including the shapes Word and LibreOffice write that two reviews used."""

from __future__ import annotations

import pytest
from lxml import etree

from xltools.page_refs import PageRefMismatch, link_page_refs, set_apart_unit_docs

NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
W = "{" + NS + "}"


def body(xml: str):
    return etree.fromstring(f'<w:body xmlns:w="{NS}">{xml}</w:body>')


def start(i, name):
    return f'<w:bookmarkStart w:id="{i}" w:name="{name}"/>'


def end(i):
    return f'<w:bookmarkEnd w:id="{i}"/>'


def field(*codes):
    """A complex field whose code is split over ``codes`` runs, as Word splits it."""
    runs = "".join(f'<w:r><w:instrText xml:space="preserve">{c}</w:instrText></w:r>' for c in codes)
    return (f'<w:p><w:r><w:fldChar w:fldCharType="begin"/></w:r>{runs}'
            f'<w:r><w:fldChar w:fldCharType="separate"/></w:r><w:r><w:t>9</w:t></w:r>'
            f'<w:r><w:fldChar w:fldCharType="end"/></w:r></w:p>')


def heading(i, kind, text):
    return f"<w:p>{start(i, '_Tocxl_' + kind)}<w:r><w:t>{text}</w:t></w:r>{end(i)}</w:p>"


def codes(root):
    out = []
    for p in root.iter(W + "p"):
        code = "".join(t.text or "" for t in p.iter(W + "instrText"))
        if code:
            out.append(code.split())
    out += [s.get(W + "instr").split() for s in root.iter(W + "fldSimple")]
    return out


def pairs(root):
    """name → (id of its start, ids of the ends after it with that id)."""
    starts = {s.get(W + "name"): s.get(W + "id") for s in root.iter(W + "bookmarkStart")}
    ends = [e.get(W + "id") for e in root.iter(W + "bookmarkEnd")]
    return starts, ends


def test_entries_pair_with_headings_of_their_kind_in_order():
    # unit headings (u) and post headings (p) interleave in the chapters and in the 目录; a
    # template's ids were all renumbered to 1 and 2 by docxtpl before rendering
    root = body(field(" PAGEREF _Tocxl_u \\h ") + field(" PAGEREF ", "_Tocxl_p", " \\h ")  # split as Word does
                + field(" PAGEREF _Tocxl_p \\h ") + field(" PAGEREF _Tocxl_u \\h ")
                + heading(1, "u", "一、甲") + heading(2, "p", "（一）甲一") + heading(2, "p", "（二）甲二")
                + heading(1, "u", "二、乙"))
    assert link_page_refs(root) == 4
    assert [c[1] for c in codes(root)] == ["_Tocxl1", "_Tocxl2", "_Tocxl3", "_Tocxl4"]
    starts, ends = pairs(root)
    assert list(starts) == ["_Tocxl1", "_Tocxl2", "_Tocxl3", "_Tocxl4"]
    assert sorted(starts.values()) == sorted(ends) and len(set(ends)) == 4
    # the split code now lives in its first run, the others emptied
    split = [p for p in root.iter(W + "p") if len(p.findall(f".//{W}instrText")) == 3][0]
    assert [t.text for t in split.iter(W + "instrText")] == [" PAGEREF _Tocxl2 \\h ", "", ""]


def test_a_kind_with_more_entries_than_headings_changes_nothing():
    root = body(field(" PAGEREF _Tocxl_u \\h ") + field(" PAGEREF _Tocxl_u \\h ") + heading(1, "u", "一、甲"))
    before = etree.tostring(root)
    with pytest.raises(PageRefMismatch) as caught:
        link_page_refs(root)
    assert caught.value.counts == {"u": (2, 1)} and etree.tostring(root) == before


def test_ids_unique_an_orphan_end_removed_and_header_ids_kept_out():
    # A review: {%p if %} removed a bookmark's start and kept its end, whose old id then closed
    # another bookmark early.  Header bookmarks hold ids 1 and 3 here.
    root = body(f"<w:p>{start(0, 'First')}<w:r><w:t>一</w:t></w:r>{end(0)}</w:p>"
                f"<w:p>{start(1, 'Whole')}<w:r><w:t>开始</w:t></w:r></w:p>"
                f"<w:p><w:r><w:t>中间</w:t></w:r>{end(2)}</w:p>"
                f"<w:p><w:r><w:t>结束</w:t></w:r>{end(1)}</w:p>"
                f"<w:p>{start(5, 'Twice')}{end(5)}{start(5, 'Again')}{end(5)}</w:p>")
    link_page_refs(root, {1, 3})
    starts, ends = pairs(root)
    assert starts == {"First": "2", "Whole": "4", "Twice": "5", "Again": "6"}
    assert ends == ["2", "4", "5", "6"]  # the orphan end is gone; Whole still ends after 结束
    last_of_whole = [p for p in root.iter(W + "p") if p.find(f"{W}bookmarkEnd") is not None][1]
    assert "".join(t.text for t in last_of_whole.iter(W + "t")) == "结束"


def test_a_units_copied_marks_are_renamed_with_every_reference():
    # A unit's text copied from last year's compilation: _Tocxl bookmarks (any case) and the
    # fields and links naming them — in one run, split, fldSimple, HYPERLINK \l, w:hyperlink —
    # renamed alike; other bookmarks and fields untouched.
    unit = body(f"<w:p>{start(0, '_Tocxl5')}<w:r><w:t>去年的标题</w:t></w:r>{end(0)}</w:p>"
                f"<w:p>{start(1, '_TOCXL_u')}{end(1)}{start(2, '事迹')}{end(2)}</w:p>"
                + field(" PAGEREF _Tocxl5 \\h ") + field(" PAGEREF  ", "_Toc", "xl5", "  \\h")
                + field(" REF _tocxl5 \\h ") + field(' HYPERLINK \\l "_Tocxl5" ') + field(" PAGEREF 事迹 \\h ")
                + field(" PAGEREF _Tocxl_U \\h ")
                + '<w:p><w:fldSimple w:instr=" PAGEREF _Tocxl5 \\h "><w:r><w:t>3</w:t></w:r></w:fldSimple></w:p>'
                + '<w:p><w:hyperlink w:anchor="_Tocxl5"><w:r><w:t>见上</w:t></w:r></w:hyperlink></w:p>')
    other = body(f"<w:p>{start(0, '_Tocxl5')}{end(0)}</w:p>")
    set_apart_unit_docs(body(heading(1, "u", "{{ u.name }}")), [unit, other])
    starts, _ = pairs(unit)
    assert starts == {"_xlOld1": "0", "_xlOld2": "1", "事迹": "2"}
    assert [c[1].strip('"') for c in codes(unit)] == ["_xlOld1", "_xlOld1", "_xlOld1", "\\l", "事迹", "_xlOld2", "_xlOld1"]
    assert codes(unit)[3][2] == '"_xlOld1"'
    assert unit.find(f".//{W}hyperlink").get(W + "anchor") == "_xlOld1"
    # the next unit's copies get names of their own
    assert pairs(other)[0] == {"_xlOld3": "0"}
    # and a compilation holding both still pairs only its own markers
    merged = body(field(" PAGEREF _Tocxl_u \\h ") + heading(1, "u", "一、甲") + etree.tostring(unit).decode()
                  .split(">", 1)[1].rsplit("</w:body>", 1)[0])
    assert link_page_refs(merged) == 1


def test_names_shared_across_units_or_dangling_are_set_apart_and_fresh_names_are_unused():
    # A review: two units' documents each with Word's _Toc123456 and a "见第 N 页" field to it
    # (the second pointed into the first); a unit's document that already has _xlOld1 (last
    # year's compilation made with --unit-docs); fields naming _Tocxl bookmarks the document
    # does not have (one took this year's third heading's number, one made the report refuse).
    template = body(heading(1, "u", "{{ u.name }}") + f"<w:p>{start(2, '_xlOld2')}{end(2)}</w:p>")
    first = body(f"<w:p>{start(0, '_Toc123456')}<w:r><w:t>甲的标题</w:t></w:r>{end(0)}</w:p>"
                 + field(" PAGEREF _Toc123456 \\h ")
                 + f"<w:p>{start(1, '_xlOld1')}{end(1)}</w:p>" + field(" REF _xlOld1 "))
    second = body(f"<w:p>{start(0, '_toc123456')}<w:r><w:t>乙的标题</w:t></w:r>{end(0)}</w:p>"
                  + field(" PAGEREF _Toc123456 \\h ") + field(" PAGEREF _Tocxl3 \\h ")
                  + field(" PAGEREF _Tocxl_u \\h ")
                  + '<w:p><w:hyperlink w:anchor="_TOCXL_p"><w:r><w:t>见</w:t></w:r></w:hyperlink></w:p>')
    set_apart_unit_docs(template, [first, second])
    # the first unit keeps its names (none is taken yet); the second's _Toc123456 (any case)
    # is renamed with its field, to a name neither the template nor the first unit has
    assert pairs(first)[0] == {"_Toc123456": "0", "_xlOld1": "1"}
    assert [c[1] for c in codes(first)] == ["_Toc123456", "_xlOld1"]
    renamed = pairs(second)[0]
    assert list(renamed) == ["_xlOld3"]
    # dangling _Tocxl references get fresh names too: they point nowhere, as they did, and can
    # no longer take a heading's number or unbalance the 目录's count
    assert [c[1] for c in codes(second)] == ["_xlOld3", "_xlOld4", "_xlOld5"]
    assert second.find(f".//{W}hyperlink").get(W + "anchor") == "_xlOld6"
    merged = body(field(" PAGEREF _Tocxl_u \\h ") + heading(1, "u", "一、甲") + inner(first) + inner(second))
    assert link_page_refs(merged) == 1
    names = [s.get(W + "name") for s in merged.iter(W + "bookmarkStart")]
    assert len({n.casefold() for n in names}) == len(names)


def inner(root):
    return etree.tostring(root).decode().split(">", 1)[1].rsplit("</w:body>", 1)[0]


def test_a_units_section_breaks_become_page_breaks():
    # A review: a unit's document with a Letter-size landscape section turned the compilation's
    # first 32 pages into Letter pages with its margins and restarted the page numbers.
    sect = ('<w:sectPr><w:type w:val="{}"/><w:pgSz w:w="15840" w:h="12240" w:orient="landscape"/>'
            '<w:pgNumType w:start="1"/></w:sectPr>')
    unit = body(f'<w:p><w:pPr>{sect.format("nextPage")}</w:pPr><w:r><w:t>第一节</w:t></w:r></w:p>'
                f'<w:p><w:pPr><w:jc w:val="center"/>{sect.format("continuous")}</w:pPr><w:r><w:t>第二节</w:t></w:r></w:p>'
                '<w:p><w:pPr><w:sectPr><w:pgSz w:w="12240" w:h="15840"/></w:sectPr></w:pPr></w:p>'
                '<w:p><w:r><w:t>末节</w:t></w:r></w:p>')
    set_apart_unit_docs(body(""), [unit])
    assert unit.find(f".//{W}sectPr") is None
    paragraphs = unit.findall(f"{W}p")
    breaks = [[b.get(W + "type") for b in p.iter(W + "br")] for p in paragraphs]
    # next page (written, and by default) → a page break ending the paragraph; continuous → none
    assert breaks == [["page"], [], ["page"], []]
    assert paragraphs[0][-1].tag == W + "r" and paragraphs[0].findtext(f".//{W}t") == "第一节"
    assert paragraphs[1].find(f"{W}pPr/{W}jc") is not None  # the rest of the paragraph's properties stay


def test_headings_of_a_kind_without_entries_stay_plain_and_entries_may_quote_or_switch_first():
    # A 目录 listing units only, with the post headings' _Tocxl_p left on them: the post marks
    # are removed instead of refusing; Word's own spellings of the field pair as well.
    root = body(field(' PAGEREF "_Tocxl_u" \\h ') + field(" PAGEREF \\h _Tocxl_u ")
                + heading(1, "u", "一、甲") + heading(2, "p", "（一）甲一") + heading(1, "u", "二、乙"))
    assert link_page_refs(root) == 2
    assert [c[-1] if c[1] == "\\h" else c[1] for c in codes(root)] == ["_Tocxl1", "_Tocxl2"]
    starts, ends = pairs(root)
    assert list(starts) == ["_Tocxl1", "_Tocxl2"] and sorted(ends) == sorted(starts.values())
    # entries of a kind with no headings are still refused, counted per kind
    root = body(field(" PAGEREF _Tocxl_p \\h ") + heading(1, "u", "一、甲"))
    with pytest.raises(PageRefMismatch) as caught:
        link_page_refs(root)
    assert caught.value.counts == {"p": (1, 0)}


def entry(text, kind, result="9"):
    """A 目录 line: ``text``, a tab (leader) and a PAGEREF field whose stored result is ``result``."""
    return (f'<w:p><w:r><w:t>{text}</w:t></w:r><w:r><w:tab/></w:r><w:r><w:fldChar w:fldCharType="begin"/></w:r>'
            f'<w:r><w:instrText xml:space="preserve"> PAGEREF _Tocxl_{kind} \\h </w:instrText></w:r>'
            f'<w:r><w:fldChar w:fldCharType="separate"/></w:r><w:r><w:t>{result}</w:t></w:r>'
            f'<w:r><w:fldChar w:fldCharType="end"/></w:r></w:p>')


def targets(root):
    """The heading text each entry's field now points to, in 目录 order."""
    head = {}
    for p in root.iter(W + "p"):
        for s in p.iter(W + "bookmarkStart"):
            head[s.get(W + "name")] = "".join(t.text or "" for t in p.iter(W + "t"))
    return [head[c[1]] for c in codes(root)]


def test_a_toc_in_another_order_than_the_body_pairs_by_text():
    # a custom template whose 目录 sorts the units (|sort, |reverse): before, each entry got the
    # page of the heading at its position, silently wrong
    root = body(entry("二、乙", "u") + entry("一、甲", "u", "12") + entry("（二）甲二", "p") + entry("（一）甲一", "p")
                + heading(1, "u", "一、甲") + heading(2, "p", "（一）甲一") + heading(2, "p", "（二）甲二")
                + heading(1, "u", "二、乙"))
    assert link_page_refs(root) == 4
    assert targets(root) == ["二、乙", "一、甲", "（二）甲二", "（一）甲一"]
    # names still follow the body's order
    assert [s.get(W + "name") for s in root.iter(W + "bookmarkStart")] == ["_Tocxl1", "_Tocxl2", "_Tocxl3", "_Tocxl4"]


def test_an_entry_naming_its_heading_without_the_number_and_repeated_names_pair_in_order():
    # entries with only the name (the heading adds 一、); two posts of one name keep their order;
    # the stored page result (12) and full-width spaces are not part of the text compared
    root = body(entry("乙　单位", "u") + entry("甲单位", "u", "12")
                + entry("党员先锋岗", "p") + entry("党员先锋岗", "p") + entry("窗口岗", "p")
                + heading(1, "u", "一、甲单位") + heading(2, "p", "（一）窗口岗") + heading(2, "p", "（二）党员先锋岗")
                + heading(1, "u", "二、乙单位") + heading(2, "p", "（一）党员先锋岗"))
    link_page_refs(root)
    names = {s.get(W + "name"): i for i, s in enumerate(root.iter(W + "bookmarkStart"))}
    assert targets(root) == ["二、乙单位", "一、甲单位", "（二）党员先锋岗", "（一）党员先锋岗", "（一）窗口岗"]
    # the two 党员先锋岗 entries took the two headings in body order
    assert [names[c[1]] for c in codes(root)][2:4] == [2, 4]


def test_entries_that_do_not_name_their_headings_pair_by_position():
    # 第1条/第2条 match no heading text (nor does one entry of several): position decides, as documented
    root = body(entry("第1条", "u") + entry("第2条", "u") + heading(1, "u", "二、乙") + heading(1, "u", "一、甲"))
    link_page_refs(root)
    assert targets(root) == ["二、乙", "一、甲"]
    root = body(entry("一、甲", "u") + entry("别的", "u") + heading(1, "u", "二、乙") + heading(1, "u", "一、甲"))
    link_page_refs(root)
    assert targets(root) == ["二、乙", "一、甲"]


def test_a_name_inside_another_name_does_not_take_its_heading():
    # 窗口岗 is inside 党员窗口岗: the heading that is 窗口岗 but for its numbering wins
    root = body(entry("窗口岗", "p") + entry("党员窗口岗", "p")
                + heading(1, "p", "（一）党员窗口岗") + heading(2, "p", "（二）窗口岗"))
    link_page_refs(root)
    assert targets(root) == ["（二）窗口岗", "（一）党员窗口岗"]


def test_one_post_name_in_two_units_pairs_within_its_unit():
    # a review: the 目录 in reverse unit order, each unit with an 办公室党员先锋岗; each entry took
    # the first free heading of that text, so the two units' pages were swapped
    root = body(entry("二、乙", "u") + entry("（一）办公室党员先锋岗", "p") + entry("（二）窗口岗", "p")
                + entry("一、甲", "u") + entry("（一）办公室党员先锋岗", "p")
                + heading(1, "u", "一、甲") + heading(2, "p", "（一）办公室党员先锋岗")
                + heading(1, "u", "二、乙") + heading(2, "p", "（一）办公室党员先锋岗") + heading(2, "p", "（二）窗口岗"))
    link_page_refs(root)
    order = {s.get(W + "name"): i for i, s in enumerate(root.iter(W + "bookmarkStart"))}
    # entries in 目录 order → body position of their heading: 乙 (2), its posts (3, 4), 甲 (0), its post (1)
    assert [order[c[1]] for c in codes(root)] == [2, 3, 4, 0, 1]


def test_a_name_several_headings_share_under_one_parent_pairs_in_body_order():
    root = body(entry("党员先锋岗", "p") + entry("窗口岗", "p") + entry("党员先锋岗", "p")
                + heading(1, "p", "（一）党员先锋岗") + heading(2, "p", "（二）党员先锋岗") + heading(3, "p", "（三）窗口岗"))
    link_page_refs(root)
    order = {s.get(W + "name"): i for i, s in enumerate(root.iter(W + "bookmarkStart"))}
    assert [order[c[1]] for c in codes(root)] == [0, 2, 1]  # same parent (none): in order; 窗口岗 by text
