"""One server for a whole test module: ``client = module_client(make_app)``.

A module-scoped async fixture must run in an event loop that lives as long
as the module (pytest-asyncio's ``loop_scope="module"``), and so must the
tests that use it: the module marks them with
``pytestmark = pytest.mark.asyncio(loop_scope="module")``. ``module_client``
builds the fixture; the mark stays in the user's module, where pytest-asyncio
looks for it.
"""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator, Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..app.app import Application
    from .testing import TestClient

__all__ = ["module_client"]


def module_client(
    make_app: Callable[[], Application | Any],
    *,
    name: str = "client",
    **server_kwargs: Any,
) -> Any:
    """Return a module-scoped fixture, named ``name``, giving a ``TestClient`` for ``make_app()``.

    ``make_app`` is called (and awaited, if it is async) once, in the
    module's event loop; the server starts before the module's first test
    that uses the fixture and shuts down after its last. ``server_kwargs`` go
    to ``TestServer``. Assign the result to a module-level name::

        client = module_client(make_app)
        pytestmark = pytest.mark.asyncio(loop_scope="module")
    """
    import pytest_asyncio

    from .testing import TestClient

    async def fixture() -> AsyncIterator[TestClient]:
        app = make_app()
        if inspect.isawaitable(app):
            app = await app
        async with TestClient(app, **server_kwargs) as client:
            yield client

    fixture.__name__ = fixture.__qualname__ = name
    return pytest_asyncio.fixture(fixture, scope="module", loop_scope="module", name=name)
