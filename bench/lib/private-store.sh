# Sourced by the sixdocker benches that need a store of their own (bench/listing.sh,
# bench/parallel-run.sh): `private_store NAME` makes $TMP (a temp dir /tmp/NAME.XXXXXX) and
# $SIXC (the --root/--runroot flags into it) for the binary $SIX, and removes on exit every
# container, network (bridge, firewall rules) and image it holds, its mounts and the dir.
private_store() {
  TMP=$(mktemp -d "/tmp/$1.XXXXXX")
  SIXC=(--root "$TMP/root" --runroot "$TMP/run")
  trap private_store_cleanup EXIT
}

private_store_cleanup() {
  set +e
  "$SIX" "${SIXC[@]}" system reset -f >/dev/null 2>&1
  grep -o " $TMP[^ ]*" /proc/self/mountinfo | sort -r | while read -r m; do umount -l "$m"; done
  rm -rf "$TMP"
}
