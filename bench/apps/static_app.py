"""Benchmark contender for bench/static.py: ``add_static('/static', root)`` on jackfield or aiohttp.

``python bench/apps/static_app.py jackfield --port 8080 --root DIR``; access log
off, asyncio loop (both frameworks get the same one).
"""

from __future__ import annotations

import argparse
import importlib
from typing import Any


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("framework", choices=("jackfield", "aiohttp"))
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--root", required=True)
    args = parser.parse_args()
    web: Any = importlib.import_module(f"{args.framework}.web")
    app = web.Application()
    app.router.add_static("/static", args.root)
    web.run_app(
        app, host="127.0.0.1", port=args.port, access_log=None, print=None, shutdown_timeout=1.0
    )


if __name__ == "__main__":
    main()
