"""``Session``: a mapping that knows what changed, and what rotation and invalidation retire."""

from __future__ import annotations

import time

import pytest

from jackfield.plugins.sessions import Session


def loaded(**data: object) -> Session:
    return Session("a" * 43, data, new=False, created=100, access=200, identity="ann")


def test_a_loaded_session_is_unchanged_until_written() -> None:
    session = loaded(n=1)
    assert not session._changed and not session.new and not session.empty
    assert session["n"] == 1 and "n" in session and len(session) == 1 and list(session) == ["n"]
    assert session.get("missing") is None
    assert not session._changed
    session["n"] = 2
    assert session._changed


def test_deleting_an_item_marks_the_session_changed() -> None:
    session = loaded(n=1)
    del session["n"]
    assert session._changed and session.empty


def test_changed_marks_in_place_changes() -> None:
    session = loaded(cart=[])
    session["cart"].append("apple")
    assert not session._changed
    session.changed()
    assert session._changed


def test_a_new_session_is_empty_and_created_now() -> None:
    session = Session(None, new=True)
    assert session.new and session.empty and session.id is None and session.identity is None
    assert abs(session.created - time.time()) < 2


def test_identity_is_a_str_and_setting_it_marks_a_change() -> None:
    session = loaded()
    session.identity = "ann"
    assert not session._changed  # the same value
    session.identity = "bob"
    assert session._changed and session.identity == "bob"
    with pytest.raises(TypeError, match="identity must be a str"):
        session.identity = 42  # type: ignore[assignment]


def test_rotate_keeps_the_data_and_retires_the_id() -> None:
    session = loaded(n=1)
    session.rotate()
    assert session.id is None and session._discard == ["a" * 43]
    assert dict(session) == {"n": 1} and session.identity == "ann" and session._changed


def test_invalidate_drops_data_identity_and_id() -> None:
    session = loaded(n=1)
    session.invalidate()
    assert session.empty and session.identity is None and session.id is None
    assert session._discard == ["a" * 43] and session._changed


def test_max_age_is_per_session() -> None:
    session = loaded()
    session.max_age = 60
    assert session.max_age == 60 and session._changed


def test_retired_ids_tell_a_storage_what_to_delete() -> None:
    session = loaded()
    assert session.retired_ids == ()
    session.rotate()
    assert session.retired_ids == ("a" * 43,)
