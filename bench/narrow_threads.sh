#!/bin/bash
# The narrow products (an MLP's output layer, n = 10) on 1 and on 2 threads, alternating round after round in
# separate JVMs, each JMH run under /tmp/jmh.lock (one benchmark at a time on a shared machine). Prints every
# round's score (calls/s) and the 2-thread / 1-thread time ratio per round.
#   bench/narrow_threads.sh ROUNDS            (build first: mvn -B -ntp -q -DskipTests -pl bench -am package)
set -euo pipefail
rounds=${1:-3}
jar="$(git rev-parse --show-toplevel)/bench/target/benchmarks.jar"
echo "# $(lscpu | grep 'Model name' | sed 's/ \+/ /g'); $(java -version 2>&1 | head -1); commit $(git rev-parse --short HEAD); load $(cut -d' ' -f1-3 /proc/loadavg)"
shapes=("128x10x500 NN|-p m=128 -p n=10 -p k=500" "500x10x128 TN|-p m=500 -p n=10 -p k=128 -p transA=true")
score() { # JMH args -> calls per second
  # shellcheck disable=SC2086
  flock /tmp/jmh.lock java -jar "$jar" GemmBench.gemm $1 -f 1 -wi 8 -w 1 -i 5 -r 1 2>/dev/null \
    | awk '/^GemmBench.gemm/ {print $(NF-3)}'
}
for r in $(seq 1 "$rounds"); do
  for s in "${shapes[@]}"; do
    label=${s%%|*} args=${s#*|}
    one=$(score "$args -p threads=1") two=$(score "$args -p threads=2")
    echo "round $r  $label  1 thread $one/s  2 threads $two/s  time ratio 2t/1t $(awk -v a="$one" -v b="$two" 'BEGIN {printf "%.2f", a / b}')  (load $(cut -d' ' -f1 /proc/loadavg))"
  done
done
