#!/usr/bin/env python3
"""What a wasm file's code is made of, from its name section: the biggest functions, and the
biggest functions after merging the instances of one generic (same demangled name).

    python3 scripts/wasm_sizes.py FILE.wasm [TOP]

Read cargo's output (target/wasm32-unknown-unknown/web/orderflow.wasm, the page's profile),
which still has its names: sizes are before wasm-bindgen and wasm-opt, which shrink the total
by about a fifth. check.sh prints this beside the release size when twiggy is not installed.
"""
import collections
import re
import sys

ESCAPES = {
    "$LT$": "<", "$GT$": ">", "$u20$": " ", "$C$": ",", "$RF$": "&", "$BP$": "*",
    "$LP$": "(", "$RP$": ")", "$u7b$": "{", "$u7d$": "}", "$u5b$": "[", "$u5d$": "]",
    "$u2b$": "+", "$u3b$": ";", "$u27$": "'", "$u22$": '"', "$SP$": "@", "$u21$": "!",
    "$u3d$": "=", "$u2d$": "-",
}


def leb(data, i):
    """An unsigned LEB128 at i: (value, next index)."""
    value = shift = 0
    while True:
        byte = data[i]
        i += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            return value, i


def demangle(name):
    """Rust's legacy mangling (_ZN...E) made readable; other names unchanged."""
    if not name.startswith("_ZN"):
        return name
    i, parts = 3, []
    while i < len(name) and name[i] != "E":
        m = re.match(r"\d+", name[i:])
        if not m:
            break
        n = int(m.group())
        i += len(m.group())
        parts.append(name[i : i + n])
        i += n
    if parts and re.fullmatch(r"h[0-9a-f]{16}", parts[-1]):
        parts = parts[:-1]
    text = "::".join(parts)
    for k, v in ESCAPES.items():
        text = text.replace(k, v)
    return text.replace("..", "::").lstrip("_")


def skip_limits(data, p):
    flags = data[p]
    _, p = leb(data, p + 1)
    return leb(data, p)[1] if flags & 1 else p


def functions(data):
    """(code bytes, name) of every function body."""
    pos, imported, bodies, names = 8, 0, [], {}
    while pos < len(data):
        section = data[pos]
        size, pos = leb(data, pos + 1)
        end = pos + size
        if section == 2:  # imports: function indices start after the imported functions
            count, p = leb(data, pos)
            for _ in range(count):
                for _ in range(2):
                    n, p = leb(data, p)
                    p += n
                kind = data[p]
                p += 1
                if kind == 0:
                    _, p = leb(data, p)
                    imported += 1
                elif kind == 1:
                    p = skip_limits(data, p + 1)
                elif kind == 2:
                    p = skip_limits(data, p)
                elif kind == 3:
                    p += 2
                elif kind == 4:
                    _, p = leb(data, p + 1)
        elif section == 10:
            count, p = leb(data, pos)
            for i in range(count):
                n, q = leb(data, p)
                bodies.append((imported + i, q - p + n))
                p = q + n
        elif section == 0:
            n, p = leb(data, pos)
            if data[p : p + n] == b"name":
                p += n
                while p < end:
                    sub = data[p]
                    sub_size, p = leb(data, p + 1)
                    sub_end = p + sub_size
                    if sub == 1:
                        count, p = leb(data, p)
                        for _ in range(count):
                            index, p = leb(data, p)
                            n, p = leb(data, p)
                            names[index] = data[p : p + n].decode("utf-8", "replace")
                            p += n
                    p = sub_end
        pos = end
    return [(size, demangle(names.get(i, f"func[{i}]"))) for i, size in bodies]


def main():
    data = open(sys.argv[1], "rb").read()
    top = int(sys.argv[2]) if len(sys.argv) > 2 else 20
    funcs = functions(data)
    print(f"code: {sum(s for s, _ in funcs):,} bytes in {len(funcs):,} functions")
    print(f"\nbiggest functions:")
    for size, name in sorted(funcs, reverse=True)[:top]:
        print(f"{size:9,d}  {name[:150]}")
    merged, count = collections.Counter(), collections.Counter()
    for size, name in funcs:
        merged[name] += size
        count[name] += 1
    print(f"\nbiggest after merging the instances of a generic (instances):")
    for name, size in merged.most_common(top):
        print(f"{size:9,d}  ({count[name]:3d})  {name[:140]}")


if __name__ == "__main__":
    main()
