# cleanup.sh: undoing everything the compat suite made, and proving nothing is left.
# Owns: cleanup_all (run by run.sh's EXIT/INT/TERM trap, safe to run twice, never fails) and
# the leftover checks. It removes only what carries the suite's marks: processes whose argv
# names $TMP, cgroups named "$PREFIX*" (and the directories of the suite's own cgroup path
# that were missing in some hierarchy when it started), mounts under $TMP, the bridge $BRIDGE, network
# namespaces holding an address of the suite's subnet, firewall rules and netavark chains
# that appeared during the run, and libcni cache entries of the suite's network. Processes are ended by PID, never by name.
# Known limit: two suites run at the same time share netavark's NETAVARK_FORWARD and
# NETAVARK-HOSTPORT-* chains; the first to finish leaves them (still in use), and the second
# saw them at its start, so neither removes them. One suite at a time leaves nothing.
# shellcheck shell=bash

# Runtime state folders runc and sixrun use by default (conmon calls the runtime without
# --root), recorded before the run so that only new entries count as leftovers.
RUNTIME_STATE_DIRS=(/run/runc /run/sixrun)
runtime_state() {
  local dir
  for dir in "${RUNTIME_STATE_DIRS[@]}"; do
    ls "$dir" 2>/dev/null | sed "s|^|$dir/|"
  done | sort
}
RUNTIME_STATE_BEFORE=$(runtime_state)

# PIDs of processes whose argv mentions $TMP (conmon, containerd, shims, podman, timeout),
# never this shell.
suite_pids() {
  local d args
  for d in /proc/[0-9]*; do
    [ "${d#/proc/}" = "$$" ] && continue
    [ "${d#/proc/}" = "$BASHPID" ] && continue
    { mapfile -d '' args <"$d/cmdline"; } 2>/dev/null || continue
    [[ "${args[*]}" == *"$TMP"* ]] && echo "${d#/proc/}"
  done
}
# The given PIDs and all their descendants (container processes are children of conmon and
# of the containerd shim, which are child subreapers).
with_descendants() {
  local stat pid rest ppid
  for stat in /proc/[0-9]*/stat; do
    { read -r pid rest <"$stat"; } 2>/dev/null || continue
    rest=${rest##*) } # after "(comm) ": state, then ppid
    read -r _ ppid _ <<<"$rest"
    echo "$pid $ppid"
  done | awk -v roots="$*" '
    BEGIN { n = split(roots, r, " "); for (i = 1; i <= n; i++) keep[r[i]] = 1 }
    { parent[$1] = $2 }
    END {
      do { grew = 0; for (p in parent) if (!(p in keep) && (parent[p] in keep)) { keep[p] = 1; grew = 1 } } while (grew)
      for (p in keep) print p
    }'
}
# Cgroup directories named after the suite: the cgroup parents of Podman's, containerd's and
# dockerd's containers, below the suite's own cgroup.
suite_cgroups() { find /sys/fs/cgroup -type d -name "$PREFIX*" -prune 2>/dev/null; }
# Container cgroups below a suite cgroup, by their names: "$PREFIX-*" (ctr), "libpod-<id>"
# (Podman), "<64 hex>" (dockerd). Intermediate parents in a cgroupsPath (kubepods/...) are
# not the runtime's to remove (runc leaves them too).
suite_container_cgroups() {
  local top
  for top in $(suite_cgroups); do
    find "$top" -mindepth 1 -type d 2>/dev/null | grep -E "/($PREFIX-[^/]*|libpod-[0-9a-f]{64}|[0-9a-f]{64})\$"
  done
}
# The directories of the suite's own cgroup path that some hierarchy lacks (this machine puts
# processes below the root in some hierarchies only): a runtime makes them on the way to the
# suite's cgroups, and cleanup removes them again (when empty). Deepest first.
CGROUP_DIRS_MISSING=$(
  for mount in $(cgroup_mount_points); do
    dir=$mount
    for part in ${OWN_CGROUP//\// }; do
      dir+="/$part"
      [ -d "$dir" ] || echo "$dir"
    done
  done | awk '{ print gsub("/", "/") " " $0 }' | sort -rn | cut -d' ' -f2-
)
# Those still there and empty: the suite's leftovers (another user of one keeps it busy).
suite_cgroup_dirs_left() {
  local dir
  for dir in $CGROUP_DIRS_MISSING; do
    [ -d "$dir" ] && [ -z "$(find "$dir" -mindepth 1 -maxdepth 1 -type d -print -quit)" ] && echo "$dir"
  done
}
suite_mounts() { awk -v t="$TMP/" 'index($5, t) == 1 { print $5 }' /proc/self/mountinfo | sort -r; }
# New entries whose state.json names $TMP (the bundle or rootfs is the suite's): another
# user of the same state folder at the same time is not the suite's business.
new_runtime_state() {
  local entry
  for entry in $(comm -13 <(printf '%s\n' "$RUNTIME_STATE_BEFORE") <(runtime_state)); do
    grep -qF "$TMP/" "$entry/state.json" 2>/dev/null && echo "$entry"
  done
}
# Network namespaces (ip netns) with an address in the suite's subnet.
suite_netns() {
  local ns
  [ -n "${SUBNET_PREFIX:-}" ] || return 0
  for ns in $(ls /run/netns 2>/dev/null); do
    ip -n "$ns" -4 -o addr show 2>/dev/null | grep -qF " inet $SUBNET_PREFIX" && echo "$ns"
  done
}
# libcni's result cache (Podman's CNI backend): /var/lib/cni/results/<network>-<id>-<if>.
CNI_CACHE=/var/lib/cni
CNI_CACHE_EXISTED=$([ -e "$CNI_CACHE" ] && echo yes)
suite_cni_cache() {
  ls -d "$CNI_CACHE"/results/"$PREFIX"-* 2>/dev/null
  # folders libcni made during the run and left empty
  [ -n "$CNI_CACHE_EXISTED" ] || find "$CNI_CACHE" -depth -type d -empty 2>/dev/null
}
# iptables-save as sorted "TABLE LINE" rows, chain counters dropped.
firewall_rows() {
  iptables-save 2>/dev/null | awk '/^\*/ { t = substr($0, 2) } /^[-:]/ { sub(/ \[[0-9]+:[0-9]+\]$/, ""); print t " " $0 }' | sort
}
FIREWALL_BEFORE=$(firewall_rows)
SUITE_CHAINS=""   # netavark's chains for the suite's network, learnt while it exists
# Learns the names of netavark's chains for the suite's network (the POSTROUTING rule for
# its subnet jumps to it). Runs in the main shell so that the names are kept.
learn_suite_chains() {
  local chain
  for chain in $(firewall_rows | grep -F -- "-s $SUBNET " | grep -oE -- '-j NETAVARK-[0-9A-F]+' | cut -c4-); do
    [[ " $SUITE_CHAINS " == *" $chain "* ]] || SUITE_CHAINS+=" $chain"
  done
}
# Rows of the suite's own network: rules naming its subnet or bridge, its netavark chains.
suite_firewall() {
  local patterns=(-e "$SUBNET" -e " $BRIDGE ") chain
  for chain in $SUITE_CHAINS; do patterns+=(-e "$chain"); done
  firewall_rows | grep -F "${patterns[@]}"
}
# netavark's shared chains and jumps (NETAVARK_FORWARD, NETAVARK-HOSTPORT-*) made during the
# run, listed only when no netavark network is in use: another Podman's containers may still
# need them (netavark recreates them whenever it sets up a network). The cleanup's verdict is
# kept in SHARED_NETAVARK_IN_USE so that the leftover check agrees with what was done.
SHARED_NETAVARK_IN_USE=""
netavark_in_use() { firewall_rows | grep -qE ' :NETAVARK-[0-9A-F]{6,}( |$)|^filter -A NETAVARK_FORWARD '; }
shared_netavark_leftovers() {
  [ -z "$SHARED_NETAVARK_IN_USE" ] || return 0
  comm -13 <(printf '%s\n' "$FIREWALL_BEFORE") <(firewall_rows) | grep NETAVARK
}
# remove_firewall_rows: deletes the given rows (stdin): first rules, then chains.
remove_firewall_rows() {
  local rows table rest
  rows=$(cat)
  printf '%s\n' "$rows" | grep -E '^[a-z]+ -A ' | while read -r table rest; do
    # the row is iptables-save's own shell-quoted text (comments are in double quotes)
    eval "iptables -w 5 -t \"\$table\" -D ${rest#-A }"
  done
  printf '%s\n' "$rows" | grep -E '^[a-z]+ :' | while read -r table rest; do
    rest=${rest#:}
    rest=${rest%% *}
    iptables -w 5 -t "$table" -F "$rest" && iptables -w 5 -t "$table" -X "$rest"
  done
}
# remove_suite_firewall: the suite's own rows, read again and removed again while some are
# left (a CI run on a busy machine once found them all still there after one pass, and gone
# at the exit trap's second cleanup). iptables' complaints of the last pass are kept in
# FIREWALL_ERRORS for the leftover check.
FIREWALL_ERRORS=""
remove_suite_firewall() {
  local try rows
  for try in 1 2 3 4 5; do
    rows=$(suite_firewall)
    [ -n "$rows" ] || return 0
    FIREWALL_ERRORS=$(printf '%s\n' "$rows" | remove_firewall_rows 2>&1 | sort -u | head -5 | tr '\n' ' ')
    sleep 0.2
  done
}

remove_cgroup_tree() {
  local dir pid tries
  for dir in $(find "$1" -depth -type d 2>/dev/null); do
    [ -w "$dir/freezer.state" ] && echo THAWED >"$dir/freezer.state" 2>/dev/null
    for tries in $(seq 50); do
      [ -s "$dir/cgroup.procs" ] || break
      while read -r pid; do kill -KILL "$pid" 2>/dev/null; done <"$dir/cgroup.procs"
      sleep 0.1
    done
    rmdir "$dir" 2>/dev/null
  done
}

cleanup_all() {
  local pid i line table rest
  [ -n "${TMP:-}" ] && [ -d "$TMP" ] || return 0
  [ -S "${TMUX_SOCK:-/nonexistent}" ] && tmux -S "$TMUX_SOCK" kill-server 2>/dev/null
  if [ -n "${CONTAINERS_CONF:-}" ]; then
    timeout -k 5 60 "${PODMAN[@]}" rm -a -f -t 0 >/dev/null 2>&1
  fi
  if [ -n "${CONTAINERD_PID:-}" ]; then
    for i in $(cr containers ls -q 2>/dev/null); do
      cr task kill -s SIGKILL "$i" >/dev/null 2>&1
      cr task delete -f "$i" >/dev/null 2>&1
      cr containers delete "$i" >/dev/null 2>&1
    done
    kill -TERM "$CONTAINERD_PID" 2>/dev/null
    for i in $(seq 100); do kill -0 "$CONTAINERD_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$CONTAINERD_PID" 2>/dev/null
    wait "$CONTAINERD_PID" 2>/dev/null
    CONTAINERD_PID=""
  fi
  docker_stop
  for pid in $(with_descendants $(suite_pids)); do
    [ "$pid" = "$$" ] || [ "$pid" = "$BASHPID" ] || kill -KILL "$pid" 2>/dev/null
  done
  # runtime state the tools did not delete: ask the runtime, then remove what is left
  for line in $(new_runtime_state); do
    timeout -k 2 10 "$REAL_RUNTIME" --root "$(dirname "$line")" delete --force "$(basename "$line")" >/dev/null 2>&1
    rm -rf "$line"
  done
  for line in $(suite_cgroups); do remove_cgroup_tree "$line"; done
  for line in $CGROUP_DIRS_MISSING; do rmdir "$line" 2>/dev/null; done
  for line in $(suite_mounts); do umount "$line" 2>/dev/null || umount -l "$line" 2>/dev/null; done
  # host ends of veths still attached to the suite's bridge, then the bridge
  for line in $(ip -o link show master "$BRIDGE" 2>/dev/null | awk -F': ' '{ print $2 }' | cut -d@ -f1); do
    ip link del "$line" 2>/dev/null
  done
  ip link show "$BRIDGE" >/dev/null 2>&1 && ip link del "$BRIDGE" 2>/dev/null
  for line in $(suite_netns); do ip netns delete "$line" 2>/dev/null; done
  rm -f $(ls -d "$CNI_CACHE"/results/"$PREFIX"-* 2>/dev/null)
  [ -n "$CNI_CACHE_EXISTED" ] || find "$CNI_CACHE" -depth -type d -empty -delete 2>/dev/null
  learn_suite_chains
  remove_suite_firewall
  if netavark_in_use; then SHARED_NETAVARK_IN_USE=yes; else shared_netavark_leftovers | remove_firewall_rows 2>/dev/null; fi
  if [ -n "${SIXCOMPAT_KEEP_LOGS:-}" ]; then
    mkdir -p "$SIXCOMPAT_KEEP_LOGS"
    cp "$TMP/containerd/containerd.log" "$SIXCOMPAT_KEEP_LOGS/" 2>/dev/null
    cp "$TMP/podman/events.log" "$SIXCOMPAT_KEEP_LOGS/podman-events.log" 2>/dev/null
    cp "$TMP/docker/dockerd.log" "$SIXCOMPAT_KEEP_LOGS/" 2>/dev/null
    cp "$TMP/docker/containerd.log" "$SIXCOMPAT_KEEP_LOGS/docker-containerd.log" 2>/dev/null
  fi
  if [ -z "$(suite_mounts)" ]; then
    rm -rf --one-file-system "$TMP"
  fi
}

# What the tools themselves left behind after removing every container, before the suite's
# own cleanup hides it: a runtime whose delete leaks shows up here.
tool_leftovers() {
  local found=""
  local x
  x=$(suite_container_cgroups) && [ -n "$x" ] && found+="cgroups: $x; "
  x=$(new_runtime_state) && [ -n "$x" ] && found+="runtime state: $x; "
  x=$(suite_netns) && [ -n "$x" ] && found+="netns: $x; "
  x=$(suite_pids | grep -vx "${CONTAINERD_PID:-none}") && [ -n "$x" ] &&
    found+="processes: $(for p in $x; do tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | cut -c1-100; echo; done); "
  x=$(grep -E " ($TMP/[^ ]*/(merged|rootfs|shm|userdata)[^ ]*) " /proc/self/mountinfo | awk '{print $5}') && [ -n "$x" ] && found+="mounts: $x; "
  [ -z "$found" ] && return 0
  echo "$found" | tr '\n' ' '
  return 1
}

check_leftovers() {
  local found="" x
  x=$(suite_mounts) && [ -n "$x" ] && found+="mounts: $x; "
  x=$(suite_pids) && [ -n "$x" ] && found+="processes: $(for p in $x; do tr '\0' ' ' </proc/$p/cmdline 2>/dev/null | cut -c1-80; echo; done); "
  x=$(suite_cgroups; suite_cgroup_dirs_left) && [ -n "$x" ] && found+="cgroups: $x; "
  x=$(new_runtime_state) && [ -n "$x" ] && found+="runtime state: $x; "
  x=$(suite_netns) && [ -n "$x" ] && found+="netns: $x; "
  ip link show "$BRIDGE" >/dev/null 2>&1 && found+="bridge $BRIDGE; "
  x=$(suite_cni_cache) && [ -n "$x" ] && found+="CNI cache: $x; "
  x=$(suite_firewall; shared_netavark_leftovers) && [ -n "$x" ] && found+="iptables: $x (iptables said: ${FIREWALL_ERRORS:-nothing}); "
  [ -e "$TMP" ] && found+="folder $TMP; "
  if [ -z "$found" ]; then
    pass "nothing left behind (mounts, processes, cgroups, runtime state, netns, bridge, iptables, CNI cache, $TMP)"
  else
    fail "nothing left behind" "$(echo "$found" | tr '\n' ' ')"
  fi
}
