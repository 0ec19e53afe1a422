#!/usr/bin/env bash
# bakeoff's own cost while 8 lanes each print a flood of output: its CPU time as a share
# of the race's wall time (one core = 100%) and of all CPU the race used, and its peak
# RSS, at two output sizes to show it stays flat. Targets: ≤ 3% CPU, ≤ 64 MB RSS.
source "$(dirname "$0")/bench-common.sh"
SIZES="${SIZES:-10 50}"
new_repo "$WORK/repo"
for mb in $SIZES; do
  scripted_agent "flood$mb" "flood $((mb * 1024 * 1024))\nwrite out.txt x\\\\n\nusage claude 1 10 10 0.01 s\n"
done
HZ=$(getconf CLK_TCK)
echo "MB_per_lane  wall_s  own_cpu_s  cpu_of_wall  cpu_of_race  peak_rss_MB"
for mb in $SIZES; do
  /usr/bin/time -f "%e %U %S" -o "$WORK/time.txt" \
    "$BAKEOFF" -C "$WORK/repo" race "flood $mb" -a "flood$mb*8" >/dev/null 2>&1 &
  # /usr/bin/time's child is bakeoff: sample its own counters until it exits.
  sleep 0.05
  pid=$(pgrep -P $! -x bakeoff || true)
  own=0; hwm=0
  while [ -n "$pid" ] && [ -r "/proc/$pid/stat" ]; do
    stat=$(cut -d' ' -f14,15 "/proc/$pid/stat" 2>/dev/null || true)
    [ -n "$stat" ] && own=$(( ${stat% *} + ${stat#* } ))
    h=$(awk '/VmHWM/ {print $2}' "/proc/$pid/status" 2>/dev/null || true)
    [ -n "$h" ] && hwm=$h
    sleep 0.05
  done
  wait $! || true
  read -r wall user sys < "$WORK/time.txt"
  python3 - "$mb" "$wall" "$user" "$sys" "$own" "$HZ" "$hwm" <<'PY'
import sys
mb, wall, user, sys_, own, hz, hwm = sys.argv[1], *map(float, sys.argv[2:])
own_s = own / hz
total = user + sys_
print(f"{mb:>11}  {wall:6.2f}  {own_s:9.2f}  {100 * own_s / wall:10.1f}%  {100 * own_s / total:10.1f}%  {hwm / 1024:11.1f}")
PY
done
