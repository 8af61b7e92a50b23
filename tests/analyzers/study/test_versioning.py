"""Model versioning: `classify_model_uri`, `semantic_version`, `name_tokens` and `token_kind`."""

from __future__ import annotations

import pytest

from analyzers.study.versioning import (
    MODEL_URI_KINDS,
    SEMVER_PATTERNS,
    TOKEN_KINDS,
    classify_model_uri,
    name_tokens,
    semantic_version,
    token_kind,
)


@pytest.mark.parametrize(
    ("uri", "kind"),
    [
        ("models:/churn/Production", "stage"),
        ("models:/churn/production", "stage"),
        ("models:/churn/STAGING", "stage"),
        ("models:/churn/Archived", "stage"),
        ("models:/churn/None", "stage"),
        ("models:/{…}/Staging", "stage"),  # the name is not a literal, the stage is
        ("models:/churn@champion", "alias"),
        ("models:/churn@{…}", "alias"),
        ("models:/{…}@challenger", "alias"),
        ("models:/churn/3", "version"),
        ("models:/churn/12/", "version"),
        ("models:/churn-v2/1", "version"),
        ("models:/churn/latest", "latest"),
        ("models:/churn/Latest", "latest"),
        ("models:/m-0123456789abcdef0123456789abcdef", "logged-model"),
        ("models:/M-0123456789ABCDEF", "logged-model"),
        ("runs:/0a1b2c3d/model", "run"),
        ("runs:/{…}/model", "run"),
        ("RUNS:/abc/artifacts/model", "run"),
        ("models:/churn/{…}", "unknown"),  # a stage or a version: cannot tell
        ("models:/churn/Prod", "unknown"),  # not a stage MLflow knows
        ("models:/churn", "unknown"),  # a name alone is no URI MLflow resolves
        ("models:/{…}", "unknown"),
        ("models:/", "unknown"),
        ("models:/@champion", "unknown"),
        ("models:/churn@", "unknown"),
        ("models:/churn@champion/1", "unknown"),
        ("models:/churn/٣", "unknown"),  # an Arabic-Indic digit is no version number
        ("model:/churn/1", "unknown"),
        ("s3://bucket/model", "unknown"),
        ("", "unknown"),
    ],
)
def test_classify_model_uri(uri: str, kind: str) -> None:
    assert kind in MODEL_URI_KINDS
    assert classify_model_uri(uri) == kind


@pytest.mark.parametrize(
    ("name", "pattern", "version"),
    [
        ("churn-model-v2", "vX", "v2"),
        ("ChurnClassifierV2", "vX", "V2"),
        ("model_v1", "vX", "v1"),
        ("v3", "vX", "v3"),
        ("resnet50_v2", "vX", "v2"),
        ("model-v2-2024", "vX", "v2"),  # a year after the version is no minor version
        ("xgb_v3_final", "vX", "v3"),
        ("modelV2.1", "vX.Y", "V2.1"),
        ("fraud-v1.2", "vX.Y", "v1.2"),
        ("recsys_v1.2.3", "vX.Y.Z", "v1.2.3"),
        ("churn_v1-2", "vX-Y", "v1-2"),
        ("bert_1.0.3", "X.Y.Z", "1.0.3"),
        ("fraud_detector_1.0.3", "X.Y.Z", "1.0.3"),
        ("model-2.0", "X.Y", "2.0"),
        ("gpt-3.5-turbo", "X.Y", "3.5"),
        ("bert-base-1-0", "X-Y", "1-0"),
        # no semantic version
        ("churn", "", ""),
        ("mobilenetv2", "", ""),  # an architecture's name, not a version
        ("Dev2", "", ""),
        ("resnet50", "", ""),
        ("llama-3-8b", "", ""),
        ("model-2024.01", "", ""),  # a date
        ("2024-01-model", "", ""),
        ("model_20240115", "", ""),
        ("v1.2.3.4", "", ""),  # four parts: no semantic version
        ("v2b", "", ""),
        ("{…}", "", ""),
    ],
)
def test_semantic_version(name: str, pattern: str, version: str) -> None:
    assert pattern == "" or pattern in SEMVER_PATTERNS
    assert semantic_version(name) == (pattern, version)


def test_a_version_in_a_partly_literal_name_is_found() -> None:
    assert semantic_version("{…}-v2") == ("vX", "v2")


@pytest.mark.parametrize(
    ("name", "tokens"),
    [
        ("churn-model-v2", ["churn", "model", "v2"]),
        ("ChurnClassifierV2", ["churn", "classifier", "v2"]),
        ("XGBModel", ["xgb", "model"]),
        ("bert_1.0.3", ["bert", "1", "0", "3"]),
        ("bert-base-fine-tuned", ["bert", "base", "finetuned"]),
        ("bert_fine_tuned", ["bert", "finetuned"]),
        ("team/churn model", ["team", "churn", "model"]),
        ("llama-2-7b", ["llama", "2", "7b"]),
        ("{…}_recommender", ["recommender"]),
        ("", []),
    ],
)
def test_name_tokens(name: str, tokens: list[str]) -> None:
    assert name_tokens(name) == tokens


@pytest.mark.parametrize(
    ("token", "kind"),
    [
        ("v2", "version"),
        ("V10", "version"),
        ("2024", "date"),
        ("1999", "date"),
        ("202401", "date"),
        ("20240115", "date"),
        ("20241315", "number"),  # month 13: no date
        ("2101", "number"),
        ("7b", "parameter-count"),
        ("125m", "parameter-count"),
        ("8x7b", "parameter-count"),
        ("1.3b", "parameter-count"),
        ("base", "size-label"),
        ("large", "size-label"),
        ("small", "size-label"),
        ("xl", "size-label"),
        ("finetuned", "fine-tuned"),
        ("ft", "fine-tuned"),
        ("sft", "fine-tuned"),
        ("3", "number"),
        ("01", "number"),
        ("churn", "word"),
        ("resnet50", "word"),
        ("bert", "word"),
    ],
)
def test_token_kind(token: str, kind: str) -> None:
    assert kind in TOKEN_KINDS
    assert token_kind(token) == kind
