#!/usr/bin/env bash
# Lane set-up speed: a generated repository of FILES files; the time bakeoff takes to set
# up LANES lanes (from race start until the last lane's agent starts) ÷ the time of the
# same number of sequential `git worktree add`, with `xargs -P LANES git worktree add`
# (all at once) beside them, in the same round. Target ≤ 0.7.
# On the temp folder's own disk by default (BENCH_TMP=/dev/shm measures on tmpfs).
# FILES="20000 100000", LANES="8 32": each size and lane count in turn.
# SETUP_JOBS="default 1 2 8": bakeoff with `[worktree] setup-jobs` unset (its own choice
# for the storage) and set to each number, side by side.
# SANDBOX="off on": each bakeoff race with `--sandbox off` and then `on` (default: auto).
# The lanes' agent sleeps 20 s so that no lane's capture overlaps another lane's set-up.
export TMPDIR="${BENCH_TMP:-${TMPDIR:-/tmp}}"
source "$(dirname "$0")/bench-common.sh"
FILES="${FILES:-20000}"
LANES="${LANES:-8}"
ROUNDS="${ROUNDS:-3}"
SETUP_JOBS="${SETUP_JOBS:-default 1 2 8}"
SANDBOX="${SANDBOX:-auto}"
cat >> "$XDG_CONFIG_HOME/bakeoff/config.toml" <<TOML
[worktree]
root = "$WORK/lanes"
[agents.noop]
adapter = "command"
model = "none"
command = ["sleep", "20"]
TOML
for jobs in $SETUP_JOBS; do
  [ "$jobs" = default ] || printf '[worktree]\nsetup-jobs = %s\n' "$jobs" > "$WORK/jobs-$jobs.toml"
done

# A timed command, in seconds.
timed() {
  local start end
  start=$(date +%s%N)
  "$@"
  end=$(date +%s%N)
  python3 -c "print(($end - $start) / 1e9)"
}

# seq_add REPO N TAG: N worktrees one after another; par_add: all at once.
seq_add() {
  for i in $(seq "$2"); do git -C "$1" worktree add -q -b "seq-$3-$i" "$WORK/seq/$3-$i" HEAD; done
}
par_add() {
  seq "$2" | xargs -P "$2" -I{} git -C "$1" worktree add -q -b "par-$3-{}" "$WORK/par/$3-{}" HEAD
}
# remove_worktrees REPO N KIND TAG
remove_worktrees() {
  for i in $(seq "$2"); do
    git -C "$1" worktree remove --force "$WORK/$3/$4-$i"
    git -C "$1" branch -q -D "$3-$4-$i"
  done
  sync
}

for files in $FILES; do
  REPO="$WORK/big-$files"
  mkdir -p "$REPO"
  git -C "$REPO" init -q -b main
  python3 - "$REPO" "$files" <<'PY'
import os, sys
root, n = sys.argv[1], int(sys.argv[2])
for i in range(n):
    d = os.path.join(root, f"pkg{i // 100:04d}")
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, f"mod{i % 100:02d}.txt"), "w") as f:
        f.write(f"file {i}\n" + "x" * (i % 2000) + "\n")
PY
  git -C "$REPO" add -A
  git -C "$REPO" -c user.name=b -c user.email=b@b commit -q -m "$files files"
  for lanes in $LANES; do
    echo "files=$files lanes=$lanes on $TMPDIR ($(stat -f -c %T "$TMPDIR"))"
    echo "round  git_seq_s  git_par_s  par/seq  setup_jobs  sandbox  bakeoff_s  bakeoff/seq"
    for round in $(seq "$ROUNDS"); do
      sync
      seq_s=$(timed seq_add "$REPO" "$lanes" "$round")
      remove_worktrees "$REPO" "$lanes" seq "$round"
      par_s=$(timed par_add "$REPO" "$lanes" "$round")
      remove_worktrees "$REPO" "$lanes" par "$round"
      for jobs in $SETUP_JOBS; do
        config=()
        [ "$jobs" = default ] || config=(--config "$WORK/jobs-$jobs.toml")
        for mode in $SANDBOX; do
          sync
          "$BAKEOFF" -C "$REPO" "${config[@]}" race "setup round $round" -a "noop*$lanes" \
            --no-review --sandbox "$mode" >/dev/null 2>&1 || true
          python3 - "$(journal "$REPO")" "$seq_s" "$par_s" "$round" "$jobs" "$mode" "$lanes" <<'PY'
import json, sys
events = [json.loads(l) for l in open(sys.argv[1])]
start = next(e["at_ms"] for e in events if e["type"] == "race-started")
running = [e["at_ms"] for e in events if e["type"] == "lane-state" and e["state"] == "running"]
assert len(running) == int(sys.argv[7]), running
bakeoff_s = (max(running) - start) / 1000
seq_s, par_s = float(sys.argv[2]), float(sys.argv[3])
print(f"{sys.argv[4]:>5}  {seq_s:9.3f}  {par_s:9.3f}  {par_s / seq_s:7.3f}  {sys.argv[5]:>10}  {sys.argv[6]:>7}"
      f"  {bakeoff_s:9.3f}  {bakeoff_s / seq_s:11.3f}")
PY
          "$BAKEOFF" -C "$REPO" clean last --purge >/dev/null
        done
      done
    done
  done
done
