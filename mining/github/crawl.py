"""`mlflow-miner crawl`: list the repositories of GitHub topics into a pinned CSV dataset.

The work is done by `mining.github.search.crawl`, re-exported here as `crawl_repositories`.
"""

from __future__ import annotations

from contextlib import closing
from dataclasses import replace
from pathlib import Path

from analyzers.tables import csv_table
from mining.github.search import (
    COLUMNS,
    CrawlSettings,
    CrawlStats,
)
from mining.github.search import crawl as crawl_repositories


def checkpoint_path(out: Path) -> Path:
    """Where the crawl writing `out` keeps its progress."""
    return out.with_name(out.name + ".checkpoint.jsonl")


def write_dataset(
    settings: CrawlSettings,
    out: Path,
    stats: CrawlStats | None = None,
    keep_checkpoint: bool = False,
) -> CrawlStats:
    """Crawl into the dataset CSV `out` (atomically), resuming from its checkpoint file."""
    if settings.checkpoint is None:
        settings = replace(settings, checkpoint=checkpoint_path(out))
    stats = stats or CrawlStats()
    with csv_table(out, COLUMNS) as table, closing(crawl_repositories(settings, stats)) as rows:
        for record in rows:
            table.write(record.as_row())
    if not keep_checkpoint and settings.checkpoint is not None:
        settings.checkpoint.unlink(missing_ok=True)
    return stats
