#!/usr/bin/env bash
# Builds and runs the sample project examples/mnist-library against the engine as a user gets it: installed into
# a Maven repository and used through its coordinates. The install goes into a private local repository (a
# hard-linked copy of ~/.m2/repository, without any Panagrad artifact), so nothing lands in the shared one.
#   examples/run.sh [MNIST_DIR]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
repo="$(mktemp -d)/repository"
trap 'rm -rf "$(dirname "$repo")"' EXIT
mkdir -p "$repo"
if [ -d "$HOME/.m2/repository" ]; then
  cp -al "$HOME/.m2/repository/." "$repo/" 2>/dev/null || cp -a "$HOME/.m2/repository/." "$repo/"
  rm -rf "$repo/org/panagrad"
fi
mnist="${1:-${MNIST_DIR:-}}"
if [ -z "$mnist" ]; then
  for d in data/mnist ../shared/data/mnist /work/shared/data/mnist; do [ -d "$d" ] && { mnist="$(cd "$d" && pwd)"; break; }; done
fi
echo "== mvn install of the engine (into $repo)"
mvn -B -ntp -q -Dmaven.repo.local="$repo" -pl engine -am install -DskipTests
echo "== examples/mnist-library: mvn package exec:exec"
mvn -B -ntp -q -Dmaven.repo.local="$repo" -f examples/mnist-library/pom.xml package exec:exec -Dmnist="$mnist"
