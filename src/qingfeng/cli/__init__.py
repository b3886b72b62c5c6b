"""The `qingfeng` command. Each station adds its sub-commands from its own module here."""

from __future__ import annotations

from qingfeng.cli.app import app


def main() -> None:
    app()


__all__ = ["app", "main"]
