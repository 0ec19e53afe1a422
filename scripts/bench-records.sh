#!/usr/bin/env bash
# Records at scale: `bakeoff list`, `show last`, `show <the oldest id>` and the shell's
# Tab on `show` and `diff` (the completer listing race ids and lanes) over 100,
# 1,000 and 10,000 recorded races, with the race index (`.git/bakeoff/race-index.jsonl`)
# and without it (deleted before each run, so every race is read from its folder: the
# slow path, and what a bakeoff without the index always did). Median wall time of
# REPEATS runs each; ratio = without ÷ with. Target: list at 10,000 races ≥ 10×.
#
# The races are real: three small scripted races (a winner, a merged winner, no winner),
# then their folders cloned under new ids and start times, with every mention of the old
# id (lane branches, worktree paths, `race-started`) and the journal's timestamps moved
# along. The seal (`crates/core/src/journal/seal.rs`) lives in the memory of the bakeoff
# that drives a race, not on disk, so a clone is a folder bakeoff accepts like its
# original (`show` reads it, `resume` finds it finished).
#
# SIZES (default "100 1000 10000"), REPEATS (default 5), BASELINE (another bakeoff
# binary, timed on the same records without an index, e.g. one built before the index),
# PROFILE=0 to skip the `strace -c` of the largest size, KEEP=1 to keep the records.
source "$(dirname "$0")/bench-common.sh"
if [ "${KEEP:-0}" = 1 ]; then trap - EXIT; echo "records kept in $WORK"; fi
SIZES="${SIZES:-100 1000 10000}"
REPEATS="${REPEATS:-5}"
PROFILE="${PROFILE:-1}"
BASELINE="${BASELINE:-}"
REPO="$WORK/repo"
RACES="$REPO/.git/bakeoff/races"
INDEX="$REPO/.git/bakeoff/race-index.jsonl"
new_repo "$REPO"
scripted_agent right "write answer.txt 42\\\\n\nusage claude 2 100 50 0.01 s\n"
scripted_agent wrong "write answer.txt 41\\\\n\nusage claude 3 120 60 0.02 s\n"
seed() {
  "$BAKEOFF" -C "$REPO" race "$1" -a right -a wrong --check "$2" --no-review "${@:3}" >/dev/null 2>&1 || true
}
seed "Write the answer" "grep -qx 42 answer.txt"
seed "Write and merge the answer" "grep -qx 42 answer.txt" --merge squash
seed "Write an answer nobody can" "false"
# Old races' worktrees are usually cleaned; their records stay.
"$BAKEOFF" -C "$REPO" clean --all >/dev/null
"$BAKEOFF" -C "$REPO" list | sed 's/^/seed: /'

# clone_to N: clones the seed races until the store holds N races, each a minute apart
# from 2020-01-01 on (so every clone is older than the seeds). Paths inside the lanes'
# homes still name the seed's id; bakeoff reads nothing there.
clone_to() {
  python3 - "$RACES" "$1" <<'PY'
import datetime, json, os, re, shutil, sys
races, want = sys.argv[1], int(sys.argv[2])
names = sorted(os.listdir(races))
seeds = [n for n in names if not n.startswith("2020")]
clones = len(names) - len(seeds)
zone = datetime.datetime.now().astimezone().tzinfo
start = datetime.datetime(2020, 1, 1, tzinfo=zone)
def created(seed):
    return json.load(open(os.path.join(races, seed, "race.json")))["created_at"]
seeds = [(s, created(s)) for s in seeds]
at_ms = re.compile(rb'"at_ms":(\d+)')
for k in range(clones, want - len(seeds)):
    seed, seed_created = seeds[k % len(seeds)]
    when = start + datetime.timedelta(minutes=k)
    new = when.strftime("%Y%m%d-%H%M") + seed[13:]
    shift = int((when - datetime.datetime.fromisoformat(seed_created)).total_seconds() * 1000)
    src, dst = os.path.join(races, seed), os.path.join(races, new)
    # Hard links for what is not rewritten (logs, patches, the lanes' homes): 10,000
    # races stay a few hundred MB of inodes rather than 2 GB of 4 KB blocks.
    shutil.copytree(src, dst, symlinks=True, copy_function=os.link)
    old_id, new_id = seed.encode(), new.encode()
    for rel in ["race.json", "events.jsonl", "leaderboard.json", "results.json"]:
        path = os.path.join(dst, rel)
        if not os.path.exists(path):
            continue
        text = open(path, "rb").read().replace(old_id, new_id)
        os.unlink(path)  # a link to the seed's file: write a file of the clone's own
        if rel == "race.json":
            text = text.replace(seed_created.encode(), when.isoformat().encode())
        if rel == "events.jsonl":
            text = at_ms.sub(lambda m: b'"at_ms":%d' % (int(m.group(1)) + shift), text)
        open(path, "wb").write(text)
PY
}

# median_ms SETUP CMD...: runs SETUP then CMD (timed, output discarded) REPEATS times;
# prints the median in milliseconds.
median_ms() {
  local setup="$1" i t0 t1
  shift
  for i in $(seq "$REPEATS"); do
    eval "$setup"
    t0=$(date +%s%N)
    "$@" >/dev/null
    t1=$(date +%s%N)
    echo $(((t1 - t0) / 1000))
  done | sort -n | awk '{a[NR]=$1} END {printf "%.1f", a[int((NR+1)/2)] / 1000}'
}

no_index="rm -f '$INDEX'"
with_index=":"
printf '%6s  %-18s  %12s  %9s  %6s%s\n' races command no_index_ms index_ms ratio \
  "$([ -n "$BASELINE" ] && echo "  baseline_ms")"
for n in $SIZES; do
  clone_to "$n"
  count=$(find "$RACES" -mindepth 1 -maxdepth 1 -type d | wc -l)
  names=("$RACES"/*)
  oldest=$(basename "${names[0]}")
  # The first list reads every race and writes the index.
  "$BAKEOFF" -C "$REPO" list >/dev/null
  [ "$("$BAKEOFF" -C "$REPO" list | wc -l)" -eq "$count" ] || { echo "list does not show $count races" >&2; exit 1; }
  for cmd in "list" "show last" "show $oldest"; do
    label="${cmd/$oldest/OLDEST}"
    # shellcheck disable=SC2086
    with=$(median_ms "$with_index" "$BAKEOFF" -C "$REPO" $cmd)
    # shellcheck disable=SC2086
    without=$(median_ms "$no_index" "$BAKEOFF" -C "$REPO" $cmd)
    base=""
    if [ -n "$BASELINE" ]; then
      # shellcheck disable=SC2086
      base=$(printf '  %11s' "$(median_ms "$no_index" "$BASELINE" -C "$REPO" $cmd)")
    fi
    python3 -c "print(f'{$count:>6}  {\"$label\":<18}  {$without:12.1f}  {$with:9.1f}  {$without / max($with, 0.1):5.1f}x$base')"
  done
  # What a shell's Tab costs: the completer answering `bakeoff show <Tab>` (every race
  # id, newest first) and `bakeoff diff <Tab>` (the last race's lanes, then the ids).
  for words in "show" "diff"; do
    complete=(env -C "$REPO" BAKEOFF_COMPLETE=bash _CLAP_COMPLETE_INDEX=2 "_CLAP_IFS=
" "$BAKEOFF" -- bakeoff "$words" "")
    [ "$("${complete[@]}" | grep -c .)" -gt "$count" ] || { echo "completion of $words does not offer $count races" >&2; exit 1; }
    with=$(median_ms "$with_index" "${complete[@]}")
    without=$(median_ms "$no_index" "${complete[@]}")
    python3 -c "print(f'{$count:>6}  {\"tab: $words\":<18}  {$without:12.1f}  {$with:9.1f}  {$without / max($with, 0.1):5.1f}x')"
  done
  "$BAKEOFF" -C "$REPO" list >/dev/null # leave the index whole for the next size
done

if [ "$PROFILE" = 1 ] && command -v strace >/dev/null; then
  echo
  echo "strace -c of list at $count races, without the index (top syscalls by time):"
  rm -f "$INDEX"
  strace -c -o "$WORK/strace.txt" "$BAKEOFF" -C "$REPO" list >/dev/null
  head -n 12 "$WORK/strace.txt"
  echo
  echo "strace -c of list at $count races, with the index:"
  strace -c -o "$WORK/strace.txt" "$BAKEOFF" -C "$REPO" list >/dev/null
  head -n 12 "$WORK/strace.txt"
fi
