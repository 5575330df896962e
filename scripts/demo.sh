#!/bin/bash
# The main job end to end, on this machine: build Vigil, start vigild,
# run a busybox container through vigil-runc (runc underneath) that serves
# and fetches a page on loopback, watch its model learn and turn Active,
# then see an exec and a connection outside the model denied and alerted.
# Every packet stays in a network namespace the demo creates.  Run as root
# from the source tree on Debian 12.
#   LEARNING_SECONDS=N   observation time before Active (default 15)
#   DRY_RUN_SECONDS=N    dry run of Active before denials (default 5)
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
DRY_RUN_SECONDS=${DRY_RUN_SECONDS:-5}
. "$src/tests/e2e/lib.sh"
E2E_PREFIX=vigil-demo

if [ -t 1 ]; then
	step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
else
	step() { printf '\n== %s\n' "$*"; }
fi

cleanup() {
	runc delete -f "$CONTAINER" >/dev/null 2>&1 || true
	[ -n "${OTHER_PID:-}" ] && kill "$OTHER_PID" 2>/dev/null
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
dry_run_seconds = $DRY_RUN_SECONDS
control_socket = $WORK/run/control.sock
tick_ms = 250
on_agent_unreachable = fail-closed
rules = $WORK/rules.d
CONF
mkdir -p "$WORK/rules.d"
cat "$WORK/vigil.conf"
"$BIN/vigild" --config "$WORK/vigil.conf" >"$WORK/vigild.log" 2>&1 &
AGENT_PID=$!
wait_until 10 test -S "$WORK/run/vigild.sock"

step "a network namespace of the demo's own, with loopback up and a second web server on port 9090"
touch "$WORK/netns"
unshare --net="$WORK/netns" true
nsenter --net="$WORK/netns" "$BUSYBOX" ip link set lo up
mkdir -p "$WORK/other"
echo "data the container never fetched while learning" >"$WORK/other/index.html"
nsenter --net="$WORK/netns" "$BUSYBOX" httpd -f -p 127.0.0.1:9090 -h "$WORK/other" &
OTHER_PID=$!

step "run container $CONTAINER through vigil-runc: a web server on port 8080 and a loop of wget, ls, cat and sleep"
write_bundle "$WORK/bundle" demo/web:1.0 \
	sh -c 'mkdir -p /www; echo hello >/www/index.html; httpd -p 127.0.0.1:8080 -h /www; while true; do wget -q -O /dev/null http://127.0.0.1:8080/; ls / >/dev/null; cat /etc/hostname >/dev/null; sleep 1; done'
ln -sf busybox "$WORK/bundle/rootfs/bin/httpd"
sed -i "s|{\"type\": \"network\"}|{\"type\": \"network\", \"path\": \"$WORK/netns\"}|" "$WORK/bundle/config.json"
echo "\$ vigil-runc --vigil-config $WORK/vigil.conf run -d --bundle $WORK/bundle $CONTAINER"
"$BIN/vigil-runc" --vigil-config "$WORK/vigil.conf" run -d --bundle "$WORK/bundle" "$CONTAINER" \
	</dev/null >/dev/null 2>&1
echo "config.json now routes exec, write-opens and bind/listen/connect to vigild:"
grep -o '"listenerPath":"[^"]*"' "$WORK/bundle/config.json"

step "Learning: every exec, port and destination goes into the model of demo/web:1.0 for $LEARNING_SECONDS s, then a $DRY_RUN_SECONDS s dry run"
ctl() { "$BIN/vigilctl" --config "$WORK/vigil.conf" "$@"; }
sleep 1
echo "\$ vigilctl models list"
ctl models list
while true; do
	line=$(ctl models list | sed -n 2p)
	echo "$line"
	case "$line" in
	*"active (dry"*) ;;
	*" active "*) break ;;
	esac
	sleep 3
done

step "Active: the model, as vigilctl shows it"
echo "\$ vigilctl models show demo/web"
ctl models show demo/web

step "an exec session inside the model still works"
echo "\$ vigil-runc exec $CONTAINER cat /etc/hostname"
"$BIN/vigil-runc" --vigil-config "$WORK/vigil.conf" exec "$CONTAINER" cat /etc/hostname

step "a connection inside the model still works"
echo "\$ vigil-runc exec $CONTAINER wget -q -O - http://127.0.0.1:8080/"
"$BIN/vigil-runc" --vigil-config "$WORK/vigil.conf" exec "$CONTAINER" wget -q -O - http://127.0.0.1:8080/

step "a connection to a destination outside the model is refused"
echo "\$ vigil-runc exec $CONTAINER wget -q -O - http://127.0.0.1:9090/"
if "$BIN/vigil-runc" --vigil-config "$WORK/vigil.conf" exec "$CONTAINER" wget -q -O - http://127.0.0.1:9090/; then
	echo "unexpected: the connection to port 9090 was made" >&2
	exit 1
fi

step "an exec outside the model is denied"
echo "\$ vigil-runc exec $CONTAINER sh -c 'nc 127.0.0.1 9090'"
if "$BIN/vigil-runc" --vigil-config "$WORK/vigil.conf" exec "$CONTAINER" sh -c 'nc 127.0.0.1 9090'; then
	echo "unexpected: nc ran" >&2
	exit 1
fi

step "a binary dropped into the container and run is denied, even with a learned name"
echo "\$ vigil-runc exec $CONTAINER sh -c 'cat /bin/sleep >/tmp/sleep; chmod +x /tmp/sleep; /tmp/sleep 1'"
"$BIN/vigil-runc" --vigil-config "$WORK/vigil.conf" exec "$CONTAINER" \
	sh -c 'cat /bin/sleep >/tmp/sleep; chmod +x /tmp/sleep; /tmp/sleep 1' || true

step "an operator rule blocks cat, which the model learned, without restarting anything"
cat >"$WORK/rules.d/10-web.json" <<'RULES'
{
  "version": 1,
  "rules": [
    {
      "name": "web-no-cat",
      "scope": { "images": ["demo/web*"] },
      "processes": { "effect": "prevent", "blocked": ["cat"] }
    }
  ]
}
RULES
cat "$WORK/rules.d/10-web.json"
echo "\$ vigilctl rules reload && vigilctl rules list"
ctl rules reload
ctl rules list
echo "\$ vigil-runc exec $CONTAINER cat /etc/hostname"
if "$BIN/vigil-runc" --vigil-config "$WORK/vigil.conf" exec "$CONTAINER" cat /etc/hostname; then
	echo "unexpected: cat ran" >&2
	exit 1
fi

step "and alerted: JSON lines in $WORK/alerts.json, also shown by vigilctl"
sleep 0.5
echo "\$ vigilctl alerts"
ctl alerts
echo
echo "vigild's log:"
grep -E 'new model|learned|config.json|is active|dry run|alert|rule' "$WORK/vigild.log" | sed 's/^/  /'
