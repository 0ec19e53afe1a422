#!/usr/bin/env bash
# `bakeoff bench` at scale: a suite of TRIALS trials (TASKS tasks × 2 agents × repeats) on
# a small repository, each trial's agent sleeping AGENT_S seconds and writing a file its
# check tests. Prints, for each JOBS:
#   wall ÷ the sum of the trials' own times (set-up to last check, from trials.csv) — the
#     suite's parallel efficiency; 1/JOBS is perfect, 1.0 is no overlap at all;
#   bakeoff's own CPU (the bench process, sampled from /proc; children excluded) in all
#     and per trial, and its peak RSS (VmHWM).
# On the temp folder's own disk (BENCH_TMP=/dev/shm for tmpfs).
#   TRIALS=500 JOBS="4" scripts/bench-suite.sh
export TMPDIR="${BENCH_TMP:-${TMPDIR:-/tmp}}"
source "$(dirname "$0")/bench-common.sh"
TRIALS="${TRIALS:-500}"
JOBS="${JOBS:-4}"
AGENT_S="${AGENT_S:-0.2}"
SANDBOX="${SANDBOX:-off}"
REPEATS=5
TASKS=$(( (TRIALS + 2 * REPEATS - 1) / (2 * REPEATS) ))

new_repo "$WORK/repo"
cat > "$WORK/scripts/agent.sh" <<SH
#!/bin/sh
sleep $AGENT_S
echo done > "done-\${BAKEOFF_TRIAL%/*}.txt"
SH
cat >> "$XDG_CONFIG_HOME/bakeoff/config.toml" <<TOML
[agents.fixer]
adapter = "command"
model = "fixer"
command = ["sh", "$WORK/scripts/agent.sh"]
[agents.idler]
adapter = "command"
model = "idler"
command = ["sleep", "$AGENT_S"]
TOML
{
  echo "name = \"scale\""
  echo "agents = [\"fixer\", \"idler\"]"
  echo "repeats = $REPEATS"
  for t in $(seq "$TASKS"); do
    printf '[[task]]\nid = "t%s"\nrepo = "repo"\nspec = "task %s"\nchecks = ["test -f done-t%s.txt"]\n' "$t" "$t" "$t"
  done
} > "$WORK/suite.toml"

HZ=$(getconf CLK_TCK)
echo "trials=$((TASKS * 2 * REPEATS)) agent=${AGENT_S}s sandbox=$SANDBOX on $TMPDIR ($(stat -f -c %T "$TMPDIR"))"
echo "jobs  wall_s  sum_trials_s  wall/sum  x_jobs  own_cpu_s  own_ms_per_trial  peak_rss_MB"
for jobs in $JOBS; do
  out="$WORK/out-$jobs"
  start=$(date +%s%N)
  "$BAKEOFF" bench "$WORK/suite.toml" --no-review --sandbox "$SANDBOX" --jobs "$jobs" --out "$out" >/dev/null 2>"$WORK/bench-$jobs.log" &
  pid=$!
  own=0; hwm=0
  while [ -r "/proc/$pid/stat" ]; do
    stat=$(cut -d' ' -f14,15 "/proc/$pid/stat" 2>/dev/null || true)
    [ -n "$stat" ] && own=$(( ${stat% *} + ${stat#* } ))
    h=$(awk '/VmHWM/ {print $2}' "/proc/$pid/status" 2>/dev/null || true)
    [ -n "$h" ] && hwm=$h
    sleep 0.05
  done
  wait "$pid" || { echo "bench failed:"; tail -5 "$WORK/bench-$jobs.log"; exit 1; }
  end=$(date +%s%N)
  python3 - "$jobs" "$start" "$end" "$own" "$HZ" "$hwm" "$out/trials.csv" <<'PY'
import csv, sys
jobs, start, end, own, hz, hwm = (float(x) for x in sys.argv[1:7])
rows = list(csv.DictReader(open(sys.argv[7])))
wall = (end - start) / 1e9
total = sum(float(r["elapsed_s"]) for r in rows)
own_s = own / hz
print(f"{int(jobs):4}  {wall:6.1f}  {total:12.1f}  {wall / total:8.3f}  {total / wall:6.2f}  {own_s:9.2f}  {own_s / len(rows) * 1000:16.1f}  {hwm / 1024:11.1f}")
PY
done
