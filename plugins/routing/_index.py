"""The lookup structures a router compiles from its resources.

Lookup must not grow with the number of routes, and among resources that can
match the same path the first registered one that takes the method wins.
A registered fixed path is answered by a short tuple of steps consulted in
order (``Index.fixed``); other paths by the steps of trie nodes (below):

* ``TableStep``: for a fixed path, precomputed ``method -> (route, variables)``
  for every resource that matches that path (plain ones, and variable ones
  whose pattern matches it), in registration order; ``default`` is the first
  ``'*'`` route. A request for a fixed path costs one dict lookup, and a
  variable resource registered before a plain one still wins, as the
  registration order says.
* ``RunStep``: consecutive variable and sub-application resources compiled
  into one regex, an alternation in registration order, each alternative
  ending in an empty marker group; ``m.lastindex`` names the first resource
  that matches. (Markers come last, and the alternatives capture nothing,
  because with capturing groups Python's regex engine saves marks on every
  branch and an alternation of n routes costs n².)
* ``DelegateStep``: a sub-application that owns the fixed path; it always answers.
* ``OpaqueStep``: a resource the router cannot compile (a custom
  ``resolve``); it is asked in its place in the order.

Paths that are not fixed go through a trie of leading literal segments: a
variable resource hangs at the node of the segments before its first variable
(``/api/users/{id}`` at ``api/users``), a sub-application at its prefix's
node, opaque resources at the root. Each node compiles only its own
resources, so every resource is compiled once. A request walks its own
segments down as far as nodes exist (one dict lookup per segment); the nodes
on that walk hold every resource that can match, and ``candidates`` merges
their matches by registration index (usually one node has any).
"""

from __future__ import annotations

import heapq
import re
from collections.abc import Iterable, Iterator, Sequence
from operator import itemgetter
from typing import TYPE_CHECKING, cast

from ._resources import AbstractResource, DynamicResource, PlainResource, Resource
from ._subapp import PrefixedSubAppResource

if TYPE_CHECKING:
    from ._routes import ResourceRoute

__all__ = [
    "DelegateStep",
    "FixedStep",
    "Index",
    "Node",
    "OpaqueStep",
    "RunStep",
    "TableStep",
    "compilable",
]

Hit = tuple["ResourceRoute", dict[str, str]]


class TableStep:
    """Precomputed routes for one fixed path."""

    __slots__ = ("allowed", "by_method", "default")

    def __init__(
        self, by_method: dict[str, Hit], default: Hit | None, allowed: frozenset[str]
    ) -> None:
        self.by_method = by_method
        self.default = default
        self.allowed = allowed


class RunStep:
    """Variable and sub-application resources matched with one regex."""

    __slots__ = ("indexes", "positions", "regex", "resources")

    def __init__(
        self, entries: Sequence[tuple[int, DynamicResource | PrefixedSubAppResource]]
    ) -> None:
        self.indexes = tuple(i for i, _ in entries)
        self.resources = tuple(r for _, r in entries)
        self.regex: re.Pattern[str] | None = None
        self.positions: dict[int, int] = {}
        if len(self.resources) > 1:  # a lone resource is matched by its own regex
            alternatives = [f"(?:{_source(r)})(?P<_{k}>)" for k, r in enumerate(self.resources)]
            self.regex = re.compile("|".join(alternatives))
            groups = self.regex.groupindex
            self.positions = {groups[f"_{k}"]: k for k in range(len(self.resources))}

    def first(self, path: str) -> int | None:
        """The position of the first resource matching ``path`` (by the regex), or None."""
        if self.regex is None:
            return 0
        m = self.regex.fullmatch(path)
        # The marker group closes last, so it is ``lastindex``.
        return None if m is None else self.positions[cast(int, m.lastindex)]


class DelegateStep:
    """A sub-application owning the path."""

    __slots__ = ("resource",)

    def __init__(self, resource: PrefixedSubAppResource) -> None:
        self.resource = resource


class OpaqueStep:
    """A resource asked through its own ``resolve``."""

    __slots__ = ("index", "resource")

    def __init__(self, resource: AbstractResource, index: int = -1) -> None:
        self.resource = resource
        self.index = index


FixedStep = TableStep | DelegateStep | OpaqueStep

_COMPILED_RESOLVE = (Resource.resolve, PrefixedSubAppResource.resolve)


def compilable(resource: AbstractResource) -> bool:
    """True if the router may match ``resource`` itself instead of calling ``resolve``."""
    if not isinstance(resource, (PlainResource, DynamicResource, PrefixedSubAppResource)):
        return False
    return getattr(type(resource), "resolve", None) in _COMPILED_RESOLVE


def _source(resource: DynamicResource | PrefixedSubAppResource) -> str:
    if isinstance(resource, PrefixedSubAppResource):
        return re.escape(resource.prefix) + "(?:/(?s:.*))?"
    if isinstance(resource, DynamicResource):
        return resource.source(capture=False)
    raise TypeError(f"{resource!r} cannot be compiled into a run")  # pragma: no cover


class Node:
    """Resources whose leading literal segments lead here, compiled into steps."""

    __slots__ = ("children", "own", "steps")

    def __init__(self) -> None:
        self.children: dict[str, Node] = {}
        self.own: list[tuple[int, AbstractResource]] = []
        self.steps: tuple[RunStep | OpaqueStep, ...] = ()


#: One possible match, in registration order: (index, resource, variables).
#: Variables are ``None`` for an opaque resource (only its resolve can tell)
#: and ``{}`` for a sub-application.
Candidate = tuple[int, AbstractResource, "dict[str, str] | None"]


class Index:
    """Fixed-path table plus segment trie, built from resources in registration order."""

    def __init__(self, resources: Iterable[AbstractResource]) -> None:
        self._root = Node()
        plain: dict[str, list[tuple[int, PlainResource]]] = {}
        for i, res in enumerate(resources):
            if not compilable(res):
                self._root.own.append((i, res))
            elif isinstance(res, PlainResource):
                plain.setdefault(res.canonical, []).append((i, res))
            elif isinstance(res, DynamicResource):
                self._node(_leading_segments(res.literal_prefix)).own.append((i, res))
            elif isinstance(res, PrefixedSubAppResource):
                self._node(res.prefix.split("/")[1:]).own.append((i, res))
        self._finish(self._root)
        self._plain = plain
        self.fixed: dict[str, tuple[FixedStep, ...]] = {
            path: _fixed_steps(path, self._merge(path, entries)) for path, entries in plain.items()
        }

    def _node(self, segments: Iterable[str]) -> Node:
        node = self._root
        for seg in segments:
            node = node.children.setdefault(seg, Node())
        return node

    def _finish(self, node: Node) -> None:
        node.steps = _trie_steps(node.own)
        for child in node.children.values():
            self._finish(child)

    def nodes(self, path: str) -> list[Node]:
        """The trie nodes on ``path``'s walk that hold resources, root first."""
        node = self._root
        found = [node] if node.own else []
        if not node.children:
            return found
        for seg in path.split("/")[1:]:
            child = node.children.get(seg)
            if child is None:
                break
            node = child
            if node.own:
                found.append(node)
        return found

    def _merge(self, path: str, plain: list[tuple[int, PlainResource]]) -> list[AbstractResource]:
        others = [(i, r) for n in self.nodes(path) for i, r in n.own if _may_match(r, path)]
        return [res for _, res in sorted(plain + others, key=lambda item: item[0])]

    def resources_matching(self, path: str) -> list[AbstractResource]:
        """Every resource that may match fixed ``path``, in registration order."""
        plain = self._plain.get(path, [])
        return self._merge(path, plain)

    def candidates(self, path: str, nodes: list[Node]) -> Iterator[Candidate]:
        """Yield the resources of ``nodes`` (``nodes(path)``) that may match, in order.

        Lazy: a consumer that stops at the first candidate costs one regex
        match per node on the walk.
        """
        if len(nodes) == 1:
            return _node_candidates(nodes[0], path)
        return heapq.merge(*(_node_candidates(n, path) for n in nodes), key=itemgetter(0))


def _node_candidates(node: Node, path: str) -> Iterator[Candidate]:
    for step in node.steps:
        if isinstance(step, OpaqueStep):
            yield step.index, step.resource, None
            continue
        run = step
        start = run.first(path)
        if start is None:
            continue
        resources = run.resources
        for k in range(start, len(resources)):
            res = resources[k]
            # The regex vouched for ``start``; later ones are only reached when
            # an earlier match lacked the method, and are checked one by one.
            if isinstance(res, PrefixedSubAppResource):
                if res.covers(path):
                    yield run.indexes[k], res, {}
                continue
            match = res.match(path)
            if match is not None:
                yield run.indexes[k], res, match


def _leading_segments(literal: str) -> list[str]:
    # "/api/users/u" -> ["api", "users"]: the last piece runs into a variable.
    return literal.split("/")[1:-1]


def _may_match(resource: AbstractResource, path: str) -> bool:
    if isinstance(resource, DynamicResource) and compilable(resource):
        return resource.match(path) is not None
    if isinstance(resource, PrefixedSubAppResource) and compilable(resource):
        return resource.covers(path)
    return True  # opaque: only its resolve() can tell


def _trie_steps(entries: list[tuple[int, AbstractResource]]) -> tuple[RunStep | OpaqueStep, ...]:
    steps: list[RunStep | OpaqueStep] = []
    run: list[tuple[int, DynamicResource | PrefixedSubAppResource]] = []
    for i, res in entries:
        if compilable(res) and isinstance(res, (DynamicResource, PrefixedSubAppResource)):
            run.append((i, res))
            continue
        if run:
            steps.append(RunStep(run))
            run = []
        steps.append(OpaqueStep(res, i))
    if run:
        steps.append(RunStep(run))
    return tuple(steps)


def _fixed_steps(path: str, resources: list[AbstractResource]) -> tuple[FixedStep, ...]:
    """Steps for fixed ``path``; every compilable resource given matches it."""
    steps: list[FixedStep] = []
    by_method: dict[str, Hit] = {}
    default: Hit | None = None
    allowed: set[str] = set()
    for res in resources:
        if isinstance(res, Resource) and compilable(res):
            match = res.match(path)
            if match is None:  # pragma: no cover - filtered by _may_match
                continue
            if default is None:  # after a '*' route nothing later can win
                for method, route in res._by_method.items():
                    by_method.setdefault(method, (route, match))
                if res._any is not None:
                    default = (res._any, match)
            allowed |= res.allowed_methods
            continue
        if by_method or default or allowed:
            steps.append(TableStep(by_method, default, frozenset(allowed)))
        by_method, default, allowed = {}, None, set()
        if isinstance(res, PrefixedSubAppResource) and compilable(res):
            steps.append(DelegateStep(res))
            return tuple(steps)  # it answers every path it covers
        steps.append(OpaqueStep(res))
    steps.append(TableStep(by_method, default, frozenset(allowed)))
    return tuple(steps)
