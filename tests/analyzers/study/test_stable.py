"""Byte-stable images: plotly's random SVG ids, Chromium's PDF dates, the PNG's resolution,
and Chromium's messages kept off the terminal."""

from __future__ import annotations

import struct
import subprocess
import sys
import zlib

import pytest

from analyzers.study.charts.stable import (
    png_dpi,
    png_size,
    png_with_dpi,
    quiet_stderr,
    stable_pdf,
    stable_svg,
)


def svg(uid: str) -> bytes:
    return (
        f'<svg><defs id="defs-{uid}"><clipPath id="clip{uid}xyplot"/></defs>'
        f'<g clip-path="url(#clip{uid}xyplot)"/><text>mlflow.log_param</text></svg>'
    ).encode()


def test_svgs_drawn_with_different_uids_become_the_same_bytes() -> None:
    first, second = stable_svg(svg("24132a"), "c0ffee"), stable_svg(svg("b697f9"), "c0ffee")
    assert first == second
    assert b"24132a" not in first
    assert first.count(b"c0ffee") == 3


def test_an_svg_without_plotly_defs_is_left_alone() -> None:
    assert stable_svg(b"<svg><g/></svg>", "c0ffee") == b"<svg><g/></svg>"


def pdf(when: str) -> bytes:
    return (
        b"%PDF-1.4\n1 0 obj\n<</Creator (Mozilla/5.0 \\(X11; Linux\\) HeadlessChrome/156)\n"
        b"/Producer (Skia/PDF m156)\n/CreationDate (D:" + when.encode() + b"+00'00')\n"
        b"/ModDate (D:" + when.encode() + b"+00'00')>>\nendobj\nxref\n0 2\n%%EOF\n"
    )


def test_pdfs_printed_at_different_times_become_the_same_bytes() -> None:
    first, second = pdf("20261206102716"), pdf("20991231235959")
    assert first != second
    assert stable_pdf(first) == stable_pdf(second)
    assert len(stable_pdf(first)) == len(first), "offsets in the xref table stay right"
    assert b"CreationDate" not in stable_pdf(first)
    assert b"HeadlessChrome" not in stable_pdf(first)
    assert b"/Producer (Skia/PDF m156)" in stable_pdf(first)


def chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def tiny_png(*extra: bytes) -> bytes:
    header = chunk(b"IHDR", struct.pack(">IIBBBBB", 2100, 900, 8, 6, 0, 0, 0))
    data = chunk(b"IDAT", zlib.compress(b"\0" * 16))
    return b"\x89PNG\r\n\x1a\n" + header + b"".join(extra) + data + chunk(b"IEND", b"")


@pytest.mark.parametrize(
    "png",
    [tiny_png(), tiny_png(chunk(b"pHYs", struct.pack(">IIB", 2835, 2835, 1)))],
    ids=["without-phys", "with-72-dpi"],
)
def test_a_png_says_300_dpi_once(png: bytes) -> None:
    stamped = png_with_dpi(png, 300)
    assert png_dpi(stamped) == (300, 300)
    assert stamped.count(b"pHYs") == 1
    assert stamped.index(b"pHYs") < stamped.index(b"IDAT"), "pHYs must precede the image data"
    assert png_with_dpi(stamped, 300) == stamped
    assert png_size(stamped) == (2100, 900)
    position = 8  # every chunk's CRC is right
    while position < len(stamped):
        (length,) = struct.unpack(">I", stamped[position : position + 4])
        body = stamped[position + 4 : position + 8 + length]
        (crc,) = struct.unpack(">I", stamped[position + 8 + length : position + 12 + length])
        assert crc == zlib.crc32(body)
        position += 12 + length


def test_what_is_not_a_png_is_returned_as_is() -> None:
    assert png_with_dpi(b"not a png", 300) == b"not a png"
    assert png_dpi(b"not a png") is None


def test_messages_written_to_descriptor_2_are_collected_not_shown(
    capfd: pytest.CaptureFixture[str],
) -> None:
    """Chromium writes straight to file descriptor 2, past sys.stderr: a child process does
    the same here."""
    noisy = "import sys; sys.stderr.write('Traceback (most recent call last):\\n  harmless\\n')"
    with quiet_stderr() as noise:
        subprocess.run([sys.executable, "-c", noisy], check=True)
    assert "harmless" in noise[0]
    assert "harmless" not in capfd.readouterr().err
    print("after", file=sys.stderr)
    assert "after" in capfd.readouterr().err, "descriptor 2 is back where it was"
