"""`mlflow-miner crawl`: list the repositories of GitHub topics and code searches into a pinned
CSV dataset."""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import click

from mining.cli.guard import BadInput, EnvironmentProblem, ExitCode, claim_output
from mining.cli.options import max_retry_seconds, min_slice
from mining.github.client import GithubApiError, redact
from mining.github.code_search import TruncatedCodeSlice
from mining.github.crawl import checkpoint_path, provenance_path, write_dataset
from mining.github.search import (
    DEFAULT_TOPICS,
    EARLIEST,
    CrawlError,
    CrawlSettings,
    CrawlStats,
    TruncatedSlice,
    preflight,
)


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--topic",
    "topics",
    multiple=True,
    metavar="TOPIC",
    help="GitHub topic to list; repeat for several. [default: "
    f"{', '.join(DEFAULT_TOPICS)}, unless --code-search is given]",
)
@click.option(
    "--code-search",
    "code_searches",
    multiple=True,
    metavar="QUERY",
    help='List every repository a GitHub code search finds, e.g. \'"import mlflow" '
    "language:Python' or 'mlflow filename:requirements.txt'; repeatable, a frame of its own "
    "beside the topics. Needs GITHUB_TOKEN. size: is reserved for slicing.",
)
@click.option(
    "--query",
    "queries",
    multiple=True,
    metavar="QUALIFIERS",
    help='Extra search qualifiers, e.g. "language:python stars:>=5 pushed:>2023-01-01"; '
    "repeatable. created: is reserved for slicing.",
)
@click.option(
    "--out",
    required=True,
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="CSV file to write, e.g. datasets/NAME.csv.",
)
@click.option(
    "--since",
    type=click.DateTime(["%Y-%m-%d"]),
    default=EARLIEST.strftime("%Y-%m-%d"),
    show_default=True,
    help="Earliest creation date (UTC) searched.",
)
@click.option(
    "--per-page",
    type=click.IntRange(1, 100),
    default=100,
    show_default=True,
    help="Search results per request.",
)
@click.option(
    "--max-retries",
    type=click.IntRange(0, 20),
    default=5,
    show_default=True,
    help="Retries of a request after 5xx answers, timeouts or dropped connections.",
)
@max_retry_seconds
@min_slice
@click.option(
    "--keep-checkpoint", is_flag=True, help="Keep the checkpoint file after a successful crawl."
)
@click.option(
    "--restart", is_flag=True, help="Discard an existing checkpoint instead of resuming from it."
)
@click.pass_context
def crawl(
    ctx: click.Context,
    topics: tuple[str, ...],
    code_searches: tuple[str, ...],
    queries: tuple[str, ...],
    out: Path,
    since: datetime,
    per_page: int,
    max_retries: int,
    max_retry_seconds: float,
    min_slice: int,
    keep_checkpoint: bool,
    restart: bool,
) -> None:
    """List every repository of GitHub TOPICs and code searches into a CSV, pinned to its
    default branch's head.

    One row per repository, deduplicated across frames and sorted by full_name; `frames` says
    which topics and code searches found it; `commit` is the SHA of the default branch's head
    at crawl time, empty (with the reason in `note`) when it cannot be read, e.g. for an empty
    repository. Topic searches are split by creation date, code searches by file size, so
    that GitHub's 1000-results-per-search limit hides nothing; a slice that cannot be split
    further is listed and reported as truncated. With only --code-search, the default topics
    are not searched.

    \b
    Environment:
      GITHUB_TOKEN    token for the API; without it the crawl is anonymous and
                      limited to 60 requests an hour
      GITHUB_API_URL  API base URL [default: https://api.github.com]

    Rate limits are waited out with a countdown on stderr. A crawl that is interrupted
    resumes when rerun with the same options, from OUT.checkpoint.jsonl, and writes the
    same file an uninterrupted crawl would have written; OUT itself is written at the end,
    just after OUT.crawl.json (how it was crawled, truncated slices included).

    Before any search, the output is checked writable and the API reachable with the token
    accepted; a failure there costs no request budget and leaves no checkpoint.
    """
    # Embedding programs and tests may inject `sleep` and `clock` through the context object.
    injected = ctx.obj if isinstance(ctx.obj, dict) else {}
    claim_output(out, folder=False)
    claim_output(provenance_path(out), folder=False)
    checkpoint = checkpoint_path(out)
    settings = CrawlSettings(
        topics=topics or (() if code_searches else DEFAULT_TOPICS),
        code_searches=code_searches,
        qualifiers=queries,
        checkpoint=checkpoint,
        since=since.replace(tzinfo=UTC),
        per_page=per_page,
        max_retries=max_retries,
        max_retry_seconds=max_retry_seconds,
        min_slice=min_slice,
        sleep=injected.get("sleep", time.sleep),
        clock=injected.get("clock", time.time),
    )
    stats = CrawlStats()
    try:
        preflight(settings, stats)
    except CrawlError as exc:  # the API, the token, the topics: before anything is done
        failure: type[click.ClickException] = EnvironmentProblem if exc.environment else BadInput
        raise failure(redact(str(exc), settings.token)) from None
    except GithubApiError as exc:
        raise EnvironmentProblem(redact(str(exc), settings.token)) from None
    try:
        if restart:
            checkpoint.unlink(missing_ok=True)
        write_dataset(settings, out, stats, keep_checkpoint)
    except KeyboardInterrupt:
        click.echo(f"interrupted; rerun the same command to resume from {checkpoint}", err=True)
        ctx.exit(ExitCode.INTERRUPTED)
    except (CrawlError, GithubApiError) as exc:
        kept = f" (progress kept in {checkpoint})" if checkpoint.exists() else ""
        failure = (
            EnvironmentProblem
            if exc.environment
            else BadInput
            if getattr(exc, "usage", False)
            else click.ClickException
        )
        raise failure(redact(str(exc), settings.token) + kept) from None
    except OSError:
        raise  # the output or the checkpoint cannot be written: the guard's one line
    except Exception as exc:
        # Unexpected, but still no traceback: its locals and messages could hold the token.
        raise click.ClickException(
            f"crawl failed: {type(exc).__name__}: {redact(str(exc), settings.token)}"
        ) from None
    click.echo(_summary(stats, out), err=True)


def truncation_warning(
    truncated: Sequence[TruncatedSlice | TruncatedCodeSlice], dataset: Path, shown: int = 5
) -> str:
    """What to tell the user about slices GitHub said were not whole; "" if there are none."""
    if not truncated:
        return ""
    lines = [
        f"warning: {len(truncated)} slice(s) truncated, their repositories may be incomplete "
        f"(listed in {provenance_path(dataset)}):",
        *(f"  {item.describe()}" for item in truncated[:shown]),
    ]
    if len(truncated) > shown:
        lines.append(f"  ... and {len(truncated) - shown} more")
    return "\n".join(lines)


def all_truncated(stats: CrawlStats) -> list[TruncatedSlice | TruncatedCodeSlice]:
    """Every truncated slice of the crawl: topic searches', then code searches'."""
    return [*stats.truncated, *stats.frames.truncated]


def _summary(stats: CrawlStats, out: Path) -> str:
    restored = (
        f"; resumed with {stats.restored_slices} slices and {stats.restored_pins} pins "
        "from the checkpoint"
        if stats.restored_slices or stats.restored_pins
        else ""
    )
    per_topic = ", ".join(
        f"{topic}: {count} listed"
        + (f" of {stats.reported[topic]}" if topic in stats.reported else "")
        for topic, count in sorted(stats.listed.items())
    )
    code = stats.frames.code
    per_frame = ", ".join(
        [
            *([per_topic] if per_topic else []),
            *(
                f"{frame}: {counted.repositories} repositories in {counted.files} results"
                + (f" of {counted.reported}" if counted.requests or counted.reported else "")
                for frame, counted in code.items()
            ),
        ]
    )
    code_line = (
        f"code search: {sum(c.slices for c in code.values())} slices "
        f"({sum(c.splits for c in code.values())} splits), "
        f"{sum(c.requests for c in code.values())} requests, "
        f"{stats.frames.describe_requests} repository descriptions\n"
        if code
        else ""
    )
    warning = truncation_warning(all_truncated(stats), out)
    return (
        f"wrote {stats.repositories} repositories to {out} ({per_frame})\n"
        + code_line
        + f"{stats.slices} slices ({stats.splits} splits); {stats.requests} requests: "
        f"{stats.search_requests} search, {stats.pin_requests} pin, {stats.retries} retries; "
        f"{stats.rate_limit_waits} rate-limit waits, {stats.waited_seconds:g}s waited{restored}"
        + (f"\n{warning}" if warning else "")
    )
