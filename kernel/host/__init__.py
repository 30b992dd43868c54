"""Layer 6, plugin host: the hook specifications, discovery and one ``PluginHost`` per app.

Below the application, which creates its host when it is built; the hook
specifications mention ``Application`` in type annotations only.

Layers, lowest first (a layer imports only the layers below it; import-linter's
``layers`` contract in pyproject.toml checks it): ``http`` (the codec),
``responses``, ``bodies``, ``requests``, ``server``, ``host``, ``app``,
``runner``, ``testing``.
Responses sit below bodies because a body error is an HTTP exception and an
HTTP exception is a response; requests, which read bodies, sit above both.
"""

from .hookspecs import PROJECT, hookimpl, hookspec
from .host import (
    GROUP,
    EnabledPlugin,
    PluginCandidate,
    PluginDependencyError,
    PluginError,
    PluginHost,
    PluginInfo,
    PluginLoadError,
    PluginNotFoundError,
    discover,
    info_for,
)

__all__ = [
    "GROUP",
    "PROJECT",
    "EnabledPlugin",
    "PluginCandidate",
    "PluginDependencyError",
    "PluginError",
    "PluginHost",
    "PluginInfo",
    "PluginLoadError",
    "PluginNotFoundError",
    "discover",
    "hookimpl",
    "hookspec",
    "info_for",
]
