"""The executors' window, batches and crash recovery, on real thread and process pools."""

from __future__ import annotations

import os
import threading
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import Any

import pytest

from mining.study.executors import (
    BATCH_SECONDS,
    MAX_BATCH,
    BatchSize,
    LocalPool,
    batches,
    in_order,
    pause_profiler,
    resume_profiler,
    run_dask,
)
from mining.study.run import RepoOutcome, RepoTask


def _task(name: str) -> RepoTask:
    return RepoTask(name, "c0ffee", "", "", "", "", None)


def _wait_any(futures: list[Future[int]]) -> None:
    wait(futures, return_when=FIRST_COMPLETED)


def test_in_order_does_not_stall_behind_a_slow_task() -> None:
    """The oldest task still running does not hold the window: the others are submitted and
    finish meanwhile, never more than `limit` unfinished, and come out in submission order."""
    release = threading.Event()
    submitted: list[int] = []
    seen: list[int] = []

    def work(item: int) -> int:
        if item == 0:
            release.wait(30)
        return item * 10

    with ThreadPoolExecutor(3) as pool:

        def submit(item: int) -> Future[int]:
            submitted.append(item)
            return pool.submit(work, item)

        pairs = in_order(range(12), submit, _wait_any, 2, seen.append)
        first, future = next(pairs)
        assert (first, future.done()) == (0, False)
        assert submitted == list(range(12))  # all while task 0 was still running
        release.set()
        results = [future.result()] + [f.result() for _, f in pairs]
    assert results == [item * 10 for item in range(12)]
    assert max(seen) <= 3  # at most `limit` unfinished, plus the one just submitted


def test_in_order_yields_finished_tasks_as_it_goes() -> None:
    """With quick tasks, outcomes come out while later ones are still being submitted."""
    submitted: list[int] = []
    order: list[tuple[str, int]] = []
    with ThreadPoolExecutor(2) as pool:

        def submit(item: int) -> Future[int]:
            order.append(("submitted", item))
            return pool.submit(lambda: item)

        for item, future in in_order(range(20), submit, _wait_any, 2, lambda n: None):
            order.append(("yielded", future.result()))
            submitted.append(item)
    assert submitted == list(range(20))
    assert order.index(("yielded", 0)) < order.index(("submitted", 19))


def test_in_order_reports_weight_in_flight() -> None:
    """Batches count as their repositories in `saw`."""
    seen: list[int] = []
    with ThreadPoolExecutor(1) as pool:
        items = [[1, 2, 3], [4], [5, 6]]
        pairs = in_order(
            items, lambda batch: pool.submit(sum, batch), _wait_any, 1, seen.append, len
        )
        assert [f.result() for _, f in pairs] == [6, 4, 11]
    assert seen[0] == 3
    assert max(seen) <= 4  # one batch of 3 unfinished plus the one just submitted


def _outcome(seconds: float) -> RepoOutcome:
    return RepoOutcome("o/r", "c0ffee", "analyzed", costs=(("seconds", seconds),))


@pytest.mark.parametrize(
    ("durations", "expected"),
    [
        ([], 1),  # nothing known yet: one at a time
        ([0.05] * 10, int(BATCH_SECONDS / 0.05)),
        ([30.0, 40.0], 1),  # large repositories go alone
        ([0.0001] * 5, MAX_BATCH),
        ([0.05, 0.05, 60.0], int(BATCH_SECONDS / 0.05)),  # the median, not one outlier
    ],
)
def test_batch_size_aims_at_batch_seconds(durations: list[float], expected: int) -> None:
    size = BatchSize()
    for seconds in durations:
        size.note(_outcome(seconds))
    assert size() == expected


def test_batches_take_the_size_when_each_is_formed() -> None:
    sizes = iter([1, 3, 2, 5, 9])
    tasks = [_task(f"o/r{index}") for index in range(8)]
    formed = [[task.repo for task in batch] for batch in batches(tasks, lambda: next(sizes))]
    assert formed == [["o/r0"], ["o/r1", "o/r2", "o/r3"], ["o/r4", "o/r5"], ["o/r6", "o/r7"]]


def crashing_analyze(task: RepoTask, isolated: bool = False) -> RepoOutcome:
    """Kills its worker process on `o/crash`, unless isolated (in the study's own process)."""
    if task.repo == "o/crash" and not isolated:
        os._exit(1)
    return RepoOutcome(task.repo, task.commit, "analyzed", "isolated" if isolated else "")


def test_a_dying_worker_costs_no_repository() -> None:
    """A worker that dies fails every task its pool held: each is analysed again in
    isolation (never more than the window), and the tasks after it run on a fresh pool."""
    logged: list[str] = []
    names = [f"o/r{index}" for index in range(16)]
    names[2] = "o/crash"
    pool = LocalPool(2, crashing_analyze, logged.append)
    first = pool.pool
    outcomes = list(pool.run([_task(name) for name in names], lambda count: None))
    assert [outcome.repo for outcome in outcomes] == names
    assert all(outcome.status == "analyzed" for outcome in outcomes)
    isolated = [outcome.repo for outcome in outcomes if outcome.detail == "isolated"]
    assert "o/crash" in isolated
    assert len(isolated) <= 2 * 2 + 1
    assert "o/crash: a worker died; re-analyzing file by file" in logged
    assert pool.pool is not first
    assert outcomes[-1].detail == ""  # long after the crash: on the fresh pool


def test_a_study_pauses_the_dask_profiler_and_starts_it_again() -> None:
    """The workers' statistical profiler is stopped while a study runs on them, and runs
    again afterwards (a worker where it was off stays off)."""
    distributed = pytest.importorskip("distributed")

    def profiling(dask_worker: Any) -> bool:
        return bool(dask_worker.periodic_callbacks["profile"].is_running())

    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        assert set(client.run(profiling).values()) == {True}
        assert set(client.run(pause_profiler).values()) == {True}
        assert set(client.run(profiling).values()) == {False}
        assert set(client.run(pause_profiler).values()) == {False}  # already off
        client.run(resume_profiler)
        assert set(client.run(profiling).values()) == {True}
        seen: list[bool] = []

        def analyze(task: RepoTask, isolated: bool = False) -> RepoOutcome:
            return RepoOutcome(task.repo, task.commit, "analyzed")

        def saw(count: int) -> None:
            seen.extend(client.run(profiling).values())

        names = [f"o/r{index}" for index in range(6)]
        outcomes = list(
            run_dask([_task(n) for n in names], cluster.scheduler_address, analyze, print, saw)
        )
        assert [outcome.repo for outcome in outcomes] == names
        assert seen
        assert not any(seen)  # off while the study ran
        assert set(client.run(profiling).values()) == {True}
