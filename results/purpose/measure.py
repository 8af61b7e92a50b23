"""Measure the purpose rule (analyzers/repo/purpose.toml) against purposes labelled by hand.

    python results/purpose/measure.py results/purpose/labels.csv --repos DIR \\
        --out results/purpose/measurement.csv

`labels.csv` has `repo,commit,label,note,rule_example`. DIR holds one git directory per
repository, named `owner+name` (a bare repository, or one with `repo/` inside it, or a
checkout). For each, the evidence is what a study's checkout gives the rule: the paths of the
commit's tree and the headings of its root README. GitHub's description and topics are not in
a git directory, so the measurement leaves them out: the rule sees less than in a study.

Precision is over the repositories the rule gave a purpose (not `unknown`): how many of those
purposes agree with the hand label. Only git's plumbing runs (ls-tree, cat-file): nothing of a
repository is checked out or executed.
"""

from __future__ import annotations

import argparse
import csv
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

from analyzers.repo.purpose import (
    PURPOSES,
    README_BYTES,
    Evidence,
    classify,
    decode_readme,
    layout_of,
    readme_headings,
)

COLUMNS = ("repo", "commit", "label", "purpose", "rule", "agrees", "rule_example")


def git(git_dir: Path, *args: str) -> bytes:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(GIT_CONFIG_NOSYSTEM="1", GIT_CONFIG_GLOBAL=os.devnull, GIT_TERMINAL_PROMPT="0")
    done = subprocess.run(
        ["git", "-c", f"core.hooksPath={os.devnull}", "--git-dir", str(git_dir), *args],
        capture_output=True,
        env=env,
        check=True,
        timeout=120,
    )
    return done.stdout


def git_dir_of(repos: Path, full_name: str) -> Path:
    base = repos / full_name.replace("/", "+")
    for candidate in (base / "repo", base / ".git", base):
        if (candidate / "HEAD").is_file() and (candidate / "objects").is_dir():
            return candidate
    raise FileNotFoundError(f"{full_name}: no git directory under {base}")


def evidence(git_dir: Path, full_name: str, commit: str) -> Evidence:
    listing = git(git_dir, "ls-tree", "-r", "-z", "--full-tree", commit).decode(errors="replace")
    paths = []
    for entry in listing.split("\0"):
        meta, tab, path = entry.partition("\t")
        if tab and meta.split(" ")[0] in ("100644", "100755"):
            paths.append(path)
    readme = min(
        (p for p in paths if "/" not in p and p.lower().split(".")[0] == "readme"),
        key=lambda p: (not p.lower().endswith(".md"), p),
        default="",
    )
    headings: tuple[str, ...] = ()
    if readme:
        data = git(git_dir, "cat-file", "blob", f"{commit}:{readme}")[:README_BYTES]
        headings = readme_headings(decode_readme(data))
    return Evidence(name=full_name, headings=headings, layout=layout_of(paths))


def measure(labels: Path, repos: Path) -> list[dict[str, str]]:
    rows = []
    with open(labels, newline="", encoding="utf-8") as handle:
        for label in csv.DictReader(handle):
            git_dir = git_dir_of(repos, label["repo"])
            verdict = classify(evidence(git_dir, label["repo"], label["commit"]))
            rows.append(
                {
                    "repo": label["repo"],
                    "commit": label["commit"],
                    "label": label["label"],
                    "purpose": verdict.purpose,
                    "rule": verdict.rule,
                    "agrees": str(verdict.purpose == label["label"]).lower(),
                    "rule_example": label.get("rule_example", ""),
                }
            )
    return rows


def summary(rows: list[dict[str, str]]) -> list[str]:
    def precision(subset: list[dict[str, str]]) -> str:
        decided = [r for r in subset if r["purpose"] != "unknown"]
        right = sum(r["agrees"] == "true" for r in decided)
        share = f"{right / len(decided):.3f}" if decided else "-"
        return f"{share} ({right} of {len(decided)} given a purpose; n = {len(subset)})"

    lines = [
        f"precision, all: {precision(rows)}",
        "precision, names not used in the rule's examples: "
        + precision([r for r in rows if r["rule_example"] != "yes"]),
    ]
    teaching = {"tutorial", "course", "example"}
    flagged = [r for r in rows if r["purpose"] in teaching]
    truly = [r for r in rows if r["label"] in teaching]
    both = sum(r["label"] in teaching for r in flagged)
    lines.append(
        "tutorial, course or example (what the non-tutorial population leaves out): "
        f"precision {both}/{len(flagged)}, recall {both}/{len(truly)}"
    )
    lines.append("per purpose given: right/given, labelled (recall)")
    given = Counter(r["purpose"] for r in rows)
    labelled = Counter(r["label"] for r in rows)
    for purpose in PURPOSES:
        right = sum(r["purpose"] == purpose and r["agrees"] == "true" for r in rows)
        lines.append(
            f"  {purpose}: {right}/{given[purpose]} given, {labelled[purpose]} labelled"
            + (f" (recall {right / labelled[purpose]:.2f})" if labelled[purpose] else "")
        )
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("labels", type=Path)
    parser.add_argument("--repos", type=Path, required=True, help="directory of git directories")
    parser.add_argument("--out", type=Path, help="CSV of the rule's verdicts beside the labels")
    args = parser.parse_args()
    try:
        rows = measure(args.labels, args.repos)
    except (OSError, subprocess.CalledProcessError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    if args.out:
        with open(args.out, "w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, COLUMNS, lineterminator="\n")
            writer.writeheader()
            writer.writerows(rows)
    print("\n".join(summary(rows)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
