"""Layer 6, plugin host: the hook specifications, discovery and one ``PluginHost`` per app.

Below the application, which creates its host when it is built; the hook
specifications mention ``Application`` in type annotations only.

The order of the layers and why: the ``jackfield`` package docstring.
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
