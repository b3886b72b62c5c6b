"""Renderings of the same synthetic county as other systems would export it.

`qingfeng synth --style NAME` writes the same people, planted cases and decoys (the same
`truth.json` planted list) through a style: other headers, code values, date formats, layouts.
The truth records, per file, which standard dataset(s) it carries and which standard field each
header carries, so that recognition can be measured (`qingfeng drill styles`). Styles marked
`held_out` exist only to measure: their wordings appear nowhere in the catalogue or the ingest
(tests/test_synth_styles.py checks it).
"""

from __future__ import annotations

from qingfeng.synth.styles import bureau, dbcodes, legacy, standard
from qingfeng.synth.styles.model import (
    FileStyle,
    Merge,
    Style,
    StyledFile,
    StyleError,
    build,
    restyle,
)

STYLES: dict[str, Style] = {
    s.name: s for s in (standard.STYLE, dbcodes.STYLE, bureau.STYLE, legacy.STYLE)
}
HELD_OUT: tuple[str, ...] = tuple(name for name, s in STYLES.items() if s.held_out)


def get_style(name: str) -> Style:
    """The style of that name; KeyError with a message listing the styles."""
    try:
        return STYLES[name]
    except KeyError:
        raise KeyError(
            f"未知样式 / unknown style {name!r}; 可用 / available: {', '.join(STYLES)}"
        ) from None


__all__ = [
    "HELD_OUT",
    "STYLES",
    "FileStyle",
    "Merge",
    "Style",
    "StyleError",
    "StyledFile",
    "build",
    "get_style",
    "restyle",
]
