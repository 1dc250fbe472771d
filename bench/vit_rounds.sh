#!/bin/bash
# vit-tiny against PyTorch in one window, alternating sides round after round (issue 20's step and HVP targets), and
# AttentionBench (fused against composed forward) in the same rounds. Every round is printed with its load average.
#   mvn -B -ntp -q -pl engine,bench -am package -DskipTests && bench/vit_rounds.sh 3 | tee vit-rounds.txt
# Holds /tmp/jmh.lock for each run (JMH and PyTorch); PyTorch runs with the OpenBLAS variables unset and
# OMP_WAIT_POLICY=PASSIVE. JAR=... times another build (default: this checkout's bench/target/benchmarks.jar).
set -euo pipefail
rounds=${1:-3}
repo=$(git rev-parse --show-toplevel)
jar=${JAR:-"$repo/bench/target/benchmarks.jar"}
echo "# $(lscpu | grep 'Model name' | sed 's/ \+/ /g'); $(java -version 2>&1 | head -1); commit $(git -C "$repo" rev-parse --short HEAD)"
for r in $(seq 1 "$rounds"); do
  echo "## round $r java (load $(cut -d' ' -f1-3 /proc/loadavg))"
  flock /tmp/jmh.lock java -jar "$jar" VitTinyBench -f 1 -wi 3 -w 2 -i 5 -r 2 2>/dev/null | grep -E '^(Benchmark|VitTinyBench)'
  echo "## round $r pytorch (load $(cut -d' ' -f1-3 /proc/loadavg))"
  flock /tmp/jmh.lock env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OMP_WAIT_POLICY=PASSIVE /usr/bin/python3 "$repo/bench/compare_vit.py" 1
  echo "## round $r attention (load $(cut -d' ' -f1-3 /proc/loadavg))"
  flock /tmp/jmh.lock java -jar "$jar" AttentionBench -p causal=false,true -f 1 -wi 3 -w 1 -i 5 -r 1 2>/dev/null \
    | grep -E '^(Benchmark|AttentionBench)'
done
