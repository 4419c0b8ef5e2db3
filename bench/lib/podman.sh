# Sourced by the bench scripts: a Podman of their own, every path below $TMP, and the same
# busybox rootfs for sixdocker and Podman. `bench_stores` makes $TMP and the SIXC and POD
# arrays; the others need them and $SIX.

# bench_stores NAME: a temporary dir $TMP (/tmp/NAME.XXXXXX) holding sixdocker's store (SIXC:
# its --root and --runroot) and Podman's (POD: podman with its own root, runroot and tmp dir,
# cgroupfs, file events); Podman's containers nest below this shell's own cgroup (its memory
# cgroup; the others are /), in $POD_CGROUP_PARENT.
bench_stores() {
  TMP=$(mktemp -d "/tmp/$1.XXXXXX")
  SIXC=(--root "$TMP/six-root" --runroot "$TMP/six-run")
  local my_cgroup
  my_cgroup=$(awk -F: '$2 == "memory" { print $3 }' /proc/self/cgroup)
  POD_CGROUP_PARENT="${my_cgroup%/}/six-$1-$$"
  POD=(podman --root "$TMP/pod/root" --runroot "$TMP/pod/run" --tmpdir "$TMP/pod/tmp"
       --storage-driver overlay --cgroup-manager cgroupfs --events-backend file)
}

# bench_stores_reset: removes the containers, networks and images of both stores and Podman's
# cgroups (whatever fails, it goes on).
bench_stores_reset() {
  "$SIX" "${SIXC[@]}" system reset -f >/dev/null 2>&1
  "${POD[@]}" rm -f -a -t 0 >/dev/null 2>&1
  "${POD[@]}" system reset -f >/dev/null 2>&1
  local h
  for h in /sys/fs/cgroup/*/; do
    if [ -d "$h${POD_CGROUP_PARENT#/}" ]; then
      find "$h${POD_CGROUP_PARENT#/}" -depth -type d -exec rmdir {} \; 2>/dev/null
    fi
  done
  return 0
}

# bench_stores_remove: unmounts anything still mounted below $TMP and removes it.
bench_stores_remove() {
  grep -o " $TMP[^ ]*" /proc/self/mountinfo | sort -r | while read -r m; do umount -l "$m"; done
  rm -rf "$TMP"
}

# podman_config [NETWORK_BACKEND]: writes Podman's containers.conf and registries.conf under
# $TMP/pod and exports them. This machine's hard RLIMIT_NOFILE is 20000 and root lacks
# CAP_SYS_RESOURCE, so Podman's default rlimits cannot be applied.
podman_config() {
  local backend=${1:+network_backend = \"$1\"}
  mkdir -p "$TMP"/pod/{root,run,tmp,net,volumes}
  cat >"$TMP/pod/containers.conf" <<CONF
[containers]
default_ulimits = ["nofile=4096:4096", "nproc=4096:4096"]
cgroups = "no-conmon"
[network]
$backend
network_config_dir = "$TMP/pod/net"
[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "$TMP/pod/events.log"
tmp_dir = "$TMP/pod/tmp"
static_dir = "$TMP/pod/root/libpod"
volume_path = "$TMP/pod/volumes"
lock_type = "file"
conmon_env_vars = ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "CONTAINERS_CONF=$TMP/pod/containers.conf", "CONTAINERS_REGISTRIES_CONF=$TMP/pod/registries.conf"]
CONF
  printf 'unqualified-search-registries = []\n' >"$TMP/pod/registries.conf"
  export CONTAINERS_CONF="$TMP/pod/containers.conf" CONTAINERS_REGISTRIES_CONF="$TMP/pod/registries.conf"
}

# shared_busybox: sixdocker's busybox image, exported and imported into Podman as
# localhost/six-busybox:latest, so both tools run the same rootfs.
shared_busybox() {
  "$SIX" "${SIXC[@]}" run --name bench-export --network none busybox true
  "$SIX" "${SIXC[@]}" export -o "$TMP/busybox.tar" bench-export
  "$SIX" "${SIXC[@]}" rm bench-export >/dev/null
  "${POD[@]}" import -q "$TMP/busybox.tar" localhost/six-busybox:latest >/dev/null
}

# podman_runtime: crun for Podman (POD_RUNTIME, appended to POD), or runc where crun refuses
# this host (crun 1.8 refuses a hybrid cgroup layout whose v2 hierarchy lists controllers).
podman_runtime() {
  POD_RUNTIME=crun
  if ! "${POD[@]}" --runtime crun run --rm --cgroup-parent "$POD_CGROUP_PARENT" --network none localhost/six-busybox true 2>"$TMP/crun.err"; then
    echo "podman with crun fails here ($(tail -1 "$TMP/crun.err")); using runc" >&2
    POD_RUNTIME=runc
  fi
  POD+=(--runtime "$POD_RUNTIME")
}
