#!/usr/bin/env bash
# Lanes never wait for each other: race wall time ÷ the longest lane's own agent+checks
# time. Lanes of unequal scripted durations (1 s, 2 s, 4 s agents, each with a 1 s
# check). Target ≤ 1.05. Each round races with `--sandbox off` and, where bubblewrap
# works, `--sandbox on`.
source "$(dirname "$0")/bench-common.sh"
ROUNDS="${ROUNDS:-3}"
new_repo "$WORK/repo"
for secs in 1 2 4; do
  scripted_agent "lane$secs" "write lane$secs.txt x\\\\n\nsleep ${secs}000\nusage claude 1 10 10 0.01 s\n"
done
modes="off"
if sandbox_works; then modes="off on"; fi
# row START END ROUND LABEL: the newest race's wall time ÷ its longest lane's own agent
# and check time, from the journal.
row() {
  python3 - "$(journal "$WORK/repo")" "$@" <<'PY'
import json, sys
events = [json.loads(l) for l in open(sys.argv[1])]
lane = {}
for e in events:
    if e["type"] == "agent-finished":
        lane[e["lane"]] = lane.get(e["lane"], 0) + e["outcome"]["elapsed_ms"]
    if e["type"] == "check-finished":
        lane[e["lane"]] = lane.get(e["lane"], 0) + e["check"]["elapsed_ms"]
wall = (int(sys.argv[3]) - int(sys.argv[2])) / 1e9
longest = max(lane.values()) / 1000
print(f"{sys.argv[4]:>5}  {sys.argv[5]:>8}  {wall:6.3f}  {longest:14.3f}  {wall / longest:5.3f}")
PY
}
echo "round   sandbox  wall_s  longest_lane_s  ratio"
for round in $(seq "$ROUNDS"); do
  for mode in $modes; do
    start=$(date +%s%N)
    "$BAKEOFF" -C "$WORK/repo" race "pipeline round $round" -a lane1 -a lane2 -a lane4 \
      --check "sleep 1" --no-review --sandbox "$mode" >/dev/null 2>&1 || true
    end=$(date +%s%N)
    row "$start" "$end" "$round" "$mode"
  done
done

# Eight lanes that finish together, each with a check that sleeps 1 s, with the default
# --check-jobs (the number of cores): learned (the check is known to take no core after
# its first run) and declared (`light = true`, a --config file of its own).
scripted_agent together "write together.txt x\\\\n\nsleep 1000\nusage claude 1 10 10 0.01 s\n"
printf '[checks]\nwait = { run = "sleep 1", light = true }\n' > "$WORK/light.toml"
echo "8 lanes finishing together, --check-jobs default ($(nproc) cores)"
echo "round     check  wall_s  longest_lane_s  ratio"
for round in $(seq "$ROUNDS"); do
  for how in learned declared; do
    if [ "$how" = learned ]; then extra=(--check "sleep 1"); else extra=(--config "$WORK/light.toml"); fi
    start=$(date +%s%N)
    "$BAKEOFF" -C "$WORK/repo" race "together round $round" -a "together*8" \
      "${extra[@]}" --no-review >/dev/null 2>&1 || true
    end=$(date +%s%N)
    row "$start" "$end" "$round" "$how"
  done
done
