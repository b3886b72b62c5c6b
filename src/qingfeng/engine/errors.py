"""Errors of the model engine. A model file's problems are collected, then raised together."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Problem:
    """One mistake in a model: where it is (path inside the spec, file, line) and what is wrong."""

    message: str
    loc: tuple[Any, ...] = ()
    file: str | None = None
    line: int | None = None

    def __str__(self) -> str:
        where = self.file or "<model>"
        if self.line is not None:
            where = f"{where}:{self.line}"
        path = ".".join(str(p) for p in self.loc)
        return f"{where}: {path + ': ' if path else ''}{self.message}"


class ModelSpecError(Exception):
    """A model spec is invalid; `problems` lists every mistake found, not just the first."""

    def __init__(self, problems: list[Problem], source: str | Path | None = None) -> None:
        self.problems = problems
        self.source = str(source) if source is not None else None
        head = f"模型文件有 {len(problems)} 处错误 / {len(problems)} problem(s) in model"
        if self.source:
            head += f" {self.source}"
        super().__init__(head + ":\n" + "\n".join(f"  - {p}" for p in problems))


class ModelNotFoundError(KeyError):
    def __str__(self) -> str:
        return f"没有此模型 / no such model: {self.args[0]}"


class EngineError(Exception):
    """A compiled model failed on an engine; carries the SQL that failed."""

    def __init__(self, message: str, sql: str | None = None) -> None:
        super().__init__(message)
        self.sql = sql
