#!/usr/bin/env bash
# What the sandbox costs a race: 8 lanes whose agent writes a file and whose check greps
# it, raced with --sandbox on and --sandbox off alternately in one run; prints each
# race's wall time and the median ratio on ÷ off. Needs a working bubblewrap.
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
args=()
for i in $(seq "$LANES"); do args+=(-a "l$i=w"); done
ms() { date +%s%3N; }
on=(); off=()
for r in $(seq "$ROUNDS"); do
  for mode in on off; do
    t0=$(ms)
    (cd "$REPO" && "$BAKEOFF" race "bench" "${args[@]}" --no-review --sandbox "$mode" --check "grep -q hello out.txt" >/dev/null 2>&1)
    t=$(( $(ms) - t0 ))
    if [ "$mode" = on ]; then on+=("$t"); else off+=("$t"); fi
  done
done
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
m_on=$(median "${on[@]}"); m_off=$(median "${off[@]}")
echo "on $TMPDIR: $LANES lanes, $ROUNDS rounds"
echo "  --sandbox on  ms: ${on[*]} (median $m_on)"
echo "  --sandbox off ms: ${off[*]} (median $m_off)"
awk -v a="$m_on" -v b="$m_off" 'BEGIN {printf "  ratio on/off: %.2f\n", a / b}'
