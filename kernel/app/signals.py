"""Signals: ordered lists of receivers that the application sends in order.

A receiver may be a plain function or a coroutine function; coroutine results
are awaited before the next receiver runs. A signal is frozen with its
application, after which adding a receiver is an error.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable
from typing import Any

__all__ = ["Signal"]


class Signal(list[Callable[..., Any]]):
    """A list of receivers called in the order they were added."""

    __slots__ = ("_frozen", "_name")

    def __init__(self, name: str = "signal", receivers: Iterable[Callable[..., Any]] = ()) -> None:
        super().__init__(receivers)
        self._name = name
        self._frozen = False

    @property
    def frozen(self) -> bool:
        """True once the owning application has frozen."""
        return self._frozen

    def freeze(self) -> None:
        """Forbid further changes."""
        self._frozen = True

    async def send(self, *args: Any, **kwargs: Any) -> None:
        """Call every receiver with the arguments, awaiting coroutine results."""
        for receiver in self:
            result = receiver(*args, **kwargs)
            if inspect.isawaitable(result):
                await result

    def _check(self) -> None:
        if self._frozen:
            raise RuntimeError(
                f"cannot change {self._name} after the application has started; "
                "connect receivers before run_app() or AppRunner.setup()"
            )

    def append(self, receiver: Callable[..., Any]) -> None:
        """Add a receiver at the end."""
        self._check()
        if not callable(receiver):
            raise TypeError(f"{self._name} receivers must be callable, got {receiver!r}")
        super().append(receiver)

    def insert(self, index: Any, receiver: Callable[..., Any]) -> None:
        """Add a receiver at ``index``."""
        self._check()
        super().insert(index, receiver)

    def extend(self, receivers: Iterable[Callable[..., Any]]) -> None:
        """Add several receivers at the end."""
        for receiver in receivers:
            self.append(receiver)

    def remove(self, receiver: Callable[..., Any]) -> None:
        """Remove a receiver."""
        self._check()
        super().remove(receiver)

    def clear(self) -> None:
        """Remove every receiver."""
        self._check()
        super().clear()

    def __setitem__(self, index: Any, value: Any) -> None:
        self._check()
        super().__setitem__(index, value)

    def __delitem__(self, index: Any) -> None:
        self._check()
        super().__delitem__(index)

    def __iadd__(self, other: Iterable[Callable[..., Any]]) -> Signal:  # type: ignore[override,misc]
        self.extend(other)
        return self

    def __repr__(self) -> str:
        return f"<Signal {self._name} frozen={self._frozen} {list(self)!r}>"

    __hash__ = object.__hash__  # type: ignore[assignment]
