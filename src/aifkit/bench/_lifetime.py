"""Pool workers end with the process that runs the suite, however it ends.

A run killed with ``SIGKILL`` runs no cleanup, so its worker processes must
notice on their own, or they live on (about 150 MB each) holding the caller's
stdout open. Each worker, when it starts:

- on Linux, asks the kernel to send it ``SIGKILL`` when its parent dies
  (``prctl(PR_SET_PDEATHSIG)``), which works even while the worker is busy in
  native code;
- on every platform, starts a thread that waits on the parent's sentinel (a pipe
  or handle the OS closes when the parent exits) and then ends the worker;
- points its stdin, stdout and stderr at the null device, so a caller reading the
  run's output to its end waits for the run alone. What a worker has to say
  travels back as a cell (failed cells carry their error) or as an exception.

The multiprocessing resource tracker needs nothing: it exits when the last
process holding its pipe (the parent and the workers) is gone.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
import threading
from multiprocessing.connection import wait

__all__ = ["bind_to_parent"]

_PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>


def bind_to_parent() -> None:
    """Make this worker process die with its parent; let go of the caller's stdio.

    Call it first in a pool initializer. Outside a multiprocessing child it does
    nothing.

    Examples:
        >>> bind_to_parent()  # in the main process: nothing to do
    """
    parent = multiprocessing.parent_process()
    if parent is None:
        return
    if sys.platform.startswith("linux"):
        _death_signal()
    sentinel = parent.sentinel
    threading.Thread(
        target=_exit_when_closed, args=(sentinel,), name="aifkit-parent-watch", daemon=True
    ).start()
    _release_stdio()


def _death_signal() -> None:
    """Ask Linux for SIGKILL when the parent dies (the thread that spawned us, strictly)."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):  # no prctl: the watch thread still ends us
        return


def _exit_when_closed(sentinel: int) -> None:
    # Readable means closed: the parent is gone (also if it died before prctl above).
    wait([sentinel])
    os._exit(1)


def _release_stdio() -> None:
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    if null > 2:
        os.close(null)
