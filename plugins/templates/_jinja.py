"""The one place the plugin imports Jinja2, so its absence is one clear error."""

from __future__ import annotations

try:
    import jinja2
except ImportError as exc:  # pragma: no cover - exercised in a subprocess by the tests
    raise ImportError(
        "the jackfield templates plugin needs Jinja2, which is not installed; "
        "install the extra: pip install 'jackfield[templates]'",
        name="jinja2",
    ) from exc

__all__ = ["jinja2"]
