"""Benchmark contender: the scenario app on jackfield.web, access log off.

Run by ``bench/run.py``; by hand: ``python bench/apps/jackfield_app.py --port 8080``.
If ``from jackfield import web`` fails the process exits at once with the
traceback, and ``run.py`` reports the contender as unavailable.
"""

from __future__ import annotations

from _common import parse_args, serve

from jackfield import web

if __name__ == "__main__":
    serve(web, parse_args("jackfield.web benchmark server"))
