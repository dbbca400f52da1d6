"""Text contrast meets WCAG 2.1 AA (4.5:1) wherever the app puts text on colour: level chips,
status badges (plain and on a selected row), selected rows, progress bars, secondary text."""

from __future__ import annotations

import pytest

from ui.theme import (
    HINT_TEXT,
    LEVEL_COLORS,
    PROGRESS_CHUNK,
    PROGRESS_TEXT,
    PROGRESS_TRACK,
    SELECTION,
    STATUS_COLORS,
    UNASSESSED_MARK,
)

AA = 4.5


def _rgb(hex_colour: str) -> tuple[float, float, float]:
    h = hex_colour.lstrip("#")
    return int(h[0:2], 16) / 255, int(h[2:4], 16) / 255, int(h[4:6], 16) / 255


def _luminance(rgb: tuple[float, float, float]) -> float:
    def channel(c: float) -> float:
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def _over(colour: str, alpha: int, background: str) -> tuple[float, float, float]:
    """A translucent fill (alpha out of 255) composited over an opaque background."""
    a = alpha / 255
    return tuple(a * c + (1 - a) * b for c, b in zip(_rgb(colour), _rgb(background), strict=True))  # type: ignore[return-value]


def contrast(fg: tuple[float, float, float], bg: tuple[float, float, float]) -> float:
    high, low = sorted((_luminance(fg), _luminance(bg)), reverse=True)
    return (high + 0.05) / (low + 0.05)


@pytest.mark.parametrize("level", list(LEVEL_COLORS))
def test_level_chips(level: int | None) -> None:
    background, text = LEVEL_COLORS[level]
    assert contrast(_rgb(text), _rgb(background)) >= AA


@pytest.mark.parametrize("status", list(STATUS_COLORS))
def test_status_badges_plain_and_selected(status: str) -> None:
    colour = STATUS_COLORS[status]
    assert contrast(_rgb(colour), _over(colour, 28, "#ffffff")) >= AA        # the badge on a white row
    assert contrast(_rgb("#ffffff"), _over("#ffffff", 40, SELECTION)) >= AA  # on a selected row


def test_selected_rows_and_progress_bars() -> None:
    assert contrast(_rgb("#ffffff"), _rgb(SELECTION)) >= AA
    # The percentage is drawn across the filled and the empty part of the bar: both must read.
    assert contrast(_rgb(PROGRESS_TEXT), _rgb(PROGRESS_CHUNK)) >= AA
    assert contrast(_rgb(PROGRESS_TEXT), _rgb(PROGRESS_TRACK)) >= AA


def test_items_not_fully_assessed() -> None:
    assert contrast(_rgb(UNASSESSED_MARK.name()), _rgb("#ffffff")) >= AA
    assert contrast(_rgb(UNASSESSED_MARK.name()), _rgb("#f9fafb")) >= AA  # alternate rows


def test_secondary_text() -> None:
    assert contrast(_rgb(HINT_TEXT), _rgb("#fafafa")) >= AA
    assert contrast(_rgb(HINT_TEXT), _rgb("#ffffff")) >= AA


def test_the_check_can_fail() -> None:
    """The old grey of 'not assessed' on its chip (4.3:1) is what this file guards against."""
    assert contrast(_rgb("#6b7280"), _rgb("#f3f4f6")) < AA
