"""Chart files for print and for reruns: PNG at 300 dpi across a full-width figure, vector PDF
with its fonts, the same bytes from two drawings, and no drawing when nothing changed."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

from analyzers.study.aggregate import aggregate
from analyzers.study.charts import STATIC_FORMATS, build_charts, draw_charts, find_browser
from analyzers.study.charts.stable import png_dpi, png_size
from analyzers.study.load import load_study
from analyzers.study.report import build_report
from tests.analyzers.study.study_fixture import STUDY, copy_study

needs_browser = pytest.mark.skipif(
    find_browser() is None and not os.environ.get("CI"),
    reason="no Chromium or Chrome on PATH (apt-get install chromium, or set BROWSER_PATH)",
)
SOME = ("adoption", "cooccurrence", "traceability-combinations")  # bars, a heatmap, subplots


def some_charts() -> list:  # type: ignore[type-arg]
    charts = build_charts(aggregate(load_study(STUDY)))
    return [chart for chart in charts if chart.name in SOME]


@pytest.fixture(scope="module")
def two_drawings(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The same charts drawn twice, each by a browser of its own."""
    first, second = (tmp_path_factory.mktemp(name) for name in ("first", "second"))
    for folder in (first, second):
        drawn = draw_charts(some_charts(), folder)
        assert drawn.drawn == len(SOME), drawn.warnings
        assert not drawn.warnings, drawn.warnings
    return first, second


@needs_browser
def test_two_drawings_give_the_same_bytes(two_drawings: tuple[Path, Path]) -> None:
    first, second = two_drawings
    names = sorted(path.name for path in first.iterdir())
    assert names == sorted(path.name for path in second.iterdir())
    assert {f"{name}.{fmt}" for name in SOME for fmt in (*STATIC_FORMATS, "html", "sha256")} == (
        set(names)
    )
    different = [
        name for name in names if (first / name).read_bytes() != (second / name).read_bytes()
    ]
    assert different == []


@needs_browser
@pytest.mark.parametrize("name", SOME)
def test_a_png_is_300_dpi_across_a_full_width_figure(
    two_drawings: tuple[Path, Path], name: str
) -> None:
    data = (two_drawings[0] / f"{name}.png").read_bytes()
    width, _height = png_size(data)
    assert width >= 2000
    assert png_dpi(data) == (300, 300)
    assert width / 300 == pytest.approx(7.0, abs=0.01), "seven inches: a full-width figure"


@needs_browser
@pytest.mark.parametrize("name", SOME)
def test_a_pdf_is_vector_with_its_fonts_embedded(
    two_drawings: tuple[Path, Path], name: str
) -> None:
    data = (two_drawings[0] / f"{name}.pdf").read_bytes()
    assert data.startswith(b"%PDF-")
    assert b"/FontFile" in data, "the fonts travel inside the PDF"
    if name != "cooccurrence":  # plotly paints a heatmap's cells as one image
        assert b"/Subtype /Image" not in data, "drawn as vectors, not as a picture"
    assert b"/CreationDate" not in data
    assert b"/ModDate" not in data
    box = re.search(rb"/MediaBox \[0 0 ([\d.]+) ([\d.]+)\]", data)
    assert box is not None
    assert float(box.group(1)) == pytest.approx(7 * 72, abs=1)


@needs_browser
def test_unchanged_charts_are_not_drawn_again(two_drawings: tuple[Path, Path]) -> None:
    folder = two_drawings[1]
    before = {path.name: path.stat().st_mtime_ns for path in folder.iterdir()}
    again = draw_charts(some_charts(), folder)
    assert (again.drawn, again.reused) == (0, len(SOME))
    assert again.static is not None
    assert again.static.files == ()
    assert {path.name: path.stat().st_mtime_ns for path in folder.iterdir()} == before
    assert again.formats == {name: STATIC_FORMATS for name in SOME}


@needs_browser
def test_a_changed_or_damaged_chart_is_drawn_again(tmp_path: Path) -> None:
    charts = some_charts()
    draw_charts(charts, tmp_path)
    (tmp_path / "adoption.svg").unlink()  # damaged: a file is missing
    charts[1].figure.update_layout(height=charts[1].height + 10)  # changed: another figure
    again = draw_charts(charts, tmp_path)
    assert (again.drawn, again.reused) == (2, 1)
    assert (tmp_path / "adoption.svg").is_file()


def test_without_static_export_only_html_is_drawn_and_old_images_go(tmp_path: Path) -> None:
    charts = some_charts()
    (tmp_path / "adoption.png").write_bytes(b"an image of an older figure")
    drawn = draw_charts(charts, tmp_path, static=False)
    assert drawn.drawn == len(SOME)
    assert drawn.static is None
    assert not (tmp_path / "adoption.png").exists()
    assert drawn.formats == {name: () for name in SOME}
    assert draw_charts(charts, tmp_path, static=False).drawn == 0


def test_a_rerun_of_the_report_reuses_every_chart(tmp_path: Path) -> None:
    study = copy_study(tmp_path)
    first = build_report(study, static=False)
    page = first.index.read_bytes()
    again = build_report(study, static=False)
    assert first.drawn is not None
    assert again.drawn is not None
    assert again.drawn.drawn == 0
    assert again.drawn.reused == first.drawn.drawn
    assert again.index.read_bytes() == page
    shutil.rmtree(study / "report" / "charts")
    assert build_report(study, static=False).index.read_bytes() == page
