"""The ``jackfield`` command: built-in subcommands plus those plugins contribute.

Built in: ``jackfield plugins`` (what is installed, or how one app is composed)
and ``jackfield serve`` (run an app with ``jackfield.runner.run_app``).
Plugins add subcommands through the ``jackfield_add_commands`` hook, called
once per process on a plugin manager holding every installed plugin; a plugin
that fails to load or to register its commands is reported on stderr and
skipped, so one broken distribution never takes the whole command down.

The current directory is put on ``sys.path`` first, as ``python -m`` does, so
``jackfield plugins myapp:init`` finds ``myapp`` where the user stands.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, TextIO

import attrs
import pluggy

from .. import __version__
from ..host import hookspecs
from ..host.host import PluginError, discover, info_for
from ._loader import AppLoadError, load_app, resolve_app
from ._options import (
    OptionError,
    add_serve_options,
    configure_logging,
    reload,
    run_options,
    without_reload,
)
from .runner import AddressInUseError, run_app

if TYPE_CHECKING:
    from ..app.app import Application

__all__ = ["Command", "CommandRegistry", "main"]

_NAME = re.compile(r"[a-z][a-z0-9-]*\Z")


@attrs.frozen
class Command:
    """One ``jackfield`` subcommand and the plugin that contributed it."""

    name: str
    help: str
    run: Callable[[argparse.Namespace], int]
    configure: Callable[[argparse.ArgumentParser], None] | None
    plugin: str


class CommandRegistry:
    """The subcommands of ``jackfield``; plugins add theirs in ``jackfield_add_commands``."""

    def __init__(self) -> None:
        self._commands: dict[str, Command] = {}
        self._owner = "jackfield"  # set by the CLI around each plugin's hook call

    def add(
        self,
        name: str,
        *,
        help: str,
        run: Callable[[argparse.Namespace], int],
        configure: Callable[[argparse.ArgumentParser], None] | None = None,
    ) -> None:
        """Add subcommand ``name``.

        ``configure(parser)`` adds its arguments to an ``argparse`` parser;
        ``run(namespace)`` does the work and returns the exit status. Raises
        ValueError for a malformed name or one that is already taken.
        """
        if not _NAME.match(name):
            raise ValueError(
                f"command name {name!r} must be lowercase letters, digits and dashes, "
                "starting with a letter"
            )
        if name in self._commands:
            other = self._commands[name].plugin
            raise ValueError(
                f"plugin {self._owner!r} adds command {name!r}, which plugin {other!r} "
                "already added; pick another name."
            )
        self._commands[name] = Command(name, help, run, configure, self._owner)

    def __contains__(self, name: object) -> bool:
        return name in self._commands

    def __iter__(self) -> Iterator[Command]:
        return iter(sorted(self._commands.values(), key=lambda c: c.name))

    def __len__(self) -> int:
        return len(self._commands)


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``jackfield`` with ``argv`` (default: ``sys.argv[1:]``); return the exit status."""
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    loaded = _load_installed(sys.stderr)
    commands = CommandRegistry()
    _add_builtin(commands)
    _add_from_plugins(commands, loaded, sys.stderr)
    parser = argparse.ArgumentParser(prog="jackfield", description="The jackfield web framework.")
    parser.add_argument("--version", action="version", version=f"jackfield {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for cmd in commands:
        if not _configures(cmd, sys.stderr):
            continue
        p = sub.add_parser(cmd.name, help=cmd.help, description=cmd.help)
        if cmd.configure is not None:
            cmd.configure(p)
        p.set_defaults(_jackfield_run=cmd.run, _jackfield_loaded=loaded)
    try:
        ns = parser.parse_args(argv)
    except SystemExit as exc:  # --help, or a usage error argparse already printed
        return exc.code if isinstance(exc.code, int) else 2
    if ns.command is None:
        parser.print_help(sys.stderr)
        return 2
    ns._jackfield_argv = list(sys.argv[1:] if argv is None else argv)
    try:
        return int(ns._jackfield_run(ns))
    except (AppLoadError, PluginError, OptionError, AddressInUseError) as exc:
        print(f"jackfield {ns.command}: error: {exc}", file=sys.stderr)
        return 2


def _configures(cmd: Command, err: TextIO) -> bool:
    """Try ``cmd.configure`` on a scratch parser, so a broken one is skipped, not fatal."""
    if cmd.configure is None:
        return True
    try:
        cmd.configure(argparse.ArgumentParser(prog=f"jackfield {cmd.name}"))
    except Exception as exc:
        print(
            f"jackfield: warning: command {cmd.name!r} of plugin {cmd.plugin!r} skipped: "
            f"its configure() raised {type(exc).__name__}: {exc}",
            file=err,
        )
        return False
    return True


def _load_installed(err: TextIO) -> dict[str, object | PluginError]:
    """Import every installed plugin once; report the broken ones on ``err``."""
    loaded: dict[str, object | PluginError] = {}
    for cand in discover().values():
        try:
            loaded[cand.name] = cand.load()
        except PluginError as exc:
            loaded[cand.name] = exc
            print(f"jackfield: warning: plugin {cand.name!r} skipped: {exc}", file=err)
    return loaded


def _add_from_plugins(
    commands: CommandRegistry, loaded: dict[str, object | PluginError], err: TextIO
) -> None:
    pm = pluggy.PluginManager(hookspecs.PROJECT)
    pm.add_hookspecs(hookspecs)
    for name, obj in loaded.items():
        if isinstance(obj, PluginError):
            continue
        try:
            pm.register(obj, name=name)
            pm.check_pending()
        except (pluggy.PluginValidationError, ValueError) as exc:
            if pm.has_plugin(name):
                pm.unregister(name=name)
            print(f"jackfield: warning: plugin {name!r} skipped: {exc}", file=err)
    # One plugin at a time, so a clash or a crash is pinned on the plugin that caused it.
    # Each implementation is called directly: pluggy's subset_hook_caller puts the
    # other plugins in a set, which fails for an unhashable plugin object (a
    # SimpleNamespace) and took every plugin's commands down with it (issue 18).
    hook_args = {"commands": commands}
    for impl in reversed(pm.hook.jackfield_add_commands.get_hookimpls()):
        name = str(pm.get_name(impl.plugin))
        commands._owner = name
        try:
            impl.function(*[hook_args[arg] for arg in impl.argnames])
        except Exception as exc:
            print(f"jackfield: warning: commands of plugin {name!r} skipped: {exc}", file=err)
    commands._owner = "jackfield"


# -- built-in commands --------------------------------------------------------------------------


def _add_builtin(commands: CommandRegistry) -> None:
    commands.add(
        "plugins",
        help="list installed plugins, or show how an app is composed",
        configure=_configure_plugins,
        run=_run_plugins,
    )
    commands.add(
        "serve",
        help="serve an application: jackfield serve package.module:init_func",
        configure=_configure_serve,
        run=_run_serve,
    )


def _app_arguments(parser: argparse.ArgumentParser, *, required: bool) -> None:
    parser.add_argument(
        "app",
        nargs=None if required else "?",
        metavar="package.module:init_func",
        help="the function that returns the application (called with the extra arguments)",
    )
    parser.add_argument("args", nargs=argparse.REMAINDER, help="passed to the init function")


def _configure_plugins(parser: argparse.ArgumentParser) -> None:
    _app_arguments(parser, required=False)


def _run_plugins(ns: argparse.Namespace) -> int:
    if ns.app is None:
        print(_installed_table(ns._jackfield_loaded))
        return 0
    app = load_app(ns.app, ns.args)
    print(_describe(app, ns.app))
    return 0


def _installed_table(loaded: dict[str, object | PluginError]) -> str:
    rows = []
    for cand in discover().values():
        obj = loaded.get(cand.name)
        try:
            if obj is None or isinstance(obj, PluginError):
                raise PluginError("not loaded")
            info = info_for(obj, default_name=cand.name)
        except PluginError:
            default, description = "broken", "(cannot be loaded; see the warning)"
        else:
            on = info.default and cand.builtin
            default = "yes" if on else "no"
            description = info.description
        rows.append((cand.name, cand.dist_name, cand.dist_version, default, description))
    if not rows:
        return "No jackfield plugins are installed."
    return _table(("PLUGIN", "DISTRIBUTION", "VERSION", "DEFAULT", "DESCRIPTION"), rows)


def _describe(app: Application, spec: str) -> str:
    host = app.plugins
    lines = [f"Plugins of {spec}, in call order:"]
    rows = [(f"{i}.", e.name, e.reason) for i, e in enumerate(host.enabled, 1)]
    lines.append(_indent(_table(("", "PLUGIN", "WHY IT IS ON"), rows)) if rows else "  (none)")
    lines += ["", "Hook implementations, in call order:"]
    hooks = [(hook, ", ".join(names) or "-") for hook, names in host.call_order().items()]
    lines.append(_indent(_table(("HOOK", "PLUGINS"), hooks)))
    lines += ["", "Middlewares, outermost first:"]
    mws = [f"  {i}. {_callable_name(mw)}" for i, mw in enumerate(app.middlewares, 1)]
    lines += mws or ["  (none)"]
    return "\n".join(lines)


def _configure_serve(parser: argparse.ArgumentParser) -> None:
    add_serve_options(parser)
    _app_arguments(parser, required=True)


def _say(text: str) -> None:
    print(text, file=sys.stderr)


def _run_serve(ns: argparse.Namespace) -> int:
    if ns.reload:
        if ns.workers is not None and ns.workers > 1:
            raise OptionError("--reload serves from one process; leave --workers out")
        argv: list[str] = ns._jackfield_argv
        rest = without_reload(argv[argv.index("serve") + 1 :])
        return reload([sys.executable, "-m", "jackfield", "serve", *rest], _say)
    # An async init function is awaited by the runner, in the loop that serves the app.
    app = resolve_app(ns.app, ns.args)
    options = run_options(ns, _say)
    configure_logging(ns.access_log)
    run_app(app, **options)
    return 0


# -- text formatting ----------------------------------------------------------------------------


def _table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    cells = [[str(c) for c in headers], *[[str(c) for c in row] for row in rows]]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    return "\n".join(
        "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in cells
    )


def _indent(text: str) -> str:
    return "\n".join("  " + line for line in text.splitlines())


def _callable_name(obj: object) -> str:
    name = getattr(obj, "__qualname__", None) or type(obj).__qualname__
    module = getattr(obj, "__module__", None)
    return f"{module}.{name}" if module else str(name)
