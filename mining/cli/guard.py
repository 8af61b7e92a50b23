"""How every command ends: exit codes, one-line errors, SIGTERM and Ctrl-C, and its outputs.

* `EXIT_CODES` is the table README's "Exit codes" shows; every failure maps to one of them
  (`classify`), and is reported in one line on stderr, never as a traceback (set
  `MLFLOW_MINER_DEBUG=1` to see the traceback of an unexpected error).
* `run_guarded` runs a command so that SIGTERM is handled like Ctrl-C: the processes below this
  one are stopped, the temporary files being written are removed, and the command exits with
  143 (130 for Ctrl-C); a rerun then resumes.
* `claim_output` is called for every folder or file a command writes, before any work: it
  fails fast (one line) when the output cannot be written, sweeps the temporary files an
  earlier, killed run left there, and remembers it for the sweep after a stop.
"""

from __future__ import annotations

import contextlib
import errno
import gc
import os
import signal
import sqlite3
import threading
from collections.abc import Callable
from dataclasses import dataclass
from enum import IntEnum
from pathlib import Path
from types import FrameType
from typing import Any

import click

from analyzers.repo.lifetime import is_running, stop_descendants
from analyzers.tables import sweep_temporary


class ExitCode(IntEnum):
    OK = 0
    FAILED = 1
    USAGE = 2
    ENVIRONMENT = 3
    INTERRUPTED = 130
    TERMINATED = 143


# code -> what it means; README's "Exit codes" table is this one (a test compares them).
EXIT_CODES: dict[ExitCode, str] = {
    ExitCode.OK: "done; every repository has a status (not-found, unpinned and the other final "
    "statuses are results, not failures)",
    ExitCode.FAILED: "the run failed, or some repositories ended `error` or `timeout` (a "
    "rerun tries them again)",
    ExitCode.USAGE: "a mistake in the command line or in a file it names (study file, dataset, "
    "study directory): nothing was done",
    ExitCode.ENVIRONMENT: "the machine or the network: API unreachable or malformed "
    "`GITHUB_API_URL`, token refused, output not writable or full; nothing was done, or the "
    "run stopped and resumes when rerun",
    ExitCode.INTERRUPTED: "Ctrl-C: workers stopped, partial files removed; a rerun resumes",
    ExitCode.TERMINATED: "SIGTERM, handled like Ctrl-C",
}

# Below this, an output's file system counts as full before anything is written.
MIN_FREE_BYTES = 8 * 1024 * 1024
_ENVIRONMENT_ERRNOS = frozenset(
    {errno.EACCES, errno.EPERM, errno.EROFS, errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EIO}
)


class Terminated(BaseException):
    """SIGTERM arrived: unwinds like KeyboardInterrupt (and, like it, no `except Exception`
    swallows it)."""


class EnvironmentProblem(click.ClickException):
    exit_code = ExitCode.ENVIRONMENT


class BadInput(click.ClickException):
    """A mistake in a file the command was given (not its options): exit 2, one line."""

    exit_code = ExitCode.USAGE


@dataclass(frozen=True, slots=True)
class _Claim:
    folder: Path
    recursive: bool
    target: str | None  # a single file's name in `folder`


_claims: list[_Claim] = []


def claim_output(
    path: Path, *, folder: bool = True, option: str = "--out", sweep: bool = True
) -> Path:
    """Check that `path` (a folder, or a file if not `folder`) can be written, before any work;
    sweep (unless not `sweep`: a cache too big to walk) what a killed run left there. Returns
    the folder written into."""
    if folder and path.exists() and not path.is_dir():
        raise BadInput(f"{option} {path} is a file, not a folder")
    if not folder and path.is_dir():
        raise BadInput(f"{option} {path} is a folder, not a file")
    directory = path if folder else path.parent
    # Nothing is created yet (a command that fails on its arguments leaves nothing behind):
    # the folder, or the nearest existing one above it, must take a new file.
    existing = directory.absolute()
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        raise BadInput(f"{option} {path}: {existing} is a file, not a folder")
    try:
        probe = existing / f".mlflow-miner-probe.{os.getpid()}.{os.urandom(6).hex()}"
        os.close(os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        probe.unlink()
        free = _free_bytes(existing)
    except OSError as error:
        raise EnvironmentProblem(f"cannot write to {existing}: {_reason(error)}") from None
    if free is not None and free < MIN_FREE_BYTES:
        raise EnvironmentProblem(
            f"cannot write to {existing}: only {free // 1024} kB free on its file system"
        )
    if sweep:
        claim = _Claim(directory, folder, None if folder else path.name)
        _claims.append(claim)
        _sweep(claim, own=False)
    return directory


def _free_bytes(directory: Path) -> int | None:
    try:
        stats = os.statvfs(directory)
    except (AttributeError, OSError):
        return None
    return stats.f_bavail * stats.f_frsize


def _sweep(claim: _Claim, own: bool) -> None:
    """Remove the temporary files of writers that no longer run (and, with `own`, this
    process's: called once its writes have all unwound)."""
    me = os.getpid()

    def dead(pid: int) -> bool:
        return (own and pid == me) or not is_running(pid)

    with contextlib.suppress(OSError):
        sweep_temporary(claim.folder, recursive=claim.recursive, target=claim.target, dead=dead)


# --------------------------------------------------------------------------- errors


def _reason(error: OSError) -> str:
    return error.strerror or type(error).__name__


def one_line(text: str) -> str:
    return " ".join(str(text).split())


def classify(error: BaseException) -> tuple[ExitCode, str]:
    """The exit code and the one-line message for an error that reached the command line."""
    if isinstance(error, click.ClickException):
        return ExitCode(error.exit_code), one_line(error.format_message())
    if getattr(error, "environment", False):  # e.g. mining.github's ApiUnreachable
        return ExitCode.ENVIRONMENT, one_line(str(error))
    if isinstance(error, sqlite3.OperationalError):  # the analysis cache: full, read-only, ...
        return ExitCode.ENVIRONMENT, one_line(f"the analysis cache cannot be used: {error}")
    if isinstance(error, OSError) and (
        error.errno in _ENVIRONMENT_ERRNOS or isinstance(error, ConnectionError)
    ):
        where = f" {error.filename}" if error.filename else ""
        if not where and _claims:  # a failed write names no file: say where the run writes
            where = " into " + ", ".join(str(claim.folder) for claim in _claims)
        return ExitCode.ENVIRONMENT, one_line(f"cannot write{where}: {_reason(error)}")
    if isinstance(error, OSError):
        where = f"{error.filename}: " if error.filename else ""
        return ExitCode.FAILED, one_line(f"{where}{_reason(error)}")
    return ExitCode.FAILED, one_line(
        f"unexpected {type(error).__name__}: {error} (a bug: set MLFLOW_MINER_DEBUG=1 to see "
        "where, and please report it)"
    )


# --------------------------------------------------------------------------- signals


def run_guarded(call: Callable[[], Any]) -> Any:
    """Run a command: SIGTERM and Ctrl-C stop it cleanly; errors become one line and an exit
    code (raised as `click.exceptions.Exit`)."""
    _claims.clear()
    stopping = threading.Event()

    def stop(signum: int, _frame: FrameType | None) -> None:
        if stopping.is_set():
            return  # already unwinding: let the cleanup finish
        stopping.set()
        stop_descendants()  # workers and git first, so that nothing waits on them
        raise Terminated() if signum == signal.SIGTERM else KeyboardInterrupt()

    previous = _install(stop)
    try:
        try:
            return call()
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except Terminated:
            code, message = ExitCode.TERMINATED, _stopped("SIGTERM")
        except KeyboardInterrupt:
            code, message = ExitCode.INTERRUPTED, _stopped("Ctrl-C")
        except Exception as error:
            if os.environ.get("MLFLOW_MINER_DEBUG"):
                raise
            code, message = classify(error)
            message = f"Error: {message}"
        stopping.set()
        # The exception is gone, and with it the frames it held: generators the command left
        # open now run their `finally` (git aborted, partial checkouts and temporary files
        # removed) before what is left is swept.
        gc.collect()
        if code in (ExitCode.TERMINATED, ExitCode.INTERRUPTED):
            stop_descendants()  # anything started while unwinding
        _sweep_claims()
        click.echo(message, err=True)
        raise click.exceptions.Exit(code)
    finally:
        _restore(previous)


def _stopped(name: str) -> str:
    return (
        f"stopped by {name}: workers stopped, partial files removed; rerun the same command "
        "to resume"
    )


def _sweep_claims() -> None:
    for claim in _claims:
        _sweep(claim, own=True)


_Handler = Callable[[int, FrameType | None], Any] | int | None


def _install(handler: Callable[[int, FrameType | None], Any]) -> dict[int, _Handler] | None:
    if threading.current_thread() is not threading.main_thread():
        return None  # signals are delivered to the main thread only
    return {signum: signal.signal(signum, handler) for signum in (signal.SIGTERM, signal.SIGINT)}


def _restore(previous: dict[int, _Handler] | None) -> None:
    for signum, handler in (previous or {}).items():
        signal.signal(signum, handler)
