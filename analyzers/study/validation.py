"""The validation protocol: a stratified random sample of what the tool reported and of what it
may have missed, judged by people, scored with Wilson intervals, written into the study.

* `draw_sample`: reported calls (for precision), stratified by dimension and by scripts and
  notebooks, and recall candidates (lines whose text names a catalogued API, from the text
  search's `text_matches.csv`, where no call was reported), stratified the same way by the
  dimension of the API the line names. Each stratum gets a share of the sample proportional
  to its size (largest remainders), at least one row while the sample is large enough, and
  its rows are drawn at random with the seed: the same study and seed draw the same sample.
* `score`: precision (`correct` among the judged calls) and the miss rate (`missed` among the
  judged candidates), each with its 95% Wilson interval, overall and per stratum; a file with
  a row left unjudged or an unknown verdict is refused.
* `agreement`: Cohen's kappa between two raters' verdicts on the rows both judged.

Everything here is pure: reading a line at the pinned commit is the caller's
(`mining/cli/validate.py` reads the checkouts in the clone cache, never running anything).
"""

from __future__ import annotations

import hashlib
import json
import random
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from analyzers.code.catalog import load_catalog
from analyzers.repo.textsearch import api_terms
from analyzers.study.load import Study, read_table
from analyzers.study.macros import Macro, share_macros
from analyzers.study.permalinks import Location, location_from
from analyzers.study.stats import share_interval
from analyzers.tables import atomic_text

VALIDATION_FILE = "validation.json"
CALL, CANDIDATE = "call", "candidate"
VERDICTS: dict[str, tuple[str, str]] = {
    CALL: ("correct", "wrong"),  # the first is the one counted
    CANDIDATE: ("missed", "not-a-call"),
}
SAMPLE_COLUMNS = (
    "study",
    "seed",
    "kind",
    "stratum",
    "repo",
    "commit",
    "path",
    "cell",
    "line",
    "api",
    "permalink",
    "source",
    "verdict",
    "note",
)
_KEY = ("kind", "repo", "path", "cell", "line", "api")  # what identifies a row across raters


class SampleError(ValueError):
    """A sample file that cannot be scored; the message says which rows and what to do."""


@dataclass(frozen=True, slots=True)
class Item:
    """A line to judge: a reported call of `api`, or a candidate line naming `api`."""

    kind: str
    stratum: str
    location: Location
    api: str


def allocate(sizes: Mapping[str, int], n: int) -> dict[str, int]:
    """How many of `n` rows each stratum gets: proportional to its size, largest remainders
    first, at least one per non-empty stratum when `n` allows, never more than it holds."""
    strata = sorted(name for name, size in sizes.items() if size > 0)
    total = sum(sizes[name] for name in strata)
    n = min(n, total)
    if n <= 0:
        return dict.fromkeys(strata, 0)
    floor = 1 if n >= len(strata) else 0
    quota = {name: n * sizes[name] / total for name in strata}
    given = {name: min(sizes[name], max(floor, int(quota[name]))) for name in strata}
    by_remainder = sorted(strata, key=lambda name: (-(quota[name] - int(quota[name])), name))
    while sum(given.values()) > n:  # the floor gave small strata more than their quota
        above = [name for name in strata if given[name] > floor]
        given[max(above, key=lambda name: (given[name] - quota[name], name))] -= 1
    while sum(given.values()) < n:
        for name in by_remainder + sorted(strata, key=lambda s: (-sizes[s], s)):
            if sum(given.values()) < n and given[name] < sizes[name]:
                given[name] += 1
    return given


def stratified(items: Iterable[Item], n: int, seed: int, kind: str) -> list[Item]:
    """`n` items drawn at random within strata (`allocate`), in a stable order."""
    by_stratum: dict[str, list[Item]] = defaultdict(list)
    for item in items:
        by_stratum[item.stratum].append(item)
    counts = allocate({name: len(found) for name, found in by_stratum.items()}, n)
    rng = random.Random(f"{seed}:{kind}")  # a string seed is hashed the same on every run
    drawn: list[Item] = []
    for name in sorted(by_stratum):
        pool = sorted(by_stratum[name], key=_order)
        drawn += rng.sample(pool, counts.get(name, 0))
    return sorted(drawn, key=lambda item: (item.stratum, _order(item)))


def _order(item: Item) -> tuple[str, str, int, int, str]:
    where = item.location
    return (where.repo, where.path, where.cell or -1, where.line or 0, item.api)


def _kind_of(path: str) -> str:
    return "notebook" if path.lower().endswith(".ipynb") else "script"


def call_items(study: Study) -> list[Item]:
    """Every reported call of an analysed repository, stratified by dimension and kind."""
    calls = read_table(
        study.root / "calls.csv", ("repo", "commit", "path", "cell", "line", "api", "dimension")
    )
    analysed = set(study.analysed)
    return [
        Item(
            CALL,
            f"{dimension}/{_kind_of(path)}",
            location_from(repo, commit, path, cell, line),
            api,
        )
        for repo, commit, path, cell, line, api, dimension in calls.itertuples(index=False)
        if repo in analysed
    ]


def candidate_items(study: Study) -> list[Item]:
    """Lines of analysed repositories whose text names a catalogued API where no call was
    reported, one per line (its API names `;`-separated), stratified by the dimension of the
    first API named and by kind."""
    path = study.root / "text_matches.csv"
    if not path.is_file():
        return []
    text = read_table(path, ("repo", "commit", "path", "cell", "line", "term"))
    calls = read_table(study.root / "calls.csv", ("repo", "path", "cell", "line"))
    reported = set(calls.itertuples(index=False, name=None))
    analysed = set(study.analysed)
    lines: dict[tuple[str, str, str, str, str], set[str]] = defaultdict(set)
    for repo, commit, file, cell, line, term in text.itertuples(index=False):
        if repo in analysed and (repo, file, cell, line) not in reported:
            lines[repo, commit, file, cell, line].add(term)
    catalog, terms = load_catalog(), api_terms()
    items = []
    for (repo, commit, file, cell, line), named in lines.items():
        first = sorted(named)[0]
        dimension = catalog.dimension(terms[first][0]) if first in terms else "other"
        location = location_from(repo, commit, file, cell, line)
        stratum = f"{dimension}/{_kind_of(file)}"
        items.append(Item(CANDIDATE, stratum, location, ";".join(sorted(named))))
    return items


LineReader = Callable[[Location], tuple[str, str]]  # -> (the source line, a note)


def draw_sample(
    study: Study, calls: int, candidates: int, seed: int, read_line: LineReader, study_ref: str
) -> list[dict[str, Any]]:
    """The sample's rows (`SAMPLE_COLUMNS`), calls first, each with its permalink, its source
    line as `read_line` finds it at the pinned commit, and an empty verdict."""
    rows = []
    for kind, items, n in (
        (CALL, call_items(study), calls),
        (CANDIDATE, candidate_items(study), candidates),
    ):
        for item in stratified(items, n, seed, kind):
            source, note = read_line(item.location)
            where = item.location
            rows.append(
                {
                    "study": study_ref,
                    "seed": seed,
                    "kind": kind,
                    "stratum": item.stratum,
                    "repo": where.repo,
                    "commit": where.commit,
                    "path": where.path,
                    "cell": where.cell,
                    "line": where.line,
                    "api": item.api,
                    "permalink": where.url,
                    "source": source,
                    "verdict": "",
                    "note": note,
                }
            )
    return rows


# --------------------------------------------------------------------------- scoring


def check_sample(rows: Sequence[Mapping[str, str]], name: str) -> None:
    """Refuse a sample that is not one of ours or not finished, in one line."""
    if not rows:
        raise SampleError(f"{name}: no rows to score")
    missing = [column for column in SAMPLE_COLUMNS if column not in rows[0]]
    if missing:
        raise SampleError(f"{name}: not a validation sample (no column {', '.join(missing)})")
    unjudged, unknown = [], []
    for number, row in enumerate(rows, start=2):  # line 1 is the header
        verdict = row["verdict"].strip().lower()
        if not verdict:
            unjudged.append(number)
        elif verdict not in VERDICTS.get(row["kind"], ()):
            unknown.append(f"{number} ({row['verdict']!r} for a {row['kind']})")
    if unjudged:
        listed = ", ".join(map(str, unjudged[:10])) + (" …" if len(unjudged) > 10 else "")
        raise SampleError(
            f"{name}: {len(unjudged)} of {len(rows)} rows have no verdict yet (lines {listed}); "
            "judge every row first"
        )
    if unknown:
        allowed = "; ".join(f"{kind}: {' or '.join(v)}" for kind, v in VERDICTS.items())
        raise SampleError(f"{name}: unknown verdict on lines {', '.join(unknown[:5])} ({allowed})")
    if len({row["study"] for row in rows}) > 1:
        raise SampleError(f"{name}: rows from more than one study")


def _share(k: int, n: int) -> dict[str, Any]:
    """k of n with its 95% Wilson interval; null (not NaN, which JSON lacks) when n is 0."""
    share, low, high = share_interval(k, n)
    if n == 0:
        return {"k": k, "n": n, "share": None, "ci_low": None, "ci_high": None}
    return {"k": k, "n": n, "share": share, "ci_low": low, "ci_high": high}


def number(value: object) -> float:
    """A share from validation.json: NaN for null."""
    return float("nan") if value is None else float(str(value))


def score(rows: Sequence[Mapping[str, str]]) -> dict[str, Any]:
    """Precision and miss rate, overall and per stratum (rows already `check_sample`d)."""
    counted: Counter[tuple[str, str]] = Counter()
    judged: Counter[tuple[str, str]] = Counter()
    for row in rows:
        key = (row["kind"], row["stratum"])
        judged[key] += 1
        counted[key] += row["verdict"].strip().lower() == VERDICTS[row["kind"]][0]

    def overall(kind: str) -> dict[str, Any]:
        keys = [key for key in judged if key[0] == kind]
        return _share(sum(counted[key] for key in keys), sum(judged[key] for key in keys))

    return {
        "seed": int(rows[0]["seed"]) if str(rows[0]["seed"]).isdigit() else rows[0]["seed"],
        "rows": len(rows),
        "precision": overall(CALL),
        "miss_rate": overall(CANDIDATE),
        "strata": [
            {
                "kind": kind,
                "stratum": stratum,
                **_share(counted[kind, stratum], judged[kind, stratum]),
            }
            for kind, stratum in sorted(judged)
        ],
    }


def agreement(
    first: Sequence[Mapping[str, str]], second: Sequence[Mapping[str, str]]
) -> dict[str, Any]:
    """Cohen's kappa on the rows both raters judged (matched by kind, place and API)."""
    judged_by = [
        {
            tuple(row[c] for c in _KEY): row["verdict"].strip().lower()
            for row in rows
            if row["verdict"].strip()
        }
        for rows in (first, second)
    ]
    shared = sorted(set(judged_by[0]) & set(judged_by[1]))
    if not shared:
        raise SampleError("the two files have no judged row in common")
    pairs = [(judged_by[0][key], judged_by[1][key]) for key in shared]
    n = len(pairs)
    observed = sum(a == b for a, b in pairs) / n
    left, right = Counter(a for a, _ in pairs), Counter(b for _, b in pairs)
    expected = sum(left[label] * right[label] for label in left) / (n * n)
    kappa = 1.0 if expected == 1 else (observed - expected) / (1 - expected)
    return {"n": n, "observed": observed, "expected": expected, "kappa": kappa}


# --------------------------------------------------------------------------- the study's record


def file_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def read_validation(study_dir: Path) -> dict[str, Any] | None:
    """The study's scored validation, or None when it has none (or an unreadable one)."""
    try:
        data = json.loads((study_dir / VALIDATION_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and "precision" in data else None


def write_validation(study_dir: Path, record: Mapping[str, Any]) -> Path:
    """Merge `record` into the study's validation.json (a score keeps an agreement, and the
    reverse), atomically."""
    path = study_dir / VALIDATION_FILE
    try:
        current = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        current = {}
    merged = {**(current if isinstance(current, dict) else {}), **record}
    with atomic_text(path) as handle:
        json.dump(merged, handle, indent=2, sort_keys=True)
        handle.write("\n")
    return path


def validation_macros(validation: Mapping[str, Any] | None) -> list[Macro]:
    """`\\mmPrecision...`, `\\mmMissRate...` and `\\mmKappa`, once the study is validated."""
    if not validation:
        return []
    found = []
    for stem, key in (("precision", "precision"), ("miss rate", "miss_rate")):
        part = validation[key]
        found += share_macros(
            (stem,),
            int(part["k"]),
            int(part["n"]),
            number(part["share"]),
            number(part["ci_low"]),
            number(part["ci_high"]),
            f"validation.json: {key}",
        )
    agreement_ = validation.get("agreement")
    if isinstance(agreement_, Mapping):
        found.append(Macro("mmKappa", f"{float(agreement_['kappa']):.2f}", "validation.json"))
    return found
