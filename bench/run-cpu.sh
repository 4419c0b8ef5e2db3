#!/usr/bin/env bash
# CPU time of one `sixdocker run -d --network benchnet busybox sleep 1d` in all: the CLI, its
# sealed re-exec, the monitor, the runtime and the container's init (everything the runs
# start stays in one cpuacct cgroup; container cgroups nest below the engine's own). Binaries
# given side by side are measured interleaved (A B A B …), each on a private store, so the
# VM's load weighs on both alike.
# Usage: bench/run-cpu.sh [RUNS] [ROUNDS] BINARY...   (needs root and cgroup v1 cpuacct)
# Prints per round and binary: ms of CPU per run (user+system), and the VM's load.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-20}
ROUNDS=${2:-3}
shift 2
[ $# -ge 1 ] || { echo "usage: $0 RUNS ROUNDS BINARY..." >&2; exit 2; }
export SIXDOCKER_NO_IP_FORWARD=1
SUBNET=${SUBNET:-10.250.18.0/24}
CPUACCT=/sys/fs/cgroup/cpuacct$(sed -n 's/^[0-9]*:\(.*,\)\?cpuacct\(,.*\)\?:\(.*\)$/\3/p' /proc/self/cgroup)
TMP=$(mktemp -d /tmp/run-cpu.XXXXXX)
cleanup() {
  set +e
  for i in "${!BINS[@]}"; do
    "${BINS[$i]}" --root "$TMP/$i/root" --runroot "$TMP/$i/run" system reset -f >/dev/null 2>&1
  done
  grep -o " $TMP[^ ]*" /proc/self/mountinfo | sort -r | while read -r m; do umount -l "$m"; done
  for g in "$CPUACCT"/run-cpu-$$-*; do [ -d "$g" ] && rmdir "$g"; done
  rm -rf "$TMP"
}
BINS=("$@")
trap cleanup EXIT
for i in "${!BINS[@]}"; do
  six=("${BINS[$i]}" --root "$TMP/$i/root" --runroot "$TMP/$i/run")
  # one network at a time on the subnet: each store makes and removes its own per round
  "${six[@]}" run --rm --network none busybox true >/dev/null
done
for round in $(seq 1 "$ROUNDS"); do
  for i in "${!BINS[@]}"; do
    six=("${BINS[$i]}" --root "$TMP/$i/root" --runroot "$TMP/$i/run")
    "${six[@]}" network create --subnet "$SUBNET" benchnet >/dev/null
    "${six[@]}" run --rm --network benchnet busybox true
    group="$CPUACCT/run-cpu-$$-$i-$round"
    mkdir "$group"
    load=$(cut -d' ' -f1 /proc/loadavg)
    bash -c 'echo $$ > "$1/cgroup.procs"; shift; n=$1; shift
      for r in $(seq 1 "$n"); do "$@" run -d --network benchnet busybox sleep 1d >/dev/null; done' \
      - "$group" "$RUNS" "${six[@]}"
    user=$(sed -n 's/^user //p' "$group/cpuacct.stat")
    sys=$(sed -n 's/^system //p' "$group/cpuacct.stat")
    usage=$(cat "$group/cpuacct.usage")
    echo "round $round ${BINS[$i]}: $(python3 -c "print(f'{$usage / 1e6 / $RUNS:.1f}')") ms CPU per run (user $user, system $sys ticks for $RUNS) (load $load)"
    # the containers' processes leave the group with them
    ids=$("${six[@]}" ps -aq)
    # shellcheck disable=SC2086
    [ -z "$ids" ] || "${six[@]}" rm -f $ids >/dev/null
    "${six[@]}" network rm benchnet >/dev/null
    rmdir "$group" 2>/dev/null || true
  done
done
