"""jackfield.responses._json.dumps gives exactly json.dumps's text, errors included."""

from __future__ import annotations

import json
from typing import Any

import pytest

from jackfield import web
from jackfield.responses._json import dumps

VALUES: list[Any] = [
    {"name": "alice", "id": 1},
    {"nested": {"list": [1, 2.5, None, True, False], "empty": {}}, "t": ()},
    ["ünïcödé ✓", 'tab\tquote"backslash\\', "\u2028\x00"],
    "top-level string",
    42,
    -0.0,
    1e300,
    float("nan"),
    float("inf"),
    None,
    {1: "int key", 2.5: "float key", None: "null key", False: "bool key"},
    [[[[[]]]]],
]


@pytest.mark.parametrize("value", VALUES, ids=range(len(VALUES)))
def test_same_text_as_json_dumps(value: Any) -> None:
    assert dumps(value) == json.dumps(value)


def test_unserializable_is_a_type_error_like_json_dumps() -> None:
    with pytest.raises(TypeError, match="Object of type object is not JSON serializable"):
        dumps({"x": object()})


def test_circular_structure_is_a_value_error_every_time() -> None:
    loop: list[Any] = []
    loop.append(loop)
    for _ in range(2):  # a failed call leaves nothing behind for the next
        with pytest.raises(ValueError, match="Circular reference"):
            dumps(loop)
    assert dumps([1, [2]]) == "[1, [2]]"


def test_json_response_uses_it_by_default_and_honours_dumps() -> None:
    assert web.json_response({"a": [1, 2]}).text == json.dumps({"a": [1, 2]})
    custom = web.json_response({"a": 1}, dumps=lambda d: json.dumps(d, separators=(",", ":")))
    assert custom.text == '{"a":1}'
