"""``setup(app, storage)``: the user's way to enable the sessions plugin.

It records the storage under ``STORAGE_KEY`` and enables the plugin through
the plugin host (with the reason shown by ``jackfield plugins``); the
plugin's ``jackfield_configure_app`` hook then installs the middleware (first)
and the ``on_response_prepare`` receiver.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from jackfield.app import AppKey

from ._storage import AbstractStorage

if TYPE_CHECKING:
    from jackfield.app import Application

__all__ = ["STORAGE_KEY", "setup"]

#: Where ``setup()`` keeps the application's session storage.
STORAGE_KEY: AppKey[AbstractStorage] = AppKey("jackfield.sessions.storage", AbstractStorage)


def setup(app: Application, storage: AbstractStorage) -> None:
    """Give ``app`` sessions kept by ``storage``; handlers call ``get_session(request)``.

    Sessions are saved when the response is prepared, including streamed
    responses and WebSocket handshakes. Raises ``TypeError`` for something
    that is not a storage, ``RuntimeError`` when called twice for one app or
    after the app started.
    """
    from . import _hooks

    if not isinstance(storage, AbstractStorage):
        raise TypeError(
            f"storage must be a jackfield.plugins.sessions storage (an AbstractStorage: "
            f"EncryptedCookieStorage, RedisStorage, MemoryStorage ...), got {storage!r}"
        )
    if app.frozen or app.pre_frozen:
        raise RuntimeError(
            "sessions.setup(app, storage) came after the application started; "
            "call it while building the app, before run_app()"
        )
    if STORAGE_KEY in app:
        raise RuntimeError(
            f"sessions.setup() was already called for this application (storage "
            f"{app[STORAGE_KEY]!r}); call it once per application"
        )
    app[STORAGE_KEY] = storage
    try:
        newly = app.plugins.enable(_hooks, reason="enabled by sessions.setup()")
        if not newly:  # enabled by name in plugins=[...]: its configure hook already ran
            _hooks.install(app)
    except BaseException:
        del app[STORAGE_KEY]
        raise
