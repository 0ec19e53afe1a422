# Shared set-up for the benchmark scripts: a release build, a hermetic environment and
# a scratch folder that is removed on exit. Source it; do not run it.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# Built one package at a time: together, cargo would unify the testkit's features into
# the bakeoff binary. The scripted fake agent is the testkit's own binary. Both may be
# given instead (BAKEOFF, SCRIPTED_AGENT: an older build, to compare against), and then
# nothing is built.
if [ -z "${BAKEOFF:-}" ] || [ -z "${SCRIPTED_AGENT:-}" ]; then
  cargo build --release --quiet --manifest-path "$ROOT/Cargo.toml" -p bakeoff
  cargo build --release --quiet --manifest-path "$ROOT/Cargo.toml" -p bakeoff-testkit
fi
SCRIPTED_AGENT="${SCRIPTED_AGENT:-$ROOT/target/release/scripted-agent}"
BAKEOFF="${BAKEOFF:-$ROOT/target/release/bakeoff}"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/bakeoff-bench.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
export HOME="$WORK/home" XDG_CONFIG_HOME="$WORK/home/.config" XDG_DATA_HOME="$WORK/home/.local/share"
export GIT_CONFIG_GLOBAL=/dev/null GIT_CONFIG_NOSYSTEM=1 NO_COLOR=1
mkdir -p "$HOME/.config/bakeoff" "$WORK/scripts"
# A sandboxed lane sees nothing of the temp folder: the scripted agents' scripts are
# shown to it read-only.
cat > "$XDG_CONFIG_HOME/bakeoff/config.toml" <<TOML
[sandbox]
read = ["$WORK/scripts"]
TOML
unset ANTHROPIC_API_KEY OPENAI_API_KEY GEMINI_API_KEY GOOGLE_API_KEY OPENROUTER_API_KEY

# sandbox_works: whether bubblewrap can make a lane's sandbox here (the probe of
# scripts/install-sandbox.sh).
sandbox_works() {
  command -v bwrap >/dev/null 2>&1 &&
    bwrap --ro-bind / / --dev /dev --proc /proc --unshare-pid --unshare-net -- true 2>/dev/null
}

# new_repo DIR: a repository with one commit.
new_repo() {
  mkdir -p "$1"
  git -C "$1" init -q -b main
  echo "bench" > "$1/README.md"
  git -C "$1" add -A
  git -C "$1" -c user.name=b -c user.email=b@b commit -q -m init
}

# scripted_agent NAME SCRIPT_TEXT [PARSER]: an [agents.NAME] table running a scripted
# agent whose output is read with PARSER's format (claude by default).
scripted_agent() {
  local script="$WORK/scripts/$1.script"
  printf '%b' "$2" > "$script"
  cat >> "$XDG_CONFIG_HOME/bakeoff/config.toml" <<TOML
[agents.$1]
adapter = "command"
model = "scripted"
parser = "${3:-claude}"
command = ["$SCRIPTED_AGENT", "--script", "$script", "{spec_file}"]
TOML
}

# journal_field: the newest race's events.jsonl in REPO.
journal() {
  local races="$1/.git/bakeoff/races"
  echo "$races/$(ls "$races" | tail -n 1)/events.jsonl"
}
