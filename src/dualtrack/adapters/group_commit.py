"""Group commit: many small writes from concurrent requests share one durable transaction.

Hot paths (a fraud decision per payment, each ledgered) cannot afford one fsync per request
on a 2-core machine. Callers hand a unit of work function to :class:`GroupCommitter`; it runs
every pending function inside one transaction (each in its own savepoint, so one failure does
not spoil the batch; a batch of one needs none), commits once, and only then releases the
callers. Nothing is acknowledged before it is durable.

Who runs a commit: a caller that finds the committer idle commits its own work at once in
its own thread, which spares the two thread hand-offs (and, under load, the GIL waits) of
passing it to a writer thread and back. Work that arrives while a commit is running queues;
when that commit ends, the writer thread drains the queue in batches, so a caller never
commits anybody's work but its own and its latency never grows with the load behind it.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, TypeVar

from sqlalchemy import Engine

from dualtrack.adapters.sql import Clock, SqlUnitOfWork, utc_now

log = logging.getLogger(__name__)
T = TypeVar("T")

_Item = tuple[Callable[[SqlUnitOfWork], Any], Future[Any]]


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
        self._lock = threading.Lock()
        self._pending: list[_Item] = []
        self._busy = False  # a commit is running (in a caller's thread or the writer's)
        self._closed = False
        self._wake = threading.Event()
        self._thread = threading.Thread(target=self._run, name="group-commit", daemon=True)
        self._thread.start()
        self.batches = 0
        self.items = 0

    def submit(self, work: Callable[[SqlUnitOfWork], T]) -> Future[T]:
        """Queue ``work``; the future resolves once the transaction holding it committed.
        When the committer is idle the work is committed here, before this returns."""
        future: Future[T] = Future()
        with self._lock:
            if self._closed:
                raise RuntimeError("the group committer is closed")
            if self._busy:
                self._pending.append((work, future))
                return future
            self._busy = True
        try:
            self._commit([(work, future)])
        finally:
            self._hand_over()
        return future

    def run(self, work: Callable[[SqlUnitOfWork], T], timeout: float = 30.0) -> T:
        """Submit and wait until the batch holding ``work`` has committed."""
        return self.submit(work).result(timeout)

    def close(self) -> None:
        with self._lock:
            self._closed = True
        self._wake.set()
        self._thread.join(10)

    def _hand_over(self) -> None:
        """After a commit: the writer thread takes whatever queued meanwhile."""
        with self._lock:
            if self._pending:
                self._wake.set()  # stays busy: the writer thread now owns the queue
            else:
                self._busy = False

    def _run(self) -> None:
        while True:
            self._wake.wait()
            self._wake.clear()
            while True:
                if self._linger > 0:
                    time.sleep(self._linger)
                with self._lock:
                    batch = self._pending[: self._max_batch]
                    del self._pending[: self._max_batch]
                    if not batch:
                        self._busy = False
                        break
                self._commit(batch)
            with self._lock:
                if self._closed and not self._pending:
                    return

    def _commit(self, batch: list[_Item]) -> None:
        if len(batch) == 1:
            self._commit_alone(*batch[0])
            return
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

    def _commit_alone(self, work: Callable[[SqlUnitOfWork], Any], future: Future[Any]) -> None:
        """A batch of one needs no savepoint: if its work fails, the whole transaction is
        rolled back, which is exactly what the savepoint would have undone (two statements
        fewer per write, which is most writes when requests do not overlap)."""
        failed: Exception | None = None
        try:
            with SqlUnitOfWork(self._engine, self._clock) as uow:
                try:
                    value = work(uow)
                except Exception as exc:
                    failed = exc  # leaving the block rolls the transaction back
                else:
                    uow.commit()
        except Exception as exc:
            log.error("group commit of 1 item failed: %s", type(exc).__name__)
            future.set_exception(exc)
            return
        if failed is not None:
            future.set_exception(failed)
            return
        self.batches += 1
        self.items += 1
        future.set_result(value)
