#!/usr/bin/env bash
# The release `bakeoff` binary carries no test machinery: neither the scripted fake agent
# (its steps and its subcommand) nor the fake provider's fault injection. Builds it the
# way a user does (`-p bakeoff` alone, so no test-only feature is unified in) and looks
# for their names with `strings`. The marker list is checked against the testkit's own
# `scripted-agent` binary first, so a marker that no longer exists cannot pass silently.
set -euo pipefail
cd "$(dirname "$0")/.."

AGENT_MARKERS=(scripted-agent copy-spec ignore-sigterm "bad flood mode")
FAULT_MARKERS=(html-error-page truncated-stream malformed-json insufficient-quota)

command -v strings >/dev/null || { echo "check-release-binary: needs strings (Debian's binutils)" >&2; exit 1; }
cargo build --release --locked --quiet -p bakeoff
cargo build --release --locked --quiet -p bakeoff-testkit --bin scripted-agent

# Read once into files: `grep -q` stopping early would fail a pipeline under pipefail.
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
strings -n 6 target/release/scripted-agent > "$scratch/agent"
strings -n 6 target/release/bakeoff > "$scratch/bakeoff"
fail=0
for m in "${AGENT_MARKERS[@]:1}"; do
  if ! grep -qF -- "$m" "$scratch/agent"; then
    echo "check-release-binary: the marker '$m' is not in scripted-agent: update the list" >&2
    fail=1
  fi
done
for m in "${AGENT_MARKERS[@]}" "${FAULT_MARKERS[@]}"; do
  if grep -qF -- "$m" "$scratch/bakeoff"; then
    echo "check-release-binary: target/release/bakeoff contains '$m' (test machinery)" >&2
    fail=1
  fi
done
[ "$fail" = 0 ] && echo "check-release-binary: target/release/bakeoff has no scripted agent and no fault injection"
exit "$fail"
