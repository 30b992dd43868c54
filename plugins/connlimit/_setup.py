"""Enabling the plugin: ``setup(app, per_ip=N)``."""

from __future__ import annotations

from jackfield.app import AppKey, Application

from ._limit import PerIPLimit

__all__ = ["LIMIT", "setup"]

LIMIT: AppKey[PerIPLimit] = AppKey("jackfield.connlimit.limit", PerIPLimit)
"""Where ``setup()`` keeps the application's ``PerIPLimit``."""


def setup(app: Application, *, per_ip: int) -> PerIPLimit:
    """Allow at most ``per_ip`` open connections per client IP address; return the gate.

    Call it on the application you serve (a sub-application's gate is not
    used), before ``run_app()``. Raises ``ValueError`` for a ``per_ip`` that
    is not a positive int, ``RuntimeError`` when called twice or too late.
    """
    from . import _hooks

    if LIMIT in app:
        raise RuntimeError(
            "connlimit.setup() was already called for this application; call it once"
        )
    limit = PerIPLimit(per_ip)  # checks per_ip before anything changes
    app.plugins.enable(_hooks, reason="enabled by connlimit.setup()")  # raises once frozen
    app[LIMIT] = limit
    return limit
