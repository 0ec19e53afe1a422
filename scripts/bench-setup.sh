#!/usr/bin/env bash
# Lane set-up speed: a generated 20,000-file repository; the time bakeoff takes to set
# up 8 lanes (from race start until the last lane's agent starts) ÷ the time of 8
# sequential `git worktree add` in the same run. Target ≤ 0.7.
# It runs on tmpfs (/dev/shm) when there is one, so it measures bakeoff and git rather
# than the disk's writeback, which on a shared VM swings by 5x from minute to minute;
# BENCH_TMP=/some/dir measures on a disk instead. The lanes' agent sleeps 20 s so that
# no lane's capture overlaps another lane's set-up.
# Each round races with `--sandbox off` and, where bubblewrap works, `--sandbox on`, in
# turns first.
if [ -z "${BENCH_TMP:-}" ] && [ -d /dev/shm ] && [ -w /dev/shm ]; then BENCH_TMP=/dev/shm; fi
export TMPDIR="${BENCH_TMP:-${TMPDIR:-/tmp}}"
source "$(dirname "$0")/bench-common.sh"
FILES="${FILES:-20000}"
ROUNDS="${ROUNDS:-3}"
REPO="$WORK/big"
mkdir -p "$REPO"
git -C "$REPO" init -q -b main
python3 - "$REPO" "$FILES" <<'PY'
import os, sys
root, n = sys.argv[1], int(sys.argv[2])
for i in range(n):
    d = os.path.join(root, f"pkg{i // 100:03d}")
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, f"mod{i % 100:02d}.txt"), "w") as f:
        f.write(f"file {i}\n" + "x" * (i % 2000) + "\n")
PY
git -C "$REPO" add -A
git -C "$REPO" -c user.name=b -c user.email=b@b commit -q -m "$FILES files"
cat >> "$XDG_CONFIG_HOME/bakeoff/config.toml" <<TOML
[worktree]
root = "$WORK/lanes"
[agents.noop]
adapter = "command"
model = "none"
command = ["sleep", "20"]
TOML
modes="off"
if "$BAKEOFF" doctor 2>/dev/null | grep -q "ok   bubblewrap"; then modes="off on"; fi

echo "files=$FILES lanes=8 on $TMPDIR"
echo "round  git_seq_s  sandbox  bakeoff_s  ratio"
for round in $(seq "$ROUNDS"); do
  sync
  start=$(date +%s%N)
  for i in $(seq 8); do
    git -C "$REPO" worktree add -q -b "seq-$round-$i" "$WORK/seq/$round-$i" HEAD
  done
  end=$(date +%s%N)
  git_s=$(python3 -c "print(($end - $start) / 1e9)")
  for i in $(seq 8); do
    git -C "$REPO" worktree remove --force "$WORK/seq/$round-$i"
    git -C "$REPO" branch -q -D "seq-$round-$i"
  done
  # The order alternates: the second race of a round follows the first one's clean-up.
  order="$modes"
  if [ $((round % 2)) = 0 ]; then order=$(echo "$modes" | tr ' ' '\n' | tac | tr '\n' ' '); fi
  for mode in $order; do
    sync
    "$BAKEOFF" -C "$REPO" race "setup round $round" -a "noop*8" --no-review --sandbox "$mode" >/dev/null 2>&1 || true
    python3 - "$(journal "$REPO")" "$git_s" "$round" "$mode" <<'PY'
import json, sys
events = [json.loads(l) for l in open(sys.argv[1])]
start = next(e["at_ms"] for e in events if e["type"] == "race-started")
running = [e["at_ms"] for e in events if e["type"] == "lane-state" and e["state"] == "running"]
assert len(running) == 8, running
bakeoff_s = (max(running) - start) / 1000
git_s = float(sys.argv[2])
print(f"{sys.argv[3]:>5}  {git_s:9.3f}  {sys.argv[4]:>7}  {bakeoff_s:9.3f}  {bakeoff_s / git_s:5.3f}")
PY
    "$BAKEOFF" -C "$REPO" clean last --purge >/dev/null
  done
done
