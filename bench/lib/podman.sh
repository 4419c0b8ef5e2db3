# Sourced by the bench scripts: a Podman of their own, every path below $TMP, and the same
# busybox rootfs for sixdocker and Podman. Needs $TMP, $SIX, the SIXC and POD arrays.

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
