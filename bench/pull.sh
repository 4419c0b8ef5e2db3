#!/usr/bin/env bash
# Times a pull of a 3-layer ~64 MB image (incompressible layers of ~21 MB each) from a local
# docker-registry on 127.0.0.1: `sixdocker pull` against `podman pull` and `skopeo copy` to a
# dir, each into an empty store every run. Release build, hyperfine; everything made here
# (registry, stores) lives in a temp dir removed on exit; the registry is stopped by its PID.
# Goal (issue 10): sixdocker at most 0.7x Podman's time. Prints the medians.
# Usage: [SIX_BIN=path] bench/pull.sh [RUNS]   (needs root, hyperfine, docker-registry, podman, skopeo, jq)
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-10}

# SIX_BIN: a sixdocker binary to use instead of building the release one (to check the script).
if [ -n "${SIX_BIN:-}" ]; then SIX=$SIX_BIN; else
  cargo build --release -p sixdocker >&2
  SIX="$PWD/target/release/sixdocker"
fi
TMP=$(mktemp -d /tmp/sixdocker-pull-bench.XXXXXX)
SIXC=(--root "$TMP/six-root" --runroot "$TMP/six-run")
PULLC=(--root "$TMP/pull-root" --runroot "$TMP/pull-run")
POD=(podman --root "$TMP/pod/root" --runroot "$TMP/pod/run" --tmpdir "$TMP/pod/tmp"
     --storage-driver overlay --cgroup-manager cgroupfs --events-backend file)
REG_PID=
cleanup() {
  set +e
  [ -n "$REG_PID" ] && kill "$REG_PID" && wait "$REG_PID" 2>/dev/null
  "$SIX" "${SIXC[@]}" system reset -f >/dev/null 2>&1
  "$SIX" "${PULLC[@]}" system reset -f >/dev/null 2>&1
  "${POD[@]}" system reset -f >/dev/null 2>&1
  grep -o " $TMP[^ ]*" /proc/self/mountinfo | sort -r | while read -r m; do umount -l "$m"; done
  rm -rf "$TMP"
}
trap cleanup EXIT
export SIXDOCKER_NO_IP_FORWARD=1

. bench/lib/podman.sh
podman_config

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat >"$TMP/registry.yml" <<CONF
version: 0.1
log:
  level: error
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $TMP/registry
http:
  addr: 127.0.0.1:$PORT
CONF
docker-registry serve "$TMP/registry.yml" >"$TMP/registry.log" 2>&1 &
REG_PID=$!
for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break; sleep 0.1; done

# The image: busybox plus three layers of 21 MB of random bytes, pushed by sixdocker.
REF="127.0.0.1:$PORT/bench/big:1"
BASE=busybox
for n in 1 2 3; do
  "$SIX" "${SIXC[@]}" run --name "layer$n" --network none "$BASE" \
    sh -c "head -c 21000000 /dev/urandom > /data$n" >/dev/null
  "$SIX" "${SIXC[@]}" commit "layer$n" "bench/big:$n" >/dev/null
  "$SIX" "${SIXC[@]}" rm "layer$n" >/dev/null
  BASE="bench/big:$n"
done
"$SIX" "${SIXC[@]}" tag bench/big:3 "$REF"
"$SIX" "${SIXC[@]}" push -q "$REF" >/dev/null

hyperfine --runs "$RUNS" --export-json "$TMP/pull.json" \
  -n sixdocker --prepare "$SIX ${PULLC[*]} system reset -f >/dev/null 2>&1; rm -rf $TMP/pull-root" \
  "$SIX ${PULLC[*]} pull -q $REF" \
  -n podman --prepare "${POD[*]} rmi -a -f >/dev/null 2>&1 || true" \
  "${POD[*]} pull -q --tls-verify=false $REF" \
  -n skopeo-dir --prepare "rm -rf $TMP/skopeo-dir" \
  "skopeo copy -q --src-tls-verify=false docker://$REF dir:$TMP/skopeo-dir" >&2

jq -r '.results[] | "\(.command): median \(.median * 1000 | floor) ms (min \(.min * 1000 | floor) ms)"' "$TMP/pull.json"
six=$(jq '.results[0].median' "$TMP/pull.json"); pod=$(jq '.results[1].median' "$TMP/pull.json")
echo "sixdocker / podman: $(echo "$six / $pod" | bc -l | cut -c1-4) (goal <= 0.7)"
