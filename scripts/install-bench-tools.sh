#!/usr/bin/env bash
# Install the validators the `bench export` tests run on the files it writes: a venv
# with pinned check-jsonschema (GitHub's workflow schema), kubernetes-validate (the
# Kubernetes OpenAPI schemas, bundled per version) and hadolint (the Dockerfile linter),
# every package hash-checked. Idempotent and quick when already done; the validators
# need no network once installed.
#
#   scripts/install-bench-tools.sh             # install (or verify)
#   BENCH_TOOLS_DIR=/some/dir scripts/...      # install somewhere else
#   BENCH_TOOLS_FORCE=1 scripts/...            # start again from nothing
#
# Lays out .bench-tools/venv/ with check-jsonschema, kubernetes-validate and hadolint in
# its bin/. Needs python3 (>= 3.9) with venv; talks only to the package index pip is
# configured with. Everything it says goes to stderr.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DEST="${BENCH_TOOLS_DIR:-$ROOT/.bench-tools}"
PYTHON="${PYTHON:-python3}"
REQUIREMENTS="$ROOT/fixtures/bench/validator-requirements.txt"
VENV="$DEST/venv"
STAMP="$DEST/installed.sha256"
TOOLS=(check-jsonschema kubernetes-validate hadolint)

log() { printf '%s\n' "install-bench-tools: $*" >&2; }

command -v "$PYTHON" >/dev/null || { log "$PYTHON not found (need python3 with venv)"; exit 1; }

# What an install is made of: the pin file and this script. The stamp holds their hash
# once every step below has succeeded, so a half-done install is redone.
want="$(cat "$REQUIREMENTS" "${BASH_SOURCE[0]}" | sha256sum | cut -d' ' -f1)"

up_to_date() {
  [[ -f $STAMP && $(cat "$STAMP") == "$want" ]] || return 1
  local tool
  for tool in "${TOOLS[@]}"; do
    [[ -x $VENV/bin/$tool ]] || return 1
  done
}

if [[ ${BENCH_TOOLS_FORCE:-0} != 1 ]] && up_to_date; then
  log "pinned validators already in $VENV"
  exit 0
fi

start=$(date +%s)
[[ ${BENCH_TOOLS_FORCE:-0} == 1 ]] && rm -rf "$DEST"
rm -f "$STAMP"
mkdir -p "$DEST"

if [[ ! -x $VENV/bin/python ]]; then
  log "creating $VENV"
  "$PYTHON" -m venv "$VENV"
fi
log "installing the pinned validators"
PIP_DISABLE_PIP_VERSION_CHECK=1 "$VENV/bin/pip" install -q --require-hashes --only-binary :all: \
  -r "$REQUIREMENTS" >&2

# Smoke check: every tool answers --version (no network needed).
for tool in "${TOOLS[@]}"; do
  v="$("$VENV/bin/$tool" --version 2>&1)" || { log "$tool --version failed: $v"; exit 1; }
  log "$tool --version: $(printf '%s' "$v" | tail -n1)"
done
printf '%s\n' "$want" >"$STAMP"
log "done in $(( $(date +%s) - start ))s"
