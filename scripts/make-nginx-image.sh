#!/usr/bin/env bash
# make-nginx-image.sh OUT.tar
#
# Builds a flat nginx rootfs tarball from Debian's nginx package as installed on this host
# (nginx-light or nginx): /usr/sbin/nginx, every library `ldd` lists for it and its dynamic
# modules (with the loader), /etc/nginx, /var/log/nginx (access/error logs linked to
# /dev/stdout and /dev/stderr, as the official image does), /var/lib/nginx, /run, a
# www-data user and group, /var/www/html/index.html, and /bin/sh from busybox-static.
#
# Put OUT.tar as nginx.tar in sixdocker's image import folder (or `sixdocker import
# OUT.tar nginx`), then:
#   sixdocker run -ti -image nginx --name web -- nginx -g 'daemon off;'
#
# Needs: nginx (nginx-light), busybox-static, tar, ldd. Run as root (files get owners).
set -euo pipefail

. "$(dirname "$0")/lib/flat-image.sh"
flat_image_begin "${1:-}" /usr/sbin/nginx /bin/busybox /etc/nginx/nginx.conf -- nginx-light busybox-static

# The binary, its modules, and every library ldd names for them (plus the loader).
binaries=(/usr/sbin/nginx)
if [ -d /usr/lib/nginx/modules ]; then
  while IFS= read -r -d '' m; do binaries+=("$m"); done < <(find /usr/lib/nginx/modules -name '*.so' -print0)
fi
for bin in "${binaries[@]}"; do
  copy_with_libs "$bin"
done

# Configuration, logs, state, web root.
mkdir -p "$stage/etc" "$stage/var/log/nginx" "$stage/var/lib/nginx" "$stage/var/www/html" \
  "$stage/run" "$stage/tmp" "$stage/dev" "$stage/proc" "$stage/sys" "$stage/root" "$stage/bin"
cp -a /etc/nginx "$stage/etc/nginx"
# modules-enabled/*.conf link into /usr/share/nginx/modules-available.
if [ -d /usr/share/nginx ]; then
  mkdir -p "$stage/usr/share"
  cp -a /usr/share/nginx "$stage/usr/share/nginx"
fi
# Every absolute link in the config must resolve inside the image.
while IFS= read -r -d '' link; do
  target=$(readlink "$link")
  case "$target" in
    /*) [ -e "$stage$target" ] || { echo "$0: $link points to $target, which is not in the image" >&2; exit 1; } ;;
  esac
done < <(find "$stage/etc/nginx" -type l -print0)
ln -s /dev/stdout "$stage/var/log/nginx/access.log"
ln -s /dev/stderr "$stage/var/log/nginx/error.log"
chmod 1777 "$stage/tmp"
chmod 700 "$stage/root"
cat > "$stage/var/www/html/index.html" <<'HTML'
<!DOCTYPE html>
<html>
<head><title>Welcome to nginx!</title></head>
<body>
<h1>Welcome to nginx!</h1>
<p>Served by nginx in a sixdocker container.</p>
</body>
</html>
HTML
cat > "$stage/etc/passwd" <<'PASSWD'
root:x:0:0:root:/root:/bin/sh
www-data:x:33:33:www-data:/var/www:/bin/false
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
PASSWD
cat > "$stage/etc/group" <<'GROUP'
root:x:0:
adm:x:4:
www-data:x:33:
nogroup:x:65534:
GROUP
echo "passwd: files" > "$stage/etc/nsswitch.conf"
echo "group: files" >> "$stage/etc/nsswitch.conf"

# A shell and a few tools from busybox-static, for convenience.
cp /bin/busybox "$stage/bin/busybox"
for applet in sh ls cat ps echo mkdir rm vi wget; do
  ln -s busybox "$stage/bin/$applet"
done

chmod 755 "$stage"
chown -R 0:0 "$stage"
chown 33:33 "$stage/var/lib/nginx"

tar --sort=name --numeric-owner --xattrs -C "$stage" -cf "$out" .
echo "wrote $out ($(du -h "$out" | cut -f1)): import it as nginx.tar in the image folder, or 'sixdocker import $out nginx'"
