"""The template globals ``url()`` and ``static()``, and the ``request_processor``.

Both helpers reach the router only through its documented extension point:
``app.router.named_resources()`` and each resource's ``url_for(**parts)``.
``static()`` does not know the static plugin: it asks the route named
``"static"`` for ``url_for(filename=path)``, which is how that plugin's
resources build URLs (and where they append a version when asked to); an
``app[STATIC_ROOT_URL]`` setting takes precedence, for files served elsewhere.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from ._jinja import jinja2
from ._keys import STATIC_ROOT_URL

if TYPE_CHECKING:
    from jackfield.app import Application
    from jackfield.requests import Request

__all__ = ["make_static", "request_processor", "url"]

STATIC_ROUTE = "static"
"""The route name ``static()`` looks for: ``add_static(prefix, folder, name="static")``."""


def request_processor(request: Request) -> Mapping[str, Any]:
    """A context processor that makes ``request`` available to every template."""
    return {"request": request}


def _current_app(context: jinja2.runtime.Context, helper: str) -> Application:
    app = context.get("app")
    if app is None:
        raise RuntimeError(
            f"{helper}() needs the application in the template context; render with "
            "templates.render_template/render_string or @template, which put it there"
        )
    return app  # type: ignore[no-any-return]


@jinja2.pass_context
def url(
    context: jinja2.runtime.Context,
    route_name: str,
    /,
    *,
    query_: Mapping[str, Any] | None = None,
    **parts: Any,
) -> str:
    """``url('route-name', part=value, query_={...})``: the URL of a named route."""
    app = _current_app(context, "url")
    resources = app.router.named_resources()
    try:
        resource = resources[route_name]
    except KeyError:
        known = ", ".join(sorted(resources)) or "none"
        raise RuntimeError(
            f"url(): no route named {route_name!r} in this application; named routes: "
            f"{known}. Give the route name= when you add it."
        ) from None
    built = resource.url_for(**{k: str(v) for k, v in parts.items()})
    if query_:
        built = built.with_query(query_)
    return str(built)


def make_static(owner: Application) -> Callable[..., str]:
    """Return the ``static(path)`` global of the environment ``owner`` set up."""

    @jinja2.pass_context
    def static(context: jinja2.runtime.Context, path: str) -> str:
        """``static('css/site.css')``: the URL of a static file."""
        apps = [_current_app(context, "static")]
        if owner is not apps[0]:
            apps.append(owner)
        for app in apps:
            root = app.get(STATIC_ROOT_URL)
            if root is not None:
                return f"{root.rstrip('/')}/{path.lstrip('/')}"
            resource = app.router.named_resources().get(STATIC_ROUTE)
            if resource is not None:
                return str(resource.url_for(filename=path))
        raise RuntimeError(
            f"static({path!r}): no static files configured; add a static route named "
            f"{STATIC_ROUTE!r} (app.router.add_static('/static', folder, name='static')) or "
            "set app[templates.STATIC_ROOT_URL] = '/static'"
        )

    return static
