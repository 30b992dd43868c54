"""Routes that can never match, found when the router freezes.

A route is *shadowed* when a route registered before it answers every
request it could get: the same method (or ``'*'``) registered earlier on the
same resource; an earlier resource matching a fixed path (a variable pattern
that matches ``/users/me`` shadows a later ``GET /users/me``); an earlier
variable resource with the same pattern; or an earlier sub-application whose
prefix covers the path. The check is exact for fixed paths and conservative
for patterns (a broader earlier regex is not detected). Custom resources are
never reported as winners (only their ``resolve`` knows what they take), and
do not hide a winner registered before them.

By default each finding is a ``RouteShadowWarning``; a strict router raises
``RouteConflictError`` listing them all.
"""

from __future__ import annotations

from collections.abc import Sequence

from ._index import Index, compilable
from ._resources import AbstractResource, DynamicResource, PlainResource, Resource
from ._routes import METH_ANY, AbstractRoute, ResourceRoute
from ._subapp import PrefixedSubAppResource

__all__ = ["RouteConflictError", "RouteShadowWarning", "find_shadows"]


class RouteShadowWarning(UserWarning):
    """A registered route can never match: an earlier one always wins."""


class RouteConflictError(ValueError):
    """A strict router refused routes that can never match (raised at freeze)."""


Winner = AbstractRoute | PrefixedSubAppResource


def find_shadows(resources: Sequence[AbstractResource], index: Index) -> list[str]:
    """Return one message per route that an earlier route or sub-application shadows.

    ``index`` is the router's compiled index of ``resources``: it narrows the
    earlier resources a fixed path can meet, so the check stays near linear.
    """
    position = {id(res): i for i, res in enumerate(resources)}
    subapps = [r for r in resources if isinstance(r, PrefixedSubAppResource) and compilable(r)]
    shapes: dict[tuple[object, ...], list[DynamicResource]] = {}
    found: list[str] = []
    for j, res in enumerate(resources):
        if not compilable(res):
            continue
        earlier_subapps = [s for s in subapps if position[id(s)] < j]
        if isinstance(res, PrefixedSubAppResource):
            owner = _covering(earlier_subapps, res.prefix, exact_ok=True)
            if owner is not None:
                found.append(
                    f"sub-application at {res.prefix!r} is unreachable: {owner!r}, "
                    "registered earlier, owns every path under it"
                )
            continue
        if isinstance(res, PlainResource):
            owner = _covering(earlier_subapps, res.canonical, exact_ok=True)
            rivals = [
                r
                for r in index.resources_matching(res.canonical)
                if isinstance(r, Resource) and position[id(r)] < j
            ]
        elif isinstance(res, DynamicResource):
            owner = _covering(earlier_subapps, res.literal_prefix, exact_ok=False)
            rivals = list(shapes.get(res.shape, ()))
            shapes.setdefault(res.shape, []).append(res)
        else:  # pragma: no cover - compilable resources are one of the three
            continue
        for route in res:
            if not isinstance(route, ResourceRoute) or route._implicit_head:
                continue
            winner = _winner_in(res, route) or _winner_before(rivals, owner, position, route.method)
            if winner is not None:
                found.append(_message(route, winner))
    return found


def _winner_in(res: Resource, route: ResourceRoute) -> ResourceRoute | None:
    first = res._any if route.method == METH_ANY else res.route_for(route.method)
    return first if first is not None and first is not route else None


def _winner_before(
    rivals: Sequence[Resource],
    owner: PrefixedSubAppResource | None,
    position: dict[int, int],
    method: str,
) -> Winner | None:
    """The first of ``rivals`` (earlier resources matching every path) taking ``method``."""
    limit = position[id(owner)] if owner is not None else len(position)
    for other in rivals:
        if position[id(other)] > limit:
            break
        route = other._any if method == METH_ANY else other.route_for(method)
        if route is not None:
            return route
    return owner


def _covering(
    subapps: Sequence[PrefixedSubAppResource], path: str, *, exact_ok: bool
) -> PrefixedSubAppResource | None:
    """The first of ``subapps`` owning every path that starts with ``path``."""
    for other in subapps:
        prefix = other.prefix
        if path.startswith(prefix + "/") or (exact_ok and path == prefix):
            return other
    return None


def _message(route: ResourceRoute, winner: Winner) -> str:
    if isinstance(winner, AbstractRoute):
        same = _original(winner.handler) is _original(route.handler)
        if same and winner.method == route.method:
            return f"{route!r} is registered twice (identical route); the copy never runs"
    return f"{route!r} can never match: {winner!r}, registered earlier, answers its requests"


def _original(handler: object) -> object:
    return getattr(handler, "__wrapped__", handler)
