#!/usr/bin/env bash
# Installs bubblewrap, which sandboxes each lane (tests/cli/sandbox.rs needs it), pinned to
# Debian 12's package. A no-op when a working bwrap is on PATH already.
set -euo pipefail

BWRAP_VERSION="0.8.0-2+deb12u1"

works() {
  command -v bwrap >/dev/null 2>&1 &&
    bwrap --ro-bind / / --dev /dev --proc /proc --unshare-pid --unshare-net -- true 2>/dev/null
}

if works; then
  exit 0
fi
if command -v bwrap >/dev/null 2>&1; then
  echo "install-sandbox: bwrap is installed but cannot make a sandbox here (unprivileged user namespaces off?)" >&2
  exit 0
fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "install-sandbox: installing bubblewrap=$BWRAP_VERSION" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -q "bubblewrap=$BWRAP_VERSION" >/dev/null 2>&1 ||
    { apt-get update -q >/dev/null 2>&1 && apt-get install -y -q "bubblewrap=$BWRAP_VERSION" >/dev/null; }
  works || echo "install-sandbox: bubblewrap installed but cannot make a sandbox here" >&2
  exit 0
fi
echo "install-sandbox: bubblewrap is missing; install it (apt-get install bubblewrap) for the sandbox tests" >&2
