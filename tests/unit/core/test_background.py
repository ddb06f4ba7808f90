"""The background loop helper: stops at once, and starts again after a stop."""

from __future__ import annotations

import threading
import time

from dualtrack.background import BackgroundLoop


def test_stop_ends_the_wait_and_the_loop_can_start_again() -> None:
    rounds: list[int] = []

    def loop(stop: threading.Event) -> None:
        while not stop.wait(60):  # only a stop ends this wait early
            rounds.append(1)

    worker = BackgroundLoop("test-loop", loop)
    for _ in range(2):
        worker.start()
        worker.start()  # no second thread
        assert worker.running
        assert [t.name for t in threading.enumerate()].count("test-loop") == 1
        started = time.monotonic()
        worker.stop()
        assert time.monotonic() - started < 5
        assert not worker.running
        assert "test-loop" not in [t.name for t in threading.enumerate()]
    assert rounds == []
