#!/usr/bin/env bash
# Copy the pinned npm packages' built files into the static tree (build time only; never a CDN).
set -euo pipefail
cd "$(dirname "$0")/.."
out=anquan/web/static/vendor
rm -rf "$out" && mkdir -p "$out/bootstrap" "$out/bootstrap-icons/fonts"
cp node_modules/htmx.org/dist/htmx.min.js "$out/"
cp node_modules/echarts/dist/echarts.min.js "$out/"
cp node_modules/bootstrap/dist/css/bootstrap.min.css node_modules/bootstrap/dist/css/bootstrap.min.css.map \
   node_modules/bootstrap/dist/js/bootstrap.bundle.min.js node_modules/bootstrap/dist/js/bootstrap.bundle.min.js.map "$out/bootstrap/"
cp node_modules/bootstrap-icons/font/bootstrap-icons.min.css "$out/bootstrap-icons/"
cp node_modules/bootstrap-icons/font/fonts/bootstrap-icons.woff2 node_modules/bootstrap-icons/font/fonts/bootstrap-icons.woff "$out/bootstrap-icons/fonts/"
echo "vendored front-end assets into $out"
