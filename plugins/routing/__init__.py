"""The routing plugin: ``app.router``, resources and routes, views, route tables.

On by default. ``jackfield_make_router`` gives every application a
``UrlDispatcher`` bound to it (marked ``trylast``, so a third-party router
plugin replaces it); ``jackfield_app_freeze`` freezes it, compiling the lookup
and reporting routes that can never match (``RouteShadowWarning``, or
``RouteConflictError`` once ``configure(app, strict=True)``); the ``jackfield
routes package.module:init_func`` command prints the route table.

Matching (details in ``docs/routing.md``): routes match the percent-encoded
path in normal form; among resources matching a path, the first registered
one having a route for the method wins. Invalid escapes, ``%00`` and escapes
that are not UTF-8 get 400; ``.``/``..`` segments get 404.

Extension point for other plugins
---------------------------------
A plugin that adds resources (static files, for instance) must not import
this package. It types ``app.router`` with a small structural ``Protocol``
of its own, a copy of ``ResourceRegistry``::

    class ResourceRegistry(Protocol):
        def add_resource(self, path: str, *, name: str | None = None) -> Any: ...
        def register_resource(self, resource: Any) -> None: ...
        def add_routes(self, routes: Any) -> list[Any]: ...
        def named_resources(self) -> Mapping[str, Any]: ...

``add_resource(path).add_route(method, handler)`` covers most needs;
``register_resource`` takes a resource of the plugin's own class with the
members ``AbstractResource`` lists, whose ``resolve`` returns a
``jackfield.app.AbstractMatchInfo`` (or ``None``) and the allowed methods.
Such resources are asked in registration order, in their place among the
compiled ones. ``add_routes`` takes any object with ``register(router)``.

``router.add_static(prefix, path, **options)`` belongs to no resource class
of this plugin: it calls the ``StaticProvider`` that a plugin installed with
``router.set_static_provider(provider)`` (the ``StaticRegistry`` protocol;
the ``static`` plugin does this for every application it is enabled on).
"""

from ._config import configure
from ._dispatcher import UrlDispatcher
from ._extension import ResourceRegistry, StaticProvider, StaticRegistry
from ._matchinfo import MatchInfoError, UrlMappingMatchInfo
from ._normalize import normalize_path_middleware
from ._resources import (
    AbstractResource,
    DynamicResource,
    PlainResource,
    PrefixResource,
    Resource,
)
from ._routedef import (
    RouteDef,
    RouteTableDef,
    delete,
    get,
    head,
    options,
    patch,
    post,
    put,
    route,
    view,
)
from ._routes import METH_ANY, AbstractRoute, ResourceRoute
from ._shadows import RouteConflictError, RouteShadowWarning
from ._subapp import PrefixedSubAppResource
from ._tableviews import ResourcesView, RoutesView
from ._views import View

__all__ = [
    "METH_ANY",
    "AbstractResource",
    "AbstractRoute",
    "DynamicResource",
    "MatchInfoError",
    "PlainResource",
    "PrefixResource",
    "PrefixedSubAppResource",
    "Resource",
    "ResourceRegistry",
    "ResourceRoute",
    "ResourcesView",
    "RouteConflictError",
    "RouteDef",
    "RouteShadowWarning",
    "RouteTableDef",
    "RoutesView",
    "StaticProvider",
    "StaticRegistry",
    "UrlDispatcher",
    "UrlMappingMatchInfo",
    "View",
    "configure",
    "delete",
    "get",
    "head",
    "normalize_path_middleware",
    "options",
    "patch",
    "post",
    "put",
    "route",
    "view",
]
