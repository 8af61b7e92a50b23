"""The accuracy table: each snippet with the exact (line, api, keys) set the analyzer reports.

An expectation is written `LINE API [KEY;KEY]`. Positives and negatives alike assert the whole
set, so a false positive fails a test as surely as a miss.
"""

from __future__ import annotations

import textwrap

import pytest

from analyzers.code.analyze import analyze_bytes
from analyzers.records import FileKind, FileStatus

CASES: list[tuple[str, str, list[str]]] = [
    # ---------------------------------------------------------------- import forms
    (
        "import-plain",
        """
        import mlflow
        mlflow.log_param("lr", 0.1)
        """,
        ["2 mlflow.log_param lr"],
    ),
    (
        "import-alias",
        """
        import mlflow as mf
        mf.log_metric("rmse", 0.5)
        """,
        ["2 mlflow.log_metric rmse"],
    ),
    (
        "import-submodule",
        """
        import mlflow.sklearn
        mlflow.sklearn.autolog()
        mlflow.log_param("a", 1)
        """,
        ["2 mlflow.sklearn.autolog", "3 mlflow.log_param a"],
    ),
    (
        "import-submodule-alias",
        """
        import mlflow.sklearn as mls
        mls.log_model(model, "model")
        """,
        ["2 mlflow.sklearn.log_model"],
    ),
    (
        "from-import-alias",
        """
        from mlflow import log_param as lp
        lp("depth", 3)
        """,
        ["2 mlflow.log_param depth"],
    ),
    (
        "from-import-several",
        """
        from mlflow import log_metric, set_tag, start_run
        with start_run():
            log_metric("acc", 0.9)
            set_tag("team", "a")
        """,
        ["2 mlflow.start_run", "3 mlflow.log_metric acc", "4 mlflow.set_tag team"],
    ),
    (
        "star-import",
        """
        from mlflow import *
        log_params({"a": 1})
        set_experiment("x")
        """,
        ["2 mlflow.log_params a", "3 mlflow.set_experiment"],
    ),
    (
        "from-flavor-import",
        """
        from mlflow.sklearn import autolog
        autolog()
        """,
        ["2 mlflow.sklearn.autolog"],
    ),
    (
        "from-nested-flavor",
        """
        import mlflow.pyspark.ml
        mlflow.pyspark.ml.autolog()
        """,
        ["2 mlflow.pyspark.ml.autolog"],
    ),
    (
        "from-mlflow-import-flavor-module",
        """
        from mlflow import pytorch
        pytorch.log_model(net, "model")
        """,
        ["2 mlflow.pytorch.log_model"],
    ),
    (
        "import-inside-function",
        """
        def train():
            import mlflow
            mlflow.log_metric("loss", 1.0)
        """,
        ["3 mlflow.log_metric loss"],
    ),
    (
        "import-in-try",
        """
        try:
            import mlflow
        except ImportError:
            mlflow = None
        if mlflow:
            mlflow.log_param("x", 1)
        """,
        ["6 mlflow.log_param x"],
    ),
    (
        "import-in-try-with-fallback-def",
        """
        try:
            from mlflow import log_metric
        except ImportError:
            def log_metric(*args):
                pass
        log_metric("m", 2)
        """,
        ["6 mlflow.log_metric m"],
    ),
    (
        "import-in-if-else",
        """
        if USE_MLFLOW:
            import mlflow
        else:
            mlflow = None
        mlflow.log_param("p", 1)
        """,
        ["5 mlflow.log_param p"],
    ),
    (
        "import-local-only-in-function",
        """
        def a():
            import mlflow
        mlflow.log_param("p", 1)
        """,
        [],
    ),
    (
        "dynamic-import",
        """
        import pytest
        mlflow = pytest.importorskip("mlflow")
        mlflow.log_param("p", 1)
        """,
        ["3 mlflow.log_param p"],
    ),
    # ---------------------------------------------------------------- internal paths
    (
        "fluent-internal-path",
        """
        from mlflow.tracking.fluent import log_param
        log_param("a", 1)
        """,
        ["2 mlflow.log_param a"],
    ),
    (
        "projects-run",
        """
        import mlflow.projects
        mlflow.projects.run(".", entry_point="main")
        """,
        ["2 mlflow.run"],
    ),
    (
        "tracking-set-uri",
        """
        import mlflow
        mlflow.tracking.set_tracking_uri("http://localhost:5000")
        """,
        ["2 mlflow.set_tracking_uri"],
    ),
    (
        "unknown-mlflow-api-is-other",
        """
        import mlflow
        mlflow.some_future_api(1)
        """,
        ["2 mlflow.some_future_api"],
    ),
    # ---------------------------------------------------------------- MlflowClient
    (
        "client-assigned",
        """
        from mlflow import MlflowClient
        c = MlflowClient()
        c.log_metric("run", "auc", 0.8)
        """,
        ["2 mlflow.MlflowClient", "3 mlflow.MlflowClient.log_metric auc"],
    ),
    (
        "client-from-tracking",
        """
        from mlflow.tracking import MlflowClient
        client = MlflowClient(tracking_uri="http://x")
        client.create_experiment("e")
        """,
        ["2 mlflow.MlflowClient", "3 mlflow.MlflowClient.create_experiment"],
    ),
    (
        "client-from-client-module",
        """
        from mlflow.client import MlflowClient
        MlflowClient().search_runs(["1"])
        """,
        ["2 mlflow.MlflowClient", "2 mlflow.MlflowClient.search_runs"],
    ),
    (
        "client-chained",
        """
        import mlflow
        mlflow.MlflowClient().log_param("r", "lr", 0.1)
        """,
        ["2 mlflow.MlflowClient", "2 mlflow.MlflowClient.log_param lr"],
    ),
    (
        "client-self-attribute",
        """
        import mlflow
        class Tracker:
            def __init__(self, uri):
                self.client = mlflow.tracking.MlflowClient(uri)
            def log(self, run_id, value):
                self.client.log_metric(run_id, "loss", value)
        """,
        ["4 mlflow.MlflowClient", "6 mlflow.MlflowClient.log_metric loss"],
    ),
    (
        "client-self-attribute-defined-later",
        """
        import mlflow
        class Tracker:
            def log(self, run_id):
                self.client.set_tag(run_id, "stage", "dev")
            def setup(self):
                self.client = mlflow.MlflowClient()
        """,
        ["4 mlflow.MlflowClient.set_tag stage", "6 mlflow.MlflowClient"],
    ),
    (
        "client-via-local-then-self",
        """
        from mlflow import MlflowClient
        class T:
            def __init__(self):
                client = MlflowClient()
                self._c = client
            def go(self):
                self._c.log_batch("r")
        """,
        ["4 mlflow.MlflowClient", "7 mlflow.MlflowClient.log_batch"],
    ),
    (
        "client-class-attribute",
        """
        from mlflow import MlflowClient
        class T:
            client = MlflowClient()
            def go(self):
                self.client.delete_run("r")
        """,
        ["3 mlflow.MlflowClient", "5 mlflow.MlflowClient.delete_run"],
    ),
    (
        "client-inherited-attribute",
        """
        import mlflow
        class Base:
            def __init__(self):
                self.client = mlflow.MlflowClient()
        class Child(Base):
            def go(self):
                self.client.log_metric("r", "m", 1)
        """,
        ["4 mlflow.MlflowClient", "7 mlflow.MlflowClient.log_metric m"],
    ),
    (
        "client-annotated-parameter",
        """
        from mlflow import MlflowClient
        def register(client: MlflowClient, name):
            client.create_registered_model(name)
        """,
        ["3 mlflow.MlflowClient.create_registered_model"],
    ),
    (
        "client-module-global-used-in-function",
        """
        import mlflow
        def log(v):
            client.log_metric("r", "v", v)
        if __name__ == "__main__":
            client = mlflow.MlflowClient()
            log(1)
        """,
        ["3 mlflow.MlflowClient.log_metric v", "5 mlflow.MlflowClient"],
    ),
    (
        "client-global-statement",
        """
        import mlflow
        client = None
        def init():
            global client
            client = mlflow.MlflowClient()
        def log():
            client.set_tag("r", "k", "v")
        """,
        ["5 mlflow.MlflowClient", "7 mlflow.MlflowClient.set_tag k"],
    ),
    (
        "client-conditional-expression",
        """
        import mlflow
        client = mlflow.MlflowClient() if remote else None
        client.log_param("r", "p", 1)
        """,
        ["2 mlflow.MlflowClient", "3 mlflow.MlflowClient.log_param p"],
    ),
    (
        "client-parameter-default",
        """
        import mlflow
        def dump(run_id, client=mlflow.tracking.MlflowClient()):
            client.get_run(run_id)
        """,
        ["2 mlflow.MlflowClient", "3 mlflow.MlflowClient.get_run"],
    ),
    (
        "client-typed-factory",
        """
        from mlflow import MlflowClient
        def get_client() -> MlflowClient:
            return MlflowClient()
        client = get_client()
        client.delete_run("r")
        get_client().set_tag("r", "k", "v")
        """,
        [
            "3 mlflow.MlflowClient",
            "5 mlflow.MlflowClient.delete_run",
            "6 mlflow.MlflowClient.set_tag k",
        ],
    ),
    (
        "client-untyped-factory",
        """
        import mlflow
        def make_client(uri):
            if uri:
                return mlflow.MlflowClient(uri)
            return None
        client = make_client("http://x")
        client.delete_run("r")
        def later():
            make_client(None).set_tag("r", "k", "v")
        """,
        [
            "4 mlflow.MlflowClient",
            "7 mlflow.MlflowClient.delete_run",
            "9 mlflow.MlflowClient.set_tag k",
        ],
    ),
    (
        "client-passed-to-helper",
        """
        from mlflow import MlflowClient
        def log_results(client, run_id, metrics):
            for key, value in metrics.items():
                client.log_metric(run_id, key, value)
        def tag(run_id, *, tracker):
            tracker.set_tag(run_id, "stage", "done")
        def main():
            client = MlflowClient()
            log_results(client, "r", {})
            tag("r", tracker=client)
        """,
        [
            "4 mlflow.MlflowClient.log_metric",
            "6 mlflow.MlflowClient.set_tag stage",
            "8 mlflow.MlflowClient",
        ],
    ),
    (
        "mlflow-function-passed-as-argument",
        """
        import mlflow.sklearn
        def predict(uri, loader):
            return loader(uri)
        predict("models:/m/1", mlflow.sklearn.load_model)
        """,
        ["3 mlflow.sklearn.load_model"],
    ),
    (
        "helper-given-no-client",
        """
        import mlflow
        def log_results(client, run_id):
            client.log_metric(run_id, "loss", 1.0)
        log_results(other_tracker, "r")
        log_results(*[mlflow.MlflowClient()], "r")
        """,
        ["5 mlflow.MlflowClient"],
    ),
    (
        "client-property-untyped",
        """
        import mlflow
        class Repo:
            @property
            def client(self):
                return mlflow.MlflowClient()
            def go(self):
                self.client.search_experiments()
        """,
        ["5 mlflow.MlflowClient", "7 mlflow.MlflowClient.search_experiments"],
    ),
    (
        "staticmethod-has-no-self",
        """
        import mlflow
        class Tracker:
            def __init__(self):
                self.client = mlflow.MlflowClient()
            @staticmethod
            def log(tracker, run_id):
                tracker.client.log_metric(run_id, "m", 1)
            def log_own(self, run_id):
                self.client.log_metric(run_id, "n", 1)
        """,
        ["4 mlflow.MlflowClient", "9 mlflow.MlflowClient.log_metric n"],
    ),
    (
        "client-passed-to-staticmethod",
        """
        from mlflow import MlflowClient
        class Forecaster:
            def latest_version(self, name):
                client = MlflowClient()
                return self.newest(client, name)
            @staticmethod
            def newest(client, name):
                return client.get_model_version(name, "1")
        """,
        ["4 mlflow.MlflowClient", "8 mlflow.MlflowClient.get_model_version"],
    ),
    (
        "client-passed-to-method-of-instance",
        """
        from mlflow import MlflowClient
        class Reporter:
            def report(self, client, run_id):
                client.set_tag(run_id, "reported", "yes")
        class Auditor:
            def audit(self, client, run_id):
                client.set_tag(run_id, "audited", "yes")
        Reporter().report(MlflowClient(), "r1")
        Auditor().audit(make_other_client(), "r1")
        """,
        ["4 mlflow.MlflowClient.set_tag reported", "8 mlflow.MlflowClient"],
    ),
    (
        "client-and-module-passed-to-constructor",
        """
        import mlflow
        from mlflow import MlflowClient
        class Tracker:
            def __init__(self, client, tracking):
                self.client = client
                self.tracking = tracking
            def log(self):
                self.client.log_metric("r", "acc", 1.0)
                self.tracking.log_param("p", 1)
        Tracker(MlflowClient(), tracking=mlflow).log()
        """,
        ["8 mlflow.MlflowClient.log_metric acc", "9 mlflow.log_param p", "10 mlflow.MlflowClient"],
    ),
    (
        "client-passed-to-classmethod-on-class",
        """
        import mlflow
        class Registry:
            @classmethod
            def promote(cls, client, name):
                client.set_registered_model_alias(name, "champion", 3)
        Registry.promote(mlflow.MlflowClient(), "churn")
        """,
        ["5 mlflow.MlflowClient.set_registered_model_alias", "6 mlflow.MlflowClient"],
    ),
    (
        "client-returned-by-own-method",
        """
        import mlflow
        class Job:
            def make_client(self):
                return mlflow.MlflowClient()
            def run(self):
                client = self.make_client()
                client.create_experiment("e")
        """,
        ["4 mlflow.MlflowClient", "7 mlflow.MlflowClient.create_experiment"],
    ),
    (
        "pytest-fixtures-of-the-same-file",
        """
        import pytest
        from mlflow import MlflowClient
        @pytest.fixture
        def client():
            return MlflowClient()
        @pytest.fixture(scope="module")
        def tracked(client):
            run = client.create_run("0")
            yield client
            client.delete_run(run.info.run_id)
        def test_tags(tracked, other):
            tracked.set_tag("r", "k", "v")
            other.set_tag("r", "k", "v")
        def helper(client):
            client.get_run("r")
        """,
        [
            "5 mlflow.MlflowClient",
            "8 mlflow.MlflowClient.create_run",
            "10 mlflow.MlflowClient.delete_run",
            "12 mlflow.MlflowClient.set_tag k",
            "15 mlflow.MlflowClient.get_run",
        ],
    ),
    (
        "getattr-with-a-literal-name",
        """
        import mlflow
        import mlflow.sklearn
        getattr(mlflow, "log_metric")("acc", 0.9)
        autolog = getattr(mlflow.sklearn, "autolog")
        autolog()
        getattr(mlflow, name)("loss", 1)
        getattr(tracker, "log_metric")("loss", 1)
        FLAVOR = "sklearn"
        getattr(mlflow, FLAVOR).log_model(model, name="m")
        """,
        ["3 mlflow.log_metric acc", "5 mlflow.sklearn.autolog", "9 mlflow.sklearn.log_model"],
    ),
    (
        "values-kept-in-mlflow-modules",
        """
        import mlflow
        from mlflow.environment_variables import MLFLOW_TRACKING_URI
        version = mlflow.__version__
        version.split(".")
        mlflow.__version__.startswith("2")
        mlflow.version.VERSION.split(".")
        mlflow.sklearn.FLAVOR_NAME.upper()
        MLFLOW_TRACKING_URI.get()
        from mlflow.azure.client import _logger
        _logger.debug("x")
        with mock.patch.object(mlflow, "register_model"):
            mlflow.register_model("runs:/r/m", "m")
            mlflow.register_model.assert_called_once()
        mlflow.log_metric.reset_mock()
        """,
        ["8 mlflow.environment_variables.MLFLOW_TRACKING_URI.get", "12 mlflow.register_model"],
    ),
    (
        "client-string-annotation",
        """
        from typing import TYPE_CHECKING
        if TYPE_CHECKING:
            from mlflow import MlflowClient
        def export(client: "MlflowClient", run_id):
            client.log_dict(run_id, {}, "a.json")
        """,
        ["5 mlflow.MlflowClient.log_dict"],
    ),
    (
        "client-optional-annotation",
        """
        from typing import Optional
        import mlflow
        def a(client: Optional[mlflow.MlflowClient] = None):
            client.get_run("r")
        def b(client: mlflow.MlflowClient | None):
            client.get_run("r")
        """,
        ["4 mlflow.MlflowClient.get_run", "6 mlflow.MlflowClient.get_run"],
    ),
    (
        "client-subclass",
        """
        from mlflow import MlflowClient
        class RunTracker(MlflowClient):
            def log_scores(self, run_id, scores):
                for key, value in scores.items():
                    self.log_metric(run_id, key, value)
        tracker = RunTracker()
        tracker.set_tag("r", "k", "v")
        tracker.log_scores("r", {})
        """,
        ["5 mlflow.MlflowClient.log_metric", "7 mlflow.MlflowClient.set_tag k"],
    ),
    (
        "client-held-by-user-class-instance",
        """
        import mlflow
        class Tracker:
            def __init__(self):
                self.client = mlflow.MlflowClient()
        tracker = Tracker()
        tracker.client.create_experiment("e")
        """,
        ["4 mlflow.MlflowClient", "6 mlflow.MlflowClient.create_experiment"],
    ),
    (
        "client-nested-self-attribute",
        """
        import mlflow
        class Config:
            def setup(self):
                self.server._client = mlflow.MlflowClient()
            def experiment(self, name):
                return self.server._client.get_experiment_by_name(name)
        """,
        ["4 mlflow.MlflowClient", "6 mlflow.MlflowClient.get_experiment_by_name"],
    ),
    (
        "client-property",
        """
        from functools import cached_property
        from mlflow import MlflowClient
        class Repo:
            @cached_property
            def client(self) -> MlflowClient:
                return MlflowClient()
            def go(self):
                self.client.search_experiments()
        """,
        ["6 mlflow.MlflowClient", "8 mlflow.MlflowClient.search_experiments"],
    ),
    (
        "lazy-loader",
        """
        from lazy import LazyLoader
        mlflow = LazyLoader("mlflow", globals(), "mlflow")
        tracking = lazy_module("mlflow.tracking")
        mlflow.log_metric("m", 1)
        tracking.MlflowClient()
        """,
        ["4 mlflow.log_metric m", "5 mlflow.MlflowClient"],
    ),
    (
        "neg-lazy-loader-of-another-module",
        """
        np = LazyLoader("numpy", globals(), "numpy")
        np.log_metric("m", 1)
        """,
        [],
    ),
    (
        "neg-user-class-method-named-like-client",
        """
        class Tracker:
            def log_metric(self, key, value):
                print(key, value)
        Tracker().log_metric("a", 1)
        """,
        [],
    ),
    # ---------------------------------------------------------------- notebooks saved as .py
    (
        "databricks-run-magic-brings-mlflow",
        """
        # Databricks notebook source
        # MAGIC %run ./includes/Common
        # COMMAND ----------
        mlflow.log_param("max_depth", 3)
        """,
        ["4 mlflow.log_param max_depth"],
    ),
    (
        "script-with-shell-lines",
        """
        # Databricks notebook source
        !pip install -U mlflow-skinny
        import mlflow
        mlflow.autolog()
        """,
        ["4 mlflow.autolog"],
    ),
    (
        "neg-run-magic-does-not-override-local-binding",
        """
        # MAGIC %run ./Common
        mlflow = Tracker()
        mlflow.log_param("x", 1)
        """,
        [],
    ),
    # ---------------------------------------------------------------- calls in context
    (
        "with-start-run",
        """
        import mlflow
        with mlflow.start_run(run_name="a") as run:
            mlflow.log_params({"lr": 0.1, "epochs": 3})
            print(run.info.run_id)
        """,
        ["2 mlflow.start_run", "3 mlflow.log_params epochs;lr"],
    ),
    (
        "nested-calls",
        """
        import mlflow
        mlflow.log_metric("a", f(mlflow.log_param("b", 1)))
        """,
        ["2 mlflow.log_metric a", "2 mlflow.log_param b"],
    ),
    (
        "call-in-comprehension",
        """
        import mlflow
        [mlflow.log_metric(k, v) for k, v in scores.items()]
        """,
        ["2 mlflow.log_metric"],
    ),
    (
        "call-in-lambda",
        """
        import mlflow
        log = lambda k, v: mlflow.log_metric(k, v)
        """,
        ["2 mlflow.log_metric"],
    ),
    (
        "call-in-decorator-arguments",
        """
        import mlflow
        @mlflow.trace(name="predict")
        def predict(x):
            return x
        """,
        ["2 mlflow.trace"],
    ),
    (
        "bare-decorator",
        """
        import mlflow
        @mlflow.trace
        def predict(x):
            return x
        """,
        ["2 mlflow.trace"],
    ),
    (
        "function-alias",
        """
        import mlflow
        log = mlflow.log_metric
        log("loss", 1.0)
        """,
        ["3 mlflow.log_metric loss"],
    ),
    (
        "call-in-default-argument",
        """
        import mlflow
        def f(uri=mlflow.get_tracking_uri()):
            pass
        """,
        ["2 mlflow.get_tracking_uri"],
    ),
    (
        "async-function",
        """
        import mlflow
        async def main():
            async with lock:
                mlflow.log_metric("x", 1)
        """,
        ["4 mlflow.log_metric x"],
    ),
    (
        "nested-function-closure",
        """
        import mlflow as m
        def outer():
            def inner():
                m.set_tag("t", 1)
            return inner
        """,
        ["4 mlflow.set_tag t"],
    ),
    (
        "walrus",
        """
        import mlflow
        if (run := mlflow.active_run()) is not None:
            mlflow.end_run()
        """,
        ["2 mlflow.active_run", "3 mlflow.end_run"],
    ),
    (
        "match-statement",
        """
        import mlflow
        match mode:
            case "train":
                mlflow.autolog()
            case _:
                pass
        """,
        ["4 mlflow.autolog"],
    ),
    # ---------------------------------------------------------------- keys
    (
        "keys-keyword-argument",
        """
        import mlflow
        mlflow.log_param(key="batch", value=32)
        """,
        ["2 mlflow.log_param batch"],
    ),
    (
        "keys-non-literal",
        """
        import mlflow
        mlflow.log_param(name, value)
        mlflow.log_metric(f"loss_{i}", v)
        """,
        ["2 mlflow.log_param", "3 mlflow.log_metric"],
    ),
    (
        "keys-dict-call",
        """
        import mlflow
        mlflow.log_params(dict(alpha=0.5, l1=0.1))
        """,
        ["2 mlflow.log_params alpha;l1"],
    ),
    (
        "keys-dict-variable",
        """
        import mlflow
        params = {"a": 1}
        mlflow.log_params(params)
        """,
        ["3 mlflow.log_params"],
    ),
    (
        "keys-concatenated-string",
        """
        import mlflow
        mlflow.log_metric("val" "_loss", 1)
        """,
        ["2 mlflow.log_metric val_loss"],
    ),
    (
        "keys-dict-with-spread",
        """
        import mlflow
        mlflow.log_metrics({**base, "f1": f1})
        """,
        ["2 mlflow.log_metrics f1"],
    ),
    # ---------------------------------------------------------------- GenAI
    (
        "genai-start-span",
        """
        import mlflow
        with mlflow.start_span(name="retrieve") as span:
            span.set_inputs({"q": q})
        """,
        ["2 mlflow.start_span", "3 mlflow.entities.Span.set_inputs"],
    ),
    (
        "genai-evaluate",
        """
        import mlflow.genai
        mlflow.genai.evaluate(data=rows, scorers=[])
        """,
        ["2 mlflow.genai.evaluate"],
    ),
    # ---------------------------------------------------------------- objects MLflow returns
    (
        "returned-span-of-a-context-manager",
        """
        import mlflow
        with mlflow.start_span("retrieve") as span:
            span.set_inputs({"q": q})
            docs = search(q)
            span.set_outputs(docs)
        """,
        [
            "2 mlflow.start_span",
            "3 mlflow.entities.Span.set_inputs",
            "5 mlflow.entities.Span.set_outputs",
        ],
    ),
    (
        "returned-span-chained-on-the-factory",
        """
        from mlflow import get_current_active_span
        get_current_active_span().set_attribute("user", user_id)
        """,
        ["2 mlflow.get_current_active_span", "2 mlflow.entities.Span.set_attribute"],
    ),
    (
        "returned-span-type-hint",
        """
        from mlflow.entities import Span
        def annotate(span: Span, answer):
            span.set_outputs(answer)
        """,
        ["3 mlflow.entities.Span.set_outputs"],
    ),
    (
        "returned-deployment-client-held-by-self",
        """
        from mlflow.deployments import get_deploy_client
        class Agent:
            def __init__(self):
                self.client = get_deploy_client("databricks")
            def ask(self, messages):
                return self.client.predict(endpoint="chat", inputs={"messages": messages})
        """,
        [
            "4 mlflow.deployments.get_deploy_client",
            "6 mlflow.deployments.BaseDeploymentClient.predict",
        ],
    ),
    (
        "returned-by-a-helper-function",
        """
        import mlflow.deployments
        def deploy_client():
            return mlflow.deployments.get_deploy_client("databricks")
        deploy_client().create_endpoint(name="chat", config=config)
        """,
        [
            "3 mlflow.deployments.get_deploy_client",
            "4 mlflow.deployments.BaseDeploymentClient.create_endpoint",
        ],
    ),
    (
        "returned-pyfunc-model",
        """
        import mlflow.pyfunc
        model = mlflow.pyfunc.load_model("models:/churn/1")
        predictions = model.predict(frame)
        """,
        ["2 mlflow.pyfunc.load_model", "3 mlflow.pyfunc.PyFuncModel.predict"],
    ),
    (
        "returned-active-run-attributes-are-not-calls",
        """
        import mlflow
        with mlflow.start_run() as run:
            print(run.info.run_id)
            run_id = run.info.run_id.upper()
            mlflow.log_param("run", run_id)
        """,
        ["2 mlflow.start_run", "5 mlflow.log_param run"],
    ),
    (
        "returned-prompt",
        """
        import mlflow
        prompt = mlflow.genai.load_prompt("prompts:/qa/1")
        text = prompt.format(question=question)
        """,
        [
            "2 mlflow.genai.load_prompt",
            "3 mlflow.entities.model_registry.PromptVersion.format",
        ],
    ),
    (
        "neg-returned-object-rebound",
        """
        import mlflow
        span = mlflow.start_span_no_context("retrieve")
        span = Tracer().span()
        span.end()
        """,
        ["2 mlflow.start_span_no_context"],
    ),
    (
        "neg-with-of-another-library-binds-nothing",
        """
        import mlflow
        with tracer.start_as_current_span("retrieve") as span:
            span.set_inputs({"q": q})
        """,
        [],
    ),
    (
        "neg-flavor-model-is-the-frameworks-own",
        """
        import mlflow.sklearn
        model = mlflow.sklearn.load_model("models:/churn/1")
        model.predict(X)
        """,
        ["2 mlflow.sklearn.load_model"],
    ),
    (
        "neg-attribute-chain-on-a-class",
        """
        from mlflow.store.dbmodels.models import SqlMetric
        rows = session.query(SqlMetric).order_by(SqlMetric.value.asc()).all()
        """,
        [],
    ),
    (
        "class-method-still-reported",
        """
        from mlflow.models import Model
        Model.load("runs:/abc/model")
        """,
        ["2 mlflow.models.Model.load"],
    ),
    # ---------------------------------------------------------------- modules as values
    (
        "module-parameter-hinted-as-module",
        """
        import mlflow
        from types import ModuleType
        def train_step(mlflow: ModuleType, data):
            mlflow.log_metric("rows", len(data))
        """,
        ["4 mlflow.log_metric rows"],
    ),
    (
        "module-parameter-kept-by-self",
        """
        import types
        import mlflow
        class Recorder:
            def __init__(self, mlflow: types.ModuleType | None = None):
                self._mlflow = mlflow
            def record(self, value):
                self._mlflow.log_metric("loss", value)
        """,
        ["7 mlflow.log_metric loss"],
    ),
    (
        "module-passed-by-every-call-site",
        """
        import mlflow
        def evaluate(tracker, score):
            tracker.log_metric("score", score)
        evaluate(mlflow, 0.9)
        evaluate(tracker=mlflow, score=0.8)
        """,
        ["3 mlflow.log_metric score"],
    ),
    (
        "neg-module-parameter-given-a-user-object",
        """
        import mlflow
        class FakeTracker:
            def log_metric(self, key, value):
                pass
        def evaluate(mlflow, score):
            mlflow.log_metric("score", score)
        evaluate(FakeTracker(), 0.9)
        """,
        [],
    ),
    (
        "neg-module-parameter-where-call-sites-disagree",
        """
        import mlflow
        def evaluate(tracker, score):
            tracker.log_metric("score", score)
        evaluate(mlflow, 0.9)
        evaluate(None, 0.8)
        """,
        [],
    ),
    (
        "neg-module-hint-on-a-name-mlflow-does-not-hold",
        """
        import mlflow
        from types import ModuleType
        def train_step(tracker: ModuleType, data):
            tracker.log_metric("rows", len(data))
        """,
        [],
    ),
    # ---------------------------------------------------------------- dynamic imports
    (
        "dynamic-import-of-a-flavor",
        """
        import importlib
        importlib.import_module("mlflow.sklearn").autolog()
        """,
        ["2 mlflow.sklearn.autolog"],
    ),
    (
        "dynamic-import-of-a-constant-name",
        """
        import importlib
        FLAVOR = "mlflow.lightgbm"
        flavor = importlib.import_module(FLAVOR)
        flavor.autolog(log_models=False)
        """,
        ["4 mlflow.lightgbm.autolog"],
    ),
    (
        "dunder-import-gives-the-top-package",
        """
        ml = __import__("mlflow.sklearn")
        ml.sklearn.autolog()
        sk = __import__("mlflow.sklearn", fromlist=["autolog"])
        sk.log_model(model, "model")
        """,
        ["2 mlflow.sklearn.autolog", "4 mlflow.sklearn.log_model"],
    ),
    (
        "neg-dynamic-import-of-a-computed-name",
        """
        import importlib
        importlib.import_module(f"mlflow.{flavor}").autolog()
        importlib.import_module("mlflow_extensions").log_param("a", 1)
        """,
        [],
    ),
    # ---------------------------------------------------------------- must NOT report
    (
        "neg-comment-and-string",
        '''
        import mlflow
        # mlflow.log_param("x", 1)
        s = "mlflow.log_metric('a', 1)"
        def f():
            """Calls mlflow.log_params(params) in the docs only."""
        ''',
        [],
    ),
    (
        "neg-no-import",
        """
        mlflow.log_param("x", 1)
        log_metric("a", 1)
        """,
        [],
    ),
    (
        "neg-lightning-logger",
        """
        from pytorch_lightning.loggers import MLFlowLogger
        logger = MLFlowLogger(experiment_name="x")
        logger.log_metrics({"a": 1})
        logger.log_hyperparams({"lr": 1})
        """,
        [],
    ),
    (
        "neg-lightning-self-logger",
        """
        import mlflow
        import pytorch_lightning as pl
        class M(pl.LightningModule):
            def training_step(self, batch, i):
                self.logger.log_metrics({"loss": 1})
                self.log("loss", 1)
        """,
        [],
    ),
    (
        "neg-wandb-neptune-comet",
        """
        import wandb, neptune
        from comet_ml import Experiment
        wandb.log({"a": 1})
        run = neptune.init_run()
        run["p"].log(1)
        exp = Experiment()
        exp.log_metrics({"a": 1})
        exp.log_parameters({"b": 2})
        """,
        [],
    ),
    (
        "neg-user-wrapper-named-like-mlflow",
        """
        import mlflow
        def log_params(params):
            mlflow.log_params(params)
        log_params({"x": 1})
        """,
        ["3 mlflow.log_params"],
    ),
    (
        "neg-wrapper-method",
        """
        import mlflow
        class Tracker:
            def log_metrics(self, m):
                mlflow.log_metrics(m)
        t = Tracker()
        t.log_metrics({"a": 1})
        """,
        ["4 mlflow.log_metrics"],
    ),
    (
        "neg-local-def-shadows-import",
        """
        from mlflow import log_metric
        def log_metric(key, value):
            print(key, value)
        log_metric("a", 1)
        """,
        [],
    ),
    (
        "neg-parameter-shadows-import",
        """
        import mlflow
        def train(mlflow):
            mlflow.log_param("x", 1)
        """,
        [],
    ),
    (
        "neg-assignment-shadows-import",
        """
        import mlflow
        mlflow = FakeTracker()
        mlflow.log_param("x", 1)
        """,
        [],
    ),
    (
        "neg-reimport-from-elsewhere",
        """
        from mlflow import log_param
        from my_utils import log_param
        log_param("x", 1)
        """,
        [],
    ),
    (
        "neg-relative-import-named-mlflow",
        """
        from . import mlflow
        from .mlflow import log_param
        mlflow.log_param("x", 1)
        log_param("y", 2)
        """,
        [],
    ),
    (
        "neg-other-package-prefix",
        """
        import mlflow_utils
        import mlflowx
        mlflow_utils.log_param("x", 1)
        mlflowx.log_metric("a", 1)
        """,
        [],
    ),
    (
        "neg-other-package-mlflow-submodule",
        """
        from lightning.pytorch.loggers import mlflow
        mlflow.MLFlowLogger()
        """,
        [],
    ),
    (
        "neg-comprehension-variable-shadows",
        """
        import mlflow
        values = [mlflow.upper() for mlflow in names]
        """,
        [],
    ),
    (
        "neg-except-name-shadows",
        """
        import mlflow
        try:
            pass
        except Exception as mlflow:
            mlflow.log_param("x", 1)
        """,
        [],
    ),
    (
        "neg-loop-variable-shadows-in-body",
        """
        from mlflow import log_metric
        for log_metric in callbacks:
            log_metric("x", 1)
        """,
        [],
    ),
    (
        "neg-transformers-callback",
        """
        from transformers.integrations import MLflowCallback
        cb = MLflowCallback()
        cb.on_log(args, state, control)
        """,
        [],
    ),
    (
        "neg-attribute-not-called",
        """
        import mlflow
        uri = mlflow.get_tracking_uri
        x = mlflow.entities.ViewType.ACTIVE_ONLY
        """,
        [],
    ),
    (
        "neg-result-methods-not-mlflow",
        """
        import mlflow
        df = mlflow.search_runs()
        df.sort_values("x").head()
        """,
        ["2 mlflow.search_runs"],
    ),
    (
        "neg-class-body-name-invisible-in-method",
        """
        import os
        class T:
            import mlflow
            def go(self):
                mlflow.log_param("x", 1)
        """,
        [],
    ),
]


def _expected(lines: list[str]) -> set[tuple[int, str, tuple[str, ...]]]:
    result = set()
    for text in lines:
        parts = text.split()
        keys = tuple(parts[2].split(";")) if len(parts) > 2 else ()
        result.add((int(parts[0]), parts[1], keys))
    return result


@pytest.mark.parametrize(
    ("source", "expected"), [(s, e) for _, s, e in CASES], ids=[case_id for case_id, _, _ in CASES]
)
def test_reports_exactly_the_expected_calls(source: str, expected: list[str]) -> None:
    code = textwrap.dedent(source).lstrip("\n")
    analysis = analyze_bytes(code.encode(), FileKind.SCRIPT)
    assert analysis.status in (FileStatus.ANALYZED, FileStatus.NO_MLFLOW), analysis.detail
    found = {(call.line, call.api, call.keys) for call in analysis.calls}
    assert found == _expected(expected)


def test_table_is_large_and_balanced() -> None:
    negatives = [case for case in CASES if case[0].startswith("neg-")]
    assert len(CASES) >= 60
    assert len(negatives) >= 15
    assert len({case[0] for case in CASES}) == len(CASES), "case ids must be unique"


def test_columns_point_at_the_call_expression() -> None:
    code = "import mlflow\nif True:\n    x = mlflow.log_param('a', 1)\n"
    (call,) = analyze_bytes(code.encode(), FileKind.SCRIPT).calls
    assert (call.line, call.column) == (3, 8)


def test_dimensions_come_from_the_catalog() -> None:
    code = "import mlflow\nmlflow.log_param('a', 1)\nmlflow.sklearn.autolog()\nmlflow.nope()\n"
    dims = {c.api: c.dimension for c in analyze_bytes(code.encode(), FileKind.SCRIPT).calls}
    assert dims == {
        "mlflow.log_param": "parameters",
        "mlflow.sklearn.autolog": "autolog",
        "mlflow.nope": "other",
    }
