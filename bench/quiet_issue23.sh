#!/bin/bash
# Issue 23's tables, for a quiet machine: run from the repository root after
#   mvn -B -ntp -q -DskipTests -pl bench -am package
# then  bench/quiet_issue23.sh [SECTION...]   (default: all, in this order; about 60 minutes in all, estimated
# from the scripts' iteration counts: take the first run's section times from its log lines)
#   gemm512  compare_gemm.py --rounds 2: every shape at 1 and 2 threads, AVX-512, OpenBLAS's own kernel  (~7 min)
#   gemm256  compare_gemm.py --avx2 --rounds 2: Panagrad under -XX:UseAVX=2, OpenBLAS as Haswell          (~7 min)
#   peak     PeakFlopsBench at 512 bits, at 256 bits on AVX-512 code, and under -XX:UseAVX=2                (~1 min)
#   points   compare_training.py --quick --rounds 3 on the MLPs: training step, HVP, products at one point (~18 min)
#   jdk25    compare_gemm.py (both widths, 1 round) and the MLP comparison (1 round) on Temurin 25           (~13 min)
#   ab       AVX2 A/B against 8541ef4 (main before the AVX-512 GEMM merge ed34a9f), 3 alternating rounds:
#            training step and products at one point of 784-500-10 and 784-128-10 at batch 128, 1 and 2
#            threads, every JVM under -XX:UseAVX=2 (JDK_JAVA_OPTIONS reaches JMH's forks)                  (~14 min)
#            The base: git log --first-parent 8541ef4 has no issue-23 engine change before the merge (15eae82
#            changed GemmTest's expectation only; the kernels date from 35dea41, 2026-11-23). The new side's
#            benchmarks first warm up until steady (SteadyWarmUp); these 1-2 ms programs reach C2 well within
#            the base's 6 s of JMH warm-up, so that does not favour either side.
# Each JMH run takes JMH's own /tmp/jmh.lock (the Python scripts wait for it). Output: one file per section in
# OUT (default /tmp/quiet-issue23), headed by the machine, load, JDK and commit; copy the tables into
# bench/results/2026-12-05-zen5-gemm.md.
set -euo pipefail
repo=$(git rev-parse --show-toplevel)
cd "$repo"
out=${OUT:-/tmp/quiet-issue23}
mkdir -p "$out"
jdk25=/usr/lib/jvm/temurin-25-jdk-amd64/bin/java
py() { env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE /usr/bin/python3 "$@"; }
head_line() {
  echo "# $(lscpu | grep 'Model name' | sed 's/ \+/ /g'); family $(grep -m1 'cpu family' /proc/cpuinfo | cut -d: -f2 | tr -d ' ')," \
    "model $(grep -m1 '^model[^ ]' /proc/cpuinfo | cut -d: -f2 | tr -d ' '); avx512f $(grep -c -m1 avx512f /proc/cpuinfo)"
  echo "# commit $(git rev-parse --short HEAD); $(date -u '+%F %H:%M UTC'); load $(cut -d' ' -f1-3 /proc/loadavg)"
}
peak() { # label, extra JVM flags
  echo "## $1"
  java -jar bench/target/benchmarks.jar PeakFlopsBench -f 1 -wi 3 -i 5 \
    -jvmArgsAppend "--add-modules jdk.incubator.vector $2" 2>/dev/null | grep -E '^(Benchmark|PeakFlopsBench)'
}
for section in ${@:-gemm512 gemm256 peak points jdk25 ab}; do
  echo "== $section ($(date -u +%H:%M), load $(cut -d' ' -f1 /proc/loadavg)) -> $out/$section.md" >&2
  {
    head_line
    case $section in
      gemm512) py bench/compare_gemm.py --rounds 2 ;;
      gemm256) py bench/compare_gemm.py --avx2 --rounds 2 ;;
      peak)
        peak "512-bit vectors" ""
        peak "256-bit vectors on AVX-512 code" "-Dpanagrad.vectorBits=256"
        peak "AVX2 code (-XX:UseAVX=2)" "-XX:UseAVX=2" ;;
      points) py bench/compare_training.py --quick --rounds 3 --models 784-500-10,784-128-10 ;;
      jdk25)
        py bench/compare_gemm.py --java "$jdk25"
        py bench/compare_gemm.py --java "$jdk25" --avx2
        py bench/compare_training.py --java "$jdk25" --quick --models 784-500-10,784-128-10 ;;
      ab)
        JDK_JAVA_OPTIONS=-XX:UseAVX=2 bench/ab_commits.sh 8541ef4 HEAD 3 \
          'TrainStepBench.trainStep$|HvpBench.hvpReverseOverReverseAtPoint$ -p model=784-500-10,784-128-10 -p batch=128 -p threads=1,2' ;;
      *) echo "unknown section $section (gemm512 gemm256 peak points jdk25 ab)" >&2; exit 2 ;;
    esac
  } 2>&1 | tee "$out/$section.md"
done
