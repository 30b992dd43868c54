"""Which jackfield plugins are installed, what they declare, and the plugin errors.

Discovery reads the entry-point group ``jackfield.plugins`` of every installed
distribution once per process (``discover(refresh=True)`` reads again). An
entry point names a plugin's hooks module; nothing is imported until
``PluginCandidate.load()``. A plugin declares its metadata as module-level data,
``plugin_info = PluginInfo(...)``; ``info_for`` supplies a default for plugin
objects without one. ``jackfield.host`` re-exports all public names here.

Invariant: only plugins shipped in the ``jackfield`` distribution can be on by
default, so installing a distribution never changes an app that did not ask.
"""

from __future__ import annotations

import importlib.metadata
import re
import warnings
from collections.abc import Iterable, Mapping, Sequence
from types import MappingProxyType
from typing import cast

import attrs

__all__ = [
    "GROUP",
    "PluginCandidate",
    "PluginDependencyError",
    "PluginError",
    "PluginInfo",
    "PluginLoadError",
    "PluginNotFoundError",
    "discover",
    "info_for",
]


#: The entry-point group plugins are published under.
GROUP = "jackfield.plugins"

# Only plugins from these distributions may be on by default (see module docstring).
_DEFAULTS_FROM = frozenset({"jackfield"})


class PluginError(Exception):
    """Base class of the errors the plugin host raises."""


class PluginNotFoundError(PluginError, LookupError):
    """No installed plugin has the requested name."""


class PluginDependencyError(PluginError):
    """A plugin's requirement is not enabled, or ordering constraints form a cycle."""


class PluginLoadError(PluginError):
    """A plugin could not be imported or is malformed (bad ``plugin_info``, unknown hook)."""


def _names(value: Iterable[str] | str) -> tuple[str, ...]:
    if isinstance(value, str):
        # ``requires="routing"`` would otherwise become ('r', 'o', ...).
        raise TypeError(f"expected a tuple of plugin names, got the string {value!r}")
    return tuple(value)


@attrs.frozen
class PluginInfo:
    """Metadata a plugin declares as ``plugin_info`` in its hooks module.

    ``requires``: plugins that must be enabled too (they are ordered first).
    ``before``/``after``: ordering only; ignored for plugins that are not enabled.
    ``provides``: other names this plugin answers to in ``requires``/``before``/
    ``after`` (a replacement router may provide ``"routing"``).
    ``default``: on in ``Application()``; honoured only for plugins shipped with
    jackfield itself.
    """

    name: str = attrs.field(validator=attrs.validators.min_len(1))
    default: bool = False
    requires: tuple[str, ...] = attrs.field(default=(), converter=_names)
    before: tuple[str, ...] = attrs.field(default=(), converter=_names)
    after: tuple[str, ...] = attrs.field(default=(), converter=_names)
    provides: tuple[str, ...] = attrs.field(default=(), converter=_names)
    description: str = ""


@attrs.frozen
class PluginCandidate:
    """An installed plugin found through its entry point (not imported yet)."""

    name: str
    value: str
    dist_name: str
    dist_version: str

    @property
    def builtin(self) -> bool:
        """True if the plugin ships with jackfield itself."""
        return _normalize(self.dist_name) in _DEFAULTS_FROM

    def load(self) -> object:
        """Import the plugin's hooks module (or object) and return it."""
        ep = importlib.metadata.EntryPoint(self.name, self.value, GROUP)
        try:
            return cast(object, ep.load())
        except Exception as exc:
            raise PluginLoadError(
                f"cannot load jackfield plugin {self.name!r} ({self.value!r} from "
                f"{self.dist_name} {self.dist_version}): {type(exc).__name__}: {exc}. "
                "Reinstall the distribution or remove it."
            ) from exc


def _normalize(dist_name: str) -> str:
    return re.sub(r"[-_.]+", "-", dist_name).lower()


_cache: Mapping[str, PluginCandidate] | None = None


def discover(
    refresh: bool = False, *, path: Sequence[str] | None = None
) -> Mapping[str, PluginCandidate]:
    """Return the installed plugins by entry-point name, sorted (cached per process).

    ``refresh=True`` reads the installed distributions again (after installing
    one at run time). ``path`` (with ``refresh=True``) searches only those
    folders instead of ``sys.path``, and the cache then holds that view until
    the next refresh: tests use it to keep installed plugins out. If two
    distributions publish the same name, the first found wins and a warning
    says so.
    """
    global _cache
    if path is not None and not refresh:
        raise ValueError("discover(path=...) needs refresh=True")
    if _cache is not None and not refresh:
        return _cache
    dists = (
        importlib.metadata.distributions()
        if path is None
        else importlib.metadata.distributions(path=list(path))
    )
    found: dict[str, PluginCandidate] = {}
    seen_dists: set[str] = set()
    for dist in dists:
        dist_name = dist.metadata["Name"] or "?"
        if _normalize(dist_name) in seen_dists:
            continue  # shadowed by an earlier copy on sys.path, as imports would be
        seen_dists.add(_normalize(dist_name))
        for ep in dist.entry_points.select(group=GROUP):
            cand = PluginCandidate(ep.name, ep.value, dist_name, dist.version)
            other = found.setdefault(ep.name, cand)
            if other is not cand:
                warnings.warn(
                    f"jackfield plugin {ep.name!r} is published by both {other.dist_name} and "
                    f"{dist_name}; using the one from {other.dist_name}. Uninstall one of them.",
                    RuntimeWarning,
                    stacklevel=2,
                )
    _cache = MappingProxyType(dict(sorted(found.items())))
    return _cache


def info_for(plugin: object, default_name: str | None = None) -> PluginInfo:
    """Return ``plugin.plugin_info``, or a default ``PluginInfo`` if it has none.

    The default is named ``default_name``, else the object's ``__name__``
    (modules, classes), else its class name (instances); it is off by default
    and has no requirements.
    """
    info = getattr(plugin, "plugin_info", None)
    if info is None:
        name = default_name or getattr(plugin, "__name__", None) or type(plugin).__name__
        return PluginInfo(name=str(name))
    if not isinstance(info, PluginInfo):
        raise PluginLoadError(
            f"plugin {plugin!r} has a plugin_info of type {type(info).__name__}; "
            "it must be jackfield.host.PluginInfo(name=...)"
        )
    return info
