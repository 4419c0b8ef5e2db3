#!/bin/sh
# log-runtime.sh: a transparent wrapper around an OCI runtime that records every call.
# Owns: appending one line per call ("<argv...>") to $SIXCOMPAT_RUNTIME_LOG, then exec'ing the
# real runtime ($SIXCOMPAT_REAL_RUNTIME) with the same argv, stdio and fds. Never changes
# arguments or output, so the caller (conmon, containerd-shim, podman) cannot tell it is there.
# Podman and the containerd shim scrub parts of their environment, so when the variables are
# absent the wrapper reads them from a file next to itself (written by run.sh).
conf="${0%.sh}.conf"   # runc -> runc.conf, log-runtime.sh -> log-runtime.conf
if [ -z "${SIXCOMPAT_REAL_RUNTIME:-}" ] && [ -r "$conf" ]; then . "$conf"; fi
if [ -z "${SIXCOMPAT_REAL_RUNTIME:-}" ]; then
  echo "log-runtime.sh: set SIXCOMPAT_REAL_RUNTIME to the runtime to wrap" >&2
  exit 127
fi
if [ -n "${SIXCOMPAT_RUNTIME_LOG:-}" ]; then
  # One line per call; printf %s keeps each argument as given, separated by spaces.
  { printf '%s' "$(basename "$SIXCOMPAT_REAL_RUNTIME")"; printf ' %s' "$@"; printf '\n'; } >>"$SIXCOMPAT_RUNTIME_LOG"
fi
exec "$SIXCOMPAT_REAL_RUNTIME" "$@"
