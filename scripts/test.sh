#!/usr/bin/env bash
# Runs everything bakeoff is tested with: formatting, lints, unit and integration tests.
# Hermetic: the integration tests build temp repositories with no git identity and no
# provider keys, and talk to nothing but loopback (the fake provider); the agent CLIs come
# from the npm registry, like the crates from crates.io.
set -euo pipefail
cd "$(dirname "$0")/.."

# The real agent CLIs (pinned, into .agent-clis/) for the tests that race them against
# the fake provider; a no-op when they are already installed.
scripts/install-agent-clis.sh >/dev/null

# A venv with a pinned pytest and the pinned sdists of real Python packages, for the
# real-code fixture races (tests/cli/real_code.rs); a no-op when already installed.
scripts/install-python-fixtures.sh

# A venv with the pinned validators (GitHub's workflow schema, the Kubernetes schemas,
# hadolint) that check what `bench export` writes; a no-op when already installed.
scripts/install-bench-tools.sh

# bubblewrap (Debian's package, pinned), which sandboxes lanes; a no-op when it works.
scripts/install-sandbox.sh
scripts/install-chromium.sh

cargo fmt --all -- --check
cargo clippy --workspace --all-targets --locked -- -D warnings
cargo test --workspace --locked --all-targets

# The release binary contains no test machinery (the scripted agent, fault injection).
scripts/check-release-binary.sh
