#!/bin/sh
# log-runtime.sh: a transparent wrapper around an OCI runtime that records every call.
# Owns: appending one line per call (the runtime's name and argv) to $SIXCOMPAT_RUNTIME_LOG,
# and keeping a copy of the spec each call hands over (create: the bundle's config.json;
# exec: the --process file) in $SIXCOMPAT_RUNTIME_LOG.specs/, then exec'ing the real runtime
# ($SIXCOMPAT_REAL_RUNTIME) with the same argv, stdio and fds. Never changes arguments or
# output, so its caller (conmon, containerd-shim, podman) cannot tell it is there.
# Podman and the containerd shim scrub their environment, so when the variables are absent
# the wrapper reads them from "<its own path without .sh>.conf" (run.sh writes that file).
conf="${0%.sh}.conf"
if [ -z "${SIXCOMPAT_REAL_RUNTIME:-}" ] && [ -r "$conf" ]; then . "$conf"; fi
if [ -z "${SIXCOMPAT_REAL_RUNTIME:-}" ]; then
  echo "log-runtime.sh: set SIXCOMPAT_REAL_RUNTIME to the runtime to wrap" >&2
  exit 127
fi
if [ -n "${SIXCOMPAT_RUNTIME_LOG:-}" ]; then
  { printf '%s' "$(basename "$SIXCOMPAT_REAL_RUNTIME")"; printf ' %s' "$@"; printf '\n'; } >>"$SIXCOMPAT_RUNTIME_LOG"
  # Which spec does this call carry? create: <bundle>/config.json (bundle defaults to the
  # working directory); exec: the file after --process/-p.
  cmd="" bundle="$PWD" process="" want=""
  for arg in "$@"; do
    case $want in
      bundle) bundle=$arg; want=""; continue ;;
      process) process=$arg; want=""; continue ;;
    esac
    case $arg in
      --bundle | -b) want=bundle ;;
      --bundle=*) bundle=${arg#--bundle=} ;;
      --process | -p) want=process ;;
      --process=*) process=${arg#--process=} ;;
      create | run | exec) [ -z "$cmd" ] && cmd=$arg ;;
    esac
  done
  specs="$SIXCOMPAT_RUNTIME_LOG.specs"
  mkdir -p "$specs"
  n=$(date +%s%N)
  case $cmd in
    create | run) cp "$bundle/config.json" "$specs/$n-$cmd.json" 2>/dev/null ;;
    exec) [ -n "$process" ] && cp "$process" "$specs/$n-exec.json" 2>/dev/null ;;
  esac
fi
exec "$SIXCOMPAT_REAL_RUNTIME" "$@"
