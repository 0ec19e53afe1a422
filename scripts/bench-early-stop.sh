#!/usr/bin/env bash
# Early stop pays: a scripted race of three lanes where the quickest lane is approved
# first (it passes the check; the race has no reviewers, so passing every check is
# approval); the spend of the race with `--until first-approved` ÷ the spend of the same
# race run to the end, in the same run. Spend is every lane's last reported cost, from
# the journal. Target ≤ 0.6.
source "$(dirname "$0")/bench-common.sh"
ROUNDS="${ROUNDS:-3}"
new_repo "$WORK/repo"
# spender NAME STEPS DOLLARS_PER_STEP: reports its cost live (OpenCode's format), one
# step every 200 ms, then writes the answer.
spender() {
  local script="$WORK/$1.script" i
  : > "$script"
  for i in $(seq "$2"); do printf 'progress opencode %d 1000 100 %s step\nsleep 200\n' "$i" "$3" >> "$script"; done
  printf 'write answer.txt 42\\n\n' >> "$script"
  cat >> "$XDG_CONFIG_HOME/bakeoff/config.toml" <<TOML
[agents.$1]
adapter = "command"
model = "scripted"
parser = "opencode"
command = ["$SCRIPTED_AGENT", "--script", "$script"]
TOML
}
spender quick 2 0.02
spender steady 15 0.05
spender thorough 25 0.05
spend() {
  python3 - "$(journal "$WORK/repo")" <<'PY'
import json, sys
cost = {}
for line in open(sys.argv[1]):
    e = json.loads(line)
    if e["type"] == "lane-progress" and e["usage"]["cost_usd"] is not None:
        cost[e["lane"]] = e["usage"]["cost_usd"]
    if e["type"] == "agent-finished" and e["outcome"]["usage"]["cost_usd"] is not None:
        cost[e["lane"]] = e["outcome"]["usage"]["cost_usd"]
print(f"{sum(cost.values()):.4f}")
PY
}
race() {
  "$BAKEOFF" -C "$WORK/repo" race "write the answer" -a quick -a steady -a thorough \
    --check "grep -qx 42 answer.txt" --no-review "$@" >/dev/null 2>&1 || true
}
echo "round  full_race_usd  until_first_approved_usd  ratio"
for round in $(seq "$ROUNDS"); do
  race; full=$(spend)
  race --until first-approved; early=$(spend)
  python3 -c "print(f'{$round:>5}  {$full:13.2f}  {$early:24.2f}  {$early / $full:5.3f}')"
done
