"""``lookup`` and ``open_regular`` on real files: the symlink walk and the swap guard."""

from __future__ import annotations

import os
from pathlib import Path

from jackfield.plugins.static._files import lookup, open_regular

from .conftest import SECRET


def test_lookup_refuses_a_symlink_at_any_depth(tree: Path) -> None:
    root = str(tree)
    assert lookup(root, ["sub", "page.html"], follow_symlinks=False) is not None
    assert lookup(root, ["linkdir", "page.html"], follow_symlinks=False) is None
    assert lookup(root, ["link-in.txt"], follow_symlinks=False) is None
    found = lookup(root, ["linkdir", "page.html"], follow_symlinks=True)
    assert found is not None and found.is_file


def test_lookup_of_the_root_and_of_missing_names(tree: Path) -> None:
    root = lookup(str(tree), [], follow_symlinks=False)
    assert root is not None and root.is_dir
    assert lookup(str(tree), ["hello.txt", "below-a-file"], follow_symlinks=False) is None
    assert lookup(str(tree), ["nope"], follow_symlinks=True) is None


def test_open_regular_refuses_a_file_swapped_after_lookup(tree: Path) -> None:
    target = lookup(str(tree), ["hello.txt"], follow_symlinks=False)
    assert target is not None
    # Between the walk and the open, the name becomes a symlink out of the root...
    os.replace(tree / "link-out.txt", tree / "hello.txt")
    assert open_regular(target, follow_symlinks=False) is None  # O_NOFOLLOW
    # ...and even when links are followed, another inode is not what was found.
    assert open_regular(target, follow_symlinks=True) is None
    assert (tree / "hello.txt").read_bytes() == SECRET  # the swap really happened


def test_open_regular_opens_what_was_found(tree: Path) -> None:
    target = lookup(str(tree), ["sub", "page.html"], follow_symlinks=False)
    assert target is not None
    file = open_regular(target, follow_symlinks=False)
    assert file is not None
    with file:
        assert file.read() == b"<p>page</p>"
