"""Precompressed variants: ``file.br``, ``file.zst``, ``file.gz`` next to ``file``.

``accepted_codings(header)`` reads ``Accept-Encoding`` with its q-values
(RFC 9110 §12.5.3); ``VARIANTS`` lists the suffix of each coding we look
for, best first, which also breaks ties between equal q-values. A coding
with ``q=0`` is refused, ``*`` stands for any coding not named, and
``identity`` is what the plain file is. Garbage in the header only ever
makes a coding unacceptable, never an error.
"""

from __future__ import annotations

__all__ = ["VARIANTS", "accepted_codings"]

#: (Content-Encoding, file suffix), in order of preference (smallest output first).
VARIANTS: tuple[tuple[str, str], ...] = (("br", ".br"), ("zstd", ".zst"), ("gzip", ".gz"))


def accepted_codings(header: str) -> list[str]:
    """The codings of ``VARIANTS`` the client accepts, best q first, ties by preference."""
    weights: dict[str, float] = {}
    star: float | None = None
    for item in header.split(","):
        name, _, params = item.partition(";")
        name = name.strip().lower()
        if not name:
            continue
        q = 1.0
        for param in params.split(";"):
            key, eq, val = param.partition("=")
            if eq and key.strip().lower() == "q":
                q = _qvalue(val.strip())
        if name == "*":
            star = q
        elif name == "x-gzip":
            weights.setdefault("gzip", q)
        else:
            weights.setdefault(name, q)
    chosen = []
    for rank, (coding, _) in enumerate(VARIANTS):
        q = weights.get(coding, star if star is not None else 0.0)
        if q > 0:
            chosen.append((-q, rank, coding))
    return [coding for _, _, coding in sorted(chosen)]


def _qvalue(text: str) -> float:
    # RFC 9110 §12.4.2: "0" or "1" with up to three decimals; anything else is unusable (0).
    if not text or len(text) > 5 or any(c not in "0123456789." for c in text):
        return 0.0
    try:
        q = float(text)
    except ValueError:
        return 0.0
    return q if 0.0 <= q <= 1.0 else 0.0
