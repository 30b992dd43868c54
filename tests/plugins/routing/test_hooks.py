"""The routing plugin's hook implementations, through the plugin host."""

from __future__ import annotations

import warnings
from typing import Any

import pytest

from jackfield import hookimpl, web
from jackfield.app.abc import AbstractRouter
from jackfield.host.host import PluginInfo
from jackfield.plugins.routing import RouteShadowWarning, UrlDispatcher, _hooks, configure
from jackfield.runner.cli import CommandRegistry

from .conftest import ok, other


class OtherRouter(AbstractRouter):
    async def resolve(self, request: Any) -> Any:
        raise NotImplementedError

    def add_subapp(self, prefix: str, subapp: Any) -> Any:
        raise NotImplementedError

    def freeze(self) -> None:
        self.frozen = True


class OtherRouterPlugin:
    plugin_info = PluginInfo(name="other-router")

    @hookimpl
    def jackfield_make_router(self, app: web.Application) -> AbstractRouter:
        return OtherRouter()


def test_hook_make_router_gives_a_dispatcher_bound_to_the_app() -> None:
    app = web.Application(plugins=["routing"])
    assert isinstance(app.router, UrlDispatcher)
    assert app.router._app is app


def test_hook_make_router_is_on_by_default() -> None:
    assert isinstance(web.Application().router, UrlDispatcher)


def test_hook_make_router_is_replaced_by_a_third_party_router() -> None:
    app = web.Application(plugins=["routing", OtherRouterPlugin()])
    assert isinstance(app.router, OtherRouter)


def test_hook_make_router_is_trylast() -> None:
    assert _hooks.jackfield_make_router.jackfield_impl["trylast"] is True  # type: ignore[attr-defined]
    assert _hooks.plugin_info.name == "routing" and _hooks.plugin_info.default


def test_hook_app_freeze_freezes_the_router_and_warns() -> None:
    app = web.Application(plugins=["routing"])
    app.router.add_get("/x", ok)  # type: ignore[attr-defined]
    app.router.add_get("/y", ok)  # type: ignore[attr-defined]
    app.router.add_get("/x", other)  # type: ignore[attr-defined]
    with pytest.warns(RouteShadowWarning, match="other"):
        app.freeze()
    assert app.router.frozen  # type: ignore[attr-defined]
    with pytest.raises(RuntimeError, match="before run_app"):
        app.router.add_get("/z", ok)  # type: ignore[attr-defined]


def test_hook_app_freeze_freezes_subapp_routers_too() -> None:
    app, sub = web.Application(plugins=["routing"]), web.Application(plugins=["routing"])
    app.add_subapp("/sub", sub)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        app.freeze()
    assert sub.router.frozen  # type: ignore[attr-defined]


def test_kernel_freezes_a_foreign_router_through_the_abc() -> None:
    app = web.Application(plugins=["routing", OtherRouterPlugin()])
    app.freeze()
    # AbstractRouter.freeze() is part of the kernel's contract with any router.
    assert getattr(app.router, "frozen", False) is True


def test_configure_refuses_a_foreign_router() -> None:
    app = web.Application(plugins=["routing", OtherRouterPlugin()])
    with pytest.raises(TypeError, match="another plugin"):
        configure(app, strict=True)


def test_hook_add_commands_adds_routes() -> None:
    commands = CommandRegistry()
    _hooks.jackfield_add_commands(commands)
    assert "routes" in commands
