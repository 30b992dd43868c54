"""The application: state, middlewares, signals, sub-applications.

An ``Application`` is composed from plugins when it is created (the plugin host
enables them and asks for a router), configured by the user, then frozen when
the runner starts it. Freezing turns every list into an immutable one and
precomputes what the per-request path needs, so a request never touches the
plugin host: ``_handle`` (its work is ``_dispatch.dispatch``) resolves the
route, looks up the middleware chain that was built for that handler and app
chain, and awaits it.

Middlewares come in the two styles the spec shows: new style, marked with
``@middleware`` (``async def mw(request, handler)``), and old style factories
(``async def factory(app, handler) -> handler``), which the spec says are called
for every request; chains made only of new-style middlewares are built once and
cached per route.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import (
    AsyncIterator,
    Awaitable,
    Callable,
    Coroutine,
    Iterable,
    Iterator,
    MutableMapping,
    Sequence,
)
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar, cast, overload

from ..bodies.appkey import AppKey
from ..host.host import PluginHost
from ..server.server import make_server
from ._dispatch import dispatch
from .abc import no_expectation
from .signals import Signal

if TYPE_CHECKING:
    from ..plugins.routing import UrlDispatcher
    from ..requests.request import Request
    from ..responses.response import StreamResponse
    from ..server.admission import ConnectionGate
    from ..server.server import Server
    from .abc import AbstractMatchInfo, AbstractRouter, ExpectHandler

__all__ = ["AppKey", "Application", "CleanupContext", "middleware"]

_T = TypeVar("_T")
Handler = Callable[["Request"], Awaitable["StreamResponse"]]
Middleware = Callable[..., Any]
_F = TypeVar("_F", bound=Callable[..., Any])

# Past this many distinct (handler, app chain) pairs we stop caching chains:
# only custom resources that make a new handler per request get there.
_CHAIN_CACHE_MAX = 4096


def middleware(func: _F) -> _F:
    """Mark ``async def mw(request, handler)`` as a new-style middleware."""
    func.__middleware_version__ = 1  # type: ignore[attr-defined]
    return func


def _is_new_style(mw: Middleware) -> bool:
    return getattr(mw, "__middleware_version__", None) == 1


class _FrozenMiddlewares(tuple[Middleware, ...]):
    """``app.middlewares`` once frozen: a tuple whose list methods say what went wrong."""

    def _refuse(self, *args: object) -> NoReturn:
        raise RuntimeError(
            "cannot add or change middlewares after the application has started; "
            "pass them to Application(middlewares=[...]) or add them before run_app()"
        )

    append = extend = insert = remove = _refuse


class CleanupContext(list[Callable[["Application"], AsyncIterator[None]]]):
    """Async generators run to their first ``yield`` at start-up, resumed at clean-up."""

    def __init__(self) -> None:
        super().__init__()
        self._running: list[AsyncIterator[None]] = []
        self._frozen = False

    def freeze(self) -> None:
        """Forbid further changes."""
        self._frozen = True

    def append(self, item: Callable[[Application], AsyncIterator[None]]) -> None:
        """Add a context generator function."""
        if self._frozen:
            raise RuntimeError(
                "cannot change cleanup_ctx after the application has started; "
                "add context generators before run_app()"
            )
        super().append(item)

    async def _on_startup(self, app: Application) -> None:
        for factory in self:
            it = factory(app).__aiter__()
            await it.__anext__()
            self._running.append(it)

    async def _on_cleanup(self, app: Application) -> None:
        errors: list[BaseException] = []
        while self._running:
            it = self._running.pop()
            try:
                await it.__anext__()
            except StopAsyncIteration:
                continue
            except Exception as exc:
                errors.append(exc)
            else:
                errors.append(RuntimeError(f"cleanup_ctx generator {it!r} has more than one yield"))
        if len(errors) == 1:
            raise errors[0]
        if errors:
            raise CleanupError("several errors while running cleanup_ctx", errors)


class CleanupError(RuntimeError):
    """More than one clean-up step failed; ``args[1]`` holds the errors."""


class Application(MutableMapping[Any, Any]):
    """A web application: routes, state, middlewares and signals.

    ``plugins=None`` enables the installed plugins that are on by default;
    a list names exactly the plugins wanted (entry-point names or plugin
    objects). ``client_max_size`` bounds request bodies read whole (413 above).
    """

    def __init__(
        self,
        *,
        middlewares: Sequence[Middleware] = (),
        client_max_size: int | None = 1024**2,
        debug: bool = False,
        plugins: Sequence[str | object] | None = None,
        handler_args: MutableMapping[str, Any] | None = None,
        logger: logging.Logger | None = None,
    ) -> None:
        if client_max_size is not None and client_max_size < 0:
            raise ValueError(f"client_max_size must be >= 0, got {client_max_size}")
        self._state: dict[Any, Any] = {}
        self._frozen = False
        self._pre_frozen = False
        self._debug = debug
        self._client_max_size = client_max_size
        self._handler_args = handler_args
        self.logger = logger or logging.getLogger("jackfield.server")
        self._middlewares: list[Middleware] | tuple[Middleware, ...] = list(middlewares)
        for mw in self._middlewares:
            if not callable(mw):
                raise TypeError(f"middlewares must be callable, got {mw!r}")
        self._subapps: list[Application] = []
        self._parent: Application | None = None
        self._on_response_prepare = Signal("on_response_prepare")
        self._on_startup = Signal("on_startup")
        self._on_shutdown = Signal("on_shutdown")
        self._on_cleanup = Signal("on_cleanup")
        self._cleanup_ctx = CleanupContext()
        self._on_startup.append(self._cleanup_ctx._on_startup)
        self._on_cleanup.append(self._cleanup_ctx._on_cleanup)
        self._chain_cache: dict[tuple[Any, tuple[Application, ...]], Handler] = {}
        self._default_expect: ExpectHandler = no_expectation
        self._connection_gates: tuple[ConnectionGate, ...] = ()
        self._has_prepare_receivers = False
        self._router: AbstractRouter | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._shutdown_waiters: list[Callable[[], Awaitable[object]]] = []
        self._host: PluginHost = PluginHost(self, plugins)
        self._host.compose(self._install_router)

    def _install_router(self, router: AbstractRouter | None) -> None:
        self._router = router

    # -- identity: an app is a mapping, but two apps are never "equal"
    __hash__ = object.__hash__

    def __eq__(self, other: object) -> bool:
        return self is other

    def __repr__(self) -> str:
        return f"<Application 0x{id(self):x}>"

    def __bool__(self) -> bool:
        return True

    # -- state
    @overload  # type: ignore[override]
    def __getitem__(self, key: AppKey[_T]) -> _T: ...
    @overload
    def __getitem__(self, key: str) -> Any: ...
    def __getitem__(self, key: Any) -> Any:
        return self._state[key]

    def _check_frozen(self, what: str, where: str) -> None:
        if self._frozen:
            raise RuntimeError(
                f"cannot {what} after the application has started; {where}. "
                "For state that changes while serving, store a mutable object "
                "(a dict, a list) under a key before start-up and change that object."
            )

    def __setitem__(self, key: Any, value: Any) -> None:
        self._check_frozen(f"set app[{key!r}]", "set it before run_app() or in on_startup")
        self._state[key] = value

    def __delitem__(self, key: Any) -> None:
        self._check_frozen(f"delete app[{key!r}]", "delete it before run_app()")
        del self._state[key]

    def __len__(self) -> int:
        return len(self._state)

    def __iter__(self) -> Iterator[Any]:
        return iter(self._state)

    # -- configuration
    @property
    def router(self) -> UrlDispatcher:
        """The router the routing plugin (or its replacement) provided.

        Typed as the routing plugin's ``UrlDispatcher`` (an import for type
        checkers only: at run time the kernel does not know the plugin). A
        replacement router implements ``jackfield.app.AbstractRouter``; cast
        ``app.router`` to its own type.
        """
        if self._router is None:
            enabled = ", ".join(self._host.enabled_names()) or "none"
            raise RuntimeError(
                "this application has no router: no enabled plugin implements "
                f"jackfield_make_router (enabled plugins: {enabled}). Enable 'routing' "
                "or another router plugin: Application(plugins=[..., 'routing'])"
            )
        return cast("UrlDispatcher", self._router)

    def add_routes(self, routes: Iterable[Any]) -> list[Any]:
        """Register route definitions (``web.get(...)``, a ``RouteTableDef``) on the router.

        Short for ``app.router.add_routes(routes)``; returns the routes added.
        """
        return list(self.router.add_routes(routes))

    @property
    def plugins(self) -> PluginHost:
        """The plugin host composing this application."""
        return self._host

    @property
    def connection_gates(self) -> tuple[ConnectionGate, ...]:
        """The gates plugins gave ``jackfield_connection_gate`` (empty until frozen)."""
        return self._connection_gates

    @property
    def middlewares(self) -> list[Middleware] | tuple[Middleware, ...]:
        """The middlewares, outermost first (a tuple once frozen)."""
        return self._middlewares

    @property
    def debug(self) -> bool:
        """Debug mode: tracebacks in 500 responses."""
        return self._debug

    @property
    def client_max_size(self) -> int | None:
        """Largest request body read whole by ``read()``/``post()``, in bytes.

        ``None`` (for a sub-application) inherits the parent application's.
        """
        return self._client_max_size

    @property
    def on_response_prepare(self) -> Signal:
        """Receivers ``(request, response)`` called before headers are sent."""
        return self._on_response_prepare

    @property
    def on_startup(self) -> Signal:
        """Receivers ``(app)`` called when the server starts."""
        return self._on_startup

    @property
    def on_shutdown(self) -> Signal:
        """Receivers ``(app)`` called when graceful shutdown begins."""
        return self._on_shutdown

    @property
    def on_cleanup(self) -> Signal:
        """Receivers ``(app)`` called after the last connection closed."""
        return self._on_cleanup

    @property
    def cleanup_ctx(self) -> CleanupContext:
        """Async generators wrapped around the application's life."""
        return self._cleanup_ctx

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        """The event loop serving the application, once it has started.

        Set when ``startup()`` runs (``run_app()``, ``AppRunner.setup()``), so
        ``on_startup`` receivers may call ``app.loop.create_task(...)``; after
        ``make_handler()`` it is the loop running the server. Raises
        RuntimeError before that.
        """
        loop = self._loop
        if loop is not None:
            return loop
        if self._frozen:  # served through make_handler() without startup()
            try:
                return asyncio.get_running_loop()
            except RuntimeError:
                pass
        raise RuntimeError(
            "app.loop is only known once the application has started: use it in "
            "on_startup receivers, handlers and later, or call "
            "asyncio.get_running_loop() in your own coroutine"
        )

    @property
    def frozen(self) -> bool:
        """True once the application has started serving."""
        return self._frozen

    @property
    def pre_frozen(self) -> bool:
        """True once the application is being frozen."""
        return self._pre_frozen

    def add_subapp(self, prefix: str, subapp: Application) -> Any:
        """Serve ``subapp`` under ``prefix``; its signals follow this app's."""
        self._check_frozen("add a sub-application", "add sub-applications before run_app()")
        if subapp is self:
            raise ValueError("an application cannot be its own sub-application")
        if subapp._parent is not None or subapp._frozen:
            raise RuntimeError(
                f"{subapp!r} is already attached or running; create one application "
                "object per mount point"
            )
        resource = self.router.add_subapp(prefix, subapp)
        subapp._parent = self
        self._subapps.append(subapp)
        self._on_startup.append(subapp._startup_as_subapp)
        self._on_shutdown.append(subapp._shutdown_as_subapp)
        self._on_cleanup.append(subapp._cleanup_as_subapp)
        return resource

    async def _startup_as_subapp(self, _parent: Application) -> None:
        await self.startup()

    async def _shutdown_as_subapp(self, _parent: Application) -> None:
        await self.shutdown()

    async def _cleanup_as_subapp(self, _parent: Application) -> None:
        await self.cleanup()

    # -- life cycle
    def make_handler(self, **kwargs: Any) -> Server:
        """Freeze the app and return a protocol factory for ``loop.create_server()``.

        For the spec's manual procedure; ``run_app()`` and ``AppRunner`` do all of
        this for you. The keywords are ``AppRunner``'s access-log options
        (``access_log``, ``access_log_format``, ``access_log_class``) and
        ``Server``'s. ``on_startup`` is not sent: ``await app.startup()`` first
        if the app has start-up receivers. Stop with ``await
        handler.shutdown(timeout)`` between ``app.shutdown()`` and ``app.cleanup()``.
        """
        if self._parent is not None:
            raise RuntimeError(
                f"{self!r} is a sub-application; call make_handler() on the root application"
            )
        server = make_server(self, **kwargs)  # before freezing: a bad keyword changes nothing
        self.freeze()
        return server

    def add_shutdown_waiter(self, waiter: Callable[[], Awaitable[object]]) -> None:
        """Have graceful shutdown wait for ``await waiter()`` as well as for requests.

        Graceful shutdown (``run_app()``, ``AppRunner.cleanup()``, or
        ``Server.shutdown(timeout)``) lets in-flight requests finish, then awaits
        the waiters of this application and of its sub-applications together,
        all within the one shutdown timeout, and sends ``on_cleanup`` after
        that. A waiter only waits for work to end (the jobs plugin waits for its
        jobs); when the time runs out it is cancelled and ``on_cleanup`` deals
        with what is left.
        """
        if not callable(waiter):
            raise TypeError(f"a shutdown waiter must be callable, got {waiter!r}")
        self._shutdown_waiters.append(waiter)

    async def _wait_shutdown_waiters(self) -> None:
        waits = [w() for w in self._shutdown_waiters]
        waits += [sub._wait_shutdown_waiters() for sub in self._subapps]
        if waits:
            await asyncio.gather(*waits)

    def pre_freeze(self) -> None:
        """Freeze signals and middlewares; plugins check their configuration."""
        if self._pre_frozen:
            return
        self._pre_frozen = True
        self._middlewares = _FrozenMiddlewares(self._middlewares)
        for signal in (self._on_response_prepare, self._on_startup, self._on_shutdown):
            signal.freeze()
        self._on_cleanup.freeze()
        self._cleanup_ctx.freeze()
        if self._router is not None:
            self._router.freeze()
        self._host.freeze()
        provided = self._host.hook.jackfield_default_expect_handler(app=self)
        if provided is not None:
            self._default_expect = provided
        gates = self._host.hook.jackfield_connection_gate(app=self)
        self._connection_gates = tuple(g for g in gates if g is not None)
        for sub in self._subapps:
            sub.pre_freeze()

    def freeze(self) -> None:
        """Freeze the application; after this, configuration changes raise."""
        if self._frozen:
            return
        self.pre_freeze()
        self._frozen = True
        for sub in self._subapps:
            sub.freeze()
        self._has_prepare_receivers = self._any_prepare_receivers()

    def _any_prepare_receivers(self) -> bool:
        return bool(self._on_response_prepare) or any(
            s._any_prepare_receivers() for s in self._subapps
        )

    async def startup(self) -> None:
        """Send ``on_startup`` (sub-applications included); ``app.loop`` is set from here on."""
        self._loop = asyncio.get_running_loop()
        await self._on_startup.send(self)

    async def shutdown(self) -> None:
        """Send ``on_shutdown`` (sub-applications included)."""
        await self._on_shutdown.send(self)

    async def cleanup(self) -> None:
        """Send ``on_cleanup`` (sub-applications included)."""
        await self._on_cleanup.send(self)

    # -- per request
    def _handle(self, request: Request) -> Coroutine[Any, Any, StreamResponse]:
        """Route ``request`` and run it through its middleware chain (the app's part of a request).

        The work is ``dispatch`` (``_dispatch.py``), which a compiled build
        compiles; a plain method returning its coroutine, not an ``async def``
        awaiting it: one coroutine per request, not two.
        """
        return dispatch(self, request)

    def _build_chain(self, match_info: AbstractMatchInfo, key: Any) -> Handler | None:
        apps = match_info.apps
        handler: Handler = match_info.handler
        for app in reversed(apps):
            for mw in reversed(app._middlewares):
                if not _is_new_style(mw):
                    return None
                handler = _bind(mw, handler)
        if key is not None and len(self._chain_cache) < _CHAIN_CACHE_MAX:
            self._chain_cache[key] = handler
        return handler

    async def _old_style_chain(
        self, match_info: AbstractMatchInfo, request: Request
    ) -> StreamResponse:
        handler: Handler = match_info.handler
        for app in reversed(match_info.apps):
            for mw in reversed(app._middlewares):
                if _is_new_style(mw):
                    handler = _bind(mw, handler)
                else:
                    handler = await mw(app, handler)
        return await handler(request)


def _bind(mw: Middleware, nxt: Handler) -> Handler:
    # A lambda, not an ``async def``: it hands back the middleware's own
    # coroutine, so each middleware costs one frame per request, not two.
    return cast(Handler, lambda request: mw(request, nxt))
