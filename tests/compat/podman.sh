# podman.sh: the Podman half of the compat suite (sourced by run.sh).
# Owns: Podman's configuration under $TMP/podman (containers.conf, storage.conf, an empty
# registries.conf, a network of its own as Podman's default network), and one check per
# Podman feature of issue 3. Every container it makes is named "$PREFIX-..." and placed in
# the cgroup parent "$CG_PODMAN" (below the suite's own cgroup), so cleanup.sh can find them
# all. Never pulls from a registry.
# shellcheck shell=bash

PODMAN_DIR="$TMP/podman"
NETWORK_BACKEND=netavark # chosen by podman_suite

PODMAN=(podman --runtime "$RUNTIME" --root "$PODMAN_DIR/root" --runroot "$PODMAN_DIR/runroot"
  --tmpdir "$PODMAN_DIR/tmp" --cgroup-manager cgroupfs --events-backend file --storage-driver overlay)

podman_configure() {
  mkdir -p "$PODMAN_DIR"/{root,runroot,tmp,net,volumes}
  cat >"$PODMAN_DIR/containers.conf" <<EOF
# The compat suite's own Podman configuration: every path under $PODMAN_DIR.
[containers]
# This machine's hard RLIMIT_NOFILE is 20000 and root lacks CAP_SYS_RESOURCE, so Podman's
# default (1048576) cannot be applied.
default_ulimits = ["nofile=4096:4096", "nproc=4096:4096"]
# conmon stays in the cgroup it was started in (the suite's own); only containers get cgroups.
cgroups = "no-conmon"

[network]
network_backend = "$NETWORK_BACKEND"
network_config_dir = "$PODMAN_DIR/net"
# netavark names its firewall chains after the network's name: a name of the suite's own.
default_network = "$PREFIX"

[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "$PODMAN_DIR/events.log"
tmp_dir = "$PODMAN_DIR/tmp"
static_dir = "$PODMAN_DIR/root/libpod"
volume_path = "$PODMAN_DIR/volumes"
image_copy_tmp_dir = "$TMPDIR"
# File locks under tmp_dir instead of the host-wide /dev/shm/libpod_lock.
lock_type = "file"
# The "podman container cleanup" that conmon runs when a container exits must read this file too.
conmon_env_vars = ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "CONTAINERS_CONF=$PODMAN_DIR/containers.conf", "CONTAINERS_STORAGE_CONF=$PODMAN_DIR/storage.conf", "CONTAINERS_REGISTRIES_CONF=$PODMAN_DIR/registries.conf", "TMPDIR=$TMPDIR"]
EOF
  cat >"$PODMAN_DIR/storage.conf" <<EOF
[storage]
driver = "overlay"
graphroot = "$PODMAN_DIR/root"
runroot = "$PODMAN_DIR/runroot"
EOF
  printf 'unqualified-search-registries = []\n' >"$PODMAN_DIR/registries.conf"
  if [ "$NETWORK_BACKEND" = netavark ]; then
    cat >"$PODMAN_DIR/net/$PREFIX.json" <<EOF
{
  "name": "$PREFIX",
  "id": "$(printf '%s' "$PREFIX" | sha256sum | cut -c1-64)",
  "driver": "bridge",
  "network_interface": "$BRIDGE",
  "created": "2026-01-01T00:00:00Z",
  "subnets": [{"subnet": "$SUBNET", "gateway": "${SUBNET_PREFIX}1"}],
  "ipv6_enabled": false,
  "internal": false,
  "dns_enabled": false,
  "ipam_options": {"driver": "host-local"}
}
EOF
  else
    # CNI: only the bridge plugin (no masquerade, no firewall or portmap plugin: no iptables
    # rules at all); host-local keeps its leases under $PODMAN_DIR.
    cat >"$PODMAN_DIR/net/$PREFIX.conflist" <<EOF
{
  "cniVersion": "0.4.0",
  "name": "$PREFIX",
  "plugins": [
    {
      "type": "bridge",
      "bridge": "$BRIDGE",
      "isGateway": true,
      "ipMasq": false,
      "hairpinMode": true,
      "ipam": {
        "type": "host-local",
        "routes": [{"dst": "0.0.0.0/0"}],
        "ranges": [[{"subnet": "$SUBNET", "gateway": "${SUBNET_PREFIX}1"}]],
        "dataDir": "$PODMAN_DIR/cni-leases"
      }
    }
  ]
}
EOF
  fi
  export CONTAINERS_CONF="$PODMAN_DIR/containers.conf"
  export CONTAINERS_STORAGE_CONF="$PODMAN_DIR/storage.conf"
  export CONTAINERS_REGISTRIES_CONF="$PODMAN_DIR/registries.conf"
}

# po ARGS...: Podman with the suite's flags, bounded in time; stderr kept for failure reasons.
po() { timeout -k 5 30 "${PODMAN[@]}" "$@" 2>"$TMP/last.err"; }
# prun ARGS...: "podman run" with the suite's cgroup parent.
# SIXCOMPAT_PODMAN_RUN_OPTS (debugging only): extra options for every run, e.g.
# "--security-opt seccomp=unconfined" to look past one missing feature.
read -r -a PODMAN_RUN_EXTRA <<<"${SIXCOMPAT_PODMAN_RUN_OPTS:-}"
# Podman's cgroupsPath is /<parent>/libpod-ID, an absolute path: from the root of each
# hierarchy, so the parent is a path below the suite's own cgroup.
CG_PODMAN=$(suite_cgroup podman)
prun() { po run --cgroup-parent "$CG_PODMAN" "${PODMAN_RUN_EXTRA[@]}" "$@"; }
# failed EXIT_STATUS: the reason for a failed command: its status and its last stderr lines.
# Podman's first "Error:" line is the cause; later lines are often about undoing.
failed() { echo "exit status $1: $(err_summary "$TMP/last.err")"; return 1; }
err_summary() {
  local text
  text=$(tr -d '\0' <"$1" 2>/dev/null)
  printf '%s\n' "$text" | grep -m 1 -E '^Error' || printf '%s\n' "$text" | grep -m 1 'level=error' ||
    printf '%s\n' "$text" | tail -n 3
}
# inside ARGS...: "podman run --rm" of a shell command; prints its stdout or fails with reason.
inside() {
  local out rc
  out=$(prun --rm "$@")
  rc=$?
  [ "$rc" -eq 0 ] || failed "$rc" || return 1
  printf '%s\n' "$out"
}

# ---- setup checks -----------------------------------------------------------------------------
c_import() {
  po import --change 'CMD ["/bin/sh"]' "$TMP/image/rootfs.tar" "$IMAGE" >/dev/null || failed $?
}
# Podman's default network is the suite's (named in containers.conf, defined in its own
# network_config_dir): its bridge and subnet are not the host-wide podman0 and 10.88.0.0/16.
c_default_network() {
  local out
  out=$(po network inspect --format '{{.NetworkInterface}} {{range .Subnets}}{{.Subnet}}{{end}}' "$PREFIX") || failed $? || return 1
  want_eq "default network's bridge and subnet" "$BRIDGE $SUBNET" "$out"
}

# ---- podman run -------------------------------------------------------------------------------
c_echo() { local out; out=$(inside "$IMAGE" echo hi) || { echo "$out"; return 1; }; want_eq stdout hi "$out"; }
c_exit_code() {
  prun --rm "$IMAGE" sh -c 'exit 3'
  local rc=$?
  [ "$rc" -eq 3 ] || { echo "podman's exit code: expected 3, got $rc: $(err_summary "$TMP/last.err")"; return 1; }
}
# Podman maps the runtime's error text to 127 (not found) and 126 (not executable), like a shell.
c_missing_program() {
  prun --rm "$IMAGE" /no/such/program
  local rc=$?
  [ "$rc" -eq 127 ] || { echo "podman's exit code: expected 127, got $rc: $(err_summary "$TMP/last.err")"; return 1; }
  grep -q /no/such/program "$TMP/last.err" || { echo "the error does not name the program: $(err_summary "$TMP/last.err")"; return 1; }
}
c_not_executable() {
  prun --rm "$IMAGE" /etc/passwd
  local rc=$?
  [ "$rc" -eq 126 ] || { echo "podman's exit code: expected 126, got $rc: $(err_summary "$TMP/last.err")"; return 1; }
}
c_env() {
  local out
  out=$(inside -e SIXKEY=six-value "$IMAGE" sh -c 'echo "$SIXKEY"') || { echo "$out"; return 1; }
  want_eq '$SIXKEY' six-value "$out"
}
c_volume() {
  local dir="$TMP/volume-data" out
  mkdir -p "$dir"
  out=$(inside -v "$dir:/data" "$IMAGE" sh -c 'echo written-inside >/data/file') || { echo "$out"; return 1; }
  [ -f "$dir/file" ] || { echo "no file $dir/file on the host after writing /data/file inside"; return 1; }
  want_eq "host's copy of /data/file" written-inside "$(cat "$dir/file")"
}
c_workdir() { local out; out=$(inside -w /tmp "$IMAGE" pwd) || { echo "$out"; return 1; }; want_eq pwd /tmp "$out"; }
c_user() { local out; out=$(inside -u 1000 "$IMAGE" id -u) || { echo "$out"; return 1; }; want_eq "id -u" 1000 "$out"; }
# Podman's spec denies all devices in linux.resources.devices and lists none to allow: the
# runtime must allow its default set (runc 1.1: null, zero, full, random, urandom, tty, ptmx,
# pts, tun) as runc does, or nothing in the container can open /dev/null.
c_devices() {
  local out
  out=$(inside "$IMAGE" sh -c 'echo x >/dev/null && head -c 4 /dev/zero | wc -c && head -c 4 /dev/urandom | wc -c && head -c 4 /dev/full | wc -c') || { echo "$out"; return 1; }
  want_eq "bytes read from /dev/zero, /dev/urandom, /dev/full after writing /dev/null" "4
4
4" "$out"
}
c_memory() {
  local out
  out=$(inside --memory 64m "$IMAGE" sh -c \
    'cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || cat /sys/fs/cgroup/memory.max') || { echo "$out"; return 1; }
  want_eq "memory limit in the container's cgroup" 67108864 "$out"
}
c_pids() {
  local out
  out=$(inside --pids-limit 50 "$IMAGE" sh -c \
    'cat /sys/fs/cgroup/pids/pids.max 2>/dev/null || cat /sys/fs/cgroup/pids.max') || { echo "$out"; return 1; }
  want_eq "pids.max in the container's cgroup" 50 "$out"
}
c_cpus() {
  local out
  out=$(inside --cpus 0.5 "$IMAGE" sh -c \
    'if [ -e /sys/fs/cgroup/cpu/cpu.cfs_quota_us ]; then echo "$(cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us) $(cat /sys/fs/cgroup/cpu/cpu.cfs_period_us)"; else cat /sys/fs/cgroup/cpu.max; fi') || { echo "$out"; return 1; }
  want_eq "cfs quota and period in the container's cgroup" "50000 100000" "$out"
}
c_network_none() {
  local out
  out=$(inside --network none "$IMAGE" sh -c "tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' '") || { echo "$out"; return 1; }
  want_eq "network interfaces" lo "$out"
}
# Podman's default network (the suite's own bridge): the container has an address in the
# subnet, a default route, and reaches its own address. No traffic leaves the container.
c_network_default() {
  local out addr
  out=$(inside "$IMAGE" sh -c 'ip -4 -o addr show dev eth0; cat /proc/net/route') || { echo "$out"; return 1; }
  addr=$(printf '%s\n' "$out" | sed -n 's/.* inet \([0-9.]*\)\/.*/\1/p' | head -n 1)
  case $addr in "$SUBNET_PREFIX"*) ;; *) echo "eth0 address: expected one in $SUBNET, got ${addr:-none}: $out"; return 1 ;; esac
  printf '%s\n' "$out" | grep -Eq '^eth0[[:space:]]+00000000[[:space:]]' || { echo "no default route via eth0 in /proc/net/route: $out"; return 1; }
  out=$(inside "$IMAGE" sh -c 'a=$(ip -4 -o addr show dev eth0 | sed "s/.* inet \([0-9.]*\)\/.*/\1/"); ping -c 1 -W 3 "$a" >/dev/null && echo reached-own-address') || { echo "$out"; return 1; }
  want_eq "ping of the container's own address" reached-own-address "$out"
}
c_read_only() {
  local out
  out=$(inside --read-only "$IMAGE" sh -c 'if touch /root-file 2>/dev/null; then echo root-writable; else echo root-read-only; fi; touch /tmp/f && echo tmp-writable') || { echo "$out"; return 1; }
  want_eq "writes to / and /tmp" "root-read-only
tmp-writable" "$out"
}
c_cap_drop_all_add() {
  local out
  out=$(inside --cap-drop all --cap-add NET_ADMIN "$IMAGE" sh -c 'grep ^CapEff: /proc/self/status | cut -f2') || { echo "$out"; return 1; }
  want_eq "CapEff (only CAP_NET_ADMIN, bit 12)" 0000000000001000 "$out"
}
c_cap_drop_one() {
  local out
  out=$(inside --cap-drop CHOWN "$IMAGE" sh -c 'grep ^CapEff: /proc/self/status | cut -f2') || { echo "$out"; return 1; }
  [ -n "$out" ] || { echo "no CapEff line"; return 1; }
  if (((16#$out & 1) != 0 || (16#$out >> 5 & 1) != 1)); then
    echo "CapEff $out: expected CAP_CHOWN (bit 0) dropped and CAP_KILL (bit 5) kept"
    return 1
  fi
}

# ---- a detached container: run -d, ps, exec, exec -it, stop, rm -------------------------------
BG="$PREFIX-bg"
c_run_detached() {
  local out
  out=$(prun -d --name "$BG" "$IMAGE" sh -c 'trap "exit 0" TERM; while :; do sleep 0.1; done') || failed $? || return 1
  [[ $out =~ ^[0-9a-f]{64}$ ]] || { echo "expected a container ID on stdout, got $out"; return 1; }
}
ps_status() { po ps -a --filter "name=^$1\$" --format '{{.Status}}'; }
c_ps_running() {
  local out
  out=$(ps_status "$BG") || failed $? || return 1
  want_match "podman ps status" '^Up' "$out"
}
c_exec() {
  local out
  out=$(po exec "$BG" sh -c 'echo "in-exec $$"') || failed $? || return 1
  want_match "exec output" '^in-exec [0-9]+$' "$out"
}
c_exec_exit_code() {
  po exec "$BG" sh -c 'exit 5'
  local rc=$?
  [ "$rc" -eq 5 ] || { echo "exec's exit code: expected 5, got $rc: $(err_summary "$TMP/last.err")"; return 1; }
}
c_exec_options() {
  local out
  out=$(po exec -u 1000 -w /tmp -e SIXKEY=six-value "$BG" sh -c 'echo "$(id -u) $PWD $SIXKEY"') || failed $? || return 1
  want_eq "uid, cwd and \$SIXKEY in exec -u 1000 -w /tmp -e SIXKEY=six-value" "1000 /tmp six-value" "$out"
}
c_pause_unpause() {
  local out
  po pause "$BG" >/dev/null || failed $? || return 1
  out=$(po inspect --format '{{.State.Status}}' "$BG") || failed $? || return 1
  want_eq "state after pause" paused "$out" || return 1
  local id dir
  id=$(po inspect --format '{{.Id}}' "$BG") || failed $? || return 1
  for dir in $(find /sys/fs/cgroup/freezer -type d -name "libpod-$id" 2>/dev/null); do # cgroup v1
    want_eq "$dir/freezer.state" FROZEN "$(cat "$dir/freezer.state")" || return 1
  done
  po unpause "$BG" >/dev/null || failed $? || return 1
  out=$(po exec "$BG" echo thawed) || failed $? || return 1
  want_eq "exec after unpause" thawed "$out"
}
c_stop() {
  po stop -t 10 "$BG" >/dev/null || failed $? || return 1
  local out
  out=$(po inspect --format '{{.State.Status}} {{.State.ExitCode}}' "$BG") || failed $? || return 1
  want_eq "state after stop" "exited 0" "$out"
}
c_ps_exited() {
  local out
  out=$(ps_status "$BG") || failed $? || return 1
  want_match "podman ps -a status" '^Exited \(0\)' "$out"
}
c_rm() {
  po rm "$BG" >/dev/null || failed $? || return 1
  if po container exists "$BG"; then echo "$BG still exists after rm"; return 1; fi
}

# ---- kill -s: a signal reaches the container's init ------------------------------------------
KILLED="$PREFIX-kill"
printed_ready() { po logs "$KILLED" | grep -q ready; }
c_kill_signal() {
  local out rc
  prun -d --name "$KILLED" "$IMAGE" sh -c 'trap "echo got-usr1; exit 7" USR1; echo ready; while :; do sleep 0.1; done' >/dev/null || failed $? || return 1
  wait_for 20 printed_ready || { echo "container never printed ready: $(err_summary "$TMP/last.err")"; return 1; }
  po kill -s USR1 "$KILLED" >/dev/null || failed $? || return 1
  out=$(po wait "$KILLED") || failed $? || return 1
  want_eq "exit code after USR1" 7 "$out" || return 1
  out=$(po logs "$KILLED") || failed $? || return 1
  want_match "container output" got-usr1 "$out" || return 1
  po rm "$KILLED" >/dev/null || failed $?
}

# ---- stop escalates to SIGKILL; rm -f of a running container ------------------------------------
c_stop_escalates() {
  local name="$PREFIX-stubborn" out
  prun -d --name "$name" "$IMAGE" sleep 1000 >/dev/null || failed $? || return 1
  po stop -t 1 "$name" >/dev/null || failed $? || return 1 # pid 1 ignores SIGTERM
  out=$(po inspect --format '{{.State.Status}} {{.State.ExitCode}}' "$name") || failed $? || return 1
  want_eq "state after stop -t 1" "exited 137" "$out" || return 1
  po rm "$name" >/dev/null || failed $?
}
c_rm_force_running() {
  local name="$PREFIX-rmf"
  prun -d --name "$name" "$IMAGE" sleep 1000 >/dev/null || failed $? || return 1
  po rm -f -t 0 "$name" >/dev/null || failed $? || return 1
  if po container exists "$name"; then echo "$name still exists after rm -f"; return 1; fi
}

# ---- terminals (terminal.sh): podman run -it and exec -it in a tmux pane -----------------------
c_run_it() { terminal_check run-it 4 "${PODMAN[@]}" run --cgroup-parent "$CG_PODMAN" "${PODMAN_RUN_EXTRA[@]}" -it --rm "$IMAGE" sh; }
c_exec_it() { terminal_check exec-it 6 "${PODMAN[@]}" exec -it "$BG" sh; }

# Podman's network backend: netavark when installed (Debian's podman only recommends it),
# else CNI (containernetworking-plugins). SIXCOMPAT_NETWORK_BACKEND=netavark|cni forces one.
netavark_path() {
  local dir
  for dir in /usr/local/libexec/podman /usr/local/lib/podman /usr/libexec/podman /usr/lib/podman; do
    [ -x "$dir/netavark" ] && { echo "$dir/netavark"; return 0; }
  done
  return 1
}
choose_network_backend() {
  if [ -n "${SIXCOMPAT_NETWORK_BACKEND:-}" ]; then
    echo "$SIXCOMPAT_NETWORK_BACKEND"
  elif netavark_path >/dev/null; then
    echo netavark
  elif [ -x /usr/lib/cni/bridge ] || [ -x /usr/libexec/cni/bridge ]; then
    echo cni
  else
    return 1
  fi
}

podman_suite() {
  if ! NETWORK_BACKEND=$(choose_network_backend); then
    fail "podman: a network backend is installed" "neither netavark nor the CNI plugins (containernetworking-plugins) are installed; Podman checks skipped"
    return 0
  fi
  echo "# podman network backend: $NETWORK_BACKEND"
  podman_configure
  check "podman import (busybox image)" c_import
  check "podman default network is the suite's (podman network inspect)" c_default_network
  check "podman run --rm echo hi" c_echo
  check "podman run exit code (sh -c 'exit 3' -> 3)" c_exit_code
  check "podman run of a missing program (exit code 127, error names it)" c_missing_program
  check "podman run of a non-executable file (exit code 126)" c_not_executable
  check "podman run -e KEY=VALUE" c_env
  check "podman run -v HOSTDIR:/data (write inside, read on host)" c_volume
  check "podman run -w /tmp" c_workdir
  check "podman run: default devices usable (/dev/null, /dev/zero, /dev/urandom, /dev/full)" c_devices
  check "podman run -u 1000" c_user
  check "podman run --memory 64m (cgroup memory limit)" c_memory
  check "podman run --pids-limit 50 (cgroup pids.max)" c_pids
  check "podman run --cpus 0.5 (cgroup cfs quota)" c_cpus
  check "podman run --network none (only lo)" c_network_none
  check "podman run default network (address, route, own address reachable)" c_network_default
  check "podman run --read-only (/ read-only, /tmp writable)" c_read_only
  check "podman run --cap-drop all --cap-add NET_ADMIN (CapEff)" c_cap_drop_all_add
  check "podman run --cap-drop CHOWN (CapEff)" c_cap_drop_one
  check "podman run -d" c_run_detached
  learn_suite_chains # while a container is on the network, its firewall chains exist
  check "podman ps (status Up)" c_ps_running
  check "podman exec" c_exec
  check "podman exec exit code (5)" c_exec_exit_code
  check "podman exec -u 1000 -w /tmp -e KEY=VALUE" c_exec_options
  check "podman pause + unpause" c_pause_unpause
  terminal_checks "podman exec -it (terminal size, exit code)" c_exec_it \
    "podman run -it (interactive shell, terminal size, exit code)" c_run_it
  check "podman stop" c_stop
  check "podman ps -a (status Exited (0))" c_ps_exited
  check "podman rm" c_rm
  check "podman kill -s USR1 (trap runs, exit code 7)" c_kill_signal
  check "podman stop -t 1 of a container ignoring SIGTERM (SIGKILL, exit code 137)" c_stop_escalates
  check "podman rm -f of a running container" c_rm_force_running
  check "podman: nothing left after its containers are gone (cgroups, runtime state, netns, mounts)" tool_leftovers
}
