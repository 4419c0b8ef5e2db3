#!/usr/bin/env bash
# N `sixdocker run -d` at once on one user-defined network (release build, a private store):
# the wall time until every one has returned, and until all N run. Then how long the listing
# commands take with N containers running. Everything made here is removed on exit.
# Usage: bench/parallel-run.sh [N] [ROUNDS]   (needs root, python3; the busybox image as
# `sixdocker run busybox` finds it)
# SIXDOCKER=path/to/sixdocker times that binary instead of building one;
# SUBNET (default 10.250.17.0/24) is the network's.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-100}
ROUNDS=${2:-3}
SUBNET=${SUBNET:-10.250.17.0/24}
export SIXDOCKER_NO_IP_FORWARD=1  # never touch the host's ip_forward from sixdocker

if [ -z "${SIXDOCKER:-}" ]; then
  cargo build --release -p sixdocker >&2
fi
SIX="${SIXDOCKER:-$PWD/target/release/sixdocker}"
. bench/lib/private-store.sh
private_store parallel-run

"$SIX" "${SIXC[@]}" network create --subnet "$SUBNET" benchnet >/dev/null
# The image made and the network's bridge and firewall set up once, before timing.
"$SIX" "${SIXC[@]}" run --rm --network benchnet busybox true

for round in $(seq 1 "$ROUNDS"); do
  start=$(date +%s.%N)
  seq 1 "$N" | xargs -P "$N" -I{} "$SIX" "${SIXC[@]}" run -d --network benchnet \
    --name "par-$round-{}" busybox sleep 1d >"$TMP/ids" 2>"$TMP/errors" || true
  end=$(date +%s.%N)
  running=$("$SIX" "${SIXC[@]}" ps -q --filter status=running | wc -l)
  failed=$(grep -c . "$TMP/errors" || true)
  echo "round $round: $N run -d in $(python3 -c "print(f'{$end - $start:.2f}')") s; running: $running; errors: $failed (load $(cut -d' ' -f1 /proc/loadavg))"
  if [ "$failed" -gt 0 ]; then sort "$TMP/errors" | uniq -c | sort -rn | head -5; fi
  if [ "$round" = "$ROUNDS" ]; then
    mid=$(( (N + 1) / 2 ))
    for cmd in "ps" "ps -a" "inspect par-$round-$mid" "logs par-$round-$mid"; do
      # shellcheck disable=SC2086
      t=$(python3 - "$SIX" "${SIXC[@]}" $cmd <<'PY'
import statistics, subprocess, sys, time
times = []
for _ in range(20):
    t0 = time.perf_counter()
    subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, check=True)
    times.append(time.perf_counter() - t0)
print(f"{statistics.median(times) * 1000:.1f}")
PY
)
      echo "  $cmd with $running running: median $t ms"
    done
  fi
  ids=$("$SIX" "${SIXC[@]}" ps -aq)
  # shellcheck disable=SC2086
  if [ -n "$ids" ]; then "$SIX" "${SIXC[@]}" rm -f $ids >/dev/null; fi
done
