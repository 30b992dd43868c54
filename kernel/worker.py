"""The gunicorn workers under the path ``-k`` names: ``jackfield.worker.GunicornWebWorker``.

They live in ``jackfield.runner.gunicorn``; this module only gives them the
short path (as ``aiohttp.worker`` does). Importing it needs gunicorn
(``pip install 'jackfield[gunicorn]'``).
"""

from .runner.gunicorn import GunicornUVLoopWebWorker, GunicornWebWorker, gunicorn_access_format

__all__ = ["GunicornUVLoopWebWorker", "GunicornWebWorker", "gunicorn_access_format"]
