#!/usr/bin/env bash
# Builds src/report/nhsuk-frontend.css from the pinned nhsuk-frontend package: compiles
# src/report/nhsuk-frontend.scss with sass, then keeps only the selectors that the page's
# templates and script use (purgecss). Usage: tools/nhsuk-css.sh NODE_MODULES OUT_CSS
set -euo pipefail
modules="$1"
out="$2"
root="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
version="$(node -p "require('$modules/nhsuk-frontend/package.json').version")"
mkdir "$work/purged"
"$modules/.bin/sass" --load-path="$modules" --style=compressed --no-source-map --quiet \
  "$root/src/report/nhsuk-frontend.scss" "$work/full.css"
"$modules/.bin/purgecss" --css "$work/full.css" \
  --content "$root"/src/report/templates/*.html "$root/src/report/report.js" \
  --output "$work/purged"
{
  echo "/* nhsuk-frontend $version (MIT licence, NHS England): the page's subset, built by tools/nhsuk-css.sh. Do not edit. */"
  # sass marks non-ASCII output with a byte order mark, out of place inside <style>.
  sed '1s/^\xEF\xBB\xBF//' "$work/purged/full.css"
  echo
} > "$out"
