"""Files on the disk before they are given their names.

A build (a compiled graph, the kernels' extension module) is written under a temporary name and
renamed into place, so that no reader meets half of it. After a power cut or a crash of the
system that holds only if the data reached the disk before the rename did: file systems may
write a rename first (ext4's delayed allocation), and a power cut then leaves the new name on
a file cut short or empty — a graph "damaged" at its next load, a kernels' build the dynamic
loader refuses or maps and dies on (SIGBUS). :func:`fsync_written` before the rename and
:func:`fsync_path` of the folder after it close that window.
"""

from __future__ import annotations

import os
from pathlib import Path


def fsync_path(path: Path) -> None:
    """``path`` (a file, or a folder: its entries, as renames left them) on the disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_written(folder: Path) -> None:
    """Every file directly in ``folder``, then the folder itself, on the disk."""
    for child in sorted(folder.iterdir()):
        if child.is_file():
            fsync_path(child)
    fsync_path(folder)
