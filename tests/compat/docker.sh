# docker.sh: the Docker half of the compat suite (sourced by run.sh).
# Owns: a dockerd of the suite's own with the runtime under test as its default runtime
# ("six"), started in new network and mount namespaces (unshare): its data root, exec root,
# pidfile, config file, trust key, API socket and its own containerd (config, root, state,
# sockets) all under $DOCKER_DIR; a tmpfs over /run inside its mount namespace (shim sockets,
# /run/docker/plugins); its bridge docker0, its iptables rules, its docker-proxy listeners
# and a registry of the suite's own (docker-registry on 127.0.0.1) in its network namespace.
# All of that is gone once its processes are. Container cgroups go below "$CG_DOCKER" (the
# suite's own cgroup subtree). Images come from `docker load` of an archive built here and
# from that registry. Never talks to the host's dockerd or containerd.
# shellcheck shell=bash

DOCKER_DIR="$TMP/docker"
DOCKER_SOCK="$DOCKER_DIR/docker.sock"
DOCKERD_PID=""       # dockerd's PID in the suite's pid namespace (unshare execs into it)
DOCKER_NETNS=""      # its network and mount namespaces, to prove they are gone
DOCKER_MNTNS=""
CG_DOCKER=$(suite_cgroup docker)
# The client from Debian's docker.io, beside the dockerd it was built with.
DOCKER_CLI=/usr/bin/docker
[ -x "$DOCKER_CLI" ] || DOCKER_CLI=$(command -v docker)
DK=("$DOCKER_CLI" -H "unix://$DOCKER_SOCK")

# Host paths dockerd writes to by default; the suite's dockerd must leave them alone.
DOCKER_HOST_PATHS=(/etc/docker/key.json /run/docker /var/lib/docker /var/run/docker.sock /root/.docker)
DOCKER_HOST_PATHS_BEFORE=$(ls -d "${DOCKER_HOST_PATHS[@]}" 2>/dev/null)

# dk ARGS...: the docker client against the suite's dockerd, bounded in time.
dk() { timeout -k 5 60 "${DK[@]}" "$@" 2>"$TMP/last.err"; }
# in_docker_netns COMMAND...: COMMAND in dockerd's network namespace (its loopback, docker0).
in_docker_netns() { nsenter --net="/proc/$DOCKERD_PID/ns/net" "$@"; }
# http_get PORT PATH: the body of http://127.0.0.1:PORT/PATH in dockerd's network namespace,
# through bash's /dev/tcp (busybox's static wget crashes resolving; no client to install).
http_get() {
  in_docker_netns timeout 5 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1" && printf "GET %s HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n" "$2" >&3 && cat <&3' _ "$1" "$2" |
    sed '1,/^\r$/d'
}

docker_configure() {
  mkdir -p "$DOCKER_DIR"/{data,exec,containerd/root,containerd/state,containerd/opt,registry,archive}
  cat >"$DOCKER_DIR/containerd.toml" <<EOF
# The containerd of the suite's dockerd: every path under $DOCKER_DIR.
version = 2
root = "$DOCKER_DIR/containerd/root"
state = "$DOCKER_DIR/containerd/state"
disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.snapshotter.v1.btrfs",
  "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper",
  "io.containerd.snapshotter.v1.aufs", "io.containerd.internal.v1.tracing",
  "io.containerd.tracing.processor.v1.otlp"]
[grpc]
  address = "$DOCKER_DIR/containerd.sock"
[ttrpc]
  address = "$DOCKER_DIR/containerd.sock.ttrpc"
[debug]
  address = ""
[metrics]
  address = ""
[plugins."io.containerd.internal.v1.opt"]
  path = "$DOCKER_DIR/containerd/opt"
EOF
  # Not /etc/docker/daemon.json; the trust key not in /etc/docker/key.json.
  printf '{"deprecated-key-path": "%s/key.json"}\n' "$DOCKER_DIR" >"$DOCKER_DIR/daemon.json"
  cat >"$DOCKER_DIR/registry.yml" <<EOF
version: 0.1
log:
  level: error
storage:
  filesystem:
    rootdirectory: $DOCKER_DIR/registry
http:
  addr: 127.0.0.1:5000
EOF
  # Runs as the first process of the new namespaces, then becomes dockerd.
  cat >"$DOCKER_DIR/start.sh" <<EOF
set -e
mount -t tmpfs -o mode=0755,size=16m sixcompat-run /run
ip link set lo up
containerd --config "$DOCKER_DIR/containerd.toml" </dev/null >"$DOCKER_DIR/containerd.log" 2>&1 &
echo \$! >"$DOCKER_DIR/containerd.pid"
for i in \$(seq 300); do [ -S "$DOCKER_DIR/containerd.sock" ] && break; sleep 0.1; done
exec dockerd --config-file "$DOCKER_DIR/daemon.json" --data-root "$DOCKER_DIR/data" \\
  --exec-root "$DOCKER_DIR/exec" --pidfile "$DOCKER_DIR/docker.pid" -H "unix://$DOCKER_SOCK" \\
  --containerd "$DOCKER_DIR/containerd.sock" --add-runtime "six=$RUNTIME" --default-runtime six \\
  --cgroup-parent "$CG_DOCKER" --storage-driver overlay2 </dev/null >"$DOCKER_DIR/dockerd.log" 2>&1
EOF
}

docker_start() {
  docker_configure
  unshare --net --mount --propagation private bash "$DOCKER_DIR/start.sh" </dev/null >"$DOCKER_DIR/start.log" 2>&1 &
  DOCKERD_PID=$!
  if ! wait_for 60 dk version; then
    fail "dockerd starts (own namespaces, root, socket; the runtime as its default)" \
      "not answering on $DOCKER_SOCK within 60 s: $(cat "$DOCKER_DIR/start.log" 2>/dev/null; tail -n 3 "$DOCKER_DIR/dockerd.log" 2>/dev/null | one_line)"
    return 1
  fi
  DOCKER_NETNS=$(readlink "/proc/$DOCKERD_PID/ns/net")
  DOCKER_MNTNS=$(readlink "/proc/$DOCKERD_PID/ns/mnt")
  # Held open until the suite has checked them: a freed namespace's inode number can be reused by a
  # namespace of a test running beside us, whose processes would then look like dockerd's.
  exec {DOCKER_NETNS_FD}<"/proc/$DOCKERD_PID/ns/net" {DOCKER_MNTNS_FD}<"/proc/$DOCKERD_PID/ns/mnt"
  check "dockerd starts (own namespaces, root, socket; the runtime as its default)" c_dk_started
}
c_dk_started() {
  local out
  [ "$DOCKER_NETNS" != "$(readlink /proc/self/ns/net)" ] || { echo "dockerd shares the suite's network namespace"; return 1; }
  out=$(dk info --format '{{.DefaultRuntime}} {{.DockerRootDir}}') || failed $? || return 1
  want_eq "default runtime and root" "six $DOCKER_DIR/data" "$out"
}

# A docker-archive (what `docker save` writes) of the suite's busybox rootfs, made here.
docker_archive() {
  local dir="$DOCKER_DIR/archive" layer config config_id arch
  case $(uname -m) in x86_64) arch=amd64 ;; aarch64) arch=arm64 ;; *) arch=$(uname -m) ;; esac
  layer=$(sha256sum <"$TMP/image/rootfs.tar" | cut -d' ' -f1)
  mkdir -p "$dir/$layer"
  cp "$TMP/image/rootfs.tar" "$dir/$layer/layer.tar"
  config=$(printf '{"architecture":"%s","os":"linux","created":"2026-01-01T00:00:00Z","config":{"Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],"Cmd":["/bin/sh"]},"rootfs":{"type":"layers","diff_ids":["sha256:%s"]},"history":[{"created":"2026-01-01T00:00:00Z","created_by":"tests/compat/docker.sh"}]}' "$arch" "$layer")
  config_id=$(printf '%s' "$config" | sha256sum | cut -d' ' -f1)
  printf '%s' "$config" >"$dir/$config_id.json"
  printf '[{"Config":"%s.json","RepoTags":["%s"],"Layers":["%s/layer.tar"]}]' "$config_id" "$IMAGE" "$layer" >"$dir/manifest.json"
  tar -C "$dir" -cf "$DOCKER_DIR/busybox.tar" manifest.json "$config_id.json" "$layer/layer.tar"
}
c_dk_load() {
  docker_archive || return 1
  dk load -i "$DOCKER_DIR/busybox.tar" >/dev/null || failed $? || return 1
  dk image inspect --format '{{.Id}}' "$IMAGE" >/dev/null || failed $?
}

# ---- docker run ---------------------------------------------------------------------------------
# drun ARGS...: "docker run --rm"; prints stdout or fails with the reason.
drun() {
  local out rc
  out=$(dk run --rm "$@")
  rc=$?
  [ "$rc" -eq 0 ] || failed "$rc" || return 1
  printf '%s\n' "$out"
}
c_dk_echo() { local out; out=$(drun "$IMAGE" echo hi) || { echo "$out"; return 1; }; want_eq stdout hi "$out"; }
c_dk_exit_code() {
  dk run --rm "$IMAGE" sh -c 'exit 3'
  local rc=$?
  [ "$rc" -eq 3 ] || { echo "docker's exit code: expected 3, got $rc: $(err_summary "$TMP/last.err")"; return 1; }
}
c_dk_stdin() {
  local out
  out=$(printf 'line-in\n' | dk run -i --rm "$IMAGE" sh -c 'read -r l; echo "got $l"') || failed $? || return 1
  want_eq "stdin read inside" "got line-in" "$out"
}
c_dk_options() {
  local out
  out=$(drun -e SIXKEY=six-value -w /tmp -u 1000 --hostname six-host "$IMAGE" \
    sh -c 'echo "$(id -u) $PWD $SIXKEY $(hostname)"') || { echo "$out"; return 1; }
  want_eq "uid, cwd, \$SIXKEY, hostname" "1000 /tmp six-value six-host" "$out"
}
c_dk_read_only() {
  local out
  out=$(drun --read-only --tmpfs /tmp "$IMAGE" sh -c 'if touch /root-file 2>/dev/null; then echo root-writable; else echo root-read-only; fi; touch /tmp/f && echo tmp-writable') || { echo "$out"; return 1; }
  want_eq "writes to / and /tmp" "root-read-only
tmp-writable" "$out"
}
c_dk_limits() {
  local out
  out=$(drun --memory 64m --cpus 0.5 --pids-limit 50 "$IMAGE" sh -c '
    if [ -e /sys/fs/cgroup/cgroup.controllers ]; then
      echo "$(cat /sys/fs/cgroup/memory.max) $(cat /sys/fs/cgroup/cpu.max) $(cat /sys/fs/cgroup/pids.max)"
    else
      echo "$(cat /sys/fs/cgroup/memory/memory.limit_in_bytes) $(cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us) $(cat /sys/fs/cgroup/cpu/cpu.cfs_period_us) $(cat /sys/fs/cgroup/pids/pids.max)"
    fi') || { echo "$out"; return 1; }
  want_eq "memory limit, cpu quota and period, pids.max" "67108864 50000 100000 50" "$out"
}
c_dk_network_none() {
  local out
  out=$(drun --network none "$IMAGE" sh -c "tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' '") || { echo "$out"; return 1; }
  want_eq "network interfaces" lo "$out"
}
# The default bridge (docker0, in dockerd's own network namespace): an address, a default
# route, and the gateway (docker0) answers a ping.
c_dk_bridge() {
  local out
  out=$(drun "$IMAGE" sh -c 'ip -4 -o addr show dev eth0 | sed "s/.* inet \([0-9.]*\)\/.*/\1/"; gw=$(ip route | sed -n "s/^default via \([0-9.]*\).*/\1/p"); echo "$gw"; ping -c 1 -W 3 "$gw" >/dev/null && echo gateway-reached') || { echo "$out"; return 1; }
  want_match "eth0 address, gateway, ping" '^172\.17\.[0-9]+\.[0-9]+
172\.17\.0\.1
gateway-reached$' "$out"
}
# -p: docker-proxy and dockerd's NAT rules, reached from dockerd's network namespace.
WEB="$PREFIX-web"
fetch_published() { http_get 18080 /; }
published_up() { [ -n "$(fetch_published)" ]; }
c_dk_publish() {
  local out
  dk run -d --name "$WEB" -p 127.0.0.1:18080:80 "$IMAGE" \
    sh -c 'mkdir -p /www && echo published-page >/www/index.html && exec httpd -f -p 80 -h /www' >/dev/null || failed $? || return 1
  out=$(dk port "$WEB" 80/tcp) || failed $? || return 1
  want_eq "docker port" "127.0.0.1:18080" "$out" || return 1
  wait_for 20 published_up || { echo "nothing answered on 127.0.0.1:18080 in dockerd's network namespace"; return 1; }
  want_eq "page fetched through the published port" published-page "$(fetch_published)" || return 1
  dk rm -f "$WEB" >/dev/null || failed $?
}
c_dk_volumes() {
  local dir="$DOCKER_DIR/bind" out
  mkdir -p "$dir"
  out=$(drun -v "$dir:/data" "$IMAGE" sh -c 'echo written-inside >/data/file') || { echo "$out"; return 1; }
  want_eq "host's copy of the bind-mounted file" written-inside "$(cat "$dir/file" 2>&1)" || return 1
  dk volume create "$PREFIX-vol" >/dev/null || failed $? || return 1
  out=$(drun -v "$PREFIX-vol:/data" "$IMAGE" sh -c 'echo kept >/data/f') || { echo "$out"; return 1; }
  out=$(drun -v "$PREFIX-vol:/data:ro" "$IMAGE" sh -c 'cat /data/f; touch /data/g 2>/dev/null || echo read-only') || { echo "$out"; return 1; }
  want_eq "named volume in a second container (ro)" "kept
read-only" "$out" || return 1
  dk volume rm "$PREFIX-vol" >/dev/null || failed $?
}

# ---- a detached container: -d, logs, exec, pause, stop (TERM trap), start, kill, wait ----------
BG="$PREFIX-bg"
# logs_have NAME LINE [COUNT]: container NAME's log has LINE at least COUNT (1) times.
logs_have() { [ "$(dk logs "$1" 2>&1 | grep -c "^$2\$")" -ge "${3:-1}" ]; }
bg_logs_have() { logs_have "$BG" "$@"; }
dk_state() { dk inspect --format '{{.State.Status}} {{.State.ExitCode}}' "$1"; }
c_dk_run_detached() {
  local out
  out=$(dk run -d --name "$BG" "$IMAGE" sh -c 'echo started; trap "echo got-term; exit 0" TERM; while :; do sleep 0.1; done') || failed $? || return 1
  [[ $out =~ ^[0-9a-f]{64}$ ]] || { echo "expected a container ID on stdout, got $out"; return 1; }
}
c_dk_logs() { wait_for 20 bg_logs_have started || { echo "docker logs: no 'started' line: $(dk logs "$BG" 2>&1 | one_line)"; return 1; }; }
c_dk_exec() {
  local out
  out=$(dk exec "$BG" sh -c 'echo "in-exec $(cat /proc/1/cmdline | tr "\0" " " | cut -c1-5)"') || failed $? || return 1
  want_eq "exec output (and the container's pid 1)" "in-exec sh -c" "$out"
}
c_dk_exec_exit_code() {
  dk exec "$BG" sh -c 'exit 5'
  local rc=$?
  [ "$rc" -eq 5 ] || { echo "exec's exit code: expected 5, got $rc: $(err_summary "$TMP/last.err")"; return 1; }
}
c_dk_exec_options() {
  local out
  out=$(dk exec -u 1000 -w /tmp -e SIXKEY=six-value "$BG" sh -c 'echo "$(id -u) $PWD $SIXKEY"') || failed $? || return 1
  want_eq "uid, cwd and \$SIXKEY in exec" "1000 /tmp six-value" "$out"
}
c_dk_pause_unpause() {
  local out id dir
  dk pause "$BG" >/dev/null || failed $? || return 1
  want_eq "state after pause" "paused 0" "$(dk_state "$BG")" || return 1
  id=$(dk inspect --format '{{.Id}}' "$BG") || failed $? || return 1
  if [ -d "/sys/fs/cgroup/freezer$CG_DOCKER/$id" ]; then
    want_eq "freezer.state" FROZEN "$(cat "/sys/fs/cgroup/freezer$CG_DOCKER/$id/freezer.state")" || return 1
  elif [ -e "/sys/fs/cgroup$CG_DOCKER/$id/cgroup.events" ]; then
    grep -qx 'frozen 1' "/sys/fs/cgroup$CG_DOCKER/$id/cgroup.events" || { echo "cgroup.events does not say frozen 1"; return 1; }
  else
    echo "the container's cgroup is not at $CG_DOCKER/$id"; return 1
  fi
  dk unpause "$BG" >/dev/null || failed $? || return 1
  out=$(dk exec "$BG" echo thawed) || failed $? || return 1
  want_eq "exec after unpause" thawed "$out"
}
c_dk_stop_trap() {
  dk stop -t 10 "$BG" >/dev/null || failed $? || return 1
  want_eq "state after stop" "exited 0" "$(dk_state "$BG")" || return 1
  bg_logs_have got-term || { echo "the TERM trap did not run: $(dk logs "$BG" 2>&1 | one_line)"; return 1; }
}
c_dk_start_again() {
  dk start "$BG" >/dev/null || failed $? || return 1
  want_eq "state after start" "running 0" "$(dk_state "$BG")" || return 1
  wait_for 20 bg_logs_have started 2 || { echo "no second 'started' in the logs: $(dk logs "$BG" 2>&1 | one_line)"; return 1; }
  local out
  out=$(dk exec "$BG" echo again) || failed $? || return 1
  want_eq "exec after start" again "$out"
}
c_dk_kill_wait() {
  local out
  dk kill "$BG" >/dev/null || failed $? || return 1
  out=$(dk wait "$BG") || failed $? || return 1
  want_eq "exit code after docker kill (SIGKILL)" 137 "$out" || return 1
  dk rm "$BG" >/dev/null || failed $?
}
c_dk_wait_code() {
  local name="$PREFIX-wait" out
  dk run -d --name "$name" "$IMAGE" sh -c 'sleep 0.5; exit 7' >/dev/null || failed $? || return 1
  out=$(dk wait "$name") || failed $? || return 1
  want_eq "docker wait" 7 "$out" || return 1
  dk rm "$name" >/dev/null || failed $?
}
c_dk_kill_signal() {
  local name="$PREFIX-usr1" out
  dk run -d --name "$name" "$IMAGE" sh -c 'trap "exit 9" USR1; echo ready; while :; do sleep 0.1; done' >/dev/null || failed $? || return 1
  wait_for 20 logs_have "$name" ready || { echo "the container never printed ready"; return 1; }
  dk kill -s USR1 "$name" >/dev/null || failed $? || return 1
  out=$(dk wait "$name") || failed $? || return 1
  want_eq "exit code after USR1" 9 "$out" || return 1
  dk rm "$name" >/dev/null || failed $?
}
c_dk_stop_escalates() {
  local name="$PREFIX-stubborn"
  dk run -d --name "$name" "$IMAGE" sleep 1000 >/dev/null || failed $? || return 1
  dk stop -t 1 "$name" >/dev/null || failed $? || return 1 # pid 1 ignores SIGTERM
  want_eq "state after stop -t 1" "exited 137" "$(dk_state "$name")" || return 1
  dk rm "$name" >/dev/null || failed $?
}
c_dk_rm_force() {
  local name="$PREFIX-rmf"
  dk run -d --name "$name" "$IMAGE" sleep 1000 >/dev/null || failed $? || return 1
  dk rm -f "$name" >/dev/null || failed $? || return 1
  if dk inspect "$name" >/dev/null 2>&1; then echo "$name still exists after rm -f"; return 1; fi
}
# commit of a running container: dockerd pauses it (the runtime's pause and resume).
c_dk_commit() {
  local name="$PREFIX-commit" out
  dk run -d --name "$name" "$IMAGE" sh -c 'echo committed >/marker; exec sleep 1000' >/dev/null || failed $? || return 1
  wait_for 20 dk exec "$name" test -e /marker || { echo "no /marker in the running container"; return 1; }
  dk commit "$name" "$PREFIX-committed:1" >/dev/null || failed $? || return 1
  out=$(drun "$PREFIX-committed:1" cat /marker) || { echo "$out"; return 1; }
  want_eq "/marker in the committed image" committed "$out" || return 1
  dk rm -f "$name" >/dev/null && dk rmi "$PREFIX-committed:1" >/dev/null || failed $?
}
# Push to a registry of the suite's own (127.0.0.1 in dockerd's network namespace), remove the
# image, pull it back and run it.
REGISTRY_PID=""
registry_up() { [ "$(http_get 5000 /v2/)" = "{}" ]; }
# Started by the main shell (not inside a check's subshell), so that docker_stop can stop it.
registry_start() {
  command -v docker-registry >/dev/null || return 0
  in_docker_netns docker-registry serve "$DOCKER_DIR/registry.yml" </dev/null >"$DOCKER_DIR/registry.log" 2>&1 &
  REGISTRY_PID=$!
}
c_dk_registry_pull() {
  local ref=127.0.0.1:5000/sixcompat/busybox:pulled out
  command -v docker-registry >/dev/null || { echo "docker-registry is not installed (see .ci/run)"; return 1; }
  wait_for 20 registry_up || { echo "the registry did not answer: $(tail -n 3 "$DOCKER_DIR/registry.log" | one_line)"; return 1; }
  dk tag "$IMAGE" "$ref" && dk push "$ref" >/dev/null || failed $? || return 1
  dk rmi "$ref" "$IMAGE" >/dev/null || failed $? || return 1
  dk pull "$ref" >/dev/null || failed $? || return 1
  out=$(drun "$ref" echo pulled-and-run) || { echo "$out"; return 1; }
  want_eq "output of the pulled image" pulled-and-run "$out" || return 1
  dk tag "$ref" "$IMAGE" && dk rmi "$ref" >/dev/null || failed $?
}

# ---- terminals (terminal.sh) ----------------------------------------------------------------------
c_dk_run_it() { terminal_check docker-run-it 4 "${DK[@]}" run -it --rm "$IMAGE" sh; }
c_dk_exec_it() { terminal_check docker-exec-it 6 "${DK[@]}" exec -it "$BG" sh; }

# What the suite's dockerd left once its containers are gone: runtime state, cgroups, mounts.
c_dk_no_container_leftovers() {
  local x found=""
  x=$(dk ps -aq) && [ -n "$x" ] && found+="containers: $x; "
  x=$(find "$DOCKER_DIR/exec" -mindepth 3 -maxdepth 3 -path '*/runtime-*/moby/*' ! -name '.*' 2>/dev/null) && [ -n "$x" ] && found+="runtime state: $x; "
  x=$(suite_container_cgroups | grep -F "$CG_DOCKER/") && [ -n "$x" ] && found+="cgroups: $x; "
  [ -z "$found" ] || { echo "$found" | tr '\n' ' '; return 1; }
}

# Stops the suite's dockerd by PID (TERM, then KILL), its containerd and registry, then every
# process left in its namespaces. Safe to call twice.
docker_stop() {
  local pid i cmdline
  [ -n "$DOCKERD_PID" ] || return 0
  for i in $(dk ps -aq 2>/dev/null); do dk rm -f "$i" >/dev/null 2>&1; done
  [ -n "$REGISTRY_PID" ] && kill -TERM "$REGISTRY_PID" 2>/dev/null
  kill -TERM "$DOCKERD_PID" 2>/dev/null
  for i in $(seq 200); do kill -0 "$DOCKERD_PID" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$DOCKERD_PID" 2>/dev/null
  wait "$DOCKERD_PID" 2>/dev/null
  pid=$(cat "$DOCKER_DIR/containerd.pid" 2>/dev/null)
  cmdline=$(tr '\0' ' ' 2>/dev/null <"/proc/${pid:-none}/cmdline")
  if [ -n "$pid" ] && [[ $cmdline == *"$DOCKER_DIR"* ]]; then
    kill -TERM "$pid" 2>/dev/null
    for i in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null
  fi
  for pid in $(docker_ns_pids); do kill -KILL "$pid" 2>/dev/null; done
  [ -n "$REGISTRY_PID" ] && wait "$REGISTRY_PID" 2>/dev/null
  DOCKERD_PID=""
  REGISTRY_PID=""
}
# PIDs of processes in dockerd's network or mount namespace (none once it is gone).
docker_ns_pids() {
  local d
  [ -n "$DOCKER_NETNS$DOCKER_MNTNS" ] || return 0
  for d in /proc/[0-9]*; do
    [ "$(readlink "$d/ns/net" 2>/dev/null)" = "$DOCKER_NETNS" ] || [ "$(readlink "$d/ns/mnt" 2>/dev/null)" = "$DOCKER_MNTNS" ] || continue
    echo "${d#/proc/}"
  done
}
c_dk_stopped_leaves_nothing() {
  local x found="" i
  for i in $(seq 100); do [ -z "$(docker_ns_pids)" ] && break; sleep 0.1; done
  x=$(docker_ns_pids) && [ -n "$x" ] &&
    found+="processes in its namespaces: $(for p in $x; do ps -o pid=,stat=,ppid=,args= -p "$p" | cut -c1-120; done); "
  x=$(comm -13 <(printf '%s\n' "$DOCKER_HOST_PATHS_BEFORE") <(ls -d "${DOCKER_HOST_PATHS[@]}" 2>/dev/null)) && [ -n "$x" ] && found+="host paths: $x; "
  x=$(suite_container_cgroups | grep -F "$CG_DOCKER/") && [ -n "$x" ] && found+="cgroups: $x; "
  x=$(suite_mounts) && [ -n "$x" ] && found+="mounts: $x; "
  [ -z "$found" ] || { echo "$found" | tr '\n' ' '; return 1; }
}

docker_suite() {
  local tool
  for tool in dockerd unshare nsenter; do
    command -v "$tool" >/dev/null || { fail "docker: $tool is installed" "$tool is missing (see .ci/run); Docker checks skipped"; return 0; }
  done
  docker_start || return 0
  check "docker load (busybox docker-archive made here)" c_dk_load
  check "docker run --rm echo hi" c_dk_echo
  check "docker run exit code (sh -c 'exit 3' -> 3)" c_dk_exit_code
  check "docker run -i (stdin)" c_dk_stdin
  check "docker run -e -w -u --hostname" c_dk_options
  check "docker run --read-only --tmpfs /tmp" c_dk_read_only
  check "docker run --memory 64m --cpus 0.5 --pids-limit 50 (cgroup files)" c_dk_limits
  check "docker run --network none (only lo)" c_dk_network_none
  check "docker run on the default bridge (address, route, gateway reached)" c_dk_bridge
  check "docker run -p 127.0.0.1:18080:80 (page fetched through the published port)" c_dk_publish
  check "docker run -v HOSTDIR:/data and a named volume" c_dk_volumes
  check "docker run -d" c_dk_run_detached
  check "docker logs" c_dk_logs
  check "docker exec" c_dk_exec
  check "docker exec exit code (5)" c_dk_exec_exit_code
  check "docker exec -u 1000 -w /tmp -e KEY=VALUE" c_dk_exec_options
  check "docker pause + unpause (freezer)" c_dk_pause_unpause
  terminal_checks "docker exec -it (terminal size, exit code)" c_dk_exec_it \
    "docker run -it (interactive shell, terminal size, exit code)" c_dk_run_it
  check "docker stop (the TERM trap runs, exit code 0)" c_dk_stop_trap
  check "docker start of a stopped container" c_dk_start_again
  check "docker kill + docker wait (137)" c_dk_kill_wait
  check "docker wait (exit code 7)" c_dk_wait_code
  check "docker kill -s USR1 (trap runs, exit code 9)" c_dk_kill_signal
  check "docker stop -t 1 of a container ignoring SIGTERM (SIGKILL, exit code 137)" c_dk_stop_escalates
  check "docker rm -f of a running container" c_dk_rm_force
  check "docker commit of a running container (paused for it), run the new image" c_dk_commit
  registry_start
  check "docker push + pull through a registry of the suite's own, run the pulled image" c_dk_registry_pull
  check "docker: nothing left after its containers are gone (runtime state, cgroups)" c_dk_no_container_leftovers
  docker_stop # in this shell: dockerd, containerd and the registry are its children
  check "dockerd stopped by PID: no process in its namespaces, no host path, cgroup or mount left" c_dk_stopped_leaves_nothing
  exec {DOCKER_NETNS_FD}<&- {DOCKER_MNTNS_FD}<&-
}
