#!/bin/bash
# The quiet window's tables (the README's performance table; session 20's log:
# bench/results/2026-12-07-zen5-session20-quiet.md), for a machine with nothing else of ours running. From the
# repository root, after  mvn -B -ntp -q -DskipTests -pl engine,bench -am package:
#   bench/quiet_window.sh [--rounds N] [--burst SECONDS] [--first] [SECTION...]
# Sections (default: the first seven, in this order; about 16 minutes in all, session 20's window):
#   one    1 thread, pinned (--pin) on CPU clock, 8 rounds of 0.4 s bursts: each model's training step (vit-tiny
#          with AdamW), then the HVPs (784-500-10's products at one point too)
#   two    the same cases at 2 threads, wall clock
#   gemm   the seven GEMM shapes against OpenBLAS, 1 thread pinned on CPU clock, then 2 threads on wall clock,
#          8 rounds of 0.3 s
#   attn   the fused and composed attention forwards at vit-tiny's and t256's shapes, 1 thread, 11 alternating
#          rounds (AttentionFormsInstructions)
#   kfac   K-FAC's factors against the gradient, 784-500-10 and lenet5, 2 threads then 1 (KfacFactorsInstructions)
#   avx2   both sides' AVX2 code (--avx2), 6 rounds of 0.3 s: the GEMM shapes, two steps and an HVP at 1 thread
#          pinned on CPU clock, then 1024^3 and the same three at 2 threads
#   jdk25  Temurin 25 (--java), 6 rounds of 0.3 s, 1 thread pinned on CPU clock: three GEMM shapes, three steps,
#          two HVPs
#   peak   (not by default) PeakFlopsBench at 512 bits, at 256 bits on AVX-512 code, and under -XX:UseAVX=2
# --rounds and --burst replace every comparison's own (--rounds also the attention's rounds); --first runs only
# each section's first case: `--rounds 1 --burst 0.2 --first` checks the command lines in a few minutes.
# Every comparison and Java program here runs under /tmp/jmh.lock (interleaved_comparison.py does not take it
# itself), so another benchmark of ours waits rather than shares the cores. The log goes to
# stdout and to OUT (default /tmp/quiet-window.log); its tables go into bench/results/, dated, with the commit.
# shellcheck disable=SC2046 # $(at ...) is meant to split into the case names, which hold no spaces
set -euo pipefail
repo=$(git rev-parse --show-toplevel)
cd "$repo"
usage() { sed -n '2,/^# shellcheck/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//' >&2; exit 2; }

rounds="" burst="" first=0 sections=()
while [ $# -gt 0 ]; do
  case $1 in
    --rounds|--burst) [ $# -ge 2 ] || { echo "quiet_window.sh: $1 needs a value" >&2; exit 2; }
      if [ "$1" = --rounds ]; then rounds=$2; else burst=$2; fi; shift 2 ;;
    --first) first=1; shift ;;
    -h|--help) usage ;;
    one|two|gemm|attn|kfac|avx2|jdk25|peak) sections+=("$1"); shift ;;
    *) echo "quiet_window.sh: unknown argument $1 (sections: one two gemm attn kfac avx2 jdk25 peak)" >&2; exit 2 ;;
  esac
done
[ ${#sections[@]} -gt 0 ] || sections=(one two gemm attn kfac avx2 jdk25)
jar=bench/target/benchmarks.jar
[ -f "$jar" ] || { echo "quiet_window.sh: no $jar: build it first (mvn -B -ntp -q -DskipTests -pl engine,bench -am package)" >&2; exit 2; }
jdk25=/usr/lib/jvm/temurin-25-jdk-amd64/bin/java
out=${OUT:-/tmp/quiet-window.log}

# The cases, as interleaved_comparison.py names them.
steps=(784-500-10/128/T/step 784-128-10/64/T/step lenet5/128/T/step resnet8/128/T/step vit-tiny/128/T/step:adamw)
hvps=(784-500-10/128/T/hvp-rr 784-500-10/128/T/at-point-rr lenet5/128/T/hvp-rr resnet8/128/T/hvp-fr vit-tiny/128/T/hvp-rr)
gemms=(gemm/1024x1024x1024/T/nn gemm/128x500x784/T/nn gemm/784x500x128/T/tn gemm/128x784x500/T/nt gemm/128x10x500/T/nn
  gemm/500x10x128/T/tn gemm/128x500x10/T/nt)
at() { local t=$1; shift; printf '%s\n' "$@" | sed "s#/T/#/$t/#"; }

# interleaved_comparison.py with the section's rounds and bursts unless given; 1 thread: pinned, CPU clock.
compare() { # default rounds, default burst, threads, extra options, cases...
  local r=${rounds:-$1} b=${burst:-$2} threads=$3 extra=$4; shift 4
  local cases=("$@")
  if [ $first = 1 ]; then cases=("$1"); fi
  local clock=(--clock wall)
  [ "$threads" = 1 ] && clock=(--pin --clock cpu)
  # shellcheck disable=SC2086 # extra holds whole options
  flock /tmp/jmh.lock env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE /usr/bin/python3 bench/interleaved_comparison.py --rounds "$r" --burst "$b" \
    "${clock[@]}" $extra "${cases[@]}"
}
# A bench program under the lock, only the lines matching a pattern kept; its stderr shown if it fails.
locked_java() { # pattern, then JVM options and the class
  local pattern=$1 err
  shift
  err=$(mktemp)
  if ! flock /tmp/jmh.lock java --add-modules jdk.incubator.vector -cp "$jar" "$@" 2>"$err" | grep -E "$pattern"; then
    cat "$err" >&2
    rm -f "$err"
    return 1
  fi
  rm -f "$err"
}
section() { echo "== $1 (load $(cut -d' ' -f1-3 /proc/loadavg)) $(date -u +%H:%M)"; }

run() {
  case $1 in
    one)
      section "1 thread, CPU clock"
      compare 8 0.4 1 "" $(at 1 "${steps[@]}" "${hvps[@]}") ;;
    two)
      section "2 threads, wall clock"
      compare 8 0.4 2 "" $(at 2 "${steps[@]}" "${hvps[@]}") ;;
    gemm)
      section "GEMM against OpenBLAS, 1 thread CPU clock then 2 threads"
      compare 8 0.3 1 "" $(at 1 "${gemms[@]}")
      compare 8 0.3 2 "" $(at 2 "${gemms[@]}") ;;
    attn)
      section "attention forms, 1 thread"
      for shape in vit-tiny t256; do
        locked_java 'rounds of|composed /' -Dshape=$shape -Dthreads=1 ${rounds:+-Drounds=$rounds} \
          org.panagrad.bench.AttentionFormsInstructions
        if [ $first = 1 ]; then break; fi
      done ;;
    kfac)
      section "K-FAC factors vs gradient, 784-500-10 and lenet5, 2 threads then 1"
      for threads in 2 1; do
        for model in 784-500-10 lenet5; do
          locked_java 'gram|timed instructions' -Dmodel=$model -Dthreads=$threads org.panagrad.bench.KfacFactorsInstructions
          if [ $first = 1 ]; then return; fi
        done
      done ;;
    avx2)
      section "AVX2 code on both sides (--avx2): GEMM 1 thread CPU clock, steps and HVP 1 thread, then 2 threads"
      local three=(784-500-10/128/T/step 784-128-10/64/T/step 784-500-10/128/T/hvp-rr)
      compare 6 0.3 1 --avx2 $(at 1 "${gemms[@]}" "${three[@]}")
      if [ $first = 1 ]; then return; fi
      compare 6 0.3 2 --avx2 $(at 2 gemm/1024x1024x1024/T/nn "${three[@]}") ;;
    jdk25)
      section "Temurin 25: 1 thread CPU clock"
      compare 6 0.3 1 "--java $jdk25" $(at 1 gemm/1024x1024x1024/T/nn gemm/128x500x784/T/nn gemm/128x10x500/T/nn \
        784-500-10/128/T/step 784-128-10/64/T/step resnet8/128/T/step 784-500-10/128/T/hvp-rr vit-tiny/128/T/hvp-rr) ;;
    peak)
      section "PeakFlopsBench: 512-bit vectors, 256-bit vectors on AVX-512 code, AVX2 code (-XX:UseAVX=2)"
      for flags in "" "-Dpanagrad.vectorBits=256" "-XX:UseAVX=2"; do
        echo "## flags: ${flags:-none}"
        flock /tmp/jmh.lock java -jar "$jar" PeakFlopsBench -f 1 -wi 3 -i 5 \
          -jvmArgsAppend "--add-modules jdk.incubator.vector $flags" 2>/dev/null | grep -E '^(Benchmark|PeakFlopsBench)'
        if [ $first = 1 ]; then break; fi
      done ;;
  esac
}

{
  echo "# $(lscpu | grep 'Model name' | sed 's/ \+/ /g'); family $(grep -m1 'cpu family' /proc/cpuinfo | cut -d: -f2 | tr -d ' ')" \
    "model $(grep -m1 '^model[^ ]' /proc/cpuinfo | cut -d: -f2 | tr -d ' '); $(java -version 2>&1 | head -1);" \
    "commit $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- engine bench/src || echo ' (with uncommitted changes)');" \
    "$(date -u); sections: ${sections[*]}${rounds:+; --rounds $rounds}${burst:+; --burst $burst}$([ $first = 1 ] && echo '; --first')"
  for s in "${sections[@]}"; do run "$s"; done
  echo "== done (load $(cut -d' ' -f1-3 /proc/loadavg)) $(date -u)"
} 2>&1 | sed '/^WARNING: Using incubator modules/d' | tee "$out"
