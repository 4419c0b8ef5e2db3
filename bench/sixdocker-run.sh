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
TMP=$(mktemp -d /tmp/sixdocker-bench.XXXXXX)
SIXC=(--root "$TMP/six-root" --runroot "$TMP/six-run")
POD_RUNTIME=crun
# Podman's containers nest below this shell's own cgroup (its memory cgroup; the others are /).
MY_CGROUP=$(awk -F: '$2 == "memory" { print $3 }' /proc/self/cgroup)
POD_CGROUP_PARENT="${MY_CGROUP%/}/six-bench-$$"
POD=(podman --root "$TMP/pod/root" --runroot "$TMP/pod/run" --tmpdir "$TMP/pod/tmp"
     --storage-driver overlay --cgroup-manager cgroupfs --events-backend file)
EXEC_NAME="bench-exec-$$"
cleanup() {
  set +e  # undo as much as possible, whatever fails
  # Containers, networks (the default bridge and its firewall chains too), images.
  "$SIX" "${SIXC[@]}" system reset -f >/dev/null 2>&1 || true
  "${POD[@]}" rm -f -a -t 0 >/dev/null 2>&1 || true
  "${POD[@]}" system reset -f >/dev/null 2>&1 || true
  for h in /sys/fs/cgroup/*/; do
    if [ -d "$h${POD_CGROUP_PARENT#/}" ]; then
      find "$h${POD_CGROUP_PARENT#/}" -depth -type d -exec rmdir {} \; 2>/dev/null || true
    fi
  done
  # Anything still mounted below our temp dir (podman's overlay, our containers).
  grep -o " $TMP[^ ]*" /proc/self/mountinfo | sort -r | while read -r m; do umount -l "$m" || true; done
  rm -rf "$TMP"
}
trap cleanup EXIT

. bench/lib/podman.sh  # cwd is the repository root (see cd above)
podman_config

# The same rootfs for both: sixdocker's busybox image, exported and imported into podman.
shared_busybox
# crun refuses a hybrid cgroup host whose v2 hierarchy lists controllers; then use runc.
if ! "${POD[@]}" --runtime crun run --rm --cgroup-parent "$POD_CGROUP_PARENT" --network none localhost/six-busybox true 2>"$TMP/crun.err"; then
  echo "podman with crun fails here ($(tail -1 "$TMP/crun.err")); using runc" >&2
  POD_RUNTIME=runc
fi
POD+=(--runtime "$POD_RUNTIME")

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
