"""The C heap of a merge's worker processes: freed memory kept for the next return.

Reading a return allocates a few buffers of hundreds of kilobytes to megabytes each (the
package's XML, the stored copy handed to calamine, calamine's own grid) and frees them when the
file is done.  glibc serves such blocks with ``mmap`` and gives them back with ``munmap``, or
trims the top of the heap once more than the trim threshold is free; either way the next return
faults the same pages in again, zero-filled by the kernel.  Measured on S2 (issue 7): about
1,100 page faults and 3 ms of system time a return, a twentieth of its cost; with the two
thresholds raised, 40–60 faults and about 1 ms.

Only a pool worker, which lives for one merge, does this (:func:`xltools.merge._init_worker`);
the calling process's allocator is left as it was.  Its memory stays bounded by the largest
return it read (issue 7's bound): what it keeps is what that return needed.
"""

from __future__ import annotations

import ctypes
import platform

#: glibc's ``mallopt`` parameters (``<malloc.h>``; the mallopt(3) manual page).
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
#: Blocks this large or larger still come from ``mmap``: glibc's largest mmap threshold on a
#: 64-bit system (mallopt(3): ``DEFAULT_MMAP_THRESHOLD_MAX``); a huge return's sheet (S3's is
#: about 60 MB of XML) is still given back when freed.
MMAP_THRESHOLD = 32 * 1024 * 1024
#: Free memory at the top of the heap kept rather than trimmed.
TRIM_THRESHOLD = 256 * 1024 * 1024


def keep_freed_memory() -> bool:
    """Raise glibc's mmap and trim thresholds in this process (``mallopt``), so that freed
    buffers are reused by the next allocation rather than returned to the kernel and faulted in
    again.  Setting either threshold also turns off glibc's own adjustment of both (mallopt(3)),
    which is why both are set.  Returns whether both were set: False, doing nothing, on a C
    library other than glibc (macOS, musl, Windows) or when ``mallopt`` refuses a value."""
    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    mallopt.restype = ctypes.c_int
    return bool(mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD))
