"""What an application's life needs besides the application: ``CleanupContext``.

``Application`` (``app.py``) is compiled in a compiled build; these classes
subclass builtins (``list``, ``tuple``, ``RuntimeError``), which mypyc cannot
compile as native classes, so they live here, pure Python in both builds.
``FrozenMiddlewares`` is what ``app.middlewares`` becomes once the
application is frozen.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import TYPE_CHECKING, Any, NoReturn

if TYPE_CHECKING:
    from .app import Application

__all__ = ["CleanupContext", "CleanupError", "FrozenMiddlewares"]


class FrozenMiddlewares(tuple[Callable[..., Any], ...]):
    """``app.middlewares`` once frozen: a tuple whose list methods say what went wrong."""

    def _refuse(self, *args: object) -> NoReturn:
        raise RuntimeError(
            "cannot add or change middlewares after the application has started; "
            "pass them to Application(middlewares=[...]) or add them before run_app()"
        )

    append = extend = insert = remove = _refuse


class CleanupContext(list[Callable[["Application"], AsyncIterator[None]]]):
    """Async generators run to their first ``yield`` at start-up, resumed at clean-up."""

    def __init__(self) -> None:
        super().__init__()
        self._running: list[AsyncIterator[None]] = []
        self._frozen = False

    def freeze(self) -> None:
        """Forbid further changes."""
        self._frozen = True

    def append(self, item: Callable[[Application], AsyncIterator[None]]) -> None:
        """Add a context generator function."""
        if self._frozen:
            raise RuntimeError(
                "cannot change cleanup_ctx after the application has started; "
                "add context generators before run_app()"
            )
        super().append(item)

    async def _on_startup(self, app: Application) -> None:
        for factory in self:
            it = factory(app).__aiter__()
            await it.__anext__()
            self._running.append(it)

    async def _on_cleanup(self, app: Application) -> None:
        errors: list[BaseException] = []
        while self._running:
            it = self._running.pop()
            try:
                await it.__anext__()
            except StopAsyncIteration:
                continue
            except Exception as exc:
                errors.append(exc)
            else:
                errors.append(RuntimeError(f"cleanup_ctx generator {it!r} has more than one yield"))
        if len(errors) == 1:
            raise errors[0]
        if errors:
            raise CleanupError("several errors while running cleanup_ctx", errors)


class CleanupError(RuntimeError):
    """More than one clean-up step failed; ``args[1]`` holds the errors."""
