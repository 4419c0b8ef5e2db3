# terminal.sh: real terminals for the -it checks (sourced by run.sh).
# Owns: one tmux server of the suite's own (socket $TMUX_SOCK) whose panes are 100x30 ptys,
# and running a command in such a pane: wait for a shell prompt, type, collect the screen and
# the command's exit code under $TMP/tty. CI has no tty; tmux makes one.
# shellcheck shell=bash

TMUX_SOCK="$TMP/tmux.sock"
TTY_DIR="$TMP/tty"

# tmux_start: starts the server, or says why not (the terminal checks then fail).
tmux_start() {
  mkdir -p "$TTY_DIR"
  command -v tmux >/dev/null || { echo "tmux is not installed (CI must install the tmux package)"; return 1; }
  tmux -S "$TMUX_SOCK" -f /dev/null new-session -d -s keepalive -x 100 -y 30 "sleep 100000" &&
    tmux -S "$TMUX_SOCK" set-option -g status off >/dev/null &&
    tmux -S "$TMUX_SOCK" set-option -g remain-on-exit on >/dev/null ||
    { echo "tmux -S $TMUX_SOCK new-session failed"; return 1; }
}
# terminal_checks NAME_OF_CHECK FUNCTION ...: runs pairs of (check name, function) inside one
# tmux server; without tmux each of them fails with the reason.
terminal_checks() {
  local why
  if why=$(tmux_start); then
    while [ $# -ge 2 ]; do check "$1" "$2"; shift 2; done
    tmux_stop
  else
    while [ $# -ge 2 ]; do fail "$1" "$why"; shift 2; done
  fi
}
tmux_stop() { tmux -S "$TMUX_SOCK" kill-server 2>/dev/null || true; }

shows_prompt() { tmux -S "$TMUX_SOCK" capture-pane -p -t "$1" | grep -Eq '# ?$'; }
prompt_or_exit() { [ -e "$2" ] || shows_prompt "$1"; }
# in_terminal NAME KEYS COMMAND...: runs COMMAND in a tmux pane, waits for a shell prompt,
# types KEYS, waits for COMMAND to exit; leaves the screen in $TTY_DIR/NAME.screen and the
# exit code in $TTY_DIR/NAME.rc.
in_terminal() {
  local name=$1 keys=$2
  shift 2
  {
    echo '#!/bin/bash'
    printf 'export CONTAINERS_CONF=%q CONTAINERS_STORAGE_CONF=%q CONTAINERS_REGISTRIES_CONF=%q\n' \
      "${CONTAINERS_CONF:-}" "${CONTAINERS_STORAGE_CONF:-}" "${CONTAINERS_REGISTRIES_CONF:-}"
    # --foreground: the command must stay in the terminal's foreground process group
    printf '%q ' timeout --foreground -k 5 60 "$@"
    printf '2>%q\n' "$TTY_DIR/$name.err"
    printf 'echo $? >%q.tmp && mv %q.tmp %q\n' "$TTY_DIR/$name.rc" "$TTY_DIR/$name.rc" "$TTY_DIR/$name.rc"
  } >"$TTY_DIR/$name.sh"
  tmux -S "$TMUX_SOCK" new-session -d -s "$name" -x 100 -y 30 "bash $TTY_DIR/$name.sh" || { echo "tmux new-session failed"; return 1; }
  wait_for 30 prompt_or_exit "$name" "$TTY_DIR/$name.rc"
  if ! shows_prompt "$name" || [ -e "$TTY_DIR/$name.rc" ]; then
    echo "no shell prompt within 30 s (exit code: $(cat "$TTY_DIR/$name.rc" 2>/dev/null || echo none)): $(err_summary "$TTY_DIR/$name.err") screen: $(tmux -S "$TMUX_SOCK" capture-pane -p -t "$name" | grep -v '^$' | tail -n 3 | tr '\n' '|')"
    return 1
  fi
  tmux -S "$TMUX_SOCK" send-keys -t "$name" "$keys" Enter
  wait_for 30 test -s "$TTY_DIR/$name.rc" || { echo "the command did not exit within 30 s of: $keys"; return 1; }
  tmux -S "$TMUX_SOCK" capture-pane -p -t "$name" >"$TTY_DIR/$name.screen"
  tmux -S "$TMUX_SOCK" kill-session -t "$name"
}
# terminal_check NAME EXIT_CODE COMMAND...: the shell COMMAND starts in a container sees the
# pane's size (30 rows, 100 columns) and its exit code comes back as COMMAND's.
terminal_check() {
  local name=$1 code=$2
  shift 2
  in_terminal "$name" "stty size; exit $code" "$@" || return 1
  local rc size
  rc=$(cat "$TTY_DIR/$name.rc")
  [ "$rc" = "$code" ] || { echo "exit code: expected $code, got $rc: $(err_summary "$TTY_DIR/$name.err")"; return 1; }
  size=$(grep -E '^[0-9]+ [0-9]+ *$' "$TTY_DIR/$name.screen" | head -n 1 | tr -d ' \n')
  [ "$size" = "30100" ] || { echo "stty size: expected '30 100', screen: $(grep -v '^$' "$TTY_DIR/$name.screen" | tr '\n' '|')"; return 1; }
}
