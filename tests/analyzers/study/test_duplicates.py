"""Near-duplicate clustering: who is grouped with whom, and who represents the group."""

from __future__ import annotations

import pytest

from analyzers.study.duplicates import EMPTY_BLOB, Member, Placement, cluster, near_duplicates


def blobs(*names: str) -> frozenset[str]:
    return frozenset(names)


TEN = blobs(*(f"b{i}" for i in range(10)))
EARLY, LATE = "2020-01-01T00:00:00Z", "2024-06-01T00:00:00Z"

CASES = {
    "template copies": (
        [Member("t/tmpl", TEN, EARLY), Member("a/copy", TEN, LATE), Member("b/copy", TEN, LATE)],
        {"t/tmpl": ("", 3), "a/copy": ("t/tmpl", 3), "b/copy": ("t/tmpl", 3)},
    ),
    "one file added": (
        [Member("a/base", TEN, EARLY), Member("b/more", TEN | {"own"}, LATE)],
        {"a/base": ("", 2), "b/more": ("a/base", 2)},
    ),
    "exactly 80% both ways": (
        [Member("a/ten", TEN, EARLY), Member("b/eight", blobs(*sorted(TEN)[:8]), LATE)],
        {"a/ten": ("", 2), "b/eight": ("a/ten", 2)},
    ),
    "70% is not enough": (
        [Member("a/ten", TEN, EARLY), Member("b/seven", blobs(*sorted(TEN)[:7]), LATE)],
        {"a/ten": ("", 1), "b/seven": ("", 1)},
    ),
    "contained but twice as large": (
        [Member("a/ten", TEN, EARLY), Member("b/big", TEN | {f"x{i}" for i in range(10)}, LATE)],
        {"a/ten": ("", 1), "b/big": ("", 1)},
    ),
    "empty files do not make repositories alike": (
        [Member("a/x", blobs(EMPTY_BLOB, "a1")), Member("b/y", blobs(EMPTY_BLOB, "b1"))],
        {"a/x": ("", 1), "b/y": ("", 1)},
    ),
    "no analysed file": (
        [Member("a/none", frozenset()), Member("b/none", frozenset())],
        {"a/none": ("", 1), "b/none": ("", 1)},
    ),
    "same day: most stars, then name": (
        [
            Member("z/popular", TEN, EARLY, stars=50),
            Member("a/quiet", TEN, EARLY, stars=2),
            Member("m/also", TEN, EARLY, stars=50),
        ],
        {"m/also": ("", 3), "z/popular": ("m/also", 3), "a/quiet": ("m/also", 3)},
    ),
    "unknown creation time comes last": (
        [Member("a/undated", TEN, "", stars=99), Member("b/dated", TEN, LATE)],
        {"b/dated": ("", 2), "a/undated": ("b/dated", 2)},
    ),
    "a chain is one cluster": (
        [
            Member("a/one", blobs(*"abcdefghij"), EARLY),
            Member("b/two", blobs(*"abcdefghiK"), LATE),
            Member("c/three", blobs(*"abcdefgKLM"), LATE),  # 80% of b, 70% of a
        ],
        {"a/one": ("", 3), "b/two": ("a/one", 3), "c/three": ("a/one", 3)},
    ),
}


@pytest.mark.parametrize(("members", "expected"), CASES.values(), ids=CASES.keys())
def test_clusters(members: list[Member], expected: dict[str, tuple[str, int]]) -> None:
    placements = cluster(members)
    assert placements == {name: Placement(*where) for name, where in expected.items()}


def test_the_threshold_is_a_setting() -> None:
    members = [Member("a/ten", TEN, EARLY), Member("b/seven", blobs(*sorted(TEN)[:7]), LATE)]
    assert cluster(members, threshold=0.7)["b/seven"] == Placement("a/ten", 2)
    assert cluster(members, threshold=0.9)["b/seven"] == Placement("", 1)
    with pytest.raises(ValueError, match="threshold"):
        cluster(members, threshold=0)


def test_many_clusters_stay_apart() -> None:
    members = [
        Member(f"o{group}/r{copy}", blobs(*(f"g{group}-{i}" for i in range(5))), f"202{copy}")
        for group in range(30)
        for copy in range(4)
    ]
    placements = cluster(members)
    for group in range(30):
        assert placements[f"o{group}/r0"] == Placement("", 4)
        for copy in (1, 2, 3):
            assert placements[f"o{group}/r{copy}"] == Placement(f"o{group}/r0", 4)


def test_near_duplicates_is_symmetric_and_exact() -> None:
    a, b, c = blobs(*"abcdefghij"), blobs(*"abcdefghiK"), blobs(*"abcdefgKLM")
    assert near_duplicates(a, b, 0.8)
    assert near_duplicates(b, a, 0.8)
    assert near_duplicates(b, c, 0.8)
    assert not near_duplicates(a, c, 0.8)
    assert not near_duplicates(frozenset(), frozenset(), 0.8)
