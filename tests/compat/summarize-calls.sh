#!/usr/bin/env bash
# summarize-calls.sh LOG: the distinct runtime calls in a log written by log-runtime.sh.
# Owns: turning per-call lines into "count  argv-shape" rows, with paths shown as PATH and
# container IDs as ID, so that every subcommand + flag combination appears once.
# Never runs anything; reads LOG only.
set -euo pipefail
[ $# -eq 1 ] || { echo "usage: $0 RUNTIME_CALL_LOG" >&2; exit 2; }
sed -E 's#/tmp/sixcompat[^ ]*#PATH#g; s/\b[0-9a-f]{64}\b/ID/g; s/\bsixcompat-[0-9]+-[a-z]+\b/ID/g; s/^[^ ]+ /RUNTIME /' "$1" |
  sort | uniq -c | sort -k3,3 -k2,2nr | sed -E 's/^ *([0-9]+) /\1\t/'
