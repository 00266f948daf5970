"""Issue 7: a merge's pool workers keep freed buffers for the next return (``xltools._heap``)
instead of giving them back to the kernel and faulting them in again."""

from __future__ import annotations

import platform
import signal
import subprocess
import sys

import pytest

import xltools.merge  # noqa: F401 - the module, not the function xltools.merge re-exports

# Allocates and frees buffers of 256 KB, 512 KB, … 15 MB in turn (each return's XML and stored
# copy a little larger than the last one's), touching every page, and prints the minor page
# faults that took.  glibc's own adjustment (mallopt(3)) raises its mmap threshold to the size
# of a block just freed, so only a larger block is mapped again: this is its worst case.
_CHURN = """
import resource, sys
if sys.argv[1] == "keep":
    from xltools._heap import keep_freed_memory
    assert keep_freed_memory()
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for i in range(1, 61):
    buf = bytearray(i * 256 * 1024)
    buf[::4096] = b"x" * len(buf[::4096])
    del buf
print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""


def _faults(mode: str) -> int:
    out = subprocess.run([sys.executable, "-c", _CHURN, mode], capture_output=True, text=True, check=True)
    return int(out.stdout)


@pytest.mark.skipif(platform.system() != "Linux" or platform.libc_ver()[0] != "glibc", reason="glibc's mallopt")
def test_freed_buffers_are_reused_not_faulted_in_again():
    # 64 + 128 + … + 3,840 pages (117,120) faulted in by default; kept, only the largest
    # block's 3,840 and the interpreter's own
    assert _faults("default") > 100_000
    assert _faults("keep") < 10_000


def test_the_worker_initializer_keeps_freed_memory(monkeypatch, kit, roster):
    calls = []
    monkeypatch.setattr(sys.modules["xltools.merge"], "keep_freed_memory", lambda: calls.append(1) or True)
    previous = signal.getsignal(signal.SIGINT)
    try:
        sys.modules["xltools.merge"]._init_worker(kit, roster, None, None)
    finally:
        signal.signal(signal.SIGINT, previous)
        sys.modules["xltools.merge"]._WORKER = None
    assert calls == [1]


def test_other_c_libraries_are_left_alone(monkeypatch):
    from xltools import _heap

    monkeypatch.setattr(_heap.platform, "libc_ver", lambda: ("musl", "1.2"))
    assert _heap.keep_freed_memory() is False
