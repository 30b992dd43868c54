"""Kept for compatibility: the hook specifications live in ``jackfield.host.hookspecs``."""

from .host.hookspecs import PROJECT, hookimpl, hookspec

__all__ = ["PROJECT", "hookimpl", "hookspec"]
