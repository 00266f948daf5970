"""How returns are named in the ledger and issue list (``merge.display_names``): from the folder
given on the command line, as given when the file itself was given, the full path on a clash."""

from __future__ import annotations

import os
from pathlib import Path

from xltools.merge import display_names


def _touch(p: Path) -> Path:
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_bytes(b"x")
    return p


def test_named_from_the_folder_given(tmp_path):
    a = _touch(tmp_path / "round1" / "D01_区委办.xlsx")
    b = _touch(tmp_path / "round1" / "sub" / "D02.xlsx")
    names = display_names([tmp_path / "round1"], [a, b])
    assert names == {a: "round1/D01_区委办.xlsx", b: "round1/sub/D02.xlsx"}


def test_files_given_one_by_one_keep_the_name_given(tmp_path):
    files = [_touch(tmp_path / "in" / f"D{i:03d}.xlsx") for i in range(300)]
    names = display_names(files, files)  # a shell glob: every file is also a root
    assert names == {f: str(f) for f in files}


def test_first_folder_that_holds_the_file_wins(tmp_path):
    f = _touch(tmp_path / "a" / "b" / "D01.xlsx")
    other = _touch(tmp_path / "c" / "D02.xlsx")
    names = display_names([tmp_path / "a" / "b", tmp_path / "a", f], [f, other])
    assert names[f] == "b/D01.xlsx"
    assert names[other] == str(other)  # in no folder given


def test_relative_folder_and_symlinked_folder(tmp_path, monkeypatch):
    f = _touch(tmp_path / "round2" / "D03.xlsx")
    link = tmp_path / "link"
    link.symlink_to(tmp_path / "round2")
    monkeypatch.chdir(tmp_path)
    assert display_names([Path("round2")], [Path("round2") / "D03.xlsx"]) == {Path("round2") / "D03.xlsx": "round2/D03.xlsx"}
    # a folder given through a symlink is named after the folder it points to
    assert display_names([link], [link / "D03.xlsx"]) == {link / "D03.xlsx": "round2/D03.xlsx"}
    assert os.path.exists(f)


def test_clash_gives_full_paths(tmp_path):
    a = _touch(tmp_path / "x" / "r" / "D01.xlsx")
    b = _touch(tmp_path / "y" / "r" / "D01.xlsx")
    names = display_names([tmp_path / "x" / "r", tmp_path / "y" / "r"], [a, b])
    assert names == {a: str(a), b: str(b)}
