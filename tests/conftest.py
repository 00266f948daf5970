"""Shared fixtures: the bundled kit, the shared corpus, and a LibreOffice converter.

LibreOffice (``soffice``) is needed by the tests that re-save generated workbooks as .xls/.ods
the way a department would and that render reports to PDF.  When ``XLTOOLS_REQUIRE_SOFFICE=1``
(set by ``.ci/run``) a missing soffice fails those tests instead of skipping them.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
KIT = ROOT / "templates" / "xlsx" / "pioneer_posts.yaml"
ROSTER = ROOT / "samples" / "roster.xlsx"


@pytest.fixture(scope="session")
def kit_path() -> Path:
    """templates/xlsx/pioneer_posts.yaml in the checkout."""
    return KIT


@pytest.fixture(scope="session")
def kit(kit_path):
    from xltools.forms import load_form_definition

    return load_form_definition(kit_path)


@pytest.fixture(scope="session")
def roster_path() -> Path:
    """samples/roster.xlsx (48 units)."""
    return ROSTER


@pytest.fixture(scope="session")
def roster(roster_path):
    from xltools.roster import load_roster

    return load_roster(roster_path)


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """../shared (read-only): DESIGN.md, seed/, corpus/, reference/."""
    if not SHARED.is_dir():
        pytest.skip("../shared is not beside the checkout")
    return SHARED


@pytest.fixture
def sheets_read(monkeypatch) -> list:
    """Every ``xltools.readers.read_return`` call from here on, as its ``sheets`` argument
    (sorted; None for every sheet): one entry per pass over a workbook."""
    import xltools.readers as readers

    calls: list = []
    real = readers.read_return

    def spy(path, limits=None, *, sheets=None):
        calls.append(None if sheets is None else sorted(sheets))
        return real(path, limits if limits is not None else readers.Limits(), sheets=sheets)

    monkeypatch.setattr(readers, "read_return", spy)
    return calls


def _soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


@pytest.fixture(scope="session")
def soffice(tmp_path_factory):
    """A function ``convert(src: Path, fmt: str, outdir: Path) -> Path`` running
    ``soffice --headless --convert-to fmt`` with a private profile.  ``fmt`` is an extension
    (``xls``, ``ods``, ``xlsx``, ``pdf``) or ``ext:FilterName``."""
    exe = _soffice()
    if exe is None:
        if os.environ.get("XLTOOLS_REQUIRE_SOFFICE"):
            pytest.fail("LibreOffice (soffice) is required here but not installed")
        pytest.skip("LibreOffice (soffice) is not installed")
    profile = tmp_path_factory.mktemp("lo-profile")

    def convert(src: Path, fmt: str, outdir: Path) -> Path:
        outdir.mkdir(parents=True, exist_ok=True)
        cmd = [
            exe,
            f"-env:UserInstallation=file://{profile}",
            "--headless",
            "--norestore",
            "--convert-to",
            fmt,
            "--outdir",
            str(outdir),
            str(src),
        ]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=180)
        ext = fmt.split(":")[0]
        out = outdir / (Path(src).stem + "." + ext)
        if proc.returncode != 0 or not out.exists():
            raise AssertionError(f"soffice failed on {src}: {proc.stdout} {proc.stderr}")
        return out

    return convert
