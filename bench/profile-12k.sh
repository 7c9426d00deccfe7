#!/bin/bash
# The `1k @ 12k/s` level of `cargo xtask bench-load` by hand, for A/B runs of server binaries and profiles:
#   bench/profile-12k.sh BINARY CWD OUT [cpu|perf]
# BINARY: a release build of the generated bench server (`… serve`) or of bench/floor (a path containing "floor");
# CWD: the folder it runs in (the generated crate); OUT: a prefix for the files written (server log, generator
# output, `OUT.perf.data` with `perf`). 1,000 sockets over 4 load-generator processes (bench/node/load.mjs, which
# needs `npm ci` there, as bench-load does), 3,000 msg/s each for SECS seconds (default 10); prints the server's
# CPU ticks (1/100 s) over the load and the acks answered, wrong and timed out. `perf`: also
# `perf record -e cpu-clock -g` on the server for PSECS seconds (default 8).
set -u
BIN=$1; CWD=$2; OUT=$3; MODE=${4:-perf}; NODE=$(cd "$(dirname "$0")/node" && pwd)
PORT=$((20000 + RANDOM % 20000))
ulimit -n "$(ulimit -Hn)"
cd "$CWD"
if [[ $BIN == *floor* ]]; then "$BIN" $PORT 2>$OUT.server.log & else
FASTSOCKET_MAX_CONNECTIONS=20000 FASTSOCKET_MAX_CONNECTIONS_PER_IP=20000 "$BIN" serve --host 127.0.0.1 --port $PORT 2>$OUT.server.log & fi
SPID=$!
for i in $(seq 50); do curl -sf http://127.0.0.1:$PORT/healthz >/dev/null && break; sleep 0.2; done
PIPES=()
for g in 0 1 2 3; do
  mkfifo /tmp/profile-12k-go.$$.$g 2>/dev/null
  (cd $NODE && LOAD_URL=http://127.0.0.1:$PORT LOAD_CONNS=250 LOAD_RATE=3000 LOAD_SECONDS=${SECS:-10} LOAD_ID=$g LOAD_TIMEOUT_MS=5000 node load.mjs < /tmp/profile-12k-go.$$.$g > $OUT.gen.$g 2>&1) &
done
for g in 0 1 2 3; do exec {fd}>/tmp/profile-12k-go.$$.$g; PIPES+=($fd); done
for g in 0 1 2 3; do until grep -q '^ready' $OUT.gen.$g; do sleep 0.2; done; done
CPU0=$(awk '{print $14+$15}' /proc/$SPID/stat)
for fd in "${PIPES[@]}"; do echo go >&$fd; done
if [ "$MODE" = perf ]; then perf record -e cpu-clock -F 999 -g -p $SPID -o $OUT.perf.data -- sleep ${PSECS:-8} 2>/dev/null & PP=$!; fi
for g in 0 1 2 3; do until grep -q '^done' $OUT.gen.$g; do sleep 0.2; done; done
CPU1=$(awk '{print $14+$15}' /proc/$SPID/stat)
[ "$MODE" = perf ] && wait $PP
kill $SPID; wait $SPID 2>/dev/null
for fd in "${PIPES[@]}"; do exec {fd}>&-; done
rm -f /tmp/profile-12k-go.$$.*
ANS=$(for g in 0 1 2 3; do grep '^done' $OUT.gen.$g | sed 's/^done //' | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["answered"], d["wrong"], d["timeouts"])'; done | awk '{a+=$1; w+=$2; t+=$3} END {print a, w, t}')
echo "cpu_ticks=$((CPU1-CPU0)) answered/wrong/timeouts=$ANS"
