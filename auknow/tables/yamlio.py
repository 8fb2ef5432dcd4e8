"""YAML reading that remembers where every key is, so that errors name the line.

PyYAML's composer gives each node its start line; :func:`load_with_lines` walks the node tree
beside the constructed data and records ``key path -> line`` (1-based), and reports keys that a
mapping repeats (PyYAML would silently keep the last one).

YAML anchors and aliases (``&a`` / ``*a``) are allowed but bounded: a recursive alias, nesting
deeper than :data:`MAX_DEPTH` or more than :data:`MAX_NODES` nodes once aliases are expanded (a
"billion laughs" file) is refused as one problem, before anything is built, in milliseconds.
"""

from __future__ import annotations

import re

import yaml

from ..errors import Problem

PathKey = tuple  # ("expressions", "surprise", 0, "required")

#: Deepest nesting of mappings / sequences a table may have (the format needs fewer than 10).
MAX_DEPTH = 64
#: Most nodes a table may expand to, aliases counted at every use (bundled tables: < 10,000).
MAX_NODES = 200_000


class _TooLarge(Exception):
    """The node tree is recursive, too deep or too large (message says which, line where)."""

    def __init__(self, message: str, line: int):
        super().__init__(message)
        self.line = line


class TableLoader(yaml.SafeLoader):
    """SafeLoader whose integers are decimal only.

    YAML 1.1 reads ``012`` as the octal number 10 (and ``1:30`` as sexagesimal 90), which would
    silently turn a zero-padded AU such as ``012`` into AU10; here such scalars stay strings and
    are parsed as AU codes.

    >>> yaml.load("au: 012\\nt: 1:30\\nn: 12\\n", Loader=TableLoader), yaml.safe_load("au: 012\\nt: 1:30\\n")
    ({'au': '012', 't': '1:30', 'n': 12}, {'au': 10, 't': 90})
    """


TableLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:int"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
TableLoader.add_implicit_resolver("tag:yaml.org,2002:int", re.compile(r"^(?:[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+)$"),
                                  list("-+0123456789"))


def format_path(path: PathKey) -> str:
    """``("expressions", "surprise", 0, "required") -> "expressions.surprise[0].required"``.

    >>> format_path(("expressions", "surprise", 0, "required")), format_path(()) == ""
    ('expressions.surprise[0].required', True)
    """
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


class LineMap:
    """Key path -> 1-based line of the YAML node, with lookup falling back to the nearest parent.

    A missing key is reported at the line of the nearest key that exists (its mapping), so a
    message about an absent ``optional`` names the configuration's line.

    >>> _, lines, _ = load_with_lines("expressions:\\n  happiness:\\n  - required: 6+12\\n", "t.yaml")
    >>> config = ("expressions", "happiness", 0)
    >>> lines.line(config + ("required",)), lines.line(config + ("optional",))
    (3, 3)
    >>> lines.line(("expressions", "happiness")), lines.line(("weights",))
    (2, 1)
    """

    def __init__(self) -> None:
        self.lines: dict[PathKey, int] = {(): 1}

    def line(self, path: PathKey) -> int:
        path = tuple(path)
        while path not in self.lines:
            path = path[:-1]
        return self.lines[path]


class _Budget:
    """Counts expanded nodes and tracks the nodes on the current path (to catch a cycle)."""

    def __init__(self) -> None:
        self.nodes = 0
        self.stack: set[int] = set()

    def enter(self, node: yaml.Node, depth: int) -> None:
        line = node.start_mark.line + 1
        if id(node) in self.stack:
            raise _TooLarge("recursive YAML alias (an anchor used inside itself); write the value out", line)
        if depth > MAX_DEPTH:
            raise _TooLarge(f"nested deeper than {MAX_DEPTH} levels; a knowledge table needs fewer than 10", line)
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise _TooLarge(f"expands to more than {MAX_NODES:,} YAML nodes (aliases counted at every use); "
                            "refused as too large for a knowledge table", line)


def _flow_depth(text: str) -> int:
    """Deepest run of unclosed ``[`` / ``{`` (a cheap bound on flow nesting: PyYAML's scanner
    takes quadratic time on thousands of them, before any node exists)."""
    depth = deepest = 0
    for m in re.finditer(r"[\[\]{}]", text):
        depth = depth + 1 if m.group() in "[{" else max(depth - 1, 0)
        deepest = max(deepest, depth)
    return deepest


def _check_size(root: yaml.Node) -> None:
    """Refuse a recursive, too deep or too large node graph in time linear in its *distinct*
    nodes (sizes of shared alias targets are memoised), before anything is expanded."""
    sizes: dict[int, int] = {}
    on_path: set[int] = set()

    def size(node: yaml.Node, depth: int) -> int:
        key = id(node)
        if key in sizes:
            return sizes[key]
        line = node.start_mark.line + 1
        if key in on_path:
            raise _TooLarge("recursive YAML alias (an anchor used inside itself); write the value out", line)
        if depth > MAX_DEPTH:
            raise _TooLarge(f"nested deeper than {MAX_DEPTH} levels; a knowledge table needs fewer than 10", line)
        total = 1
        if isinstance(node, (yaml.MappingNode, yaml.SequenceNode)):
            on_path.add(key)
            children = [c for kv in node.value for c in kv] if isinstance(node, yaml.MappingNode) else node.value
            for child in children:
                total += size(child, depth + 1)
                if total > MAX_NODES:
                    raise _TooLarge(f"expands to more than {MAX_NODES:,} YAML nodes (aliases counted at every "
                                    "use); refused as too large for a knowledge table", line)
            on_path.discard(key)
        sizes[key] = total
        return total

    size(root, 0)


def _walk(node: yaml.Node, path: PathKey, lines: LineMap, problems: list[Problem], file: str,
          budget: _Budget | None = None) -> None:
    budget = budget or _Budget()
    budget.enter(node, len(path))
    lines.lines[path] = node.start_mark.line + 1
    if not isinstance(node, (yaml.MappingNode, yaml.SequenceNode)):
        return
    budget.stack.add(id(node))
    try:
        _walk_children(node, path, lines, problems, file, budget)
    finally:
        budget.stack.discard(id(node))


def _walk_children(node, path: PathKey, lines: LineMap, problems: list[Problem], file: str, budget: _Budget) -> None:
    if isinstance(node, yaml.MappingNode):
        seen: dict[tuple[str, str], int] = {}
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else str(key_node)
            line = key_node.start_mark.line + 1
            ident = (key_node.tag, key)  # 1: and '1': are different keys
            if ident in seen:
                problems.append(Problem(f"key '{key}' appears twice (first on line {seen[ident]})",
                                        file=file, line=line, path=format_path(path + (key,))))
            seen[ident] = line
            # Keys are recorded as their string form; parsers look them up the same way.
            if isinstance(key_node, (yaml.MappingNode, yaml.SequenceNode)):
                budget.enter(key_node, len(path) + 1)  # a complex key: bounded too
            _walk(value_node, path + (key,), lines, problems, file, budget)
            lines.lines[path + (key,)] = line
    else:
        for i, item in enumerate(node.value):
            _walk(item, path + (i,), lines, problems, file, budget)


def load_with_lines(text: str, file: str) -> tuple[object, LineMap, list[Problem]]:
    """Parse YAML text, returning ``(data, line_map, problems)``.

    Syntax errors come back as one problem with the line PyYAML reports (data is ``None``);
    repeated keys come back as problems beside the data. A recursive alias, nesting deeper than
    :data:`MAX_DEPTH` or more than :data:`MAX_NODES` expanded nodes is one problem (data ``None``).

    >>> data, lines, problems = load_with_lines("a: &x [1, 2]\\nb: *x\\n", "t.yaml")
    >>> data, lines.line(("b",)), problems
    ({'a': [1, 2], 'b': [1, 2]}, 2, [])
    >>> load_with_lines("a: &a [*a]\\n", "t.yaml")[2]
    [Problem('t.yaml:1: recursive YAML alias (an anchor used inside itself); write the value out')]
    """
    lines = LineMap()
    problems: list[Problem] = []
    if ("[" in text or "{" in text) and _flow_depth(text) > MAX_DEPTH:
        return None, lines, [Problem(f"nested deeper than {MAX_DEPTH} levels of [ ] / {{ }}; a knowledge table "
                                     "needs fewer than 10", file=file)]
    try:
        loader = TableLoader(text)
        try:
            node = loader.get_single_node()
            if node is None:
                return None, lines, problems
            try:
                _check_size(node)
                _walk(node, (), lines, problems, file)
            except _TooLarge as exc:
                return None, LineMap(), [Problem(str(exc), file=file, line=exc.line)]
            data = loader.construct_document(node)
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        what = exc.problem or exc.context or "invalid YAML"
        return None, lines, [Problem(f"YAML syntax error: {what}", file=file, line=line)]
    except yaml.YAMLError as exc:  # e.g. a reader error on a control character
        return None, lines, [Problem(f"YAML syntax error: {exc}", file=file)]
    except RecursionError:  # PyYAML's composer recurses per level: thousands of '[' end here
        return None, LineMap(), [Problem(f"nested deeper than {MAX_DEPTH} levels; a knowledge table "
                                         "needs fewer than 10", file=file)]
    return data, lines, problems
