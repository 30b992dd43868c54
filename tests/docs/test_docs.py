"""Every ```python block of every guide in docs/ runs.

The blocks of one guide are joined and executed as one module whose
``__name__`` is ``"__docs__"``, so a guide reads top to bottom like a script;
anything that would serve forever sits under ``if __name__ == "__main__":``.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[2] / "docs"
_BLOCK = re.compile(r"^```python\n(.*?)^```", re.S | re.M)
GUIDES = sorted(DOCS.glob("*.md"))


def test_there_are_guides() -> None:
    assert GUIDES, f"no guides found in {DOCS}"


@pytest.mark.parametrize("guide", GUIDES, ids=[g.stem for g in GUIDES])
def test_guide_examples_run(guide: Path) -> None:
    blocks = _BLOCK.findall(guide.read_text(encoding="utf-8"))
    assert blocks, f"{guide.name} has no ```python examples; every guide shows runnable code"
    source = "\n\n".join(blocks)
    code = compile(source, str(guide), "exec")
    exec(code, {"__name__": "__docs__"})
