"""The expect plugin: the ``Expect`` request header (on by default).

What an application gets with it:

* ``Expect: 100-continue`` (HTTP/1.1): the request goes on; the kernel sends
  ``HTTP/1.1 100 Continue`` when the handler first reads the body, never
  before. A request refused without reading its body (401 from a
  middleware, 404, 405, a 413 because Content-Length is over
  ``client_max_size``) never makes the client send it.
* Any other expectation: ``417 Expectation Failed``.
* HTTP/1.0: expectations are ignored (RFC 9110 §10.1.1).
* Per route, ``expect_handler=`` on ``add_route``, every ``add_*`` shortcut,
  ``web.get(...)``-style definitions and ``RouteTableDef`` decorators
  replaces this default: it is awaited with the request after the headers
  arrive and before middlewares; ``None`` goes on, a response answers
  instead, an ``HTTPException`` is sent as the answer. A custom handler may
  write ``HTTP/1.1 100 Continue`` to ``request.transport`` itself, as the
  spec shows, or call ``send_continue(request)``; either way the kernel
  does not send a second one. To keep the default checks after your own,
  ``return await default_expect_handler(request)``.

How it plugs in: the kernel calls the matched route's ``expect_handler``
whenever a request has an ``Expect`` header. For routes without one, it uses
the application's default, which it asks for once, when the app freezes,
through the ``firstresult`` hook ``jackfield_default_expect_handler(app)``;
this plugin answers it (``trylast``, so another plugin can replace it).

Without this plugin the kernel still sends ``100 Continue`` lazily for
``100-continue`` and lets other expectations through unanswered (RFC 9110
§10.1.1 allows ignoring them); per-route expect handlers still run.
"""

from __future__ import annotations

from ._handler import CONTINUE_LINE, ExpectHandler, default_expect_handler, send_continue

__all__ = ["CONTINUE_LINE", "ExpectHandler", "default_expect_handler", "send_continue"]
