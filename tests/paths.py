"""Where the test suite's own files are, for every test module whatever its depth."""

from pathlib import Path

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent
FIXTURES = TESTS / "fixtures"
CORPUS = FIXTURES / "corpus"
STUDY = FIXTURES / "study"
