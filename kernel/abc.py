"""Kept for compatibility: the router ABCs live in ``jackfield.app.abc``."""

from .app.abc import AbstractMatchInfo, AbstractRouter, no_expectation

__all__ = ["AbstractMatchInfo", "AbstractRouter", "no_expectation"]
