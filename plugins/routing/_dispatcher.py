"""``UrlDispatcher``: the router the routing plugin installs as ``app.router``.

It keeps resources in registration order, compiles them into an ``Index``
(see ``_index``) the first time a request needs it or when it freezes, and
compiles again after any change, which is only allowed before freezing. The
per-request path is ``resolve``: normalize the path once, fetch the steps for
it, walk them.

Match infos from its own routes carry ``apps == (its app,)``; a match info
from a sub-application or a custom resource gets its app put in front, so
``apps`` runs from the outermost application to the route's owner.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Coroutine, Iterable, Iterator, Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, cast

from jackfield.app import AbstractMatchInfo, AbstractRouter
from jackfield.responses import HTTPBadRequest, HTTPMethodNotAllowed, HTTPNotFound

from ._index import DelegateStep, Index, Node, OpaqueStep, TableStep
from ._lookup import answer_at_once, ready
from ._matchinfo import MatchInfoError, matched
from ._requestpath import BAD_REQUEST, routable_path
from ._resources import (
    AbstractResource,
    DynamicResource,
    PlainResource,
    Resource,
    check_route_name,
)
from ._routes import METH_ANY, AbstractRoute, ExpectHandler, ResourceRoute
from ._shadows import RouteConflictError, RouteShadowWarning, find_shadows
from ._subapp import PrefixedSubAppResource
from ._tableviews import ResourcesView, RoutesView
from ._views import View

if TYPE_CHECKING:
    import os

    from jackfield.app import Application
    from jackfield.requests import Request

    from ._extension import StaticProvider

__all__ = ["UrlDispatcher"]

_EMPTY: frozenset[str] = frozenset()


class UrlDispatcher(AbstractRouter, Mapping[str, AbstractResource]):
    """The router: register resources and routes, resolve requests to handlers.

    As a mapping it holds the named resources (``router['name'].url_for()``).
    ``strict=True`` makes freezing raise ``RouteConflictError`` for routes
    that can never match instead of warning (see ``routing.configure``).
    """

    def __init__(self, app: Application | None = None, *, strict: bool = False) -> None:
        self._app = app
        self._apps: tuple[Application, ...] = (app,) if app is not None else ()
        self._resources: list[AbstractResource] = []
        self._named: dict[str, AbstractResource] = {}
        self._prefix = ""
        self._frozen = False
        self._index: Index | None = None
        self._static_provider: StaticProvider | None = None
        self.strict = strict

    # -- resolving ---------------------------------------------------------------------------

    def resolve(self, request: Request) -> Coroutine[Any, Any, AbstractMatchInfo]:
        """Return the match info for ``request``; 404/405/400 come as ``MatchInfoError``.

        Awaited like any ``async def resolve``: it hands back a coroutine,
        one per request. Special case, measured: ``answer_at_once`` (compiled
        in a compiled build) answers a fixed path's table and the common
        variable case without the general walk's coroutine: compiled build,
        1.7k fewer instructions per GET / and 2.8k per JSON /users/{name}
        (64.5k -> 62.8k and 90.8k -> 88.0k, measured next to an exchange step
        since removed); pure, about 0.2k more (bench/inproc.py --instructions,
        issue 17).
        """
        path = routable_path(request.raw_path)
        if isinstance(path, int):
            exc = HTTPBadRequest() if path == BAD_REQUEST else HTTPNotFound()
            return ready(self._error(exc))
        method = request.method
        found = answer_at_once(self._index or self._compile(), self._apps, method, path)
        if found is not None:
            return ready(found)
        return self._resolve_normalized(request, method, path)

    async def _resolve_normalized(
        self, request: Request, method: str, path: str
    ) -> AbstractMatchInfo:
        """The general walk: every case, in registration order (sub-routers call it too)."""
        index = self._index or self._compile()
        steps = index.fixed.get(path)
        if steps is None:
            return await self._resolve_variable(index, index.nodes(path), request, method, path)
        allowed: frozenset[str] | set[str] = _EMPTY
        for step in steps:
            # Exact class tests: cheaper than isinstance on the per-request path.
            if step.__class__ is TableStep:
                hit = step.by_method.get(method) or step.default
                if hit is not None:
                    return matched(hit[1], hit[0], self._apps, False)
                allowed = allowed | step.allowed
            elif step.__class__ is DelegateStep:
                sub = step.resource
                return self._adopt(await sub.delegate(request, method, path))
            else:
                found, methods = await cast(OpaqueStep, step).resource.resolve(request)
                if found is not None:
                    return self._adopt(found)
                allowed = allowed | methods
        return self._no_route(method, allowed)

    async def _resolve_variable(
        self, index: Index, nodes: list[Node], request: Request, method: str, path: str
    ) -> AbstractMatchInfo:
        allowed: set[str] = set()
        for _, res, match in index.candidates(path, nodes):
            if match is None:  # an opaque resource
                found, methods = await res.resolve(request)
                if found is not None:
                    return self._adopt(found)
                allowed |= methods
            elif isinstance(res, PrefixedSubAppResource):
                return self._adopt(await res.delegate(request, method, path))
            else:
                dynamic = cast(DynamicResource, res)
                route = dynamic.route_for(method)
                if route is not None:
                    return matched(match, route, self._apps, False)
                allowed |= dynamic.allowed_methods
        return self._no_route(method, allowed)

    def _no_route(self, method: str, allowed: frozenset[str] | set[str]) -> MatchInfoError:
        if allowed:
            return self._error(HTTPMethodNotAllowed(method, allowed))
        return self._error(HTTPNotFound())

    def _error(self, exc: Any) -> MatchInfoError:
        info = MatchInfoError(exc)
        info.apps = self._apps
        return info

    def _adopt(self, info: AbstractMatchInfo) -> AbstractMatchInfo:
        if self._app is not None:
            info.add_app(self._app)
        return info

    def _compile(self) -> Index:
        self._index = Index(self._resources)
        return self._index

    def _changed(self) -> None:
        self._index = None

    # -- registering -------------------------------------------------------------------------

    def _check_open(self, what: str) -> None:
        if self._frozen:
            raise RuntimeError(
                f"cannot {what}: the router is frozen (the application has started); "
                "add routes before run_app()"
            )

    def register_resource(self, resource: AbstractResource) -> None:
        """Add ``resource`` (any ``AbstractResource``) at the end of the route table."""
        self._check_open(f"register {resource!r}")
        if not callable(getattr(resource, "resolve", None)):
            raise TypeError(
                f"{resource!r} is not a resource: it needs an async resolve(request) "
                "(subclass AbstractResource)"
            )
        name = resource.name
        if name is not None:
            check_route_name(name, resource.canonical)
            if name in self._named:
                raise ValueError(
                    f"route name {name!r} is already used by {self._named[name]!r}; "
                    f"pick another name for {resource!r}"
                )
        if self._prefix:
            resource.add_prefix(self._prefix)
        if isinstance(resource, Resource):
            resource._changed = self._changed
        self._resources.append(resource)
        if name is not None:
            self._named[name] = resource
        self._index = None

    def add_resource(self, path: str, *, name: str | None = None) -> Resource:
        """Return the resource for ``path`` (plain or with ``{variables}``), adding it.

        Consecutive calls for the same path (and name) share one resource.
        """
        if not isinstance(path, str) or not path.startswith("/"):
            raise ValueError(f"route path {path!r} must be a string starting with '/'")
        self._check_open(f"add resource {path!r}")
        check_route_name(name, path)
        if self._resources:
            last = self._resources[-1]
            if (
                isinstance(last, Resource)
                and last.name == name
                and last.raw_match(self._prefix + path)
            ):
                return last
        resource: Resource
        if "{" in path or "}" in path:
            resource = DynamicResource(path, name=name)
        else:
            resource = PlainResource(path, name=name)
        self.register_resource(resource)
        return resource

    def add_route(
        self,
        method: str,
        path: str,
        handler: Callable[..., Any],
        *,
        name: str | None = None,
        expect_handler: ExpectHandler | None = None,
        client_max_size: int | None = None,
    ) -> ResourceRoute:
        """Answer ``method`` (``'*'``: any) on ``path`` with ``handler``; return the route.

        ``client_max_size`` bounds bodies read whole on this route (it wins over
        the application's); ``expect_handler`` answers ``Expect`` (see the expect plugin).
        """
        resource = self.add_resource(path, name=name)
        return resource.add_route(
            method, handler, expect_handler=expect_handler, client_max_size=client_max_size
        )

    def add_get(
        self,
        path: str,
        handler: Callable[..., Any],
        *,
        name: str | None = None,
        allow_head: bool = True,
        **kwargs: Any,
    ) -> ResourceRoute:
        """Answer GET (and HEAD, unless ``allow_head=False``) on ``path``."""
        resource = self.add_resource(path, name=name)
        if allow_head:
            head = resource.add_route("HEAD", handler, **kwargs)
            head._implicit_head = True
        return resource.add_route("GET", handler, **kwargs)

    def add_head(self, path: str, handler: Callable[..., Any], **kwargs: Any) -> ResourceRoute:
        """Answer HEAD on ``path``."""
        return self.add_route("HEAD", path, handler, **kwargs)

    def add_post(self, path: str, handler: Callable[..., Any], **kwargs: Any) -> ResourceRoute:
        """Answer POST on ``path``."""
        return self.add_route("POST", path, handler, **kwargs)

    def add_put(self, path: str, handler: Callable[..., Any], **kwargs: Any) -> ResourceRoute:
        """Answer PUT on ``path``."""
        return self.add_route("PUT", path, handler, **kwargs)

    def add_patch(self, path: str, handler: Callable[..., Any], **kwargs: Any) -> ResourceRoute:
        """Answer PATCH on ``path``."""
        return self.add_route("PATCH", path, handler, **kwargs)

    def add_delete(self, path: str, handler: Callable[..., Any], **kwargs: Any) -> ResourceRoute:
        """Answer DELETE on ``path``."""
        return self.add_route("DELETE", path, handler, **kwargs)

    def add_view(self, path: str, handler: type[View], **kwargs: Any) -> ResourceRoute:
        """Answer every method on ``path`` with a ``web.View`` subclass."""
        if not (isinstance(handler, type) and issubclass(handler, View)):
            raise TypeError(f"add_view({path!r}, ...) needs a web.View subclass, got {handler!r}")
        return self.add_route(METH_ANY, path, handler, **kwargs)

    def add_routes(self, routes: Iterable[Any]) -> list[AbstractRoute]:
        """Register route definitions (``web.get(...)``, a ``RouteTableDef``); return the routes."""
        registered: list[AbstractRoute] = []
        for definition in routes:
            register = getattr(definition, "register", None)
            if register is None:
                raise TypeError(
                    f"add_routes() takes route definitions such as web.get('/', handler), "
                    f"got {definition!r}"
                )
            registered.extend(register(self))
        return registered

    def set_static_provider(self, provider: StaticProvider) -> None:
        """Make ``add_static`` call ``provider`` (the static plugin sets it; see ``_extension``)."""
        self._check_open("set the static files provider")
        self._static_provider = provider

    def add_static(self, prefix: str, path: str | os.PathLike[str], **options: Any) -> Any:
        """Serve the files under directory ``path`` at ``prefix``; return the resource.

        Implemented by the plugin that set a ``StaticProvider`` (``static``,
        on by default); the options are that plugin's (``show_index``,
        ``follow_symlinks``, ``append_version``, ...).
        """
        provider = self._static_provider
        if provider is None:
            raise RuntimeError(
                f"add_static({prefix!r}, ...) needs the 'static' plugin, which this application "
                "does not enable; add it: web.Application(plugins=[..., 'static'])"
            )
        return provider(self, prefix, path, **options)

    def add_subapp(self, prefix: str, subapp: Application) -> PrefixedSubAppResource:
        """Serve ``subapp`` under ``prefix``; use ``app.add_subapp``, which calls this."""
        self._check_open(f"add a sub-application at {prefix!r}")
        resource = PrefixedSubAppResource(prefix, subapp)
        self.register_resource(resource)
        return resource

    def _add_prefix(self, prefix: str) -> None:
        # Called when this router's app is mounted under ``prefix``.
        self._prefix = prefix + self._prefix
        for resource in self._resources:
            resource.add_prefix(prefix)
        self._index = None

    # -- freezing ----------------------------------------------------------------------------

    @property
    def frozen(self) -> bool:
        """True once ``freeze()`` ran: registration raises from then on."""
        return self._frozen

    def freeze(self) -> None:
        """Compile the lookup, report shadowed routes, refuse changes from now on."""
        if self._frozen:
            return
        shadows = find_shadows(self._resources, self._index or self._compile())
        if shadows and self.strict:
            raise RouteConflictError(
                "routes that can never match (reorder or remove them):\n  " + "\n  ".join(shadows)
            )
        for message in shadows:
            warnings.warn(RouteShadowWarning(message), stacklevel=2)
        self._frozen = True
        for resource in self._resources:
            resource.freeze()
        self._compile()

    # -- views -------------------------------------------------------------------------------

    def resources(self) -> ResourcesView:
        """All resources, in registration order."""
        return ResourcesView(self._resources)

    def routes(self) -> RoutesView:
        """All routes of all resources, in registration order."""
        return RoutesView(self._resources)

    def named_resources(self) -> Mapping[str, AbstractResource]:
        """A read-only mapping of name -> resource."""
        return MappingProxyType(self._named)

    def __getitem__(self, name: str) -> AbstractResource:
        try:
            return self._named[name]
        except KeyError:
            known = ", ".join(sorted(self._named)) or "none"
            raise KeyError(f"no route named {name!r}; named routes: {known}") from None

    def __iter__(self) -> Iterator[str]:
        return iter(self._named)

    def __len__(self) -> int:
        return len(self._named)

    def __contains__(self, name: object) -> bool:
        return name in self._named

    def __repr__(self) -> str:
        return f"<UrlDispatcher {len(self._resources)} resources>"
