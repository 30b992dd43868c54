"""jackfield: an asyncio HTTP/1.1 web framework on a pluggy microkernel.

Applications use ``from jackfield import web``; plugin authors use
``jackfield.hookimpl`` and the hook specifications in ``jackfield.hookspecs``.
"""

from .hookspecs import hookimpl, hookspec

__version__ = "0.1.0"

__all__ = ["__version__", "hookimpl", "hookspec"]
