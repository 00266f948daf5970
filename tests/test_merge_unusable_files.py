"""An unusable file (unreadable, or a return whose unit cannot be told) is always in the issue
list and in the counts, whether or not its unit also sent a usable return: a corrupt resend of a
unit whose older return was used must not go unmentioned (found by a hostile review in issue 7's
fifth round; before, only the ledger line of the file showed its error)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from xltools.combine import UNREADABLE
from xltools.merge import merge

ROOT = Path(__file__).resolve().parent.parent
ROUND1 = ROOT / "samples" / "returns" / "round1"


@pytest.fixture(scope="module")
def rounds(tmp_path_factory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("unusable")
    with_good = base / "with_good"
    shutil.copytree(ROUND1, with_good)
    good = sorted(with_good.glob("D02_*.xlsx"))[0]
    (with_good / good.name.replace(".xlsx", "（重发）.xlsx")).write_text("不是表格", encoding="utf-8")
    (with_good / good.name.replace(".xlsx", "（空）.xlsx")).write_bytes(b"")
    only_bad = base / "only_bad"
    shutil.copytree(ROUND1, only_bad)
    for f in only_bad.glob("D02_*"):
        f.unlink()
    (only_bad / good.name).write_text("不是表格", encoding="utf-8")
    return {"with_good": with_good, "only_bad": only_bad}


@pytest.mark.parametrize("jobs", [1, 2])
@pytest.mark.parametrize("case", ["with_good", "only_bad"])
def test_every_unusable_file_is_in_the_issue_list_and_counted(kit, roster, rounds, case, jobs):
    with merge(kit, roster, [rounds[case]], jobs=jobs) as cons:
        issues = list(cons.issues)
        bad = [e for e in cons.ledger if e.status == UNREADABLE]
        assert len(bad) == (2 if case == "with_good" else 1)
        for entry in bad:
            (path,) = entry.files
            listed = [i for i in issues if i.file == path]
            assert len(listed) == 1 and listed[0].is_error, path
            # counted once: on the file's own line, or on D02's when D02 sent nothing usable
            assert entry.errors == (1 if case == "with_good" else 0), path
            assert ("不是" in listed[0].message or "空" in listed[0].message)
            assert (listed[0].unit_code, listed[0].unit_name) == ("D02", "区人大办")  # named like D02
        assert cons.counts["errors"] == sum(1 for i in issues if i.is_error)
        assert cons.counts["warnings"] == sum(1 for i in issues if not i.is_error)
        d02 = next(e for e in cons.ledger if e.code == "D02")
        if case == "with_good":
            assert d02.accepted > 0 and all("（" not in Path(f).name for f in d02.files)  # the good return used
        else:
            assert d02.accepted == 0 and "无法使用" in d02.reason and d02.errors == 1
            assert bad[0].reason.endswith("；问题已计入 D02 区人大办 一行")
        assert sum(e.errors for e in cons.ledger) == cons.counts["errors"]
