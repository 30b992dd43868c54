"""``jackfield routes package.module:init_func``: print an application's route table.

One row per route, sub-applications included (their paths carry the
prefix): method, path, name, handler.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from ._routes import handler_name
from ._subapp import PrefixedSubAppResource

if TYPE_CHECKING:
    from jackfield.app import Application

__all__ = ["configure_parser", "route_rows", "run", "table"]

HEADERS = ("METHOD", "PATH", "NAME", "HANDLER")


def configure_parser(parser: argparse.ArgumentParser) -> None:
    """Add the arguments of ``jackfield routes``."""
    parser.add_argument(
        "app",
        metavar="package.module:init_func",
        help="the function that returns the application (called with the extra arguments)",
    )
    parser.add_argument("args", nargs=argparse.REMAINDER, help="passed to the init function")


def run(ns: argparse.Namespace) -> int:
    """Load the application named on the command line and print its routes."""
    # The kernel's loader turns "package.module:init_func" into an app; its
    # errors (AppLoadError) are reported by the jackfield command itself.
    from jackfield.runner import load_app

    app = load_app(ns.app, ns.args)
    rows = list(route_rows(app))
    print(table(rows) if rows else "No routes.")
    return 0


def route_rows(app: Application) -> Iterator[tuple[str, str, str, str]]:
    """Yield ``(method, path, name, handler)`` for every route of ``app`` and its sub-apps."""
    resources = getattr(app.router, "resources", None)
    if resources is None:
        return
    for resource in resources():
        if isinstance(resource, PrefixedSubAppResource):
            yield from route_rows(resource.app)
            continue
        path = _path_of(resource)
        for route in resource:
            yield route.method, path, route.name or "", handler_name(route.handler)


def _path_of(resource: Any) -> str:
    try:
        return str(resource.canonical)
    except Exception:  # a custom resource without a canonical form
        return repr(resource)


def table(rows: Iterable[tuple[str, ...]]) -> str:
    """Return ``rows`` under ``HEADERS`` as aligned columns."""
    cells = [HEADERS, *rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(HEADERS))]
    return "\n".join(
        "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in cells
    )
