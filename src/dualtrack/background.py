"""A named daemon thread that runs one loop until it is asked to stop.

Serving processes keep a few such loops beside the request path (the garbage-collection
policy, the SQLite checkpointer). Each hands its loop a :class:`threading.Event` to wait
on between rounds, so :meth:`BackgroundLoop.stop` ends it at once rather than after a full
interval; a stopped loop can be started again.
"""

from __future__ import annotations

import threading
from collections.abc import Callable


class BackgroundLoop:
    """Runs ``loop(stop_event)`` in a daemon thread named ``name``."""

    def __init__(self, name: str, loop: Callable[[threading.Event], None]) -> None:
        self.name = name
        self._loop = loop
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        return self._thread is not None

    def start(self) -> None:
        """Start the loop (no-op while it runs)."""
        if self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(
                target=self._loop, args=(self._stop,), name=self.name, daemon=True
            )
            self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Ask the loop to end and wait up to ``timeout`` seconds for it."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None


__all__ = ["BackgroundLoop"]
