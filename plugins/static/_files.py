"""Finding, opening and remembering files: every blocking file-system call of the plugin.

``lookup`` walks a validated list of names down from a root with one
``lstat`` per name, so with ``follow_symlinks=False`` a symlink anywhere in
the path (not only one leading out of the root) is refused; with ``True``
one ``stat`` of the joined path follows links. ``open_regular`` opens
what ``lookup`` found and checks, with ``fstat`` on the descriptor, that it
is the same inode: a name swapped for a symlink between the two calls is
caught, so the check has no time-of-check/time-of-use gap.

``stat``/``lstat``/``open`` run inline on the event loop (see
docs/static.md for the measurement: a thread hop costs ~20 times the
call on a warm cache); directory listings run in a thread, as a large
directory can take milliseconds.

``SmallFiles`` keeps the bytes of small files keyed by path and
``(device, inode, size, mtime_ns, ctime_ns)``. Every request still does
its ``lstat`` walk, and an entry is used only if the key is unchanged.
Writing a file or changing its times changes its ctime, which a user cannot
set; and a file is stored only once its ctime and mtime are at least
``SETTLE`` seconds old ("racy git"): a write in the same clock tick as
the cached state would otherwise leave the key unchanged. So a changed
file is never served from the cache.
"""

from __future__ import annotations

import os
import stat
import time
from collections import OrderedDict
from typing import BinaryIO, NamedTuple

__all__ = ["SETTLE", "SmallFiles", "Target", "file_key", "lookup", "open_regular"]

#: Seconds a file's ctime/mtime must be in the past before its bytes are cached.
SETTLE = 1.0

_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NOCTTY", 0)
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)

Key = tuple[int, int, int, int, int]


class Target(NamedTuple):
    """A file-system object found under a root: its path and ``stat`` result."""

    path: str
    st: os.stat_result

    @property
    def is_dir(self) -> bool:
        """True for a directory."""
        return stat.S_ISDIR(self.st.st_mode)

    @property
    def is_file(self) -> bool:
        """True for a regular file (never a FIFO, socket or device)."""
        return stat.S_ISREG(self.st.st_mode)


def file_key(st: os.stat_result) -> Key:
    """What identifies one version of one file."""
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


def lookup(root: str, names: list[str], *, follow_symlinks: bool) -> Target | None:
    """The object ``names`` leads to under ``root``; ``None`` if absent or refused."""
    if follow_symlinks:
        path = os.path.join(root, *names)
        try:
            return Target(path, os.stat(path))
        except (OSError, ValueError):
            return None
    path = root
    try:
        # The root was checked to be a directory when it was registered; it is
        # stat'ed again only when it is what the request asks for.
        st: os.stat_result | None = os.stat(root) if not names else None
        for name in names:
            path = f"{path}/{name}"
            st = os.lstat(path)
            if stat.S_ISLNK(st.st_mode):
                return None
    except (OSError, ValueError):
        return None
    return Target(path, st) if st is not None else None


def lstat_variant(path: str, *, follow_symlinks: bool) -> os.stat_result | None:
    """The stat of the regular file at ``path``; ``None`` if absent, not one, or a refused link."""
    try:
        st = os.stat(path) if follow_symlinks else os.lstat(path)
    except (OSError, ValueError):
        return None
    return st if stat.S_ISREG(st.st_mode) else None


def open_regular(target: Target, *, follow_symlinks: bool) -> BinaryIO | None:
    """Open ``target`` for reading if it is still the file ``lookup`` found; else ``None``."""
    flags = _OPEN_FLAGS | (0 if follow_symlinks else _NOFOLLOW)
    try:
        fd = os.open(target.path, flags)
    except (OSError, ValueError):
        return None
    try:
        st = os.fstat(fd)
    except OSError:
        os.close(fd)
        return None
    if (st.st_dev, st.st_ino) != (target.st.st_dev, target.st.st_ino) or not stat.S_ISREG(
        st.st_mode
    ):
        os.close(fd)
        return None
    return open(fd, "rb", buffering=0)  # the response closes it


class SmallFiles:
    """Bytes of small, settled files, by path; see the module docstring for why it is safe."""

    def __init__(self, *, max_size: int = 64 * 1024, max_total: int = 16 * 1024 * 1024) -> None:
        self.max_size = max_size
        self.max_total = max_total
        self._entries: OrderedDict[str, tuple[Key, bytes]] = OrderedDict()
        self._total = 0

    def get(self, path: str, st: os.stat_result) -> bytes | None:
        """The cached bytes of ``path`` if they are those of the version ``st`` describes."""
        return self.get_by_key(path, file_key(st))

    def get_by_key(self, path: str, key: Key) -> bytes | None:
        """The cached bytes of ``path`` if they are those of the version ``key`` names."""
        entry = self._entries.get(path)
        if entry is None or entry[0] != key:
            return None
        return entry[1]

    def settled(self, st: os.stat_result) -> bool:
        """True if ``st`` describes a small file whose last change is ``SETTLE`` seconds old."""
        if st.st_size > self.max_size:
            return False
        newest = max(st.st_mtime_ns, st.st_ctime_ns) / 1e9
        return time.time() - newest >= SETTLE

    def read_and_keep(self, path: str, file: BinaryIO, st: os.stat_result) -> bytes | None:
        """Read all of small ``file`` (``st`` from before) and cache it if it did not change."""
        data = os.pread(file.fileno(), st.st_size + 1, 0)
        after = os.fstat(file.fileno())
        if len(data) != st.st_size or file_key(after) != file_key(st):
            return None
        old = self._entries.pop(path, None)
        if old is not None:
            self._total -= len(old[1])
        while self._entries and self._total + len(data) > self.max_total:
            _, (_, dropped) = self._entries.popitem(last=False)
            self._total -= len(dropped)
        self._entries[path] = (file_key(st), data)
        self._total += len(data)
        return data

    def clear(self) -> None:
        """Forget every entry."""
        self._entries.clear()
        self._total = 0
