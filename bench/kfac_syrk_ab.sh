#!/bin/bash
# K-FAC factors against the gradient on two jars, alternating (issue 21: the packed SYRK for the factors' Gram
# products): per round and thread count, each jar's KfacFactorsInstructions (every instruction timed over REPS runs
# after WARMUP runs of both programs), printing its summary lines and its matmul and gram instructions (among the top 15 by
# time) with ms and GFLOP/s; a Gram product is the one of an n x n shape in the factors' list, its GFLOP/s counted
# on the whole product (2 n^2 k), of which a SYRK computes about half.
#   bench/kfac_syrk_ab.sh BASE_JAR NEW_JAR ROUNDS [MODEL]
#   bench/kfac_syrk_ab.sh /tmp/main.jar bench/target/benchmarks.jar 2 784-500-10
# Duration: about 15-20 s per jar, thread count and round at 784-500-10 (2 rounds: about 2.5 minutes); lenet5 about
# twice that. Build the jars first (mvn -B -ntp -o -q -pl engine,bench -am package -DskipTests in each worktree).
set -euo pipefail
base=$1 new=$2 rounds=$3 model=${4:-784-500-10}
echo "# $(lscpu | grep 'Model name' | sed 's/ \+/ /g'); $(java -version 2>&1 | head -1); load $(cut -d' ' -f1-3 /proc/loadavg); $(date -u +%H:%M) UTC"
echo "# base $base, new $new; model $model, batch 128; -Dwarmup=${WARMUP:-2000} -Dreps=${REPS:-300}"
for r in $(seq 1 "$rounds"); do
  for threads in 1 2; do
    for side in base new; do
      jar=$([ $side = base ] && echo "$base" || echo "$new")
      echo "## round $r, $threads thread(s), $side (load $(cut -d' ' -f1 /proc/loadavg))"
      flock /tmp/jmh.lock java --add-modules jdk.incubator.vector -Dmodel="$model" -Dthreads="$threads" \
        -Dwarmup="${WARMUP:-2000}" -Dreps="${REPS:-300}" -cp "$jar" org.panagrad.bench.KfacFactorsInstructions 2>/dev/null \
        | grep -iE 'timed instructions|^(gradient|K-FAC factors):|matmul|gram' || true
    done
  done
done
echo "# load after: $(cut -d' ' -f1-3 /proc/loadavg); $(date -u +%H:%M) UTC"
