"""``StaticResource``: the files under one directory, served at a URL prefix.

The router knows it only through the routing plugin's documented extension
point (``register_resource``, the members listed in ``ResourceRegistry``):
this plugin never imports the routing plugin. The resource claims every
path under its prefix, answers GET and HEAD (405 with ``Allow`` for the
rest), and its one handler does the work:

1. ``split_names`` turns the raw path after the prefix into checked names
   (the traversal defence, whatever the router did before);
2. ``lookup`` finds the object under the root with the symlink policy;
3. a directory is 403, or its index page with ``show_index=True``;
4. a small settled file whose bytes are cached and a plain request (no
   Range, no conditions, no precompressed variant) is answered with one
   ``Response`` write; anything else is a ``FileResponse``.

Every refusal of a path (bad name, symlink, missing) is the same 404, so
a client cannot tell a file outside the root from a missing one.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import os
import pathlib
import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, unquote

from multidict import CIMultiDict
from yarl import URL

from jackfield.app import no_expectation
from jackfield.responses import HTTPForbidden, HTTPNotFound, Response, StreamResponse

from ._conditions import Validators
from ._ctype import content_type_for
from ._files import SmallFiles, Target, file_key, lookup, lstat_variant
from ._index_page import render_index
from ._paths import split_names
from ._response import DEFAULT_CHUNK_SIZE, SMALL_FILES, FileResponse
from ._route import ExpectHandler, Handler, StaticMatchInfo, StaticRoute
from ._variants import VARIANTS

if TYPE_CHECKING:
    from jackfield.requests import Request

__all__ = ["StaticResource"]

log = logging.getLogger("jackfield.static")

_ALLOWED = frozenset({"GET", "HEAD"})
_ALLOWED_SET = set(_ALLOWED)
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:[.:-][A-Za-z0-9_]+)*\Z")
_URL_SAFE = "/!$&'()*+,;=:@~-._"


class StaticResource:
    """Serves the files under ``directory`` at ``prefix``; made by ``router.add_static``."""

    def __init__(
        self,
        prefix: str,
        directory: str | os.PathLike[str],
        *,
        name: str | None = None,
        expect_handler: ExpectHandler | None = None,
        chunk_size: int = DEFAULT_CHUNK_SIZE,
        show_index: bool = False,
        follow_symlinks: bool = False,
        append_version: bool = False,
    ) -> None:
        self._prefix = _check_prefix(prefix)
        self._directory = _check_directory(directory, prefix)
        if name is not None and (not isinstance(name, str) or not _NAME.match(name)):
            raise ValueError(
                f"route name {name!r} for static {prefix!r} is invalid: use letters, digits "
                "and '_', optionally in parts joined by '.', ':' or '-'"
            )
        if not isinstance(chunk_size, int) or chunk_size < 1:
            raise ValueError(f"chunk_size must be a positive int, got {chunk_size!r}")
        if expect_handler is not None and not callable(expect_handler):
            raise TypeError(f"expect_handler must be an async callable, got {expect_handler!r}")
        self._name = name
        self._chunk_size = chunk_size
        self._show_index = bool(show_index)
        self._follow_symlinks = bool(follow_symlinks)
        self._append_version = bool(append_version)
        self._frozen = False
        expect = expect_handler or no_expectation
        handler: Handler = self._handle
        self._routes = [
            StaticRoute("GET", self, handler, expect),
            StaticRoute("HEAD", self, handler, expect),
        ]
        self._by_method = {route.method: route for route in self._routes}
        self._versions: dict[str, tuple[tuple[int, ...], str]] = {}
        self._heads: dict[str, tuple[tuple[int, ...], CIMultiDict[str]]] = {}
        self._files: SmallFiles = SMALL_FILES

    # -- what the router asks (ResourceRegistry's resource members)
    @property
    def name(self) -> str | None:
        """The name ``router[name]`` finds this resource by."""
        return self._name

    @property
    def canonical(self) -> str:
        """The prefix."""
        return self._prefix

    @property
    def directory(self) -> pathlib.Path:
        """The served directory (symlinks in it resolved at registration)."""
        return pathlib.Path(self._directory)

    def get_info(self) -> dict[str, Any]:
        """``{"directory": Path, "prefix": str}``."""
        return {"directory": self.directory, "prefix": self._prefix}

    def raw_match(self, path: str) -> bool:
        """True if ``path`` is this resource's prefix."""
        return path.rstrip("/") == self._prefix

    def add_prefix(self, prefix: str) -> None:
        """Prepend a (sub-application) prefix."""
        if self._frozen:
            raise RuntimeError(f"cannot change {self!r}: the router is frozen")
        self._prefix = prefix + self._prefix

    def freeze(self) -> None:
        """Called when the router freezes."""
        self._frozen = True

    def __len__(self) -> int:
        return len(self._routes)

    def __iter__(self) -> Iterator[StaticRoute]:
        return iter(self._routes)

    def __repr__(self) -> str:
        name = f" name={self._name!r}" if self._name else ""
        return f"<StaticResource{name} {self._prefix} -> {self._directory}>"

    async def resolve(self, request: Request) -> tuple[StaticMatchInfo | None, set[str]]:
        """Claim every path under the prefix; GET and HEAD only (405 otherwise)."""
        path = request.raw_path
        prefix = self._prefix
        if not path.startswith(prefix) or (len(path) > len(prefix) and path[len(prefix)] != "/"):
            return None, set()
        route = self._by_method.get(request.method)
        if route is None:
            return None, set(_ALLOWED)
        tail = path[len(prefix) + 1 :]
        # The router only reads the allowed methods: one shared set, not a copy per request.
        return StaticMatchInfo(unquote(tail) if "%" in tail else tail, route), _ALLOWED_SET

    # -- URLs
    def url_for(
        self, *, filename: str | os.PathLike[str], append_version: bool | None = None
    ) -> URL:
        """The URL of ``filename`` under the prefix, with ``?v=<hash>`` if versioned.

        ``append_version`` defaults to the resource's; the hash is of the
        file's content, cached and recomputed when its size or times change.
        A missing file gets no version.
        """
        if isinstance(filename, os.PathLike):
            filename = pathlib.PurePath(filename).as_posix()
        if not isinstance(filename, str):
            raise TypeError(f"url_for() of {self!r} needs filename=str or Path, got {filename!r}")
        encoded = quote(filename.lstrip("/"), safe=_URL_SAFE)
        url = URL.build(path=f"{self._prefix}/{encoded}", encoded=True)
        if append_version if append_version is not None else self._append_version:
            version = self._version(encoded)
            if version is not None:
                url = url.with_query(v=version)
        return url

    def _version(self, encoded: str) -> str | None:
        split = split_names("/" + encoded)
        if split is None:
            return None
        target = lookup(self._directory, split[0], follow_symlinks=self._follow_symlinks)
        if target is None or not target.is_file:
            return None
        key = file_key(target.st)
        known = self._versions.get(target.path)
        if known is not None and known[0] == key:
            return known[1]
        digest = hashlib.sha256()
        try:
            with open(target.path, "rb") as file:
                for block in iter(lambda: file.read(1 << 16), b""):
                    digest.update(block)
        except OSError:
            return None
        version = base64.urlsafe_b64encode(digest.digest()[:16]).decode("ascii").rstrip("=")
        if len(self._versions) > 4096:
            self._versions.clear()  # bounded: a URL builder fed with many names
        self._versions[target.path] = (key, version)
        return version

    # -- serving
    async def _handle(self, request: Request) -> StreamResponse:
        tail = request.raw_path[len(self._prefix) :]
        split = split_names(tail)
        if split is None:
            log.debug("static %s: refused path %r", self._prefix, request.raw_path)
            raise HTTPNotFound()
        names, trailing = split
        target = lookup(self._directory, names, follow_symlinks=self._follow_symlinks)
        if target is None:
            raise HTTPNotFound()
        if target.is_dir:
            if not self._show_index:
                raise HTTPForbidden()
            return await self._index(request, target, names)
        if trailing or not target.is_file:
            raise HTTPNotFound()
        headers = request.headers
        # Spelled out rather than any(...) over a tuple: this runs for every file
        # request, and the generator cost more than the tests (bench/static.py).
        if not (
            "Range" in headers
            or "If-None-Match" in headers
            or "If-Modified-Since" in headers
            or "If-Match" in headers
            or "If-Unmodified-Since" in headers
            or ("Accept-Encoding" in headers and self._has_variant(target))
        ):
            quick = self._cached(target)
            if quick is not None:
                return quick
        response = FileResponse(target.path, chunk_size=self._chunk_size)
        response._target = target
        response._follow_symlinks = self._follow_symlinks
        return response

    def _has_variant(self, target: Target) -> bool:
        """True if a precompressed variant of ``target`` exists (browsers send Accept-Encoding)."""
        follow = self._follow_symlinks
        return any(
            lstat_variant(target.path + suffix, follow_symlinks=follow) is not None
            for _, suffix in VARIANTS
        )

    def _cached(self, target: Target) -> Response | None:
        """A whole ``Response`` for a small file whose bytes are cached, else ``None``."""
        key = file_key(target.st)
        body = self._files.get_by_key(target.path, key)
        if body is None:
            return None
        known = self._heads.get(target.path)
        if known is None or known[0] != key:
            validators = Validators.of(target.st.st_mtime_ns, target.st.st_size)
            fields = CIMultiDict(
                {
                    "Content-Type": content_type_for(target.path),
                    "ETag": validators.etag,
                    "Last-Modified": validators.last_modified,
                    "Accept-Ranges": "bytes",
                }
            )
            if len(self._heads) > 4096:
                self._heads.clear()
            self._heads[target.path] = known = (key, fields)
        return Response(body=body, headers=known[1])

    async def _index(self, request: Request, target: Target, names: list[str]) -> Response:
        url_path = self._prefix + "".join("/" + quote(n, safe=_URL_SAFE) for n in names) + "/"
        try:
            page = await request.loop.run_in_executor(
                None,
                lambda: render_index(
                    target.path,
                    url_path,
                    at_root=not names,
                    follow_symlinks=self._follow_symlinks,
                ),
            )
        except OSError as exc:  # unreadable directory
            log.debug("static %s: cannot list %s: %s", self._prefix, target.path, exc)
            raise HTTPForbidden() from None
        return Response(text=page, content_type="text/html")


def _check_prefix(prefix: object) -> str:
    if not isinstance(prefix, str) or not prefix.startswith("/"):
        raise ValueError(
            f"static prefix {prefix!r} must be a string starting with '/', as '/static'"
        )
    stripped = prefix.rstrip("/")
    if not stripped:
        raise ValueError(
            f"static prefix {prefix!r} is the root: serve files under a prefix such as '/static'"
        )
    if "{" in stripped or "}" in stripped or "?" in stripped or "#" in stripped:
        raise ValueError(f"static prefix {prefix!r} must be a fixed path, without {{}}, ? or #")
    return quote(stripped, safe=_URL_SAFE + "%")


def _check_directory(directory: object, prefix: str) -> str:
    if not isinstance(directory, (str, os.PathLike)):
        raise TypeError(
            f"add_static({prefix!r}, ...) needs the directory as str or pathlib.Path, "
            f"got {directory!r}"
        )
    path = pathlib.Path(directory).expanduser()
    if not path.is_dir():
        what = "does not exist" if not path.exists() else "is not a directory"
        raise ValueError(
            f"add_static({prefix!r}, {os.fspath(directory)!r}): the path {what}; "
            "pass an existing directory"
        )
    return os.path.realpath(path)
