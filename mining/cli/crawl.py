"""`mlflow-miner crawl`: list the repositories of GitHub topics into a pinned CSV dataset."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

import click

from mining.github.client import GithubApiError, redact
from mining.github.crawl import checkpoint_path, write_dataset
from mining.github.search import DEFAULT_TOPICS, EARLIEST, CrawlError, CrawlSettings, CrawlStats


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--topic",
    "topics",
    multiple=True,
    metavar="TOPIC",
    help=f"GitHub topic to list; repeat for several. [default: {', '.join(DEFAULT_TOPICS)}]",
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
    queries: tuple[str, ...],
    out: Path,
    since: datetime,
    per_page: int,
    max_retries: int,
    keep_checkpoint: bool,
    restart: bool,
) -> None:
    """List every repository of GitHub TOPICs into a CSV, pinned to its default branch's head.

    One row per repository, deduplicated across topics and sorted by full_name; `commit` is
    the SHA of the default branch's head at crawl time, empty (with the reason in `note`)
    when it cannot be read, e.g. for an empty repository. Searches are split by creation
    date so that GitHub's 1000-results-per-search limit hides nothing.

    \b
    Environment:
      GITHUB_TOKEN    token for the API; without it the crawl is anonymous and
                      limited to 60 requests an hour
      GITHUB_API_URL  API base URL [default: https://api.github.com]

    Rate limits are waited out with a countdown on stderr. A crawl that is interrupted
    resumes when rerun with the same options, from OUT.checkpoint.jsonl, and writes the
    same file an uninterrupted crawl would have written; OUT itself is written at the end.
    """
    # Embedding programs and tests may inject `sleep` and `clock` through the context object.
    injected = ctx.obj if isinstance(ctx.obj, dict) else {}
    checkpoint = checkpoint_path(out)
    if restart:
        checkpoint.unlink(missing_ok=True)
    settings = CrawlSettings(
        topics=topics or DEFAULT_TOPICS,
        qualifiers=queries,
        checkpoint=checkpoint,
        since=since.replace(tzinfo=UTC),
        per_page=per_page,
        max_retries=max_retries,
        sleep=injected.get("sleep", time.sleep),
        clock=injected.get("clock", time.time),
    )
    stats = CrawlStats()
    try:
        write_dataset(settings, out, stats, keep_checkpoint)
    except KeyboardInterrupt:
        click.echo(f"interrupted; rerun the same command to resume from {checkpoint}", err=True)
        ctx.exit(130)
    except (CrawlError, GithubApiError) as exc:
        raise click.ClickException(
            f"{redact(str(exc), settings.token)} (progress kept in {checkpoint})"
        ) from None
    except Exception as exc:
        # Unexpected, but still no traceback: its locals and messages could hold the token.
        raise click.ClickException(
            f"crawl failed: {type(exc).__name__}: {redact(str(exc), settings.token)}"
        ) from None
    click.echo(_summary(stats, out), err=True)


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
    return (
        f"wrote {stats.repositories} repositories to {out} ({per_topic})\n"
        f"{stats.slices} slices ({stats.splits} splits); {stats.requests} requests: "
        f"{stats.search_requests} search, {stats.pin_requests} pin, {stats.retries} retries; "
        f"{stats.rate_limit_waits} rate-limit waits, {stats.waited_seconds:g}s waited{restored}"
    )
