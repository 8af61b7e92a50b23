"""What a repository is for: `tutorial`, `course`, `example`, `library`, `application` or
`unknown`, decided by the rules in `purpose.toml` (beside this module).

A repository's evidence is its words (name, description, topics), its README's headings and
its layout (counts computed from its file paths: notebooks, numbered lessons, a package,
an application's entry points). The rules are data: each names a purpose, the conditions
that must all hold, the evidence it stands for, and examples that the tests run. The first
rule that holds decides; a repository no rule matches is `unknown`. Nothing here reads the
network or runs repository code: paths come from git's tree, README text is only read.
"""

from __future__ import annotations

import json
import os
import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields
from functools import cache
from pathlib import Path
from typing import Any

from analyzers.repo.files import ALWAYS_SKIPPED, VENDORED_DIRS

PURPOSES = ("tutorial", "course", "example", "library", "application", "unknown")
UNKNOWN = "unknown"
RULES_PATH = Path(__file__).with_name("purpose.toml")
README_BYTES = 64 * 1024  # enough for any README's headings
MAX_HEADINGS = 40
_README = re.compile(r"readme(\.(md|markdown|rst|txt))?", re.IGNORECASE)

# A path component that numbers a unit of teaching; the word says which kind.
_COURSE_PART = re.compile(r"^(week|module|homework|hw|assignment|lecture|sprint)[-_ .]?\d{1,2}\b")
_LESSON_PART = re.compile(
    r"^(lesson|lab|chapter|ch|day|session|part|unit|exercise|ex|step|tutorial|tut)[-_ .]?\d{1,2}\b"
)
_NUMBERED = re.compile(r"^\d{1,2}([-_. ]|$)")
_PACKAGING = frozenset({"setup.py", "setup.cfg", "pyproject.toml"})
_APP_FILES = frozenset(
    {"app.py", "main.py", "server.py", "serve.py", "api.py", "streamlit_app.py", "wsgi.py"}
)
_APP_DIRS = frozenset(
    {
        "app",
        "api",
        "serving",
        "service",
        "services",
        "backend",
        "frontend",
        "dashboard",
        "ui",
        "web",
        "webapp",
    }
)
_DEPLOY = re.compile(r"^(dockerfile(\..*)?|docker-compose.*\.ya?ml|compose\.ya?ml)$")
# At the root: what deploys the repository somewhere (infrastructure as code, a platform's
# deployment file, a deploy script).
_DEPLOYS_FILES = re.compile(r"^(deploy[-_.].*|app\.ya?ml|serverless\.ya?ml|procfile)$")
_DEPLOYS_DIRS = frozenset(
    {"terraform", "infra", "infrastructure", "k8s", "kubernetes", "helm", "charts", "deploy"}
)
_PROJECT_FILES = frozenset({"dvc.yaml", "params.yaml", "mlproject"})
_PROJECT_DIRS = frozenset({"data", "models", "pipelines", "pipeline", "configs", "conf"})
# At the root: what a published library keeps (documentation builds, a changelog, a manifest).
_PUBLISHED = re.compile(
    r"^(\.readthedocs\.ya?ml|mkdocs\.ya?ml|manifest\.in|changelog(\..*)?|changes(\..*)?"
    r"|history\.(md|rst)|docs/conf\.py)$"
)


@dataclass(frozen=True, slots=True)
class Layout:
    """Counts and flags computed from a repository's file paths (vendored trees left out)."""

    scripts: int = 0  # .py files
    notebooks: int = 0  # .ipynb files
    course_parts: int = 0  # distinct week1/, module-2, homework_3, hw4, lecture5 ... parts
    lesson_parts: int = 0  # distinct lesson1, lab-2, chapter_3, day4, step5 ... parts
    numbered_dirs: int = 0  # top-level directories named 01-..., 2_...
    numbered_notebooks: int = 0  # notebooks named 01_..., 2-...
    notebook_percent: int = 0  # notebooks among .py and .ipynb files, in percent
    package: bool = False  # setup.py/setup.cfg/pyproject.toml and a directory with __init__.py
    published: bool = False  # at the root: .readthedocs.yml, mkdocs.yml, MANIFEST.in, CHANGELOG
    app: bool = False  # app.py, api/, dashboard/ ... together with a Dockerfile or compose file
    deploys: bool = False  # at the root: terraform/, infra/, k8s/, helm/, deploy.sh, app.yaml
    ml_project: bool = False  # at the root: dvc.yaml, params.yaml, MLproject, or data/ or
    # models/ beside src/
    tests: bool = False  # a tests/ directory or test_*.py files

    @property
    def notebooks_only(self) -> bool:
        return self.notebooks > 0 and self.scripts == 0


@dataclass(frozen=True, slots=True)
class Evidence:
    """Everything the rules may look at."""

    name: str  # owner/name or name; only the name counts
    description: str = ""
    topics: tuple[str, ...] = ()
    headings: tuple[str, ...] = ()  # README headings in order: the first is usually the title
    layout: Layout = Layout()


@dataclass(frozen=True, slots=True)
class Verdict:
    purpose: str
    rule: str = ""  # id of the rule that decided; empty for unknown
    matched: str = ""  # the words or layout that made it hold


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    purpose: str
    evidence: str
    words: re.Pattern[str] | None
    headings: re.Pattern[str] | None
    min_headings: int
    layout: tuple[tuple[str, str, int], ...]  # (feature, operator, value)
    examples: tuple[Mapping[str, Any], ...]


# --- the words ---------------------------------------------------------------------------------


def words(text: str) -> str:
    """Lower-case words of `text`: camelCase, snake_case and kebab-case split, punctuation
    gone, so `\\b` boundaries in the rules mean what they say; MLflow, ML-Flow, MLOps, ML Ops
    (any case) are the words mlflow and mlops."""
    text = re.sub(r"(?i)ml[-_ ]?(flow|ops)", lambda m: f" ml{m.group(1).lower()} ", text)
    text = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", text)
    text = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1 \2", text)
    return " ".join(re.sub(r"[^0-9a-z]+", " ", text.lower()).split())


def identity(evidence: Evidence) -> str:
    """What a repository says it is: its name, description, topics and README title."""
    name = evidence.name.rpartition("/")[2]
    title = evidence.headings[0] if evidence.headings else ""
    parts = (name, evidence.description, " ".join(evidence.topics), title)
    return " | ".join(words(part) for part in parts)


# --- the layout --------------------------------------------------------------------------------


def layout_of(paths: Iterable[str]) -> Layout:
    """Layout counts of a repository holding `paths` ('/'-separated, from its root)."""
    kept = [p for p in paths if not _vendored(p)]
    names = {p.rpartition("/")[2].lower() for p in kept}
    top_files = {p.lower() for p in kept if "/" not in p}
    dirs = {p.split("/")[0].lower() for p in kept if "/" in p}
    packages = {p.rsplit("/", 1)[0] for p in kept if p.endswith("/__init__.py")}
    parts = _parts(kept)
    scripts = sum(p.endswith(".py") for p in kept)
    notebooks = sum(p.endswith(".ipynb") for p in kept)
    return Layout(
        scripts=scripts,
        notebooks=notebooks,
        course_parts=sum(bool(_COURSE_PART.match(part)) for part in parts),
        lesson_parts=sum(bool(_LESSON_PART.match(part)) for part in parts),
        numbered_dirs=sum(bool(_NUMBERED.match(d)) for d in dirs),
        numbered_notebooks=sum(
            p.endswith(".ipynb") and bool(_NUMBERED.match(p.rpartition("/")[2])) for p in kept
        ),
        notebook_percent=100 * notebooks // (scripts + notebooks) if scripts + notebooks else 0,
        package=bool(top_files & _PACKAGING)
        and any(pkg.count("/") == 0 or pkg.startswith("src/") for pkg in packages),
        published=any(_PUBLISHED.match(p.lower()) for p in kept if p.count("/") <= 1),
        app=bool(names & _APP_FILES or dirs & _APP_DIRS)
        and any(_DEPLOY.match(name) for name in names),
        deploys=bool(dirs & _DEPLOYS_DIRS) or any(_DEPLOYS_FILES.match(f) for f in top_files),
        ml_project=bool(top_files & _PROJECT_FILES)
        or ("src" in dirs and bool(dirs & _PROJECT_DIRS)),
        tests="tests" in dirs
        or "test" in dirs
        or any(name.startswith("test_") and name.endswith(".py") for name in names),
    )


def _vendored(path: str) -> bool:
    return any(part in VENDORED_DIRS or part in ALWAYS_SKIPPED for part in path.split("/")[:-1])


def _parts(paths: list[str]) -> set[str]:
    """Distinct directory names and file stems of the first three levels, lower-cased."""
    parts = set()
    for path in paths:
        for piece in path.lower().split("/")[:3]:
            parts.add(piece.rsplit(".", 1)[0] if "." in piece[1:] else piece)
    return parts


# --- README headings ---------------------------------------------------------------------------


def readme_headings(text: str) -> tuple[str, ...]:
    """Markdown (`# Title`, `Title` over `===`/`---`), reStructuredText (a title over or
    under a line of `=`, `-`, `~`...) and HTML (`<h1>`) headings, in order, at most 40."""
    headings: list[str] = []
    lines = text.splitlines()
    fenced = False
    for index, line in enumerate(lines):
        stripped = line.strip()
        if stripped.startswith(("```", "~~~")):
            fenced = not fenced
            continue
        if fenced:
            continue
        heading = _heading(stripped, lines[index + 1].strip() if index + 1 < len(lines) else "")
        if heading:
            headings.append(heading)
            if len(headings) == MAX_HEADINGS:
                break
    return tuple(headings)


def decode_readme(data: bytes) -> str:
    """A README's text: UTF-16 when it starts with a byte-order mark (editors on Windows
    write that), else UTF-8, undecodable bytes replaced."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="replace")
    return data.decode("utf-8-sig", errors="replace")


def _heading(line: str, following: str) -> str:
    atx = re.match(r"^#{1,6}\s+(.*?)\s*#*$", line)
    if atx:
        return _clean(atx.group(1))
    html = re.match(r"^<h[1-6][^>]*>(.*?)</h[1-6]>", line, re.IGNORECASE)
    if html:
        return _clean(html.group(1))
    underline = re.fullmatch(r"([=\-~^*#+])\1{2,}", following)
    if line and underline and not re.fullmatch(r"[=\-~^*#+]+", line) and not line.startswith("|"):
        return _clean(line)
    return ""


def _clean(heading: str) -> str:
    heading = re.sub(r"<[^>]+>|!\[[^\]]*\]\([^)]*\)", " ", heading)  # tags, images
    heading = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # links keep their text
    return " ".join(heading.replace("*", " ").replace("`", " ").split())[:200]


# --- the rules ---------------------------------------------------------------------------------


@cache
def load_rules(path: Path = RULES_PATH) -> tuple[Rule, ...]:
    with open(path, "rb") as handle:
        data = tomllib.load(handle)
    rules = []
    known = {field.name for field in fields(Layout)} | {"notebooks_only"}
    for entry in data["rule"]:
        if entry["purpose"] not in PURPOSES:
            raise ValueError(f"{path}: rule {entry['id']}: unknown purpose {entry['purpose']!r}")
        layout = []
        for feature, condition in entry.get("layout", {}).items():
            if feature not in known:
                raise ValueError(f"{path}: rule {entry['id']}: unknown layout {feature!r}")
            layout.append(_condition(feature, condition))
        rules.append(
            Rule(
                id=entry["id"],
                purpose=entry["purpose"],
                evidence=" ".join(entry["evidence"].split()),
                words=re.compile(entry["words"]) if "words" in entry else None,
                headings=re.compile(entry["headings"]) if "headings" in entry else None,
                min_headings=int(entry.get("min_headings", 1)),
                layout=tuple(layout),
                examples=tuple(entry.get("examples", ())),
            )
        )
    return tuple(rules)


def _condition(feature: str, condition: bool | int | str) -> tuple[str, str, int]:
    if isinstance(condition, bool):
        return feature, "==", int(condition)
    if isinstance(condition, int):
        return feature, ">=", condition
    match = re.fullmatch(r"\s*(>=|<=|==)\s*(\d+)\s*", condition)
    if not match:
        raise ValueError(f"layout condition {feature} = {condition!r}: use >=N, <=N or ==N")
    return feature, match.group(1), int(match.group(2))


def classify(evidence: Evidence, rules: tuple[Rule, ...] | None = None) -> Verdict:
    """The first rule whose every condition holds, else unknown."""
    text = identity(evidence)
    headings = [words(heading) for heading in evidence.headings]
    for rule in rules if rules is not None else load_rules():
        matched = _holds(rule, evidence.layout, text, headings)
        if matched is not None:
            return Verdict(rule.purpose, rule.id, matched)
    return Verdict(UNKNOWN)


def _holds(rule: Rule, layout: Layout, text: str, headings: list[str]) -> str | None:
    """What made `rule` hold ("" when it has no conditions), or None when it does not."""
    said = []
    if rule.words is not None:
        found = rule.words.search(text)
        if found is None:
            return None
        said.append(found.group(0))
    if rule.headings is not None:
        hits = [h for h in headings if rule.headings.search(h)]
        if len(hits) < rule.min_headings:
            return None
        said.append(f"{len(hits)} headings like {hits[0]!r}")
    for feature, operator, value in rule.layout:
        actual = int(getattr(layout, feature))
        if not _compare(actual, operator, value):
            return None
        said.append(f"{feature}={actual}")
    return "; ".join(said)


def _compare(actual: int, operator: str, value: int) -> bool:
    if operator == ">=":
        return actual >= value
    if operator == "<=":
        return actual <= value
    return actual == value


# --- from a checkout ---------------------------------------------------------------------------

EVIDENCE_COLUMNS = ("repo", "commit", "readme", "headings", *(f.name for f in fields(Layout)))


def checkout_evidence(root: str, paths: list[str] | None) -> tuple[str, tuple[str, ...], Layout]:
    """(README path, its headings, the layout) of the checkout at `root`, whose files are
    `paths` (git's tree, which a sparse checkout does not shorten), else the files on disk."""
    if paths is None:
        paths = _walk(root)
    readme = min(
        (p for p in paths if "/" not in p and _README.fullmatch(p)),
        key=lambda p: (not p.lower().endswith(".md"), p),
        default="",
    )
    headings: tuple[str, ...] = ()
    if readme:
        full = os.path.join(root, readme)
        try:
            if os.path.isfile(full) and not os.path.islink(full):
                with open(full, "rb") as handle:
                    headings = readme_headings(decode_readme(handle.read(README_BYTES)))
        except OSError:
            pass
    return readme, headings, layout_of(paths)


def _walk(root: str) -> list[str]:
    found = []
    for directory, subdirs, files in os.walk(root):
        subdirs[:] = sorted(d for d in subdirs if d not in ALWAYS_SKIPPED)
        relative = os.path.relpath(directory, root)
        prefix = "" if relative == "." else relative.replace(os.sep, "/") + "/"
        found += [prefix + name for name in sorted(files)]
    return found


def evidence_row(repo: str, commit: str, root: str, paths: list[str] | None) -> dict[str, Any]:
    """One row of layout.csv: what the rules need from the checkout."""
    readme, headings, layout = checkout_evidence(root, paths)
    row: dict[str, Any] = {
        "repo": repo,
        "commit": commit,
        "readme": readme,
        "headings": json.dumps(list(headings), ensure_ascii=False),
    }
    row.update({f.name: getattr(layout, f.name) for f in fields(Layout)})
    return row


def evidence_from_row(
    row: Mapping[str, str], description: str = "", topics: Iterable[str] = ()
) -> Evidence:
    """The Evidence a layout.csv row and the dataset's description and topics give."""
    try:
        headings = tuple(str(h) for h in json.loads(row.get("headings") or "[]"))
    except ValueError:
        headings = ()
    values: dict[str, Any] = {}
    for field in fields(Layout):
        cell = str(row.get(field.name, "") or "")
        values[field.name] = cell.lower() == "true" if field.type == "bool" else int(cell or 0)
    return Evidence(
        name=row.get("repo", ""),
        description=description,
        topics=tuple(t for t in topics if t),
        headings=headings,
        layout=Layout(**values),
    )
