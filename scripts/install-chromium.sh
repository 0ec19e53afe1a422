#!/usr/bin/env bash
# Installs Chromium, which the bench report's browser test renders the HTML page in
# (crates/core/src/bench/html.rs), pinned to Debian 12's package. A no-op when a working
# chromium is on PATH already.
set -euo pipefail

CHROMIUM_VERSION="148.0.7778.167-1~deb12u1"

works() {
  command -v chromium >/dev/null 2>&1 && chromium --version >/dev/null 2>&1
}

if works; then
  exit 0
fi
if command -v chromium >/dev/null 2>&1; then
  echo "install-chromium: chromium is on PATH but 'chromium --version' fails; fix or remove it" >&2
  exit 1
fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "install-chromium: installing chromium=$CHROMIUM_VERSION" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -q --no-install-recommends "chromium=$CHROMIUM_VERSION" >/dev/null 2>&1 ||
    { apt-get update -q >/dev/null 2>&1 &&
      apt-get install -y -q --no-install-recommends "chromium=$CHROMIUM_VERSION" >/dev/null; } ||
    { echo "install-chromium: apt-get could not install chromium=$CHROMIUM_VERSION; 'apt-cache policy chromium' shows what this system offers, and CHROMIUM_VERSION in this script is the pin" >&2
      exit 1; }
  works || { echo "install-chromium: chromium=$CHROMIUM_VERSION installed but 'chromium --version' fails" >&2; exit 1; }
  exit 0
fi
echo "install-chromium: chromium is missing; as root on Debian 12 run this script, or install chromium=$CHROMIUM_VERSION yourself, for the bench report's browser test" >&2
exit 1
