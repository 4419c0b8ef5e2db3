# lib.sh: reporting and waiting helpers shared by the compat suite's check files.
# Owns: the ok/FAIL line format, the pass/fail counters, the one-line failure reason, and
# bounded polling. Never starts or stops anything itself.
# shellcheck shell=bash

PASSED=0
FAILED=0

# The reason shown after "FAIL name:": the last few lines of a check's output, on one line.
one_line() { tail -n 4 | tr '\n\t' '  ' | tr -s ' ' | cut -c1-400; }

pass() { printf 'ok   %s\n' "$1"; PASSED=$((PASSED + 1)); }
fail() { printf 'FAIL %s: %s\n' "$1" "$2"; FAILED=$((FAILED + 1)); }

# check NAME FUNCTION [ARGS...]: runs FUNCTION in a subshell; exit 0 is a pass, anything else
# a failure whose reason is what FUNCTION printed last (stdout and stderr together).
# SIXCOMPAT_BUDGET: seconds after which remaining checks fail unrun (a hanging runtime must
# not stall CI); each command inside a check has its own timeout too.
check() {
  local name=$1 out rc
  shift
  if [ $((SECONDS - ${START_SECONDS:-0})) -ge "${SIXCOMPAT_BUDGET:-420}" ]; then
    fail "$name" "not run: the suite's time budget of ${SIXCOMPAT_BUDGET:-420} s is spent"
    return
  fi
  out=$("$@" 2>&1)
  rc=$?
  if [ "$rc" -eq 0 ]; then
    pass "$name"
  else
    [ -n "$out" ] || out="exit status $rc"
    fail "$name" "$(printf '%s\n' "$out" | one_line)"
  fi
}

# want_eq WHAT EXPECTED ACTUAL: succeeds when equal, else says what differed.
want_eq() {
  if [ "$2" = "$3" ]; then return 0; fi
  printf '%s: expected %q, got %q\n' "$1" "$2" "$3"
  return 1
}

# want_match WHAT REGEX ACTUAL (extended regex, matched anywhere).
want_match() {
  if printf '%s\n' "$3" | grep -Eq -- "$2"; then return 0; fi
  printf '%s: expected a match for /%s/, got %q\n' "$1" "$2" "$3"
  return 1
}

# wait_for SECONDS COMMAND...: polls COMMAND every 0.1 s until it succeeds or time runs out.
wait_for() {
  local deadline=$((SECONDS + $1))
  shift
  while ! "$@" >/dev/null 2>&1; do
    [ "$SECONDS" -lt "$deadline" ] || return 1
    sleep 0.1
  done
}

# own_cgroup: this shell's cgroup as one path every hierarchy agrees with: the deepest path of
# /proc/self/cgroup, each of the others being an ancestor of it (on machines where processes
# sit below the root in some hierarchies only). Absolute cgroup paths below it stay inside the
# suite's own subtree in every hierarchy. Fails, naming them, when the paths diverge.
own_cgroup() {
  local deepest="" path
  while IFS=: read -r _ _ path; do
    [ "${#path}" -gt "${#deepest}" ] && deepest=$path
  done </proc/self/cgroup
  while IFS=: read -r _ _ path; do
    case "${deepest%/}/" in
      "${path%/}/"*) ;;
      *) echo "own_cgroup: this shell's cgroups $path and $deepest are not one below the other" >&2; return 1 ;;
    esac
  done </proc/self/cgroup
  echo "${deepest:-/}"
}

# cgroup_mount_points: where the cgroup hierarchies (v1 and cgroup2) are mounted.
cgroup_mount_points() { awk '$0 ~ / - cgroup2? / { print $5 }' /proc/self/mountinfo; }
