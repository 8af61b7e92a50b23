"""`mlflow-miner crawl`: list the repositories of GitHub topics into a pinned CSV dataset.

The work is done by `mining.github.search.crawl`, re-exported here as `crawl_repositories`.
Beside the dataset `OUT`, `OUT.crawl.json` records how it was made (topics, code searches,
qualifiers, the API, the slicing floor, and the slices GitHub said were not whole): a study
copies it into its study.json.
"""

from __future__ import annotations

import json
from contextlib import closing
from dataclasses import replace
from datetime import UTC
from pathlib import Path
from typing import Any

from analyzers.tables import atomic_text, csv_table
from mining.github.search import (
    COLUMNS,
    CrawlSettings,
    CrawlStats,
    public_url,
)
from mining.github.search import crawl as crawl_repositories


def checkpoint_path(out: Path) -> Path:
    """Where the crawl writing `out` keeps its progress."""
    return out.with_name(out.name + ".checkpoint.jsonl")


def provenance_path(dataset: Path) -> Path:
    """Where the crawl that wrote `dataset` says how it was made."""
    return dataset.with_name(dataset.name + ".crawl.json")


def write_dataset(
    settings: CrawlSettings,
    out: Path,
    stats: CrawlStats | None = None,
    keep_checkpoint: bool = False,
) -> CrawlStats:
    """Crawl into the dataset CSV `out` (atomically), resuming from its checkpoint file; its
    provenance is written just before it (a dataset never lacks one)."""
    if settings.checkpoint is None:
        settings = replace(settings, checkpoint=checkpoint_path(out))
    stats = stats or CrawlStats()
    with csv_table(out, COLUMNS) as table, closing(crawl_repositories(settings, stats)) as rows:
        for record in rows:
            table.write(record.as_row())
        with atomic_text(provenance_path(out)) as handle:
            json.dump(provenance(settings, stats), handle, indent=2, sort_keys=True)
            handle.write("\n")
    if not keep_checkpoint and settings.checkpoint is not None:
        settings.checkpoint.unlink(missing_ok=True)
    return stats


def provenance(settings: CrawlSettings, stats: CrawlStats) -> dict[str, Any]:
    """How a dataset was crawled: the same for a crawl resumed after a kill (no run times)."""
    return {
        "crawled_at": stats.crawled_at,
        "topics": sorted({topic.strip().lower() for topic in settings.topics}),
        "qualifiers": " ".join(" ".join(settings.qualifiers).split()),
        "since": settings.since.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "api": public_url(settings.base_url),
        "min_slice_seconds": settings.min_slice,
        "repositories": stats.repositories,
        "truncated_slices": [item.to_json() for item in stats.truncated],
        **(
            {
                "code_search": {
                    frame: {
                        "reported": counted.reported,
                        "results": counted.files,
                        "repositories": counted.repositories,
                        "slices": counted.slices,
                    }
                    for frame, counted in stats.frames.code.items()
                },
                "truncated_code_slices": [item.to_json() for item in stats.frames.truncated],
            }
            if settings.code_searches
            else {}
        ),
    }


def read_provenance(dataset: Path) -> dict[str, Any] | None:
    """The crawl's provenance of `dataset`, if it has one (a dataset made otherwise has not)."""
    try:
        data = json.loads(provenance_path(dataset).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


__all__ = [
    "checkpoint_path",
    "crawl_repositories",
    "provenance",
    "provenance_path",
    "read_provenance",
    "write_dataset",
]
