"""Kept for compatibility: the ``jackfield`` command lives in ``jackfield.runner.cli``."""

from .runner.cli import Command, CommandRegistry, main

__all__ = ["Command", "CommandRegistry", "main"]
