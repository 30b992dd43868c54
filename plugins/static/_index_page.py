"""The HTML index page of a directory (``show_index=True``).

Built in a worker thread (``os.scandir`` of a large directory, or one on a
slow disk, must not stall the event loop). Names are HTML-escaped, links
are percent-encoded absolute paths, entries are sorted by name, sizes are
shown for files, and every directory but the root links to its parent.
With ``follow_symlinks=False`` symlinks are left out, as they would 404.
"""

from __future__ import annotations

import html
import os
from urllib.parse import quote, unquote

__all__ = ["render_index"]

_SAFE = "/!$&'()*+,;=:@~-._"


def render_index(directory: str, url_path: str, *, at_root: bool, follow_symlinks: bool) -> str:
    """The index page of ``directory``, served at ``url_path`` (percent-encoded, ends in '/')."""
    rows = []
    with os.scandir(directory) as entries:
        found = []
        for entry in entries:
            try:
                if entry.is_symlink() and not follow_symlinks:
                    continue
                is_dir = entry.is_dir()
                size = None if is_dir else entry.stat().st_size
            except OSError:
                continue  # vanished, or a dangling link
            found.append((entry.name, is_dir, size))
    for name, is_dir, size in sorted(found):
        href = url_path + quote(name, safe=_SAFE) + ("/" if is_dir else "")
        label = html.escape(name) + ("/" if is_dir else "")
        shown = "" if size is None else f"{size:,} bytes"
        rows.append(
            f'<li><a href="{html.escape(href, quote=True)}">{label}</a> <small>{shown}</small></li>'
        )
    if not at_root:
        parent = url_path.rstrip("/").rpartition("/")[0] + "/"
        rows.insert(0, f'<li><a href="{html.escape(parent, quote=True)}">../</a></li>')
    title = html.escape(f"Index of {unquote(url_path)}")
    return (
        '<!DOCTYPE html>\n<html>\n<head>\n<meta charset="utf-8">\n'
        f"<title>{title}</title>\n</head>\n<body>\n<h1>{title}</h1>\n<ul>\n"
        + "\n".join(rows)
        + "\n</ul>\n</body>\n</html>\n"
    )
