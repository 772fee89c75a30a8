"""Single flight: callers asking for the same result at once wait for one computation.

The callbacks of one view reach a worker together and ask for the same sums; without
this, each of its threads would compute them on a cold cache. With it, the first caller
computes and stores the result, and the others, once it is done, read it from the cache.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from typing import TypeVar

T = TypeVar("T")


class SingleFlight:
    """One lock per key being computed, dropped when nobody waits for it any more."""

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._flights: dict[Hashable, list] = {}  # key -> [lock, callers]

    def run(self, key: Hashable, compute: Callable[[], T]) -> T:
        """Return ``compute()``, run by one caller of ``key`` at a time."""
        with self._guard:
            flight = self._flights.setdefault(key, [threading.RLock(), 0])
            flight[1] += 1
        try:
            with flight[0]:
                return compute()
        finally:
            with self._guard:
                flight[1] -= 1
                if not flight[1]:
                    del self._flights[key]

    def __len__(self) -> int:
        """Return how many keys are being computed or waited for."""
        return len(self._flights)
