"""The connlimit plugin: at most ``per_ip`` open connections from one client address.

Off by default; ``connlimit.setup(app, per_ip=N)`` enables it. A connection
past the limit is closed as it is accepted, before a byte of it is read, and
logged at debug level on ``jackfield.server``; the client sees the
connection closed (or reset) and nothing else. Unix-socket clients have no
address and are never limited. It is the reference implementation of the
kernel's ``jackfield_connection_gate`` hook: a third-party plugin can do the
same with another policy (an allow list, a rate).

The guide is ``docs/running.md`` (section "Connection limits").
"""

from ._limit import PerIPLimit
from ._setup import LIMIT, setup

__all__ = ["LIMIT", "PerIPLimit", "setup"]
