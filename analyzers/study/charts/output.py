"""Writing charts: self-contained HTML (plotly.js inline, offline), and PNG, SVG and PDF through
kaleido, the optional extra `mlflow-miner[static]` (`make install` has it).

Static export drives a headless Chromium. Starting it costs seconds, so every image of a report
is written in one batch by one browser; without kaleido or a browser the HTML is still written
and the caller gets a warning instead of an exception. Images are made byte-stable
(`charts.stable`), sized for print (a PNG 300 dpi across a full-width figure, a PDF as wide as
that figure) and drawn only when their figure changed: `NAME.sha256` beside a chart's files is
the digest of what drew them, checked before anything is drawn.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import plotly
import plotly.io as pio

from analyzers.study.charts.stable import png_with_dpi, quiet_stderr, stable_pdf, stable_svg
from analyzers.study.charts.theme import WIDTH, Chart
from analyzers.tables import atomic_path

STATIC_FORMATS = ("png", "svg", "pdf")
PNG_DPI = 300
PRINT_WIDTH_INCHES = 7.0  # a full-width figure of a two-column paper
_PDF_POINTS_PER_PIXEL = 0.75  # Chromium prints a CSS pixel as 3/4 of a point
# Bump when what is done to the images changes, so that charts drawn before are drawn again.
_DRAWING_VERSION = "3"
BROWSER_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")
# No mode bar logo, and nothing that phones home: the report must work offline.
PLOTLY_CONFIG: dict[str, Any] = {
    "displaylogo": False,
    "responsive": True,
    "toImageButtonOptions": {"format": "svg"},
}


@dataclass(frozen=True, slots=True)
class StaticExport:
    """What `write_static` wrote, and why it wrote less than asked, if it did; `noise` is what
    the browser printed meanwhile (shown only with --verbose)."""

    files: tuple[Path, ...]
    warnings: tuple[str, ...]
    seconds: float
    noise: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class DrawnCharts:
    """What `draw_charts` left in the charts folder: every chart's HTML file, the static
    formats on disk for each chart, how many charts were drawn now and how many were reused."""

    html: tuple[Path, ...]
    formats: Mapping[str, tuple[str, ...]]
    drawn: int
    reused: int
    seconds: float
    static: StaticExport | None = None
    warnings: tuple[str, ...] = field(default=())


def static_options(chart: Chart, fmt: str) -> dict[str, Any]:
    """kaleido's options for one image: a PNG of PNG_DPI across PRINT_WIDTH_INCHES, a PDF page
    PRINT_WIDTH_INCHES wide, an SVG in CSS pixels."""
    scale = 1.0
    if fmt == "png":
        scale = PRINT_WIDTH_INCHES * PNG_DPI / WIDTH
    elif fmt == "pdf":
        scale = PRINT_WIDTH_INCHES * 72 / (WIDTH * _PDF_POINTS_PER_PIXEL)
    return {"format": fmt, "width": WIDTH, "height": chart.height, "scale": scale}


def chart_digest(chart: Chart, formats: Sequence[str]) -> str:
    """The digest of everything that decides a chart's files: its figure, its size, the formats
    and how they are drawn, and the plotly version."""
    described = {
        "figure": json.loads(pio.to_json(chart.figure, validate=False, engine="json")),
        "name": chart.name,
        "height": chart.height,
        "static": [static_options(chart, fmt) for fmt in formats],
        "plotly": plotly.__version__,
        "drawing": _DRAWING_VERSION,
    }
    encoded = json.dumps(described, sort_keys=True, separators=(",", ":")).encode("utf-8")
    return hashlib.sha256(encoded).hexdigest()


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


def _missing_exporter() -> str | None:
    """Why static export cannot run here, or None when it can."""
    try:
        import kaleido  # noqa: F401  # the optional extra mlflow-miner[static]
    except ImportError:
        return (
            "static export skipped: kaleido is not installed (pip install "
            "'mlflow-miner[static]'); the HTML charts were written"
        )
    if find_browser() is None:
        return (
            "static export skipped: no Chromium or Chrome found (install chromium, or point "
            "BROWSER_PATH at one); the HTML charts were written"
        )
    return None


def _with_trace_ids(chart: Chart) -> dict[str, Any]:
    """The figure with a fixed `uid` on every trace: plotly names each trace's SVG group and
    colour bar after it, and draws a random one otherwise."""
    figure: dict[str, Any] = chart.figure.to_dict()
    for index, trace in enumerate(figure.get("data", [])):
        trace.setdefault("uid", f"{chart.name}-{index}")
    return figure


def _stabilise(path: Path, chart: Chart, fmt: str) -> None:
    """Rewrite an image kaleido wrote so that the same figure always gives the same bytes."""
    data = path.read_bytes()
    if fmt == "svg":
        data = stable_svg(data, hashlib.sha256(chart.name.encode()).hexdigest()[:6])
    elif fmt == "pdf":
        data = stable_pdf(data)
    elif fmt == "png":
        data = png_with_dpi(data, PNG_DPI)
    path.write_bytes(data)


def write_static(
    charts: Sequence[Chart], out_dir: str | Path, formats: Sequence[str] = STATIC_FORMATS
) -> StaticExport:
    """Write every chart in every format with one browser; never raises for a missing or
    failing browser: what could not be written is reported in `warnings`."""
    started = time.monotonic()
    missing = _missing_exporter()
    if missing is not None:
        return StaticExport((), (missing,), 0.0)
    import kaleido

    browser = find_browser()
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
                {"fig": _with_trace_ids(chart), "path": tmp, "opts": static_options(chart, fmt)}
            )
            targets.append((tmp, target, chart, fmt))
    warnings: list[str] = []
    with quiet_stderr() as noise:
        try:
            # mathjax=False: the default would fetch MathJax from the network for every page.
            errors = kaleido.write_fig_from_object_sync(
                specs, kopts={"mathjax": False, "path": browser}, cancel_on_error=False
            )
        except Exception as error:  # a broken browser must cost the images, not the report
            errors = ()
            reason = error.args[0] if error.args else error
            warnings.append(
                f"static export failed with {browser}: {type(error).__name__}: {reason}"
            )
    for failure in errors or ():
        warnings.append(f"static export: {type(failure).__name__}: {failure}")
    written = []
    for tmp, target, chart, fmt in targets:
        if tmp.is_file() and tmp.stat().st_size > 0:
            _stabilise(tmp, chart, fmt)
            os.replace(tmp, target)
            written.append(target)
        else:
            tmp.unlink(missing_ok=True)
            if not warnings:
                warnings.append(f"static export: {target.name} was not written")
    return StaticExport(tuple(written), tuple(warnings), time.monotonic() - started, tuple(noise))


def _digest_path(out: Path, chart: Chart) -> Path:
    return out / f"{chart.name}.sha256"


def _is_fresh(out: Path, chart: Chart, formats: Sequence[str], digest: str) -> bool:
    """Whether the chart's files on disk were drawn from this very figure."""
    try:
        recorded = _digest_path(out, chart).read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        return False
    files = [out / f"{chart.name}.{fmt}" for fmt in ("html", *formats)]
    return recorded == digest and all(path.is_file() for path in files)


def draw_charts(charts: Sequence[Chart], out_dir: str | Path, static: bool = True) -> DrawnCharts:
    """Every chart's HTML and, when `static`, its PNG, SVG and PDF in `out_dir`, drawing only
    the charts whose digest changed. A chart drawn again loses its old images first (never a
    stale image beside a new chart); its digest is written once all its files are there."""
    started = time.monotonic()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    formats = STATIC_FORMATS if static else ()
    digests = {chart.name: chart_digest(chart, formats) for chart in charts}
    stale = [chart for chart in charts if not _is_fresh(out, chart, formats, digests[chart.name])]
    for chart in stale:
        _digest_path(out, chart).unlink(missing_ok=True)
        for fmt in STATIC_FORMATS:
            (out / f"{chart.name}.{fmt}").unlink(missing_ok=True)
    write_html(stale, out)
    exported: StaticExport | None = None
    if static:
        exported = write_static(stale, out, formats) if stale else StaticExport((), (), 0.0)
    redrawn = {chart.name for chart in stale}
    on_disk: dict[str, tuple[str, ...]] = {}
    for chart in charts:
        on_disk[chart.name] = tuple(
            fmt for fmt in formats if (out / f"{chart.name}.{fmt}").is_file()
        )
        if chart.name in redrawn and len(on_disk[chart.name]) == len(formats):
            with atomic_path(_digest_path(out, chart)) as tmp:
                tmp.write_text(digests[chart.name] + "\n", encoding="ascii")
    return DrawnCharts(
        html=tuple(out / f"{chart.name}.html" for chart in charts),
        formats=on_disk,
        drawn=len(stale),
        reused=len(charts) - len(stale),
        seconds=time.monotonic() - started,
        static=exported,
        warnings=exported.warnings if exported else (),
    )
