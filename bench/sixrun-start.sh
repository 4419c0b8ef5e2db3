#!/usr/bin/env bash
# Times create -> start -> delete of a /bin/true busybox container with sixrun, crun and runc
# on the same bundle (hyperfine, release build of sixrun). Every runtime runs inside one
# private mount namespace (`unshare -m`) where /sys/fs/cgroup/unified is unmounted: crun 1.8
# refuses this machine's hybrid cgroup layout otherwise. Usage: bench/sixrun-start.sh [RUNS]
# SIXRUN=path/to/sixrun times that binary instead of building one; SIXRUN_BASE=path/to/other
# (a differently named copy, e.g. main's build) is timed in the same run.
set -euo pipefail
runs=${1:-100}
. "$(dirname "$0")/lib/runtime-bundle.sh"
runtime_bench_setup "$@"

cycle() { # runtime binary, state root
  echo "$1 --root $2 create --bundle $bundle b && $1 --root $2 start b && $1 --root $2 delete --force b"
}
cmds=()
# SIXRUN_BASE=path/to/another/sixrun (named differently): timed in the same run.
for rt in "$sixrun" ${SIXRUN_BASE:+"$SIXRUN_BASE"} "$(command -v crun)" "$(command -v runc)"; do
  [ -x "$rt" ] || continue
  root=$work/state-$(basename "$rt")
  cmds+=("--command-name" "$(basename "$rt")" "$(cycle "$rt" "$root")")
done
# Shell mode (the cycle is three commands); hyperfine subtracts the shell's own start-up.
hyperfine -w 5 -r "$runs" --export-json "$work/result.json" "${cmds[@]}" >&2
python3 - "$work/result.json" <<'PY'
import json, sys
for r in json.load(open(sys.argv[1]))["results"]:
    print(f'{r["command"]:>8}: median {r["median"]*1000:.1f} ms  (min {r["min"]*1000:.1f}, max {r["max"]*1000:.1f})')
PY
