# Helpers of the end-to-end tests: a busybox root file system, an agent
# with its own socket and state, and checks that report TAP-style lines.
# Sourced by run.sh; every function expects $WORK to be the test's
# scratch directory.

E2E_PASSED=0
E2E_FAILED=0
E2E_SKIPPED=0
E2E_GROUP=""

# Containers and images made by the tests carry this prefix, unique per
# run, so that cleanup never touches anything else on the machine, not
# even another test run.
E2E_PREFIX="vigil-e2e-$$"

note() { printf '# %s\n' "$*"; }

pass() {
	E2E_PASSED=$((E2E_PASSED + 1))
	printf 'ok - %s: %s\n' "$E2E_GROUP" "$1"
}

fail() {
	E2E_FAILED=$((E2E_FAILED + 1))
	printf 'not ok - %s: %s\n' "$E2E_GROUP" "$1"
	shift
	for line in "$@"; do printf '#   %s\n' "$line"; done
}

skip() {
	E2E_SKIPPED=$((E2E_SKIPPED + 1))
	printf 'ok - %s: %s # SKIP %s\n' "$E2E_GROUP" "$1" "$2"
}

# expect_ok DESCRIPTION COMMAND...: the command exits 0.
expect_ok() {
	desc=$1
	shift
	if out=$("$@" 2>&1); then
		pass "$desc"
	else
		fail "$desc" "exit $?: $*" "$(printf '%s' "$out" | tail -5)"
	fi
	LAST_OUTPUT=$out
}

# expect_ok_detached DESCRIPTION COMMAND...: like expect_ok for commands
# that leave a container process holding their stdio (run -d, create):
# capturing it through a pipe would wait for that process to exit.
expect_ok_detached() {
	desc=$1
	shift
	if "$@" </dev/null >"$WORK/detached.out" 2>&1; then
		pass "$desc"
	else
		fail "$desc" "exit $?: $*" "$(tail -5 "$WORK/detached.out")"
	fi
}

# expect_denied DESCRIPTION MESSAGE COMMAND...: the command fails and its
# output contains MESSAGE (the strerror of the configured deny_errno).
expect_denied() {
	desc=$1
	message=$2
	shift 2
	if out=$("$@" 2>&1); then
		fail "$desc" "succeeded but should have been denied: $*" "$(printf '%s' "$out" | tail -3)"
	elif printf '%s' "$out" | grep -qi -- "$message"; then
		pass "$desc"
	else
		fail "$desc" "failed without \`$message\`: $*" "$(printf '%s' "$out" | tail -3)"
	fi
	LAST_OUTPUT=$out
}

# expect_contains DESCRIPTION NEEDLE TEXT
expect_contains() {
	if printf '%s' "$3" | grep -qF -- "$2"; then
		pass "$1"
	else
		fail "$1" "\`$2\` not found in:" "$(printf '%s' "$3" | tail -5)"
	fi
}

# wait_until TIMEOUT_S COMMAND...: poll every 0.2 s.
wait_until() {
	deadline=$(($(date +%s) + $1))
	shift
	while ! "$@" >/dev/null 2>&1; do
		[ "$(date +%s)" -ge "$deadline" ] && return 1
		sleep 0.2
	done
	return 0
}

# build_rootfs DIR: a busybox-static root with applet symlinks in /bin,
# and the 32-bit exec helper when it could be built.
build_rootfs() {
	mkdir -p "$1/bin" "$1/etc" "$1/proc" "$1/sys" "$1/dev" "$1/tmp" "$1/root"
	# Times are kept, as unpacking an image keeps them: a model identifies its
	# files by size and modification time.
	cp -p "$BUSYBOX" "$1/bin/busybox"
	for applet in sh ls cat wget nc sleep echo true ln cp chmod rm id env; do
		ln -sf busybox "$1/bin/$applet"
	done
	echo "$E2E_PREFIX-host" >"$1/etc/hostname"
	echo "root:x:0:0:root:/root:/bin/sh" >"$1/etc/passwd"
	for helper in exec32 execat race dynhello nethelper; do
		if [ -x "$WORK/$helper" ]; then
			cp -p "$WORK/$helper" "$1/bin/$helper"
		fi
	done
	# Two programs for the exec race, the same binary under two names.
	if [ -x "$WORK/race" ]; then
		cp "$WORK/race" "$1/bin/permitted"
		touch -d @1000000000 "$1/bin/permitted"
		cp "$WORK/race" "$1/bin/forbidden"
		touch -d @1000000001 "$1/bin/forbidden"
	fi
	# A dynamically linked program needs its loader and libc.
	if [ -x "$WORK/dynhello" ]; then
		for lib in $(ldd "$WORK/dynhello" | grep -o '/[^ ]*'); do
			mkdir -p "$1$(dirname "$lib")"
			cp -pL "$lib" "$1$lib"
		done
	fi
	printf '#!/bin/sh\necho script-ran\n' >"$1/bin/hello.sh"
	chmod 755 "$1/bin/hello.sh"
	touch -d @1000000000 "$1/bin/hello.sh"
}

# build_helpers: compile the helpers: execat, race and nethelper (static),
# dynhello (dynamic, for the loader tests), and exec32 when the kernel's
# IA-32 emulation runs it.
build_helpers() {
	if ! ${CC:-cc} -static -O2 -o "$WORK/execat" "$VIGIL_SRCDIR/tests/e2e/execat.c" 2>"$WORK/execat.log"; then
		fail "build the execat helper" "$(tail -3 "$WORK/execat.log")"
	fi
	if ! ${CC:-cc} -static -O2 -pthread -o "$WORK/race" "$VIGIL_SRCDIR/tests/e2e/race.c" 2>"$WORK/race.log"; then
		fail "build the race helper" "$(tail -3 "$WORK/race.log")"
	fi
	if ! ${CC:-cc} -static -O2 -pthread -o "$WORK/nethelper" "$VIGIL_SRCDIR/tests/e2e/nethelper.c" 2>"$WORK/nethelper.log"; then
		fail "build the network helper" "$(tail -3 "$WORK/nethelper.log")"
	fi
	printf '#include <stdio.h>\nint main (void) { puts ("dynamic-ran"); return 0; }\n' >"$WORK/dynhello.c"
	if ! ${CC:-cc} -O2 -o "$WORK/dynhello" "$WORK/dynhello.c" 2>"$WORK/dynhello.log"; then
		fail "build the dynamic helper" "$(tail -3 "$WORK/dynhello.log")"
	fi
	[ "$(uname -m)" = x86_64 ] || return 0
	if ${CC:-cc} -static -no-pie -fno-pic -O2 -o "$WORK/exec32" "$VIGIL_SRCDIR/tests/e2e/exec32.c" 2>"$WORK/exec32.log"; then
		"$WORK/exec32" /bin/true 2>/dev/null || rm -f "$WORK/exec32"
	else
		rm -f "$WORK/exec32"
	fi
}

# json_string_array WORD...: print a JSON array of the arguments (no
# quotes or backslashes in them).
json_string_array() {
	printf '['
	sep=""
	for word in "$@"; do
		printf '%s"%s"' "$sep" "$word"
		sep=","
	done
	printf ']'
}

# write_bundle DIR IMAGE ARG...: an OCI bundle running ARG... in a busybox
# root, with the model named by the vigil.image annotation.
write_bundle() {
	dir=$1
	image=$2
	shift 2
	mkdir -p "$dir"
	[ -d "$dir/rootfs" ] || build_rootfs "$dir/rootfs"
	cat >"$dir/config.json" <<EOF
{
  "ociVersion": "1.0.2-dev",
  "process": {
    "terminal": false,
    "user": {"uid": 0, "gid": 0},
    "args": $(json_string_array "$@"),
    "env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
    "cwd": "/",
    "capabilities": {
      "bounding": ["CAP_KILL", "CAP_NET_BIND_SERVICE", "CAP_CHOWN", "CAP_FOWNER", "CAP_DAC_OVERRIDE"],
      "effective": ["CAP_KILL", "CAP_NET_BIND_SERVICE", "CAP_CHOWN", "CAP_FOWNER", "CAP_DAC_OVERRIDE"],
      "permitted": ["CAP_KILL", "CAP_NET_BIND_SERVICE", "CAP_CHOWN", "CAP_FOWNER", "CAP_DAC_OVERRIDE"]
    },
    "noNewPrivileges": true
  },
  "root": {"path": "rootfs", "readonly": false},
  "hostname": "$E2E_PREFIX",
  "mounts": [
    {"destination": "/proc", "type": "proc", "source": "proc"},
    {"destination": "/dev", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "strictatime", "mode=755", "size=65536k"]},
    {"destination": "/dev/pts", "type": "devpts", "source": "devpts", "options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"]},
    {"destination": "/dev/shm", "type": "tmpfs", "source": "shm", "options": ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"]},
    {"destination": "/sys", "type": "sysfs", "source": "sysfs", "options": ["nosuid", "noexec", "nodev", "ro"]}
  ],
  "annotations": {"vigil.image": "$image"},
  "linux": {
    "namespaces": [{"type": "pid"}, {"type": "network"}, {"type": "ipc"}, {"type": "uts"}, {"type": "mount"}],
    "maskedPaths": ["/proc/kcore", "/proc/keys", "/sys/firmware"],
    "readonlyPaths": ["/proc/sys", "/proc/sysrq-trigger"]
  }
}
EOF
}

# write_config FILE [KEY=VALUE]...: an agent configuration below $WORK.
write_config() {
	file=$1
	shift
	{
		echo "listener_socket = $WORK/run/vigild.sock"
		echo "state_dir = $WORK/state"
		echo "alerts_file = $WORK/alerts.json"
		echo "learning_seconds = ${E2E_LEARNING_SECONDS:-4}"
		# Enforce as soon as the model is active; a test that needs a dry
		# run sets dry_run_seconds itself.
		echo "dry_run_seconds = 0"
		echo "tick_ms = 100"
		echo "on_agent_unreachable = fail-closed"
		echo "control_socket = $WORK/run/control.sock"
		for kv in "$@"; do echo "$kv" | sed 's/=/ = /'; done
	} >"$file"
}

start_agent() {
	"$VIGILD" --config "$1" --log-level debug >>"$WORK/vigild.log" 2>&1 &
	AGENT_PID=$!
	if ! wait_until 10 test -S "$WORK/run/vigild.sock"; then
		fail "agent starts" "no socket after 10 s" "$(tail -5 "$WORK/vigild.log")"
		return 1
	fi
}

# stop_agent: SIGTERM, then the agent must exit 0 (a sanitizer report
# makes it exit otherwise).
stop_agent() {
	[ -n "${AGENT_PID:-}" ] || return 0
	kill -TERM "$AGENT_PID" 2>/dev/null
	wait "$AGENT_PID" 2>/dev/null
	rc=$?
	AGENT_PID=""
	if [ "$rc" -eq 0 ]; then
		pass "agent stops cleanly"
	else
		fail "agent stops cleanly" "exit status $rc" "$(grep -E 'ERROR|SUMMARY|runtime error' "$WORK/vigild.log" | head -5)"
	fi
}

# model_file KEY: the model file whose key is KEY.
model_file() {
	grep -lF "\"key\": \"$1\"" "$WORK"/state/models/*.json 2>/dev/null | head -1
}

model_mode_is() {
	f=$(model_file "$1")
	[ -n "$f" ] && grep -q "\"mode\": \"$2\"" "$f"
}

wait_for_active() {
	if wait_until "${2:-40}" model_mode_is "$1" active; then
		pass "model \`$1\` becomes active"
	else
		fail "model \`$1\` becomes active" "still not active" "$(tail -5 "$WORK/vigild.log")"
		return 1
	fi
}

# alert_count: alerts of single events.  "Alerts folded" lines, which
# count the repeats of an earlier alert, come when the next event does, so
# the checks below leave them out.
alert_count() {
	if [ -f "$WORK/alerts.json" ]; then
		grep -vc '"rule":"Alerts folded"' "$WORK/alerts.json"
	else
		echo 0
	fi
}

# last_alert: the last alert of a single event.
last_alert() {
	grep -v '"rule":"Alerts folded"' "$WORK/alerts.json" 2>/dev/null | tail -1
}

# expect_one_alert DESCRIPTION BEFORE EXECUTABLE CONTAINER [ACTION]:
# exactly one alert was written since the count was BEFORE, for that
# executable (any below it when it ends in "/") in that container, with
# ACTION ("denied" unless given).
expect_one_alert() {
	sleep 0.2
	now=$(alert_count)
	last=$(last_alert)
	if [ "$now" -ne $(($2 + 1)) ]; then
		fail "$1" "expected 1 new alert, got $((now - $2))" "$(tail -3 "$WORK/alerts.json" 2>/dev/null)"
	elif ! printf '%s' "$last" | grep -qF "\"executable\":\"$3$(case "$3" in */) ;; *) printf '"' ;; esac)"; then
		fail "$1" "alert is not for \`$3\`" "$last"
	elif ! printf '%s' "$last" | grep -qF "\"container_id\":\"$4\""; then
		fail "$1" "alert is not for container \`$4\`" "$last"
	elif ! printf '%s' "$last" | grep -qF "\"action\":\"${5:-denied}\""; then
		fail "$1" "alert action is not ${5:-denied}" "$last"
	else
		pass "$1"
	fi
}

expect_no_new_alert() {
	sleep 0.2
	now=$(alert_count)
	if [ "$now" -eq "$2" ]; then
		pass "$1"
	else
		fail "$1" "$((now - $2)) unexpected alerts" "$(tail -3 "$WORK/alerts.json")"
	fi
}

expect_model_has() {
	f=$(model_file "$1")
	shift
	missing=""
	for exe in "$@"; do
		grep -qF "\"path\": \"$exe\"" "$f" 2>/dev/null || missing="$missing $exe"
	done
	if [ -z "$missing" ]; then
		pass "model learned $*"
	else
		fail "model learned $*" "missing:$missing" "$(cat "$f" 2>/dev/null | head -40)"
	fi
}

# pm ARG...: podman with a store of the test's own below $WORK, so that
# nothing of the machine's podman is touched; cgroupfs and file events,
# since there is no systemd on the build machines.
pm() {
	podman --root "$WORK/podman/root" --runroot "$WORK/podman/runroot" \
		--cgroup-manager cgroupfs --events-backend file "$@"
}

# podman_run_flags CONF: the flags of podman run for a container through
# the wrapper with agent configuration CONF.  The ulimits are podman's
# defaults minus what needs CAP_SYS_RESOURCE.
podman_run_flags() {
	echo "--runtime $VIGIL_BUILDDIR/vigil-runc --runtime-flag vigil-config=$1 --network none \
--ulimit nofile=20000:20000 --ulimit nproc=4096:4096"
}
