# Sourced by the sixrun benches (bench/sixrun-*.sh), which call `runtime_bench_setup "$@"`
# first: it builds sixrun (release; SIXRUN=path/to/sixrun uses that binary instead), re-runs
# the calling script inside a private mount namespace (`unshare -m`) where
# /sys/fs/cgroup/unified is unmounted (crun 1.8 refuses this machine's hybrid cgroup layout
# otherwise; nothing done there is seen by the host), and there makes a busybox bundle whose
# process is /bin/true. After it: $here (the checkout), $work (a temp dir, removed on exit),
# $bundle (the current directory) and $sixrun.
runtime_bench_setup() {
  here=$(cd "$(dirname "$0")/.." && pwd)
  if [ "${SIXRUN_BENCH_INNER:-}" != 1 ]; then
    if [ -z "${SIXRUN:-}" ]; then
      cargo build --release -p sixrun --manifest-path "$here/Cargo.toml" >&2
    fi
    exec unshare -m env SIXRUN_BENCH_INNER=1 bash "$0" "$@"
  fi
  mount --make-rprivate /
  if mountpoint -q /sys/fs/cgroup/unified; then umount /sys/fs/cgroup/unified; fi
  work=$(mktemp -d /tmp/sixrun-bench.XXXXXX)
  trap 'rm -rf "$work"' EXIT
  bundle=$work/bundle
  mkdir -p "$bundle/rootfs"/{bin,dev,proc,sys,etc,tmp}
  cp /bin/busybox "$bundle/rootfs/bin/busybox"
  ln -s busybox "$bundle/rootfs/bin/true"
  ln -s busybox "$bundle/rootfs/bin/sh"
  cd "$bundle"
  sixrun="${SIXRUN:-$here/target/release/sixrun}"
  "$sixrun" spec
  python3 - <<'PY'
import json
c = json.load(open("config.json"))
c["process"]["terminal"] = False
c["process"]["args"] = ["/bin/true"]
json.dump(c, open("config.json", "w"), indent=1)
PY
}
