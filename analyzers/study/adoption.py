"""Which analysed repositories use what: APIs and dimensions, co-occurrence, logged keys, and
adoption by creation year.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from analyzers.code.catalog import load_catalog
from analyzers.codebook import HEADLINE, KINDS, MIN_N_PER_YEAR
from analyzers.study.load import Study
from analyzers.study.stats import records, table_frame, with_share


def dimensions(study: Study) -> list[str]:
    """The catalog's dimensions in its order, then any other dimension seen in calls.csv."""
    known = list(load_catalog().dimensions)
    return known + sorted(set(study.calls["dimension"]) - set(known))


def usage(study: Study) -> pd.DataFrame:
    """Repository x API and repository x dimension call counts, tidy (non-zero pairs only)."""
    frames = []
    calls = study.calls
    for level in ("api", "dimension"):
        if calls.empty:
            break
        counts = calls.groupby(["repo", level, "kind"]).size().unstack("kind", fill_value=0)
        counts = counts.reindex(columns=["script", "notebook"], fill_value=0).astype(int)
        frames.append(
            pd.DataFrame(
                {
                    "repo": counts.index.get_level_values(0),
                    "level": level,
                    "name": counts.index.get_level_values(1),
                    "calls": counts["script"].to_numpy() + counts["notebook"].to_numpy(),
                    "script_calls": counts["script"].to_numpy(),
                    "notebook_calls": counts["notebook"].to_numpy(),
                }
            )
        )
    rows = records(pd.concat(frames, ignore_index=True)) if frames else []
    return table_frame("usage", rows)


def usage_matrix(
    usage_table: pd.DataFrame,
    level: str,
    repos: Sequence[str],
    values: str = "uses",
    names: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Wide repository x name matrix from `usage`: booleans (`values="uses"`) or call counts
    (`values="calls"`, `"script_calls"`, `"notebook_calls"`); every repo in `repos` is a row."""
    subset = usage_table[usage_table["level"] == level]
    column = "calls" if values == "uses" else values
    wide = subset.pivot_table(
        index="repo", columns="name", values=column, aggfunc="sum", fill_value=0
    )
    wide = wide.reindex(
        index=list(repos),
        columns=list(names) if names is not None else sorted(subset["name"].unique()),
        fill_value=0,
    )
    wide = wide.fillna(0).astype(int)
    wide.columns.name = level
    return wide > 0 if values == "uses" else wide


def adoption(study: Study) -> pd.DataFrame:
    """Share of analysed repositories using each dimension and each API, overall and by kind
    of file, with Wilson intervals."""
    n = study.n_analysed
    calls = study.calls
    apis = sorted(set(calls["api"]))
    rows: list[dict[str, Any]] = []
    for level, names in (("dimension", dimensions(study)), ("api", apis)):
        for kind in KINDS:
            subset = calls if kind == "any" else calls[calls["kind"] == kind]
            users = subset.groupby(level)["repo"].nunique()
            sites = subset.groupby(level).size()
            block = [
                with_share(
                    {
                        "level": level,
                        "name": name,
                        "kind": kind,
                        "n_using": int(users.get(name, 0)),
                        "n_analysed": n,
                        "calls": int(sites.get(name, 0)),
                    }
                )
                for name in names
            ]
            rows.extend(sorted(block, key=lambda row: (-row["n_using"], row["name"])))
    return table_frame("adoption", rows)


def split_keys(calls: pd.DataFrame) -> pd.DataFrame:
    """One row per (call, key) for calls with literal keys."""
    with_keys = calls[calls["keys"] != ""]
    exploded = with_keys.assign(key=with_keys["keys"].str.split(";")).explode("key")
    return exploded[exploded["key"] != ""]


def cooccurrence(study: Study, usage_table: pd.DataFrame) -> pd.DataFrame:
    """Dimension x dimension: analysed repositories using both, for every used dimension."""
    used = usage_table.loc[usage_table["level"] == "dimension", "name"].unique()
    names = [name for name in dimensions(study) if name in set(used)]
    matrix = usage_matrix(usage_table, "dimension", study.analysed, names=names).astype(int)
    both = (matrix.T @ matrix).to_numpy()  # rows and columns in the order of `names`
    return table_frame(
        "cooccurrence",
        (
            {"dimension_a": a, "dimension_b": b, "n_repos": int(both[i, j])}
            for i, a in enumerate(names)
            for j, b in enumerate(names)
        ),
    )


def cooccurrence_matrix(cooccurrence_table: pd.DataFrame) -> pd.DataFrame:
    """The square dimension x dimension matrix of `cooccurrence`, in its row order."""
    order = list(dict.fromkeys(cooccurrence_table["dimension_a"]))
    wide = cooccurrence_table.pivot(index="dimension_a", columns="dimension_b", values="n_repos")
    return wide.reindex(index=order, columns=order)


def top_keys(study: Study) -> pd.DataFrame:
    """Logged parameter and metric names: in how many repositories and calls each appears."""
    calls = study.calls[study.calls["dimension"].isin(["parameters", "metrics"])]
    keys = split_keys(calls)
    rows: list[dict[str, Any]] = []
    for dimension in ("parameters", "metrics"):
        subset = keys[keys["dimension"] == dimension]
        if subset.empty:
            continue
        grouped = (
            subset.groupby("key")
            .agg(n_repos=("repo", "nunique"), n_calls=("repo", "size"))
            .reset_index()
        )
        ranked = sorted(
            records(grouped),
            key=lambda row: (-row["n_repos"], -row["n_calls"], row["key"]),
        )
        rows.extend(
            {
                "dimension": dimension,
                "key": row["key"],
                "n_repos": int(row["n_repos"]),
                "n_calls": int(row["n_calls"]),
                "rank": rank,
            }
            for rank, row in enumerate(ranked, start=1)
        )
    return table_frame("top_keys", rows)


def adoption_by_year(
    study: Study, users: dict[str, set[str]], min_n: int = MIN_N_PER_YEAR
) -> pd.DataFrame:
    """Per creation year: shares of that year's analysed repositories with each headline measure
    (`users`, in codebook order) and each dimension; `min_n_met` says whether the year has the
    `min_n` analysed repositories its share needs to be drawn. Repositories of unknown creation
    date are left out."""
    repos = study.repos[study.repos["created_year"].notna()]
    years = sorted(int(year) for year in repos["created_year"].unique())
    year_of = dict(zip(repos["repo"], repos["created_year"].astype(int), strict=True))
    analysed = repos[repos["analysed"]]
    per_year_total = repos["created_year"].value_counts()
    per_year_analysed = analysed["created_year"].value_counts()
    by_dimension = study.calls.groupby("dimension")["repo"].agg(set).to_dict()
    groups: list[tuple[str, str, set[str]]] = [
        ("headline", measure, users[measure]) for measure in HEADLINE
    ]
    groups += [("dimension", name, by_dimension.get(name, set())) for name in dimensions(study)]
    rows = []
    for year in years:
        n = int(per_year_analysed.get(year, 0))
        for level, name, using in groups:
            k = sum(1 for repo in using if year_of.get(repo) == year)
            rows.append(
                with_share(
                    {
                        "year": year,
                        "level": level,
                        "name": name,
                        "n_repos": int(per_year_total.get(year, 0)),
                        "n_using": k,
                        "n_analysed": n,
                    }
                )
                | {"n_min": min_n, "min_n_met": n >= min_n}
            )
    return table_frame("adoption_by_year", rows)
