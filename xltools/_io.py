"""Small I/O helpers shared by every writer: atomic output and safe file names."""

from __future__ import annotations

import codecs
import contextlib
import os
import re
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path

from .errors import FilesInTheWay, OutputError

#: The signature of an OLE2 compound file (Microsoft, [MS-CFB] 2.2: the header's first 8 bytes):
#: an .xls workbook, an old Word .doc, or an encrypted .xlsx/.docx, which Office wraps in OLE2.
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"

_UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f\x7f]')


def safe_filename(text: str, limit: int = 120) -> str:
    """A file name component made from ``text``: path separators, ``:*?"<>|`` and control
    characters become ``_``; ``..`` and leading dots are neutralised, so a unit name can never
    write outside the output folder.  At most ``limit`` characters and 200 UTF-8 bytes (file
    systems count bytes: 255 at most, and a suffix must still fit).  Never empty."""
    s = _UNSAFE.sub("_", str(text)).strip()
    s = s.replace("..", "_")
    s = s.lstrip(". ")
    s = s[:limit]
    while len(s.encode("utf-8")) > 200:
        s = s[:-1]
    s = s.rstrip(". ")
    return s or "_"


def readable_name(name: str) -> str:
    """A file name or path as people read it.  On Linux and macOS a name whose bytes are not
    UTF-8 reaches Python with each such byte as a lone surrogate (PEP 383, ``surrogateescape``),
    which no file format can hold: unzipping a zip made on Chinese Windows without
    ``unzip -O GBK`` leaves names in GBK.  Each part of the path that is not UTF-8 is decoded
    as GB18030 (the superset of GBK that Chinese Windows writes), else with U+FFFD for the bytes
    that do not decode (bytes in another encoding, Shift-JIS say, that happen to be valid
    GB18030 come out as Chinese-looking text: a guess, the best the bytes allow).  Names that
    are already text are returned as they are."""
    try:
        name.encode("utf-8")
        return name
    except UnicodeEncodeError:
        pass
    parts = []
    for part in name.split(os.sep):
        try:
            part.encode("utf-8")
        except UnicodeEncodeError:
            raw = _raw_bytes(part)
            try:
                part = raw.decode("gb18030")
            except UnicodeDecodeError:
                part = raw.decode("utf-8", "replace")
        parts.append(part)
    return os.sep.join(parts)


def readable_text(text: str) -> str:
    """``text`` (a message that may quote such a path anywhere in it) with every run of bytes that
    are not UTF-8 decoded as GB18030, character by character, else shown as U+FFFD; a lone
    surrogate that stands for no byte becomes ``?``.  Text that is already text is returned
    as it is."""
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        pass
    return _raw_bytes(text).decode("utf-8", "xltools-gb18030")


def _raw_bytes(text: str) -> bytes:
    """The bytes ``text`` was decoded from with ``surrogateescape``; a surrogate that stands for
    no byte (U+D800 say) as ``?``."""
    escaped_only = all(not 0xD800 <= ord(ch) <= 0xDFFF or 0xDC80 <= ord(ch) <= 0xDCFF for ch in text)
    return text.encode("utf-8", "surrogateescape" if escaped_only else "replace")


def _gb18030_fallback(exc: UnicodeError) -> tuple[str, int]:
    """A decoding error handler: the bytes UTF-8 refused, read as one GB18030 character (two or
    four bytes), else U+FFFD for one byte."""
    if not isinstance(exc, UnicodeDecodeError):
        raise exc
    for size in (2, 4):
        try:
            return exc.object[exc.start:exc.start + size].decode("gb18030"), exc.start + size
        except UnicodeDecodeError:
            continue
    return "\ufffd", exc.start + 1


codecs.register_error("xltools-gb18030", _gb18030_fallback)


@contextlib.contextmanager
def atomic_path(target: str | Path) -> Iterator[Path]:
    """Yield a temporary path in the target's folder; on success rename it over ``target``
    (``os.replace``, atomic on one file system), on failure delete it.  A reader never sees a
    half-written file under the final name, and a killed process leaves the previous file intact.

    Raises :class:`~xltools.errors.OutputError` when the folder does not exist or the file
    cannot be replaced (e.g. open in Excel on Windows).
    """
    target = Path(target)
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        raise OutputError(f"{target}：输出目录 {folder} 不存在，请先创建")
    fd, tmp_name = tempfile.mkstemp(prefix=".xltools-", suffix=".part", dir=folder)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        # mkstemp creates 0600; give the output the permissions a normally created file has.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        try:
            os.replace(tmp, target)
        except OSError as exc:
            raise OutputError(f"{target}：无法写入（{exc.strerror or exc}），请关闭正在打开该文件的程序后重试") from None
    finally:
        if tmp.exists():
            tmp.unlink()


__all__ = ["atomic_path", "prepare_dir", "readable_name", "readable_text", "refuse_among_returns", "refuse_filled", "refuse_folders",
           "refuse_same_file", "safe_filename"]


def prepare_dir(out: str | Path) -> Path:
    """Create the output folder ``out`` if needed (its parent must exist) and return it.

    Raises :class:`~xltools.errors.OutputError` when ``out`` is an existing file, its parent is
    missing, or the folder cannot be created."""
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise OutputError(f"{out}：已存在同名文件，不是文件夹，请换一个输出目录")
    if not out.exists():
        parent = out.parent if str(out.parent) else Path(".")
        if not parent.is_dir():
            raise OutputError(f"{out}：上级目录 {parent} 不存在，请先创建")
        try:
            out.mkdir()
        except OSError as exc:
            raise OutputError(f"{out}：无法创建输出目录（{exc.strerror or exc}）") from None
    return out


def refuse_filled(targets: Iterable[Path], filled: Callable[[Path], str | None], nothing: str,
                  hint: str = "", what: str = "未填写的空白文件") -> None:
    """Stop a command before it writes anything when one of its ``targets`` already exists and
    holds what somebody filled in: a unit's return copied into the folder the blank forms are
    issued from, a returned ballot (DESIGN.md §6: nothing is lost; a newcomer's review found
    ``generate`` replacing 48 returns with blank forms).  ``filled(path)`` says what an existing
    target holds ("填有 12 行数据"), or None when it may be replaced (an unfilled copy of what the
    command writes, so that generating again into the same folder still works).  ``nothing``
    completes "没有…" in the message (生成任何工作簿); ``hint`` ends the CLI's way on
    (``--overwrite``); ``what`` names what a file may be replaced as, in the message for several.
    Raises :class:`~xltools.errors.FilesInTheWay` naming the first such file (up to three, for
    several) and how many there are."""
    held = [(t, why) for t in targets if os.path.lexists(t) for why in [filled(t)] if why]
    if not held:
        return
    if len(held) == 1:
        (first, why), = held
        refusal = f"{readable_name(str(first))}：文件已存在且{why}，为免覆盖，没有{nothing}"
    else:
        # every such file named (up to three, with what each holds), so one run shows them all
        shown = "；".join(f"{readable_name(t.name)} {why}" for t, why in held[:3]) + ("……" if len(held) > 3 else "")
        refusal = (f"{readable_name(str(held[0][0].parent))}：已有 {len(held)} 个同名文件不是{what}"
                   f"（{shown}），为免覆盖，没有{nothing}")
    this = "这个" if len(held) == 1 else "这些"
    raise FilesInTheWay(held, refusal, f"请换一个空文件夹，或确认不再需要{this}文件后加 --overwrite{hint}")


def refuse_folders(targets: Iterable[Path]) -> None:
    """Stop before anything is written when one of the files a command would write is a folder
    (``--overwrite`` cannot replace a folder with a file: a review saw ``generate`` write two
    workbooks, then fail on the third).  Raises :class:`~xltools.errors.OutputError` naming it."""
    for target in targets:
        if os.path.isdir(target):
            raise OutputError(f"{readable_name(str(target))}：这里是一个同名文件夹，不能写成文件，没有生成任何文件；"
                              "请把它移走或改名后重试")


def refuse_same_file(target: str | Path, source: str | Path, what: str, source_what: str) -> None:
    """Refuse an output ``target`` that is the file ``source`` (an input the command reads, or
    another output of it): writing it would replace that file (DESIGN.md §5: sources are never
    modified).  ``what`` / ``source_what`` name the two in the message.  Raises
    :class:`~xltools.errors.OutputError`."""
    if os.path.realpath(target) == os.path.realpath(source):
        gap = " " if what[-1:].isascii() else ""  # 汇总指标 JSON 与…, 汇总表与…
        raise OutputError(f"{target}：{what}{gap}与{source_what}是同一个文件，会覆盖{source_what}，请换一个文件名")


def refuse_among_returns(target: str | Path, roots: Sequence[str | Path], what: str) -> None:
    """Refuse an output ``target`` that is one of the returns or lies inside a folder of
    returns: it would overwrite a unit's file, or be read as a return by the next merge.

    ``roots`` are the files and folders given as returns; ``what`` names the output in the
    message (汇总表, 输出目录 …).  Raises :class:`~xltools.errors.OutputError`."""
    # os.path.realpath never raises for a symbolic link loop (Path.resolve raises RuntimeError)
    resolved = Path(os.path.realpath(target))
    for root in roots:
        r = Path(root)
        rr = Path(os.path.realpath(r))
        if r.is_dir():
            if resolved == rr or rr in resolved.parents:
                raise OutputError(
                    f"{target}：{what}在报送文件所在的文件夹 {root} 之内，下次汇总会把它当作报送文件读入，请换一个位置"
                )
        elif resolved == rr:
            raise OutputError(f"{target}：{what}与报送文件 {root} 是同一个文件，会覆盖报送文件，请换一个文件名")
