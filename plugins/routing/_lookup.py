"""The lookups most requests end with, which never await: ``table_answer``, ``variable_answer``.

``UrlDispatcher._resolve_normalized`` finds a path's fixed steps or trie
nodes once, asks these first, and hands what it found to the general walk
(``_resolve_fixed``/``_resolve_variable``) only when they have no answer;
for the paths they answer, the walk would give the same answer, so they only
skip its coroutine. A compiled build compiles this module
(``jackfield/_extensions.py``), so these cases run as native code next to the
``Index`` they read; ``UrlDispatcher`` stays a plain class.

Measured (bench/inproc.py, issue 17): see ``UrlDispatcher._resolve_normalized``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._index import FixedStep, Node, RunStep, TableStep
from ._matchinfo import UrlMappingMatchInfo, matched
from ._resources import DynamicResource

if TYPE_CHECKING:
    from jackfield.app import AbstractMatchInfo, Application

__all__ = ["ready", "table_answer", "variable_answer"]


def table_answer(
    steps: tuple[FixedStep, ...], apps: tuple[Application, ...], method: str
) -> UrlMappingMatchInfo | None:
    """A fixed path's match info when its first step is a table with a route for ``method``.

    A ``'*'`` route counts. Anything else (another step first, no route for
    the method) is ``None``: the general walk answers it.
    """
    step = steps[0]
    if isinstance(step, TableStep):
        hit = step.by_method.get(method) or step.default
        if hit is not None:
            return matched(hit[1], hit[0], apps, False)
    return None


def variable_answer(
    nodes: list[Node], apps: tuple[Application, ...], method: str, path: str
) -> UrlMappingMatchInfo | None:
    """The match info when the trie found one node with one run whose first match takes ``method``.

    That first match must be a plain ``DynamicResource`` (a subclass may match
    otherwise). Anything else (a miss, a 404/405, a sub-application) is
    ``None``: the general walk answers it.
    """
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
