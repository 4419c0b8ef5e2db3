#!/usr/bin/env bash
# run.sh RUNTIME_PATH: the Podman/containerd/dockerd compatibility suite (issues 3 and 9).
#
# Proves that Podman, containerd and Docker's daemon from Debian can run their containers on the given
# runc-compatible OCI runtime (target/debug/sixrun, or /usr/sbin/runc as the reference).
# Prints one line per check ("ok   NAME" or "FAIL NAME: reason"), then "N passed, N failed",
# and exits non-zero when anything failed. Needs root; no tty, no stdin, no network beyond
# loopback and the suite's own containers.
#
# Owns: one temporary folder (TMP) holding every piece of state it creates: Podman's root,
# runroot, tmp dir, network config and containers.conf; its own containerd (root, state,
# sockets, runc root); a dockerd of its own in its own network and mount namespaces, with its
# own containerd and registry (docker.sh); the busybox image built from /bin/busybox; a tmux
# server for the tty checks. Everything is undone by one EXIT trap (cleanup.sh), then checked for leftovers.
# Never touches state it did not create: other containers, the host's podman, containerd or
# dockerd, cgroups, bridges or firewall rules that existed before it started. Container cgroups
# are absolute paths below the suite's own cgroup (runtimes take them from the root).
#
# Environment:
#   SIXCOMPAT_ONLY=podman|containerd|docker  run one part only (debugging)
#   SIXCOMPAT_LOG_CALLS=FILE          wrap the runtime in log-runtime.sh and append every
#                                     runtime call (argv, one line each) to FILE
#   SIXCOMPAT_KEEP_LOGS=DIR           copy containerd's and dockerd's logs and Podman's events to DIR
#   SIXCOMPAT_PODMAN_RUN_OPTS="..."   extra `podman run` options (debugging: look past one failure)
#   SIXCOMPAT_NETWORK_BACKEND=netavark|cni  Podman's network backend (default: netavark when
#                                     installed, else CNI)
#   SIXCOMPAT_BUDGET=SECONDS          checks not started by then fail unrun (default 420)
set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib.sh
. "$HERE/lib.sh"

usage() { echo "usage: $0 RUNTIME_PATH   (an absolute path to a runc-compatible runtime)" >&2; exit 2; }
[ $# -eq 1 ] || usage
case $1 in /*) ;; *) usage ;; esac
if [ ! -x "$1" ]; then echo "run.sh: runtime $1 is not an executable file" >&2; exit 2; fi
if [ "$(id -u)" != 0 ]; then echo "run.sh: the compat suite needs root" >&2; exit 2; fi
for tool in podman conmon containerd ctr iptables iptables-save ip tar timeout sha256sum; do
  command -v "$tool" >/dev/null || { echo "run.sh: $tool is not installed (see .ci/run)" >&2; exit 2; }
done

START_SECONDS=$SECONDS
exec </dev/null # nothing reads the caller's stdin (CI has none; a terminal must not be eaten)
REAL_RUNTIME=$1
RUNID=$$
PREFIX="sixcompat-$RUNID"          # container names, containerd namespace, cgroup parent
BRIDGE="sxc$RUNID"                 # the bridge of Podman's default network in this suite
SUBNET_OCTET=$((RUNID % 200 + 20)) # Podman's default network here: 10.213.<octet>.0/24
SUBNET="10.213.$SUBNET_OCTET.0/24"
SUBNET_PREFIX="10.213.$SUBNET_OCTET."
# Container cgroups: absolute paths, which runtimes take from the root of each hierarchy (as
# the OCI spec says), so the suite picks them below its own cgroup.
OWN_CGROUP=$(own_cgroup) || exit 2
# suite_cgroup NAME: the cgroup parent of one tool's containers (cleanup.sh finds "$PREFIX*").
suite_cgroup() { printf '%s/%s-%s' "${OWN_CGROUP%/}" "$PREFIX" "$1"; }
TMP=$(mktemp -d /tmp/sixcompat.XXXXXX)
chmod 755 "$TMP"
export TMPDIR="$TMP/tmpdir"
mkdir -p "$TMPDIR"

# shellcheck source=cleanup.sh
. "$HERE/cleanup.sh" # also records what existed before (firewall, runtime state)
on_interrupt() {
  trap - EXIT INT TERM
  cleanup_all
  check_leftovers
  fail "the suite ran to its end" "interrupted by a signal"
  printf '%s passed, %s failed\n' "$PASSED" "$FAILED"
  exit 130
}
trap on_interrupt INT TERM
trap 'cleanup_all' EXIT

# The runtime Podman and containerd are told to use: the real one, or log-runtime.sh in front
# of it. The wrapper keeps the real binary's name, because Podman decides some flags by the
# runtime's name (runtime_supports_json in containers.conf).
RUNTIME=$REAL_RUNTIME
if [ -n "${SIXCOMPAT_LOG_CALLS:-}" ]; then
  mkdir -p "$TMP/logbin"
  RUNTIME="$TMP/logbin/$(basename "$REAL_RUNTIME")"
  cp "$HERE/log-runtime.sh" "$RUNTIME"
  chmod +x "$RUNTIME"
  printf 'SIXCOMPAT_REAL_RUNTIME=%q\nSIXCOMPAT_RUNTIME_LOG=%q\n' "$REAL_RUNTIME" "$SIXCOMPAT_LOG_CALLS" >"$RUNTIME.conf"
fi

echo "# compat suite: runtime $REAL_RUNTIME, state in $TMP"

# ---------------------------------------------------------------------------------------------
# The busybox image: a rootfs made from /bin/busybox (Debian's busybox-static), as a tar.
make_rootfs_tar() {
  local root="$TMP/image/rootfs" applet
  [ -x /bin/busybox ] || { echo "/bin/busybox is missing (install busybox-static)"; return 1; }
  mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,etc,tmp,root,home/user,proc,sys,dev,run,var/tmp}
  chmod 1777 "$root/tmp" "$root/var/tmp"
  cp /bin/busybox "$root/bin/busybox"
  for applet in $(/bin/busybox --list-full); do
    [ -e "$root/$applet" ] || ln -s /bin/busybox "$root/$applet"
  done
  printf 'root:x:0:0:root:/root:/bin/sh\nuser:x:1000:1000:user:/home/user:/bin/sh\n' >"$root/etc/passwd"
  printf 'root:x:0:\nuser:x:1000:\n' >"$root/etc/group"
  chown 1000:1000 "$root/home/user"
  tar --numeric-owner -C "$root" -cf "$TMP/image/rootfs.tar" .
}
mkdir -p "$TMP/image"
if ! out=$(make_rootfs_tar 2>&1); then
  fail "build busybox rootfs" "$(printf '%s\n' "$out" | one_line)"
  printf '%s passed, %s failed\n' "$PASSED" "$FAILED"
  exit 1
fi
IMAGE=localhost/sixcompat/busybox:latest

# shellcheck source=terminal.sh
. "$HERE/terminal.sh"
# shellcheck source=podman.sh
. "$HERE/podman.sh"
# shellcheck source=containerd.sh
. "$HERE/containerd.sh"
# shellcheck source=docker.sh
. "$HERE/docker.sh"

case ${SIXCOMPAT_ONLY:-} in
  podman) podman_suite ;;
  containerd) containerd_suite ;;
  docker) docker_suite ;;
  *) podman_suite; containerd_suite; docker_suite ;;
esac

trap - EXIT INT TERM
cleanup_all
check_leftovers
echo "# wall time $((SECONDS - START_SECONDS)) s"
printf '%s passed, %s failed\n' "$PASSED" "$FAILED"
[ "$FAILED" -eq 0 ]
