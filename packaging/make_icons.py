"""Render the application icon from its SVG: PNGs for Linux and a multi-size .ico for Windows.

    python packaging/make_icons.py

Reads `resources/icons/inspector.svg` and writes, next to it, `inspector-<N>.png` for each size
below and `inspector.ico` (every size in one file). Qt's SVG renderer rasterises each size from
the vector source (crisper than scaling one bitmap down); Pillow writes the files, without
timestamps, so running the script again gives the same bytes. The outputs are committed: a build
never needs to run this.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from PIL import Image

ICONS = Path(__file__).resolve().parent.parent / "resources" / "icons"
SVG = ICONS / "inspector.svg"
PNG_SIZES = (16, 24, 32, 48, 64, 128, 256)
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)


def render(size: int) -> Image.Image:
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    renderer = QSvgRenderer(str(SVG))
    if not renderer.isValid():
        raise SystemExit(f"cannot read {SVG}")
    image = QImage(size, size, QImage.Format.Format_RGBA8888)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter)
    painter.end()
    return Image.frombytes("RGBA", (size, size), bytes(image.constBits()), "raw", "RGBA", image.bytesPerLine())


def main() -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtGui import QGuiApplication

    app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])  # noqa: F841 (needed by QPainter)
    images = {size: render(size) for size in sorted(set(PNG_SIZES) | set(ICO_SIZES))}
    for size in PNG_SIZES:
        path = ICONS / f"inspector-{size}.png"
        images[size].save(path, optimize=True)
        print(f"wrote {path.relative_to(ICONS.parent.parent)}")
    largest = images[max(ICO_SIZES)]
    ico = ICONS / "inspector.ico"
    largest.save(ico, sizes=[(s, s) for s in ICO_SIZES], append_images=[images[s] for s in ICO_SIZES])
    print(f"wrote {ico.relative_to(ICONS.parent.parent)} ({', '.join(map(str, ICO_SIZES))} px)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
