"""Reason phrases."""

from __future__ import annotations

import pytest

from jackfield.http import reason_phrase


@pytest.mark.parametrize(
    ("status", "phrase"),
    [
        pytest.param(100, "Continue", id="100"),
        pytest.param(101, "Switching Protocols", id="101"),
        pytest.param(200, "OK", id="200"),
        pytest.param(304, "Not Modified", id="304"),
        pytest.param(404, "Not Found", id="404"),
        # RFC 9110's names, whichever HTTPStatus (Python 3.13 renamed these four) says.
        pytest.param(413, "Content Too Large", id="413"),
        pytest.param(414, "URI Too Long", id="414"),
        pytest.param(416, "Range Not Satisfiable", id="416"),
        pytest.param(422, "Unprocessable Content", id="422"),
        pytest.param(431, "Request Header Fields Too Large", id="431"),
        pytest.param(505, "HTTP Version Not Supported", id="505"),
        pytest.param(199, "Informational", id="unknown-1xx"),
        pytest.param(299, "Success", id="unknown-2xx"),
        pytest.param(399, "Redirection", id="unknown-3xx"),
        pytest.param(499, "Client Error", id="unknown-4xx"),
        pytest.param(599, "Server Error", id="unknown-5xx"),
        pytest.param(600, "Unknown", id="beyond-5xx"),
        pytest.param(42, "Unknown", id="below-100"),
    ],
)
def test_reason_phrase(status: int, phrase: str) -> None:
    assert reason_phrase(status) == phrase
