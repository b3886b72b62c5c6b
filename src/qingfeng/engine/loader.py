"""Find and load model files: the built-in library plus the workspace's own models/ folder.

Loading is two-phase (parse and validate every file, then check references by compiling), and every
problem in a file is reported at once with its file and line.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from pydantic import ValidationError

from qingfeng.engine.compiler import check_and_build
from qingfeng.engine.dataspec_port import Catalogue
from qingfeng.engine.errors import ModelNotFoundError, ModelSpecError, Problem
from qingfeng.engine.spec import ModelSpec
from qingfeng.engine.yamlsource import YamlDocument, YamlSyntaxError, load_yaml

MODEL_SUFFIXES = (".yaml", ".yml")


def library_dir() -> Path:
    return Path(str(resources.files("qingfeng") / "model_library" / "models"))


def _pydantic_problems(exc: ValidationError, doc: YamlDocument, file: str) -> list[Problem]:
    problems = []
    for err in exc.errors():
        loc = tuple(p for p in err["loc"] if isinstance(p, (str, int)))
        # pydantic names union members in loc (e.g. 'SqlLogic', 'function-after[...]'):
        # keep the parts that are real keys of the document
        kept: list[str | int] = []
        for part in loc:
            if (*kept, part) in doc.lines:
                kept.append(part)
        message = err["msg"]
        if err["type"] == "extra_forbidden":
            message = "unknown key (typo?)"
        elif err["type"] == "missing":
            message = f"missing required key {loc[-1]!r}" if loc else message
        elif isinstance(err.get("input"), (str, int, float)) and not message.endswith("]"):
            message = f"{message} (got {err['input']!r})"
        problems.append(
            Problem(message=message, loc=tuple(kept), file=file, line=doc.line_of(tuple(kept)))
        )
    return _dedupe(problems)


def _dedupe(problems: list[Problem]) -> list[Problem]:
    out: list[Problem] = []
    for p in problems:
        if p not in out:
            out.append(p)
    return out


def parse_model_text(
    text: str, file: str = "<model>", catalogue: Catalogue | None = None
) -> ModelSpec:
    """Parse, validate and check one model; raises ModelSpecError listing every problem."""
    try:
        doc = load_yaml(text)
    except YamlSyntaxError as exc:
        raise ModelSpecError(
            [Problem(message=f"YAML syntax error: {exc}", file=file, line=exc.line)], file
        ) from None
    problems = [
        Problem(message=f"duplicate key {path[-1]!r}", loc=path, file=file, line=line)
        for path, line in doc.duplicates
    ]
    if not isinstance(doc.data, dict):
        problems.append(Problem(message="a model file must be a YAML mapping", file=file, line=1))
        raise ModelSpecError(problems, file)
    try:
        spec = ModelSpec.model_validate(doc.data)
    except ValidationError as exc:
        problems += _pydantic_problems(exc, doc, file)
        raise ModelSpecError(problems, file) from None
    compiled, compile_problems = check_and_build(spec, catalogue=catalogue)
    if compiled is not None and catalogue is None:
        spec._compiled = compiled  # compiled once, on load
    for p in compile_problems:
        base = doc.line_of(p.loc)
        first = doc.content_lines.get(tuple(p.loc))
        line = first + p.line - 1 if (first is not None and p.line) else base
        problems.append(Problem(message=p.message, loc=p.loc, file=file, line=line))
    if problems:
        raise ModelSpecError(problems, file)
    return spec


def load_model_file(path: Path, catalogue: Catalogue | None = None) -> ModelSpec:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ModelSpecError(
            [Problem(message=f"cannot read: {exc}", file=str(path))], path
        ) from None
    spec = parse_model_text(text, str(path), catalogue)
    if path.stem != spec.id:
        raise ModelSpecError(
            [
                Problem(
                    message=f"file name must be the model id: {spec.id}.yaml",
                    loc=("id",),
                    file=str(path),
                    line=1,
                )
            ],
            path,
        )
    return spec


@dataclass
class ModelSet:
    """The models available to a workspace, and the files that failed to load."""

    models: dict[str, ModelSpec] = field(default_factory=dict)
    sources: dict[str, Path] = field(default_factory=dict)
    errors: list[ModelSpecError] = field(default_factory=list)

    def get(self, model_id: str) -> ModelSpec:
        if model_id not in self.models:
            raise ModelNotFoundError(model_id)
        return self.models[model_id]

    def select(self, ids: list[str] | None = None, field: str | None = None) -> list[ModelSpec]:
        if ids:
            missing = [i for i in ids if i not in self.models]
            if missing:
                raise ModelNotFoundError(", ".join(missing))
            chosen = [self.models[i] for i in ids]
        else:
            chosen = sorted(self.models.values(), key=lambda s: s.id)
        if field:
            chosen = [s for s in chosen if s.field == field]
        return chosen


def model_files(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.suffix in MODEL_SUFFIXES and p.is_file())


def load_models(
    workspace_models: Path | None = None, catalogue: Catalogue | None = None
) -> ModelSet:
    """Built-in library first, then the workspace's models/ (a workspace model with the same id
    replaces the built-in one: a region may tune a shared model)."""
    out = ModelSet()
    folders = [library_dir()]
    if workspace_models is not None:
        folders.append(Path(workspace_models))
    for folder in folders:
        for path in model_files(folder):
            try:
                spec = load_model_file(path, catalogue)
            except ModelSpecError as exc:
                out.errors.append(exc)
                continue
            out.models[spec.id] = spec
            out.sources[spec.id] = path
    return out
