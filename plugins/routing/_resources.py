"""Resources: a path (or prefix) with routes, one per HTTP method.

``AbstractResource`` is the interface the router consults (custom resources
implement it); ``PlainResource`` and ``DynamicResource`` are what
``add_resource`` makes; ``PrefixResource`` is the base of resources owning
every path under a prefix; the sub-application one lives in ``_subapp``.

Invariants:

* Paths are kept in the normalized percent-encoded form (see ``_pattern``);
  ``add_prefix`` prepends an already normalized prefix.
* Within a resource the first route registered for a method wins, and a
  ``'*'`` route answers every method not registered before it. Later routes
  that can never win are kept (``routes()`` lists them) and reported when the
  router freezes.
* A resource tells the router it changed (``_changed``), because the router
  precomputes its lookup tables from the resources' routes.
"""

from __future__ import annotations

import abc
import re
from collections.abc import Callable, Iterator, Sized
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, unquote

from yarl import URL

from ._matchinfo import UrlMappingMatchInfo
from ._pattern import DEFAULT_VARIABLE_REGEX, encode_literal, parse_pattern
from ._requestpath import routable_path
from ._routes import METH_ANY, AbstractRoute, ExpectHandler, ResourceRoute

if TYPE_CHECKING:
    from jackfield.app import AbstractMatchInfo
    from jackfield.requests import Request

__all__ = [
    "AbstractResource",
    "DynamicResource",
    "PlainResource",
    "PrefixResource",
    "Resource",
    "check_route_name",
    "normalize_prefix",
]

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:[.:-][A-Za-z0-9_]+)*\Z")

ResolveResult = tuple["AbstractMatchInfo | None", set[str]]


def check_route_name(name: str | None, path: str) -> str | None:
    """Return ``name`` if it is a valid route name; raise ValueError naming the route."""
    if name is None:
        return None
    if not isinstance(name, str) or not _NAME.match(name):
        raise ValueError(
            f"route name {name!r} for {path!r} is invalid: use letters, digits and '_', "
            "optionally in parts joined by '.', ':' or '-' (for example 'user-info' or "
            "'api:users.list'), starting with a letter or '_'"
        )
    return name


class AbstractResource(Sized, abc.ABC):
    """An entry of the route table: something that matches requests and holds routes.

    Implement ``resolve`` to route on anything (a header, the query, ...) and
    register the instance with ``router.register_resource()``.
    """

    def __init__(self, *, name: str | None = None) -> None:
        self._name = check_route_name(name, type(self).__name__)

    @property
    def name(self) -> str | None:
        """The name ``router[name]`` finds this resource by, or ``None``."""
        return self._name

    @property
    @abc.abstractmethod
    def canonical(self) -> str:
        """The path or pattern the resource was registered with (prefixes included)."""

    @abc.abstractmethod
    def url_for(self, *args: str, **kwargs: Any) -> URL:
        """Return the URL of this resource built from ``kwargs``."""

    @abc.abstractmethod
    async def resolve(self, request: Request) -> ResolveResult:
        """Return ``(match_info, allowed_methods)`` for ``request``.

        ``(None, set())``: not this resource. ``(None, {"GET", ...})``: the path
        is this resource's but no route takes the method (the router answers
        405 unless a later resource takes it). ``(match_info, ...)``: matched.
        """

    @abc.abstractmethod
    def add_prefix(self, prefix: str) -> None:
        """Prepend ``prefix`` (normalized, no trailing '/') to the resource's path."""

    @abc.abstractmethod
    def get_info(self) -> dict[str, Any]:
        """Return a description of the resource (for tools and ``jackfield routes``)."""

    @abc.abstractmethod
    def raw_match(self, path: str) -> bool:
        """True if the resource was registered with exactly ``path``."""

    @abc.abstractmethod
    def __iter__(self) -> Iterator[AbstractRoute]:
        """Iterate over the resource's routes."""

    def freeze(self) -> None:
        """Called when the router freezes; refuse changes from then on."""


class Resource(AbstractResource):
    """Base of path resources: holds routes and answers ``add_route``."""

    def __init__(self, *, name: str | None = None) -> None:
        super().__init__(name=name)
        self._routes: list[ResourceRoute] = []
        self._by_method: dict[str, ResourceRoute] = {}
        self._any: ResourceRoute | None = None
        self._frozen = False
        self._changed: Callable[[], None] | None = None  # set by the router

    def add_route(
        self,
        method: str,
        handler: Callable[..., Any],
        *,
        expect_handler: ExpectHandler | None = None,
        client_max_size: int | None = None,
    ) -> ResourceRoute:
        """Answer ``method`` (``'*'``: any) on this resource with ``handler``; return the route."""
        if self._frozen:
            raise RuntimeError(
                f"cannot add route {method!r} {self.canonical!r}: the router is frozen "
                "(the application has started); add routes before run_app()"
            )
        route = ResourceRoute(
            method, handler, self, expect_handler=expect_handler, client_max_size=client_max_size
        )
        self._routes.append(route)
        if route.method == METH_ANY:
            if self._any is None:
                self._any = route
        elif self._any is None:
            self._by_method.setdefault(route.method, route)
        if self._changed is not None:
            self._changed()
        return route

    def route_for(self, method: str) -> ResourceRoute | None:
        """Return the route answering ``method``, or ``None``."""
        return self._by_method.get(method) or self._any

    @property
    def allowed_methods(self) -> set[str]:
        """The methods routes were registered for (``'*'`` excluded)."""
        return {r.method for r in self._routes if r.method != METH_ANY}

    @abc.abstractmethod
    def match(self, path: str) -> dict[str, str] | None:
        """Return the decoded variables if normalized ``path`` is this resource's."""

    async def resolve(self, request: Request) -> ResolveResult:
        """Match ``request.raw_path`` and the method; see ``AbstractResource.resolve``."""
        path = routable_path(request.raw_path)
        match = None if isinstance(path, int) else self.match(path)
        if match is None:
            return None, set()
        route = self.route_for(request.method)
        if route is None:
            return None, self.allowed_methods
        return UrlMappingMatchInfo(match, route), self.allowed_methods

    def freeze(self) -> None:
        """Refuse ``add_route`` from now on."""
        self._frozen = True

    def __len__(self) -> int:
        return len(self._routes)

    def __iter__(self) -> Iterator[AbstractRoute]:
        return iter(self._routes)

    def __repr__(self) -> str:
        name = f" name={self._name!r}" if self._name else ""
        return f"<{type(self).__name__} {self.canonical!r}{name}>"


class PlainResource(Resource):
    """A resource for one fixed path, such as ``/about``."""

    def __init__(self, path: str, *, name: str | None = None) -> None:
        super().__init__(name=name)
        self._path = encode_literal(path)

    @property
    def canonical(self) -> str:
        """The path."""
        return self._path

    def match(self, path: str) -> dict[str, str] | None:
        """``{}`` if ``path`` is this resource's path."""
        return {} if path == self._path else None

    def url_for(self, *args: str, **kwargs: Any) -> URL:
        """Return the resource's URL; a fixed path takes no parts."""
        if args or kwargs:
            extra = ", ".join([*map(repr, args), *kwargs])
            raise ValueError(
                f"url_for() of {self._path!r} got parts ({extra}) but the path has no variables"
            )
        return URL.build(path=self._path, encoded=True)

    def add_prefix(self, prefix: str) -> None:
        """Prepend ``prefix``."""
        self._path = prefix + self._path
        if self._changed is not None:
            self._changed()

    def raw_match(self, path: str) -> bool:
        """True if ``path`` is this resource's path."""
        return encode_literal(path) == self._path

    def get_info(self) -> dict[str, Any]:
        """``{"path": ...}``."""
        return {"path": self._path}


class DynamicResource(Resource):
    """A resource whose path has variable parts, such as ``/users/{id:\\d+}``."""

    def __init__(self, path: str, *, name: str | None = None) -> None:
        super().__init__(name=name)
        parsed = parse_pattern(path, f"route {path!r}")
        if parsed.is_plain:
            raise ValueError(f"{path!r} has no variables; use PlainResource for fixed paths")
        self._parts = parsed.parts
        self._names = parsed.names
        self._variables = {p[0]: re.compile(p[1]) for p in self._parts if isinstance(p, tuple)}
        # url_for keeps '/' unescaped only in a variable whose regex can span segments.
        self._spans_slash = {n: bool(rx.fullmatch("a/b")) for n, rx in self._variables.items()}
        self._compile()

    def _compile(self) -> None:
        self._regex = re.compile(self.source(capture=True))

    def source(self, *, capture: bool) -> str:
        """The regex source matching this resource's paths (named groups if ``capture``)."""
        out = []
        for part in self._parts:
            if isinstance(part, str):
                out.append(re.escape(part))
            elif capture:
                out.append(f"(?P<{part[0]}>{part[1]})")
            else:
                out.append(f"(?:{part[1]})")
        return "".join(out)

    @property
    def literal_prefix(self) -> str:
        """The literal text before the first variable."""
        first = self._parts[0]
        return first if isinstance(first, str) else ""

    @property
    def canonical(self) -> str:
        """The pattern, as ``/users/{id}`` (custom regexes shown)."""
        out = []
        for part in self._parts:
            if isinstance(part, str):
                out.append(part)
            elif part[1] == DEFAULT_VARIABLE_REGEX:
                out.append(f"{{{part[0]}}}")
            else:
                out.append(f"{{{part[0]}:{part[1]}}}")
        return "".join(out)

    @property
    def shape(self) -> tuple[object, ...]:
        """The pattern with variable names left out: equal shapes match the same paths."""
        return tuple(p if isinstance(p, str) else p[1] for p in self._parts)

    def match(self, path: str) -> dict[str, str] | None:
        """The decoded variables if ``path`` matches the pattern."""
        m = self._regex.fullmatch(path)
        if m is None:
            return None
        parts = m.groupdict()
        if "%" in path:  # rare: only then does any value need decoding
            return {k: unquote(v) if "%" in v else v for k, v in parts.items()}
        return parts

    def url_for(self, *args: str, **kwargs: Any) -> URL:
        """Return the URL with each variable replaced by its (percent-encoded) value.

        Raises KeyError for a missing part, ValueError for an unknown part or a
        value the variable's regex does not match.
        """
        if args:
            raise ValueError(f"url_for() of {self.canonical!r} takes parts by name, got {args!r}")
        for name in self._names:
            if name not in kwargs:
                raise KeyError(
                    f"url_for() of {self.canonical!r} needs the part {name!r}; "
                    f"pass {', '.join(f'{n}=...' for n in self._names)}"
                )
        extra = set(kwargs) - set(self._names)
        if extra:
            raise ValueError(
                f"url_for() of {self.canonical!r} got unknown parts {sorted(extra)}; "
                f"its variables are {list(self._names)}"
            )
        out = []
        for part in self._parts:
            if isinstance(part, str):
                out.append(part)
                continue
            name = part[0]
            safe = "/!$&'()*+,;=:@" if self._spans_slash[name] else "!$&'()*+,;=:@"
            value = quote(str(kwargs[name]), safe=safe)
            if not self._variables[name].fullmatch(value):
                raise ValueError(
                    f"url_for() of {self.canonical!r}: {name}={kwargs[name]!r} does not "
                    f"match the variable's pattern {part[1]!r}"
                )
            out.append(value)
        return URL.build(path="".join(out), encoded=True)

    def add_prefix(self, prefix: str) -> None:
        """Prepend ``prefix``."""
        first = self._parts[0]
        if isinstance(first, str):
            self._parts = (prefix + first, *self._parts[1:])
        else:
            self._parts = (prefix, *self._parts)
        self._compile()
        if self._changed is not None:
            self._changed()

    def raw_match(self, path: str) -> bool:
        """True if ``path`` is the pattern this resource was registered with."""
        try:
            return parse_pattern(path, "raw_match").parts == self._parts
        except ValueError:
            return False

    def get_info(self) -> dict[str, Any]:
        """``{"formatter": ..., "pattern": compiled regex}``."""
        return {"formatter": self.canonical, "pattern": self._regex}


class PrefixResource(AbstractResource):
    """Base of resources owning a prefix and every path under it."""

    def __init__(self, prefix: str, *, name: str | None = None) -> None:
        super().__init__(name=name)
        self._prefix = normalize_prefix(prefix)

    @property
    def prefix(self) -> str:
        """The prefix, normalized, without a trailing '/'."""
        return self._prefix

    @property
    def canonical(self) -> str:
        """The prefix."""
        return self._prefix

    def covers(self, path: str) -> bool:
        """True if normalized ``path`` is the prefix or lies under it."""
        prefix = self._prefix
        return path.startswith(prefix) and (len(path) == len(prefix) or path[len(prefix)] == "/")

    def add_prefix(self, prefix: str) -> None:
        """Prepend ``prefix``."""
        self._prefix = prefix + self._prefix

    def raw_match(self, path: str) -> bool:
        """True if ``path`` is this prefix."""
        return path.rstrip("/") == self._prefix

    def get_info(self) -> dict[str, Any]:
        """``{"prefix": ...}``."""
        return {"prefix": self._prefix}

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self._prefix!r}>"


def normalize_prefix(prefix: object, what: str = "prefix") -> str:
    """Return ``prefix`` encoded, without a trailing '/'; raise ValueError if unusable."""
    if not isinstance(prefix, str) or not prefix.startswith("/"):
        raise ValueError(f"{what} {prefix!r} must be a string starting with '/', as '/admin'")
    if "{" in prefix or "}" in prefix:
        raise ValueError(f"{what} {prefix!r} cannot have variables; use a fixed path")
    stripped = prefix.rstrip("/")
    if not stripped:
        raise ValueError(
            f"{what} {prefix!r} is the root: a prefix must name a path below it, as '/admin'"
        )
    return encode_literal(stripped)
