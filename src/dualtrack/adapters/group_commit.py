"""Group commit: many small writes from concurrent requests share one durable transaction.

Hot paths (a fraud decision per payment, each ledgered) cannot afford one fsync per request
on a 2-core machine. Callers hand a unit of work function to :class:`GroupCommitter`; a writer
thread runs every pending function inside one transaction (each in its own savepoint, so one
failure does not spoil the batch), commits once, and only then releases the callers. Nothing
is acknowledged before it is durable.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, TypeVar

from sqlalchemy import Engine

from dualtrack.adapters.sql import Clock, SqlUnitOfWork, utc_now

log = logging.getLogger(__name__)
T = TypeVar("T")

_STOP = object()


class GroupCommitter:
    def __init__(
        self,
        engine: Engine,
        *,
        clock: Clock = utc_now,
        max_batch: int = 512,
        linger_s: float = 0.001,
    ) -> None:
        self._engine = engine
        self._clock = clock
        self._max_batch = max_batch
        self._linger = linger_s
        self._queue: queue.Queue[Any] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="group-commit", daemon=True)
        self._thread.start()
        self.batches = 0
        self.items = 0

    def submit(self, work: Callable[[SqlUnitOfWork], T]) -> Future[T]:
        future: Future[T] = Future()
        self._queue.put((work, future))
        return future

    def run(self, work: Callable[[SqlUnitOfWork], T], timeout: float = 30.0) -> T:
        """Submit and wait until the batch holding ``work`` has committed."""
        return self.submit(work).result(timeout)

    def close(self) -> None:
        self._queue.put(_STOP)
        self._thread.join(10)

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is _STOP:
                return
            batch = [first]
            try:
                while len(batch) < self._max_batch:
                    item = self._queue.get(timeout=self._linger)
                    if item is _STOP:
                        self._queue.put(_STOP)
                        break
                    batch.append(item)
            except queue.Empty:
                pass
            self._commit(batch)

    def _commit(self, batch: list[tuple[Callable[[SqlUnitOfWork], Any], Future[Any]]]) -> None:
        results: list[tuple[Future[Any], bool, Any]] = []
        try:
            with SqlUnitOfWork(self._engine, self._clock) as uow:
                for work, future in batch:
                    try:
                        with uow.connection.begin_nested():
                            results.append((future, True, work(uow)))
                    except Exception as exc:
                        results.append((future, False, exc))
                uow.commit()
        except Exception as exc:
            log.error("group commit of %s items failed: %s", len(batch), type(exc).__name__)
            for _work, future in batch:
                if not future.done():
                    future.set_exception(exc)
            return
        self.batches += 1
        self.items += len(batch)
        for future, ok, value in results:
            if ok:
                future.set_result(value)
            else:
                future.set_exception(value)
