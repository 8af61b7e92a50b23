"""`export/macros.tex`: every number a paper quotes, as a LaTeX command, named predictably.

A paper that writes `\\mmLogParamsAnalysedShare\\,\\%` instead of `25.0\\,\\%` is right again
after the study is rerun and the file replaced. The naming rule:

* `\\mm` (mlflow-miner), then the words of the thing counted, each capitalised, joined:
  `log-params` among `analysed` is `LogParamsAnalysed`; a word is a run of letters or digits,
  anything else (`-`, `_`, `.`, spaces) separates words;
* LaTeX command names hold letters only, so digits are spelled out, each digit a word:
  `top-10` is `TopOneZero`, `v2` is `VTwo`;
* then what the number is:

  | suffix | value |
  | --- | --- |
  | `Count` | repositories (or items) with it: a share's numerator |
  | `Total` | its denominator |
  | `Share` | the share in percent, one decimal, no `\\%` sign (`25.0`) |
  | `CiLow`, `CiHigh` | the 95% Wilson interval's bounds, in percent, one decimal |
  | `Text` | `25.0\\,\\% (3 of 12; 95\\,\\% CI 8.9--53.2\\,\\%)` |

Families: every row of `headline.csv` (`\\mm<Measure><Population>...`); repositories per status
(`\\mmRepos<Status>`, `\\mmReposTotal`); populations (`\\mmPopulation<Name>`); filters
(`\\mmExcluded<Filter>`); files and calls (`\\mmFilesTotal`, `\\mmFilesScript`,
`\\mmFilesNotebook`, `\\mmFilesAnalyzed`, `\\mmCallsTotal`, `\\mmCallsScript`,
`\\mmCallsNotebook`, `\\mmReposWithCalls`); the tool and the dataset (`\\mmToolVersion`,
`\\mmToolCommit`, `\\mmCatalogVersion`, `\\mmCrawledAt`); and, once they exist, the validation
(`\\mmPrecision...`, `\\mmMissRate...`, `\\mmKappa`) and the text-search comparison
(`\\mmTextSearch...`). Two things whose names would collide are an error, never a silent
overwrite.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from analyzers.study.aggregate import Aggregates
from analyzers.study.latex import latex_escape
from analyzers.study.stats import records

PREFIX = "mm"
_DIGITS = ("Zero", "One", "Two", "Three", "Four", "Five", "Six", "Seven", "Eight", "Nine")
_WORD = re.compile(r"[A-Za-z]+|[0-9]")


@dataclass(frozen=True, slots=True)
class Macro:
    """One `\\newcommand`: its name without the backslash, its LaTeX value, where it is from."""

    name: str
    value: str
    source: str


def macro_name(*parts: object) -> str:
    """`\\mm` + the parts' words, each capitalised, digits spelled out (see the module doc)."""
    words: list[str] = []
    for part in parts:
        for word in _WORD.findall(str(part)):
            words.append(_DIGITS[int(word)] if word.isdigit() else word[:1].upper() + word[1:])
    if not words:
        raise ValueError(f"no letters or digits to name a macro after in {parts!r}")
    return PREFIX + "".join(words)


def percent(share: float) -> str:
    """A share as a percentage with one decimal; `--` when undefined."""
    return "--" if share is None or math.isnan(share) else f"{100 * share:.1f}"


def share_text(k: int, n: int, share: float, low: float, high: float) -> str:
    if math.isnan(share):
        return f"-- (0 of {n})"
    return f"{percent(share)}\\,\\% ({k} of {n}; 95\\,\\% CI {percent(low)}--{percent(high)}\\,\\%)"


def share_macros(
    stem: Sequence[object], k: int, n: int, share: float, low: float, high: float, source: str
) -> list[Macro]:
    """The six commands of one share: Count, Total, Share, CiLow, CiHigh, Text."""
    return [
        Macro(macro_name(*stem, "Count"), str(k), source),
        Macro(macro_name(*stem, "Total"), str(n), source),
        Macro(macro_name(*stem, "Share"), percent(share), source),
        Macro(macro_name(*stem, "CiLow"), percent(low), source),
        Macro(macro_name(*stem, "CiHigh"), percent(high), source),
        Macro(macro_name(*stem, "Text"), share_text(k, n, share, low, high), source),
    ]


def headline_macros(aggregates: Aggregates) -> list[Macro]:
    found = []
    for r in records(aggregates.headline):
        found += share_macros(
            (r["measure"], r["population"]),
            int(r["numerator"]),
            int(r["denominator"]),
            float(r["share"]),
            float(r["ci_low"]),
            float(r["ci_high"]),
            f"headline.csv: {r['measure']}, {r['population']}",
        )
    return found


def count_macros(aggregates: Aggregates) -> list[Macro]:
    """Repositories per status and population, exclusions, files and calls."""
    found = [Macro(macro_name("repos", "total"), str(aggregates.n_total), "repo_status.csv")]
    for r in records(aggregates.repo_status):
        found.append(Macro(macro_name("repos", r["status"]), str(r["n_repos"]), "repo_status.csv"))
    for r in records(aggregates.populations):
        if r["available"]:
            source = f"populations.csv: {r['population']}"
            found.append(
                Macro(macro_name("population", r["population"]), str(r["n_repos"]), source)
            )
    for r in records(aggregates.exclusions):
        found.append(
            Macro(macro_name("excluded", r["filter"]), str(r["n_repos"]), "exclusions.csv")
        )
    files = aggregates.file_status
    found.append(
        Macro(macro_name("files", "total"), str(int(files["n_files"].sum())), "file_status.csv")
    )
    for kind in ("script", "notebook"):
        n = int(files.loc[files["kind"] == kind, "n_files"].sum())
        found.append(Macro(macro_name("files", kind), str(n), "file_status.csv"))
    analysed = int(files.loc[files["status"] == "analyzed", "n_files"].sum())
    found.append(Macro(macro_name("files", "analyzed"), str(analysed), "file_status.csv"))
    calls = aggregates.study.calls
    found.append(Macro(macro_name("calls", "total"), str(len(calls)), "calls.csv"))
    for kind in ("script", "notebook"):
        n = int((calls["kind"] == kind).sum())
        found.append(Macro(macro_name("calls", kind), str(n), "calls.csv"))
    with_calls = str(calls["repo"].nunique())
    found.append(Macro(macro_name("repos", "with", "calls"), with_calls, "calls.csv"))
    return found


def provenance_macros(aggregates: Aggregates) -> list[Macro]:
    meta = aggregates.study.provenance
    found = []
    for name, key, value in (
        ("tool version", "tool_version", meta.get("tool_version", "")),
        ("tool commit", "tool_commit", str(meta.get("tool_commit", ""))[:12]),
        ("catalog version", "catalog_version", meta.get("catalog_version", "")),
        ("crawled at", "crawled_at", str(meta.get("crawled_at", ""))[:10]),
    ):
        if value:
            found.append(Macro(macro_name(name), latex_escape(value), f"study.json: {key}"))
    return found


def comparison_macros(aggregates: Aggregates) -> list[Macro]:
    r"""`\mmTextSearch<Column>` for the text search's `any` row, and the share of its lines
    that are calls (`\mmTextSearchLinesCorrect...`) and of the calls it finds
    (`\mmTextSearchLinesFound...`)."""
    from analyzers.study.comparison import comparison_macros_rows
    from analyzers.study.stats import share_interval

    counts = comparison_macros_rows(aggregates.comparison)
    if not counts:
        return []
    source = "method_comparison.csv: any"
    found = [Macro(macro_name("text search", key), str(n), source) for key, n in counts.items()]
    for stem, k, n in (
        ("lines correct", counts["lines_both"], counts["lines_text"]),
        ("lines found", counts["lines_both"], counts["lines_resolved"]),
    ):
        found += share_macros(("text search", stem), k, n, *share_interval(k, n), source)
    return found


def all_macros(aggregates: Aggregates, extra: Iterable[Macro] = ()) -> list[Macro]:
    """Every macro of the study; `ValueError` when two share a name."""
    found = [
        *headline_macros(aggregates),
        *count_macros(aggregates),
        *provenance_macros(aggregates),
        *comparison_macros(aggregates),
        *extra,
    ]
    seen: dict[str, Macro] = {}
    for macro in found:
        if macro.name in seen:
            raise ValueError(
                f"two numbers would both be \\{macro.name}: {seen[macro.name].source} and "
                f"{macro.source}"
            )
        seen[macro.name] = macro
    return found


def macros_tex(macros: Iterable[Macro]) -> str:
    """The `\\newcommand` lines, each with a comment saying where its number comes from."""
    lines = [
        "% Generated by mlflow-miner export: every number of the study as a command.",
        '% \\input{macros.tex} in the preamble; README.md ("Numbers as macros") gives the rule.',
    ]
    for macro in macros:
        lines.append(f"\\newcommand{{\\{macro.name}}}{{{macro.value}}} % {macro.source}")
    return "\n".join(lines) + "\n"


def read_macros(text: str) -> dict[str, str]:
    """Name -> value of every `\\newcommand` in a macros.tex (for tests and checks)."""
    pattern = re.compile(r"^\\newcommand\{\\([A-Za-z]+)\}\{(.*)\} % ", re.MULTILINE)
    return {match.group(1): match.group(2) for match in pattern.finditer(text)}
