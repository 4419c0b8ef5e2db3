#!/usr/bin/env bash
# Times `docker run --rm busybox true` through sixdocker's Engine API (`sixdocker system
# service` on a socket of its own) against the same command through a dockerd of our own (own
# data-root, exec-root, socket, containerd; --bridge=none --iptables=false; in its own network
# and mount namespace; runc), and against sixdocker's own CLI (`sixdocker run --rm busybox
# true`). The same docker CLI, the same busybox rootfs (sixdocker's, imported into dockerd).
# Issue 13's goals: at most 0.25x dockerd's time; the API's overhead over the CLI at most 5 ms,
# estimated as  api - cli - floor, where floor is `docker version` through the same socket (the
# docker CLI's own start and a round trip, which `sixdocker run` does not pay). dockerd's
# containers have no network here (--bridge=none), ours join our default bridge: the same run
# with --network none on both compares like with like.
# Release build (into CARGO_TARGET_DIR if set), interleaved rounds, medians. Everything made here is
# removed on exit; dockerd and the service are stopped by PID.
# Usage: bench/api-run.sh [RUNS]   (needs root, dockerd, containerd, runc, docker;
#        SIX=path/to/sixdocker to time that binary, DOCKER=path/to/docker for another client)
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-30}

if [ -z "${SIX:-}" ]; then # SIX=path/to/sixdocker: that binary, no build
  cargo build --release -p sixdocker >&2
  SIX="${CARGO_TARGET_DIR:-$PWD/target}/release/sixdocker"
fi
DOCKER=${DOCKER:-docker}
TMP=$(mktemp -d /tmp/sixdocker-api-bench.XXXXXX)
SIXC=(--root "$TMP/six-root" --runroot "$TMP/six-run")
SIX_SOCK="$TMP/six.sock"
DD="$TMP/dockerd"
DD_SOCK="$DD/docker.sock"
export DOCKER_CONFIG="$TMP/docker-config"
# dockerd's containers nest below this shell's own cgroup (its memory cgroup; the others are /).
MY_CGROUP=$(awk -F: '$2 == "memory" { print $3 }' /proc/self/cgroup)
DD_CGROUP_PARENT="${MY_CGROUP%/}/six-api-bench-$$"
SERVICE_PID=""
DOCKERD_PID=""

cleanup() {
  set +e # undo as much as possible, whatever fails
  if [ -n "$DOCKERD_PID" ]; then
    "$DOCKER" -H "unix://$DD_SOCK" rm -f $("$DOCKER" -H "unix://$DD_SOCK" ps -aq) >/dev/null 2>&1
    kill "$DOCKERD_PID" 2>/dev/null # unshare's child: its namespaces' first process, dockerd
    for _ in $(seq 100); do kill -0 "$DOCKERD_PID" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$DOCKERD_PID" 2>/dev/null
    [ -f "$DD/containerd.pid" ] && kill "$(cat "$DD/containerd.pid")" 2>/dev/null
  fi
  [ -n "$SERVICE_PID" ] && kill "$SERVICE_PID" 2>/dev/null && wait "$SERVICE_PID" 2>/dev/null
  "$SIX" "${SIXC[@]}" system reset -f >/dev/null 2>&1
  for h in /sys/fs/cgroup/*/; do
    if [ -d "$h${DD_CGROUP_PARENT#/}" ]; then
      find "$h${DD_CGROUP_PARENT#/}" -depth -type d -exec rmdir {} \; 2>/dev/null
    fi
  done
  grep -o " $TMP[^ ]*" /proc/self/mountinfo | sort -r | while read -r m; do umount -l "$m"; done
  rm -rf "$TMP"
}
trap cleanup EXIT

wait_for() { # wait_for SECONDS COMMAND...: until it succeeds
  local n=$(($1 * 10)); shift
  for _ in $(seq "$n"); do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done
  return 1
}

# sixdocker: its busybox image, and the service.
mkdir -p "$DOCKER_CONFIG" "$DD"/{data,exec,containerd/root,containerd/state,containerd/opt}
"$SIX" "${SIXC[@]}" run --name bench-export --network none busybox true
"$SIX" "${SIXC[@]}" export -o "$TMP/busybox.tar" bench-export
"$SIX" "${SIXC[@]}" rm bench-export >/dev/null
SIXDOCKER_NO_IP_FORWARD=1 "$SIX" "${SIXC[@]}" system service --time 0 "unix://$SIX_SOCK" \
  2>"$TMP/service.log" &
SERVICE_PID=$!
wait_for 30 "$DOCKER" -H "unix://$SIX_SOCK" version || { cat "$TMP/service.log" >&2; exit 1; }

# dockerd of our own, as tests/compat/docker.sh starts it (without its runtime swap).
cat >"$DD/containerd.toml" <<EOF
version = 2
root = "$DD/containerd/root"
state = "$DD/containerd/state"
disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.snapshotter.v1.btrfs",
  "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper",
  "io.containerd.snapshotter.v1.aufs", "io.containerd.internal.v1.tracing",
  "io.containerd.tracing.processor.v1.otlp"]
[grpc]
  address = "$DD/containerd.sock"
[ttrpc]
  address = "$DD/containerd.sock.ttrpc"
[debug]
  address = ""
[metrics]
  address = ""
[plugins."io.containerd.internal.v1.opt"]
  path = "$DD/containerd/opt"
EOF
printf '{"deprecated-key-path": "%s/key.json"}\n' "$DD" >"$DD/daemon.json"
cat >"$DD/start.sh" <<EOF
set -e
mount -t tmpfs -o mode=0755,size=16m six-api-bench-run /run
ip link set lo up
containerd --config "$DD/containerd.toml" </dev/null >"$DD/containerd.log" 2>&1 &
echo \$! >"$DD/containerd.pid"
for i in \$(seq 300); do [ -S "$DD/containerd.sock" ] && break; sleep 0.1; done
exec dockerd --config-file "$DD/daemon.json" --data-root "$DD/data" --exec-root "$DD/exec" \\
  --pidfile "$DD/docker.pid" -H "unix://$DD_SOCK" --containerd "$DD/containerd.sock" \\
  --bridge=none --iptables=false --cgroup-parent "$DD_CGROUP_PARENT" \\
  --storage-driver overlay2 </dev/null >"$DD/dockerd.log" 2>&1
EOF
unshare --net --mount --propagation private bash "$DD/start.sh" </dev/null >"$DD/start.log" 2>&1 &
DOCKERD_PID=$!
wait_for 60 "$DOCKER" -H "unix://$DD_SOCK" version || { tail -5 "$DD/dockerd.log" >&2; exit 1; }
"$DOCKER" -H "unix://$DD_SOCK" import "$TMP/busybox.tar" busybox:latest >/dev/null

# Interleaved: each round runs every command once, so that the machine's load (shared, and it
# drifts) weighs on all of them alike; hyperfine would run each command's rounds in a block.
names=(
  "docker run --rm busybox true → sixdocker system service"
  "docker run --rm busybox true → dockerd (runc)"
  "sixdocker run --rm busybox true (CLI)"
  "docker version → sixdocker system service (client floor)"
  "docker run --rm --network none busybox true → sixdocker system service"
  "docker run --rm --network none busybox true → dockerd (runc)"
)
commands=(
  "$DOCKER -H unix://$SIX_SOCK run --rm busybox true"
  "$DOCKER -H unix://$DD_SOCK run --rm busybox true"
  "$SIX ${SIXC[*]} run --rm busybox true"
  "$DOCKER -H unix://$SIX_SOCK version"
  "$DOCKER -H unix://$SIX_SOCK run --rm --network none busybox true"
  "$DOCKER -H unix://$DD_SOCK run --rm --network none busybox true"
)
for round in $(seq -3 "$RUNS"); do # three warm-up rounds
  for i in "${!commands[@]}"; do
    start=$(date +%s%N)
    ${commands[$i]} >/dev/null || { echo "failed: ${commands[$i]}" >&2; exit 1; }
    end=$(date +%s%N)
    [ "$round" -gt 0 ] && echo "$i $(( (end - start) / 1000 ))" >>"$TMP/times"
  done
done
median() { # median of command $1, in ms
  awk -v i="$1" '$1 == i { print $2 / 1000 }' "$TMP/times" | sort -n |
    awk '{ v[NR] = $1 } END { print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }'
}
echo "medians of $RUNS interleaved rounds (ms), load average $(cut -d' ' -f1-3 /proc/loadavg):"
for i in "${!names[@]}"; do
  printf "  %-74s %8.1f\n" "${names[$i]}" "$(median "$i")"
done
api=$(median 0); dockerd=$(median 1); cli=$(median 2); floor=$(median 3)
api_none=$(median 4); dockerd_none=$(median 5)
# dockerd --bridge=none gives its containers no network; sixdocker's default is its bridge:
# the --network none pair compares the same work.
awk -v a="$api" -v d="$dockerd" -v c="$cli" -v f="$floor" -v an="$api_none" -v dn="$dockerd_none" 'BEGIN {
  printf "  through the service / through dockerd: %.2fx (goal <= 0.25x)\n", a / d
  printf "  the same with --network none on both: %.2fx\n", an / dn
  printf "  API overhead over the CLI (api - cli - floor): %.1f ms (goal <= 5 ms)\n", a - c - f
}'
