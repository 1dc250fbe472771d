#!/usr/bin/env bash
# K-FAC against Adam on 784-500-10 MNIST, 5 epochs each at batch 128 (issue 21's target: K-FAC >= 98.0% test
# accuracy within 5 epochs and a lower test loss than Adam after epoch 1). Builds the demo once, then runs the two
# one after the other (never at once: the machine is shared), printing the load before each run.
# Usage: bench/kfac_vs_adam.sh [output directory] [jar]   (from the repository root)
set -euo pipefail
out=${1:-/tmp/kfac-vs-adam}
jar=${2:-}
mkdir -p "$out"
if [ -z "$jar" ]; then
  mvn -B -q -ntp -DskipTests -pl mnist-demo -am package
  jar="$out/mnist-demo.jar"
  cp mnist-demo/target/mnist-demo.jar "$jar"
fi
java -version 2>&1 | head -1
git rev-parse --short HEAD 2>/dev/null || true
for optimizer in kfac adam; do
  echo "== $optimizer  $(date -u +%H:%M:%S)  load: $(cut -d' ' -f1-3 /proc/loadavg)"
  /usr/bin/time -f "$optimizer: %e s wall, %U s user, %S s system" \
    java --add-modules jdk.incubator.vector -jar "$jar" train --optimizer "$optimizer" --epochs 5 --seed 1 \
      --no-progress --metrics "$out/$optimizer.jsonl" 2>&1 | grep -v '^WARNING'
done
echo "== done  $(date -u +%H:%M:%S)  load: $(cut -d' ' -f1-3 /proc/loadavg)"
