"""The lookups most requests end with, which never await: ``answer_at_once``.

``UrlDispatcher.resolve`` asks ``answer_at_once`` first; when it has no
answer, the dispatcher's general walk (``_resolve_normalized``) decides,
from the start, whatever the case: it gives the same answer for the paths
``answer_at_once`` answers, which only skips the walk's coroutine. A compiled
build compiles this module (``jackfield/_extensions.py``), so these cases run
as native code next to the ``Index`` they read; ``UrlDispatcher`` stays a
plain class.

Measured (bench/inproc.py, issue 17): see ``UrlDispatcher.resolve``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._index import Index, RunStep, TableStep
from ._matchinfo import UrlMappingMatchInfo, matched
from ._resources import DynamicResource

if TYPE_CHECKING:
    from jackfield.app import AbstractMatchInfo, Application

__all__ = ["answer_at_once", "ready"]


def answer_at_once(
    index: Index, apps: tuple[Application, ...], method: str, path: str
) -> UrlMappingMatchInfo | None:
    """The match info when ``index`` answers ``method path`` without awaiting; else ``None``.

    Two cases: a fixed path whose first step is a table with a route for the
    method (or a ``'*'`` route), and a path whose trie walk finds one node
    with one run, whose first matching resource is a ``DynamicResource``
    with a route for the method. Anything else (another step first, a miss,
    a 404/405) is ``None``: the general walk answers it.
    """
    steps = index.fixed.get(path)
    if steps is not None:
        step = steps[0]
        if isinstance(step, TableStep):
            hit = step.by_method.get(method) or step.default
            if hit is not None:
                return matched(hit[1], hit[0], apps, False)
        return None
    nodes = index.nodes(path)
    if len(nodes) != 1 or len(nodes[0].steps) != 1:
        return None
    run = nodes[0].steps[0]
    if not isinstance(run, RunStep):
        return None
    start = run.first(path)
    if start is None:
        return None
    first = run.resources[start]
    if first.__class__ is not DynamicResource:  # a subclass may match otherwise
        return None
    match = first.match(path)
    route = first.route_for(method)
    if match is None or route is None:
        return None
    return matched(match, route, apps, False)


async def ready(info: AbstractMatchInfo) -> AbstractMatchInfo:
    """``info``, as the awaitable ``resolve`` returns."""
    return info
