# Sourced by scripts/make-*-image.sh: what making a flat rootfs tarball from host packages
# takes. After `flat_image_begin OUT.tar NEEDED_PATH... -- PACKAGES`: $out is the tarball's
# absolute path, $stage an empty directory removed on exit; `copy FILE` copies a host file
# to the same path in the stage, `copy_with_libs BINARY` the binary and every library ldd
# names for it (with the loader).

flat_image_begin() {
  local me=$0
  if [ -z "${1:-}" ] || [ "${1#-}" != "$1" ]; then
    echo "usage: $me OUT.tar" >&2
    exit 2
  fi
  out=$1
  shift
  case "$out" in /*) ;; *) out="$PWD/$out" ;; esac
  local needs=() packages=""
  while [ $# -gt 0 ]; do
    if [ "$1" = -- ]; then shift; packages="$*"; break; fi
    needs+=("$1")
    shift
  done
  local need
  for need in "${needs[@]}"; do
    if [ ! -e "$need" ]; then
      echo "$me: $need is missing (apt-get install $packages)" >&2
      exit 1
    fi
  done
  if [ "$(id -u)" -ne 0 ]; then
    echo "$me: run as root: the image's files must belong to root" >&2
    exit 1
  fi
  stage=$(mktemp -d "${TMPDIR:-/tmp}/flat-rootfs.XXXXXX")
  trap 'rm -rf "$stage"' EXIT
}

copy() {
  mkdir -p "$stage$(dirname "$1")"
  cp -L --preserve=mode,timestamps "$1" "$stage$1"
}

copy_with_libs() {
  copy "$1"
  ldd "$1" | awk '/=> \// { print $3 } /^[[:space:]]*\// { print $1 }' | while read -r lib; do
    copy "$lib"
  done
}
