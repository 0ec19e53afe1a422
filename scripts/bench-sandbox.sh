#!/usr/bin/env bash
# What the sandbox costs: 8 lanes whose agent writes a file and whose checks are four
# `true N` and a grep, raced with --sandbox off and --sandbox on alternately in one run.
# Prints, per mode, the race's wall time and the median time of a lane's agent and of a
# check from spawn to exit (from the journal), and the difference on − off: what
# starting one sandboxed child costs (target ≤ 50 ms). Needs a working bubblewrap.
# BENCH_TMP=/dev/shm measures on tmpfs; the default is the temp folder's own disk.
export TMPDIR="${BENCH_TMP:-${TMPDIR:-/tmp}}"
source "$(dirname "$0")/bench-common.sh"
ROUNDS="${ROUNDS:-5}"
LANES="${LANES:-8}"
REPO="$WORK/repo"
new_repo "$REPO"
cat >> "$XDG_CONFIG_HOME/bakeoff/config.toml" <<TOML
[worktree]
root = "$WORK/lanes"
TOML
scripted_agent w 'write out.txt hello\\n\n'
if ! sandbox_works; then
  echo "bench-sandbox: bubblewrap cannot make a sandbox here (see bakeoff doctor)" >&2
  exit 1
fi
args=()
for i in $(seq "$LANES"); do args+=(-a "l$i=w"); done
checks=()
for i in 1 2 3 4; do checks+=(--check "true $i"); done
checks+=(--check "grep -q hello out.txt")
ms() { date +%s%3N; }
: > "$WORK/runs.jsonl"
for r in $(seq "$ROUNDS"); do
  for mode in off on; do
    t0=$(ms)
    (cd "$REPO" && "$BAKEOFF" race "bench" "${args[@]}" --no-review --sandbox "$mode" "${checks[@]}" >"$WORK/race.log" 2>&1) ||
      { cat "$WORK/race.log" >&2; exit 1; }
    t=$(( $(ms) - t0 ))
    python3 - "$(journal "$REPO")" "$mode" "$t" >> "$WORK/runs.jsonl" <<'PY'
import json, sys
events = [json.loads(l) for l in open(sys.argv[1])]
agent = [e["outcome"]["elapsed_ms"] for e in events if e["type"] == "agent-finished"]
check = [e["check"]["elapsed_ms"] for e in events if e["type"] == "check-finished"]
passed = sum(e["check"]["passed"] for e in events if e["type"] == "check-finished")
assert passed == len(check) == 5 * len(agent), (passed, len(check), len(agent))
print(json.dumps({"mode": sys.argv[2], "wall": int(sys.argv[3]), "agent": agent, "check": check}))
PY
  done
done
python3 - "$WORK/runs.jsonl" "$TMPDIR" "$LANES" "$ROUNDS" <<'PY'
import json, statistics, sys
runs = [json.loads(l) for l in open(sys.argv[1])]
def pick(mode, key):
    vals = []
    for r in runs:
        if r["mode"] == mode:
            vals += r[key] if isinstance(r[key], list) else [r[key]]
    return vals
print(f"on {sys.argv[2]}: {sys.argv[3]} lanes, {sys.argv[4]} rounds, 5 checks a lane")
print("figure                    off_ms   on_ms  on-off_ms")
for key, label in (("wall", "race wall (median)"), ("agent", "agent spawn→exit (median)"), ("check", "check spawn→exit (median)")):
    off, on = statistics.median(pick("off", key)), statistics.median(pick("on", key))
    print(f"{label:25} {off:7.0f} {on:7.0f} {on - off:9.0f}")
for key in ("agent", "check"):
    on = sorted(pick("on", key))
    print(f"{key} with the sandbox, p90: {on[int(len(on) * 0.9)]} ms")
PY
