#!/usr/bin/env bash
# Reviewer input tokens per change with the diff and its context (what bakeoff sends)
# ÷ with the whole changed files instead, over a fixture set of real changes: the
# non-merge commits of a repository (default: this one), each reviewed against its
# parent. Tokens are the review request's bytes / 4, as bakeoff's splitter estimates
# them. Target ≤ 0.5×.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
REPO="${REPO:-$ROOT}"
COMMITS="${COMMITS:-30}"
CONTEXT="${CONTEXT:-10}"
cargo run --release --quiet --manifest-path "$ROOT/Cargo.toml" --example review_tokens -- "$REPO" "$COMMITS" "$CONTEXT"
