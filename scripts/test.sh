#!/usr/bin/env bash
# Runs everything bakeoff is tested with: formatting, lints, unit and integration tests.
# Hermetic: the integration tests build temp repositories with no git identity and no
# provider keys, and talk to nothing but loopback.
set -euo pipefail
cd "$(dirname "$0")/.."

cargo fmt --all -- --check
cargo clippy --all-targets --locked -- -D warnings
cargo test --locked --all-targets
