"""A started application refuses changes with a message saying where they belong (issue 18)."""

from __future__ import annotations

import pytest

from jackfield.app.app import Application, middleware
from jackfield.testing import TestServer


@middleware
async def passthrough(request: object, handler: object) -> object:
    return await handler(request)  # type: ignore[operator]


async def test_middlewares_cannot_change_once_started(tiny_app: Application) -> None:
    async with TestServer(tiny_app):
        for change in (
            lambda: tiny_app.middlewares.append(passthrough),  # type: ignore[union-attr]
            lambda: tiny_app.middlewares.insert(0, passthrough),  # type: ignore[union-attr]
            lambda: tiny_app.middlewares.extend([passthrough]),  # type: ignore[union-attr]
        ):
            with pytest.raises(
                RuntimeError, match=r"cannot add or change middlewares after .* before run_app\(\)"
            ):
                change()
        assert tuple(tiny_app.middlewares) == ()
        assert isinstance(tiny_app.middlewares, tuple)


async def test_signal_receivers_cannot_be_added_once_started(tiny_app: Application) -> None:
    async with TestServer(tiny_app):
        with pytest.raises(
            RuntimeError, match=r"cannot change on_startup after the application has started"
        ):
            tiny_app.on_startup.append(lambda app: None)
        with pytest.raises(RuntimeError, match=r"cannot change on_cleanup after"):
            tiny_app.on_cleanup.append(lambda app: None)
