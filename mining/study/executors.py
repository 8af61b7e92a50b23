"""Where a study's repositories are analysed: local worker processes or a Dask cluster.

Both executors run the same picklable unit of work (`analyze(task) -> RepoOutcome`) and yield
outcomes in task order, with at most `2 x workers` tasks unfinished (`in_order`). A task that
finishes before an older one waits as a small record while the next is submitted: a window
collected strictly in order stalls behind its slowest task, and one large repository among
small ones kept a worker idle until it was done.

On Dask, a task is a batch of repositories sized to about `BATCH_SECONDS` of work from the
durations seen so far (`BatchSize`), and the workers' statistical profiler is paused while the
study runs (`pause_profiler`). Each Dask task costs the scheduler and the workers messages and
state transitions in processes that share the cores with the analysis: 2,000 small generated
repositories on 2 cores took 1.07-1.10 times as long as on the local executor with one
repository per task, and 0.95-1.07 (three interleaved pairs, 1.01 on average) with both
changes. A large repository still goes alone.
"""

from __future__ import annotations

import itertools
import statistics
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from analyzers.repo.lifetime import forkserver_context, pool_options
from mining.study.settings import MissingDependency, StudySetupError

if TYPE_CHECKING:
    from mining.study.run import RepoOutcome, RepoTask

BATCH_SECONDS = 0.5  # the work one Dask task aims at
MAX_BATCH = 32
_RECENT = 64  # per-repository durations the batch size is estimated from

_Item = TypeVar("_Item")
_Done = TypeVar("_Done", bound="_Awaitable")
Log = Callable[[str], None]
Saw = Callable[[int], None]


class _Awaitable(Protocol):
    def done(self) -> bool: ...


class Analyze(Protocol):
    def __call__(self, task: RepoTask, isolated: bool = False) -> RepoOutcome: ...


def in_order(
    items: Iterable[_Item],
    submit: Callable[[_Item], _Done],
    wait_any: Callable[[list[_Done]], None],
    limit: int,
    saw: Callable[[int], None],
    weight: Callable[[_Item], int] = lambda item: 1,
) -> Iterator[tuple[_Item, _Done]]:
    """Submit each item, keeping at most `limit` unfinished, and yield (item, future) in
    submission order: each as soon as it and every older one are done, the rest at the end
    (the caller waits for them in turn). `saw` is told the weight in flight after each
    submission (repositories, for batches)."""
    window: deque[tuple[_Item, _Done]] = deque()
    running: dict[_Done, int] = {}
    for item in items:
        future = submit(item)
        window.append((item, future))
        running[future] = weight(item)
        saw(sum(running.values()))
        while len(running) > limit:
            wait_any(list(running))
            running = {f: w for f, w in running.items() if not f.done()}
        while window and window[0][1].done():
            running.pop(window[0][1], None)
            yield window.popleft()
    yield from window


class BatchSize:
    """How many repositories one Dask task gets: enough for about BATCH_SECONDS of work at the
    median duration of the last repositories done (one until any is)."""

    def __init__(self) -> None:
        self.seconds: deque[float] = deque(maxlen=_RECENT)

    def note(self, outcome: RepoOutcome) -> None:
        seconds = dict(outcome.costs).get("seconds")
        if seconds is not None:
            self.seconds.append(seconds)

    def __call__(self) -> int:
        if not self.seconds:
            return 1
        typical = max(statistics.median(self.seconds), 1e-3)
        return max(1, min(MAX_BATCH, int(BATCH_SECONDS / typical)))


def batches(tasks: Iterable[RepoTask], size: Callable[[], int]) -> Iterator[list[RepoTask]]:
    """The tasks in batches, each as large as `size()` says when it is formed."""
    pending = iter(tasks)
    while batch := list(itertools.islice(pending, size())):
        yield batch


def analyze_batch(analyze: Analyze, tasks: list[RepoTask]) -> list[RepoOutcome]:
    """One Dask task: each repository of the batch in turn."""
    return [analyze(task) for task in tasks]


class LocalPool:
    """Worker processes of this machine. A worker that dies (a parser crash) fails every task
    its pool held: each is analysed again file by file, each file in a process of its own,
    and later tasks go to a fresh pool."""

    def __init__(self, jobs: int, analyze: Analyze, log: Log) -> None:
        self.jobs, self.analyze, self.log = jobs, analyze, log
        self.pool = self._new_pool()
        self.pools: dict[Future[RepoOutcome], ProcessPoolExecutor] = {}

    def _new_pool(self) -> ProcessPoolExecutor:
        # Not fork: the cloner's threads are running, and a forked child can inherit their
        # locks. Workers (and the forkserver) die with this process, even when it is killed.
        return ProcessPoolExecutor(self.jobs, mp_context=forkserver_context(), **pool_options())

    def submit(self, task: RepoTask) -> Future[RepoOutcome]:
        try:
            future = self.pool.submit(self.analyze, task)
        except BrokenProcessPool:  # broken before any of its failed tasks was collected
            self._replace(self.pool)
            future = self.pool.submit(self.analyze, task)
        self.pools[future] = self.pool
        return future

    def collect(self, task: RepoTask, future: Future[RepoOutcome]) -> RepoOutcome:
        pool = self.pools.pop(future)
        try:
            return future.result()
        except BrokenProcessPool:
            self.log(f"{task.repo}: a worker died; re-analyzing file by file")
            self._replace(pool)
            return self.analyze(task, isolated=True)

    def _replace(self, broken: ProcessPoolExecutor) -> None:
        """A fresh pool, once per broken one (each of its tasks fails alike)."""
        if broken is self.pool:
            broken.shutdown(wait=False, cancel_futures=True)
            self.pool = self._new_pool()

    def run(self, tasks: Iterable[RepoTask], saw: Saw) -> Iterator[RepoOutcome]:
        try:
            for task, future in in_order(tasks, self.submit, _wait_any, 2 * self.jobs, saw):
                yield self.collect(task, future)
        finally:
            self.pool.shutdown(wait=True, cancel_futures=True)


def _wait_any(futures: list[Future[Any]]) -> None:
    wait(futures, return_when=FIRST_COMPLETED)


def run_dask(
    tasks: Iterable[RepoTask], scheduler: str | None, analyze: Analyze, log: Log, saw: Saw
) -> Iterator[RepoOutcome]:
    """The same unit of work on a Dask distributed cluster (checkouts on a shared disk), in
    batches, at most twice the cluster's threads of them unfinished, outcomes in task order."""
    try:
        from distributed import Client
    except ImportError:
        raise MissingDependency(
            "--executor dask needs the 'distributed' package: pip install 'mlflow-miner[dask]'"
        ) from None
    if not scheduler:
        raise StudySetupError("--executor dask needs --scheduler ADDRESS (e.g. tcp://host:8786)")
    with Client(scheduler) as client:  # type: ignore[no-untyped-call]
        workers = client.scheduler_info().get("workers", {})
        log(f"dask: {len(workers)} workers at {scheduler}")
        threads = max(1, sum(int(w.get("nthreads", 1)) for w in workers.values()))
        paused = _best_effort(lambda: client.run(pause_profiler)) or {}
        try:
            yield from _batched_outcomes(client, tasks, analyze, 2 * threads, saw)
        finally:
            again = [worker for worker, was_running in paused.items() if was_running]
            if again and client.status == "running":
                _best_effort(lambda: client.run(resume_profiler, workers=again))


def _best_effort(call: Callable[[], Any]) -> Any:
    """The profiler is a courtesy: a cluster that refuses `run` (or has just died) must not
    fail the study, nor hide the error that ends it."""
    try:
        return call()
    except Exception:
        return None


def _batched_outcomes(
    client: Any, tasks: Iterable[RepoTask], analyze: Analyze, limit: int, saw: Saw
) -> Iterator[RepoOutcome]:
    from distributed import wait as dask_wait

    size = BatchSize()

    def submit(batch: list[RepoTask]) -> Any:
        return client.submit(analyze_batch, analyze, batch, pure=False)

    def wait_any(futures: list[Any]) -> None:
        dask_wait(futures, return_when="FIRST_COMPLETED")  # type: ignore[no-untyped-call]

    for _, future in in_order(batches(tasks, size), submit, wait_any, limit, saw, len):
        for outcome in future.result():
            size.note(outcome)
            yield outcome


_PROFILER = ("profile", "profile-cycle")  # the Worker's periodic callbacks


def pause_profiler(dask_worker: Any) -> bool:
    """On a worker: stop its statistical profiler, which samples the stack of every thread
    running a task every 10 ms and walks up to 100 frames of it; the resolver's stacks are
    deep, and at 2,000 repositories the samples cost about 4% of the study's time. Whether it
    was running (the study starts it again when it ends)."""
    callbacks = [dask_worker.periodic_callbacks.get(name) for name in _PROFILER]
    running = [callback for callback in callbacks if callback and callback.is_running()]
    for callback in running:
        callback.stop()
    return bool(running)


def resume_profiler(dask_worker: Any) -> None:
    for name in _PROFILER:
        callback = dask_worker.periodic_callbacks.get(name)
        if callback is not None:
            callback.start()
