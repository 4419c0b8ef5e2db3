#!/usr/bin/env python3
"""The crate graph in docs/contracts.md, written from Cargo.toml (`cargo metadata`) so that it
cannot drift: one line per workspace crate, the crates that use others first, each with the
workspace crates it depends on (normal dependencies; dev and build ones are not arrows).

Usage: scripts/crate-graph.py           rewrite the block between the markers
       scripts/crate-graph.py --check   exit 1 (and show both) when the block is stale
"""

import json
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "contracts.md"
BEGIN = "<!-- crate-graph: written by scripts/crate-graph.py from Cargo.toml; CI fails when stale -->"
END = "<!-- /crate-graph -->"


def graph():
    meta = json.loads(
        subprocess.run(
            ["cargo", "metadata", "--format-version", "1", "--no-deps", "--offline"],
            cwd=ROOT,
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    )
    names = {p["name"] for p in meta["packages"]}
    deps = {
        p["name"]: sorted(
            {d["name"] for d in p["dependencies"] if d["name"] in names and d["kind"] is None}
        )
        for p in meta["packages"]
    }
    # Users before what they use: by the length of the longest path below, then by name.
    depth = {}

    def below(name):
        if name not in depth:
            depth[name] = 1 + max((below(d) for d in deps[name]), default=0)
        return depth[name]

    order = sorted(deps, key=lambda n: (-below(n), n))
    width = max(len(n) for n in order)
    lines = [
        f"{n:<{width}} ──► {', '.join(deps[n]) if deps[n] else '(no crate of ours)'}"
        for n in order
    ]
    return "\n".join([BEGIN, "```text", *lines, "```", END])


def main():
    text = DOC.read_text()
    if BEGIN not in text or END not in text:
        sys.exit(f"{DOC}: no crate-graph markers ({BEGIN} ... {END})")
    head, rest = text.split(BEGIN, 1)
    old, tail = rest.split(END, 1)
    old = BEGIN + old + END
    new = graph()
    if "--check" in sys.argv[1:]:
        if old != new:
            print(f"{DOC} has a stale crate graph; run scripts/crate-graph.py. It says:")
            print(old)
            print("Cargo.toml says:")
            print(new)
            sys.exit(1)
        return
    DOC.write_text(head + new + tail)


if __name__ == "__main__":
    main()
