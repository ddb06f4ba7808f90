import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest

from dualtrack.adapters.group_commit import GroupCommitter
from dualtrack.adapters.sql import SqlUnitOfWork
from dualtrack.bootstrap import Platform
from dualtrack.errors import InvalidInput


def test_batched_writes_are_durable_and_chained(platform: Platform) -> None:
    committer = GroupCommitter(platform.engine, linger_s=0.005)

    def write(i: int) -> int:
        def work(uow: SqlUnitOfWork) -> int:
            if i == 7:
                raise InvalidInput("bad item")
            return uow.audit.record(
                actor="t", action="test.item", subject_type="x", subject_id=str(i), payload={"i": i}
            ).seq

        return committer.run(work)

    with ThreadPoolExecutor(8) as pool:
        futures = [pool.submit(write, i) for i in range(40)]
    results = []
    for i, f in enumerate(futures):
        if i == 7:
            with pytest.raises(InvalidInput):
                f.result()
        else:
            results.append(f.result())
    committer.close()
    assert len(set(results)) == 39
    verdict = platform.ledger.verify()
    assert verdict.ok and verdict.entries_checked == 39
    assert committer.batches < 39, "writes were grouped"


def test_an_idle_committer_commits_in_the_callers_thread(platform: Platform) -> None:
    committer = GroupCommitter(platform.engine, linger_s=0.0)
    seen: list[threading.Thread] = []

    def work(uow: SqlUnitOfWork) -> int:
        seen.append(threading.current_thread())
        return uow.audit.record(
            actor="t", action="test.item", subject_type="x", subject_id="1", payload={}
        ).seq

    future = committer.submit(work)
    assert future.done() and seen == [threading.current_thread()]
    committer.close()
    assert platform.ledger.verify().entries_checked == future.result()


def test_work_queued_during_a_commit_goes_to_the_writer_thread(platform: Platform) -> None:
    committer = GroupCommitter(platform.engine, linger_s=0.0)
    inside, release = threading.Event(), threading.Event()
    threads: dict[str, threading.Thread] = {}

    def record(name: str, *, hold: bool = False) -> Callable[[SqlUnitOfWork], int]:
        def work(uow: SqlUnitOfWork) -> int:
            threads[name] = threading.current_thread()
            if hold:
                inside.set()
                assert release.wait(10)
            return uow.audit.record(
                actor="t", action="test.item", subject_type="x", subject_id=name, payload={}
            ).seq

        return work

    with ThreadPoolExecutor(1) as pool:
        first = pool.submit(committer.run, record("first", hold=True))
        assert inside.wait(10)
        queued = [committer.submit(record(f"q{i}")) for i in range(5)]
        assert not any(f.done() for f in queued)  # nothing is acknowledged before its commit
        release.set()
        seqs = [first.result(10)] + [f.result(10) for f in queued]
    committer.close()
    assert sorted(seqs) == list(range(1, 7))
    assert threads["first"] is not threading.current_thread()
    assert {threads[f"q{i}"].name for i in range(5)} == {"group-commit"}
    assert committer.batches == 2  # the five queued items shared one transaction
    assert platform.ledger.verify().ok


def test_a_failed_write_alone_leaves_nothing_and_the_next_write_goes_on(
    platform: Platform,
) -> None:
    """A batch of one runs without a savepoint: its failure rolls back the transaction, so
    the ledger entry it had already written is gone, and the chain continues unbroken."""
    committer = GroupCommitter(platform.engine, linger_s=0.0)

    def failing(uow: SqlUnitOfWork) -> None:
        uow.audit.record(
            actor="t", action="test.lost", subject_type="x", subject_id="1", payload={}
        )
        raise InvalidInput("bad item")

    with pytest.raises(InvalidInput):
        committer.run(failing)
    seq = committer.run(
        lambda uow: (
            uow.audit.record(
                actor="t", action="test.kept", subject_type="x", subject_id="2", payload={}
            ).seq
        )
    )
    committer.close()
    actions = [e.action for e in platform.ledger.entries()]
    assert "test.lost" not in actions and actions.count("test.kept") == 1
    assert seq == len(actions)
    verdict = platform.ledger.verify()
    assert verdict.ok
