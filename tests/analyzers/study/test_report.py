"""The study report: chart files, a golden page, offline rendering in a real headless Chromium."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

from analyzers.study.aggregate import aggregate
from analyzers.study.charts import build_charts, find_browser
from analyzers.study.load import load_study
from analyzers.study.report import Report, build_report, render_index
from tests.analyzers.study.study_fixture import STUDY, copy_study
from tests.conftest import Golden

GOLDEN = Path(__file__).parent / "golden"
CHARTS = [
    "adoption",
    "adoption-by-kind",
    "cooccurrence",
    "top-keys",
    "adoption-by-year",
]
# Traceability and the findings beyond call counts
CHARTS += [
    "traceability",
    "traceability-distribution",
    "traceability-combinations",
    "locations",
    "registry-lifecycle",
    "model-uris",
    "model-naming",
]
CHARTS += ["method-comparison"]  # what a text search would have found (text_matches.csv)
BROWSER = find_browser()
# CI installs Chromium (.ci/run): there, a missing browser is a failure, not a skip.
needs_browser = pytest.mark.skipif(
    BROWSER is None and not os.environ.get("CI"),
    reason="no Chromium or Chrome on PATH (apt-get install chromium, or set BROWSER_PATH)",
)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Report:
    """The report with static images: one browser start for all of them."""
    return build_report(copy_study(tmp_path_factory.mktemp("report")), static=True)


def without_scripts(page: str) -> str:
    """The page with every script's body elided: plotly.js and the figures' JSON change with
    the plotly version; the text, tables and chart elements are what the golden file pins."""
    return re.sub(r"(<script[^>]*>).*?(</script>)", r"\1…\2", page, flags=re.DOTALL)


def test_index_matches_golden_file(tmp_path: Path, golden: Golden) -> None:
    report = build_report(copy_study(tmp_path), static=False)
    produced = without_scripts(report.index.read_text(encoding="utf-8"))
    golden(GOLDEN / "study_index.html", produced)


def test_index_is_deterministic() -> None:
    aggregates = aggregate(load_study(STUDY))
    first = render_index(aggregates, build_charts(aggregates))
    aggregates = aggregate(load_study(STUDY))
    assert render_index(aggregates, build_charts(aggregates)) == first


def test_index_is_self_contained(built: Report) -> None:
    page = built.index.read_text(encoding="utf-8")
    assert page.count("* plotly.js v") == 1, "plotly.js is inlined exactly once"
    assert not re.search(r"<(script|link|img)[^>]+(src|href)=\"?(https?:)?//", page)
    for name in CHARTS:
        assert page.count(f'id="chart-{name}"') == 1
    assert built.index == built.index.parents[1] / "report" / "index.html"


def test_index_shows_provenance_and_denominators(built: Report) -> None:
    page = built.index.read_text(encoding="utf-8")
    meta = json.loads((STUDY / "study.json").read_text(encoding="utf-8"))
    assert meta["dataset_sha256"] + " (matches study.json)" in page
    assert all(
        str(meta[key]) in page for key in ("dataset", "tool_version", "started_at", "finished_at")
    )
    assert "<strong>13</strong> repositories: <strong>8</strong>" in page
    assert "<strong>5</strong> were not" in page
    for status in ("not-found", "too-large", "timeout", "empty", "not-attempted"):
        assert f"<td>{status}</td>" in page


def test_a_dataset_that_differs_from_study_json_is_flagged(tmp_path: Path) -> None:
    study = copy_study(tmp_path)
    with open(study / "dataset.csv", "a", encoding="utf-8") as handle:
        handle.write("\n")
    page = build_report(study, static=False).index.read_text(encoding="utf-8")
    assert "DIFFERS from study.json" in page
    assert 'class="warning"' in page


def test_names_from_repositories_are_escaped(tmp_path: Path) -> None:
    study = copy_study(tmp_path)
    with open(study / "calls.csv", "a", encoding="utf-8") as handle:
        handle.write(
            "gamma/mixed,5555555555555555555555555555555555555555,train.py,,40,0,"
            "mlflow.log_metric,metrics,<img src=x onerror=alert(1)>\n"
        )
    page = build_report(study, static=False).index.read_text(encoding="utf-8")
    assert "<img src=x" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "=HYPERLINK(&quot;http://x.invalid&quot;,&quot;win&quot;)" in page


@pytest.mark.parametrize("name", CHARTS)
def test_chart_html_files_are_self_contained(built: Report, name: str) -> None:
    path = built.index.parent / "charts" / f"{name}.html"
    page = path.read_text(encoding="utf-8")
    assert path in built.charts
    assert page.count("* plotly.js v") == 1
    assert f'id="chart-{name}"' in page
    assert not re.search(r"<script[^>]+src=", page)


@needs_browser
@pytest.mark.parametrize("name", CHARTS)
def test_static_images_are_written(built: Report, name: str) -> None:
    assert built.static is not None, built.warnings
    assert not built.warnings, built.warnings
    charts = built.index.parent / "charts"
    assert (charts / f"{name}.png").read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    assert "<svg" in (charts / f"{name}.svg").read_text(encoding="utf-8")[:500]
    page = built.index.read_text(encoding="utf-8")
    assert f'href="charts/{name}.png"' in page
    assert f'href="charts/{name}.svg"' in page
    assert not list(charts.glob(".*tmp*")), "no temporary image is left behind"


def test_without_a_browser_the_report_is_written_with_a_warning(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BROWSER_PATH", str(tmp_path / "no-such-browser"))
    study = copy_study(tmp_path)
    charts = study / "report" / "charts"
    charts.mkdir(parents=True)
    (charts / "adoption.png").write_bytes(b"stale")
    report = build_report(study, static=True)
    assert report.static is not None
    assert report.static.files == ()
    assert len(report.warnings) == 1
    assert "no Chromium" in report.warnings[0]
    assert not (charts / "adoption.png").exists(), "a stale image is removed, not linked"
    page = report.index.read_text(encoding="utf-8")
    assert "no Chromium" in page
    assert 'href="charts/adoption.png"' not in page
    assert all((charts / f"{name}.html").is_file() for name in CHARTS)


def test_without_kaleido_the_report_has_html_charts_and_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "kaleido", None)  # `import kaleido` raises ImportError
    report = build_report(copy_study(tmp_path), static=True)
    assert report.static is not None
    assert report.static.files == ()
    assert len(report.warnings) == 1
    assert "kaleido is not installed" in report.warnings[0]
    assert "mlflow-miner[static]" in report.index.read_text(encoding="utf-8")
    charts = report.index.parent / "charts"
    assert all((charts / f"{name}.html").is_file() for name in CHARTS)
    assert not list(charts.glob("*.png"))


class ChartProbe(HTMLParser):
    """Which chart elements (`div#chart-*`) contain a rendered plotly `svg.main-svg`."""

    def __init__(self) -> None:
        super().__init__()
        self.rendered: dict[str, bool] = {}
        self._chart: str | None = None
        self._depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if (
            tag == "div"
            and self._chart is None
            and (attributes.get("id") or "").startswith("chart-")
        ):
            self._chart, self._depth = str(attributes["id"]), 0
            self.rendered[self._chart] = False
        if self._chart is None:
            return
        if tag == "div":
            self._depth += 1
        if tag == "svg" and "main-svg" in (attributes.get("class") or "").split():
            self.rendered[self._chart] = True

    def handle_endtag(self, tag: str) -> None:
        if self._chart is not None and tag == "div":
            self._depth -= 1
            if self._depth == 0:
                self._chart = None


# Records uncaught errors and console.error calls where --dump-dom can see them.
ERROR_PROBE = """<script>
(function () {
  var seen = [];
  function note(message) {
    seen.push(String(message));
    document.documentElement.setAttribute("data-errors", JSON.stringify(seen));
  }
  window.addEventListener("error", function (event) { note(event.message); });
  window.addEventListener("unhandledrejection", function (event) { note(event.reason); });
  var original = console.error;
  console.error = function () {
    note(Array.prototype.join.call(arguments, " "));
    return original.apply(console, arguments);
  };
})();
</script>"""


@needs_browser
def test_every_chart_renders_in_headless_chromium(built: Report, tmp_path: Path) -> None:
    assert BROWSER is not None, "CI must have Chromium: .ci/run installs it"
    page = built.index.read_text(encoding="utf-8").replace("<head>", "<head>" + ERROR_PROBE, 1)
    probed = built.index.parent / "probed.html"
    probed.write_text(page, encoding="utf-8")
    done = subprocess.run(
        [
            BROWSER,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-extensions",
            f"--user-data-dir={tmp_path / 'profile'}",
            "--enable-logging=stderr",
            "--v=0",
            "--virtual-time-budget=5000",
            "--dump-dom",
            probed.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    dom = done.stdout
    root = re.search(r"<html[^>]*>", dom)
    assert root is not None
    assert "data-errors" not in root.group(0), root.group(0)
    console_errors = [
        line
        for line in done.stderr.splitlines()
        if "CONSOLE" in line and re.search(r"error|uncaught", line, re.I)
    ]
    assert not console_errors
    probe = ChartProbe()
    probe.feed(dom)
    assert probe.rendered == {f"chart-{name}": True for name in CHARTS}


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mining", *args], capture_output=True, text=True, check=False
    )


def test_cli_writes_the_report_and_prints_its_path(tmp_path: Path) -> None:
    study = copy_study(tmp_path)
    done = run("report", str(study), "--no-static")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(study / "report" / "index.html")
    assert "8 analysed" in done.stderr
    assert "report written" in done.stderr
    assert not list((study / "report" / "charts").glob("*.png"))


def test_cli_fails_clearly_on_a_missing_table(tmp_path: Path) -> None:
    study = copy_study(tmp_path)
    (study / "calls.csv").unlink()
    done = run("report", str(study), "--no-static")
    assert done.returncode == 1
    assert done.stdout == ""
    assert "calls.csv: file not found" in done.stderr
    done = run("report", str(tmp_path / "nowhere"))
    assert done.returncode == 2
    assert "does not exist" in done.stderr


def test_cli_help() -> None:
    done = run("report", "--help")
    assert done.returncode == 0
    assert "--no-static" in done.stdout
    assert "index.html" in done.stdout
