"""Generate a large, deterministic tree of Python repositories with known MLflow call sites.

The tree mixes what a crawl of GitHub finds: most files never mention MLflow; some call it in
many styles (import aliases, `from mlflow import x as y`, `MlflowClient` instances, `self.client`
attributes, flavor modules, star imports, optional imports, tracing decorators, notebooks with
IPython magics); decoys mention MLflow without calling it (comments, strings, Lightning's
`MLFlowLogger`, a user's own `log_params`, a local module named `mlflow`, an R notebook); and
forks repeat whole repositories.

Because every MLflow call is written from a template that marks it, the ground truth (path,
notebook cell, line, canonical API) is known and written to a labels JSON beside the tree.

    python benchmarks/gentree.py --out /tmp/tree --files 5000 --seed 7

Template syntax (see `_render`): a line ending in `  ⟦api|api⟧` holds the start of calls to
those APIs (the marker is removed); a line starting with `?` is kept with probability
`OPTIONAL_KEEP`; a line `@@FILL@@` is replaced by generated non-MLflow code; `«name»`
placeholders are filled from a per-file table of random values.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import random
import re
import shutil
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

GENERATOR_VERSION = "1"
OPTIONAL_KEEP = 0.7
_MARK = re.compile(r"\s+⟦([^⟧]*)⟧\s*$")
_PLACEHOLDER = re.compile(r"«(\w+)»")


# ----------------------------------------------------------------------------- data model
@dataclass(slots=True)
class GenFile:
    path: str  # relative to the tree root, "/"-separated
    data: bytes
    style: str  # template name, "clean" or "data"
    calls: list[tuple[int | None, int, str]] = field(default_factory=list)  # (cell, line, api)


@dataclass(slots=True)
class Repo:
    name: str
    files: list[GenFile]


# -------------------------------------------------------------------------- vocabulary
VERBS = (
    "load",
    "build",
    "compute",
    "parse",
    "render",
    "merge",
    "split",
    "filter",
    "collect",
    "normalize",
    "resolve",
    "validate",
    "encode",
    "decode",
    "format",
    "fetch",
    "update",
    "apply",
    "prepare",
    "extract",
    "convert",
    "score",
    "rank",
    "group",
    "sample",
    "flatten",
    "index",
    "scale",
    "clip",
    "batch",
    "shuffle",
    "summarize",
    "export",
)
ADJS = (
    "raw",
    "sparse",
    "dense",
    "cached",
    "local",
    "remote",
    "nested",
    "partial",
    "stable",
    "sorted",
    "unique",
    "weighted",
    "default",
    "pending",
    "active",
    "hidden",
    "final",
    "initial",
    "shared",
    "global",
    "padded",
    "masked",
    "aligned",
    "grouped",
)
NOUNS = (
    "records",
    "rows",
    "tokens",
    "features",
    "labels",
    "items",
    "frames",
    "events",
    "paths",
    "configs",
    "columns",
    "buckets",
    "chunks",
    "edges",
    "nodes",
    "vectors",
    "weights",
    "scores",
    "entries",
    "values",
    "keys",
    "options",
    "headers",
    "samples",
    "windows",
    "segments",
    "images",
    "queries",
    "results",
    "stats",
    "spans",
    "masks",
)
CLASS_SUFFIXES = (
    "Cache",
    "Loader",
    "Builder",
    "Index",
    "Store",
    "Parser",
    "Pipeline",
    "Registry",
    "Manager",
    "Buffer",
    "Reader",
    "Writer",
    "Sampler",
    "Encoder",
)
WORDS = (
    "data",
    "model",
    "batch",
    "input",
    "output",
    "cache",
    "index",
    "value",
    "shape",
    "window",
    "token",
    "record",
    "config",
    "option",
    "report",
    "summary",
    "split",
    "train",
    "valid",
    "test",
    "score",
    "weight",
    "label",
    "feature",
    "column",
    "frame",
)
UNICODE_WORDS = (
    "naïve",
    "résumé",
    "coördinate",
    "数据",
    "données",
    "Größe",
    "façade",
    "μ-law",
    "señal",
    "crème",
)
MODULE_IMPORTS = (
    "import os",
    "import json",
    "import math",
    "import re",
    "import logging",
    "import itertools",
    "import functools",
    "import collections",
    "from pathlib import Path",
    "from typing import Any",
    "from dataclasses import dataclass, field",
    "import numpy as np",
    "import pandas as pd",
    "import torch",
    "from collections.abc import Iterable",
    "import warnings",
    "import subprocess",
    "import hashlib",
    "import time",
)
ORGS = (
    "acme-ml",
    "datalab",
    "vision-group",
    "nlp-team",
    "quantlab",
    "openhealth",
    "geo-analytics",
    "robotics-lab",
    "fintech-ai",
    "edu-ml",
    "audio-research",
    "climate-data",
    "retail-insights",
    "biostat",
    "ml-platform",
    "kaggle-notebooks",
)
USERS = (
    "alice",
    "bob",
    "chen",
    "dana",
    "emeka",
    "farah",
    "goran",
    "hiro",
    "ines",
    "jamal",
    "kofi",
    "lena",
    "mateo",
    "nadia",
    "omar",
    "priya",
    "quinn",
    "rosa",
    "sven",
    "tariq",
)
PROJECTS = (
    "churn",
    "forecast",
    "segmentation",
    "recsys",
    "fraud",
    "ocr",
    "sentiment",
    "pricing",
    "anomaly",
    "translation",
    "detector",
    "ranker",
    "tabular",
    "speech",
    "graph",
    "survival",
    "demand",
    "qa-bot",
    "embeddings",
    "tuning",
)


def _title(rng: random.Random) -> str:
    return f"{rng.choice(ADJS)} {rng.choice(NOUNS)} {rng.choice(PROJECTS)}"


# ---------------------------------------------------------------- non-MLflow code (filler)
# lines a statement maker wrote and what they cost of the file's budget
Made = tuple[list[str], int]


class Filler:
    """Realistic, syntactically valid Python that never mentions MLflow.

    Function names have three parts (verb_adj_noun) and class names three (Adj+Noun+Suffix),
    so they never collide with the names MLflow templates bind.
    """

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def function_name(self) -> str:
        rng = self.rng
        return f"{rng.choice(VERBS)}_{rng.choice(ADJS)}_{rng.choice(NOUNS)}"

    def class_name(self) -> str:
        rng = self.rng
        return (
            rng.choice(ADJS).capitalize()
            + rng.choice(NOUNS).capitalize().rstrip("s")
            + rng.choice(CLASS_SUFFIXES)
        )

    def _text(self) -> str:
        rng = self.rng
        words = [rng.choice(WORDS) for _ in range(rng.randint(3, 9))]
        if rng.random() < 0.15:
            words.insert(rng.randrange(len(words)), rng.choice(UNICODE_WORDS))
        return " ".join(words)

    def _expr(self, names: list[str]) -> str:
        rng = self.rng
        v = rng.choice(names)
        w = rng.choice(names)
        return rng.choice(
            (
                f"len({v})",
                f"{v} * {rng.randint(2, 64)}",
                f"[item for item in {v} if item]",
                f"{{key: position for position, key in enumerate({v})}}",
                f"sum({v}) / max(len({v}), 1)",
                f"sorted({v}, key=str, reverse={rng.choice(('True', 'False'))})",
                f'"{rng.choice(("-", ", ", "/", ":"))}".join(str(part) for part in {v})',
                f"dict(zip({v}, range(len({w}))))",
                f'os.path.join(str({v}), "{rng.choice(WORDS)}.json")',
                f"{v}[{rng.randint(0, 3)}:{rng.randint(4, 32)}]",
                f"({v} or {w})",
                f"max({v}, default={rng.randint(0, 9)})",
                f'{v}.get("{rng.choice(WORDS)}", {rng.choice(("None", "0", "[]", "{}"))})',
                f"round({rng.random() * 10:.3f} * len({v}), {rng.randint(1, 4)})",
                f'f"{rng.choice(WORDS)}={{{v}!r}} {rng.choice(WORDS)}={{{w}}}"',
                f"{v} if {w} else {rng.choice(('None', '0', '[]'))}",
                f"list(itertools.islice({v}, {rng.randint(1, 100)}))",
                f"math.sqrt(abs(len({v}) - {rng.randint(1, 9)}))",
            )
        )

    def _statements(self, names: list[str], indent: str, budget: int, depth: int = 0) -> list[str]:
        rng = self.rng
        lines: list[str] = []
        while budget > 0:
            kind = rng.random()
            new = f"{rng.choice(ADJS)}_{rng.choice(NOUNS)}"
            make: Callable[[list[str], str, str, int], Made] = self._assignment
            if depth < 2:
                make = next(m for limit, m in self._statement_kinds() if kind < limit)
            made, cost = make(names, indent, new, depth)
            lines.extend(made)
            budget -= cost
        if all(line.lstrip().startswith("#") for line in lines):
            lines.append(f"{indent}pass")
        return lines

    # A statement maker takes (names in scope, indent, a fresh name, depth) and returns its
    # lines and what they cost of the budget; the random draws stay in the order they always
    # had, so a seed still makes the same tree.
    def _statement_kinds(self) -> list[tuple[float, Callable[[list[str], str, str, int], Made]]]:
        return [
            (0.34, self._assignment),
            (0.46, self._for_loop),
            (0.56, self._if_none),
            (0.63, self._try_json),
            (0.69, self._with_open),
            (0.75, self._comment),
            (0.80, self._raise_if_empty),
            (0.85, self._assert),
            (0.90, self._while_loop),
            (1.01, self._dict_literal),
        ]

    def _assignment(self, names: list[str], indent: str, new: str, depth: int) -> Made:
        line = f"{indent}{new} = {self._expr(names)}"
        names.append(new)
        return [line], 1

    def _for_loop(self, names: list[str], indent: str, new: str, depth: int) -> Made:
        rng = self.rng
        item = rng.choice(("item", "entry", "row", "element", "record"))
        v = rng.choice(names)
        lines = [f"{indent}for {item} in {v}:"]
        inner = [*names, item]
        body = self._statements(inner, indent + "    ", rng.randint(1, 3), depth + 1)
        if rng.random() < 0.4:
            body.insert(0, f"{indent}    if not {item}:")
            body.insert(1, f"{indent}        continue")
        lines.extend(body)
        return lines, 2 + len(body) // 2

    def _if_none(self, names: list[str], indent: str, new: str, depth: int) -> Made:
        rng = self.rng
        v = rng.choice(names)
        lines = [f"{indent}if {v} is None:"]
        lines.append(f"{indent}    {v} = {rng.choice(('[]', '{}', '0', repr(rng.choice(WORDS))))}")
        if rng.random() < 0.5:
            lines.append(f"{indent}elif isinstance({v}, (list, tuple)):")
            lines.extend(self._statements([*names], indent + "    ", 1, depth + 1))
        lines.append(f"{indent}else:")
        lines.extend(self._statements([*names], indent + "    ", rng.randint(1, 2), depth + 1))
        return lines, 3

    def _try_json(self, names: list[str], indent: str, new: str, depth: int) -> Made:
        rng = self.rng
        v = rng.choice(names)
        lines = [
            f"{indent}try:",
            f"{indent}    {new} = json.loads({v})",
            f"{indent}except (ValueError, TypeError) as error:",
            f"{indent}    logging.getLogger(__name__).debug("
            f'"{rng.choice(WORDS)} %s: %s", {v}, error)',
            f"{indent}    {new} = None",
        ]
        names.append(new)
        return lines, 3

    def _with_open(self, names: list[str], indent: str, new: str, depth: int) -> Made:
        v = self.rng.choice(names)
        lines = [
            f'{indent}with open({v}, encoding="utf-8") as handle:',
            f"{indent}    {new} = [line.strip() for line in handle if line.strip()]",
        ]
        names.append(new)
        return lines, 2

    def _comment(self, names: list[str], indent: str, new: str, depth: int) -> Made:
        return [f"{indent}# {self._text()}"], 1

    def _raise_if_empty(self, names: list[str], indent: str, new: str, depth: int) -> Made:
        rng = self.rng
        v = rng.choice(names)
        lines = [
            f"{indent}if not {v}:",
            f'{indent}    raise ValueError(f"empty {rng.choice(WORDS)}: {{{v}!r}}")',
        ]
        return lines, 2

    def _assert(self, names: list[str], indent: str, new: str, depth: int) -> Made:
        rng = self.rng
        v = rng.choice(names)
        return [f'{indent}assert {v} is not None, "{rng.choice(WORDS)} missing"'], 1

    def _while_loop(self, names: list[str], indent: str, new: str, depth: int) -> Made:
        rng = self.rng
        v = rng.choice(names)
        lines = [f"{indent}while {v} and len({v}) > {rng.randint(1, 50)}:"]
        lines.append(f"{indent}    {v} = {v}[{rng.randint(1, 4)}:]")
        return lines, 2

    def _dict_literal(self, names: list[str], indent: str, new: str, depth: int) -> Made:
        rng = self.rng
        rng.choice(names)  # drawn and unused, as it always was: the seed's trees stay the same
        lines = [f"{indent}{new} = {{"]
        for _ in range(rng.randint(2, 6)):
            lines.append(
                f'{indent}    "{rng.choice(WORDS)}_{rng.choice(NOUNS)}": {self._expr(names)},'
            )
        lines.append(f"{indent}}}")
        names.append(new)
        return lines, 3

    def function(self, indent: str = "", method: bool = False) -> list[str]:
        rng = self.rng
        name = self.function_name()
        params = list(dict.fromkeys(rng.choice(NOUNS) for _ in range(rng.randint(1, 4))))
        signature = ", ".join(
            (["self"] if method else [])
            + [p if i == 0 or rng.random() < 0.5 else f"{p}=None" for i, p in enumerate(params)]
        )
        # keep defaults after non-defaults
        parts = signature.split(", ")
        head = [p for p in parts if "=" not in p]
        tail = [p for p in parts if "=" in p]
        signature = ", ".join(head + tail)
        ret = rng.choice(("", "", " -> dict", " -> list", " -> int | None", " -> str"))
        lines = []
        if rng.random() < 0.08:
            lines.append(f"{indent}@functools.lru_cache(maxsize={rng.choice((32, 128, None))})")
        lines.append(f"{indent}def {name}({signature}){ret}:")
        body_indent = indent + "    "
        if rng.random() < 0.6:
            lines.append(f'{body_indent}"""{self._text().capitalize()}.')
            if rng.random() < 0.5:
                lines.append("")
                lines.append(f"{body_indent}{self._text().capitalize()}; {self._text()}.")
            lines.append(f'{body_indent}"""')
        names = list(params)
        size = int(rng.lognormvariate(2.0, 0.6)) + 1
        lines.extend(self._statements(names, body_indent, size))
        lines.append(f"{body_indent}return {rng.choice(names)}")
        return lines

    def klass(self) -> list[str]:
        rng = self.rng
        name = self.class_name()
        lines = []
        if rng.random() < 0.3:
            lines.append("@dataclass")
            lines.append(f"class {name}:")
            lines.append(f'    """{self._text().capitalize()}."""')
            lines.append("")
            for _ in range(rng.randint(2, 6)):
                lines.append(
                    f"    {rng.choice(ADJS)}_{rng.choice(NOUNS)}: "
                    f"{rng.choice(('int', 'str', 'float', 'bool'))} = "
                    f"{rng.choice(('0', repr(rng.choice(WORDS)), '1.0', 'False'))}"
                )
            lines.append(f"    {rng.choice(NOUNS)}: list = field(default_factory=list)")
            for _ in range(rng.randint(0, 2)):
                lines.append("")
                lines.extend(self.function("    ", method=True))
            return lines
        base = rng.choice(("", "", "(object)", "(dict)", "(Exception)"))
        lines.append(f"class {name}{base}:")
        lines.append(f'    """{self._text().capitalize()}."""')
        lines.append("")
        attrs = list(dict.fromkeys(rng.choice(NOUNS) for _ in range(rng.randint(1, 4))))
        lines.append(f"    def __init__(self, {', '.join(attrs)}):")
        for attr in attrs:
            lines.append(f"        self.{attr} = {attr}")
        if rng.random() < 0.3:
            lines.append("")
            lines.append("    @property")
            lines.append("    def size(self):")
            lines.append(f"        return len(self.{attrs[0]})")
        for _ in range(rng.randint(1, 6)):
            lines.append("")
            lines.extend(self.function("    ", method=True))
        return lines

    def units(self, count: int) -> list[str]:
        """`count` top-level functions and classes, separated by blank lines."""
        lines: list[str] = []
        for _ in range(count):
            lines.extend(["", ""])
            lines.extend(self.klass() if self.rng.random() < 0.25 else self.function())
        return lines

    def header(self) -> list[str]:
        rng = self.rng
        lines = [f'"""{self._text().capitalize()}.', "", f"{self._text().capitalize()}.", '"""']
        lines.append("")
        imports = sorted(
            set(rng.sample(MODULE_IMPORTS, rng.randint(3, 8)))
            | {
                "import os",
                "import json",
                "import logging",
                "import itertools",
                "import math",
                "import functools",
                "from dataclasses import dataclass, field",
            }
        )
        lines.extend(imports)
        lines.append("")
        for _ in range(rng.randint(0, 4)):
            lines.append(
                f"{rng.choice(ADJS).upper()}_{rng.choice(NOUNS).upper()} = "
                f"{rng.choice((str(rng.randint(0, 4096)), repr(rng.choice(WORDS))))}"
            )
        return lines

    def unit_count(self, scale: float = 1.0) -> int:
        return max(1, int(self.rng.lognormvariate(1.6, 1.0) * scale))

    def module(self, scale: float = 1.0) -> str:
        lines = self.header() + self.units(self.unit_count(scale))
        if self.rng.random() < 0.2:
            lines.extend(
                [
                    "",
                    "",
                    'if __name__ == "__main__":',
                    f"    print({self.function_name()}.__name__)",
                ]
            )
        return "\n".join(lines) + "\n"

    def data_module(self) -> str:
        """A large generated table, as real repositories carry (vocabularies, fixtures)."""
        rng = self.rng
        rows = rng.randint(3_000, 20_000)
        lines = ['"""Generated lookup table: do not edit."""', "", "TABLE = ["]
        for index in range(rows):
            lines.append(
                f'    ({index}, "{rng.choice(WORDS)}_{rng.choice(NOUNS)}", '
                f"{rng.random():.6f}, {rng.choice(('True', 'False', 'None'))}),"
            )
        lines.append("]")
        return "\n".join(lines) + "\n"


# ------------------------------------------------------------------------ MLflow templates
# Each template is (name, weight, kind, text). Scripts: text is a module. Notebooks: text is a
# list of (cell_type, source) with markers in code cells.

T_PLAIN = '''"""«Title» training script.

Logs parameters, metrics and the fitted model to MLflow.
"""
import argparse
import os

import mlflow
?import mlflow.sklearn
import numpy as np
from sklearn.ensemble import RandomForestRegressor
from sklearn.metrics import mean_squared_error, r2_score
@@FILL@@


def parse_args():
    parser = argparse.ArgumentParser(description="«title»")
    parser.add_argument("--n-estimators", type=int, default=«n»)
    parser.add_argument("--max-depth", type=int, default=«d»)
    return parser.parse_args()


def train(args, x_train, y_train, x_test, y_test):
    mlflow.set_tracking_uri(os.environ.get("MLFLOW_TRACKING_URI", "file:./mlruns"))  ⟦mlflow.set_tracking_uri⟧
    mlflow.set_experiment("«exp»")  ⟦mlflow.set_experiment⟧
    with mlflow.start_run(run_name="«run»") as run:  ⟦mlflow.start_run⟧
        mlflow.log_param("n_estimators", args.n_estimators)  ⟦mlflow.log_param⟧
?        mlflow.log_params({"max_depth": args.max_depth, "«p1»": «v1»})  ⟦mlflow.log_params⟧
        model = RandomForestRegressor(n_estimators=args.n_estimators, max_depth=args.max_depth)
        model.fit(x_train, y_train)
        predictions = model.predict(x_test)
        rmse = float(np.sqrt(mean_squared_error(y_test, predictions)))
        mlflow.log_metric("rmse", rmse)  ⟦mlflow.log_metric⟧
?        mlflow.log_metrics({"r2": r2_score(y_test, predictions), "«m1»": rmse / 2})  ⟦mlflow.log_metrics⟧
?        mlflow.set_tag("«tagk»", "«tagv»")  ⟦mlflow.set_tag⟧
        mlflow.sklearn.log_model(model, "model")  ⟦mlflow.sklearn.log_model⟧
        print(f"run {run.info.run_id}: rmse={rmse:.4f}")
    return model
@@FILL@@


if __name__ == "__main__":
    arguments = parse_args()
    # mlflow.autolog() is not used here: every value is logged explicitly.
    features = np.random.rand(200, 4)
    target = features @ np.arange(4)
    train(arguments, features[:150], target[:150], features[150:], target[150:])
'''

T_ALIAS = '''"""«Title»: a PyTorch training loop tracked with MLflow."""
import mlflow as mf
import torch
from torch import nn

record = mf.log_metric
@@FILL@@


class «Net»(nn.Module):
    def __init__(self, width: int = «n») -> None:
        super().__init__()
        self.layers = nn.Sequential(nn.Linear(16, width), nn.ReLU(), nn.Linear(width, 1))

    def forward(self, x):
        return self.layers(x)


def fit(loader, epochs: int = «e», lr: float = «lr»):
    net = «Net»()
    optimizer = torch.optim.Adam(net.parameters(), lr=lr)
    loss_fn = nn.MSELoss()
?    mf.pytorch.autolog(log_models=False)  ⟦mlflow.pytorch.autolog⟧
    with mf.start_run(nested=«bool»):  ⟦mlflow.start_run⟧
        mf.log_params({"epochs": epochs, "lr": lr})  ⟦mlflow.log_params⟧
        for epoch in range(epochs):
            running = 0.0
            for inputs, targets in loader:
                optimizer.zero_grad()
                loss = loss_fn(net(inputs), targets)
                loss.backward()
                optimizer.step()
                running += loss.item()
            mf.log_metric("train_loss", running / len(loader), step=epoch)  ⟦mlflow.log_metric⟧
            if epoch % 5 == 0:
                mf.log_metrics(  ⟦mlflow.log_metrics⟧
                    {"epoch_loss": running, "lr": optimizer.param_groups[0]["lr"]},
                    step=epoch,
                )
        record("final_loss", running)  ⟦mlflow.log_metric⟧
        mf.pytorch.log_model(net, artifact_path="model")  ⟦mlflow.pytorch.log_model⟧
    return net
@@FILL@@
'''

T_FROM = '''"""Hyperparameter sweep for «title» with MLflow logging."""
import itertools
import random

from mlflow import end_run, start_run
from mlflow import log_metric as record_metric
from mlflow import log_param as record_param
from mlflow import set_tags
@@FILL@@

GRID = {"alpha": [0.01, 0.1, 1.0], "l1_ratio": [0.1, 0.5, 0.9]}


def score(alpha, l1_ratio):
    return random.random() * alpha + l1_ratio


def sweep():
    best = None
    for alpha, l1_ratio in itertools.product(GRID["alpha"], GRID["l1_ratio"]):
        start_run(run_name=f"a{alpha}-l{l1_ratio}", nested=True)  ⟦mlflow.start_run⟧
        record_param("alpha", alpha)  ⟦mlflow.log_param⟧
        record_param("l1_ratio", l1_ratio)  ⟦mlflow.log_param⟧
        value = score(alpha, l1_ratio)
        record_metric("score", value)  ⟦mlflow.log_metric⟧
?        set_tags({"sweep": "«exp»", "kind": "grid"})  ⟦mlflow.set_tags⟧
        end_run()  ⟦mlflow.end_run⟧
        if best is None or value > best[0]:
            best = (value, alpha, l1_ratio)
    return best
@@FILL@@


if __name__ == "__main__":
    start_run(run_name="«run»")  ⟦mlflow.start_run⟧
    print(sweep())
    end_run()  ⟦mlflow.end_run⟧
'''

T_CLIENT = '''"""Copy the best run of «exp» into the model registry."""
import os

from mlflow.entities import Metric, Param
from mlflow.tracking import MlflowClient
@@FILL@@

EXPERIMENT = "«exp»"


def best_run(client: MlflowClient, metric: str = "rmse"):
    experiment = client.get_experiment_by_name(EXPERIMENT)  ⟦mlflow.MlflowClient.get_experiment_by_name⟧
    runs = client.search_runs(  ⟦mlflow.MlflowClient.search_runs⟧
        [experiment.experiment_id], order_by=[f"metrics.{metric} ASC"], max_results=1
    )
    return runs[0] if runs else None


def backfill(run_id: str, history: dict[str, list[float]]) -> None:
    client = MlflowClient()  ⟦mlflow.MlflowClient⟧
    metrics = [
        Metric(key, value, 0, step)  ⟦mlflow.entities.Metric⟧
        for key, values in history.items()
        for step, value in enumerate(values)
    ]
    client.log_batch(run_id, metrics=metrics, params=[Param("source", "backfill")])  ⟦mlflow.MlflowClient.log_batch|mlflow.entities.Param⟧
?    client.set_tag(run_id, "backfilled", "true")  ⟦mlflow.MlflowClient.set_tag⟧


def main(local: bool = False):
    client = MlflowClient() if local else MlflowClient(tracking_uri=os.environ["«env»"])  ⟦mlflow.MlflowClient⟧
    run = best_run(client)
    if run is None:
        return
    version = client.create_model_version(  ⟦mlflow.MlflowClient.create_model_version⟧
        name="«model»", source=f"{run.info.artifact_uri}/model", run_id=run.info.run_id
    )
    client.set_registered_model_alias("«model»", "champion", version.version)  ⟦mlflow.MlflowClient.set_registered_model_alias⟧
@@FILL@@
'''

T_SELF = '''"""A small experiment tracker that wraps the MLflow client."""
import time

import mlflow
@@FILL@@


class «Tracker»:
    """Log «title» results through one MLflow run."""

    def __init__(self, experiment: str = "«exp»", uri: str | None = None) -> None:
        self.client = mlflow.tracking.MlflowClient(tracking_uri=uri)  ⟦mlflow.MlflowClient⟧
        found = self.client.get_experiment_by_name(experiment)  ⟦mlflow.MlflowClient.get_experiment_by_name⟧
        self.experiment_id = (
            found.experiment_id if found else self.client.create_experiment(experiment)  ⟦mlflow.MlflowClient.create_experiment⟧
        )
        self.run_id = None

    def start(self, name: str) -> str:
        run = self.client.create_run(self.experiment_id, run_name=name)  ⟦mlflow.MlflowClient.create_run⟧
        self.run_id = run.info.run_id
        return self.run_id

    def metric(self, key: str, value: float, step: int = 0) -> None:
        self.client.log_metric(self.run_id, key, value, int(time.time() * 1000), step)  ⟦mlflow.MlflowClient.log_metric⟧

    def param(self, key: str, value) -> None:
        self.client.log_param(self.run_id, key, value)  ⟦mlflow.MlflowClient.log_param⟧

    def finish(self, status: str = "FINISHED") -> None:
        self.client.set_terminated(self.run_id, status)  ⟦mlflow.MlflowClient.set_terminated⟧
@@FILL@@


class «Tracker»WithTags(«Tracker»):
    def tag(self, key: str, value: str) -> None:
        self.client.set_tag(self.run_id, key, value)  ⟦mlflow.MlflowClient.set_tag⟧
'''

T_FLAVORS = '''"""Autologging for «title» across frameworks."""
import lightgbm as lgb
import mlflow
import mlflow.xgboost
import xgboost as xgb
from mlflow import lightgbm as mlflow_lgb
@@FILL@@


def enable_autolog(framework: str) -> None:
    if framework == "xgboost":
        mlflow.xgboost.autolog(log_input_examples=True)  ⟦mlflow.xgboost.autolog⟧
    elif framework == "lightgbm":
        mlflow_lgb.autolog()  ⟦mlflow.lightgbm.autolog⟧
    elif framework == "keras":
        mlflow.tensorflow.autolog(every_n_iter=«n»)  ⟦mlflow.tensorflow.autolog⟧
    else:
        mlflow.autolog(disable=False, silent=True)  ⟦mlflow.autolog⟧


def train_xgb(dtrain, params):
    enable_autolog("xgboost")
    with mlflow.start_run():  ⟦mlflow.start_run⟧
        booster = xgb.train(params, dtrain, num_boost_round=«n»)
        mlflow.xgboost.log_model(booster, "model")  ⟦mlflow.xgboost.log_model⟧
    return booster


def train_lgb(train_set, params):
    enable_autolog("lightgbm")
    return lgb.train(params, train_set)


def load_for_scoring(uri: str):
    return mlflow.pyfunc.load_model(uri)  ⟦mlflow.pyfunc.load_model⟧
@@FILL@@
'''

T_OPTIONAL = '''"""Optional MLflow integration: everything works without MLflow installed."""
from __future__ import annotations

import logging

try:
    import mlflow
except ImportError:  # pragma: no cover - mlflow is optional
    mlflow = None

logger = logging.getLogger(__name__)
@@FILL@@


def log_summary(summary: dict[str, float], step: int | None = None) -> None:
    if mlflow is None:
        logger.info("mlflow is not installed; summary: %s", summary)
        return
    if mlflow.active_run() is None:  ⟦mlflow.active_run⟧
        mlflow.start_run(run_name="«run»")  ⟦mlflow.start_run⟧
    mlflow.log_metrics(summary, step=step)  ⟦mlflow.log_metrics⟧


def log_config(config: dict) -> None:
    if mlflow is not None:
        mlflow.log_dict(config, "config.json")  ⟦mlflow.log_dict⟧
        for key, value in config.items():
            mlflow.log_param(key, value)  ⟦mlflow.log_param⟧
@@FILL@@
'''

T_EVAL = '''"""Evaluate «model» and register it when it beats the baseline."""
import mlflow
import pandas as pd
from mlflow.models import infer_signature
@@FILL@@


def evaluate_and_register(model, frame: pd.DataFrame, target: str = "label"):
    dataset = mlflow.data.from_pandas(frame, source="«uri»", targets=target)  ⟦mlflow.data.from_pandas⟧
    with mlflow.start_run() as run:  ⟦mlflow.start_run⟧
        mlflow.log_input(dataset, context="evaluation")  ⟦mlflow.log_input⟧
        signature = infer_signature(frame.drop(columns=[target]), model.predict(frame))  ⟦mlflow.models.infer_signature⟧
        info = mlflow.sklearn.log_model(model, "model", signature=signature)  ⟦mlflow.sklearn.log_model⟧
        result = mlflow.evaluate(  ⟦mlflow.evaluate⟧
            info.model_uri, frame, targets=target, model_type="classifier"
        )
        mlflow.log_text(str(result.metrics), "metrics.txt")  ⟦mlflow.log_text⟧
        if result.metrics.get("accuracy_score", 0) > «thr»:
            mlflow.register_model(f"runs:/{run.info.run_id}/model", "«model»")  ⟦mlflow.register_model⟧
    return result
@@FILL@@
'''

T_SHADOW = '''"""Metric helpers. Early versions logged straight to MLflow; see log_metric below."""
import mlflow
from mlflow import log_metric, log_params

mlflow.set_experiment("«exp»")  ⟦mlflow.set_experiment⟧
log_params({"version": "«v1»"})  ⟦mlflow.log_params⟧
log_metric("startup", 1.0)  ⟦mlflow.log_metric⟧
@@FILL@@


def log_metric(name, value, step=None):
    """Our own log_metric: prints instead of calling mlflow.log_metric."""
    print(f"{name}={value} step={step}")


def report(values):
    for index, value in enumerate(values):
        log_metric("value", value, step=index)
    mlflow.log_metric("count", len(values))  ⟦mlflow.log_metric⟧


def summarize(rows):
    def log_params(params):
        return sorted(params)

    return log_params(rows[0])


def log_params(params):
    for key, value in params.items():
        print(key, value)


log_params({"batch": «n»})
log_metric("done", 1.0)
'''

T_STAR = '''"""Quick experiment with a star import (a notebook turned into a script)."""
from mlflow import *  # noqa: F403
@@FILL@@


def quick(alpha=«v1»):
    set_experiment("«exp»")  ⟦mlflow.set_experiment⟧
    with start_run():  ⟦mlflow.start_run⟧
        log_param("alpha", alpha)  ⟦mlflow.log_param⟧
        log_metric("loss", 1.0 - alpha)  ⟦mlflow.log_metric⟧
        log_artifact(__file__)  ⟦mlflow.log_artifact⟧


if __name__ == "__main__":
    quick()
'''

T_GENAI = '''"""A retrieval agent traced with MLflow."""
import mlflow
from mlflow.entities import SpanType

mlflow.set_experiment("«exp»")  ⟦mlflow.set_experiment⟧
?mlflow.openai.autolog()  ⟦mlflow.openai.autolog⟧

DOCUMENTS = [
    "MLflow Tracking records parameters and metrics.",
    "Traces capture the inputs and outputs of each step.",
]
@@FILL@@


@mlflow.trace  ⟦mlflow.trace⟧
def retrieve(query: str) -> list[str]:
    return [doc for doc in DOCUMENTS if query.lower() in doc.lower()]


@mlflow.trace(span_type=SpanType.LLM, name="answer")  ⟦mlflow.trace⟧
def answer(query: str) -> str:
    context = retrieve(query)
    with mlflow.start_span(name="format"):  ⟦mlflow.start_span⟧
        text = " ".join(context)[:200]
    mlflow.update_current_trace(tags={"«tagk»": "«tagv»"})  ⟦mlflow.update_current_trace⟧
    return text
'''

T_SCRIPT = """import mlflow
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
@@FILL@@

mlflow.sklearn.autolog()  ⟦mlflow.sklearn.autolog⟧
df = pd.read_csv("«file».csv")
X_train, X_test, y_train, y_test = train_test_split(df.drop(columns=["y"]), df["y"])
with mlflow.start_run(run_name="«run»"):  ⟦mlflow.start_run⟧
    clf = LogisticRegression(C=«v1»).fit(X_train, y_train)
    mlflow.log_metric("test_accuracy", clf.score(X_test, y_test))  ⟦mlflow.log_metric⟧
?    mlflow.log_artifact("«file».csv")  ⟦mlflow.log_artifact⟧
"""

T_LIGHTNING_MIXED = '''"""Train with Lightning's MLflow logger, then attach the checkpoint with MLflow itself."""
import mlflow
from lightning.pytorch import Trainer
from lightning.pytorch.loggers import MLFlowLogger
@@FILL@@


def run(model, datamodule, epochs: int = «e»):
    logger = MLFlowLogger(experiment_name="«exp»", tracking_uri="file:./mlruns")
    trainer = Trainer(max_epochs=epochs, logger=logger)
    trainer.fit(model, datamodule=datamodule)
    logger.log_metrics({"final_epoch": epochs})
    logger.log_hyperparams({"epochs": epochs})
    mlflow.log_artifact("checkpoints/last.ckpt", run_id=logger.run_id)  ⟦mlflow.log_artifact⟧
    return trainer
@@FILL@@
'''

T_FACTORY = """\"\"\"Model promotion helpers; the client comes from one typed factory.\"\"\"
import os

from mlflow import MlflowClient
@@FILL@@


def get_client() -> MlflowClient:
    return MlflowClient(tracking_uri=os.environ.get("MLFLOW_TRACKING_URI"))  ⟦mlflow.MlflowClient⟧


def promote(name: str, version: str) -> None:
    client = get_client()
    client.transition_model_version_stage(name, version, stage="Production")  ⟦mlflow.MlflowClient.transition_model_version_stage⟧
    get_client().delete_model_version_tag(name, version, "candidate")  ⟦mlflow.MlflowClient.delete_model_version_tag⟧
@@FILL@@
"""

T_TYPED_LAZY = """\"\"\"Export run summaries; MLflow is imported for type checking only.\"\"\"
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mlflow import MlflowClient
@@FILL@@


def export_summary(client: "MlflowClient", run_id: str, summary: dict) -> None:
    client.log_dict(run_id, summary, "summary.json")  ⟦mlflow.MlflowClient.log_dict⟧
    client.set_tag(run_id, "exported", "«tagv»")  ⟦mlflow.MlflowClient.set_tag⟧
@@FILL@@
"""

T_SUBCLASS = """\"\"\"A client with project conventions baked in.\"\"\"
from mlflow.tracking import MlflowClient
@@FILL@@


class «Tracker»Client(MlflowClient):
    \"\"\"MlflowClient plus helpers for «title».\"\"\"

    def log_scores(self, run_id: str, scores: dict[str, float]) -> None:
        for key, value in scores.items():
            self.log_metric(run_id, key, value)  ⟦mlflow.MlflowClient.log_metric⟧
        self.set_tag(run_id, "scored", "true")  ⟦mlflow.MlflowClient.set_tag⟧
@@FILL@@
"""

# --------------------------------------------------------------------------- decoys
D_COMMENTS = '''"""Experiment utilities.

Historically this module called ``mlflow.log_param`` and ``mlflow.log_metric`` directly;
now everything goes through :func:`record` (see docs/tracking.md).
"""
import subprocess
@@FILL@@

HELP = "Use mlflow.log_params(dict) to record a whole configuration at once."


def record(store, key, value):
    # mlflow.log_metric(key, value)  # disabled: no tracking server in CI
    store[key] = value
    return store


def open_ui(port: int = «n»):
    """Start the MLflow UI: `mlflow ui --port PORT`."""
    return subprocess.Popen(["mlflow", "ui", "--port", str(port)])
@@FILL@@
'''

D_LIGHTNING = '''"""Lightning training entry point (MLflow only through Lightning's logger)."""
from pytorch_lightning import Trainer
from pytorch_lightning.loggers.mlflow import MLFlowLogger
@@FILL@@


def build_trainer(epochs: int = «e») -> Trainer:
    mlflow_logger = MLFlowLogger(experiment_name="«exp»", tracking_uri="file:./mlruns")
    mlflow_logger.log_hyperparams({"epochs": epochs})
    mlflow_logger.log_metrics({"warmup": 0.0}, step=0)
    return Trainer(max_epochs=epochs, logger=mlflow_logger)
@@FILL@@
'''

D_WANDB = '''"""Tracking with Weights & Biases (migrated from mlflow in 2023)."""
import wandb
@@FILL@@


def track(config: dict, history: list[dict]) -> None:
    run = wandb.init(project="«exp»", config=config)
    for step, row in enumerate(history):
        wandb.log(row, step=step)
    run.finish()
@@FILL@@
'''

D_BACKEND = '''"""Pluggable experiment-tracking backends ("mlflow", "csv", "stdout")."""
import csv
import sys
@@FILL@@


class MlflowBackend:
    """Named after the backend it replaced: writes rows to stdout."""

    def log_param(self, key, value):
        sys.stdout.write(f"param {key}={value}\\n")

    def log_metric(self, key, value, step=0):
        sys.stdout.write(f"metric {key}={value} step={step}\\n")

    def log_params(self, params):
        for key, value in params.items():
            self.log_param(key, value)


class CsvBackend(MlflowBackend):
    def __init__(self, path):
        self.writer = csv.writer(open(path, "w", newline=""))

    def log_metric(self, key, value, step=0):
        self.writer.writerow([key, value, step])


BACKENDS = {"mlflow": MlflowBackend, "csv": CsvBackend}


def log_params(params, backend="mlflow"):
    tracker = BACKENDS[backend]()
    tracker.log_params(params)
    tracker.log_metric("n_params", len(params))
    return tracker


log_params({"seed": «n»})
@@FILL@@
'''

D_LOCALMODULE = '''"""Glue code: `mlflow` here is this package's own tracking module, not the MLflow package."""
from . import mlflow
from .mlflow_utils import log_metric, log_param
from «pkg».integrations.mlflow import start_run as start_tracking
@@FILL@@


def run_step(step, value):
    start_tracking("«run»")
    log_param("step", step)
    log_metric("value", value)
    mlflow.log_param("source", "local")
    return mlflow.flush()
@@FILL@@
'''

D_REST_CLIENT = """\"\"\"A thin REST client for an MLflow tracking server: no dependency on the mlflow package.\"\"\"
import requests

API = "/api/2.0/mlflow"
@@FILL@@


class MlflowClient:
    def __init__(self, base_url: str) -> None:
        self.base_url = base_url.rstrip("/")

    def log_metric(self, run_id: str, key: str, value: float) -> None:
        requests.post(f"{self.base_url}{API}/runs/log-metric",
                      json={"run_id": run_id, "key": key, "value": value}, timeout=10)


client = MlflowClient("«uri»")
client.log_metric("«run»", "rmse", 0.5)
@@FILL@@
"""

SCRIPT_TEMPLATES: list[tuple[str, float, str]] = [
    ("plain", 3.0, T_PLAIN),
    ("alias", 1.5, T_ALIAS),
    ("from-import", 1.5, T_FROM),
    ("client", 1.2, T_CLIENT),
    ("self-client", 1.0, T_SELF),
    ("flavors", 1.2, T_FLAVORS),
    ("optional", 1.0, T_OPTIONAL),
    ("eval-registry", 1.0, T_EVAL),
    ("shadowing", 0.6, T_SHADOW),
    ("star-import", 0.4, T_STAR),
    ("genai-tracing", 0.8, T_GENAI),
    ("script", 1.5, T_SCRIPT),
    ("lightning-mixed", 0.5, T_LIGHTNING_MIXED),
    ("client-factory", 0.5, T_FACTORY),
    ("typed-lazy-import", 0.4, T_TYPED_LAZY),
    ("client-subclass", 0.4, T_SUBCLASS),
]
DECOY_TEMPLATES: list[tuple[str, float, str]] = [
    ("decoy-comments", 1.0, D_COMMENTS),
    ("decoy-lightning", 1.0, D_LIGHTNING),
    ("decoy-wandb", 0.8, D_WANDB),
    ("decoy-backend", 0.7, D_BACKEND),
    ("decoy-local-module", 0.5, D_LOCALMODULE),
    ("decoy-rest-client", 0.4, D_REST_CLIENT),
]

NB_SKLEARN: list[tuple[str, str]] = [
    ("markdown", "# «Title»\n\nWe log every run with `mlflow.log_param` and `mlflow.log_metric`."),
    ("code", "%pip install mlflow scikit-learn"),
    (
        "code",
        "import mlflow\nimport mlflow.sklearn\nfrom sklearn.datasets import load_iris\n"
        "from sklearn.linear_model import LogisticRegression\n%matplotlib inline",
    ),
    (
        "code",
        'mlflow.set_experiment("«exp»")  ⟦mlflow.set_experiment⟧\n'
        "mlflow.sklearn.autolog()  ⟦mlflow.sklearn.autolog⟧\nX, y = load_iris(return_X_y=True)",
    ),
    ("markdown", "## Train\nAutologging records the parameters; we add one metric by hand."),
    (
        "code",
        '%%time\nwith mlflow.start_run(run_name="«run»") as run:  ⟦mlflow.start_run⟧\n'
        "    clf = LogisticRegression(max_iter=«n»).fit(X, y)\n"
        '    mlflow.log_metric("train_acc", clf.score(X, y))  ⟦mlflow.log_metric⟧',
    ),
    ("code", "files = !ls mlruns\n!mlflow ui --port 5001 &\nprint(files)"),
    ("code", "last = mlflow.last_active_run()  ⟦mlflow.last_active_run⟧\nprint(last.info.run_id)"),
    ("code", "%%bash\nmlflow runs list --experiment-id 0"),
]

NB_CLIENT: list[tuple[str, str]] = [
    ("markdown", "# Compare runs of «exp»"),
    (
        "code",
        "%env MLFLOW_TRACKING_URI=«uri»\nfrom mlflow import MlflowClient\nimport pandas as pd",
    ),
    (
        "code",
        "client = MlflowClient()  ⟦mlflow.MlflowClient⟧\n"
        'experiment = client.get_experiment_by_name("«exp»")  ⟦mlflow.MlflowClient.get_experiment_by_name⟧',
    ),
    (
        "code",
        "runs = client.search_runs([experiment.experiment_id])  ⟦mlflow.MlflowClient.search_runs⟧\n"
        "table = pd.DataFrame([{**r.data.params, **r.data.metrics} for r in runs])\ntable.head()",
    ),
    ("markdown", "Tag the best run."),
    (
        "code",
        'best = table["rmse"].idxmin()\n'
        'client.set_tag(runs[best].info.run_id, "best", "yes")  ⟦mlflow.MlflowClient.set_tag⟧\n'
        "table.head?",
    ),
]

NB_DECOY_R: list[tuple[str, str]] = [
    ("markdown", "# MLflow from R"),
    ("code", 'library(mlflow)\nmlflow_set_experiment("«exp»")'),
    (
        "code",
        'with(mlflow_start_run(), {\n  mlflow_log_param("alpha", 0.5)\n'
        "  mlflow.log_metric <- function(...) NULL\n})",
    ),
]

NB_DECOY_MD: list[tuple[str, str]] = [
    ("markdown", "# Exploration\n\nLater we will track this with `mlflow.start_run()`."),
    ("code", "!pip install mlflow==2.9.2\nimport pandas as pd"),
]

NOTEBOOK_TEMPLATES = [("nb-sklearn", 2.0, NB_SKLEARN), ("nb-client", 1.0, NB_CLIENT)]
NOTEBOOK_DECOYS = [("decoy-nb-r", 1.0, NB_DECOY_R), ("decoy-nb-markdown", 1.0, NB_DECOY_MD)]


def _values(rng: random.Random) -> dict[str, str]:
    title = _title(rng)
    return {
        "Title": title.capitalize(),
        "title": title,
        "exp": f"{rng.choice(PROJECTS)}-{rng.choice(ADJS)}",
        "run": f"{rng.choice(VERBS)}-{rng.randint(1, 999)}",
        "n": str(rng.choice((10, 50, 100, 200, 500))),
        "d": str(rng.randint(2, 12)),
        "e": str(rng.randint(3, 40)),
        "lr": f"{rng.choice((1e-4, 3e-4, 1e-3, 1e-2)):g}",
        "p1": rng.choice(("min_samples_leaf", "seed", "bootstrap", "criterion")),
        "v1": str(rng.choice((1, 2, 0.5, 0.1, 42))),
        "m1": rng.choice(("half_rmse", "scaled_error", "score")),
        "tagk": rng.choice(("team", "stage", "owner", "dataset")),
        "tagv": rng.choice(WORDS),
        "bool": rng.choice(("True", "False")),
        "Net": rng.choice(("Regressor", "TinyNet", "Mlp", "ConvHead")),
        "Tracker": rng.choice(("RunTracker", "ExperimentTracker", "MetricsRecorder")),
        "model": f"{rng.choice(PROJECTS)}-model",
        "uri": rng.choice(
            ("http://localhost:5000", "databricks", "sqlite:///mlruns.db", "s3://bucket/data.csv")
        ),
        "env": rng.choice(("MLFLOW_TRACKING_URI", "TRACKING_URI")),
        "thr": f"{rng.uniform(0.6, 0.95):.2f}",
        "file": rng.choice(WORDS),
        "pkg": rng.choice(("core", "trainer", "pipeline")),
    }


def _render(
    template: str, rng: random.Random, values: dict[str, str], fill: Callable[[], list[str]] | None
) -> tuple[str, list[tuple[int, str]]]:
    """Template text → (source, [(line, api)])."""
    out: list[str] = []
    calls: list[tuple[int, str]] = []
    for raw in template.split("\n"):
        if raw == "@@FILL@@":
            if fill is not None:
                out.extend(fill())
            continue
        if raw.startswith("?"):
            if rng.random() >= OPTIONAL_KEEP:
                continue
            raw = raw[1:]
        line = _PLACEHOLDER.sub(lambda match: values[match.group(1)], raw)
        mark = _MARK.search(line)
        if mark:
            line = line[: mark.start()]
            calls.extend((len(out) + 1, api) for api in mark.group(1).split("|"))
        out.append(line)
    text = "\n".join(out)
    return (text if text.endswith("\n") else text + "\n"), calls


def _notebook(
    cells: list[tuple[str, str]],
    rng: random.Random,
    values: dict[str, str],
    filler: Filler | None,
    language: str = "python",
    with_outputs: bool = False,
) -> tuple[bytes, list[tuple[int | None, int, str]]]:
    out_cells = []
    calls: list[tuple[int | None, int, str]] = []
    plan = list(cells)
    if filler is not None:
        # Helper cells of plain code, inserted after the imports.
        for _ in range(rng.randint(1, 4)):
            plan.insert(
                min(3, len(plan)), ("code", "\n".join(filler.units(rng.randint(1, 3))).strip("\n"))
            )
    for index, (cell_type, template) in enumerate(plan):
        if cell_type == "markdown":
            source = _PLACEHOLDER.sub(lambda match: values[match.group(1)], template)
            out_cells.append({"cell_type": "markdown", "metadata": {}, "source": _lines(source)})
            continue
        source, found = _render(template, rng, values, None)
        source = source.rstrip("\n")
        calls.extend((index, line, api) for line, api in found)
        cell = {
            "cell_type": "code",
            "execution_count": index,
            "metadata": {},
            "outputs": [],
            "source": _lines(source),
        }
        if with_outputs and rng.random() < 0.5:
            cell["outputs"].append(
                {
                    "name": "stdout",
                    "output_type": "stream",
                    "text": [
                        f"step {i}: loss={rng.random():.4f}\n" for i in range(rng.randint(1, 40))
                    ],
                }
            )
        if with_outputs and rng.random() < 0.25:
            png = base64.b64encode(b"\x89PNG\r\n\x1a\n" + rng.randbytes(rng.randint(4_000, 60_000)))
            cell["outputs"].append(
                {
                    "data": {
                        "image/png": png.decode("ascii"),
                        "text/plain": ["<Figure size 640x480 with 1 Axes>"],
                    },
                    "metadata": {},
                    "output_type": "display_data",
                }
            )
        out_cells.append(cell)
    if language == "python":
        metadata = {
            "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
            "language_info": {"name": "python", "version": "3.11.7"},
        }
    else:
        metadata = {
            "kernelspec": {"display_name": "R", "language": "R", "name": "ir"},
            "language_info": {"name": "R"},
        }
    notebook = {"cells": out_cells, "metadata": metadata, "nbformat": 4, "nbformat_minor": 5}
    return (json.dumps(notebook, indent=1, ensure_ascii=False) + "\n").encode("utf-8"), calls


def _lines(source: str) -> list[str]:
    return source.splitlines(keepends=True)


def _weighted(rng: random.Random, choices: list[tuple[str, float, object]]):
    return rng.choices(choices, weights=[weight for _, weight, _ in choices])[0]


# ------------------------------------------------------------------------------ the tree
class TreeBuilder:
    """Repositories of generated files, sized to reach `target_files` in total."""

    def __init__(self, seed: int, target_files: int, scale: float = 1.0) -> None:
        self.rng = random.Random(seed)
        self.filler = Filler(self.rng)
        self.target = target_files
        self.scale = scale

    def _clean_script(self) -> GenFile:
        rng = self.rng
        while True:
            if rng.random() < 0.004:
                text, style = self.filler.data_module(), "data"
            else:
                text, style = self.filler.module(self.scale), "clean"
            data = text.encode("utf-8")
            if b"mlflow" not in data:
                return GenFile("", data, style)

    def _template_script(self, templates) -> GenFile:
        rng = self.rng
        name, _, template = _weighted(rng, templates)
        values = _values(rng)
        # Split the filler budget over the template's @@FILL@@ slots.
        slots = max(1, template.count("@@FILL@@"))
        total = self.filler.unit_count(self.scale)

        def fill() -> list[str]:
            return self.filler.units(max(0, total // slots + rng.randint(-1, 1)))

        text, calls = _render(template, rng, values, fill)
        return GenFile("", text.encode("utf-8"), name, [(None, line, api) for line, api in calls])

    def _notebook(self, templates, clean: bool = False) -> GenFile:
        rng = self.rng
        if clean:
            cells = [("markdown", f"# {_title(rng).capitalize()}")]
            cells += [
                ("code", "\n".join(self.filler.units(rng.randint(1, 3))).strip("\n"))
                for _ in range(rng.randint(3, 12))
            ]
            data, _ = _notebook(cells, rng, {}, None, with_outputs=True)
            if b"mlflow" in data:  # a random image happened to spell it: draw again
                return self._notebook(None, clean=True)
            return GenFile("", data, "clean-notebook")
        name, _, cells = _weighted(rng, templates)
        language = "R" if name == "decoy-nb-r" else "python"
        data, calls = _notebook(
            cells,
            rng,
            _values(rng),
            self.filler if language == "python" else None,
            language,
            with_outputs=True,
        )
        return GenFile("", data, name, calls)

    def _repo(self, budget: int) -> Repo:
        rng = self.rng
        org = rng.choice(ORGS)
        project = f"{rng.choice(PROJECTS)}-{rng.choice(NOUNS)}"
        name = f"{org}__{project}-{rng.randint(1, 9999)}"
        ml_project = rng.random() < 0.45
        size = min(budget, max(3, int(rng.lognormvariate(3.4, 0.9))))
        package = project.split("-")[0].replace("-", "_")
        files: list[GenFile] = []
        used: set[str] = set()
        for index in range(size):
            roll = rng.random()
            p_mlflow = 0.22 if ml_project else 0.02
            p_decoy = 0.06 if ml_project else 0.015
            p_notebook = 0.06 if ml_project else 0.015
            if roll < p_notebook:
                sub = rng.random()
                if sub < 0.55:
                    item = self._notebook(NOTEBOOK_TEMPLATES)
                elif sub < 0.75:
                    item = self._notebook(NOTEBOOK_DECOYS)
                else:
                    item = self._notebook(None, clean=True)
                folder = "notebooks"
                ext = ".ipynb"
            elif roll < p_notebook + p_mlflow:
                item = self._template_script(SCRIPT_TEMPLATES)
                folder = rng.choice(
                    ("scripts", f"src/{package}", f"src/{package}/training", "examples")
                )
                ext = ".py"
            elif roll < p_notebook + p_mlflow + p_decoy:
                item = self._template_script(DECOY_TEMPLATES)
                folder = rng.choice((f"src/{package}", f"src/{package}/tracking", "tests"))
                ext = ".py"
            else:
                item = self._clean_script()
                folder = rng.choice(
                    (
                        f"src/{package}",
                        f"src/{package}/utils",
                        f"src/{package}/data",
                        "tests",
                        "scripts",
                        "docs",
                    )
                )
                ext = ".py"
            stem = f"{rng.choice(VERBS)}_{rng.choice(NOUNS)}"
            if folder == "tests":
                stem = "test_" + stem
            path = f"{folder}/{stem}{ext}"
            while path in used:
                path = f"{folder}/{stem}_{index}{ext}"
                index += 1000
            used.add(path)
            item.path = f"{name}/{path}"
            files.append(item)
        return Repo(name, files)

    def build(self) -> list[GenFile]:
        rng = self.rng
        repos: list[Repo] = []
        total = 0
        originals_target = int(self.target * 0.85)
        while total < originals_target:
            repo = self._repo(originals_target - total)
            repos.append(repo)
            total += len(repo.files)
        files = [f for repo in repos for f in repo.files]
        # Forks: whole repositories copied under another owner, sometimes with one edit.
        forked: set[str] = set()
        attempts = 0
        while total < self.target and attempts < 10_000:
            attempts += 1
            repo = rng.choice(repos)
            if len(repo.files) > self.target - total:
                continue
            owner = rng.choice(USERS)
            fork = f"{owner}__{repo.name.split('__', 1)[1]}"
            if fork in forked or fork == repo.name:
                continue
            forked.add(fork)
            edited = rng.randrange(len(repo.files)) if rng.random() < 0.5 else -1
            for position, original in enumerate(repo.files):
                data = original.data
                if position == edited and original.path.endswith(".py"):
                    data = data + f"# fork of {repo.name} by {owner}\n".encode()
                files.append(
                    GenFile(
                        fork + original.path[len(repo.name) :],
                        data,
                        original.style,
                        list(original.calls),
                    )
                )
            total += len(repo.files)
        return files


def generate(
    out: Path, files: int, seed: int, scale: float = 1.0, labels_path: Path | None = None
) -> dict:
    """Write the tree under `out` (replacing it) and its labels; return the labels dict."""
    started = time.monotonic()
    built = TreeBuilder(seed, files, scale).build()
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    size = 0
    for item in built:
        target = out / item.path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(item.data)
        size += len(item.data)
    styles = Counter(item.style for item in built)
    labels = {
        "generator": {"version": GENERATOR_VERSION, "files": files, "seed": seed, "scale": scale},
        "tree": str(out),
        "file_count": len(built),
        "bytes": size,
        "styles": dict(sorted(styles.items())),
        "file_styles": {
            item.path: item.style
            for item in built
            if item.style not in ("clean", "data", "clean-notebook")
        },
        # one row per call site: [path, cell (null for .py), line (1-based, in the cell), api]
        "calls": [[item.path, cell, line, api] for item in built for cell, line, api in item.calls],
        "seconds": round(time.monotonic() - started, 2),
    }
    labels_path = labels_path or out.with_name(out.name + ".labels.json")
    labels_path.write_text(json.dumps(labels, indent=0) + "\n", encoding="utf-8")
    return labels


def tree_fingerprint(files: int, seed: int, scale: float = 1.0) -> str:
    """Changes whenever the generator or its parameters do: a tree is rebuilt only then."""
    digest = hashlib.sha256(Path(__file__).read_bytes())
    digest.update(f"{files}:{seed}:{scale}".encode())
    return digest.hexdigest()[:16]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, required=True, help="Tree directory (replaced).")
    parser.add_argument(
        "--files",
        type=int,
        default=5000,
        help="About how many .py/.ipynb files to write (default 5000).",
    )
    parser.add_argument(
        "--seed",
        type=int,
        default=7,
        help="Random seed: the same seed writes the same tree (default 7).",
    )
    parser.add_argument(
        "--scale", type=float, default=1.0, help="Multiplies the size of generated modules."
    )
    parser.add_argument(
        "--labels",
        type=Path,
        default=None,
        help="Labels JSON (default: OUT.labels.json beside the tree).",
    )
    args = parser.parse_args(argv)
    labels = generate(args.out, args.files, args.seed, args.scale, args.labels)
    print(
        f"{labels['file_count']} files, {labels['bytes'] / 1e6:.1f} MB, "
        f"{len(labels['calls'])} labelled calls in {labels['seconds']} s: {args.out}",
        file=sys.stderr,
    )
    print(json.dumps(labels["styles"], indent=1), file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
