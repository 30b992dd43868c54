"""The README's demo: a greeting, a JSON endpoint and a form.

Serve it with ``python examples/demo.py`` (port 8080) or
``python -m jackfield.web -P 8080 examples.demo:init_func``.
"""

from __future__ import annotations

from jackfield import web

routes = web.RouteTableDef()


@routes.get("/")
async def index(request: web.Request) -> web.Response:
    return web.Response(text="Hello, world")


@routes.get("/users/{name}")
async def user(request: web.Request) -> web.Response:
    return web.json_response({"name": request.match_info["name"]})


@routes.post("/echo")
async def echo(request: web.Request) -> web.Response:
    form = await request.post()
    return web.json_response(dict(form))


def init_func(argv: list[str] | None = None) -> web.Application:
    """Build the demo application (the CLI passes unparsed arguments as ``argv``)."""
    app = web.Application()
    app.router.add_routes(routes)
    return app


if __name__ == "__main__":
    web.run_app(init_func(), host="127.0.0.1", port=8080)
