#!/usr/bin/env bash
# Builds what a user installs into dist/: the host for linux, darwin and windows ×
# amd64 and arm64 (static, CGO_ENABLED=0), a Debian package per Linux architecture
# (the host in /usr/lib/tabphone, system-wide manifests for every Chromium-family browser
# and Firefox, all owned by dpkg so remove and purge take them), the Chrome zip and the
# Firefox xpi of extension/, and SHA256SUMS. No network: dpkg-deb and web-ext build.
# Run from `make release`, which sets VERSION from git describe and builds bin/ first.
# DEB_ONLY=1 DIST=DIR builds only this machine's .deb into DIR (the package test's way).
set -euo pipefail
cd "$(dirname "$0")/.."
: "${VERSION:?VERSION is set by make release}"
GO=${GO:-go}
dist=${DIST:-dist}
oses=(linux darwin windows)
arches=(amd64 arm64)
if [ -n "${DEB_ONLY:-}" ]; then
  oses=(linux)
  arches=("$("$GO" env GOARCH)")
fi
rm -rf "$dist"
mkdir -p "$dist"

for os in "${oses[@]}"; do
  for arch in "${arches[@]}"; do
    out="$dist/tabphone-host-$os-$arch"
    [ "$os" = windows ] && out="$out.exe"
    echo "release: $out"
    CGO_ENABLED=0 GOOS=$os GOARCH=$arch "$GO" build -trimpath -ldflags "-s -w -X main.version=$VERSION" -o "$out" ./nativehost
  done
done

# Debian versions allow no "-" in the upstream part when there is no revision.
debversion=$(printf '%s' "$VERSION" | sed 's/^[^0-9]*//; s/-/+/; s/-/./g')
for arch in "${arches[@]}"; do
  stage=$(mktemp -d)
  trap 'rm -rf "$stage"' EXIT
  install -D -m 0755 "$dist/tabphone-host-linux-$arch" "$stage/usr/lib/tabphone/tabphone-host"
  # The manifests come from the host's own table (install --root), so the package and
  # `tabphone-host install --system` never disagree about a place.
  bin/tabphone-host install --root "$stage" --path /usr/lib/tabphone/tabphone-host >/dev/null
  install -D -m 0644 /dev/stdin "$stage/usr/share/doc/tabphone/copyright" <<'TXT'
Tabphone: a browser-extension softphone and its native host, tabphone-host.
TXT
  mkdir -p "$stage/DEBIAN"
  size=$(du -sk --exclude=DEBIAN "$stage" | cut -f1)
  cat >"$stage/DEBIAN/control" <<TXT
Package: tabphone
Version: $debversion
Architecture: $arch
Maintainer: Tabphone <tabphone@tabphone.dev>
Installed-Size: $size
Section: net
Priority: optional
Homepage: https://github.com/tabphone/tabphone
Description: softphone in the browser: native host for the Tabphone extension
 tabphone-host places and answers SIP calls for the Tabphone browser extension.
 This package registers it with Chromium, Google Chrome, Microsoft Edge, Brave,
 Vivaldi, Opera and Firefox for every user of the machine; install the extension
 in the browser and it reaches the host with no further step.
TXT
  # dpkg removes /etc/opt together with our manifests when no other package owns it and
  # it is empty; the FHS wants it wherever /opt is, so put it back as it was.
  cat >"$stage/DEBIAN/postrm" <<'TXT'
#!/bin/sh
set -e
if [ "$1" = remove ] || [ "$1" = purge ]; then
  if [ -d /opt ] && [ ! -d /etc/opt ]; then mkdir -m 0755 /etc/opt; fi
fi
exit 0
TXT
  chmod 0755 "$stage/DEBIAN/postrm"
  find "$stage" -type d -exec chmod 0755 {} +
  deb="$dist/tabphone_${debversion}_$arch.deb"
  echo "release: $deb"
  dpkg-deb --root-owner-group -Zxz --build "$stage" "$deb" >/dev/null
  rm -rf "$stage"
  trap - EXIT
done

[ -n "${DEB_ONLY:-}" ] && exit 0

# The extension: the same files for both stores (the manifest carries both backgrounds).
# web-ext would turn a "+" in the name into "_": name it so ourselves.
extversion=${debversion//+/_}
ext_ignore=('test' 'tools')
npx --no-install web-ext build --source-dir extension --artifacts-dir "$dist" --overwrite-dest \
  --filename "tabphone-chrome-$extversion.zip" --ignore-files "${ext_ignore[@]}" >/dev/null
cp "$dist/tabphone-chrome-$extversion.zip" "$dist/tabphone-firefox-$extversion.xpi"
echo "release: $dist/tabphone-chrome-$extversion.zip $dist/tabphone-firefox-$extversion.xpi"

(cd "$dist" && sha256sum -- * >SHA256SUMS)
echo "release: $dist/SHA256SUMS"
