"""The back office's view of third parties in warnings (qingfeng.loop.third_parties): one cache of
model layouts per app, and the masking the detail page and the API share."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import Request

from qingfeng.loop.third_parties import Layouts, mask_warning
from qingfeng.store.models import Warning


def layouts(request: Request) -> Layouts:
    """The app's layouts, read on first use (a model's lineage is traced once per version)."""
    state = request.app.state
    found = getattr(state, "personal_layouts", None)
    if found is None:
        found = state.personal_layouts = Layouts(state.settings.models_dir)
    return found


@dataclass(frozen=True)
class Shown:
    explanation: str
    evidence: Any
    third_parties: int


def third_parties_masked(request: Request, warning: Warning, *, keep_subject: bool) -> Shown:
    """Explanation and evidence with third parties masked; the subject's own name is kept for a
    reader who may see names (`keep_subject`), the rest follows the page's masking."""
    layout = layouts(request).get(warning.model_id)
    keep = (warning.subject_name,) if keep_subject else ()
    masked = mask_warning(warning.explanation, warning.evidence or {}, layout, keep=keep)
    return Shown(masked.explanation, masked.evidence, masked.third_parties)
