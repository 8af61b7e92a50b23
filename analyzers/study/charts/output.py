"""Writing charts: self-contained HTML (plotly.js inline, offline), and PNG and SVG through
kaleido, the optional extra `mlflow-miner[static]` (`make install` has it).

Static export drives a headless Chromium. Starting it costs seconds, so every image of a report
is written in one batch by one browser; without kaleido or a browser the HTML is still written
and the caller gets a warning instead of an exception.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import plotly.io as pio

from analyzers.study.charts.theme import WIDTH, Chart
from analyzers.tables import atomic_path

STATIC_FORMATS = ("png", "svg")
BROWSER_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")
# No mode bar logo, and nothing that phones home: the report must work offline.
PLOTLY_CONFIG: dict[str, Any] = {
    "displaylogo": False,
    "responsive": True,
    "toImageButtonOptions": {"format": "svg"},
}


@dataclass(frozen=True, slots=True)
class StaticExport:
    """What `write_static` wrote, and why it wrote less than asked, if it did."""

    files: tuple[Path, ...]
    warnings: tuple[str, ...]
    seconds: float


def chart_div(chart: Chart) -> str:
    """The chart as an HTML fragment with a fixed element id, without plotly.js."""
    fragment: str = pio.to_html(
        chart.figure,
        config=PLOTLY_CONFIG,
        include_plotlyjs=False,
        full_html=False,
        div_id=chart.div_id,
        default_height=chart.height,
    )
    return fragment


def write_html(charts: Sequence[Chart], out_dir: str | Path) -> list[Path]:
    """One self-contained HTML file per chart (plotly.js inline, so it works offline)."""
    paths = []
    for chart in charts:
        path = Path(out_dir) / f"{chart.name}.html"
        page = pio.to_html(
            chart.figure,
            config=PLOTLY_CONFIG,
            include_plotlyjs=True,
            full_html=True,
            div_id=chart.div_id,
            default_height=chart.height,
        )
        with atomic_path(path) as tmp:
            tmp.write_text(page, encoding="utf-8")
        paths.append(path)
    return paths


def find_browser() -> str | None:
    """Chromium or Chrome for static export: `$BROWSER_PATH`, else the first on PATH."""
    configured = os.environ.get("BROWSER_PATH")
    if configured:
        return configured if os.access(configured, os.X_OK) else None
    for name in BROWSER_NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None


def write_static(
    charts: Sequence[Chart], out_dir: str | Path, formats: Sequence[str] = STATIC_FORMATS
) -> StaticExport:
    """Write every chart in every format with one browser; never raises for a missing or
    failing browser: what could not be written is reported in `warnings`."""
    started = time.monotonic()
    try:
        import kaleido  # the optional extra mlflow-miner[static]
    except ImportError:
        return StaticExport(
            (),
            (
                "static export skipped: kaleido is not installed (pip install "
                "'mlflow-miner[static]'); the HTML charts were written",
            ),
            0.0,
        )
    browser = find_browser()
    if browser is None:
        return StaticExport(
            (),
            (
                "static export skipped: no Chromium or Chrome found (install "
                "chromium, or point BROWSER_PATH at one); the HTML charts "
                "were written",
            ),
            0.0,
        )
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    specs, targets = [], []
    for chart in charts:
        for fmt in formats:
            # kaleido writes in place; a temporary name keeps a half-written image from
            # replacing a good one.
            target = out / f"{chart.name}.{fmt}"
            tmp = out / f".{chart.name}.tmp.{fmt}"
            specs.append(
                {
                    "fig": chart.figure.to_dict(),
                    "path": tmp,
                    "opts": {"format": fmt, "width": WIDTH, "height": chart.height, "scale": 1},
                }
            )
            targets.append((tmp, target))
    warnings: list[str] = []
    try:
        # mathjax=False: the default would fetch MathJax from the network for every page.
        errors = kaleido.write_fig_from_object_sync(
            specs, kopts={"mathjax": False, "path": browser}, cancel_on_error=False
        )
    except Exception as error:  # a broken browser must cost the images, not the report
        errors = ()
        reason = error.args[0] if error.args else error
        warnings.append(f"static export failed with {browser}: {type(error).__name__}: {reason}")
    for failure in errors or ():
        warnings.append(f"static export: {type(failure).__name__}: {failure}")
    written = []
    for tmp, target in targets:
        if tmp.is_file() and tmp.stat().st_size > 0:
            os.replace(tmp, target)
            written.append(target)
        else:
            tmp.unlink(missing_ok=True)
            if not warnings:
                warnings.append(f"static export: {target.name} was not written")
    return StaticExport(tuple(written), tuple(warnings), time.monotonic() - started)
