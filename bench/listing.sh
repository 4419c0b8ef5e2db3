#!/usr/bin/env bash
# Times the listing commands scripts call most — `ps`, `ps -a`, `images`, `inspect` of a
# container and of an image, `logs` of a container that printed 100 lines, and
# `ps -a --format '{{.Names}}'` — on a store holding 100 containers and 100 images (issues 12
# and 17: each under 5 ms). Release build, hyperfine, a private store removed on exit. With
# DOCKER_HOST set to a running Docker engine holding the same (100 imported images
# bench-image-N, 100 created containers bench-cN, and bench-log run as below), the same
# commands are timed through the docker CLI beside ours.
# RUNNING=1: the N containers run (`run -d` on a user-defined network of SUBNET, default
# 10.250.18.0/24, each `sleep 1d`) instead of being only created, as issue 17 asks.
# SIXDOCKER=path/to/sixdocker times that binary instead of building one.
# Usage: bench/listing.sh [RUNS]   (needs root, hyperfine, python3)
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-50}
N=100
SUBNET=${SUBNET:-10.250.18.0/24}
export SIXDOCKER_NO_IP_FORWARD=1  # never touch the host's ip_forward from sixdocker

if [ -z "${SIXDOCKER:-}" ]; then
  cargo build --release -p sixdocker >&2
fi
SIX="${SIXDOCKER:-$PWD/target/release/sixdocker}"
. bench/lib/private-store.sh
private_store sixdocker-listing

# N distinct images: tiny root filesystems, one file each, imported under their own names.
python3 - "$TMP/tars" "$N" <<'PY'
import io, os, sys, tarfile
out, n = sys.argv[1], int(sys.argv[2])
os.makedirs(out)
for i in range(n):
    with tarfile.open(f"{out}/{i}.tar", "w") as t:
        data = f"image {i}\n".encode()
        info = tarfile.TarInfo(f"file{i}")
        info.size = len(data)
        t.addfile(info, io.BytesIO(data))
PY
for i in $(seq 0 $((N - 1))); do
  "$SIX" "${SIXC[@]}" import "$TMP/tars/$i.tar" "bench-image-$i:latest" >/dev/null
done
# N containers on the default image: created, not started (listing reads their records), or
# with RUNNING=1 running on a network of their own.
if [ -n "${RUNNING:-}" ]; then
  "$SIX" "${SIXC[@]}" network create --subnet "$SUBNET" benchnet >/dev/null
  for i in $(seq 1 "$N"); do
    "$SIX" "${SIXC[@]}" run -d --network benchnet --name "bench-c$i" busybox sleep 1d >/dev/null
  done
else
  for i in $(seq 1 "$N"); do
    "$SIX" "${SIXC[@]}" create --name "bench-c$i" busybox true >/dev/null
  done
fi
# One that has run and printed, for `logs`.
"$SIX" "${SIXC[@]}" run --name bench-log --network none busybox \
  sh -c 'for i in $(seq 1 100); do echo line $i; done' >/dev/null
echo "store: $("$SIX" "${SIXC[@]}" ps -a -q | wc -l) containers ($("$SIX" "${SIXC[@]}" ps -q | wc -l) running), $("$SIX" "${SIXC[@]}" images -q | sort -u | wc -l) images" >&2

cmds=(
  -n "sixdocker ps" "$SIX ${SIXC[*]} ps"
  -n "sixdocker ps -a" "$SIX ${SIXC[*]} ps -a"
  -n "sixdocker ps -a --format {{.Names}}" "$SIX ${SIXC[*]} ps -a --format {{.Names}}"
  -n "sixdocker images" "$SIX ${SIXC[*]} images"
  -n "sixdocker inspect (container)" "$SIX ${SIXC[*]} inspect bench-c50"
  -n "sixdocker inspect (image)" "$SIX ${SIXC[*]} inspect bench-image-50"
  -n "sixdocker logs" "$SIX ${SIXC[*]} logs bench-log"
)
if [ -n "${DOCKER_HOST:-}" ]; then
  cmds+=(
    -n "docker ps" "docker ps"
    -n "docker ps -a" "docker ps -a"
    -n "docker ps -a --format {{.Names}}" "docker ps -a --format {{.Names}}"
    -n "docker images" "docker images"
    -n "docker inspect (container)" "docker inspect bench-c50"
    -n "docker inspect (image)" "docker inspect bench-image-50"
    -n "docker logs" "docker logs bench-log"
  )
fi
# A listing reads the record of every container changed in the last 2 s again (its cache
# keeps only settled entries: crates/engine/src/listing.rs, SETTLED), so right after the
# setup above every `ps` reads ~100 records. Time the store as it is once its containers have
# been running a while (issue 17: "stay under 5 ms"); SETTLE=0 times the first seconds.
sleep "${SETTLE:-3}"
"$SIX" "${SIXC[@]}" ps -a >/dev/null
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
hyperfine -N --warmup 5 --runs "$RUNS" --export-json "$TMP/listing.json" "${cmds[@]}" >&2
python3 - "$TMP/listing.json" <<'PY'
import json, sys
for r in json.load(open(sys.argv[1]))["results"]:
    print(f"{r['command']:<45} median {r['median']*1000:7.2f} ms  (min {r['min']*1000:6.2f})")
PY
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
