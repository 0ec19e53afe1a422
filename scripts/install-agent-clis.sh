#!/usr/bin/env bash
# Install the real agent CLIs (Claude Code, Codex CLI, Gemini CLI) at pinned versions
# into a project-local folder, for the tests that drive them against the loopback fake
# provider. Idempotent: does nothing when the pinned versions are already installed.
#
#   scripts/install-agent-clis.sh            # install (or verify) and print the bin folder
#   AGENT_CLIS_DIR=/some/dir scripts/...     # install somewhere else
#   AGENT_CLIS_FORCE=1 scripts/...           # reinstall even if the versions match
#
# Prints the bin folder (…/.agent-clis/node_modules/.bin) as the LAST line of stdout;
# everything else goes to stderr. Needs node >= 20 and npm; works as root, with CI=true
# and no TTY. See docs/agent-clis.md.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DEST="${AGENT_CLIS_DIR:-$ROOT/.agent-clis}"

# Pinned versions. Bump together with docs/agent-clis.md and fixtures/wire/.
PKGS=(
  "@anthropic-ai/claude-code@2.1.330"
  "@openai/codex@0.169.0"
  "@google/gemini-cli@0.61.0"
)

log() { printf '%s\n' "install-agent-clis: $*" >&2; }

command -v node >/dev/null || { log "node not found (need node >= 20)"; exit 1; }
command -v npm >/dev/null || { log "npm not found"; exit 1; }

installed_version() { # $1 = package name; prints the installed version or nothing
  local pj="$DEST/node_modules/$1/package.json"
  [[ -f $pj ]] || return 0
  node -e 'try{process.stdout.write(require(process.argv[1]).version||"")}catch(e){}' "$pj"
}

# Codex ships its Rust binary in a per-platform optional dependency
# (@openai/codex-linux-x64 = npm:@openai/codex@<v>-linux-x64). Check it is there too.
codex_platform_pkg() {
  local os arch
  case "$(uname -s)" in Linux) os=linux ;; Darwin) os=darwin ;; *) os=win32 ;; esac
  case "$(uname -m)" in x86_64|amd64) arch=x64 ;; aarch64|arm64) arch=arm64 ;; *) arch=unknown ;; esac
  printf '@openai/codex-%s-%s' "$os" "$arch"
}

up_to_date() {
  local spec name want have
  for spec in "${PKGS[@]}"; do
    name="${spec%@*}"; want="${spec##*@}"
    have="$(installed_version "$name")"
    [[ $have == "$want" ]] || return 1
  done
  [[ -d "$DEST/node_modules/$(codex_platform_pkg)" ]] || return 1
  [[ -x "$DEST/node_modules/.bin/claude" && -x "$DEST/node_modules/.bin/codex" && -x "$DEST/node_modules/.bin/gemini" ]] || return 1
  # Claude Code's postinstall replaces the small bin/claude.exe placeholder with the
  # ~380 MB native binary; a small file means the postinstall did not run.
  local size
  size="$(wc -c <"$DEST/node_modules/@anthropic-ai/claude-code/bin/claude.exe")"
  (( size > 1000000 )) || return 1
}

if [[ ${AGENT_CLIS_FORCE:-0} != 1 ]] && up_to_date; then
  log "pinned versions already installed in $DEST"
else
  mkdir -p "$DEST"
  # A package.json of our own keeps npm from walking up to the project root.
  [[ -f $DEST/package.json ]] || printf '{\n  "name": "bakeoff-agent-clis",\n  "private": true\n}\n' >"$DEST/package.json"
  log "installing ${PKGS[*]} into $DEST"
  start=$(date +%s)
  # Optional deps must not be omitted: Claude Code's and Codex's native binaries live
  # in platform-specific optional dependencies. Lifecycle scripts must run: Claude
  # Code's postinstall links its native binary into bin/claude.exe.
  npm_config_update_notifier=false npm_config_optional=true npm_config_omit= \
  npm_config_ignore_scripts=false \
    npm install --prefix "$DEST" --no-audit --no-fund --loglevel=error \
      --save-exact --include=optional "${PKGS[@]}" </dev/null >&2
  log "npm install took $(( $(date +%s) - start ))s"
  up_to_date || { log "install finished but the pinned versions are not all in place"; exit 1; }
fi

BIN="$DEST/node_modules/.bin"
# Smoke check: every CLI answers --version (no network needed).
for cli in claude codex gemini; do
  if ! v="$(cd "$DEST" && CI=true DISABLE_AUTOUPDATER=1 CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1 \
        timeout 60 "$BIN/$cli" --version </dev/null 2>&1)"; then
    log "$cli --version failed: $v"; exit 1
  fi
  log "$cli --version: $(printf '%s' "$v" | tail -n1)"
done
printf '%s\n' "$BIN"
