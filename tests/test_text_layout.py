"""Text broken into lines that fit, measured with the bundled font."""

from __future__ import annotations

import pytest

from clipstitch.media.text_layout import line_metrics, text_width, wrap

SENTENCE = "Summer sale starts this Friday in all of our stores nationwide"


@pytest.mark.parametrize("width", [200, 300, 700])  # wider than any word
def test_lines_fit_and_keep_every_word_in_order(width: int) -> None:
    lines = wrap(SENTENCE, 32, width)
    assert all(text_width(line, 32) <= width for line in lines)
    assert " ".join(lines).split() == SENTENCE.split()
    assert len(lines) > 1 or text_width(SENTENCE, 32) <= width


def test_short_text_stays_one_line() -> None:
    assert wrap("HELLO", 48, 320) == ["HELLO"]


def test_written_line_breaks_are_kept() -> None:
    assert wrap("Top line\n\nafter a gap", 24, 1000) == ["Top line", "", "after a gap"]


def test_a_word_wider_than_the_line_is_broken_between_letters() -> None:
    word = "Supercalifragilisticexpialidocious"
    lines = wrap(word, 48, 200)
    assert "".join(lines) == word
    assert len(lines) > 1 and all(text_width(line, 48) <= 200 for line in lines)


def test_lines_are_spaced_by_the_font() -> None:
    metrics = line_metrics(72)
    assert 0 < metrics.ascent < metrics.height
    assert 1.0 < metrics.height / 72 < 1.4
