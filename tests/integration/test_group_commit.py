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
