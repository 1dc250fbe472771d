#!/bin/bash
# Counts the JMH forks whose steady state allocates: a fork measured while some vector kernel still runs as C1 or
# interpreted code (whose Vector API calls allocate a heap vector each) shows megabytes per call where a settled
# fork shows JMH's own few bytes. How soon C2 compiles the kernels a program calls only once or a few times per
# run depends on the machine's load, so such forks come and go (see SteadyWarmUp). This runs FORKS separate
# one-fork JMH runs (each under /tmp/jmh.lock) and prints each one's last measured iteration, its bytes per call
# and BAD above LIMIT bytes per call (default 16384) or when the fork gave no result
# (SteadyWarmUp prints whether the fork settled), then the count. JAR=path measures another build's benchmarks jar.
#   bench/allocating_forks.sh FORKS 'JMH benchmark and -p args' [LOGDIR]
#   bench/allocating_forks.sh 20 'CurvatureBench.diagGgnExact$ -p model=lenet5 -p batch=128 -p threads=2'
# With LOGDIR, every fork also writes -XX:+PrintCompilation and -XX:+PrintInlining to LOGDIR/fork-N.log, to see
# which compilation holds the kernel and what C2 said about its vector calls. Allocation is valid under load
# (it counts bytes, not time). Exits non-zero when any fork is BAD. Build first: mvn -B -ntp -q -DskipTests -pl bench -am package.
# Duration per fork: JVM start, the benchmark's set-up, SteadyWarmUp (1-5 s for the MLPs; lenet5's curvature
# programs about 60-90 s quiet, minutes under load) and 7 s of JMH iterations.
set -euo pipefail
forks=$1 args=$2 logdir=${3:-}
limit=${LIMIT:-16384}
jar=${JAR:-"$(git rev-parse --show-toplevel)/bench/target/benchmarks.jar"}
# The JVM the forks run on: JMH's -jvm in the arguments, else java on the PATH.
forkjava=$(echo "$args" | sed -n 's/.*-jvm \([^ ]*\).*/\1/p')
echo "# $(lscpu | grep 'Model name' | sed 's/ \+/ /g'); $(${forkjava:-java} -version 2>&1 | head -1); jar $jar (worktree commit $(git rev-parse --short HEAD)); load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# JMH $args -f 1 -wi ${WI:-5} -i ${IT:-2} -prof gc; BAD above $limit B/op"
[ -n "$logdir" ] && mkdir -p "$logdir"
bad=0
for f in $(seq 1 "$forks"); do
  jvm="--add-modules jdk.incubator.vector ${JVM_ARGS:-}"
  [ -n "$logdir" ] && jvm="$jvm -XX:+UnlockDiagnosticVMOptions -XX:+LogVMOutput -XX:-DisplayVMOutput -XX:LogFile=$logdir/fork-$f.log -XX:+PrintCompilation -XX:+PrintInlining -XX:+PrintIntrinsics"
  # shellcheck disable=SC2086
  while true; do
    out=$(flock /tmp/jmh.lock java -jar "$jar" $args -f 1 -wi "${WI:-5}" -w 1 -i "${IT:-2}" -r 1 -prof gc -jvmArgsAppend "$jvm" 2>&1 || true)
    # JMH's own lock on the same file: a run started without flock (compare_gemm.py) holds it; wait for it.
    echo "$out" | grep -q "Unable to acquire the JMH lock" || break
    sleep 15
  done
  # grep finds nothing in a fork that failed (SteadyWarmUp's budget): not an error of this script.
  last=$(echo "$out" | { grep -E '^Iteration' || true; } | tail -1 | awk '{print $3, $4}')
  bytes=$(echo "$out" | { grep -E 'gc\.alloc\.rate\.norm:' || true; } | tail -1 | awk '{gsub(",", "", $2); print $2}')
  echo "$out" | grep -E -o '# (steady after|NOT STEADY).*' || true
  verdict=ok
  if [ -z "$bytes" ]; then verdict="NO RESULT"; bad=$((bad + 1)); echo "$out" | grep -E -m3 'Exception|still allocates' || echo "$out" | tail -5
  elif awk -v b="$bytes" -v l="$limit" 'BEGIN {exit !(b > l)}'; then verdict=BAD; bad=$((bad + 1)); fi
  echo "fork $f  last iteration $last  $bytes B/op  $verdict  (load $(cut -d' ' -f1 /proc/loadavg))"
done
echo "# $bad of $forks forks allocate more than $limit B/op (or gave no result)"
[ "$bad" -eq 0 ]
