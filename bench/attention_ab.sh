#!/bin/sh
# AttentionBench A/B for issue 20 (about 35 minutes on a quiet machine with SteadyWarmUp: 25 for NEW's 40 configurations, the rest for MAIN's; holds /tmp/jmh.lock for the whole run):
# NEW's benchmarks jar, every pass, fused against composed, 1 and 2 threads; then MAIN's jar, the fused form, at every
# pass (main from 90a915c on has step and hvp-forward; from attn-5 on each fork first warms up until a call allocates
# nothing and prints "# steady after ..." or "# NOT STEADY", and an unknown pass fails instead of running another).
#   bench/attention_ab.sh NEW.jar MAIN.jar [shapes, default t256,vit-tiny]
NEW=$1; MAIN=$2; S=${3:-t256,vit-tiny}
[ -f "$NEW" ] && [ -f "$MAIN" ] || { echo "usage: $0 NEW.jar MAIN.jar [shapes]" >&2; exit 2; }
exec flock /tmp/jmh.lock sh -c '
echo "start $(date -u +%H:%M:%S) load $(cut -d" " -f1-3 /proc/loadavg)"
java -jar "$1" AttentionBench -p shape=$3 -p pass=forward,step,gradient,hvp,hvp-forward -p form=fused,composed \
    -p threads=1,2 -f 1 -wi 5 -w 1 -i 5 -r 1 2>&1 | grep -E "^AttentionBench|^Benchmark|^# (Parameters|steady|NOT STEADY)"
echo "main $(date -u +%H:%M:%S) load $(cut -d" " -f1-3 /proc/loadavg)"
java -jar "$2" AttentionBench -p shape=$3 -p pass=forward,step,gradient,hvp,hvp-forward -p form=fused -p threads=1,2 \
    -f 1 -wi 5 -w 1 -i 5 -r 1 2>&1 | grep -E "^AttentionBench|^Benchmark|^# (Parameters|steady|NOT STEADY)"
echo "end $(date -u +%H:%M:%S) load $(cut -d" " -f1-3 /proc/loadavg)"' ab "$NEW" "$MAIN" "$S"
