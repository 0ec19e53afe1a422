#!/usr/bin/env bash
# Install what the real-code fixtures (tests/cli/real_code.rs, fixtures/real/) need: a
# venv with a pinned pytest, and the pinned sdists of real packages, hash-checked and
# unpacked. Idempotent and quick when already done; works offline once fetched.
#
#   scripts/install-python-fixtures.sh           # install (or verify)
#   PY_FIXTURES_DIR=/some/dir scripts/...        # install somewhere else
#   PY_FIXTURES_FORCE=1 scripts/...              # start again from nothing
#
# Lays out .py-fixtures/venv/ and .py-fixtures/sdists/NAME-VERSION.tar.gz plus the
# unpacked NAME-VERSION/ trees. Needs python3 (>= 3.9) with venv; talks only to the
# package index pip is configured with. Everything it says goes to stderr.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DEST="${PY_FIXTURES_DIR:-$ROOT/.py-fixtures}"
PYTHON="${PYTHON:-python3}"
REQUIREMENTS="$ROOT/fixtures/real/python-requirements.txt"
SDISTS="$ROOT/fixtures/real/sdists.txt"
VENV="$DEST/venv"
STAMP="$DEST/installed.sha256"

log() { printf '%s\n' "install-python-fixtures: $*" >&2; }

command -v "$PYTHON" >/dev/null || { log "$PYTHON not found (need python3 with venv)"; exit 1; }

# What an install is made of: the two pin files and this script. The stamp holds their
# hash once every step below has succeeded, so a half-done install is redone.
want="$(cat "$REQUIREMENTS" "$SDISTS" "${BASH_SOURCE[0]}" | sha256sum | cut -d' ' -f1)"

# "NAME==VERSION --hash=sha256:HEX" lines, comments and blanks dropped: NAME VERSION HEX.
pins() {
  sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$SDISTS" |
    sed -E 's/^([A-Za-z0-9_.-]+)==([^ ]+) --hash=sha256:([0-9a-f]{64}).*$/\1 \2 \3/'
}

up_to_date() {
  [[ -f $STAMP && $(cat "$STAMP") == "$want" ]] || return 1
  [[ -x $VENV/bin/python ]] || return 1
  local name version hex
  while read -r name version hex; do
    [[ -d $DEST/sdists/$name-$version ]] || return 1
  done < <(pins)
}

if [[ ${PY_FIXTURES_FORCE:-0} != 1 ]] && up_to_date; then
  log "pinned venv and sdists already in $DEST"
  exit 0
fi

start=$(date +%s)
[[ ${PY_FIXTURES_FORCE:-0} == 1 ]] && rm -rf "$DEST"
rm -f "$STAMP"
mkdir -p "$DEST/sdists"

if [[ ! -x $VENV/bin/python ]]; then
  log "creating $VENV"
  "$PYTHON" -m venv "$VENV"
fi
log "installing the pinned tools"
PIP_DISABLE_PIP_VERSION_CHECK=1 "$VENV/bin/pip" install -q --require-hashes --only-binary :all: \
  -r "$REQUIREMENTS" >&2

while read -r name version hex; do
  file="$DEST/sdists/$name-$version.tar.gz"
  if [[ ! -f $file ]] || ! printf '%s  %s\n' "$hex" "$file" | sha256sum -c --status; then
    log "downloading $name==$version"
    rm -f "$file"
    # pip checks the hash itself; --no-build-isolation reads the metadata with the
    # pinned backends above instead of fetching the latest ones.
    printf '%s==%s --hash=sha256:%s\n' "$name" "$version" "$hex" >"$DEST/sdists/.pin.txt"
    PIP_DISABLE_PIP_VERSION_CHECK=1 "$VENV/bin/pip" download -q --no-deps --no-binary :all: \
      --no-build-isolation --require-hashes -r "$DEST/sdists/.pin.txt" -d "$DEST/sdists" >&2
    rm -f "$DEST/sdists/.pin.txt"
    # pip names sdists as the index does (more_itertools-… or more-itertools-…).
    got="$(ls "$DEST/sdists" | grep -i -E "^${name//-/[-_]}-$version\.tar\.gz$" | head -n1)"
    [[ -n $got ]] || { log "pip downloaded no sdist for $name==$version"; exit 1; }
    [[ $DEST/sdists/$got == "$file" ]] || mv "$DEST/sdists/$got" "$file"
  fi
  printf '%s  %s\n' "$hex" "$file" | sha256sum -c --status ||
    { log "$file does not have the pinned sha256 $hex"; exit 1; }
  rm -rf "$DEST/sdists/$name-$version"
  mkdir -p "$DEST/sdists/$name-$version"
  tar -xzf "$file" -C "$DEST/sdists/$name-$version" --strip-components=1
done < <(pins)

"$VENV/bin/python" -m pytest --version >&2
printf '%s\n' "$want" >"$STAMP"
log "done in $(( $(date +%s) - start ))s"
