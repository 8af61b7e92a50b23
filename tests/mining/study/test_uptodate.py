"""A rerun with nothing new skips the report and the export; any change to what they read, to
what they wrote, or to their options builds them again."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from mining.cli.study import run_study
from mining.study import uptodate
from mining.study.demo import build_demo, demo_url_rewrites
from mining.study.runlog import RUN_LOG
from mining.study.settings import StudySettings

UNCHANGED = "report and export: unchanged since the last run"


def built_study(root: Path) -> Path:
    """A study folder with tables and report/export outputs, recorded as up to date."""
    study = root / "study"
    for name in ("report", "export"):
        (study / name).mkdir(parents=True)
    (study / "repos.csv").write_text("repo,status\nacme/a,analyzed\n")
    (study / RUN_LOG).write_text('{"seconds": 1}\n')
    (study / "report" / "index.html").write_text("<html></html>\n")
    (study / "export" / "headline.csv").write_text("n\n1\n")
    uptodate.record(study, uptodate.inputs_digest(study, "static=False"))
    return study


def _edit_table(study: Path) -> None:
    (study / "repos.csv").write_text("repo,status\nacme/a,error\n")


def _add_table(study: Path) -> None:
    (study / "validation.json").write_text("{}\n")


def _delete_output(study: Path) -> None:
    (study / "export" / "headline.csv").unlink()


def _edit_output(study: Path) -> None:
    path = study / "report" / "index.html"
    path.write_text("<html>edited</html>\n")


def _replace_output_keeping_size(study: Path) -> None:
    path = study / "export" / "headline.csv"
    stat = path.stat()
    path.write_text("n\n2\n")
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))


@pytest.mark.parametrize(
    "change",
    [_edit_table, _add_table, _delete_output, _edit_output, _replace_output_keeping_size],
    ids=["table-edited", "table-added", "output-deleted", "output-edited", "output-replaced"],
)
def test_any_change_makes_the_outputs_stale(tmp_path: Path, change: object) -> None:
    study = built_study(tmp_path)
    assert uptodate.is_current(study, uptodate.inputs_digest(study, "static=False"))
    change(study)  # type: ignore[operator]
    assert not uptodate.is_current(study, uptodate.inputs_digest(study, "static=False"))


def test_the_run_log_and_other_options_are_told_apart(tmp_path: Path) -> None:
    study = built_study(tmp_path)
    (study / RUN_LOG).write_text('{"seconds": 2}\n')  # differs on every run: not an input
    assert uptodate.is_current(study, uptodate.inputs_digest(study, "static=False"))
    assert not uptodate.is_current(study, uptodate.inputs_digest(study, "static=True"))


def test_the_record_stays_out_of_the_study_folder(tmp_path: Path) -> None:
    study = built_study(tmp_path)
    uptodate.forget(study)
    assert not uptodate.is_current(study, uptodate.inputs_digest(study, "static=False"))
    names = {str(p.relative_to(study)) for p in study.rglob("*")}
    assert names == {"report", "export", "repos.csv", RUN_LOG, "report/index.html"} | {
        "export/headline.csv"
    }


def test_a_rerun_skips_the_report_and_rebuilds_what_was_deleted(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    dataset = build_demo(tmp_path / "demo")
    settings = StudySettings(
        name="demo",
        dataset=dataset,
        output=tmp_path / "study",
        crawl=False,
        protocols=("https", "file"),
        jobs=2,
        url_rewrites=demo_url_rewrites(dataset.parent),
    )
    index = settings.output / "report" / "index.html"
    headline = settings.output / "export" / "headline.csv"

    assert run_study(settings, static=False) == 0
    assert UNCHANGED not in capsys.readouterr().err
    built = index.stat().st_mtime_ns, headline.read_bytes()

    assert run_study(settings, static=False) == 0
    assert UNCHANGED in capsys.readouterr().err
    assert index.stat().st_mtime_ns == built[0]

    headline.unlink()
    assert run_study(settings, static=False) == 0
    assert UNCHANGED not in capsys.readouterr().err
    assert headline.read_bytes() == built[1]
