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
# SHARED="true false": each bakeoff race with `[worktree] shared-base` on (agents start on
# one shared checkout of the base; each lane's own is written while its agent works) and
# off (each lane checked out before its agent starts), side by side.
# The lanes' agent sleeps until the race is interrupted, once every lane's agent runs.
# The runs of a round go in an order that turns with each round: on a disk, each run
# pays for the writeback of the one before.
export TMPDIR="${BENCH_TMP:-${TMPDIR:-/tmp}}"
source "$(dirname "$0")/bench-common.sh"
FILES="${FILES:-20000}"
LANES="${LANES:-8}"
ROUNDS="${ROUNDS:-3}"
SETUP_JOBS="${SETUP_JOBS:-default 1 2 8}"
SANDBOX="${SANDBOX:-auto}"
SHARED="${SHARED:-true false}"
cat >> "$XDG_CONFIG_HOME/bakeoff/config.toml" <<TOML
[worktree]
root = "$WORK/lanes"
[agents.noop]
adapter = "command"
model = "none"
command = ["sleep", "600"]
TOML
for jobs in $SETUP_JOBS; do
  for shared in $SHARED; do
    {
      printf '[worktree]\nshared-base = %s\n' "$shared"
      [ "$jobs" = default ] || printf 'setup-jobs = %s\n' "$jobs"
    } > "$WORK/jobs-$jobs-$shared.toml"
  done
done

# A timed command, in seconds.
timed() {
  local start end
  start=$(date +%s%N)
  "$@"
  end=$(date +%s%N)
  python3 -c "print(($end - $start) / 1e9)"
}

# settle: waits (at most 2 minutes) until the disk under TMPDIR has been idle for 2 s:
# nothing in flight, nothing written or discarded. A file system mounted with `discard`
# trims the blocks of deleted files after the deletion returns, so without this each run
# would pay for the removal of the one before.
DEV_STAT="/sys/dev/block/$(( $(stat -c %d "$TMPDIR") >> 8 )):$(( $(stat -c %d "$TMPDIR") & 255 ))/stat"
settle() {
  sync
  [ -r "$DEV_STAT" ] || return 0
  local last="" now quiet=0
  for _ in $(seq 600); do
    now=$(awk '{print $9, $7, $12, $14}' "$DEV_STAT")
    if [ "$now" = "$last" ] && [ "${now%% *}" = 0 ]; then
      quiet=$((quiet + 1))
      [ "$quiet" -ge 10 ] && return 0
    else
      quiet=0
    fi
    last="$now"
    sleep 0.2
  done
}

# seq_add REPO N TAG: N worktrees one after another; par_add: all at once.
seq_add() {
  for i in $(seq "$2"); do git -C "$1" worktree add -q -b "seq-$3-$i" "$WORK/seq/$3-$i" HEAD; done
}
# git's own parallel `worktree add` fails now and then (one reads another's half-made
# entry: "failed to read .git/worktrees/…/commondir"); such a round says so, and its
# figure is of the worktrees that were made.
par_add() {
  seq "$2" | xargs -P "$2" -I{} git -C "$1" worktree add -q -b "par-$3-{}" "$WORK/par/$3-{}" HEAD ||
    echo "git worktree add in parallel failed in round $3" >&2
}
# remove_worktrees REPO N KIND TAG
remove_worktrees() {
  for i in $(seq "$2"); do
    git -C "$1" worktree remove --force "$WORK/$3/$4-$i" 2>/dev/null || rm -rf "$WORK/$3/$4-$i"
    git -C "$1" branch -q -D "$3-$4-$i" 2>/dev/null || true
  done
  git -C "$1" worktree prune
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
    echo "round  git_seq_s  git_par_s  par/seq  setup_jobs  sandbox  shared  bakeoff_s  bakeoff/seq  race_s"
    for round in $(seq "$ROUNDS"); do
      # What came before sets the disk's pace (its writeback of the last run's files
      # and of their removal), so the order of the runs turns with each round.
      variants=(git-seq git-par)
      for jobs in $SETUP_JOBS; do for mode in $SANDBOX; do for shared in $SHARED; do
        variants+=("bakeoff:$jobs:$mode:$shared")
      done; done; done
      n=${#variants[@]}
      order=()
      for i in $(seq 0 $((n - 1))); do order+=("${variants[$(( (i + round - 1) % n ))]}"); done
      results=()
      for v in "${order[@]}"; do
        settle
        case "$v" in
          git-seq)
            seq_s=$(timed seq_add "$REPO" "$lanes" "$round")
            remove_worktrees "$REPO" "$lanes" seq "$round" ;;
          git-par)
            par_s=$(timed par_add "$REPO" "$lanes" "$round")
            remove_worktrees "$REPO" "$lanes" par "$round" ;;
          bakeoff:*)
            IFS=: read -r _ jobs mode shared <<< "$v"
            config=(--config "$WORK/jobs-$jobs-$shared.toml")
            race_start=$(date +%s%N)
            "$BAKEOFF" -C "$REPO" "${config[@]}" race "setup round $round" -a "noop*$lanes" \
              --no-review --sandbox "$mode" >/dev/null 2>&1 &
            race=$!
            # Once every lane's agent runs, set-up is measured: Ctrl-C ends the race.
            for _ in $(seq 6000); do
              ev="$(journal "$REPO" 2>/dev/null || true)"
              if [ -f "$ev" ] && [ "$(grep -c '"state":"running"' "$ev")" -ge "$lanes" ]; then break; fi
              kill -0 "$race" 2>/dev/null || break
              sleep 0.1
            done
            kill -INT "$race" 2>/dev/null || true
            wait "$race" || true
            # The whole race, to its exit: every lane's own checkout written (with the
            # shared base, what the agents' time would have hidden) and its work captured.
            race_s=$(python3 -c "print(($(date +%s%N) - $race_start) / 1e9)")
            s=$(python3 - "$(journal "$REPO")" "$lanes" <<'PY'
import json, sys
events = [json.loads(l) for l in open(sys.argv[1])]
start = next(e["at_ms"] for e in events if e["type"] == "race-started")
running = [e["at_ms"] for e in events if e["type"] == "lane-state" and e["state"] == "running"]
assert len(running) == int(sys.argv[2]), running
print((max(running) - start) / 1000)
PY
)
            results+=("$jobs $mode $shared $s $race_s")
            "$BAKEOFF" -C "$REPO" clean last --purge >/dev/null ;;
        esac
      done
      for r in "${results[@]}"; do
        read -r jobs mode shared s race_s <<< "$r"
        python3 -c "import sys; seq, par, b, t = map(float, sys.argv[1:5]); print(f'{sys.argv[5]:>5}  {seq:9.3f}  {par:9.3f}  {par / seq:7.3f}  {sys.argv[6]:>10}  {sys.argv[7]:>7}  {sys.argv[8]:>6}  {b:9.3f}  {b / seq:11.3f}  {t:6.3f}')" \
          "$seq_s" "$par_s" "$s" "$race_s" "$round" "$jobs" "$mode" "$shared"
      done
    done
  done
done
