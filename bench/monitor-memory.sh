#!/usr/bin/env bash
# The memory a running container's monitor costs: N containers (`run -d ... sleep`) each of
# sixdocker (release build; on its default bridge network and with `--network none`) and of
# Podman (`--network none`: netavark runs in Podman, not in conmon), then the proportional set
# size (PSS) of every monitor summed from /proc/PID/smaps_rollup: ours against Podman's conmon.
# A monitor is found as the parent of its container's init (State.Pid), the same way for both.
# Each tool has its own temporary store; everything made here is removed on exit.
# Usage: bench/monitor-memory.sh [N]   (needs root, podman, conmon, crun or runc, python3)
# SIXDOCKER=/path/to/sixdocker measures that build instead of building this checkout's.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-50}
export SIXDOCKER_NO_IP_FORWARD=1  # never touch the host's ip_forward from sixdocker

if [ -z "${SIXDOCKER:-}" ]; then
  cargo build --release -p sixdocker >&2
fi
SIX=${SIXDOCKER:-$PWD/target/release/sixdocker}
cleanup() {
  set +e  # undo as much as possible, whatever fails
  bench_stores_reset
  bench_stores_remove
}
. bench/lib/podman.sh  # cwd is the repository root (see cd above)
bench_stores monitor-memory
trap cleanup EXIT
podman_config
shared_busybox
podman_runtime

# monitors_of PIDFILE: the parent of each init pid listed, one a line.
monitors_of() {
  while read -r pid; do
    awk '/^PPid:/ { print $2 }' "/proc/$pid/status"
  done <"$1"
}

# report NAME PIDFILE: sums PSS, RSS and private dirty memory of the processes listed.
report() {
  python3 - "$1" "$2" <<'PY'
import statistics, sys
name, pids = sys.argv[1], [p for p in open(sys.argv[2]).read().split() if p]
rows = []
for pid in pids:
    fields = {}
    for line in open(f"/proc/{pid}/smaps_rollup"):
        parts = line.split()
        if len(parts) == 3 and parts[2] == "kB":
            fields[parts[0].rstrip(":")] = int(parts[1])
    rows.append(fields)
def total(k): return sum(r.get(k, 0) for r in rows)
def med(k): return statistics.median(r.get(k, 0) for r in rows)
print(f"{name:<34} {len(rows):>3} monitors  PSS {total('Pss'):>7} kB (per monitor {total('Pss') / len(rows):6.0f}, "
      f"median {med('Pss'):5.0f})  RSS/monitor {med('Rss'):5.0f}  private dirty/monitor {med('Private_Dirty'):5.0f} kB")
PY
}

# sixdocker: N on its default network, then N with --network none.
for mode in bridge none; do
  names=()
  net=()
  [ "$mode" = none ] && net=(--network none)
  for i in $(seq 1 "$N"); do
    "$SIX" "${SIXC[@]}" run -d "${net[@]}" --name "mm-$mode-$i" busybox sleep 1d >/dev/null
    names+=("mm-$mode-$i")
  done
  "$SIX" "${SIXC[@]}" inspect -f '{{.State.Pid}}' "${names[@]}" >"$TMP/six-$mode.init"
done
for i in $(seq 1 "$N"); do
  "${POD[@]}" run -d --cgroup-parent "$POD_CGROUP_PARENT" --network none --name "mm-$i" localhost/six-busybox sleep 1d >/dev/null
done
"${POD[@]}" ps -q --no-trunc | xargs "${POD[@]}" inspect -f '{{.State.Pid}}' >"$TMP/pod.init"
sleep 2  # let every monitor reach its idle loop
monitors_of "$TMP/six-bridge.init" >"$TMP/six-bridge.mon"
monitors_of "$TMP/six-none.init" >"$TMP/six-none.mon"
monitors_of "$TMP/pod.init" >"$TMP/pod.mon"
echo "load: $(cut -d' ' -f1-3 /proc/loadavg)"
report "sixdocker monitor (bridge)" "$TMP/six-bridge.mon"
report "sixdocker monitor (--network none)" "$TMP/six-none.mon"
report "conmon ($POD_RUNTIME, --network none)" "$TMP/pod.mon"
