# containerd.sh: the containerd half of the compat suite (sourced by run.sh).
# Owns: a containerd of the suite's own (config, root, state, temp, grpc and ttrpc sockets,
# the shim's runc root, IO FIFOs: all under $CTR_DIR; namespace "$PREFIX") and one check per
# containerd feature of issue 3, run through `ctr` with the runtime as the shim's runc binary.
# Never talks to the host's containerd (/run/containerd/containerd.sock). Every container
# gets an absolute cgroup path below "$CG_CTR" (the suite's own cgroup subtree): containerd's
# default, /<namespace>/<id>, is taken from the root of each hierarchy, as runc does.
# shellcheck shell=bash

CTR_DIR="$TMP/containerd"
CTR_SOCK="$CTR_DIR/containerd.sock"
CONTAINERD_PID=""
CTR_IMAGE=""

CG_CTR=$(suite_cgroup ctr)
# ctr_cgroup ID: the `ctr run` option placing container ID below the suite's own cgroup.
ctr_cgroup() { printf -- '--cgroup=%s/%s' "$CG_CTR" "$1"; }
# cr ARGS...: ctr against the suite's containerd and namespace, bounded in time.
cr() { timeout -k 5 30 ctr --address "$CTR_SOCK" -n "$PREFIX" "$@" 2>"$TMP/last.err"; }
# The options that make `ctr run` use the runtime under test, with its state under $CTR_DIR.
CTR_RUN=(run --runtime io.containerd.runc.v2 --runc-binary "$RUNTIME" --runc-root "$CTR_DIR/runc"
  --fifo-dir "$CTR_DIR/fifo")

containerd_start() {
  mkdir -p "$CTR_DIR"/{root,state,tmp,opt,runc,fifo}
  cat >"$CTR_DIR/config.toml" <<EOF
# The compat suite's own containerd: every path under $CTR_DIR.
version = 2
root = "$CTR_DIR/root"
state = "$CTR_DIR/state"
temp = "$CTR_DIR/tmp"
disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.snapshotter.v1.btrfs",
  "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper",
  "io.containerd.snapshotter.v1.aufs", "io.containerd.internal.v1.tracing",
  "io.containerd.tracing.processor.v1.otlp"]
[grpc]
  address = "$CTR_SOCK"
[ttrpc]
  address = "$CTR_SOCK.ttrpc"
[debug]
  address = ""
  level = "info"
[metrics]
  address = ""
[plugins."io.containerd.internal.v1.opt"]
  path = "$CTR_DIR/opt"
EOF
  containerd --config "$CTR_DIR/config.toml" </dev/null >"$CTR_DIR/containerd.log" 2>&1 &
  CONTAINERD_PID=$!
  if ! wait_for 30 cr version; then
    fail "containerd starts (own root, state and socket)" "not answering on $CTR_SOCK within 30 s: $(tail -n 3 "$CTR_DIR/containerd.log" | one_line)"
    return 1
  fi
  pass "containerd starts (own root, state and socket)"
}

c_ctr_import() {
  if [ -z "${CONTAINERS_CONF:-}" ]; then # the Podman half did not run (SIXCOMPAT_ONLY)
    podman_configure
    c_import || return 1
  fi
  po save --format docker-archive -o "$TMP/image/busybox-docker.tar" "$IMAGE" >/dev/null || failed $? || return 1
  cr images import "$TMP/image/busybox-docker.tar" >/dev/null || failed $? || return 1
  cr images ls -q | grep -qx "$IMAGE" || { echo "image $IMAGE not listed after import: $(cr images ls -q | tr '\n' ' ')"; return 1; }
}
c_ctr_echo() {
  local out
  out=$(cr "${CTR_RUN[@]}" "$(ctr_cgroup echo)" --rm "$IMAGE" "$PREFIX-echo" echo hi) || failed $? || return 1
  want_eq stdout hi "$out"
}
c_ctr_exit_code() {
  cr "${CTR_RUN[@]}" "$(ctr_cgroup exit)" --rm "$IMAGE" "$PREFIX-exit" sh -c 'exit 3'
  local rc=$?
  [ "$rc" -eq 3 ] || { echo "ctr's exit code: expected 3, got $rc: $(err_summary "$TMP/last.err")"; return 1; }
}
# The shim reads the runtime's error from its --log file (--log-format json): it must arrive.
c_ctr_error() {
  cr "${CTR_RUN[@]}" "$(ctr_cgroup missing)" --rm "$IMAGE" "$PREFIX-missing" /no/such/program >/dev/null
  local rc=$?
  [ "$rc" -ne 0 ] || { echo "ctr run of a missing program succeeded"; return 1; }
  grep -q /no/such/program "$TMP/last.err" || { echo "the runtime's error did not reach ctr: $(err_summary "$TMP/last.err")"; return 1; }
  cr containers delete "$PREFIX-missing" 2>/dev/null
  return 0
}
c_ctr_env() {
  local out
  out=$(cr "${CTR_RUN[@]}" "$(ctr_cgroup env)" --rm --env SIXKEY=six-value "$IMAGE" "$PREFIX-env" sh -c 'echo "$SIXKEY"') || failed $? || return 1
  want_eq '$SIXKEY' six-value "$out"
}

LONG="$PREFIX-long"
task_status() { cr task ls | awk -v id="$1" '$1 == id { print $3 }'; }
task_is() { [ "$(task_status "$1")" = "$2" ]; }
c_ctr_run_detached() {
  cr "${CTR_RUN[@]}" --cgroup "$LONG_CGROUP" -d --null-io "$IMAGE" "$LONG" sleep 1000 >/dev/null || failed $? || return 1
  wait_for 20 task_is "$LONG" RUNNING || { echo "task status: expected RUNNING, got '$(task_status "$LONG")'"; return 1; }
}
# kubelet's kind of path (/kubepods/burstable/pod<uid>/<id>), below the suite's own cgroup.
LONG_CGROUP="$CG_CTR/kubepods/burstable/pod-$RUNID/$LONG"
# The OCI spec and runc read an absolute cgroupsPath from the root of each hierarchy: kubelet
# finds its pods there. The task's init must be at exactly that path in every hierarchy.
c_ctr_cgroup_path() {
  local pid line lines
  pid=$(cr task ls | awk -v id="$LONG" '$1 == id { print $2 }')
  [ -n "$pid" ] && [ "$pid" != 0 ] || { echo "no pid for task $LONG: $(cr task ls | tr '\n' ' ')"; return 1; }
  lines=$(cat "/proc/$pid/cgroup") || return 1
  while IFS= read -r line; do
    [ "${line#*:*:}" = "$LONG_CGROUP" ] || { echo "task's init (pid $pid) not at $LONG_CGROUP: $line"; return 1; }
  done <<<"$lines"
}
c_ctr_exec() {
  local out
  out=$(cr task exec --exec-id "exec1" --fifo-dir "$CTR_DIR/fifo" "$LONG" sh -c 'echo "in-exec $(cat /proc/1/cmdline | tr "\0" " ")"') || failed $? || return 1
  want_eq "exec output (and the task's pid 1)" "in-exec sleep 1000 " "$out"
}
c_ctr_exec_options() {
  local out
  out=$(cr task exec --exec-id "exec3" --fifo-dir "$CTR_DIR/fifo" --user 1000 --cwd /tmp "$LONG" sh -c 'echo "$(id -u) $PWD"') || failed $? || return 1
  want_eq "uid and cwd in exec --user 1000 --cwd /tmp" "1000 /tmp" "$out"
}
c_ctr_exec_exit_code() {
  cr task exec --exec-id "exec2" --fifo-dir "$CTR_DIR/fifo" "$LONG" sh -c 'exit 5'
  local rc=$?
  [ "$rc" -eq 5 ] || { echo "exec's exit code: expected 5, got $rc: $(err_summary "$TMP/last.err")"; return 1; }
}
c_ctr_kill() {
  cr task kill -s SIGKILL "$LONG" || failed $? || return 1
  wait_for 20 task_is "$LONG" STOPPED || { echo "task status after kill: expected STOPPED, got '$(task_status "$LONG")'"; return 1; }
}
c_ctr_delete() {
  local out
  out=$(cr task delete "$LONG") || failed $? || return 1
  cr containers delete "$LONG" || failed $? || return 1
  [ -z "$(cr task ls -q)" ] || { echo "tasks left: $(cr task ls -q | tr '\n' ' ')"; return 1; }
  [ -z "$(cr containers ls -q)" ] || { echo "containers left: $(cr containers ls -q | tr '\n' ' ')"; return 1; }
  [ ! -e "$CTR_DIR/runc/$PREFIX/$LONG" ] || { echo "runtime state $CTR_DIR/runc/$PREFIX/$LONG left after delete"; return 1; }
}

# ctr run -t: the shim hands the runtime a --console-socket; ctr's own terminal is a tmux pane.
c_ctr_run_tty() {
  terminal_check ctr-run-t 4 ctr --address "$CTR_SOCK" -n "$PREFIX" "${CTR_RUN[@]}" "$(ctr_cgroup tty)" -t --rm "$IMAGE" "$PREFIX-tty" sh
}

containerd_suite() {
  containerd_start || return 0
  check "ctr image import (busybox docker-archive)" c_ctr_import
  check "ctr run --rm echo hi" c_ctr_echo
  check "ctr run exit code (sh -c 'exit 3' -> 3)" c_ctr_exit_code
  check "ctr run --env KEY=VALUE" c_ctr_env
  check "ctr run of a missing program (the runtime's JSON log error reaches ctr)" c_ctr_error
  terminal_checks "ctr run -t (terminal size, exit code)" c_ctr_run_tty
  check "ctr run -d sleep 1000 (task RUNNING)" c_ctr_run_detached
  check "ctr run --cgroup /ABS/PATH: the task is at exactly that path in every hierarchy" c_ctr_cgroup_path
  check "ctr task exec --exec-id" c_ctr_exec
  check "ctr task exec exit code (5)" c_ctr_exec_exit_code
  check "ctr task exec --user 1000 --cwd /tmp" c_ctr_exec_options
  check "ctr task kill -s SIGKILL (task STOPPED)" c_ctr_kill
  check "ctr task delete + container delete" c_ctr_delete
  check "containerd: nothing left after its containers are gone (cgroups, runtime state, mounts)" tool_leftovers
}
