#!/usr/bin/env bash
# Opens a run report in headless Chromium (Debian's chromium, installed if missing) and checks that the page
# logs nothing to the console, that every chart is in the rendered DOM, and writes a full-page screenshot.
#
#   mnist-demo/scripts/check-report.sh                      # trains a short run on MNIST, adds a Hessian, a Laplace fit and
#                                                           # one test image's influence, checks its report
#   mnist-demo/scripts/check-report.sh REPORT.html [OUT.png] # checks an existing report
#
# The screenshot goes to OUT.png (default: docs/report.png, the picture the README shows).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"

if ! command -v chromium >/dev/null; then
  echo "== installing Debian's chromium"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi
chromium --version 2>/dev/null || true

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
report="${1:-}"
shot="${2:-${REPORT_SCREENSHOT:-$root/docs/report.png}}"
analyses_expected=0
if [ -z "$report" ]; then
  [ -f mnist-demo/target/mnist-demo.jar ] || mvn -B -ntp -q -pl engine,mnist-demo package -DskipTests
  jar="java --add-modules jdk.incubator.vector -jar mnist-demo/target/mnist-demo.jar"
  data="${MNIST_DIR:-}"
  for d in data/mnist ../shared/data/mnist /work/shared/data/mnist; do
    [ -z "$data" ] && [ -d "$d" ] && data="$(cd "$d" && pwd)"
  done
  [ -n "$data" ] || { echo "FAIL: no MNIST data (set MNIST_DIR)"; exit 1; }
  run="$work/run"
  mkdir -p "$run" # the checkpoint goes into it, and commands refuse a missing directory
  echo "== a short training run with --tensorboard, Hessian, Laplace and influence analyses into its directory, and its report"
  $jar train --data "$data" --no-progress --epochs 3 --samples 20000 --histogram-every 25 --tensorboard "$run" \
      --checkpoint "$run/model.safetensors" 2>&1 | grep -v "^WARNING: Using incubator"
  $jar hessian --data "$data" --checkpoint "$run/model.safetensors" --samples 500 --top-k 3 --lanczos-steps 60 --trace-samples 30 \
      --json "$run/hessian.json" --plot "$work/density.svg" 2>&1 | grep -v "^WARNING: Using incubator"
  $jar laplace --data "$data" --checkpoint "$run/model.safetensors" --train-samples 1000 --mc-samples 2 --out-dir "$run" 2>&1 \
      | grep -v "^WARNING: Using incubator"
  $jar influence --data "$data" --checkpoint "$run/model.safetensors" --test-index 0 --train-samples 200 --top 6 \
      --out-dir "$run" 2>&1 | grep -v "^WARNING: Using incubator"
  $jar report --run "$run" 2>&1 | grep -v "^WARNING: Using incubator"
  report="$run/report.html"
  analyses_expected=1
fi

flags=(--headless --no-sandbox --disable-gpu --disable-background-networking --disable-component-update --disable-sync
       --no-first-run --hide-scrollbars --enable-logging=stderr --v=0)
url="file://$(cd "$(dirname "$report")" && pwd)/$(basename "$report")"

echo "== loading $url"
timeout 120 chromium "${flags[@]}" --user-data-dir="$work/profile-dom" --dump-dom "$url" >"$work/dom.html" 2>"$work/dom.log"
if grep -q "CONSOLE" "$work/dom.log"; then
  echo "FAIL: the page wrote to the console:"; grep "CONSOLE" "$work/dom.log"; exit 1
fi
missing=0
for chart in loss accuracy throughput learning-rate gradient-heatmap histogram graph; do
  if ! grep -q "data-chart=\"$chart\"" "$work/dom.html"; then echo "FAIL: no $chart chart in the rendered page"; missing=1; fi
done
# The analyses' sections: all three after the run above; in a given report, each one whose heading the page has.
for section in hessian laplace influence; do
  [ "$analyses_expected" = 1 ] || grep -q "<h2 id=\"$section\">" "$report" || continue
  if ! grep -q "data-chart=\"$section\"" "$work/dom.html"; then echo "FAIL: no $section chart"; missing=1; fi
  if [ "$section" != hessian ] && ! grep -q "data-table=\"$section\"" "$work/dom.html"; then
    echo "FAIL: no $section table"; missing=1
  fi
done
# Every image is inline (a data URI): the page loads nothing.
if grep -o '<img[^>]*>' "$work/dom.html" | grep -v 'src="data:image/png;base64,' | grep -q .; then
  echo "FAIL: an image that is not a data URI"; missing=1
fi
grep -q '<table class="profile">' "$work/dom.html" || { echo "FAIL: no profile table"; missing=1; }
[ "$missing" = 0 ]
charts=$(grep -o 'data-chart="[a-z-]*"' "$work/dom.html" | wc -l)

mkdir -p "$(dirname "$shot")"
timeout 120 chromium "${flags[@]}" --user-data-dir="$work/profile-shot" --window-size=1280,5300 --screenshot="$shot" "$url" \
    >/dev/null 2>"$work/shot.log"
if grep -q "CONSOLE" "$work/shot.log"; then
  echo "FAIL: the page wrote to the console:"; grep "CONSOLE" "$work/shot.log"; exit 1
fi
[ -s "$shot" ] || { echo "FAIL: no screenshot"; exit 1; }
echo "report check passed: $charts charts in the rendered page, no console message, screenshot $shot"
