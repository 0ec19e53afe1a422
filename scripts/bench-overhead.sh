#!/usr/bin/env bash
# bakeoff's own cost while 8 lanes each print a flood of output, at two output sizes to
# show it stays flat. Two kinds of lane in the same run:
#   paced — each lane prints 1 MB every 200 ms (50 MB take 10 s), like a chatty agent;
#   burst — each lane prints everything as fast as it can (a worst case).
# Columns: bakeoff's own CPU time (sampled from /proc), as a share of one core over the
# race's wall time and as a share of all CPU the race used (from /usr/bin/time), and its
# peak RSS (VmHWM). Targets: ≤ 3% CPU, ≤ 64 MB RSS, flat as output grows.
source "$(dirname "$0")/bench-common.sh"
SIZES="${SIZES:-10 50}"
new_repo "$WORK/repo"
for mb in $SIZES; do
  paced=""
  for _ in $(seq "$mb"); do paced="${paced}flood 1048576\nsleep 200\n"; done
  scripted_agent "paced$mb" "${paced}write out.txt x\\\\n\nusage claude 1 10 10 0.01 s\n"
  scripted_agent "burst$mb" "flood $((mb * 1024 * 1024))\nwrite out.txt x\\\\n\nusage claude 1 10 10 0.01 s\n"
done
HZ=$(getconf CLK_TCK)
echo "mode   MB_per_lane  wall_s  own_cpu_s  cpu_of_one_core  cpu_of_race  peak_rss_MB"
for mode in paced burst; do
  for mb in $SIZES; do
    /usr/bin/time -f "%e %U %S" -o "$WORK/time.txt" \
      "$BAKEOFF" -C "$WORK/repo" race "$mode $mb" -a "$mode$mb*8" --no-review >/dev/null 2>&1 &
    # /usr/bin/time's child is bakeoff itself (the lanes are bakeoff's children).
    pid=""
    for _ in $(seq 100); do
      pid=$(pgrep -P $! -x bakeoff || true)
      [ -n "$pid" ] && break
      sleep 0.01
    done
    own=0; hwm=0
    while [ -n "$pid" ] && [ -r "/proc/$pid/stat" ]; do
      stat=$(cut -d' ' -f14,15 "/proc/$pid/stat" 2>/dev/null || true)
      [ -n "$stat" ] && own=$(( ${stat% *} + ${stat#* } ))
      h=$(awk '/VmHWM/ {print $2}' "/proc/$pid/status" 2>/dev/null || true)
      [ -n "$h" ] && hwm=$h
      sleep 0.02
    done
    wait $! || true
    read -r wall user sys < "$WORK/time.txt"
    python3 - "$mode" "$mb" "$wall" "$user" "$sys" "$own" "$HZ" "$hwm" <<'PY'
import sys
mode, mb = sys.argv[1], sys.argv[2]
wall, user, sys_, own, hz, hwm = map(float, sys.argv[3:])
own_s = own / hz
total = max(user + sys_, own_s)
print(f"{mode:5}  {mb:>11}  {wall:6.2f}  {own_s:9.2f}  {100 * own_s / wall:14.1f}%  {100 * own_s / total:10.1f}%  {hwm / 1024:11.1f}")
PY
    "$BAKEOFF" -C "$WORK/repo" clean last --purge >/dev/null
  done
done
