"""Reset locks and background-thread state in a forked child.

gunicorn and friends import the app (and so build the Verifier) in a master
process and then fork workers. A lock held by the master's refresher thread at
fork time would stay locked forever in the child, and the child has no
refresher thread at all, so each registered object re-creates both.
"""

from __future__ import annotations

import os
import weakref
from typing import Protocol


class ForkAware(Protocol):
    def _after_fork_in_child(self) -> None: ...


_instances: weakref.WeakSet[ForkAware] = weakref.WeakSet()


def register(obj: ForkAware) -> None:
    """Call ``obj._after_fork_in_child()`` in every child forked from now on."""
    _instances.add(obj)


def _reinit_all() -> None:
    for obj in list(_instances):
        obj._after_fork_in_child()


if hasattr(os, "register_at_fork"):  # absent on Windows, where fork does not exist
    os.register_at_fork(after_in_child=_reinit_all)
