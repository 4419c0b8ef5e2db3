#!/usr/bin/env bash
# Times `sixdocker build` of a 6-step Dockerfile (FROM, ENV, WORKDIR, COPY of a 21-file
# context, RUN, CMD) against Docker's classic builder (DOCKER_BUILDKIT=0, a dockerd of our
# own) and `buildah bud` (--layers, chroot isolation, overlay storage): a fully cached rebuild
# (goal: sixdocker at most 0.2x Docker's time) and a cold build with --no-cache (goal: within
# 1.5x of buildah's). The same busybox base (sixdocker's, saved and loaded into the others).
# RUN steps have no network for sixdocker and Docker (--network none; chroot isolation is
# buildah's host network, unused). Everything lives in a temp dir removed on exit; dockerd
# runs in its own network and mount namespaces (own data root, exec root, socket, containerd,
# --bridge=none --iptables=false), its build containers below this shell's cgroup; it is
# stopped by its PID. Prints the medians.
# Usage: [SIX_BIN=path] bench/build.sh [RUNS]   (needs root, hyperfine, jq, docker.io, containerd, buildah)
# SIX_BIN must not lie below /tmp: the sealed binary (an overlayfs over its directory) cannot
# overlap the run root, and falls back to a memfd copy of it (~8 ms more per command).
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-10}

if [ -n "${SIX_BIN:-}" ]; then SIX=$SIX_BIN; else
  cargo build --release -p sixdocker >&2
  SIX="$PWD/target/release/sixdocker"
fi
TMP=$(mktemp -d /tmp/sixdocker-build-bench.XXXXXX)
SIXC=(--root "$TMP/six-root" --runroot "$TMP/six-run")
BAH=(buildah --root "$TMP/bah/root" --runroot "$TMP/bah/run" --storage-driver overlay)
DK_DIR="$TMP/docker"
DK=(docker -H "unix://$DK_DIR/docker.sock")
MY_CGROUP=$(awk -F: '$2 == "memory" { print $3 }' /proc/self/cgroup)
DK_CGROUP="${MY_CGROUP%/}/six-build-bench-$$"
DOCKERD_PID=
cleanup() {
  set +e
  if [ -n "$DOCKERD_PID" ]; then
    kill "$DOCKERD_PID" 2>/dev/null && wait "$DOCKERD_PID" 2>/dev/null
    [ -s "$DK_DIR/containerd.pid" ] && kill "$(cat "$DK_DIR/containerd.pid")" 2>/dev/null
  fi
  "$SIX" "${SIXC[@]}" system reset -f >/dev/null 2>&1
  "${BAH[@]}" rm -a >/dev/null 2>&1
  "${BAH[@]}" rmi -a -f >/dev/null 2>&1
  grep -o " $TMP[^ ]*" /proc/self/mountinfo | sort -r | while read -r m; do umount -l "$m"; done
  for h in /sys/fs/cgroup/*/; do
    [ -d "$h${DK_CGROUP#/}" ] && find "$h${DK_CGROUP#/}" -depth -type d -exec rmdir {} \; 2>/dev/null
  done
  rm -rf "$TMP"
}
trap cleanup EXIT
export SIXDOCKER_NO_IP_FORWARD=1

# The context: 20 small files and one of 1 MB; the Dockerfile.
CTX="$TMP/ctx"
mkdir -p "$CTX/src"
for i in $(seq 20); do head -c 4096 /dev/urandom >"$CTX/src/f$i"; done
head -c 1048576 /dev/urandom >"$CTX/src/big"
cat >"$CTX/Dockerfile" <<'DF'
FROM busybox
ENV APP=/app
WORKDIR /app
COPY src /app/src
RUN cat /app/src/* | wc -c > /app/size && echo built > /app/built.txt
CMD ["cat", "/app/built.txt"]
DF

# The base image, everywhere the same.
"$SIX" "${SIXC[@]}" save -o "$TMP/busybox.tar" busybox
mkdir -p "$TMP/bah/root" "$TMP/bah/run"
"${BAH[@]}" pull -q "docker-archive:$TMP/busybox.tar" >/dev/null

# dockerd, in namespaces of its own.
mkdir -p "$DK_DIR"/{data,exec,containerd/root,containerd/state,containerd/opt}
cat >"$DK_DIR/containerd.toml" <<CONF
version = 2
root = "$DK_DIR/containerd/root"
state = "$DK_DIR/containerd/state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = "$DK_DIR/containerd.sock"
[ttrpc]
  address = "$DK_DIR/containerd.sock.ttrpc"
[debug]
  address = ""
[metrics]
  address = ""
[plugins."io.containerd.internal.v1.opt"]
  path = "$DK_DIR/containerd/opt"
CONF
printf '{"deprecated-key-path": "%s/key.json"}\n' "$DK_DIR" >"$DK_DIR/daemon.json"
cat >"$DK_DIR/start.sh" <<START
set -e
mount -t tmpfs -o mode=0755,size=16m six-build-bench-run /run
ip link set lo up
containerd --config "$DK_DIR/containerd.toml" </dev/null >"$DK_DIR/containerd.log" 2>&1 &
echo \$! >"$DK_DIR/containerd.pid"
for i in \$(seq 300); do [ -S "$DK_DIR/containerd.sock" ] && break; sleep 0.1; done
exec dockerd --config-file "$DK_DIR/daemon.json" --data-root "$DK_DIR/data" \\
  --exec-root "$DK_DIR/exec" --pidfile "$DK_DIR/docker.pid" -H "unix://$DK_DIR/docker.sock" \\
  --containerd "$DK_DIR/containerd.sock" --bridge=none --iptables=false --ip-masq=false \\
  --cgroup-parent "$DK_CGROUP" --storage-driver overlay2 </dev/null >"$DK_DIR/dockerd.log" 2>&1
START
unshare --net --mount --propagation private bash "$DK_DIR/start.sh" </dev/null >"$DK_DIR/start.log" 2>&1 &
DOCKERD_PID=$!
for _ in $(seq 300); do "${DK[@]}" version >/dev/null 2>&1 && break; sleep 0.2; done
"${DK[@]}" load -q -i "$TMP/busybox.tar" >/dev/null

SIXB="$SIX ${SIXC[*]} build -q --network none -t bench"
DKB="env DOCKER_BUILDKIT=0 ${DK[*]} build -q --network none -t bench"
BAHB="${BAH[*]} bud -q --layers --pull=never --isolation chroot -t bench"

# Warm every cache once (and each cold build once: any failure stops here, with its words),
# and check that the image runs.
for b in "$SIXB" "$DKB" "$BAHB"; do $b "$CTX" >/dev/null; $b --no-cache "$CTX" >/dev/null; $b "$CTX" >/dev/null; done
[ "$("$SIX" "${SIXC[@]}" run --rm --network none bench)" = built ]

hyperfine --runs "$RUNS" --warmup 1 --export-json "$TMP/cached.json" \
  -n sixdocker "$SIXB $CTX" -n docker-classic "$DKB $CTX" -n buildah "$BAHB $CTX" >&2
hyperfine --runs "$RUNS" --export-json "$TMP/cold.json" \
  -n sixdocker "$SIXB --no-cache $CTX" -n docker-classic "$DKB --no-cache $CTX" \
  -n buildah "$BAHB --no-cache $CTX" >&2

for kind in cached cold; do
  echo "$kind build:"
  jq -r '.results[] | "  \(.command): median \(.median * 1000 | floor) ms (min \(.min * 1000 | floor) ms)"' "$TMP/$kind.json"
done
m() { jq ".results[$2].median" "$TMP/$1.json"; }
echo "cached: sixdocker / docker-classic $(echo "$(m cached 0) / $(m cached 1)" | bc -l | cut -c1-5) (goal <= 0.2), sixdocker / buildah $(echo "$(m cached 0) / $(m cached 2)" | bc -l | cut -c1-5)"
echo "cold:   sixdocker / buildah $(echo "$(m cold 0) / $(m cold 2)" | bc -l | cut -c1-5) (goal <= 1.5), sixdocker / docker-classic $(echo "$(m cold 0) / $(m cold 1)" | bc -l | cut -c1-5)"
