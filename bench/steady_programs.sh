#!/bin/bash
# One fork of every program the session-5 notes found NOT STEADY on JDK 17 (the steady-state training step, HVP and
# curvature programs must allocate nothing), each through allocating_forks.sh: its bytes per call after
# SteadyWarmUp and one measured iteration, BAD above LIMIT (16384 B/op, JMH's own few bytes pass), then the count.
# Exits non-zero when any program allocates.
#   bench/steady_programs.sh                                     JDK 17 (java on the PATH)
#   JDK=/usr/lib/jvm/temurin-25-jdk-amd64/bin/java bench/steady_programs.sh     the forks on another JVM
# Allocation counts bytes, not time, so it is valid under load; a program whose kernels reach C2 late under load
# can miss the warm-up budget (BUDGET seconds, default 90), which the fork's "# NOT STEADY" line says.
# Duration: about 1-2 minutes per program quiet, 7 programs. Build first: mvn -B -ntp -q -DskipTests -pl bench -am package.
set -uo pipefail
here=$(dirname "$0")
jvm=${JDK:+"-jvm $JDK"}
programs=(
  "HvpBench.gradient$ -p model=resnet8 -p batch=128 -p threads=1"
  "CurvatureBench.diagGgnExact$ -p model=784-500-10 -p batch=128 -p threads=2"
  "CurvatureBench.diagGgnMonteCarlo$ -p model=lenet5 -p batch=128 -p threads=2"
  "CurvatureBench.perSampleGradients$ -p model=lenet5 -p batch=128 -p threads=2"
  "KfacFactorsBench.gradient$ -p model=lenet5 -p batch=128 -p threads=2"
  "TrainStepBench.trainStep$ -p model=lenet5 -p batch=128 -p threads=2"
  "VitTinyBench.hvp$ -p batch=128 -p threads=1"
)
bad=0
for p in "${programs[@]}"; do
  echo "## $p ${JDK:-}"
  WI=${WI:-1} IT=${IT:-1} JVM_ARGS="-Dpanagrad.warmUpBudget=${BUDGET:-90} ${JVM_ARGS:-}" \
    "$here/allocating_forks.sh" 1 "$p $jvm" || bad=$((bad + 1))
done
echo "# $bad of ${#programs[@]} programs allocate (or gave no result)"
[ "$bad" -eq 0 ]
