"""The input sections that a traced sixrun ran, as linker-script patterns that survive a rebuild.

Usage: sixrun_hot_text.py MAP RAN > crates/sixrun/hot-text.txt
MAP is the linker's map of the traced binary (lld's or GNU ld's -Map), RAN the function start
addresses bench/lib/trace-code.c recorded, in the order they first ran. Prints one input
section description per section that ran, in that order (scripts/sixrun-hot-text.sh):

- Rust's sections (one per function, `.text.<symbol>`) by name, without what changes from
  build to build: a legacy symbol's hash (`17h<16 hex>E`), the `.llvm.<n>` suffix of a
  symbol that ThinLTO promoted, the crate disambiguators of a v0 symbol (`Cs<base62>_`). A
  pattern that would then also match sections that did not run (the instantiations of one
  generic share a legacy name: only the hash tells them apart) keeps its hash in place, and
  the same pattern without hash comes again at the end of the list: the hash holds for the
  traced build's feature set (a symbol's hash covers its crates' `-C metadata`, which
  `cargo test` or a whole-workspace build change), and where it does not, the function
  still lands in the hot section, after the rest, with the instantiations that did not run.
- C archives' sections (glibc's functions) by archive member: `*libc.a:memcpy.o(.text)`.
"""

import bisect
import fnmatch
import os
import re
import sys

# lld: "VMA LMA Size Align Out/In/Symbol", the input section as "file:(section)".
LLD_LINE = re.compile(r"^\s*([0-9a-f]+)\s+[0-9a-f]+\s+([0-9a-f]+)\s+\d+\s+(.*):\((.*)\)$")
# GNU ld: " section 0xVMA 0xSIZE file", the name alone on its line when it is long.
GNU_LINE = re.compile(r"^ (\S+)?\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)\s+(\S.*)$")
LEGACY = re.compile(r"^(\.text(?:\.unlikely)?\._ZN.*17h)[0-9a-f]{16}E(?:\.llvm\.\d+)?$")
LLVM_SUFFIX = re.compile(r"\.llvm\.\d+$")
V0_CRATE = re.compile(r"Cs[0-9A-Za-z]+_")


def read_map(path):
    """Every input section of code in the map: (vma, size, file, section), sorted by vma."""
    sections = []
    pending = None
    with open(path, errors="replace") as f:
        for line in f:
            line = line.rstrip("\n")
            m = LLD_LINE.match(line)
            if m:
                vma, size, file, name = m.groups()
                sections.append((int(vma, 16), int(size, 16), file.strip(), name))
                continue
            if line.startswith(" .") and len(line.split()) == 1:
                pending = line.strip()
                continue
            m = GNU_LINE.match(line)
            if m and (m.group(1) or pending):
                name = m.group(1) or pending
                sections.append((int(m.group(2), 16), int(m.group(3), 16), m.group(4), name))
            pending = None
    code = [s for s in sections if s[3].startswith(".text") and s[1] > 0]
    code.sort()
    return code


def rust_pattern(name, exact):
    """A Rust section's name as a pattern: without its hash unless `exact`."""
    m = LEGACY.match(name)
    if m:
        if exact:
            return LLVM_SUFFIX.sub("", name) + "*"
        return m.group(1) + "*"
    if exact:
        return LLVM_SUFFIX.sub("", name) + "*"
    return V0_CRATE.sub("Cs*_", LLVM_SUFFIX.sub("", name)) + "*"


def describe(file, name, exact):
    """The input section description for `name` of `file`."""
    m = re.match(r"^(.*)\((.*)\)$", file)
    if m and m.group(1).endswith(".a"):  # an archive member
        return f"*{os.path.basename(m.group(1))}:{m.group(2)}({name})"
    if file.endswith(".rcgu.o"):  # rustc's objects: temporary names
        # Under either name: whether LLVM marks a function cold differs between builds.
        symbol = re.sub(r"^\.text\.(unlikely\.)?", "", rust_pattern(name, exact))
        return f"*(.text.{symbol} .text.unlikely.{symbol})"
    return f"*{os.path.basename(file)}({name})"


def main():
    sections = read_map(sys.argv[1])
    starts = [s[0] for s in sections]
    ran = []
    seen = set()
    for line in open(sys.argv[2]):
        a = int(line, 16)
        i = bisect.bisect_right(starts, a) - 1
        if i < 0 or a >= sections[i][0] + sections[i][1]:
            continue  # outside every .text input section (.init, .fini, .iplt)
        if i not in seen:
            seen.add(i)
            ran.append(i)
    rust_names = [s[3] for s in sections if s[2].endswith(".rcgu.o")]
    hot_names = {sections[i][3] for i in ran}
    lines = []
    fallbacks = []
    total = 0
    for i in ran:
        vma, size, file, name = sections[i]
        total += size
        pattern = describe(file, name, False)
        if file.endswith(".rcgu.o"):
            glob = rust_pattern(name, False)
            if any(n not in hot_names for n in fnmatch.filter(rust_names, glob)):
                fallbacks.append(pattern)
                pattern = describe(file, name, True)
        lines.append(pattern)
    lines = list(dict.fromkeys(lines))
    fallbacks = list(dict.fromkeys(fallbacks))
    print("# The code sections a container's lifecycle runs in sixrun, in the order they first")
    print("# run: crates/sixrun/build.rs places them first in the text. Generated by")
    print(f"# scripts/sixrun-hot-text.sh: {len(ran)} sections, {total // 1024} kB. A generic's")
    print("# instantiations share a name without its hash: those that ran are named with it (it")
    print("# holds for `cargo build --release -p sixrun`; other feature sets hash otherwise), and")
    print(f"# the {len(fallbacks)} names without hash follow at the end, for the other builds.")
    for pattern in lines + fallbacks:
        print(pattern)


main()
