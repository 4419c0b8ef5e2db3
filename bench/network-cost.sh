#!/usr/bin/env bash
# What networking adds per container: `run --rm busybox true` on the default network against
# `--network none`, for sixdocker (release build) and, side by side, Podman (its default
# network through netavark), on the same busybox rootfs. Hyperfine; prints the medians and
# the differences. Each tool gets its own temporary store; everything made here is removed on
# exit: both stores (`system reset -f`), temp dirs, Podman's cgroups, and the bridge and
# firewall chains/rules Podman made (only those that were not there before).
# Podman runs with runc: crun 1.8 refuses this host's hybrid cgroup layout.
# A published port (`-p 127.0.0.1::80`: its DNAT and accept rules added, then removed) is
# timed on each firewall backend, nftables and iptables (SIXDOCKER_FIREWALL_BACKEND, a store
# of its own each).
# Usage: bench/network-cost.sh [RUNS]   (needs root, hyperfine, podman, netavark, runc, jq)
# SIXDOCKER=path/to/sixdocker times that binary instead of building one.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-40}
export SIXDOCKER_NO_IP_FORWARD=1  # never touch the host's ip_forward from sixdocker

if [ -z "${SIXDOCKER:-}" ]; then
  cargo build --release -p sixdocker >&2
fi
SIX="${SIXDOCKER:-$PWD/target/release/sixdocker}"
. bench/lib/podman.sh  # cwd is the repository root (see cd above)
bench_stores network-cost
SIX_NFT=(--root "$TMP/six-nft" --runroot "$TMP/six-nft-run")
SIX_IPT=(--root "$TMP/six-ipt" --runroot "$TMP/six-ipt-run")
POD+=(--runtime runc)

# What exists before we start, so that cleanup removes only what Podman made here.
IP_FORWARD_BEFORE=$(cat /proc/sys/net/ipv4/ip_forward)
LINKS_BEFORE=$(ip -o link show | awk -F': ' '{ print $2 }' | cut -d@ -f1)
iptables-save >"$TMP/iptables.before"

# Podman's (netavark's) chains and rules that were not there before, removed per table:
# first the new rules in older chains and the new chains' contents, then the new chains.
remove_new_podman_rules() {
  iptables-save >"$TMP/iptables.after"
  local table pass1 pass2 chain rule
  for table in filter nat mangle raw; do
    pass1="" pass2=""
    # new chains: declared now, not before
    for chain in $(sed -n "/^\*$table\$/,/^COMMIT/p" "$TMP/iptables.after" | awk '/^:NETAVARK/ { print substr($1, 2) }'); do
      if ! sed -n "/^\*$table\$/,/^COMMIT/p" "$TMP/iptables.before" | grep -q "^:$chain "; then
        pass1+=":$chain - [0:0]"$'\n'  # with --noflush: flushes the chain
        pass2+="-X $chain"$'\n'
      fi
    done
    # new rules that mention netavark's chains, in chains that stay
    while IFS= read -r rule; do
      chain=$(awk '{ print $2 }' <<<"$rule")
      if [[ $pass2 != *"-X $chain"$'\n'* ]] &&
        ! sed -n "/^\*$table\$/,/^COMMIT/p" "$TMP/iptables.before" | grep -qxF -- "$rule"; then
        pass1+="-D ${rule#-A }"$'\n'
      fi
    done < <(sed -n "/^\*$table\$/,/^COMMIT/p" "$TMP/iptables.after" | grep -E '^-A .*NETAVARK' || true)
    if [ -n "$pass1" ]; then
      printf '*%s\n%sCOMMIT\n' "$table" "$pass1" | iptables-restore --noflush || true
    fi
    if [ -n "$pass2" ]; then
      printf '*%s\n%sCOMMIT\n' "$table" "$pass2" | iptables-restore --noflush || true
    fi
  done
}

cleanup() {
  set +e  # undo as much as possible, whatever fails
  SIXDOCKER_FIREWALL_BACKEND=nftables "$SIX" "${SIX_NFT[@]}" system reset -f >/dev/null 2>&1
  SIXDOCKER_FIREWALL_BACKEND=iptables "$SIX" "${SIX_IPT[@]}" system reset -f >/dev/null 2>&1
  bench_stores_reset
  # Podman's bridge and veths, if it made them here (netavark usually removes them itself).
  for link in $(ip -o link show | awk -F': ' '{ print $2 }' | cut -d@ -f1); do
    if ! grep -qxF "$link" <<<"$LINKS_BEFORE" && [[ $link == podman* || $link == veth* ]]; then
      ip link del "$link" 2>/dev/null
    fi
  done
  remove_new_podman_rules
  if [ "$(cat /proc/sys/net/ipv4/ip_forward)" != "$IP_FORWARD_BEFORE" ]; then
    echo "netavark changed net.ipv4.ip_forward; restoring $IP_FORWARD_BEFORE" >&2
    echo "$IP_FORWARD_BEFORE" >/proc/sys/net/ipv4/ip_forward
  fi
  bench_stores_remove
}
trap cleanup EXIT

podman_config netavark

# The same rootfs for both: sixdocker's busybox image, exported and imported into podman.
shared_busybox
# Both default networks are set up once (bridge, firewall rules) before timing.
"$SIX" "${SIXC[@]}" run --rm busybox true
SIXDOCKER_FIREWALL_BACKEND=nftables "$SIX" "${SIX_NFT[@]}" run --rm -p 127.0.0.1::80 busybox true
SIXDOCKER_FIREWALL_BACKEND=iptables "$SIX" "${SIX_IPT[@]}" run --rm -p 127.0.0.1::80 busybox true
"${POD[@]}" run --rm --cgroup-parent "$POD_CGROUP_PARENT" localhost/six-busybox true

json="$TMP/network-cost.json"
POD_RUN="${POD[*]} run --rm --cgroup-parent $POD_CGROUP_PARENT"
hyperfine -N --warmup 3 --runs "$RUNS" --export-json "$json" \
  -n "sixdocker default network" "$SIX ${SIXC[*]} run --rm busybox true" \
  -n "sixdocker --network none" "$SIX ${SIXC[*]} run --rm --network none busybox true" \
  -n "sixdocker -p, nftables" "env SIXDOCKER_FIREWALL_BACKEND=nftables $SIX ${SIX_NFT[*]} run --rm -p 127.0.0.1::80 busybox true" \
  -n "sixdocker -p, iptables" "env SIXDOCKER_FIREWALL_BACKEND=iptables $SIX ${SIX_IPT[*]} run --rm -p 127.0.0.1::80 busybox true" \
  -n "podman default network" "$POD_RUN localhost/six-busybox true" \
  -n "podman --network none" "$POD_RUN --network none localhost/six-busybox true"

echo
echo "medians (ms) of run --rm busybox true, $RUNS runs each:"
jq -r '.results[] | "  \(.command): \(.median * 1000 | . * 10 | round / 10)"' "$json"
jq -r '
  (.results | map({(.command): (.median * 1000)}) | add) as $m
  | "network adds (median default - median none):",
    "  sixdocker: \($m["sixdocker default network"] - $m["sixdocker --network none"] | . * 10 | round / 10) ms   (target: under 10 ms)",
    "  a published port adds: nftables \($m["sixdocker -p, nftables"] - $m["sixdocker default network"] | . * 10 | round / 10) ms, iptables \($m["sixdocker -p, iptables"] - $m["sixdocker default network"] | . * 10 | round / 10) ms",
    "  podman:    \($m["podman default network"] - $m["podman --network none"] | . * 10 | round / 10) ms"' "$json"
