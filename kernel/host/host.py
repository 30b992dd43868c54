"""The plugin host: decides which plugins an application gets, and orders them.

It owns one pluggy ``PluginManager`` per application, so two applications in
one process never see each other's plugins. Discovery and plugin metadata
(``discover``, ``PluginInfo``, the errors) live in ``jackfield.host._discovery`` and
are re-exported here: plugin authors import them from ``jackfield.host``.

Invariants:

* The plugins of an app are registered in *plugin order*: a topological sort
  of ``requires``/``before``/``after`` that otherwise keeps the order they were
  asked for in. pluggy calls the last registered implementation first, so the
  host registers in reverse: every hook call follows plugin order (modulo
  ``tryfirst``/``trylast``, which still win).
* After any registration, unknown ``jackfield_*`` hooks fail loudly.
* A failed ``enable()`` leaves the host as it was.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, cast

import attrs
import pluggy

from . import hookspecs
from ._discovery import (
    GROUP,
    PluginCandidate,
    PluginDependencyError,
    PluginError,
    PluginInfo,
    PluginLoadError,
    PluginNotFoundError,
    discover,
    info_for,
)

if TYPE_CHECKING:
    from ..app.abc import AbstractRouter
    from ..app.app import Application

__all__ = [
    "GROUP",
    "EnabledPlugin",
    "PluginCandidate",
    "PluginDependencyError",
    "PluginError",
    "PluginHost",
    "PluginInfo",
    "PluginLoadError",
    "PluginNotFoundError",
    "discover",
    "info_for",
]

REASON_DEFAULT = "default"
REASON_NAMED = "named in Application(plugins=...)"


@attrs.frozen
class EnabledPlugin:
    """One plugin enabled in an application, and why it is on."""

    name: str
    plugin: object
    reason: str
    info: PluginInfo


@attrs.frozen
class _Want:
    plugin: object
    info: PluginInfo
    reason: str


class PluginHost:
    """The plugins of one application, in plugin order, and their pluggy manager.

    ``plugins=None`` enables the default plugins (and what they require);
    a sequence enables exactly those: strings are entry-point names, other
    objects are plugins registered as they are. Raises ``PluginNotFoundError``,
    ``PluginDependencyError`` or ``PluginLoadError`` at once.

    ``app`` only needs a ``frozen`` attribute besides being passed to hooks.
    """

    def __init__(self, app: Application, plugins: Sequence[str | object] | None = None) -> None:
        self._app = app
        self._pm = pluggy.PluginManager(hookspecs.PROJECT)
        self._pm.add_hookspecs(hookspecs)
        self._enabled: list[EnabledPlugin] = []
        # With defaults, requirements are pulled in; with an explicit list, they are errors.
        self._auto_requires = plugins is None
        self._composed = False
        self._frozen = False
        if plugins is None:
            wants = [
                _Want(p, info, REASON_DEFAULT)
                for p, info in (self._load(c) for c in discover().values() if c.builtin)
                if info.default
            ]
        else:
            wants = [self._want(p, REASON_NAMED) for p in plugins]
        self._add(wants)

    def __repr__(self) -> str:
        return f"<PluginHost [{', '.join(self.enabled_names())}]>"

    # -- read-only views
    @property
    def pm(self) -> pluggy.PluginManager:
        """The pluggy plugin manager of this application."""
        return self._pm

    @property
    def hook(self) -> pluggy.HookRelay:
        """The hook relay: ``host.hook.jackfield_configure_app(app=app)``."""
        return self._pm.hook

    @property
    def enabled(self) -> tuple[EnabledPlugin, ...]:
        """The enabled plugins in plugin order (the order hooks are called in)."""
        return tuple(self._enabled)

    def enabled_names(self) -> list[str]:
        """The names of the enabled plugins, in plugin order."""
        return [e.name for e in self._enabled]

    def is_enabled(self, name: str) -> bool:
        """True if a plugin named ``name`` is enabled in this application."""
        return any(e.name == name for e in self._enabled)

    def call_order(self) -> dict[str, list[str]]:
        """Each hook's implementing plugins, in the order a call runs them."""
        order: dict[str, list[str]] = {}
        for name in sorted(n for n in dir(hookspecs) if n.startswith("jackfield_")):
            impls = getattr(self._pm.hook, name).get_hookimpls()
            # pluggy runs the list back to front (wrappers sit at the end).
            order[name] = [str(self._pm.get_name(i.plugin)) for i in reversed(impls)]
        return order

    # -- composition and life cycle
    def make_router(self) -> AbstractRouter | None:
        """Ask ``jackfield_make_router`` for the app's router (``None``: no router)."""
        return cast("AbstractRouter | None", self.hook.jackfield_make_router(app=self._app))

    def configure_app(self) -> None:
        """Call ``jackfield_configure_app`` on every enabled plugin (once)."""
        if self._composed:
            raise RuntimeError("the application was already configured by its plugins")
        self._composed = True
        self.hook.jackfield_configure_app(app=self._app)

    def compose(
        self, install_router: Callable[[AbstractRouter | None], object] | None = None
    ) -> AbstractRouter | None:
        """Make the router, then configure the app; return the router (or ``None``).

        ``install_router`` is called with the router before
        ``jackfield_configure_app`` runs, so plugins configuring the app can use
        ``app.router``; pass it unless the app can find its router otherwise.
        """
        router = self.make_router()
        if install_router is not None:
            install_router(router)
        self.configure_app()
        return router

    def freeze(self) -> None:
        """Call ``jackfield_app_freeze`` once; afterwards ``enable()`` refuses."""
        if self._frozen:
            return
        self._frozen = True
        self.hook.jackfield_app_freeze(app=self._app)

    def enable(self, plugin: str | object, *, reason: str) -> bool:
        """Enable ``plugin`` (a name or a plugin object) now; False if it already was.

        For plugins' ``setup(app, ...)``: ``reason`` is shown by ``enabled`` and
        ``jackfield plugins`` (say ``"enabled by sessions.setup()"``). Requirements
        are checked as at creation. If the app was already composed, the newly
        enabled plugins get ``jackfield_configure_app`` (them alone, in plugin
        order); the router is not made again. Raises RuntimeError once frozen.
        """
        label = plugin if isinstance(plugin, str) else info_for(plugin).name
        if self._frozen or getattr(self._app, "frozen", False):
            raise RuntimeError(
                f"cannot enable plugin {label!r} ({reason}): the application is already "
                "frozen. Call the plugin's setup(app, ...) before run_app() starts the app."
            )
        for e in self._enabled:
            if e.plugin is plugin or (isinstance(plugin, str) and e.name == plugin):
                return False
        new = self._add([self._want(plugin, reason)])
        if self._composed and new:
            others = [e.plugin for e in self._enabled if e not in new]
            self._pm.subset_hook_caller("jackfield_configure_app", others)(app=self._app)
        return True

    # -- internals
    def _load(self, cand: PluginCandidate) -> tuple[object, PluginInfo]:
        obj = cand.load()
        info = info_for(obj, default_name=cand.name)
        if info.name != cand.name:
            raise PluginLoadError(
                f"plugin entry point {cand.name!r} ({cand.dist_name}) loads a plugin whose "
                f"plugin_info is named {info.name!r}; the two names must be the same."
            )
        return obj, info

    def _want(self, plugin: str | object, reason: str) -> _Want:
        if not isinstance(plugin, str):
            return _Want(plugin, info_for(plugin), reason)
        found = discover()
        if plugin not in found:
            close = difflib.get_close_matches(plugin, list(found), n=1)
            hint = f"Did you mean {close[0]!r}? " if close else ""
            raise PluginNotFoundError(
                f"no jackfield plugin named {plugin!r}; installed: "
                f"{', '.join(sorted(found)) or 'none'}. {hint}Check the spelling or "
                "install the distribution that provides it."
            )
        return _Want(*self._load(found[plugin]), reason=reason)

    def _add(self, wants: list[_Want]) -> list[EnabledPlugin]:
        """Add ``wants`` (and required plugins), re-register all in order; return the new."""
        new: list[EnabledPlugin] = []
        taken = {e.name: e for e in self._enabled}
        for w in wants:
            other = taken.get(w.info.name)
            if other is not None and other.plugin is w.plugin:
                continue  # the same plugin asked for twice
            if other is not None:
                raise PluginLoadError(
                    f"two different plugins are named {w.info.name!r}: {other.plugin!r} and "
                    f"{w.plugin!r}; give one a plugin_info with another name."
                )
            rec = EnabledPlugin(w.info.name, w.plugin, w.reason, w.info)
            taken[rec.name] = rec
            new.append(rec)
        new += self._requirements(list(taken.values()), taken)
        ordered = _order(list(taken.values()))
        self._register(ordered, self._enabled)
        self._enabled = ordered
        return [e for e in ordered if e in new]

    def _requirements(
        self, todo: list[EnabledPlugin], taken: dict[str, EnabledPlugin]
    ) -> list[EnabledPlugin]:
        added: list[EnabledPlugin] = []
        while todo:
            rec = todo.pop(0)
            for req in rec.info.requires:
                if _provider(req, taken.values()) is not None:
                    continue
                if not self._auto_requires or req not in discover():
                    raise _missing(rec.name, req, req in discover())
                obj, info = self._load(discover()[req])
                dep = EnabledPlugin(info.name, obj, f"required by {rec.name!r}", info)
                taken[dep.name] = dep
                added.append(dep)
                todo.append(dep)
        return added

    def _register(self, ordered: list[EnabledPlugin], previous: list[EnabledPlugin]) -> None:
        for e in previous:
            self._pm.unregister(e.plugin)
        try:
            # pluggy calls the last registered first: register backwards.
            for e in reversed(ordered):
                self._pm.register(e.plugin, name=e.name)
            self._validate(ordered)
        except BaseException:
            for e in ordered:
                if self._pm.is_registered(e.plugin):
                    self._pm.unregister(e.plugin)
            for e in reversed(previous):
                self._pm.register(e.plugin, name=e.name)
            raise

    def _validate(self, ordered: list[EnabledPlugin]) -> None:
        known = [n for n in dir(hookspecs) if n.startswith("jackfield_")]
        for e in ordered:
            for attr in dir(e.plugin):
                if not attr.startswith("jackfield_") or not callable(getattr(e.plugin, attr)):
                    continue
                if attr not in known:
                    close = difflib.get_close_matches(attr, known, n=1)
                    hint = f" Did you mean {close[0]!r}?" if close else ""
                    raise PluginLoadError(
                        f"plugin {e.name!r} defines {attr!r}, which is not a jackfield hook."
                        f"{hint} Hooks are listed in jackfield.host.hookspecs."
                    )
                if self._pm.parse_hookimpl_opts(e.plugin, attr) is None:
                    raise PluginLoadError(
                        f"plugin {e.name!r} defines hook {attr!r} without @hookimpl, so it "
                        "would never be called; decorate it with jackfield.hookimpl."
                    )
        try:
            self._pm.check_pending()
        except pluggy.PluginValidationError as exc:
            raise PluginLoadError(
                f"{exc}; the hooks are listed in jackfield.host.hookspecs"
            ) from exc


def _missing(name: str, req: str, installed: bool) -> PluginDependencyError:
    where = (
        ""
        if installed
        else f" It is not installed either: install the distribution that provides {req!r}."
    )
    return PluginDependencyError(
        f"plugin {name!r} requires plugin {req!r}, which is not enabled. Enable {req!r} "
        f"too: Application(plugins=[..., {req!r}]).{where}"
    )


def _provider(name: str, recs: Iterable[EnabledPlugin]) -> EnabledPlugin | None:
    for e in recs:
        if e.name == name or name in e.info.provides:
            return e
    return None


def _order(recs: list[EnabledPlugin]) -> list[EnabledPlugin]:
    """Sort topologically: each plugin as early as its input position allows.

    Plugins are taken in input order; before one is placed, whatever must
    precede it (its ``requires`` and ``after``, and plugins naming it in
    ``before``) is placed first, depth first. Raises on a cycle.
    """
    index = {id(e): i for i, e in enumerate(recs)}
    preds: dict[int, set[int]] = {i: set() for i in range(len(recs))}
    for i, e in enumerate(recs):
        for name in (*e.info.requires, *e.info.after):
            other = _provider(name, recs)
            if other is not None and other is not e:  # absent plugins: nothing to honour
                preds[i].add(index[id(other)])
        for name in e.info.before:
            other = _provider(name, recs)
            if other is not None and other is not e:
                preds[index[id(other)]].add(i)
    out: list[int] = []
    done: set[int] = set()
    stack: list[int] = []

    def visit(i: int) -> None:
        if i in done:
            return
        if i in stack:
            loop = [*stack[stack.index(i) :], i][::-1]
            names = " -> ".join(repr(recs[j].name) for j in loop)
            raise PluginDependencyError(
                f"the plugins {names} must each come before the next (requires/before/after "
                "in their plugin_info), which is a cycle. Drop one of these constraints."
            )
        stack.append(i)
        for p in sorted(preds[i]):
            visit(p)
        stack.pop()
        done.add(i)
        out.append(i)

    for i in range(len(recs)):
        visit(i)
    return [recs[i] for i in out]
