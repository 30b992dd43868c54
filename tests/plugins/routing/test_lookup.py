"""answer_at_once: the router's no-await cases give exactly the general walk's answer."""

from __future__ import annotations

import pytest

from jackfield import web
from jackfield.plugins.routing import UrlDispatcher
from jackfield.plugins.routing._lookup import answer_at_once
from jackfield.testing.testing import make_mocked_request

from .conftest import ok

CASES = [
    ("GET", "/"),  # a fixed path's table
    ("POST", "/"),  # a fixed path without the method: the walk answers 405
    ("PUT", "/any"),  # a '*' route of a fixed path
    ("GET", "/users/alice"),  # the common variable case
    ("DELETE", "/users/alice"),  # a variable path without the method: 405
    ("GET", "/users/alice/posts/7"),  # the run's regex picks the second resource
    ("GET", "/nowhere"),  # 404
    ("GET", "/sub/x"),  # a sub-application's path
]


@pytest.fixture
def app() -> web.Application:
    app = web.Application(plugins=["routing"])
    router = app.router
    router.add_get("/", ok)  # type: ignore[attr-defined]
    router.add_route("*", "/any", ok)  # type: ignore[attr-defined]
    router.add_get("/users/{name}", ok)  # type: ignore[attr-defined]
    router.add_get("/users/{name}/posts/{n:\\d+}", ok)  # type: ignore[attr-defined]
    sub = web.Application(plugins=["routing"])
    sub.router.add_get("/x", ok)  # type: ignore[attr-defined]
    app.add_subapp("/sub", sub)
    app.freeze()
    return app


@pytest.mark.parametrize(("method", "path"), CASES)
async def test_an_answer_at_once_is_the_general_walks_answer(
    app: web.Application, method: str, path: str
) -> None:
    router = app.router
    assert isinstance(router, UrlDispatcher)
    request = make_mocked_request(method, path, app=app)
    walked = await router._resolve_normalized(request, method, path)
    resolved = await router.resolve(request)
    assert type(resolved) is type(walked)
    assert dict(resolved) == dict(walked)
    assert resolved.route is walked.route
    assert resolved.apps == walked.apps
    assert resolved.http_exception.__class__ is walked.http_exception.__class__
    at_once = answer_at_once(router._compile(), (app,), method, path)
    if at_once is not None:  # when it answers, it answers the same
        assert at_once.route is walked.route and dict(at_once) == dict(walked)


def test_the_common_cases_are_answered_at_once(app: web.Application) -> None:
    router = app.router
    assert isinstance(router, UrlDispatcher)
    index = router._compile()
    answered = [
        (method, path)
        for method, path in CASES
        if answer_at_once(index, (app,), method, path) is not None
    ]
    assert answered == [
        ("GET", "/"),
        ("PUT", "/any"),
        ("GET", "/users/alice"),
        ("GET", "/users/alice/posts/7"),
    ]
