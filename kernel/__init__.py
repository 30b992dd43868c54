"""jackfield: an asyncio HTTP/1.1 web framework on a pluggy microkernel.

Applications use ``from jackfield import web``; plugin authors use
``jackfield.hookimpl`` and the hook specifications in ``jackfield.host.hookspecs``.

Layers, lowest first (a layer imports only the layers below it; import-linter's
``layers`` contract in pyproject.toml checks it): ``http`` (the codec),
``responses``, ``bodies``, ``requests``, ``server``, ``host``, ``app``,
``runner``, ``testing``.
Responses sit below bodies because a body error is an HTTP exception and an
HTTP exception is a response; requests, which read bodies, sit above both.
"""

from ._extensions import install_switch

install_switch()  # JACKFIELD_NO_EXTENSIONS=1: the pure-Python source, even when compiled

from .host.hookspecs import hookimpl, hookspec  # noqa: E402

__version__ = "0.1.0"

__all__ = ["__version__", "hookimpl", "hookspec"]
