"""The registry: every detector, in ID order, from the four families."""

from __future__ import annotations

from analyzers.repo.detectors import code, configuration, dependencies, integrations
from analyzers.repo.detectors.base import Detector

DETECTORS: tuple[Detector, ...] = tuple(
    sorted(
        (
            *configuration.DETECTORS,
            *dependencies.DETECTORS,
            *code.DETECTORS,
            *integrations.DETECTORS,
        ),
        key=lambda detector: detector.id,
    )
)
DETECTOR_IDS = tuple(detector.id for detector in DETECTORS)
