#!/usr/bin/env bash
# walkthrough.sh [SIXDOCKER]
#
# Runs docs/walkthrough.md top to bottom — the original sixDocker README's command lines, in
# its order, as a learner types them — against a private store (its own --root, --runroot,
# import folder; every container, network and image it makes is removed on exit, whatever
# happens) and checks what each line should do. Exits non-zero at the first line that does
# not. SIXDOCKER: the binary (default: target/debug/sixdocker of this checkout).
#
# The lines that want a terminal (`run -ti`, `exec`) run on a pseudo-terminal (`script`),
# with their input typed in. What differs from the README, and why, is said in
# docs/walkthrough.md: the port (a free one for 80), the subnet (10.211.50.0/24 for
# 172.18.0.0/16: the host may route that one), the host path of `-v`, `-image stress` and
# `-image nginx` for the lines that need those programs, and an `rm` wherever Docker keeps a
# finished container whose name the next line takes again.
#
# Needs: root, busybox-static, nginx-light, stress, script (util-linux), python3.
# Network traffic goes only to 127.0.0.1 and to the walkthrough's own containers.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
six_bin=${1:-$here/target/debug/sixdocker}
work=$(mktemp -d /tmp/sixdocker-walkthrough.XXXXXX)
export SIXDOCKER_IMAGE_DIR=$work/import SIXDOCKER_ORIGINAL_IMAGE_DIR=$work/original
export SIXDOCKER_NO_IP_FORWARD=1
SUBNET=10.211.50.0/24
PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
background=()

cleanup() {
  set +e
  for pid in "${background[@]}"; do kill "$pid" 2>/dev/null; done
  "$six_bin" --root "$work/root" --runroot "$work/run" system reset -f >/dev/null 2>&1
  grep -o " $work[^ ]*" /proc/self/mountinfo | sort -r | while read -r m; do umount -l "$m"; done
  rm -rf "$work"
}
trap cleanup EXIT

six() { "$six_bin" --root "$work/root" --runroot "$work/run" "$@"; }
# Shows a line as the learner types it, then runs it; its output is in $out (and shown,
# unless `quiet=1`).
line() {
  printf '\n$ sixdocker %s\n' "$*"
  out=$(six "$@" 2>&1) || { printf '%s\n' "$out"; fail "the line failed"; }
  [ "${quiet:-}" = 1 ] || printf '%s\n' "$out"
}
# Like `line`, on a terminal, with `input` typed in; its exit code is in $code.
tty_line() {
  local input=$1
  shift
  printf '\n$ sixdocker %s\n' "$*"
  local cmd
  cmd=$(printf '%q ' "$six_bin" --root "$work/root" --runroot "$work/run" "$@")
  code=0
  out=$(printf '%s' "$input" | script -qec "$cmd" /dev/null 2>&1) || code=$?
  printf '%s\n' "$out" | tail -n 12
}
fail() {
  echo "walkthrough: $*" >&2
  exit 1
}
expect() { # what the output must contain
  grep -qF -- "$1" <<<"$out" || fail "expected '$1' in the output above"
}
# Waits (at most 30 s) until `sixdocker ARGS` prints something containing `want`.
wait_for() {
  local want=$1
  shift
  for _ in $(seq 300); do
    if six "$@" 2>/dev/null | grep -qF -- "$want"; then return 0; fi
    sleep 0.1
  done
  fail "sixdocker $* never showed '$want'"
}
# Waits (at most 30 s) for nginx's page at $1; the page is in $page.
wait_for_page() {
  for _ in $(seq 300); do
    page=$(http_get "$1")
    [ -n "$page" ] && break
    sleep 0.1
  done
  grep -q "nginx" <<<"$page" || fail "nginx did not answer at $1"
}
http_get() { # the page at $1, or nothing
  python3 - "$1" <<'PY'
import sys, urllib.request
try:
    print(urllib.request.urlopen(sys.argv[1], timeout=2).read().decode())
except Exception:
    pass
PY
}

echo "== images: busybox is made from /bin/busybox on first use; nginx and stress by scripts"
mkdir -p "$SIXDOCKER_IMAGE_DIR"
bash "$here/scripts/make-nginx-image.sh" "$SIXDOCKER_IMAGE_DIR/nginx.tar" >/dev/null
bash "$here/scripts/make-stress-image.sh" "$SIXDOCKER_IMAGE_DIR/stress.tar" >/dev/null

echo "== 1. a shell in a container"
tty_line $'echo hello from $(hostname); exit 0\n' run -ti --name mycontainer -- /bin/sh
[ "$code" = 0 ] || fail "exit code $code"
expect "hello from "
line ps -a
expect "Exited (0)"
line rm mycontainer

echo "== 2. a detached container: ps, logs, exec, stop, rm"
quiet=1 line --trace run -d --name mycontainer -- top
for step in "clone3 CLONE_NEWNS" "pivot_root(new_root" "execve       /bin/top" "summary:"; do expect "$step"; done
printf '%s\n' "$out" | grep -E " (clone|pivot_root|execve) |^summary" | cut -c1-160
line ps
expect "mycontainer"
wait_for "PID" logs mycontainer
line logs mycontainer
expect "PID"
tty_line $'ps\nexit\n' exec -it mycontainer /bin/sh
expect "top"
line stop mycontainer
line rm mycontainer

echo "== 3. limits: memory, cpu shares, cpuset"
tty_line '' run -ti -m 100m --name test -image stress -- stress --vm-bytes 200m --vm-keep -m 1
expect "signal 9"
[ "$code" != 0 ] || fail "run said 0 for a stress that failed"
line inspect -f '{{.State.ExitCode}}' test
[ "$out" != 0 ] || fail "stress used 200 MB in a 100 MB container"
line rm test
tty_line $'cat /sys/fs/cgroup/cpu/cpu.shares /sys/fs/cgroup/cpu.weight 2>/dev/null; exit\n' \
  run -ti -cpushare 512 --name test -- /bin/sh
if [ -d /sys/fs/cgroup/cpu ]; then expect "512"; fi
line rm test
if [ "$(nproc)" -ge 2 ]; then
  tty_line $'cat /sys/fs/cgroup/cpuset/cpuset.cpus /sys/fs/cgroup/cpuset.cpus 2>/dev/null; exit\n' \
    run -ti -cpuset 0,1 --name test -- /bin/sh
  expect "0-1"
  line rm test
fi

echo "== 4. a volume"
mkdir -p "$work/host-path"
tty_line $'echo written inside > /container/path/note; exit\n' \
  run -ti -v "$work/host-path:/container/path:rw" --name test -- /bin/sh
[ "$(cat "$work/host-path/note")" = "written inside" ] || fail "the file is not on the host"
line rm test

echo "== 5. a network, a published port"
line network create -driver bridge -subnet "$SUBNET" docker0
line network list
expect "docker0"
line run -d --name web -network docker0 -p "$PORT:80" -image nginx -- nginx -g 'daemon off;'
wait_for_page "http://127.0.0.1:$PORT/"
echo "(http://127.0.0.1:$PORT/ answers: $(grep -o '<h1>.*</h1>' <<<"$page"))"
line stop web
line rm web
line network remove docker0
expect "docker0"

echo "== 6. commit, images"
tty_line $'echo hello > /greeting; exit\n' run -ti --name mycontainer -- /bin/sh
line commit -n mycontainer -t myimage
expect "sha256:"
line images
expect "myimage"
line run --rm -image myimage -- cat /greeting
expect "hello"
line rm mycontainer

echo "== 7. nginx on the terminal"
printf '\n$ sixdocker run -ti -image nginx --name web -- nginx -g '"'"'daemon off;'"'"'\n'
cmd=$(printf '%q ' "$six_bin" --root "$work/root" --runroot "$work/run" run -ti -image nginx --name web -- nginx -g 'daemon off;')
sleep 120 | script -qec "$cmd" /dev/null >"$work/web.out" 2>&1 &
background+=($!)
wait_for "Up" ps --filter name=web
ip=$(six inspect -f '{{.NetworkSettings.IPAddress}}' web)
wait_for_page "http://$ip/"
echo "(http://$ip/ answers)"
line stop web
wait_for "Exited" ps -a --filter name=web
line rm web

echo "== 8. environment variables"
line run -d -e KEY1=value1 -e KEY2=value2 --name test -- /bin/sh
line inspect -f '{{join .Config.Env " "}}' test
expect "KEY1=value1"
expect "KEY2=value2"
# /bin/sh without a terminal ends at once; rm refuses it until it has.
wait_for "Exited" ps -a --filter name=test
line rm test

echo
echo "walkthrough: every line did what docs/walkthrough.md says"
