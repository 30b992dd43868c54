"""The static plugin's registration: on by default, requires routing, sets the router's provider."""

from __future__ import annotations

from pathlib import Path

import pytest

from jackfield import web
from jackfield.host.host import PluginDependencyError
from jackfield.plugins.static import StaticResource
from jackfield.plugins.static._hooks import plugin_info


def test_plugin_info() -> None:
    assert (plugin_info.name, plugin_info.default, plugin_info.requires) == (
        "static",
        True,
        ("routing",),
    )


def test_hook_configure_app_gives_the_default_app_add_static(tmp_path: Path) -> None:
    app = web.Application()
    resource = app.router.add_static("/s", tmp_path)
    assert isinstance(resource, StaticResource)
    assert list(app.router.resources()) == [resource]


def test_explicit_plugin_list_without_routing_is_an_error() -> None:
    with pytest.raises(PluginDependencyError, match="'static' requires plugin 'routing'"):
        web.Application(plugins=["static"])


def test_explicit_plugin_list_with_both(tmp_path: Path) -> None:
    app = web.Application(plugins=["routing", "static"])
    assert isinstance(app.router.add_static("/s", tmp_path), StaticResource)
