# Sourced by tools/install_env.sh: progress of a long, otherwise silent command.
#
#   heartbeat_run INTERVAL LABEL OBJ_DIR TOTAL -- command [args...]
#
# Runs the command in the foreground (Ctrl-C reaches it as usual) and, every INTERVAL seconds
# while it runs, prints to stderr
#   [install] LABEL: 2m30s elapsed, 41/77 objects compiled
# where 41 is the number of *.o files under OBJ_DIR so far (the compiler's finished objects)
# and 77 is TOTAL (left out when TOTAL is empty). Returns the command's exit status.

_heartbeat_loop() {
  local interval="$1" label="$2" dir="$3" total="$4" start="$SECONDS" n elapsed
  # sleep must not hold our stdout/stderr: a killed loop would leave it running and a reader
  # of the pipe (tee, a CI log) would wait for it
  while sleep "$interval" </dev/null >/dev/null 2>&1; do
    n="$(find "$dir" -name '*.o' 2>/dev/null | wc -l | tr -d ' ')" || n=0
    elapsed=$((SECONDS - start))
    printf '[install] %s: %dm%02ds elapsed, %s%s objects compiled\n' "$label" \
      $((elapsed / 60)) $((elapsed % 60)) "$n" "${total:+/$total}" >&2
  done
}

heartbeat_run() {
  local interval="$1" label="$2" dir="$3" total="$4" hb rc=0
  shift 4
  if [ "${1:-}" = "--" ]; then shift; fi
  _heartbeat_loop "$interval" "$label" "$dir" "$total" &
  hb=$!
  "$@" || rc=$?
  kill "$hb" 2>/dev/null || true
  wait "$hb" 2>/dev/null || true
  return "$rc"
}
