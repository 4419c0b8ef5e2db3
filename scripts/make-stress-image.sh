#!/usr/bin/env bash
# make-stress-image.sh OUT.tar
#
# Builds a flat rootfs tarball with `stress` (Debian's package, as installed on this host:
# /usr/bin/stress and every library `ldd` lists for it, with the loader) and busybox-static
# (/bin/sh and its applets), for the original sixDocker's memory line:
#   sixdocker run -ti -m 100m --name test -image stress -- stress --vm-bytes 200m --vm-keep -m 1
#
# Put OUT.tar as stress.tar in sixdocker's image import folder (or `sixdocker import OUT.tar
# stress`). Needs: stress, busybox-static, tar, ldd. Run as root (files belong to root).
set -euo pipefail

. "$(dirname "$0")/lib/flat-image.sh"
flat_image_begin "${1:-}" /usr/bin/stress /bin/busybox -- stress busybox-static

copy_with_libs /usr/bin/stress

mkdir -p "$stage/bin" "$stage/etc" "$stage/tmp" "$stage/dev" "$stage/proc" "$stage/sys" "$stage/root"
cp /bin/busybox "$stage/bin/busybox"
for applet in $("$stage/bin/busybox" --list); do
  [ -e "$stage/bin/$applet" ] || ln -s busybox "$stage/bin/$applet"
done
echo "root:x:0:0:root:/root:/bin/sh" > "$stage/etc/passwd"
echo "root:x:0:" > "$stage/etc/group"
chmod 1777 "$stage/tmp"
chmod 700 "$stage/root"
chmod 755 "$stage"
chown -R 0:0 "$stage"

tar --sort=name --numeric-owner -C "$stage" -cf "$out" .
echo "wrote $out ($(du -h "$out" | cut -f1)): import it as stress.tar in the image folder, or 'sixdocker import $out stress'"
