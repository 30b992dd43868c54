"""The plugin host: discovery, choosing and ordering plugins, one manager per app.

Every test sees only the distributions it writes into ``tmp_path`` (the
``dists`` fixture), unless it asks for the installed ones. A test app is a
dict with a ``frozen`` attribute: the host needs nothing more.
"""

from __future__ import annotations

import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from jackfield import hookimpl
from jackfield.host.host import (
    PluginDependencyError,
    PluginHost,
    PluginInfo,
    PluginLoadError,
    PluginNotFoundError,
    discover,
    info_for,
)

WriteDist = Callable[..., Path]


class FakeApp(dict[str, Any]):
    frozen = False
    __hash__ = object.__hash__


@pytest.fixture
def app() -> FakeApp:
    return FakeApp()


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path) -> Iterator[None]:
    """Discovery sees only distributions written into ``tmp_path``, not installed ones."""
    discover(refresh=True, path=[str(tmp_path)])
    yield
    discover(refresh=True)


@pytest.fixture
def dists(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[WriteDist]:
    """``write(dist, version, {ep_name: module}, {relative_path: source})`` installs a dist.

    Its modules are importable during the test and unloaded afterwards.
    """
    monkeypatch.syspath_prepend(str(tmp_path))
    packages: set[str] = set()

    def write(dist: str, version: str, entry_points: dict[str, str], files: dict[str, str]) -> Path:
        info = tmp_path / f"{dist}-{version}.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(
            f"Metadata-Version: 2.1\nName: {dist}\nVersion: {version}\n", encoding="utf-8"
        )
        eps = "".join(f"{k} = {v}\n" for k, v in entry_points.items())
        (info / "entry_points.txt").write_text(f"[jackfield.plugins]\n{eps}", encoding="utf-8")
        for rel, source in files.items():
            path = tmp_path / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(textwrap.dedent(source), encoding="utf-8")
            packages.add(rel.split("/")[0].removesuffix(".py"))
        discover(refresh=True, path=[str(tmp_path)])
        return tmp_path

    yield write
    for name in list(sys.modules):
        if name.split(".")[0] in packages:
            del sys.modules[name]


HELLO = """
    from jackfield.host.host import PluginInfo
    from jackfield.host.hookspecs import hookimpl

    plugin_info = PluginInfo(name="hello", default=False, description="says hello")

    @hookimpl
    def jackfield_configure_app(app):
        app["hello"] = True
"""


@pytest.fixture
def hello(dists: WriteDist) -> None:
    """A third-party distribution ``myplugin 1.0`` publishing the plugin ``hello``."""
    dists(
        "myplugin",
        "1.0",
        {"hello": "hello_jf._hooks"},
        {"hello_jf/__init__.py": "", "hello_jf/_hooks.py": HELLO},
    )


def plugin_module(name: str, *, default: bool = True, requires: str = "()", **extra: str) -> str:
    """Source of a hooks module that records its configure call in ``app["calls"]``."""
    opts = "".join(f", {k}={v}" for k, v in extra.items())
    return f"""
        from jackfield.host.host import PluginInfo
        from jackfield.host.hookspecs import hookimpl

        plugin_info = PluginInfo(name={name!r}, default={default}, requires={requires}{opts})

        @hookimpl
        def jackfield_configure_app(app):
            app.setdefault("calls", []).append({name!r})
    """


class Recorder:
    """A plugin object that records which hooks ran, in one shared list."""

    def __init__(self, name: str, log: list[str], **info: Any) -> None:
        self.plugin_info = PluginInfo(name=name, **info)
        self.log = log

    @hookimpl
    def jackfield_configure_app(self, app: Any) -> None:
        self.log.append(self.plugin_info.name)

    @hookimpl
    def jackfield_app_freeze(self, app: Any) -> None:
        self.log.append(f"freeze:{self.plugin_info.name}")


# -- discovery -----------------------------------------------------------------------------------


def test_third_party_plugin_is_discovered_with_its_distribution(hello: None) -> None:
    cand = discover()["hello"]
    assert (cand.name, cand.value, cand.dist_name, cand.dist_version) == (
        "hello",
        "hello_jf._hooks",
        "myplugin",
        "1.0",
    )
    assert not cand.builtin
    assert list(discover()) == ["hello"]  # installed plugins are kept out


def test_discovery_is_cached_until_refreshed(dists: WriteDist) -> None:
    before = discover()
    dists("late", "2.0", {"late": "late_jf"}, {"late_jf.py": ""})
    assert "late" not in before
    assert discover() is discover()
    assert "late" in discover()


def test_discover_path_needs_refresh(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="refresh=True"):
        discover(path=[str(tmp_path)])


def test_installed_plugins_include_the_standard_router() -> None:
    cand = discover(refresh=True)["routing"]
    assert cand.value == "jackfield.plugins.routing._hooks"
    assert cand.dist_name == "jackfield"
    assert cand.builtin


def test_broken_plugin_import_names_the_plugin_and_distribution(
    app: FakeApp, dists: WriteDist
) -> None:
    dists("badplug", "0.3", {"bad": "bad_jf"}, {"bad_jf.py": "import no_such_module_xyz\n"})
    with pytest.raises(PluginLoadError, match=r"'bad'.*badplug 0\.3.*no_such_module_xyz"):
        PluginHost(app, ["bad"])


# -- choosing plugins ----------------------------------------------------------------------------


def test_third_party_plugin_enabled_by_name(app: FakeApp, hello: None) -> None:
    h = PluginHost(app, ["hello"])
    assert h.enabled_names() == ["hello"]
    assert h.enabled[0].reason == "named in Application(plugins=...)"
    assert h.enabled[0].info.description == "says hello"
    assert h.compose() is None
    assert app["hello"] is True


def test_third_party_plugin_absent_from_apps_that_did_not_ask(hello: None) -> None:
    asked, default, other = FakeApp(), FakeApp(), FakeApp()
    PluginHost(asked, ["hello"]).compose()
    for a, plugins in ((default, None), (other, [])):
        h = PluginHost(a, plugins)
        h.compose()
        assert not h.is_enabled("hello")
        assert "hello" not in a
    assert asked["hello"] is True


def test_only_plugins_shipped_with_jackfield_are_on_by_default(
    app: FakeApp, dists: WriteDist
) -> None:
    dists(
        "jackfield",
        "9.9",
        {"core": "core_jf", "extra": "extra_jf"},
        {"core_jf.py": plugin_module("core"), "extra_jf.py": plugin_module("extra", default=False)},
    )
    dists("pushy", "1.0", {"pushy": "pushy_jf"}, {"pushy_jf.py": plugin_module("pushy")})
    h = PluginHost(app, None)
    assert [(e.name, e.reason) for e in h.enabled] == [("core", "default")]


def test_defaults_pull_in_what_they_require(app: FakeApp, dists: WriteDist) -> None:
    dists(
        "jackfield",
        "9.9",
        {"base": "base_jf", "top": "top_jf"},
        {
            "base_jf.py": plugin_module("base", default=False),
            "top_jf.py": plugin_module("top", requires="('base',)"),
        },
    )
    h = PluginHost(app, None)
    assert [(e.name, e.reason) for e in h.enabled] == [
        ("base", "required by 'top'"),
        ("top", "default"),
    ]


def test_unknown_name_lists_installed_plugins(app: FakeApp, hello: None, dists: WriteDist) -> None:
    dists("zed", "1.0", {"zed": "zed_jf"}, {"zed_jf.py": ""})
    with pytest.raises(PluginNotFoundError) as info:
        PluginHost(app, ["helo"])
    assert isinstance(info.value, LookupError)
    msg = str(info.value)
    assert "no jackfield plugin named 'helo'; installed: hello, zed." in msg
    assert "Did you mean 'hello'?" in msg


def test_missing_requirement_says_how_to_fix(app: FakeApp, dists: WriteDist) -> None:
    dists(
        "jackfield",
        "9.9",
        {"routing": "r_jf", "static": "s_jf"},
        {
            "r_jf.py": plugin_module("routing"),
            "s_jf.py": plugin_module("static", requires="('routing',)"),
        },
    )
    with pytest.raises(PluginDependencyError) as info:
        PluginHost(app, ["static"])
    msg = str(info.value)
    assert "'static' requires plugin 'routing'" in msg
    assert "Application(plugins=[..., 'routing'])" in msg
    assert "not installed" not in msg


def test_missing_requirement_not_installed_says_so(app: FakeApp) -> None:
    log: list[str] = []
    with pytest.raises(PluginDependencyError, match="not installed either"):
        PluginHost(app, [Recorder("static", log, requires=("routing",))])


def test_replacement_satisfies_requirement_through_provides(app: FakeApp) -> None:
    log: list[str] = []
    plugins = [
        Recorder("static", log, requires=("routing",)),
        Recorder("fast", log, provides=("routing",)),
    ]
    h = PluginHost(app, plugins)
    assert h.enabled_names() == ["fast", "static"]


def test_two_plugins_with_one_name_are_refused(app: FakeApp) -> None:
    log: list[str] = []
    with pytest.raises(PluginLoadError, match="two different plugins are named 'x'"):
        PluginHost(app, [Recorder("x", log), Recorder("x", log)])


def test_same_plugin_named_twice_is_enabled_once(app: FakeApp, hello: None) -> None:
    assert PluginHost(app, ["hello", "hello"]).enabled_names() == ["hello"]


def test_entry_point_and_plugin_info_names_must_agree(app: FakeApp, dists: WriteDist) -> None:
    dists("oops", "1.0", {"oops": "oops_jf"}, {"oops_jf.py": plugin_module("other")})
    with pytest.raises(PluginLoadError, match=r"'oops'.*named 'other'"):
        PluginHost(app, ["oops"])


def test_two_apps_never_see_each_others_plugins() -> None:
    log: list[str] = []
    a, b = FakeApp(), FakeApp()
    ha = PluginHost(a, [Recorder("one", log)])
    hb = PluginHost(b, [Recorder("two", log)])
    assert ha.pm is not hb.pm
    ha.compose()
    assert log == ["one"]
    assert hb.call_order()["jackfield_configure_app"] == ["two"]


# -- ordering ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("infos", "expected"),
    [
        ({"a": {}, "b": {}, "c": {}}, ["a", "b", "c"]),
        ({"a": {"requires": ("c",)}, "b": {}, "c": {}}, ["c", "a", "b"]),
        ({"a": {"after": ("b",)}, "b": {}, "c": {}}, ["b", "a", "c"]),
        ({"a": {}, "b": {}, "c": {"before": ("a",)}}, ["c", "a", "b"]),
        ({"a": {"after": ("ghost",), "before": ("ghost",)}, "b": {}}, ["a", "b"]),
        ({"a": {"after": ("c",)}, "b": {"before": ("c",)}, "c": {}}, ["b", "c", "a"]),
        ({"a": {"after": ("c",)}, "b": {}, "c": {"after": ("b",)}}, ["b", "c", "a"]),
    ],
    ids=[
        "keeps-given-order",
        "requires-first",
        "after",
        "before",
        "absent-ignored",
        "before-and-after",
        "chain",
    ],
)
def test_hooks_run_in_plugin_order(
    app: FakeApp, infos: dict[str, dict[str, Any]], expected: list[str]
) -> None:
    log: list[str] = []
    h = PluginHost(app, [Recorder(n, log, **i) for n, i in infos.items()])
    assert h.enabled_names() == expected
    assert h.call_order()["jackfield_configure_app"] == expected
    h.compose()
    h.freeze()
    assert log == expected + [f"freeze:{n}" for n in expected]


@pytest.mark.parametrize(
    ("infos", "cycle"),
    [
        ({"a": {"after": ("b",)}, "b": {"after": ("a",)}}, "'a' -> 'b' -> 'a'"),
        ({"a": {"requires": ("b",), "before": ("b",)}, "b": {}}, "'a' -> 'b' -> 'a'"),
        (
            {"x": {}, "a": {"after": ("c",)}, "b": {"after": ("a",)}, "c": {"after": ("b",)}},
            "'a' -> 'b' -> 'c' -> 'a'",
        ),
    ],
    ids=["after-after", "requires-vs-before", "three-way"],
)
def test_ordering_cycle_names_the_plugins(
    app: FakeApp, infos: dict[str, dict[str, Any]], cycle: str
) -> None:
    log: list[str] = []
    with pytest.raises(PluginDependencyError) as info:
        PluginHost(app, [Recorder(n, log, **i) for n, i in infos.items()])
    assert cycle in str(info.value)
    assert "'x'" not in str(info.value)


def test_firstresult_router_builtin_trylast_is_replaced(app: FakeApp) -> None:
    class Builtin:
        plugin_info = PluginInfo(name="routing")

        @hookimpl(trylast=True)
        def jackfield_make_router(self, app: Any) -> str:
            return "builtin"

    class Third:
        @hookimpl
        def jackfield_make_router(self, app: Any) -> str:
            return "third"

    assert PluginHost(app, [Builtin()]).make_router() == "builtin"
    assert PluginHost(FakeApp(), [Third(), Builtin()]).make_router() == "third"
    assert PluginHost(FakeApp(), [Builtin(), Third()]).make_router() == "third"


def test_compose_installs_router_before_configure(app: FakeApp) -> None:
    seen: list[Any] = []

    class Plugin:
        @hookimpl
        def jackfield_make_router(self, app: Any) -> str:
            return "router"

        @hookimpl
        def jackfield_configure_app(self, app: Any) -> None:
            seen.append(app.get("router"))

    router = PluginHost(app, [Plugin()]).compose(lambda r: app.__setitem__("router", r))
    assert router == "router"
    assert seen == ["router"]


# -- validation ----------------------------------------------------------------------------------


def test_misspelled_hook_fails_loudly(app: FakeApp) -> None:
    class Typo:
        @hookimpl
        def jackfield_configure_ap(self, app: Any) -> None: ...

    with pytest.raises(PluginLoadError, match="Did you mean 'jackfield_configure_app'"):
        PluginHost(app, [Typo()])


def test_hook_without_hookimpl_fails_loudly(app: FakeApp) -> None:
    class Unmarked:
        def jackfield_configure_app(self, app: Any) -> None: ...

    with pytest.raises(PluginLoadError, match="without @hookimpl"):
        PluginHost(app, [Unmarked()])


def test_unknown_hook_argument_fails_loudly(app: FakeApp) -> None:
    class BadArgs:
        @hookimpl
        def jackfield_configure_app(self, app: Any, request: Any) -> None: ...

    with pytest.raises(Exception, match="request"):
        PluginHost(app, [BadArgs()])


def test_plugin_info_must_be_a_plugininfo(app: FakeApp) -> None:
    class Odd:
        plugin_info = {"name": "odd"}

    with pytest.raises(PluginLoadError, match=r"jackfield\.host\.PluginInfo"):
        PluginHost(app, [Odd()])


def test_plugin_info_refuses_a_bare_string_of_names() -> None:
    with pytest.raises(TypeError, match="'routing'"):
        PluginInfo(name="x", requires="routing")  # type: ignore[arg-type]


def test_default_info_named_after_the_object() -> None:
    class Klass:
        pass

    assert info_for(sys.modules[__name__]).name == __name__
    assert info_for(Klass).name == "Klass"
    assert info_for(Klass()).name == "Klass"
    assert info_for(Klass(), default_name="ep").name == "ep"
    assert info_for(Klass()) == PluginInfo(name="Klass", default=False)


# -- enabling later (setup) ----------------------------------------------------------------------


def test_enable_configures_only_the_new_plugin(app: FakeApp, hello: None) -> None:
    log: list[str] = []
    h = PluginHost(app, [Recorder("first", log)])
    h.compose()
    assert h.enable("hello", reason="enabled by hello.setup()") is True
    assert log == ["first"]  # not configured twice
    assert app["hello"] is True
    assert h.is_enabled("hello")
    assert [(e.name, e.reason) for e in h.enabled] == [
        ("first", "named in Application(plugins=...)"),
        ("hello", "enabled by hello.setup()"),
    ]
    assert h.enable("hello", reason="again") is False


def test_enable_before_compose_defers_configuration(app: FakeApp) -> None:
    log: list[str] = []
    h = PluginHost(app, [])
    late = Recorder("late", log)
    assert h.enable(late, reason="enabled by setup()")
    assert h.enable(late, reason="enabled by setup()") is False
    assert log == []
    h.compose()
    assert log == ["late"]


def test_enable_respects_plugin_order(app: FakeApp) -> None:
    log: list[str] = []
    h = PluginHost(app, [Recorder("b", log)])
    h.compose()
    h.enable(Recorder("a", log, before=("b",)), reason="enabled by setup()")
    assert h.enabled_names() == ["a", "b"]
    h.freeze()
    assert log == ["b", "a", "freeze:a", "freeze:b"]


def test_enable_after_freeze_says_where_the_call_belongs(app: FakeApp) -> None:
    h = PluginHost(app, [])
    h.freeze()
    with pytest.raises(RuntimeError, match=r"'late'.*frozen.*before run_app\(\)"):
        h.enable(Recorder("late", []), reason="enabled by late.setup()")


def test_enable_refuses_when_the_app_is_frozen(app: FakeApp) -> None:
    h = PluginHost(app, [])
    app.frozen = True
    with pytest.raises(RuntimeError, match="frozen"):
        h.enable(Recorder("late", []), reason="enabled by late.setup()")


def test_failed_enable_leaves_the_host_unchanged(app: FakeApp) -> None:
    log: list[str] = []
    h = PluginHost(app, [Recorder("a", log), Recorder("b", log, after=("a",))])
    with pytest.raises(PluginDependencyError, match="'sessions' requires plugin 'redis'"):
        h.enable(Recorder("sessions", log, requires=("redis",)), reason="setup")
    with pytest.raises(PluginDependencyError, match="cycle"):
        h.enable(Recorder("c", log, before=("a",), after=("b",)), reason="setup")
    assert h.enabled_names() == ["a", "b"]
    assert h.call_order()["jackfield_configure_app"] == ["a", "b"]


def test_freeze_runs_hooks_once(app: FakeApp) -> None:
    log: list[str] = []
    h = PluginHost(app, [Recorder("a", log)])
    h.freeze()
    h.freeze()
    assert log == ["freeze:a"]


# -- with the real Application -------------------------------------------------------------------


def test_real_application_gets_the_plugins_it_names(hello: None) -> None:
    from jackfield.app.app import Application

    app = Application(plugins=["hello"])
    assert app["hello"] is True
    assert app.plugins.enabled_names() == ["hello"]
    other = Application(plugins=[])
    assert "hello" not in other
    assert not other.plugins.is_enabled("hello")


def test_real_application_freeze_reaches_plugins() -> None:
    from jackfield.app.app import Application

    log: list[str] = []
    app = Application(plugins=[Recorder("a", log)])
    app.freeze()
    assert log == ["a", "freeze:a"]
    with pytest.raises(RuntimeError, match="frozen"):
        app.plugins.enable(Recorder("b", log), reason="enabled by b.setup()")


def test_real_application_router_is_visible_to_configure_app() -> None:
    from jackfield.app.app import Application

    seen: list[Any] = []

    class Plugin:
        @hookimpl
        def jackfield_make_router(self, app: Any) -> str:
            return "router"

        @hookimpl
        def jackfield_configure_app(self, app: Any) -> None:
            seen.append(app.router)

    app = Application(plugins=[Plugin()])
    assert seen == ["router"]
    assert app.router == "router"
