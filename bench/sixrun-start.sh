#!/usr/bin/env bash
# Times create -> start -> delete of a /bin/true busybox container with sixrun, crun and runc
# on the same bundle (hyperfine, release build of sixrun). Every runtime runs inside one
# private mount namespace (`unshare -m`) where /sys/fs/cgroup/unified is unmounted: crun 1.8
# refuses this machine's hybrid cgroup layout otherwise. Usage: bench/sixrun-start.sh [RUNS]
# SIXRUN=path/to/sixrun times that binary instead of building one.
set -euo pipefail
runs=${1:-100}
here=$(cd "$(dirname "$0")/.." && pwd)

if [ "${SIXRUN_BENCH_INNER:-}" != 1 ]; then
  if [ -z "${SIXRUN:-}" ]; then
    cargo build --release -p sixrun --manifest-path "$here/Cargo.toml" >&2
  fi
  exec unshare -m env SIXRUN_BENCH_INNER=1 bash "$0" "$@"
fi

# Inside the private mount namespace: nothing done here is seen by the host.
mount --make-rprivate /
if mountpoint -q /sys/fs/cgroup/unified; then umount /sys/fs/cgroup/unified; fi

work=$(mktemp -d /tmp/sixrun-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
bundle=$work/bundle
mkdir -p "$bundle/rootfs"/{bin,dev,proc,sys,etc,tmp}
cp /bin/busybox "$bundle/rootfs/bin/busybox"
ln -s busybox "$bundle/rootfs/bin/true"
ln -s busybox "$bundle/rootfs/bin/sh"
cd "$bundle"
sixrun="${SIXRUN:-$here/target/release/sixrun}"
"$sixrun" spec
python3 - <<'PY'
import json
c = json.load(open("config.json"))
c["process"]["terminal"] = False
c["process"]["args"] = ["/bin/true"]
json.dump(c, open("config.json", "w"), indent=1)
PY

cycle() { # runtime binary, state root
  echo "$1 --root $2 create --bundle $bundle b && $1 --root $2 start b && $1 --root $2 delete --force b"
}
cmds=()
for rt in "$sixrun" "$(command -v crun)" "$(command -v runc)"; do
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
