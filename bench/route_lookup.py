"""Route lookup cost with 1 route vs 1000 routes: the ratio should stay near 1.

Run by hand: ``python bench/route_lookup.py``. Each router's last-registered
route is requested, once as a fixed path and once as a variable one; half of
the big router is fixed paths, half variable, in three shapes: distinct
first segments (``/resN/{id}``), a shared literal prefix
(``/api/v1/itemN/{id}/detail``), and a variable first segment
(``/{lang}/pageN``), the worst case for the leading-segment index: those
resources all share one compiled regex, so that lookup grows (slowly, inside
the regex engine).
Prints microseconds per ``resolve()`` and the big/small ratio. Uses a minimal
fake request, so only the router is measured.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from jackfield.plugins.routing import UrlDispatcher


class FakeRequest:
    """Just what ``resolve()`` reads."""

    def __init__(self, method: str, path: str) -> None:
        self.method = method
        self.raw_path = path


async def handler(request: Any) -> None:
    return None


VARIABLE_ROUTE = {
    "distinct": "/last/{id}",
    "shared-prefix": "/api/v1/last/{id}/detail",
    "variable-first": "/{lang}/last",
}
VARIABLE_PATH = {
    "distinct": "/last/42",
    "shared-prefix": "/api/v1/last/42/detail",
    "variable-first": "/en/last",
}


def build(n: int, shape: str) -> UrlDispatcher:
    router = UrlDispatcher()
    for i in range(n):
        if i % 2 == 0:
            router.add_get(f"/static{i}/page", handler)
        elif shape == "distinct":
            router.add_get(f"/res{i}/{{id}}", handler)
        elif shape == "shared-prefix":
            router.add_get(f"/api/v1/item{i}/{{id}}/detail", handler)
        else:
            router.add_get(f"/{{lang}}/page{i}", handler)
    router.add_get("/last/fixed", handler)
    router.add_get(VARIABLE_ROUTE[shape], handler)
    router.freeze()
    return router


def per_call(router: UrlDispatcher, request: FakeRequest, rounds: int = 20000) -> float:
    loop = asyncio.new_event_loop()

    async def run() -> float:
        resolve = router.resolve
        best = float("inf")
        for _ in range(5):
            start = time.perf_counter()
            for _ in range(rounds):
                await resolve(request)  # type: ignore[arg-type]
            best = min(best, time.perf_counter() - start)
        return best / rounds

    try:
        return loop.run_until_complete(run())
    finally:
        loop.close()


def main() -> None:
    print(f"{'case':<34}{'1 route':>10}{'1000 routes':>14}{'ratio':>8}")
    for shape in VARIABLE_ROUTE:
        small, big = build(1, shape), build(1000, shape)
        variable = VARIABLE_PATH[shape]
        for label, path in (("fixed", "/last/fixed"), ("variable", variable), ("404", "/nope/x")):
            request = FakeRequest("GET", path)
            t1, t2 = per_call(small, request), per_call(big, request)
            print(f"{shape + ' ' + label:<34}{t1 * 1e6:>8.2f}us{t2 * 1e6:>12.2f}us{t2 / t1:>8.2f}")


if __name__ == "__main__":
    main()
