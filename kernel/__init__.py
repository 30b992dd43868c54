"""jackfield: an asyncio HTTP/1.1 web framework on a pluggy microkernel.

Applications use ``from jackfield import web``; plugin authors use
``jackfield.hookimpl`` and the hook specifications in ``jackfield.host.hookspecs``.
"""

from ._extensions import install_switch

install_switch()  # JACKFIELD_NO_EXTENSIONS=1: the pure-Python source, even when compiled

from .host.hookspecs import hookimpl, hookspec  # noqa: E402

__version__ = "0.1.0"

__all__ = ["__version__", "hookimpl", "hookspec"]
