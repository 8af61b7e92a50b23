"""The walk: file names that are not UTF-8, FIFOs, sockets and devices, each as one entry."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

from analyzers.records import FileKind, FileStatus
from analyzers.repo.files import escape_path, regular_files, unescape_path, walk

ESCAPES = [
    # name bytes on disk, the path every table and the cache hold
    (b"plain.py", "plain.py"),
    ("café.py".encode(), "café.py"),
    (b"caf\xe9.py", "caf\\xe9.py"),  # Latin-1, not UTF-8
    (b"\xff\xfe.py", "\\xff\\xfe.py"),
    (b"back\\slash.py", "back\\\\slash.py"),
    (b"looks\\xe9escaped.py", "looks\\\\xe9escaped.py"),
    (b"\xed\xa0\x80.py", "\\xed\\xa0\\x80.py"),  # an encoded surrogate is not UTF-8 either
    (b"new\nline.py", "new\nline.py"),  # valid UTF-8: the CSV writer quotes it
]


@pytest.mark.parametrize(("raw", "escaped"), ESCAPES, ids=[repr(raw) for raw, _ in ESCAPES])
def test_a_file_name_is_escaped_once_and_reversibly(raw: bytes, escaped: str) -> None:
    assert escape_path(os.fsdecode(raw)) == escaped
    assert escaped.encode("utf-8")  # valid text, whatever the name
    assert os.fsencode(unescape_path(escaped)) == raw


@pytest.mark.parametrize(
    "text",
    ["", "\\", "\\\\", "\\x", "\\xzz", "\udc80\\", "\ud800", "a\\u00e9", "\\x80\udc80"],
)
def test_escaping_round_trips_any_text(text: str) -> None:
    assert unescape_path(escape_path(text)) == text


def test_names_that_are_not_utf8_get_their_entries(tmp_path: Path) -> None:
    root = os.fsencode(tmp_path)
    os.makedirs(os.path.join(root, b"d\xe9p\xf4t"))
    for name in (b"caf\xe9.py", b"d\xe9p\xf4t/train.py", b"nb\xff.ipynb", b"ok.py"):
        with open(os.path.join(root, name), "wb") as handle:
            handle.write(b"import mlflow\n")
    entries = list(walk(str(tmp_path)))
    assert [entry.path for entry in entries] == [
        "caf\\xe9.py",
        "d\\xe9p\\xf4t/train.py",
        "nb\\xff.ipynb",
        "ok.py",
    ]
    assert all(os.path.isfile(entry.source) for entry in entries)
    assert {path for path, _ in regular_files(str(tmp_path))} >= {"caf\\xe9.py", "ok.py"}


def _fifo(path: Path) -> None:
    os.mkfifo(path)


def _socket(path: Path) -> None:
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(path))
    server.close()


@pytest.mark.parametrize(("make", "what"), [(_fifo, "a FIFO"), (_socket, "a socket")])
def test_a_non_regular_file_is_a_row_and_never_opened(
    tmp_path: Path, make: object, what: str
) -> None:
    make(tmp_path / "train.py")  # type: ignore[operator]
    make(tmp_path / "nb.ipynb")  # type: ignore[operator]
    make(tmp_path / "other.txt")  # type: ignore[operator]
    entries = {entry.path: entry for entry in walk(str(tmp_path))}
    assert set(entries) == {"nb.ipynb", "train.py"}
    assert entries["train.py"].kind is FileKind.SCRIPT
    assert entries["nb.ipynb"].kind is FileKind.NOTEBOOK
    for entry in entries.values():
        assert entry.status is FileStatus.NOT_REGULAR
        assert entry.detail.startswith(what)


def test_a_device_named_py_is_not_regular(tmp_path: Path) -> None:
    (tmp_path / "null.py").symlink_to("/dev/null")
    entries = list(walk(str(tmp_path / "null.py")))  # named on purpose: followed, not opened
    assert [(e.status, e.detail) for e in entries] == [
        (FileStatus.NOT_REGULAR, "a character device: never opened")
    ]


def test_a_fifo_given_as_the_path_is_a_row(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe.py")
    (entry,) = walk(str(tmp_path / "pipe.py"))
    assert (entry.path, entry.status) == ("pipe.py", FileStatus.NOT_REGULAR)
