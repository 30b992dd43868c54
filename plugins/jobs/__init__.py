"""The jobs plugin: work that outlives its request, and handlers that cannot be cancelled.

Off by default; ``jobs.setup(app)`` enables it. What an application gets:

* ``await jobs.spawn(request, coro)`` runs ``coro`` as a ``Job`` of the app's
  scheduler: it is not cancelled when the client disconnects, at most
  ``limit`` jobs run at once and up to ``pending_limit`` more wait their turn
  (then ``JobsFullError``). ``job.wait(timeout=None)``, ``job.close()``,
  ``job.active``, ``job.pending`` and ``job.closed`` follow it.
* ``@jobs.atomic`` on a handler (function or ``web.View`` method) runs the
  whole handler as a job, so a disconnect never interrupts it half-way.
* A job's exception goes to whoever awaits ``job.wait()``, else to the
  exception handler (logged by default); asyncio never warns about it.
* Graceful shutdown waits for jobs after in-flight requests, within the same
  ``shutdown_timeout``; at ``on_cleanup`` the remaining jobs are cancelled and
  given ``close_timeout`` seconds to end, before any other clean-up receiver.

The guide is ``docs/jobs.md``.
"""

from ._job import Job
from ._scheduler import ExceptionHandler, JobsFullError, Scheduler, SchedulerClosedError
from ._setup import SCHEDULER, atomic, get_scheduler, get_scheduler_from_app, setup, spawn

__all__ = [
    "SCHEDULER",
    "ExceptionHandler",
    "Job",
    "JobsFullError",
    "Scheduler",
    "SchedulerClosedError",
    "atomic",
    "get_scheduler",
    "get_scheduler_from_app",
    "setup",
    "spawn",
]
