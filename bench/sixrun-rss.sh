#!/usr/bin/env bash
# The memory each runtime process takes: the peak resident set (ru_maxrss, /usr/bin/time's %M)
# of `create`, `start`, `state` and `delete` of a /bin/true busybox container, sixrun (release
# build) vs crun vs runc on the same bundle, ROUNDS rounds in turn; medians. The peak counts a
# re-executed process once (its larger image). Setup as bench/sixrun-start.sh's.
# Usage: bench/sixrun-rss.sh [ROUNDS]   (needs root, crun, runc, /usr/bin/time, python3)
# SIXRUN=path/to/sixrun measures that binary instead of building one; SIXRUN_BASE=path/to/other
# (a differently named copy, e.g. main's build) is measured in the same rounds.
set -euo pipefail
rounds=${1:-20}
. "$(dirname "$0")/lib/runtime-bundle.sh"
runtime_bench_setup "$@"

# peak FILE CMD...: runs CMD (its output and the container's to /dev/null), appends its peak RSS.
peak() {
  local out=$1
  shift
  /usr/bin/time -o "$work/t" -f %M "$@" </dev/null >/dev/null 2>&1 || true
  echo "$(tail -1 "$work/t")" >>"$out"
}
runtimes=("$sixrun")
# SIXRUN_BASE=path/to/another/sixrun (named differently): measured in the same rounds.
if [ -n "${SIXRUN_BASE:-}" ]; then runtimes+=("$SIXRUN_BASE"); fi
for rt in crun runc; do
  if command -v "$rt" >/dev/null; then runtimes+=("$(command -v "$rt")"); fi
done
for _ in $(seq 1 "$rounds"); do
  for rt in "${runtimes[@]}"; do
    name=$(basename "$rt")
    root=$work/state-$name
    peak "$work/$name.create" "$rt" --root "$root" create --bundle "$bundle" b
    peak "$work/$name.state" "$rt" --root "$root" state b
    peak "$work/$name.start" "$rt" --root "$root" start b
    peak "$work/$name.delete" "$rt" --root "$root" delete --force b
  done
done
echo "load: $(cut -d' ' -f1-3 /proc/loadavg)"
python3 - "$work" "${runtimes[@]}" <<'PY'
import os, statistics, sys
work = sys.argv[1]
print(f"{'peak RSS (kB), median':<24}" + "".join(f"{c:>9}" for c in ("create", "state", "start", "delete")))
for rt in sys.argv[2:]:
    name = os.path.basename(rt)
    row = []
    for cmd in ("create", "state", "start", "delete"):
        values = [int(v) for v in open(f"{work}/{name}.{cmd}").read().split()]
        row.append(statistics.median(values))
    print(f"{name:<24}" + "".join(f"{v:>9.0f}" for v in row))
PY
