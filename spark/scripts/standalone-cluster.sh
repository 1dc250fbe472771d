#!/usr/bin/env bash
# A Spark standalone cluster on this machine from the module's Maven Central jars alone: a master and two
# workers on 127.0.0.1, each its own JVM, then `hessian --master spark://127.0.0.1:7077` end to end (the
# parameters, vectors and partials cross JVMs as they would between machines), then everything is stopped.
#
#   mvn -B -ntp -q -pl spark -am -DskipTests package && spark/scripts/standalone-cluster.sh [hessian options...]
#
# Without arguments it analyses the Hessian at the seeded initialisation over 60,000 MNIST images in 2
# partitions. Any arguments replace the command's defaults below (e.g. `bench --partition-counts 2,4` or
# `train --optimizer lbfgs --iterations 5`: give the command name first). To check synchronous training across
# the JVMs against one process (not part of .ci/run: it takes minutes), run
#
#   spark/scripts/standalone-cluster.sh train --optimizer sgd --partitions 2 --samples 8192 --epochs 3 --batch 512 \
#     --epochs-per-stage 2 --verify-single-process
#
# (train exits non-zero, and so does this script, when the cluster's losses or parameters leave single process).
#
# What Spark's distribution would add and this does without: its bin/ and sbin/ scripts (we start
# org.apache.spark.deploy.master.Master and ...worker.Worker with `java` ourselves) and a SPARK_HOME with a jars/
# directory. A worker builds each executor's command line from $SPARK_HOME/jars (WorkerCommandBuilder), so we make
# a SPARK_HOME whose jars/ links to spark/target/lib/, the module's runtime dependencies from Maven Central.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
LIB="$ROOT/spark/target/lib"
JAR="$ROOT/spark/target/panagrad-spark.jar"
[ -f "$JAR" ] && [ -d "$LIB" ] || { echo "build first: mvn -B -ntp -q -pl spark -am -DskipTests package" >&2; exit 1; }

HOST=127.0.0.1
PORT=${SPARK_MASTER_PORT:-7077}
WORKER_MEMORY=${WORKER_MEMORY:-3g}
RUN=$(mktemp -d /tmp/panagrad-standalone.XXXXXX)
export SPARK_HOME="$RUN/spark-home"
mkdir -p "$SPARK_HOME/jars" "$RUN/logs"
ln -s "$LIB"/*.jar "$SPARK_HOME/jars/"
export SPARK_SCALA_VERSION=2.13   # the launcher library asks; a distribution would know from its layout
export SPARK_LOCAL_IP=$HOST
JAVA=${JAVA_HOME:+$JAVA_HOME/bin/}java
OPTS=(@"$ROOT/spark/jvm.options")

pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  echo "stopped the master and workers; logs in $RUN/logs"
}
trap cleanup EXIT

echo "master: spark://$HOST:$PORT"
"$JAVA" "${OPTS[@]}" -Xmx512m -cp "$LIB/*" org.apache.spark.deploy.master.Master \
  --host $HOST --port "$PORT" --webui-port 8080 > "$RUN/logs/master.log" 2>&1 &
pids+=($!)
for i in $(seq 1 100); do
  (exec 3<>/dev/tcp/$HOST/"$PORT") 2>/dev/null && break
  sleep 0.2
done
for w in 1 2; do
  echo "worker $w: 1 core, $WORKER_MEMORY"
  "$JAVA" "${OPTS[@]}" -Xmx512m -cp "$LIB/*" org.apache.spark.deploy.worker.Worker \
    --host $HOST --cores 1 --memory "$WORKER_MEMORY" --webui-port $((8080 + w)) --work-dir "$RUN/work$w" \
    "spark://$HOST:$PORT" > "$RUN/logs/worker$w.log" 2>&1 &
  pids+=($!)
done
for i in $(seq 1 150); do
  [ "$(grep -c 'Registering worker' "$RUN/logs/master.log" || true)" -ge 2 ] && break
  sleep 0.2
done
echo "$(grep -c 'Registering worker' "$RUN/logs/master.log" || true) workers registered"

if [ $# -eq 0 ]; then set -- hessian --partitions 2 --max-iterations 10 --trace-samples 4 --lanczos-steps 5; fi
command=$1; shift
"$JAVA" "${OPTS[@]}" -Xmx"${DRIVER_MEMORY:-4g}" -jar "$JAR" "$command" --master "spark://$HOST:$PORT" \
  --conf spark.driver.host=$HOST --conf spark.executor.memory=2g --conf spark.executor.cores=1 "$@"
