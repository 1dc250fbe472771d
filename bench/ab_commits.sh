#!/bin/bash
# A/B of two commits' JMH benchmarks in one run: builds each commit's benchmarks.jar in a scratch worktree, then
# alternates the two jars round after round (so load drifts hit both sides) and prints every round's scores.
#   bench/ab_commits.sh BASE_COMMIT NEW_COMMIT ROUNDS 'JMH args...'
#   bench/ab_commits.sh 15eae82 main 3 'TrainStepBench -p layers=784-500-10 -p batch=128 -p threads=1,2'
# More JMH argument strings after the first are run in turn on the same two jars (-jvm picks a fork's JDK):
#   bench/ab_commits.sh A B 2 'ExpBench' 'ExpBench -jvm /usr/lib/jvm/temurin-25-jdk-amd64/bin/java'
set -euo pipefail
base=$1 new=$2 rounds=$3
shift 3
repo=$(git rev-parse --show-toplevel)
scratch=$(mktemp -d /tmp/panagrad-ab.XXXXXX)
for side in base new; do
  commit=$([ $side = base ] && echo "$base" || echo "$new")
  git -C "$repo" worktree add -q --detach "$scratch/$side" "$commit"
  (cd "$scratch/$side" && mvn -B -q -ntp -DskipTests -pl bench -am package >/dev/null)
  cp "$scratch/$side/bench/target/benchmarks.jar" "$scratch/$side.jar"
  git -C "$repo" worktree remove --force "$scratch/$side"
done
echo "# $(lscpu | grep 'Model name' | sed 's/ \+/ /g'); $(java -version 2>&1 | head -1); load $(cut -d' ' -f1-3 /proc/loadavg)"
for args in "$@"; do
echo "# base $(git -C "$repo" rev-parse --short "$base"), new $(git -C "$repo" rev-parse --short "$new"); JMH $args"
for r in $(seq 1 "$rounds"); do
  for side in base new; do
    echo "## round $r $side (load $(cut -d' ' -f1 /proc/loadavg))"
    # shellcheck disable=SC2086
    java -jar "$scratch/$side.jar" $args -f 1 -wi 3 -w 2 -i 5 -r 2 -rf csv -rff "$scratch/$side-$r.csv" 2>/dev/null | grep -E '^(Benchmark|[A-Z][A-Za-z]+Bench)' || true
  done
done
done
rm -rf "$scratch"
