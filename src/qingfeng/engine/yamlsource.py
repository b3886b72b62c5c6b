"""Read YAML while keeping the line of every key and list item, so errors can name file and line.

PyYAML's composer gives every node a start mark; we build the plain Python value and, beside it,
a map from the path of each value (a tuple of keys and list indexes) to its line (1-based).
Duplicate keys, which PyYAML would silently overwrite, are reported as problems.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

Path_ = tuple[str | int, ...]


@dataclass
class YamlDocument:
    data: Any
    lines: dict[Path_, int] = field(default_factory=dict)
    duplicates: list[tuple[Path_, int]] = field(default_factory=list)
    # first line of the text of each scalar (a block scalar `|` starts on the next line)
    content_lines: dict[Path_, int] = field(default_factory=dict)

    def line_of(self, loc: tuple[Any, ...]) -> int | None:
        """The line of the longest prefix of `loc` that exists in the document."""
        path: list[str | int] = []
        best = self.lines.get((), None)
        for part in loc:
            if not isinstance(part, (str, int)):
                continue
            candidate = (*path, part)
            if candidate in self.lines:
                path.append(part)
                best = self.lines[candidate]
            # pydantic inserts union tags (e.g. 'SqlLogic') into locations: skip what is not there
        return best


class YamlSyntaxError(Exception):
    def __init__(self, message: str, line: int | None) -> None:
        super().__init__(message)
        self.line = line


def load_yaml(text: str) -> YamlDocument:
    """Parse one YAML document; raises YamlSyntaxError with the line of the fault."""
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return YamlDocument(data=None)
        doc = YamlDocument(data=None, lines={(): node.start_mark.line + 1})
        doc.data = _build(loader, node, (), doc)
        return doc
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        message = " ".join(p for p in (exc.context, exc.problem) if p)
        raise YamlSyntaxError(message or str(exc), line) from None
    except yaml.YAMLError as exc:
        raise YamlSyntaxError(str(exc), None) from None
    finally:
        loader.dispose()


def _build(loader: yaml.SafeLoader, node: yaml.Node, path: Path_, doc: YamlDocument) -> Any:
    if isinstance(node, yaml.MappingNode):
        loader.flatten_mapping(node)  # resolves merge keys (<<)
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            if not isinstance(key, (str, int)):
                key = str(key)
            child = (*path, key)
            line = key_node.start_mark.line + 1
            if key in out:
                doc.duplicates.append((child, line))
            doc.lines[child] = line
            out[key] = _build(loader, value_node, child, doc)
        return out
    if isinstance(node, yaml.SequenceNode):
        items = []
        for index, item in enumerate(node.value):
            child = (*path, index)
            doc.lines[child] = item.start_mark.line + 1
            items.append(_build(loader, item, child, doc))
        return items
    if isinstance(node, yaml.ScalarNode):
        doc.content_lines[path] = node.start_mark.line + 1 + (1 if node.style in ("|", ">") else 0)
    return loader.construct_object(node, deep=True)
