"""Static images with the same bytes on every run, and Chromium kept quiet.

Chromium and plotly put run-specific bytes into images: plotly numbers every SVG clip path and
gradient with a random id, Chromium's PDF carries its creation time and its user agent. Each
fixer below rewrites exactly those bytes; PNGs are already stable and get the 300-dpi physical
size a print figure needs (a `pHYs` chunk), so a paper's `\\includegraphics` sizes them right.
"""

from __future__ import annotations

import contextlib
import os
import re
import struct
import sys
import tempfile
import zlib
from collections.abc import Iterator

# plotly.js numbers a figure's defs, clip paths and gradients with one random uid per figure.
_SVG_UID = re.compile(rb'<defs id="defs-([0-9a-f]+)"')
# Info entries Chromium's PDF writer (Skia) fills with the time and the browser's user agent.
_PDF_VOLATILE = re.compile(rb"/(CreationDate|ModDate|Creator) \((?:[^()\\]|\\.)*\)")
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def stable_svg(data: bytes, uid: str) -> bytes:
    """The SVG with plotly's random figure uid replaced by `uid` everywhere it is used."""
    found = _SVG_UID.search(data)
    if found is None:
        return data
    return data.replace(found.group(1), uid.encode("ascii"))


def stable_pdf(data: bytes) -> bytes:
    """The PDF without its creation and modification dates and the browser's user agent.

    The entries are blanked to spaces of the same length, which a PDF dictionary ignores, so
    every byte offset in the cross-reference table stays right."""
    return _PDF_VOLATILE.sub(lambda match: b" " * len(match.group(0)), data)


def png_with_dpi(data: bytes, dpi: int) -> bytes:
    """The PNG with a `pHYs` chunk saying `dpi` (replacing one it has); anything that is not a
    PNG is returned as it is."""
    if not data.startswith(_PNG_SIGNATURE):
        return data
    per_metre = round(dpi / 0.0254)
    body = b"pHYs" + struct.pack(">IIB", per_metre, per_metre, 1)
    chunk = struct.pack(">I", 9) + body + struct.pack(">I", zlib.crc32(body))
    chunks, position = [], len(_PNG_SIGNATURE)
    while position + 8 <= len(data):
        (length,) = struct.unpack(">I", data[position : position + 4])
        kind = data[position + 4 : position + 8]
        end = position + 12 + length
        if kind != b"pHYs":
            chunks.append(data[position:end])
        if kind == b"IHDR":
            chunks.append(chunk)  # pHYs must come before the image data
        position = end
    return _PNG_SIGNATURE + b"".join(chunks)


def png_dpi(data: bytes) -> tuple[int, int] | None:
    """(width, height) in pixels per inch from a PNG's `pHYs` chunk, rounded; None without."""
    position = len(_PNG_SIGNATURE)
    while position + 8 <= len(data):
        (length,) = struct.unpack(">I", data[position : position + 4])
        if data[position + 4 : position + 8] == b"pHYs":
            x, y, unit = struct.unpack(">IIB", data[position + 8 : position + 17])
            return (round(x * 0.0254), round(y * 0.0254)) if unit == 1 else None
        position += 12 + length
    return None


def png_size(data: bytes) -> tuple[int, int]:
    """(width, height) in pixels, from the IHDR chunk."""
    width, height = struct.unpack(">II", data[16:24])
    return int(width), int(height)


@contextlib.contextmanager
def quiet_stderr() -> Iterator[list[str]]:
    """Collect what is written to file descriptor 2 inside the block (Chromium's own messages
    and tracebacks of its helper threads, which bypass `sys.stderr`) into the yielded list,
    instead of the user's terminal."""
    collected: list[str] = []
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as sink:
        os.dup2(sink.fileno(), 2)
        try:
            yield collected
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            sink.seek(0)
            text = sink.read().decode("utf-8", errors="replace").strip()
            if text:
                collected.append(text)
