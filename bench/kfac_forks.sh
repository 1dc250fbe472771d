#!/bin/bash
# K-FAC factors against the batch gradient, fork by fork (issue 21's 1.5x target): one JMH run of
# KfacFactorsBench's gradient and kfacFactors with FORKS forks per side and -prof gc, then a table per fork of each
# side's median, min and max iteration (us), its bytes per call and its warm-up (SteadyWarmUp's line), and the
# ratios: per fork pair and of the medians. A fork whose iterations spread, or that allocates, shows as such
# instead of moving one averaged score. Extra JMH arguments (e.g. -p model=lenet5 -p threads=1,2) go after FORKS.
#   bench/kfac_forks.sh 3 -p model=784-500-10 -p threads=1,2
# Duration: per fork JVM start, set-up, SteadyWarmUp (a few s for 784-500-10, 60-120 s for lenet5) and
# WI + IT seconds (defaults 10 and 10). Build first: mvn -B -ntp -o -q -pl engine,bench -am package -DskipTests.
set -euo pipefail
forks=$1
shift
jar=${JAR:-"$(git rev-parse --show-toplevel)/bench/target/benchmarks.jar"}
json=$(mktemp /tmp/kfac_forks.XXXXXX.json)
log=${json%.json}.log
echo "# $(lscpu | grep 'Model name' | sed 's/ \+/ /g'); $(java -version 2>&1 | head -1); jar $jar (worktree commit $(git rev-parse --short HEAD)); load $(cut -d' ' -f1-3 /proc/loadavg); $(date -u +%H:%M) UTC"
echo "# JMH 'KfacFactorsBench.(gradient|kfacFactors)\$' -p batch=128 $* -f $forks -wi ${WI:-10} -w 1 -i ${IT:-10} -r 1 -prof gc; log $log"
# shellcheck disable=SC2068
flock /tmp/jmh.lock java --add-modules jdk.incubator.vector -jar "$jar" 'KfacFactorsBench\.(gradient|kfacFactors)$' -p batch=128 $@ \
  -f "$forks" -wi "${WI:-10}" -w 1 -i "${IT:-10}" -r 1 -prof gc -rf json -rff "$json" > "$log" 2>&1
echo "# load after: $(cut -d' ' -f1-3 /proc/loadavg); $(date -u +%H:%M) UTC"
python3 - "$json" "$log" <<'PY'
import json, re, statistics, sys
runs = json.load(open(sys.argv[1]))
# SteadyWarmUp's lines, in fork order, per benchmark and parameters (the log interleaves them with JMH's headers).
warm, key = {}, None
for line in open(sys.argv[2]):
    m = re.match(r'# Benchmark: \S+\.(\w+)$', line)
    if m: name = m.group(1)
    m = re.match(r'# Parameters: \((.*)\)$', line)
    if m: key = (name, frozenset(m.group(1).split(', ')))
    m = re.search(r'# (steady after|NOT STEADY).*', line)
    if m and key: warm.setdefault(key, []).append(m.group(0)[2:].strip()[:70])
table = {}
for r in runs:
    name = r['benchmark'].rsplit('.', 1)[1]
    p = r['params']
    params = frozenset(f'{k} = {v}' for k, v in p.items())
    alloc = r['secondaryMetrics'].get('gc.alloc.rate.norm', {}).get('rawData', [])
    forks = []
    for i, its in enumerate(r['primaryMetric']['rawData']):
        b = statistics.mean(alloc[i]) if i < len(alloc) else float('nan')
        forks.append((statistics.median(its), min(its), max(its), b))
    table.setdefault((p.get('model'), p.get('threads')), {})[name] = (forks, warm.get((name, params), []))
for (model, threads), sides in table.items():
    print(f'\n{model}, {threads} thread(s): fork | gradient median [min-max] us, B/op | kfacFactors median [min-max] us, B/op | ratio of medians')
    g, k = sides.get('gradient', ([], []))[0], sides.get('kfacFactors', ([], []))[0]
    for i in range(max(len(g), len(k))):
        gs = f'{g[i][0]:.0f} [{g[i][1]:.0f}-{g[i][2]:.0f}], {g[i][3]:.0f}' if i < len(g) else '-'
        ks = f'{k[i][0]:.0f} [{k[i][1]:.0f}-{k[i][2]:.0f}], {k[i][3]:.0f}' if i < len(k) else '-'
        ratio = f'{k[i][0] / g[i][0]:.2f}x' if i < len(g) and i < len(k) else '-'
        print(f'  {i + 1} | {gs} | {ks} | {ratio}')
    if g and k:
        mg, mk = statistics.median(f[0] for f in g), statistics.median(f[0] for f in k)
        print(f'  median of the forks: gradient {mg:.0f} us, kfacFactors {mk:.0f} us: {mk / mg:.2f}x')
    for name, (_, w) in sides.items():
        for i, line in enumerate(w): print(f'  {name} fork {i + 1}: {line}')
PY
