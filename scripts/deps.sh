#!/usr/bin/env bash
# Installs what the build, the demo and the tests need, and only what is missing, so a
# warm machine pays nothing: Debian packages (browsers, SIP peers, audio tools) and the
# npm packages from package-lock.json.
set -euo pipefail
cd "$(dirname "$0")/.."

apt_packages=(chromium firefox-esr xvfb sox kamailio kamailio-tls-modules kamailio-websocket-modules kamailio-presence-modules
  baresip sip-tester rtpengine-daemon gcc libc6-dev iproute2 ffmpeg)
missing=()
for p in "${apt_packages[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "deps: installing ${missing[*]}"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  # A fresh machine's package lists may be empty or stale: update once, then install.
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# npm ci when node_modules is missing or older than the lock file.
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "deps: npm ci"
  npm ci --no-audit --no-fund
fi
