"""Child processes that die with the process that started them, and a way to stop them all.

A `kill -9` gives a process no chance to clean up, so its children must notice by themselves:

* Linux: the child asks the kernel for SIGKILL when its parent exits
  (`prctl(PR_SET_PDEATHSIG)`, through ctypes; see `die_with_parent`). Pool workers do it in
  their initializer, a forkserver through its preload list (`lifetime_preload`), git commands
  through `setpriv --pdeathsig` (`gitsafe`; a `preexec_fn`, `popen_options`, where setpriv is
  missing). The signal fires when the *thread* that started the child exits, so pools and git
  commands are started from threads that outlive them (the main thread, or the thread that
  waits for the command).
* Elsewhere, or where prctl is refused: a daemon thread in the child polls the owner's pid and
  exits when it is gone (not possible for an exec'd program: a git command then ends when its
  pipes close, or at its deadline).

A forkserver's workers hold the write end of its "alive" pipe, and a worker holds both ends of
its call queue, so without this the forkserver, its workers and the resource tracker wait for
each other forever after the owner is killed (about 110 MB per kill, measured).

`stop_descendants` is for SIGTERM and Ctrl-C: it kills every process below this one (except
multiprocessing's resource tracker, which exits by itself once nobody holds its pipe and
unlinks what was left behind) and waits until they are gone, so their temporary files can
then be swept (`analyzers.tables.sweep_temporary`).
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterable
from functools import partial
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from multiprocessing.context import ForkServerContext

PR_SET_PDEATHSIG = 1
WATCH_SECONDS = 0.5
# Imported by a forkserver at its start (set_forkserver_preload): it then dies with its owner.
PRELOAD = "analyzers.repo.lifetime_preload"

_prctl: Callable[..., int] | None = None
_prctl_loaded = False


def _load_prctl() -> Callable[..., int] | None:
    global _prctl, _prctl_loaded
    if not _prctl_loaded:
        _prctl_loaded = True
        if sys.platform.startswith("linux"):
            try:
                import ctypes

                _prctl = ctypes.CDLL(None, use_errno=True).prctl
            except (OSError, AttributeError):
                _prctl = None
    return _prctl


def _set_death_signal() -> bool:
    """Ask the kernel to SIGKILL this process when its parent exits; False if it cannot."""
    prctl = _load_prctl()
    return prctl is not None and prctl(PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0) == 0


def die_with_parent(owner: int | None = None) -> None:
    """Call in a child process: it is killed when its parent exits.

    `owner` is the process whose death matters (default: the parent). Where the kernel cannot
    help, a daemon thread polls `owner` instead; on Linux a process started by a forkserver
    relies on the forkserver dying with `owner` (see `forkserver_context`).
    """
    parent = os.getppid()
    owner = parent if owner is None else owner
    if _set_death_signal():
        if os.getppid() != parent or not is_running(owner):  # it died before we asked
            os._exit(1)
        return
    threading.Thread(target=_watch, args=(owner,), name="die-with-parent", daemon=True).start()


def _watch(owner: int) -> None:
    while is_running(owner):
        time.sleep(WATCH_SECONDS)
    os._exit(1)


def _exec_guard(parent: int) -> None:
    # In the child, between fork and exec: no thread can survive exec, so the kernel or nothing.
    if _set_death_signal() and os.getppid() != parent:
        os._exit(1)


def popen_options() -> dict[str, Any]:
    """Extra `subprocess.Popen` arguments that make the program die with this process (Linux)."""
    if _load_prctl() is None:
        return {}
    return {"preexec_fn": partial(_exec_guard, os.getpid())}


def forkserver_context(*preload: str) -> ForkServerContext:
    """The forkserver context, set so that its server dies with this process; `preload` are
    modules the server imports once for all its workers."""
    import multiprocessing

    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload([PRELOAD, *preload])
    return context


def pool_options() -> dict[str, Any]:
    """`ProcessPoolExecutor` arguments whose workers die with this process; for a pool with an
    initializer of its own, call `die_with_parent(owner)` first thing in it instead."""
    return {"initializer": die_with_parent, "initargs": (os.getpid(),)}


# --------------------------------------------------------------------------- stopping


def is_running(pid: int) -> bool:
    """Whether `pid` runs (a zombie, dead but not yet reaped, does not)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            return handle.read().rpartition(b")")[2].split()[0] != b"Z"
    except (OSError, IndexError):
        return True  # no /proc: trust kill(0)


def _children_table() -> dict[int, list[int]]:
    """parent pid -> child pids, from /proc (empty where there is no /proc)."""
    table: dict[int, list[int]] = {}
    try:
        names = os.listdir("/proc")
    except OSError:
        return table
    for name in names:
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as handle:
                fields = handle.read().rpartition(b")")[2].split()
        except OSError:
            continue
        if len(fields) > 1 and fields[0] != b"Z":
            table.setdefault(int(fields[1]), []).append(int(name))
    return table


def descendants(pid: int | None = None) -> list[int]:
    """Every live process below `pid` (default: this one), parents before their children."""
    root = os.getpid() if pid is None else pid
    table = _children_table()
    if not table:  # no /proc: the children multiprocessing knows about
        import multiprocessing

        return [p.pid for p in multiprocessing.active_children() if p.pid is not None]
    found: list[int] = []
    queue = list(table.get(root, ()))
    while queue:
        child = queue.pop(0)
        found.append(child)
        queue.extend(table.get(child, ()))
    return found


def _resource_tracker() -> int | None:
    tracker = sys.modules.get("multiprocessing.resource_tracker")
    return getattr(getattr(tracker, "_resource_tracker", None), "_pid", None)


def stop_descendants(timeout: float = 5.0) -> list[int]:
    """SIGKILL every process below this one but the resource tracker; wait (up to `timeout`
    seconds) until they are gone. Returns the pids that were killed."""
    spared = _resource_tracker()
    victims = [pid for pid in descendants() if pid != spared]
    for pid in victims:
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)
    wait_gone(victims, timeout)
    return victims


def wait_gone(pids: Iterable[int], timeout: float) -> bool:
    """Wait until none of `pids` runs; False if some still do after `timeout` seconds."""
    pending = list(pids)
    deadline = time.monotonic() + timeout
    while pending:
        pending = [pid for pid in pending if is_running(pid)]
        if not pending:
            break
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.02)
    return True
