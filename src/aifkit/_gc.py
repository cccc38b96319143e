"""Pausing the cycle collector around work that allocates many objects without cycles."""

from __future__ import annotations

import gc

__all__ = ["no_cycle_collection"]


class no_cycle_collection:
    """Pause the cycle collector for one conversion or pack; restore it as it was.

    Reading a long conversation allocates a great many small objects (an AIF
    message, its parts) that are freed by reference counting, without cycles.
    Letting the collector rescan the growing heap meanwhile costs more than the
    work itself: on 10,000 messages, collections triggered while a body is read
    and packed took about a third of the time of tokenizing it
    (benchmarks/convert.py, benchmarks/pack.py). Nothing is leaked: the collector
    runs again as usual afterwards.

    Examples:
        >>> import gc
        >>> with no_cycle_collection():
        ...     gc.isenabled()
        False
        >>> gc.isenabled()
        True
    """

    def __enter__(self) -> None:
        self._was_enabled = gc.isenabled()
        gc.disable()

    def __exit__(self, *exc: object) -> None:
        if self._was_enabled:
            gc.enable()
