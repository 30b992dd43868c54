"""Turn ``package.module:init_func`` into an ``Application`` for the command line.

The spec names a module and an attribute in it (dotted attributes work:
``pkg.mod:factories.make_app``). The attribute is either

* a callable, called with the command line's extra arguments as one list
  (``init_func(argv)``) and returning an ``Application``. If it returns an
  awaitable (an ``async def`` init function), ``load_app`` runs it to
  completion in a fresh event loop, which works only when no loop is running
  in this thread; anything it binds to that loop is gone afterwards, so open
  connections and pools in ``on_startup`` or ``cleanup_ctx`` instead.
  ``resolve_app`` hands the awaitable back instead, for a runner that awaits
  it in the loop it serves from (``jackfield serve`` does this); or
* an ``Application`` instance (``package.module:app``), used as it is; extra
  arguments are then an error, since nothing could receive them.

Every failure is an ``AppLoadError`` whose message says what to fix; errors
raised inside the user's module body or init function propagate unchanged,
because their traceback is what the user needs.
"""

from __future__ import annotations

import asyncio
import importlib
import inspect
import traceback
from collections.abc import Awaitable, Generator
from types import ModuleType
from typing import Any, TypeVar

from ..app.app import Application

__all__ = ["AppLoadError", "load_app", "resolve_app"]

_T = TypeVar("_T")


class AppLoadError(Exception):
    """``package.module:init_func`` could not be turned into an application."""


def load_app(spec: str, argv: list[str] | None = None) -> Application:
    """Return the application that ``spec`` (``package.module:init_func``) names.

    ``argv`` is passed as one list to the init function; an awaitable result is
    run in a fresh event loop (see the module docstring). Raises ``AppLoadError``.
    """
    result = _resolve(spec, argv)
    if isinstance(result, Application):
        return result
    return _check(_run(result, spec), spec)


def resolve_app(spec: str, argv: list[str] | None = None) -> Application | Awaitable[Application]:
    """Like ``load_app``, but hand back an async init function's awaitable unawaited.

    For runners that await it in their own loop; awaiting it raises
    ``AppLoadError`` if it does not produce an ``Application``.
    """
    result = _resolve(spec, argv)
    if isinstance(result, Application):
        return result
    return _CheckedApp(result, spec)


def _resolve(spec: str, argv: list[str] | None) -> Application | Awaitable[object]:
    argv = [] if argv is None else list(argv)
    module_name, sep, attr_path = spec.partition(":")
    if not sep or not module_name or not attr_path:
        raise AppLoadError(
            f"{spec!r} is not of the form 'package.module:init_func'; name the module, "
            "a colon, then the function that returns the application (or the application)."
        )
    target = _attribute(_import(module_name, spec), attr_path, spec)
    if isinstance(target, Application):
        if argv:
            raise AppLoadError(
                f"{spec!r} is an application, not an init function, so it cannot take the "
                f"arguments {argv!r}; point at a function that accepts them."
            )
        return target
    if not callable(target):
        raise AppLoadError(
            f"{spec!r} is a {type(target).__name__} ({target!r}), neither a callable that "
            "returns an application nor an application."
        )
    result = target(argv)
    return result if inspect.isawaitable(result) else _check(result, spec)


def _check(result: object, spec: str) -> Application:
    if not isinstance(result, Application):
        raise AppLoadError(
            f"{spec!r} returned {result!r} ({type(result).__name__}), not an Application; "
            "make it return the app it builds."
        )
    return result


class _CheckedApp:
    """An async init function's awaitable, giving the ``Application`` or raising ``AppLoadError``.

    ``close()`` closes the init function's coroutine: ``run_app(workers=N)``
    hands a copy to each worker process and closes its own, never awaited,
    which must not warn "coroutine ... was never awaited".
    """

    def __init__(self, awaitable: Awaitable[object], spec: str) -> None:
        self._awaitable = awaitable
        self._spec = spec

    def __await__(self) -> Generator[Any, None, Application]:
        return _checked(self._awaitable, self._spec).__await__()

    def close(self) -> None:
        """Discard the awaitable without awaiting it."""
        if inspect.iscoroutine(self._awaitable):
            self._awaitable.close()


async def _checked(awaitable: Awaitable[object], spec: str) -> Application:
    return _check(await awaitable, spec)


def _import(module_name: str, spec: str) -> ModuleType:
    try:
        return importlib.import_module(module_name)
    except SyntaxError as exc:
        raise AppLoadError(
            f"cannot import module {module_name!r} of {spec!r}: {exc.msg} "
            f"({exc.filename}, line {exc.lineno})"
        ) from exc
    except ImportError as exc:
        missing = exc.name if isinstance(exc, ModuleNotFoundError) else None
        if missing and module_name.startswith(missing):  # the module named in spec
            hint = (
                " Check the spelling, and run the command from the folder that holds the "
                "package (or add that folder to PYTHONPATH)."
            )
        else:  # an import inside the user's code failed: say where
            where = _import_site(exc)
            hint = f" It is imported at {where}." if where else ""
            if missing:
                hint += f" Install the distribution that provides {missing!r}."
        raise AppLoadError(
            f"cannot import module {module_name!r} of {spec!r}: {type(exc).__name__}: {exc}.{hint}"
        ) from exc


def _import_site(exc: BaseException) -> str | None:
    """``file, line N`` of the innermost import statement in the user's code."""
    site = None
    for frame, lineno in traceback.walk_tb(exc.__traceback__):
        filename = frame.f_code.co_filename
        if not filename.startswith("<") and "importlib" not in filename:
            site = f"{filename}, line {lineno}"
    return site


def _attribute(module: ModuleType, attr_path: str, spec: str) -> Any:
    obj: Any = module
    for part in attr_path.split("."):
        try:
            obj = getattr(obj, part)
        except AttributeError:
            raise AppLoadError(
                f"{spec!r}: {obj.__name__ if obj is module else repr(obj)} has no attribute "
                f"{part!r}. {_suggest(module)}"
            ) from None
    return obj


def _suggest(module: ModuleType) -> str:
    names = sorted(
        name
        for name, value in vars(module).items()
        if not name.startswith("_")
        and (
            isinstance(value, Application)
            or (inspect.isfunction(value) and value.__module__ == module.__name__)
        )
    )
    if not names:
        return f"Module {module.__name__!r} defines no public functions."
    shown = ", ".join(names[:8]) + (", ..." if len(names) > 8 else "")
    return f"Functions and applications in {module.__name__!r}: {shown}."


def _run(awaitable: Awaitable[_T], spec: str) -> _T:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        pass
    else:
        if inspect.iscoroutine(awaitable):
            awaitable.close()  # never awaited: close it to silence the RuntimeWarning
        raise AppLoadError(
            f"{spec!r} is an async init function, but an event loop is already running in "
            "this thread; await jackfield.runner.resolve_app(...) in it instead."
        )

    async def wait() -> _T:
        return await awaitable

    return asyncio.run(wait())
