"""Kept for compatibility: the access log lives in ``jackfield.server.accesslog``."""

from .server.accesslog import DEFAULT_FORMAT, DIRECTIVES, AccessLogger

__all__ = ["DEFAULT_FORMAT", "DIRECTIVES", "AccessLogger"]
