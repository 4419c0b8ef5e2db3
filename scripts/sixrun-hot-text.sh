#!/usr/bin/env bash
# Regenerates crates/sixrun/hot-text.txt: the code sections a container's lifecycle runs in
# sixrun, in the order they first run, which crates/sixrun/build.rs places first in the text
# (docs/performance.md, "Memory of a sixrun process"). Exact and native: it builds sixrun
# (release, with the linker's map of the link), runs create / state / start / state / delete
# of a /bin/true container and create / start / state / exec / kill / delete and a
# `delete --force` of a running one (bench/sixrun-rss.sh's bundle) under bench/lib/trace-code.c,
# which puts a breakpoint on every function of each sixrun process (the sealed re-exec and the
# container's init before its execve included) and records those hit; each function's input
# section is then read from the map. Needs root, gcc, python3.
# Usage: scripts/sixrun-hot-text.sh
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
scratch=$here/target/sixrun-hot-text
if [ "${SIXRUN_BENCH_INNER:-}" != 1 ]; then
  mkdir -p "$scratch"
  # The map of the link being traced (build.rs passes -Map when this is set).
  SIXRUN_LINK_MAP=$scratch/sixrun.map cargo build --release -p sixrun --bin sixrun \
    --manifest-path "$here/Cargo.toml" >&2
  cp "$here/target/release/sixrun" "$scratch/sixrun"
  gcc -O2 -Wall -Wextra -Werror -o "$scratch/trace-code" "$here/bench/lib/trace-code.c"
  export SIXRUN=$scratch/sixrun
fi
. "$here/bench/lib/runtime-bundle.sh"
runtime_bench_setup "$@"

# A second bundle whose process stays up, for exec and kill.
cp -a "$bundle" "$work/bundle-sleep"
ln -s busybox "$work/bundle-sleep/rootfs/bin/sleep"
python3 - "$work/bundle-sleep/config.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
c["process"]["args"] = ["/bin/sleep", "600"]
json.dump(c, open(sys.argv[1], "w"), indent=1)
PY

cat >"$work/cycle.sh" <<'SH'
set -euo pipefail
s() { "$SIXRUN" --root "$STATE" "$@"; }
until_stopped() {
  for _ in $(seq 1 400); do
    # (Not piped into `grep -q`: a state cut off by its early exit would panic.)
    s state "$1" >"$STATE.json"
    grep -q '"status": *"stopped"' "$STATE.json" && return 0
    sleep 0.05
  done
  echo "$1 did not stop" >&2
  return 1
}
s create --bundle "$BUNDLE" t
s state t
s start t
until_stopped t
s delete t
s create --bundle "$BUNDLE" t
s start t
until_stopped t
s delete --force t
s create --bundle "$BUNDLE_SLEEP" l
s start l
s state l
s exec l /bin/true
s kill l KILL
until_stopped l
s delete l
s create --bundle "$BUNDLE_SLEEP" l
s start l
s delete --force l
SH
STATE=$work/state BUNDLE=$bundle BUNDLE_SLEEP=$work/bundle-sleep \
  "$scratch/trace-code" "$sixrun" "$work/ran" -- bash "$work/cycle.sh" >/dev/null

python3 "$here/scripts/sixrun_hot_text.py" "$scratch/sixrun.map" "$work/ran" \
  >"$here/crates/sixrun/hot-text.txt"
sed -n 3p "$here/crates/sixrun/hot-text.txt" >&2
