#!/usr/bin/env bash
# Times `sixdocker run --rm busybox true` against `podman run --rm --network none` (crun) on
# the same busybox rootfs, and `sixdocker exec` against `podman exec`. Release build, hyperfine,
# each tool with its own temporary store; everything made here is removed on exit.
# Podman runs with crun, or with runc where crun refuses this host's cgroup layout (said so).
# Usage: bench/sixdocker-run.sh [RUNS]   (needs root, hyperfine, podman, crun or runc, jq)
# SIXDOCKER=path/to/sixdocker times that binary instead of building one.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-30}

if [ -z "${SIXDOCKER:-}" ]; then
  cargo build --release -p sixdocker >&2
fi
SIX="${SIXDOCKER:-$PWD/target/release/sixdocker}"
EXEC_NAME="bench-exec-$$"
cleanup() {
  set +e  # undo as much as possible, whatever fails
  bench_stores_reset
  bench_stores_remove
}

. bench/lib/podman.sh  # cwd is the repository root (see cd above)
bench_stores sixdocker-bench
trap cleanup EXIT
podman_config

# The same rootfs for both: sixdocker's busybox image, exported and imported into podman.
shared_busybox
podman_runtime

run_json="$TMP/run.json"
hyperfine -N --warmup 3 --runs "$RUNS" --export-json "$run_json" \
  -n "sixdocker run --rm busybox true" "$SIX ${SIXC[*]} run --rm busybox true" \
  -n "sixdocker run --rm --network none busybox true" "$SIX ${SIXC[*]} run --rm --network none busybox true" \
  -n "podman run --rm --network none ($POD_RUNTIME)" "${POD[*]} run --rm --cgroup-parent $POD_CGROUP_PARENT --network none localhost/six-busybox true"

"$SIX" "${SIXC[@]}" run -d --name "$EXEC_NAME" busybox sleep 3600 >/dev/null
"${POD[@]}" run -d --cgroup-parent "$POD_CGROUP_PARENT" --network none --name "$EXEC_NAME" localhost/six-busybox sleep 3600 >/dev/null
exec_json="$TMP/exec.json"
hyperfine -N --warmup 3 --runs "$RUNS" --export-json "$exec_json" \
  -n "sixdocker exec" "$SIX ${SIXC[*]} exec $EXEC_NAME true" \
  -n "podman exec ($POD_RUNTIME)" "${POD[*]} exec $EXEC_NAME true"

echo
echo "medians (ms):"
jq -r '.results[] | "  \(.command): \(.median * 1000 | . * 10 | round / 10)"' "$run_json" "$exec_json"
