#!/usr/bin/env python3
"""Checks that the engine's modules layer bottom-up: no import circle between them.

Reads every `crate::...` and `super::...` path in engine/src (comments, strings and
`#[cfg(test)]` code left out: tests may look at any layer), builds the graph of which
top-level module uses which, and prints the modules layer by layer (a module only uses
modules on lower layers). Exits 1 and prints the circle if there is one.

A second pass works file by file (`saga::message` is its own node) and reports any circle
that crosses top-level modules there; it explains an edge that looks upward at the
top level but only reaches a leaf file.

One known upward edge is allowed (KNOWN_UPWARD): `log::Payload` carries the saga's
messages, defined in leaf files that use only `ids`. It is left out of the top-level graph
(and named in the output); any other circle fails.

Usage: scripts/module_layers.py [engine/src] [--with-tests]
"""
import os
import re
import sys

args = [a for a in sys.argv[1:] if not a.startswith("--")]
with_tests = "--with-tests" in sys.argv
root = args[0] if args else os.path.join(os.path.dirname(__file__), "..", "engine", "src")

# (file, file) edges that point up on purpose; see ARCHITECTURE.md, "Layers". Why allowed:
# the saga's vocabulary has not moved below `log` yet, and file by file there is no circle
# (the second pass below still checks every edge, these included).
KNOWN_UPWARD = {
    (("log",), ("saga", "message")),
    (("log",), ("saga", "retry")),
}


def strip(src):
    """Source without comments, string and char literals."""
    src = re.sub(r"/\*.*?\*/", " ", src, flags=re.S)
    src = re.sub(r'r#*"(?:.|\n)*?"#*', '""', src)
    src = re.sub(r'"(\\.|[^"\\])*"', '""', src)
    src = re.sub(r"'(\\.|[^'\\])'", "''", src)
    return "\n".join(line.split("//")[0] for line in src.split("\n"))


def without_test_blocks(src):
    """Drops `#[cfg(test)]` items: a braced block, or up to the next `;`."""
    out, i = [], 0
    for m in re.finditer(r"#\[cfg\(test\)\]", src):
        if m.start() < i:
            continue
        out.append(src[i : m.start()])
        j = m.end()
        while j < len(src) and src[j] not in "{;":
            j += 1
        if j < len(src) and src[j] == "{":
            depth = 0
            while j < len(src):
                depth += {"{": 1, "}": -1}.get(src[j], 0)
                j += 1
                if depth == 0:
                    break
        else:
            j += 1
        i = j
    return "".join(out) + src[i:]


def module_of(path):
    rel = os.path.relpath(path, root)[: -len(".rs")].split(os.sep)
    if rel[-1] in ("mod", "lib"):
        rel = rel[:-1]
    return tuple(rel)


files = {}
for dirpath, _, names in os.walk(root):
    for name in names:
        if name.endswith(".rs"):
            path = os.path.join(dirpath, name)
            files[module_of(path)] = strip(open(path, encoding="utf-8").read())

# Files only compiled for tests: declared as `#[cfg(test)] mod x;` by their parent.
test_only = set()
for module, src in files.items():
    for m in re.finditer(r"#\[cfg\(test\)\]\s*(?:pub(?:\([^)]*\))?\s+)?mod\s+(\w+)\s*;", src):
        test_only.add(module + (m.group(1),))
for module in list(files):
    if any(module[: len(t)] == t for t in test_only) and not with_tests:
        del files[module]
if not with_tests:
    files = {m: without_test_blocks(s) for m, s in files.items()}


def targets(module, src):
    """Modules a file refers to, resolved to the longest existing module path."""
    found = set()
    # Expand `use crate::{a::X, b}` and `use super::{..}` groups one level deep.
    for m in re.finditer(r"\b(crate|super(?:::super)*)::\{([^{}]*)\}", src):
        for part in m.group(2).split(","):
            part = part.strip()
            if part:
                found.add(resolve(module, m.group(1) + "::" + part))
    for m in re.finditer(r"\b(crate|super(?:::super)*)((?:::\w+)+)", src):
        found.add(resolve(module, m.group(1) + m.group(2)))
    found.discard(None)
    return found


def resolve(module, path):
    parts = [p.strip() for p in path.split("::")]
    if parts[0] == "crate":
        base, rest = (), parts[1:]
    else:
        base = module
        while parts and parts[0] == "super":
            base, parts = base[:-1], parts[1:]
        rest = parts
    rest = [p for p in rest if re.fullmatch(r"\w+", p) and p != "self"]
    best = None
    for n in range(len(rest) + 1):
        if base + tuple(rest[:n]) in files:
            best = base + tuple(rest[:n])
    return best


edges = {m: {t for t in targets(m, s) if t != m} for m, s in files.items()}


def sccs(graph):
    """Tarjan's strongly connected components."""
    index, low, stack, on, out, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            out.append(sorted(comp))

    sys.setrecursionlimit(10000)
    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


name = lambda m: "::".join(m) or "crate"
top = {}
for m, ts in edges.items():
    if not m:
        continue
    top.setdefault(m[0], set())
    for t in ts:
        if t and t[0] != m[0] and (m, t) not in KNOWN_UPWARD:
            top[m[0]].add(t[0])

status = 0
upward = set()
for c in (c for c in sccs(top) if len(c) > 1):
    status = 1
    inside = {m: top[m] & set(c) for m in c}
    # The edges whose removal alone breaks every circle here: the ones pointing upward.
    closing = [
        (a, b)
        for a in c
        for b in sorted(inside[a])
        if all(
            len(k) == 1
            for k in sccs({m: t - ({b} if m == a else set()) for m, t in inside.items()})
        )
    ]
    print("circle between top-level modules: " + ", ".join(c))
    for a, b in closing or [(a, b) for a in c for b in sorted(inside[a])]:
        upward.add((a, b))
        uses = sorted(
            f"{name(m)} -> {name(t)}"
            for m, ts in edges.items()
            for t in ts
            if m and t and m[0] == a and t[0] == b
        )
        print(f"  closed by {a} -> {b}: " + ", ".join(uses))

known = sorted(f"{name(m)} -> {name(t)}" for m, t in KNOWN_UPWARD if t in edges.get(m, ()))
if known:
    print("known upward edges (left out of the layers): " + ", ".join(known))

file_circles = [c for c in sccs(edges) if len({m[0] for m in c if m}) > 1]
for c in file_circles:
    status = 1
    print("circle between files: " + " <-> ".join(name(m) for m in c))
if upward and not file_circles:
    print("file by file there is no circle: the edges above reach leaf files only")

layer = {}
acyclic = {m: {t for t in ts if (m, t) not in upward} for m, ts in top.items()}


def depth(m, seen=()):
    if m not in layer:
        below = [depth(t, seen + (m,)) for t in acyclic[m] if t not in seen]
        layer[m] = 1 + max(below, default=-1)
    return layer[m]


for m in top:
    depth(m)
print("layers (a module uses only modules on lower layers" + (", but for the edges above):" if upward else "):"))
for n in range(max(layer.values()) + 1):
    print(f"  {n}: " + ", ".join(sorted(m for m in layer if layer[m] == n)))
sys.exit(status)
