"""Training drills (数据分析大比武): hand out a county without its truth, score findings against it.

`new_drill` writes the department files and a `drill.json` (period, size, the models to hunt, the
findings format and the SHA-256 of the truth) into the trainee's folder; the truth file goes to a
separate path that only the trainer keeps. The seed is drawn at random unless given, so the county
cannot be regenerated from what the trainee receives.

`score` compares a findings CSV (columns model, subject_id, period) with the truth: per model the
true positives, false positives (and how many of them were planted decoys), missed cases,
precision and recall.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
import re
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from qingfeng.synth.generate import Progress, SynthError, SynthResult, generate
from qingfeng.synth.truth import Truth

DRILL_FILE = "drill.json"
FINDINGS_COLUMNS = ("model", "subject_id", "period")
_FULLWIDTH = str.maketrans("０１２３４５６７８９Ｘｘ", "0123456789XX")
# a month (YYYY-MM) or, for models that warn per day, a day (YYYY-MM-DD)
_PERIOD = re.compile(r"^(\d{4})-?(\d{1,2})(?:-(\d{1,2}))?$")


class DrillError(ValueError):
    """A malformed findings file or a truth file that does not belong to the drill."""


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def new_drill(
    out_dir: Path,
    truth_path: Path,
    persons: int,
    start: dt.date,
    end: dt.date,
    seed: int | None = None,
    progress: Progress | None = None,
) -> SynthResult:
    """Write a drill county to out_dir and its truth to truth_path (outside out_dir)."""
    out_dir, truth_path = Path(out_dir).resolve(), Path(truth_path).resolve()
    if truth_path.is_relative_to(out_dir):
        raise SynthError(
            f"真值文件不能放在下发目录内 / the truth file must not be inside {out_dir}"
        )
    if truth_path.exists():
        raise SynthError(f"{truth_path} 已存在，不覆盖 / already exists; refusing to overwrite")
    if seed is None:
        seed = secrets.randbelow(2**31)
    result = generate(out_dir, persons, seed, start, end, write_truth=False, progress=progress)
    truth_path.parent.mkdir(parents=True, exist_ok=True)
    result.truth.write(truth_path)
    result.truth_path = truth_path
    models = sorted({p.model for p in result.truth.planted})
    manifest = {
        "county": result.truth.county,
        "persons": persons,
        "start": start.isoformat(),
        "end": end.isoformat(),
        "models": models,
        "findings_format": {
            "columns": list(FINDINGS_COLUMNS),
            "period": "YYYY-MM",
            "subject_id": "18位身份证号 / 18-character ID, or the model's subject (credit code, "
            "tender number, account, voucher, complaint number...)",
        },
        "truth_sha256": sha256(truth_path),
    }
    (out_dir / DRILL_FILE).write_text(
        json.dumps(manifest, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
    )
    return result


@dataclass
class ModelScore:
    model: str
    cases: int
    found: int = 0  # true positives
    false_positives: int = 0
    decoys_flagged: int = 0  # false positives that were planted decoys
    missed: list[tuple[str, str]] = field(default_factory=list)

    @property
    def precision(self) -> float | None:
        flagged = self.found + self.false_positives
        return self.found / flagged if flagged else None

    @property
    def recall(self) -> float | None:
        return self.found / self.cases if self.cases else None


@dataclass
class DrillScore:
    models: list[ModelScore]
    unknown_models: dict[str, int]
    findings: int

    def to_dict(self) -> dict[str, object]:
        return {
            "findings": self.findings,
            "unknown_models": self.unknown_models,
            "models": [
                {
                    "model": m.model,
                    "cases": m.cases,
                    "found": m.found,
                    "false_positives": m.false_positives,
                    "decoys_flagged": m.decoys_flagged,
                    "precision": m.precision,
                    "recall": m.recall,
                }
                for m in self.models
            ],
        }


def _norm_subject(raw: str) -> str:
    s = raw.strip().translate(_FULLWIDTH)
    if re.fullmatch(r"\d{17}[\dXx]", s):
        return s.upper()
    if re.fullmatch(r"\d{15}", s):
        from stdnum.cn import ric

        body = s[:6] + "19" + s[6:]
        return body + ric.calc_check_digit(body + "X")
    return s


def _is_period(m: re.Match[str]) -> bool:
    year, month, day = int(m.group(1)), int(m.group(2)), m.group(3)
    if not 1 <= month <= 12:
        return False
    if day is None:
        return True
    try:
        dt.date(year, month, int(day))
    except ValueError:
        return False
    return True


def read_findings(path: Path) -> set[tuple[str, str, str]]:
    """(model, subject, period) triples; a clear error names the row at fault."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise DrillError(f"{path}: 无法读取 / cannot read ({exc})") from None
    reader = csv.DictReader(text.splitlines())
    header = [h.strip() for h in (reader.fieldnames or [])]
    missing = [c for c in FINDINGS_COLUMNS if c not in header]
    if missing:
        raise DrillError(
            f"{path}: 缺少列 / missing column(s) {', '.join(missing)}; need {FINDINGS_COLUMNS}"
        )
    out: set[tuple[str, str, str]] = set()
    for line, row in enumerate(reader, start=2):
        row = {(k or "").strip(): (v or "").strip() for k, v in row.items()}
        model, subject, period = (row.get(c, "") for c in FINDINGS_COLUMNS)
        if not model or not subject:
            raise DrillError(
                f"{path}: 第 {line} 行缺少 model 或 subject_id / "
                f"row {line}: empty model or subject_id"
            )
        m = _PERIOD.match(period)
        if not m or not _is_period(m):
            raise DrillError(
                f"{path}: 第 {line} 行期间应为 YYYY-MM 或 YYYY-MM-DD / "
                f"row {line}: period {period!r} is not YYYY-MM or YYYY-MM-DD"
            )
        month = f"{m.group(1)}-{int(m.group(2)):02d}"
        out.add(
            (
                model,
                _norm_subject(subject),
                f"{month}-{int(m.group(3)):02d}" if m.group(3) else month,
            )
        )
    return out


def score(findings_path: Path, truth: Truth) -> DrillScore:
    findings = read_findings(findings_path)
    cases: dict[str, set[tuple[str, str]]] = {}
    decoys: dict[str, set[tuple[str, str]]] = {}
    for p in truth.planted:
        target = cases if p.kind == "case" else decoys
        target.setdefault(p.model, set()).add((p.subject_id, p.period))
    models = sorted(set(cases) | set(decoys))
    unknown: dict[str, int] = {}
    scores = {m: ModelScore(m, len(cases.get(m, set()))) for m in models}
    for model, subject, period in findings:
        if model not in scores:
            unknown[model] = unknown.get(model, 0) + 1
            continue
        s = scores[model]
        if (subject, period) in cases.get(model, set()):
            s.found += 1
        else:
            s.false_positives += 1
            s.decoys_flagged += (subject, period) in decoys.get(model, set())
    for m in models:
        hits = {(s, p) for mm, s, p in findings if mm == m}
        scores[m].missed = sorted(cases.get(m, set()) - hits)
    return DrillScore([scores[m] for m in models], unknown, len(findings))
