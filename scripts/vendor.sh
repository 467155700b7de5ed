#!/usr/bin/env bash
# Copies the third-party code the extension ships from node_modules into
# extension/vendor/ (gitignored): libphonenumber-js's prebuilt UMD bundle, unchanged, with
# its licence, so the version is the one package-lock.json pins and store reviewers can
# compare the file with the npm package. Runs npm ci first when node_modules is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -d node_modules/libphonenumber-js ]; then
  echo "vendor: npm ci"
  npm ci --no-audit --no-fund
fi
mkdir -p extension/vendor
copy() { # only when different, so make and web-ext see no change on a warm tree
  cmp -s "$1" "$2" || cp "$1" "$2"
}
copy node_modules/libphonenumber-js/bundle/libphonenumber-min.js extension/vendor/libphonenumber-min.js
copy node_modules/libphonenumber-js/LICENSE extension/vendor/libphonenumber-js.LICENSE
# Its metadata comes from Google's libphonenumber (Apache-2.0).
copy node_modules/libphonenumber-js/LICENSE.Apache extension/vendor/libphonenumber-js.LICENSE.Apache
