"""What a text search would have said: the seed study's method beside the resolved calls.

`text_matches.csv` (written where the files are, per repository: `analyzers.repo.textsearch`)
holds every line where a text search finds an API's search term; `calls.csv` every call found
by resolving names. Per term, at the level of repositories and of lines, `method_comparison`
counts what both find, what only the text search finds (comments, strings, other libraries'
methods of that name, markdown) and what only resolution finds (aliases, star imports, clients
under other names). Examples of each disagreement are linked by permalink at the pinned commit.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import pandas as pd

from analyzers.repo.textsearch import api_terms, search_term
from analyzers.study.load import Study, read_table
from analyzers.study.permalinks import Location, location_from
from analyzers.study.stats import table_frame

ANY = "any"
TEXT_ONLY, RESOLVED_ONLY = "text-only", "resolved-only"
TEXT_INPUT_COLUMNS = ("repo", "path", "cell", "line", "term")
CALL_POSITION_COLUMNS = ("repo", "path", "cell", "line", "api")
EXAMPLES_PER_KIND = 12


@dataclass(frozen=True, slots=True)
class Disagreement:
    """A line one method counts and the other does not."""

    kind: str  # TEXT_ONLY or RESOLVED_ONLY
    term: str
    location: Location


@dataclass(frozen=True)
class MethodComparison:
    """`method_comparison` and examples of each disagreement; `has_text` is False for a study
    whose repositories were analysed before text_matches.csv existed."""

    table: pd.DataFrame
    examples: tuple[Disagreement, ...]
    has_text: bool

    @property
    def tables(self) -> dict[str, pd.DataFrame]:
        return {"method_comparison": self.table}


Line = tuple[str, str, str, str]  # repo, path, cell ("" for scripts), line


def _lines(frame: pd.DataFrame, term_of: dict[str, str], column: str) -> dict[str, set[Line]]:
    found: dict[str, set[Line]] = defaultdict(set)
    for repo, path, cell, line, value in frame[[*CALL_POSITION_COLUMNS[:4], column]].itertuples(
        index=False
    ):
        term = term_of.get(value)
        if term is not None:
            found[term].add((repo, path, cell, line))
    return found


def _row(term: str, text: set[Line], resolved: set[Line], apis: Iterable[str]) -> dict[str, Any]:
    text_repos = {line[0] for line in text}
    resolved_repos = {line[0] for line in resolved}
    return {
        "api": term,
        "repos_text": len(text_repos),
        "repos_resolved": len(resolved_repos),
        "both": len(text_repos & resolved_repos),
        "text_only": len(text_repos - resolved_repos),
        "resolved_only": len(resolved_repos - text_repos),
        "lines_text": len(text),
        "lines_resolved": len(resolved),
        "lines_both": len(text & resolved),
        "lines_text_only": len(text - resolved),
        "lines_resolved_only": len(resolved - text),
        "apis": ";".join(sorted(apis)),
    }


def read_inputs(study: Study) -> tuple[pd.DataFrame, pd.DataFrame, bool]:
    """The analysed repositories' text matches and call positions, and whether the study has
    text matches at all."""
    analysed = set(study.analysed)
    path = study.root / "text_matches.csv"
    has_text = path.is_file()
    if has_text:
        text = read_table(path, TEXT_INPUT_COLUMNS)
    else:
        text = pd.DataFrame({column: pd.Series(dtype=str) for column in TEXT_INPUT_COLUMNS})
    calls = read_table(study.root / "calls.csv", CALL_POSITION_COLUMNS)
    text = text[text["repo"].isin(analysed)].reset_index(drop=True)
    calls = calls[calls["repo"].isin(analysed)].reset_index(drop=True)
    return text, calls, has_text


def method_comparison(study: Study) -> MethodComparison:
    """Per search term (and `any`), repositories and lines found by each method."""
    text_frame, calls, has_text = read_inputs(study)
    known = {api for apis in api_terms().values() for api in apis}
    term_of_api = {api: search_term(api) for api in set(calls["api"]) if api in known}
    terms = set(api_terms())
    text = _lines(text_frame, {term: term for term in terms}, "term")
    resolved = _lines(calls, term_of_api, "api")
    found_apis: dict[str, set[str]] = defaultdict(set)
    for api, term in term_of_api.items():
        found_apis[term].add(api)
    rows = []
    if has_text:
        every_text = set().union(*text.values()) if text else set()
        every_call = set().union(*resolved.values()) if resolved else set()
        rows.append(_row(ANY, every_text, every_call, term_of_api))
        for term in sorted(set(text) | set(resolved)):
            rows.append(
                _row(term, text.get(term, set()), resolved.get(term, set()), found_apis[term])
            )
        rows[1:] = sorted(
            rows[1:], key=lambda r: (-r["repos_resolved"], -r["repos_text"], r["api"])
        )
    examples = _examples(study, text, resolved) if has_text else ()
    return MethodComparison(table_frame("method_comparison", rows), examples, has_text)


def _examples(
    study: Study, text: dict[str, set[Line]], resolved: dict[str, set[Line]]
) -> tuple[Disagreement, ...]:
    """Up to EXAMPLES_PER_KIND lines of each disagreement, one term after another (the most
    used first), so that the examples show many terms rather than one."""
    commits = dict(zip(study.repos["repo"], study.repos["commit"], strict=True))
    order = sorted(set(text) | set(resolved), key=lambda t: (-len(resolved.get(t, ())), t))
    found: list[Disagreement] = []
    for kind, ours, theirs in ((TEXT_ONLY, text, resolved), (RESOLVED_ONLY, resolved, text)):
        pools = {term: sorted(ours.get(term, set()) - theirs.get(term, set())) for term in order}
        picked = 0
        while picked < EXAMPLES_PER_KIND and any(pools.values()):
            for term in order:
                if pools[term] and picked < EXAMPLES_PER_KIND:
                    repo, path, cell, line = pools[term].pop(0)
                    location = location_from(repo, commits.get(repo, ""), path, cell, line)
                    found.append(Disagreement(kind, term, location))
                    picked += 1
    return tuple(found)


def comparison_text(compared: MethodComparison) -> list[str]:
    """The methods' paragraph on the text search, from the `any` row and the most used APIs."""
    if not compared.has_text or compared.table.empty:
        return []
    rows = compared.table.to_dict("records")
    overall = rows[0]
    worst = sorted(
        (row for row in rows[1:] if row["lines_text_only"] or row["lines_resolved_only"]),
        key=lambda row: (-(row["lines_text_only"] + row["lines_resolved_only"]), row["api"]),
    )[:3]
    text = (
        "To say how far a text search (the seed study's method: a whole-word match of each "
        "catalogued API's name over `.py` files and notebook cells) would have been off, it "
        f"was run on the same files: it finds {overall['lines_text']} lines in "
        f"{overall['repos_text']} repositories, resolution {overall['lines_resolved']} calls "
        f"in {overall['repos_resolved']}. {overall['lines_text_only']} of the text search's "
        f"lines are no call, and it misses {overall['lines_resolved_only']} calls; "
        f"{overall['text_only']} repositories it counts have no call at all and "
        f"{overall['resolved_only']} repositories with calls it does not find "
        "(method_comparison.csv)."
    )
    if worst:
        text += (
            " The names it gets wrong most often: "
            + "; ".join(
                f"`{row['api']}` ({row['lines_text_only']} lines counted without a call, "
                f"{row['lines_resolved_only']} calls missed)"
                for row in worst
            )
            + "."
        )
    return [text]


def comparison_macros_rows(compared: MethodComparison) -> dict[str, int]:
    """The `any` row's counts, for `\\mmTextSearch...` macros (empty without text matches)."""
    if not compared.has_text or compared.table.empty:
        return {}
    overall = compared.table.iloc[0]
    return {str(key): int(value) for key, value in overall.items() if key not in ("api", "apis")}
