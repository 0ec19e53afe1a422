#!/usr/bin/env bash
# bakeoff's own cost while 8 lanes each print a flood of output in one agent CLI's own
# format, at several output sizes to show it stays flat. Two kinds of lane:
#   paced — each lane prints 1 MB every 200 ms (50 MB take 10 s), like a chatty agent;
#   burst — each lane prints everything as fast as it can (a worst case).
# Formats (the scripted agent's `flood-format`, read by that CLI's parser):
#   claude — Claude Code stream-json; codex — `codex exec --json`;
#   gemini — Gemini CLI `--output-format json` (one huge report); text — plain lines.
# Columns: bakeoff's own CPU time (sampled from /proc), as a share of the agents' CPU (all
# CPU the race used, from /usr/bin/time, less bakeoff's own), its peak RSS (VmHWM), and
# the journal it wrote (events.jsonl bytes and lines).
# The lanes run with `--sandbox off` (SANDBOX=on to change it): a sandboxed agent's CPU
# time does not reach bakeoff's rusage through bubblewrap, so the agents' share would
# read as nothing; bench-sandbox.sh measures the sandbox's own cost.
# Targets: peak RSS ≤ 32 MB and flat as output grows; bakeoff CPU ÷ agents ≤ 0.3.
#   SIZES="50 200" FORMATS="claude codex gemini text" MODES="paced burst" scripts/bench-overhead.sh
# BEFORE=path/to/an/older/bakeoff runs that build too, row by row beside this one.
source "$(dirname "$0")/bench-common.sh"
SIZES="${SIZES:-10 50}"
FORMATS="${FORMATS:-claude codex gemini text}"
MODES="${MODES:-paced burst}"
LANES="${LANES:-8}"
SANDBOX="${SANDBOX:-off}"
new_repo "$WORK/repo"
# The parser each format is read with; plain text is read by none (a command agent).
parser_of() { case "$1" in text) echo command ;; *) echo "$1" ;; esac; }
# The final usage record in the format (plain text has none).
usage_of() { case "$1" in text) ;; *) echo "usage $1 1 10 10 0.01 s\n" ;; esac; }
for f in $FORMATS; do
  for mb in $SIZES; do
    paced=""
    for _ in $(seq "$mb"); do paced="${paced}flood-format $f 1048576\nsleep 200\n"; done
    scripted_agent "paced-$f-$mb" "${paced}write out.txt x\\\\n\n$(usage_of "$f")" "$(parser_of "$f")"
    scripted_agent "burst-$f-$mb" "flood-format $f $((mb * 1024 * 1024))\nwrite out.txt x\\\\n\n$(usage_of "$f")" "$(parser_of "$f")"
  done
done
HZ=$(getconf CLK_TCK)
# measure BUILD BIN MODE FORMAT MB: one race of 8 lanes, one row of the table.
measure() {
  local build=$1 bin=$2 mode=$3 f=$4 mb=$5
  /usr/bin/time -f "%e %U %S" -o "$WORK/time.txt" \
    "$bin" -C "$WORK/repo" race "$mode $f $mb" -a "$mode-$f-$mb*$LANES" --no-review --sandbox "$SANDBOX" >/dev/null 2>&1 &
  # /usr/bin/time's child is bakeoff itself (the lanes are bakeoff's children).
  local pid="" own=0 hwm=0 stat h
  for _ in $(seq 100); do
    pid=$(pgrep -P $! -x "$(basename "$bin")" || true)
    [ -n "$pid" ] && break
    sleep 0.01
  done
  while [ -n "$pid" ] && [ -r "/proc/$pid/stat" ]; do
    stat=$(cut -d' ' -f14,15 "/proc/$pid/stat" 2>/dev/null || true)
    [ -n "$stat" ] && own=$(( ${stat% *} + ${stat#* } ))
    h=$(awk '/VmHWM/ {print $2}' "/proc/$pid/status" 2>/dev/null || true)
    [ -n "$h" ] && hwm=$h
    sleep 0.02
  done
  wait $! || true
  local wall user sys events ev_bytes ev_lines
  read -r wall user sys < "$WORK/time.txt"
  events="$(journal "$WORK/repo")"
  ev_bytes=$(stat -c %s "$events"); ev_lines=$(wc -l < "$events")
  python3 - "$build" "$mode" "$f" "$mb" "$wall" "$user" "$sys" "$own" "$HZ" "$hwm" "$ev_bytes" "$ev_lines" <<'PY'
import sys
build, mode, fmt, mb = sys.argv[1:5]
wall, user, sys_, own, hz, hwm, ev_bytes, ev_lines = map(float, sys.argv[5:])
own_s = own / hz
agents = max(user + sys_ - own_s, 0.001)
print(f"{build:6}  {mode:5}  {fmt:6}  {mb:>11}  {wall:6.2f}  {own_s:9.2f}  {agents:12.2f}  {own_s / agents:10.2f}  {hwm / 1024:11.1f}  {ev_bytes / 1024:9.0f}  {ev_lines:12.0f}")
PY
  "$bin" -C "$WORK/repo" clean last --purge >/dev/null
}
echo "build   mode   format  MB_per_lane  wall_s  own_cpu_s  agents_cpu_s  own/agents  peak_rss_MB  events_KB  events_lines"
for mode in $MODES; do
  for f in $FORMATS; do
    for mb in $SIZES; do
      # An older build given as BEFORE runs each row just before this one, on the same
      # machine state, so the two can be compared row by row.
      [ -n "${BEFORE:-}" ] && measure before "$BEFORE" "$mode" "$f" "$mb"
      measure this "$BAKEOFF" "$mode" "$f" "$mb"
    done
  done
done
