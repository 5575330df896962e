#!/bin/bash
# The main job end to end, on this machine: build Vigil, start vigild,
# run a busybox container through vigil-runc (runc underneath), watch its
# model learn and turn Active, then see an exec outside the model denied
# and alerted.  Run as root from the source tree on Debian 12.
#   LEARNING_SECONDS=N   observation time before Active (default 15)
#   SKIP_SETUP=1         do not install packages or rebuild
set -eu

src=$(cd "$(dirname "$0")/.." && pwd)
cd "$src"
if [ "$(id -u)" != 0 ]; then
	echo "scripts/demo.sh: run as root (it creates a container)" >&2
	exit 1
fi
if [ "${SKIP_SETUP:-0}" != 1 ]; then
	echo "== installing packages and building (scripts/install-deps.sh, scripts/build.sh)"
	scripts/install-deps.sh
	BUILD_DIR="$src/build" scripts/build.sh
fi

BIN="$src/build"
WORK=$(mktemp -d /tmp/vigil-demo.XXXXXX)
BUSYBOX=/bin/busybox
CONTAINER=vigil-demo-web
LEARNING_SECONDS=${LEARNING_SECONDS:-15}
. "$src/tests/e2e/lib.sh"
E2E_PREFIX=vigil-demo

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

cleanup() {
	runc delete -f "$CONTAINER" >/dev/null 2>&1 || true
	[ -n "${AGENT_PID:-}" ] && kill -TERM "$AGENT_PID" 2>/dev/null && wait "$AGENT_PID" 2>/dev/null
	echo
	echo "Files of this run (config, vigild.log, models, alerts) are in $WORK"
}
trap cleanup EXIT

step "start vigild (configuration: $WORK/vigil.conf)"
cat >"$WORK/vigil.conf" <<CONF
listener_socket = $WORK/run/vigild.sock
state_dir = $WORK/state
alerts_file = $WORK/alerts.json
learning_seconds = $LEARNING_SECONDS
tick_ms = 250
on_agent_unreachable = fail-closed
CONF
cat "$WORK/vigil.conf"
"$BIN/vigild" --config "$WORK/vigil.conf" >"$WORK/vigild.log" 2>&1 &
AGENT_PID=$!
wait_until 10 test -S "$WORK/run/vigild.sock"

step "run container $CONTAINER through vigil-runc: a loop of ls, cat and sleep"
write_bundle "$WORK/bundle" demo/web:1.0 \
	sh -c 'while true; do ls / >/dev/null; cat /etc/hostname >/dev/null; sleep 1; done'
echo "\$ vigil-runc --vigil-config $WORK/vigil.conf run -d --bundle $WORK/bundle $CONTAINER"
"$BIN/vigil-runc" --vigil-config "$WORK/vigil.conf" run -d --bundle "$WORK/bundle" "$CONTAINER" \
	</dev/null >/dev/null 2>&1
echo "config.json now routes execve/execveat to vigild:"
grep -o '"listenerPath":"[^"]*"' "$WORK/bundle/config.json"

step "Learning: every exec is added to the model (demo/web:1.0), for $LEARNING_SECONDS s of running time"
model=""
while true; do
	model=$(ls "$WORK"/state/models/*.json 2>/dev/null | head -1)
	if [ -n "$model" ]; then
		mode=$(sed -n 's/.*"mode": "\([a-z]*\)".*/\1/p' "$model")
		observed=$(sed -n 's/.*"observed_ms": \([0-9]*\).*/\1/p' "$model")
		execs=$(grep -o '"path": "[^"]*"' "$model" | cut -d'"' -f4 | tr '\n' ' ')
		printf '  mode %-8s observed %3s s   executables: %s\n' "$mode" "$((observed / 1000))" "$execs"
		[ "$mode" = active ] && break
	fi
	sleep 3
done

step "Active: the model file ($model)"
cat "$model"

step "an exec session inside the model still works"
echo "\$ vigil-runc exec $CONTAINER cat /etc/hostname"
"$BIN/vigil-runc" --vigil-config "$WORK/vigil.conf" exec "$CONTAINER" cat /etc/hostname

step "an exec outside the model is denied"
echo "\$ vigil-runc exec $CONTAINER sh -c 'wget -q -O - http://127.0.0.1:8080/payload'"
if "$BIN/vigil-runc" --vigil-config "$WORK/vigil.conf" exec "$CONTAINER" \
	sh -c 'wget -q -O - http://127.0.0.1:8080/payload'; then
	echo "unexpected: wget ran" >&2
	exit 1
fi

step "and alerted ($WORK/alerts.json)"
sleep 0.5
tail -1 "$WORK/alerts.json"
echo
echo "vigild's log:"
grep -E 'new model|learned|is active|alert' "$WORK/vigild.log" | sed 's/^/  /'
