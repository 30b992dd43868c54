"""Benchmark contender: the scenario app on aiohttp.web (the anchor), access log off.

Run by ``bench/run.py``; by hand: ``python bench/apps/aiohttp_app.py --port 8080``.
"""

from __future__ import annotations

from _common import parse_args, serve
from aiohttp import web

if __name__ == "__main__":
    serve(web, parse_args("aiohttp.web benchmark server"))
