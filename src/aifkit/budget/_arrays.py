"""A growable numpy array: conversations grow one message at a time."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import numpy as np

if TYPE_CHECKING:
    import numpy.typing as npt

__all__ = ["Grow"]

S = TypeVar("S", bound=np.generic)


class Grow(Generic[S]):
    """A 1-D numpy array that grows geometrically, so appending is amortized O(1).

    Args:
        dtype: The element type.

    Examples:
        >>> g = Grow(np.int64)
        >>> g.extend([1, 2, 3]); g.extend([4])
        >>> g.view.tolist(), len(g)
        ([1, 2, 3, 4], 4)
        >>> g.truncate(1); g.view.tolist()
        [1]
    """

    def __init__(self, dtype: type[S]) -> None:
        self._data: npt.NDArray[S] = np.empty(64, dtype=dtype)
        self._size = 0

    def __len__(self) -> int:
        return self._size

    @property
    def view(self) -> npt.NDArray[S]:
        """The elements, as a view (valid until the next change)."""
        return self._data[: self._size]

    def extend(self, values: Sequence[Any] | npt.NDArray[Any]) -> None:
        """Append ``values``."""
        count = len(values)
        if not count:
            return
        end = self._size + count
        if end > len(self._data):
            # Headroom past a large extend too: the append that follows a cold pack
            # must not copy millions of elements.
            grown = np.empty(max(end + end // 4, 2 * len(self._data)), dtype=self._data.dtype)
            grown[: self._size] = self._data[: self._size]
            self._data = grown
        self._data[self._size : end] = values
        self._size = end

    def truncate(self, size: int) -> None:
        """Keep only the first ``size`` elements."""
        self._size = min(size, self._size)
