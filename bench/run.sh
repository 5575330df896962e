#!/bin/bash
# Benchmarks: plain runc against vigil-runc on this machine, in one run,
# with the repetitions of the two interleaved.  Prints, for every measure,
# the median of each side, their ratio, the target, the number of runs and
# the interquartile ranges.  Needs root, runc, busybox-static and a C
# compiler that links static programs.  fapolicyd is optional.  Run it as
# `make bench` from a build directory.  docs/BENCHMARKS.md reads a run.
#
# Every count below can be set in the environment.  With the defaults a
# run took 3.5 minutes on a 2-core VM.

set -u

: "${VIGIL_SRCDIR:=$(cd "$(dirname "$0")/.." && pwd)}"
: "${VIGIL_BUILDDIR:=$VIGIL_SRCDIR/build}"
: "${FIXTURES_DIR:=$VIGIL_SRCDIR/../shared/fixtures/oci-config}"
VIGILD="$VIGIL_BUILDDIR/vigild"
WRAPPER="$VIGIL_BUILDDIR/vigil-runc"
BUSYBOX=${BUSYBOX:-/bin/busybox}
CC=${CC:-cc}

# Runs per side (plain and vigil each) and the length of each loop.
BENCH_START_RUNS=${BENCH_START_RUNS:-31}
BENCH_EXEC_RUNS=${BENCH_EXEC_RUNS:-11}
BENCH_EXEC_N=${BENCH_EXEC_N:-2000}
BENCH_SYS_RUNS=${BENCH_SYS_RUNS:-11}
BENCH_SYS_N=${BENCH_SYS_N:-1000000}           # rounds of read + write
BENCH_CONNECT_RUNS=${BENCH_CONNECT_RUNS:-11}
BENCH_CONNECT_N=${BENCH_CONNECT_N:-5000}
BENCH_WRITE_RUNS=${BENCH_WRITE_RUNS:-11}
BENCH_WRITE_N=${BENCH_WRITE_N:-3000}
BENCH_NOTIFY_RUNS=${BENCH_NOTIFY_RUNS:-7}
BENCH_NOTIFY_N=${BENCH_NOTIFY_N:-10000}       # per container
BENCH_NOTIFY_CONTAINERS=${BENCH_NOTIFY_CONTAINERS:-4}
BENCH_RSS_COUNTS=${BENCH_RSS_COUNTS:-1 50 500}
BENCH_FLOOR_RUNS=${BENCH_FLOOR_RUNS:-9}
BENCH_FLOOR_N=${BENCH_FLOOR_N:-20000}
BENCH_FAPOLICYD_RUNS=${BENCH_FAPOLICYD_RUNS:-7}
BENCH_LEARNING_SECONDS=${BENCH_LEARNING_SECONDS:-3}
# BENCH_POLICY=1 runs vigild as a node with rules and feeds would: a
# rules directory of BENCH_RULES rules (the last one matches the
# benchmark's image) and a hash feed of BENCH_HASHES SHA-256 lines, so
# every exec is also hashed (once, then from the cache) and matched.
BENCH_POLICY=${BENCH_POLICY:-1}
BENCH_RULES=${BENCH_RULES:-50}
BENCH_HASHES=${BENCH_HASHES:-10000}
# The CPU that the hot syscall, connect and write loops are pinned to, on
# both sides (empty: not pinned).  The exec and notify loops are never
# pinned, because how vigild and the container share the CPUs is part of
# what they measure.
BENCH_PIN_CPU=${BENCH_PIN_CPU-$(($(nproc) - 1))}
# BENCH_KEEP=1 keeps the scratch directory with every sample.
# BENCH_REPORT=FILE writes the final report there too.
BENCH_KEEP=${BENCH_KEEP:-0}
BENCH_REPORT=${BENCH_REPORT:-}

cannot_run() {
	echo "bench: $1" >&2
	exit 1
}

[ "$(id -u)" = 0 ] || cannot_run "needs root"
for tool in runc "$CC" "$BUSYBOX" "$VIGILD" "$WRAPPER"; do
	command -v "$tool" >/dev/null 2>&1 || cannot_run "\`$tool\` not found (build with scripts/build.sh)"
done
[ -f "$VIGIL_BUILDDIR/config.h" ] || cannot_run "no config.h in \`$VIGIL_BUILDDIR\`: run configure there first"
"$BUSYBOX" --list 2>/dev/null | grep -qx true || cannot_run "\`$BUSYBOX\` is not a busybox with applets (install busybox-static)"
RUNC=$(command -v runc)

. "$VIGIL_SRCDIR/tests/e2e/lib.sh"
# Container ids, host names and bundles of this run carry this prefix.
E2E_PREFIX="vigil-bench"
ID="$E2E_PREFIX-$$"
IMAGE="vigil-bench/busybox"

WORK=$(mktemp -d /tmp/vigil-bench.XXXXXX)
RUNC_ROOT="$WORK/runc-root"
CONF="$WORK/bench.conf"
SAMPLES="$WORK/samples"
AGENT_PID=""
BENCH_BEGAN=$(date +%s)
mkdir -p "$SAMPLES"

cleanup() {
	local fpid
	fpid=$(cat "$WORK/fapolicyd/fapolicyd.pid" 2>/dev/null)
	if [ -n "$fpid" ] && [ "$(cat "/proc/$fpid/comm" 2>/dev/null)" = fapolicyd ]; then
		kill -TERM "$fpid"
	fi
	runc --root "$RUNC_ROOT" list -q 2>/dev/null | while read -r c; do
		runc --root "$RUNC_ROOT" delete -f "$c" >/dev/null 2>&1
	done
	if [ -n "$AGENT_PID" ]; then
		kill -TERM "$AGENT_PID" 2>/dev/null
		wait "$AGENT_PID" 2>/dev/null
	fi
	grep -o " $WORK/[^ ]*" /proc/self/mounts | sort -r | while read -r m; do umount -l "$m" 2>/dev/null; done
	if [ "$BENCH_KEEP" = 1 ]; then
		echo "# scratch directory kept: $WORK"
	else
		rm -rf "$WORK"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- small tools -----------------------------------------------------------

now_us() { local t=$EPOCHREALTIME; echo "${t/./}"; }

# field LINE KEY: print the value of KEY=VALUE in a line of bench-loops.
field() {
	local kv
	for kv in $1; do
		if [ "${kv%%=*}" = "$2" ]; then
			echo "${kv#*=}"
			return 0
		fi
	done
	return 1
}

# per_operation LINE SCALE: print the elapsed ns per operation divided by
# SCALE, or fail when the line is not a result.
per_operation() {
	local ops ns
	ops=$(field "$1" ops) && ns=$(field "$1" ns) || return 1
	awk -v ns="$ns" -v ops="$ops" -v s="$2" 'BEGIN { printf "%.6f\n", ns / ops / s }'
}

# rate LINE: print the operations per second.
rate() {
	local ops ns
	ops=$(field "$1" ops) && ns=$(field "$1" ns) || return 1
	awk -v ns="$ns" -v ops="$ops" 'BEGIN { printf "%.1f\n", ops * 1e9 / ns }'
}

# sample ROW SIDE REP VALUE: record the value of one run.  The two sides of
# a repetition make a pair, whose ratio the report also shows.
sample() { echo "$3 $4" >>"$SAMPLES/$1.$2"; }

# warn MESSAGE: a failed run is reported on stderr and leaves no sample.
warn() { printf '# warning: %s\n' "$*" >&2; }

plain_runtime() { "$RUNC" --root "$RUNC_ROOT" "$@"; }
vigil_runtime() { "$WRAPPER" --vigil-config "$CONF" --root "$RUNC_ROOT" "$@"; }
runtime() {
	local side=$1
	shift
	if [ "$side" = plain ]; then plain_runtime "$@"; else vigil_runtime "$@"; fi
}

# in_container SIDE N ARG...: run bench-loops in long-running container N.
in_container() {
	local side=$1 n=$2
	shift 2
	runtime "$side" exec "$ID-$side-$n" /bin/bench-loops "$@" 2>&1
}

# in_pinned_container SIDE N ARG...: the same, on BENCH_PIN_CPU.
in_pinned_container() {
	local side=$1 n=$2
	shift 2
	if [ -n "$BENCH_PIN_CPU" ]; then
		runtime "$side" exec --env "BENCH_CPU=$BENCH_PIN_CPU" "$ID-$side-$n" /bin/bench-loops "$@" 2>&1
	else
		in_container "$side" "$n" "$@"
	fi
}

# sides REP: print the order of the two sides in repetition REP, swapped
# every other time so that neither always runs first.
sides() { if [ $(($1 % 2)) -eq 1 ]; then echo "plain vigil"; else echo "vigil plain"; fi; }

agent_rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$AGENT_PID/status"; }
agent_cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$AGENT_PID/stat"; }

model_active() { grep -qs '"mode": *"active"' "$WORK"/state/models/*.json; }

# --- rows of the table ------------------------------------------------------

ROWS=()
declare -A LABEL UNIT CHECK TARGET NOTE

# row ID LABEL UNIT CHECK TARGET_TEXT: add a row to the report.  CHECK is
# ratio<=X, min>=X, max<=X or none.
row() {
	ROWS+=("$1")
	LABEL[$1]=$2
	UNIT[$1]=$3
	CHECK[$1]=$4
	TARGET[$1]=$5
	NOTE[$1]=""
}

# --- set-up -----------------------------------------------------------------

note "scratch directory $WORK"

BENCH_CFLAGS="-O2 -Wall -Wextra -I$VIGIL_BUILDDIR -I$VIGIL_SRCDIR -include config.h"
# shellcheck disable=SC2086
if ! "$CC" -static $BENCH_CFLAGS -o "$WORK/bench-loops" "$VIGIL_SRCDIR/bench/loops.c" 2>"$WORK/cc.log" ||
	! "$CC" $BENCH_CFLAGS -o "$WORK/bench-unotify" "$VIGIL_SRCDIR/bench/unotify.c" 2>>"$WORK/cc.log"; then
	cat "$WORK/cc.log" >&2
	cannot_run "cannot build the helpers"
fi

# The agent runs with the settings of the end-to-end tests except the
# learning time and the tick.  write_config sets a tick of 100 ms for the
# tests, so the default of 1000 ms follows it, and the last value wins.
POLICY_CONF=()
if [ "$BENCH_POLICY" = 1 ]; then
	mkdir -p "$WORK/rules.d"
	{
		echo '{"rules": ['
		for n in $(seq 2 "$BENCH_RULES"); do
			printf '{"name": "other-%d", "scope": {"images": ["registry.example/team-%d/*"]}, ' "$n" "$n"
			printf '"processes": {"blocked": ["nc", "/usr/bin/ssh*"]}},\n'
		done
		printf '{"name": "bench", "scope": {"images": ["vigil-bench/*"]}, '
		printf '"processes": {"allowed": ["/opt/tool"], "blocked": ["nc", "wget"]}, '
		printf '"files": {"blocked": ["/etc/shadow"]}}\n]}\n'
	} >"$WORK/rules.d/bench.json"
	# Random hashes, none of which matches a file of the image.
	od -An -v -tx1 -N $((BENCH_HASHES * 32)) /dev/urandom | tr -d ' \n' | fold -w 64 >"$WORK/hashes.txt"
	POLICY_CONF=("rules=$WORK/rules.d" "hash_feed=$WORK/hashes.txt")
	note "policy: $BENCH_RULES rules, $(wc -l <"$WORK/hashes.txt") hashes in the feed"
fi
E2E_LEARNING_SECONDS=$BENCH_LEARNING_SECONDS write_config "$CONF" "runc=$RUNC" "tick_ms=1000" "${POLICY_CONF[@]}"
start_agent "$CONF" || cannot_run "vigild does not start: $(tail -3 "$WORK/vigild.log")"

# The seccomp profile of podman 4.3, taken from the unit tests' fixtures.
# Rows 1b and 3b put it in the bundles of both sides, as an engine would,
# to show what Vigil adds to a filter that is there anyway.
PROFILE=""
if [ -f "$FIXTURES_DIR/podman-4.3-runc-default-seccomp.json" ]; then
	PROFILE=$(sed -n 's/.*"seccomp":\({.*}\),"maskedPaths".*/\1/p' \
		"$FIXTURES_DIR/podman-4.3-runc-default-seccomp.json")
fi
[ -n "$PROFILE" ] || note "no podman profile in \`$FIXTURES_DIR\`: rows 1b and 3b are left out"

# One bundle per side and use: vigil-runc rewrites config.json in place,
# and plain runc must never see Vigil's profile.
bundles="long-plain long-vigil start-plain start-vigil"
[ -n "$PROFILE" ] && bundles="$bundles profile-long-plain profile-long-vigil profile-start-plain profile-start-vigil"
for b in $bundles; do
	case $b in
	*long-*) write_bundle "$WORK/$b" "$IMAGE" sleep 1800 ;;
	*start-*) write_bundle "$WORK/$b" "$IMAGE" /bin/true ;;
	esac
	case $b in
	profile-*) sed -i "s|\"linux\": {|\"linux\": {\"seccomp\": $PROFILE,|" "$WORK/$b/config.json" ;;
	esac
	cp -p "$WORK/bench-loops" "$WORK/$b/rootfs/bin/bench-loops"
	cp "$WORK/$b/config.json" "$WORK/$b/config.pristine"
done

# start_long SIDE N [BUNDLE]: start a detached container that sleeps.
start_long() {
	local side=$1 n=$2 bundle=${3:-$WORK/long-$1}
	runtime "$side" create --bundle "$bundle" "$ID-$side-$n" </dev/null >"$WORK/create.out" 2>&1 &&
		runtime "$side" start "$ID-$side-$n" >>"$WORK/create.out" 2>&1
}

note "starting $BENCH_NOTIFY_CONTAINERS long-running containers per side"
for n in $(seq 1 "$BENCH_NOTIFY_CONTAINERS"); do
	for side in plain vigil; do
		start_long "$side" "$n" || cannot_run "container $ID-$side-$n: $(tail -3 "$WORK/create.out")"
	done
done

# Learning: everything the rows execute in a container of this image.
note "learning for $BENCH_LEARNING_SECONDS s of container time"
for n in $(seq 1 "$BENCH_NOTIFY_CONTAINERS"); do
	in_container vigil "$n" exec 3 /bin/true >/dev/null
done
in_container vigil 1 notify 3 /bin/true >/dev/null
# The connect loop's listening port and destination (loops.c uses one
# fixed port).
in_container vigil 1 connect 3 >/dev/null
out=$(vigil_runtime run --bundle "$WORK/start-vigil" "$ID-learn" </dev/null 2>&1) || warn "learning run: $out"
vigil_runtime delete "$ID-learn" >/dev/null 2>&1
cp "$WORK/start-vigil/config.pristine" "$WORK/start-vigil/config.json"
if ! wait_until $((BENCH_LEARNING_SECONDS * 10 + 30)) model_active; then
	cannot_run "the model did not become active: $(tail -3 "$WORK/vigild.log")"
fi
note "model active: $(grep -ho '"path": *"[^"]*"' "$WORK"/state/models/*.json | sed 's/"path": *//' | tr '\n' ' ')"

# --- 1. container create + start + delete -----------------------------------

row start "1. create + start + delete, busybox \`true\`" "ms" "ratio<=1.05" "<= 1.05"

# wait_exited PID: return once PID is a zombie or gone.  The pipe of
# life_cycle closes when the process closes its files, a moment before it
# has exited, and runc fails to delete a container whose process exists.
wait_exited() {
	local pid_field comm state
	while read -r pid_field comm state _ 2>/dev/null <"/proc/$1/stat" && [ "$state" != Z ]; do
		:
	done
}

# life_cycle SIDE [PREFIX]: print the time in ms of one life cycle as an
# engine drives it: create, start, wait for the process to exit, delete.
# The wait reads the process's stdout (the pipe of the command
# substitution) to its end, then watches its pid.
life_cycle() {
	local side=$1 bundle="$WORK/${2:-}start-$1" id="$ID-start-$1" t0 t1 out pid=""
	cp "$bundle/config.pristine" "$bundle/config.json"
	rm -f "$WORK/start.pid"
	t0=$(now_us)
	out=$(runtime "$side" create --bundle "$bundle" --pid-file "$WORK/start.pid" "$id" </dev/null 2>&1 &&
		runtime "$side" start "$id" 2>&1)
	# runc writes the pid without a newline, so read fails but sets it.
	read -r pid 2>/dev/null <"$WORK/start.pid"
	wait_exited "$pid"
	if ! runtime "$side" delete "$id" >/dev/null 2>&1; then
		warn "start ($side): $out"
		runtime "$side" delete -f "$id" >/dev/null 2>&1
		return 1
	fi
	t1=$(now_us)
	awk -v d=$((t1 - t0)) 'BEGIN { printf "%.3f\n", d / 1000 }'
}

note "1. create + start + delete: $BENCH_START_RUNS runs per side"
for rep in $(seq 1 "$BENCH_START_RUNS"); do
	for side in $(sides "$rep"); do
		if v=$(life_cycle "$side"); then sample start "$side" "$rep" "$v"; fi
	done
done

if [ -n "$PROFILE" ]; then
	row start-profile "1b. create + start + delete, both sides with podman's seccomp profile" "ms" "ratio<=1.05" "<= 1.05"
	note "1b. the same with podman's profile: $BENCH_START_RUNS runs per side"
	for rep in $(seq 1 "$BENCH_START_RUNS"); do
		for side in $(sides "$rep"); do
			if v=$(life_cycle "$side" profile-); then sample start-profile "$side" "$rep" "$v"; fi
		done
	done
fi

# --- 2-5. loops inside one container -----------------------------------------

# loop_row ROW RUNS SCALE PLACE ARG...: interleaved runs of a bench-loops
# loop in container 1 of each side, per operation in ns / SCALE.  PLACE is
# "pinned" or "free".
loop_row() {
	local r=$1 runs=$2 scale=$3 place=$4 rep side out v
	shift 4
	for rep in $(seq 1 "$runs"); do
		for side in $(sides "$rep"); do
			if [ "$place" = pinned ]; then
				out=$(in_pinned_container "$side" 1 "$@")
			else
				out=$(in_container "$side" 1 "$@")
			fi
			if v=$(per_operation "$out" "$scale"); then
				sample "$r" "$side" "$rep" "$v"
			else
				warn "$r ($side): $out"
			fi
		done
	done
}

row exec "2. exec loop: fork + execve + wait of a learned binary" "µs/exec" "ratio<=1.03" "<= 1.03"
note "2. exec loop: $BENCH_EXEC_RUNS runs of $BENCH_EXEC_N per side"
loop_row exec "$BENCH_EXEC_RUNS" 1000 free exec "$BENCH_EXEC_N" /bin/true

# agent_on_cpu CPU|all: where vigild's threads may run.
agent_on_cpu() {
	if [ "$1" = all ]; then
		taskset -apc "0-$(($(nproc) - 1))" "$AGENT_PID" >/dev/null
	else
		taskset -apc "$1" "$AGENT_PID" >/dev/null
	fi
}

# The same loop with the container's process and vigild on one CPU: what
# the agent's own work costs, without the wake-ups across CPUs that the
# free-running loop pays on every notification.
if [ -n "$BENCH_PIN_CPU" ]; then
	row exec-one "2b. exec loop, the loop and vigild on one CPU" "µs/exec" "none" "-"
	note "2b. exec loop on CPU $BENCH_PIN_CPU: $BENCH_EXEC_RUNS runs of $BENCH_EXEC_N per side"
	agent_on_cpu "$BENCH_PIN_CPU"
	loop_row exec-one "$BENCH_EXEC_RUNS" 1000 pinned exec "$BENCH_EXEC_N" /bin/true
	agent_on_cpu all
	NOTE[exec-one]="Both sides run the loop on CPU $BENCH_PIN_CPU; on the vigil side vigild is held there too (taskset)."
fi

row sys "3. hot syscalls: read /dev/zero, write /dev/null" "ns/call" "ratio<=1.01" "<= 1.01"
note "3. hot syscalls: $BENCH_SYS_RUNS runs of $((2 * BENCH_SYS_N)) calls per side"
# vigild's CPU time over the vigil runs is compared with that over the
# same number of exec sessions that make 2 calls, which is what a session
# costs it without the loop.
agent_ticks=0
for rep in $(seq 1 "$BENCH_SYS_RUNS"); do
	for side in $(sides "$rep"); do
		before=$(agent_cpu_ticks)
		out=$(in_pinned_container "$side" 1 sys "$BENCH_SYS_N")
		[ "$side" = vigil ] && agent_ticks=$((agent_ticks + $(agent_cpu_ticks) - before))
		if v=$(per_operation "$out" 1); then sample sys "$side" "$rep" "$v"; else warn "sys ($side): $out"; fi
	done
done
idle_ticks=0
for rep in $(seq 1 "$BENCH_SYS_RUNS"); do
	before=$(agent_cpu_ticks)
	in_pinned_container vigil 1 sys 1 >/dev/null
	idle_ticks=$((idle_ticks + $(agent_cpu_ticks) - before))
done
tick_ms=$((1000 / $(getconf CLK_TCK)))
NOTE[sys]="vigild's CPU time was $((agent_ticks * tick_ms)) ms over the $BENCH_SYS_RUNS vigil runs of $((2 * BENCH_SYS_N)) calls (its periodic tick included) and $((idle_ticks * tick_ms)) ms over $BENCH_SYS_RUNS sessions of 2 calls, at a resolution of $tick_ms ms. A notification costs it tens of µs, so these calls did not reach it."

if [ -n "$PROFILE" ]; then
	row sys-profile "3b. hot syscalls, both sides with podman's seccomp profile" "ns/call" "ratio<=1.01" "<= 1.01"
	for side in plain vigil; do
		start_long "$side" p "$WORK/profile-long-$side" || warn "profile container ($side): $(tail -3 "$WORK/create.out")"
	done
	note "3b. hot syscalls with podman's profile: $BENCH_SYS_RUNS runs per side"
	for rep in $(seq 1 "$BENCH_SYS_RUNS"); do
		for side in $(sides "$rep"); do
			out=$(in_pinned_container "$side" p sys "$BENCH_SYS_N")
			if v=$(per_operation "$out" 1); then
				sample sys-profile "$side" "$rep" "$v"
			else
				warn "sys-profile ($side): $out"
			fi
		done
	done
	for side in plain vigil; do runtime "$side" delete -f "$ID-$side-p" >/dev/null 2>&1; done
fi

row connect "4. loopback connect + accept in the container's netns" "µs/conn" "ratio<=1.30" "<= 1.30"
note "4. loopback connect: $BENCH_CONNECT_RUNS runs of $BENCH_CONNECT_N per side"
loop_row connect "$BENCH_CONNECT_RUNS" 1000 pinned connect "$BENCH_CONNECT_N"
if [ -n "$BENCH_PIN_CPU" ]; then
	row connect-one "4b. loopback connect, the loop and vigild on one CPU" "µs/conn" "none" "-"
	note "4b. loopback connect on CPU $BENCH_PIN_CPU: $BENCH_CONNECT_RUNS runs of $BENCH_CONNECT_N per side"
	agent_on_cpu "$BENCH_PIN_CPU"
	loop_row connect-one "$BENCH_CONNECT_RUNS" 1000 pinned connect "$BENCH_CONNECT_N"
	agent_on_cpu all
	NOTE[connect-one]="vigild is held on the loop's CPU (taskset); every connect is made by vigild on the container's socket."
fi

row write "5. file writes: create + write 4 KiB + close" "µs/file" "ratio<=1.05" "<= 1.05"
note "5. file writes: $BENCH_WRITE_RUNS runs of $BENCH_WRITE_N per side"
loop_row write "$BENCH_WRITE_RUNS" 1000 pinned write "$BENCH_WRITE_N" /tmp

# --- 6. agent throughput ----------------------------------------------------

# notify_together SIDE K: run the notify loop in containers 1..K, started
# at the same instant, and print the sum of their calls per second.
notify_together() {
	local side=$1 k=$2 start n ops total=0 last=0 end line pids=()
	start=$(($("$WORK/bench-loops" now) + 1500000000))
	for n in $(seq 1 "$k"); do
		in_container "$side" "$n" notify "$BENCH_NOTIFY_N" /bin/true "$start" >"$WORK/notify.$n" &
		pids+=($!)
	done
	wait "${pids[@]}"
	for n in $(seq 1 "$k"); do
		line=$(cat "$WORK/notify.$n")
		ops=$(field "$line" ops) && end=$(field "$line" end) || {
			warn "notify ($side, container $n): $line"
			return 1
		}
		total=$((total + ops))
		[ "$end" -gt "$last" ] && last=$end
	done
	awk -v ops="$total" -v ns=$((last - start)) 'BEGIN { printf "%.1f\n", ops * 1e9 / ns }'
}

row notify-1 "6. agent throughput, 1 container (plain: the same execve calls)" "calls/s" "min>=100000" ">= 100000"
row notify-k "6. agent throughput, $BENCH_NOTIFY_CONTAINERS containers at once" "calls/s" "min>=100000" ">= 100000"
note "6. agent throughput: $BENCH_NOTIFY_RUNS runs per side of $BENCH_NOTIFY_N execve calls per container"
for rep in $(seq 1 "$BENCH_NOTIFY_RUNS"); do
	for side in $(sides "$rep"); do
		out=$(in_container "$side" 1 notify "$BENCH_NOTIFY_N" /bin/true)
		if v=$(rate "$out"); then sample notify-1 "$side" "$rep" "$v"; else warn "notify-1 ($side): $out"; fi
		if v=$(notify_together "$side" "$BENCH_NOTIFY_CONTAINERS"); then
			sample notify-k "$side" "$rep" "$v"
		fi
	done
done
NOTE[notify-1]="Each call is an execve of a learned path that vigild reads, resolves and allows. The kernel then fails it with EFAULT because of a bad envp, so the loop measures the agent and not exec."

for n in $(seq 1 "$BENCH_NOTIFY_CONTAINERS"); do
	for side in plain vigil; do runtime "$side" delete -f "$ID-$side-$n" >/dev/null 2>&1; done
done

# --- 7. agent RSS -------------------------------------------------------------

# Containers are created one after the other until each count is
# reached.  The first that fails sets how many the machine allows.
rss_running=0
rss_limit=""
rss_baseline=$(agent_rss_kb)
note "7. agent RSS: containers up to ${BENCH_RSS_COUNTS##* } (vigild at ${rss_baseline} KiB with none)"
for count in $BENCH_RSS_COUNTS; do
	noun=containers
	[ "$count" = 1 ] && noun=container
	row "rss-$count" "7. agent RSS, $count $noun running" "MiB" \
		"max<=$(awk -v n="$count" 'BEGIN { print 8 + n * 32 / 1024 }')" \
		"<= $(awk -v n="$count" 'BEGIN { printf "%.2f", 8 + n * 32 / 1024 }')"
	while [ -z "$rss_limit" ] && [ "$rss_running" -lt "$count" ]; do
		if start_long vigil "r$((rss_running + 1))"; then
			rss_running=$((rss_running + 1))
		else
			rss_limit="container $((rss_running + 1)) failed: $(tail -1 "$WORK/create.out")"
			warn "$rss_limit"
		fi
	done
	sleep 0.5
	sample "rss-$count" vigil 1 "$(awk -v kb="$(agent_rss_kb)" 'BEGIN { printf "%.3f\n", kb / 1024 }')"
	if [ "$rss_running" -lt "$count" ]; then
		LABEL[rss-$count]="7. agent RSS, $rss_running containers running ($count asked; the machine allowed $rss_running)"
		NOTE[rss-$count]=$rss_limit
	fi
done
note "deleting $rss_running containers"
plain_runtime list -q | grep "^$ID-vigil-r" | xargs -r -n 1 -P 2 "$RUNC" --root "$RUNC_ROOT" delete -f >/dev/null 2>&1

# --- 8. the kernel floor --------------------------------------------------------

row floor "8. kernel floor: getppid, bare / notified (no sync wake-up)" "µs/call" "none" "-"
row floor-sync "8. kernel floor: getppid, bare / notified, SYNC_WAKE_UP" "µs/call" "none" "-"
row floor-epoll "8. kernel floor: as above, listener in epoll_wait like vigild" "µs/call" "none" "-"
note "8. kernel floor: $BENCH_FLOOR_RUNS runs of $BENCH_FLOOR_N calls per mode"
for rep in $(seq 1 "$BENCH_FLOOR_RUNS"); do
	for mode in plain notify notify-sync notify-sync-epoll; do
		out=$("$WORK/bench-unotify" "$mode" "$BENCH_FLOOR_N" 2>&1)
		case $out in
		unsupported=*)
			NOTE[floor-sync]="The kernel rejects the flag: ${out#unsupported=}."
			NOTE[floor-epoll]=${NOTE[floor-sync]}
			continue
			;;
		esac
		if ! v=$(per_operation "$out" 1000); then
			warn "floor ($mode): $out"
			continue
		fi
		case $mode in
		plain) for r in floor floor-sync floor-epoll; do sample "$r" plain "$rep" "$v"; done ;;
		notify) sample floor vigil "$rep" "$v" ;;
		notify-sync) sample floor-sync vigil "$rep" "$v" ;;
		notify-sync-epoll) sample floor-epoll vigil "$rep" "$v" ;;
		esac
	done
done

# --- 9. the fanotify peer: fapolicyd ---------------------------------------------

# fapolicyd runs in a mount namespace of its own, with its configuration,
# database and /run bound from $WORK.  It watches only ramfs, which only
# that namespace has, and the exec loop runs from a ramfs mount there.
# The plain side runs the same loop in the same kind of namespace without
# fapolicyd.
row fapolicyd "9. exec loop under fapolicyd (plain: without it)" "µs/exec" "none" "peer"

# fapolicyd_ns WITH UID: run the exec loop in a new mount namespace, with
# fapolicyd running there as UID when WITH is 1.
fapolicyd_ns() {
	unshare --mount --propagation private bash "$WORK/fapolicyd/ns.sh" "$WORK/fapolicyd" "$1" "$2" \
		"$BENCH_EXEC_N" "$BUSYBOX"
}

if ! command -v fapolicyd >/dev/null 2>&1; then
	NOTE[fapolicyd]="Not run: fapolicyd is not installed (Debian package \`fapolicyd\`)."
elif ! id fapolicyd >/dev/null 2>&1; then
	NOTE[fapolicyd]="Not run: the \`fapolicyd\` account of the package is missing."
else
	dir="$WORK/fapolicyd"
	mkdir -p "$dir/etc/rules.d" "$dir/etc/trust.d" "$dir/db" "$dir/mnt"
	cp "$WORK/bench-loops" "$dir/bench-loops"
	chown fapolicyd:fapolicyd "$dir/db"
	# Allow everything, trust nothing, watch ramfs only.
	cat >"$dir/fapolicyd.conf.in" <<-EOF
		permissive = 0
		nice_val = 14
		q_size = 640
		uid = fapolicyd
		gid = fapolicyd
		do_stat_report = 0
		detailed_report = 0
		db_max_size = 50
		subj_cache_size = 1549
		obj_cache_size = 8191
		watch_fs = ramfs
		trust = file
		integrity = none
		syslog_format = rule,dec,perm,auid,pid,exe,:,path,ftype,trust
		rpm_sha256_only = 0
		allow_filesystem_mark = 0
	EOF
	echo "allow perm=any all : all" >"$dir/etc/fapolicyd.rules"
	: >"$dir/etc/fapolicyd.trust"
	cat >"$dir/ns.sh" <<-'EOF'
		# Runs inside the private mount namespace: DIR WITH UID N BUSYBOX.
		set -u
		dir=$1 with=$2 uid=$3 n=$4 busybox=$5
		stop_fapolicyd() {
			[ -s "$dir/fapolicyd.pid" ] || return 0
			kill -TERM "$(cat "$dir/fapolicyd.pid")" 2>/dev/null
			wait 2>/dev/null
			: >"$dir/fapolicyd.pid"
		}
		trap stop_fapolicyd EXIT
		mount -t ramfs ramfs "$dir/mnt" || exit 1
		cp "$busybox" "$dir/mnt/busybox" && ln -s busybox "$dir/mnt/true" &&
			cp "$dir/bench-loops" "$dir/mnt/bench-loops" || exit 1
		if [ "$with" = 1 ]; then
			sed "s/^uid = .*/uid = $uid/; s/^gid = .*/gid = $uid/" "$dir/fapolicyd.conf.in" >"$dir/etc/fapolicyd.conf"
			mount --bind "$dir/etc" /etc/fapolicyd &&
				mount --bind "$dir/db" /var/lib/fapolicyd &&
				mount -t tmpfs tmpfs /run && mkdir -p /run/fapolicyd &&
				chown "$uid:$uid" /run/fapolicyd || exit 1
			fapolicyd --debug-deny 2>"$dir/fapolicyd.log" &
			echo $! >"$dir/fapolicyd.pid"
			for i in $(seq 1 200); do
				grep -q "Starting to listen" "$dir/fapolicyd.log" && break
				if ! kill -0 "$(cat "$dir/fapolicyd.pid")" 2>/dev/null; then
					: >"$dir/fapolicyd.pid"
					echo "fapolicyd exited: $(grep -v '^$' "$dir/fapolicyd.log" | tail -1)"
					exit 2
				fi
				sleep 0.05
			done
		fi
		"$dir/mnt/bench-loops" exec "$n" "$dir/mnt/true"
	EOF

	# As packaged, fapolicyd switches to its own account and keeps a set of
	# capabilities that includes CAP_SYS_RESOURCE, so the switch fails where
	# the bounding set lacks it (capset returns EPERM).  In that case it runs
	# as uid 0, the default of fapolicyd.conf(5).
	fapo_uid=fapolicyd
	out=$(fapolicyd_ns 1 fapolicyd 2>&1)
	if [ $? -ne 0 ]; then
		why=$(grep -m 1 'exited' <<<"$out" | sed 's/^fapolicyd exited: //')
		note "fapolicyd as uid fapolicyd: ${why:-$out}; running it as uid 0"
		fapo_uid=0
		NOTE[fapolicyd]="As the \`fapolicyd\` user it stopped (\`${why:-$out}\`), so it ran as uid 0, the default of fapolicyd.conf(5)."
	fi
	note "9. fapolicyd: $BENCH_FAPOLICYD_RUNS runs of $BENCH_EXEC_N execs per side"
	for rep in $(seq 1 "$BENCH_FAPOLICYD_RUNS"); do
		for side in $(sides "$rep"); do
			with=0
			[ "$side" = vigil ] && with=1
			out=$(fapolicyd_ns "$with" "$fapo_uid" 2>&1)
			if v=$(per_operation "$(tail -1 <<<"$out")" 1000); then
				sample fapolicyd "$side" "$rep" "$v"
			else
				warn "fapolicyd ($side): $out"
				NOTE[fapolicyd]="Not run: $(tail -1 <<<"$out")."
				break 2
			fi
		done
	done
fi

# --- the report -------------------------------------------------------------------

# stats: print "count median p25 p75" of the numbers on standard input, or
# "0 - - -" when there are none.
stats() {
	sort -g | awk '
		function quantile(p,  h, lo) {
			h = (NR - 1) * p + 1
			lo = int(h)
			return lo >= NR ? v[NR] : v[lo] + (h - lo) * (v[lo + 1] - v[lo])
		}
		{ v[NR] = $1 }
		END {
			if (NR == 0) print "0 - - -"
			else printf "%d %.6g %.6g %.6g\n", NR, quantile(0.5), quantile(0.25), quantile(0.75)
		}'
}

# side_values ROW SIDE: print the values of one side, one a line.
side_values() { [ -s "$SAMPLES/$1.$2" ] && awk '{ print $2 }' "$SAMPLES/$1.$2"; }

# paired_ratios ROW: print vigil / plain of each repetition that has both.
paired_ratios() {
	[ -s "$SAMPLES/$1.plain" ] && [ -s "$SAMPLES/$1.vigil" ] || return 0
	join <(sort -k 1,1 "$SAMPLES/$1.plain") <(sort -k 1,1 "$SAMPLES/$1.vigil") |
		awk '$2 > 0 { printf "%.6f\n", $3 / $2 }'
}

# format_value VALUE: print VALUE with three significant figures or more.
format_value() {
	awk -v x="$1" 'BEGIN {
		if (x == "-") { print "-"; exit }
		a = x < 0 ? -x : x
		if (a >= 100) printf "%.0f\n", x
		else if (a >= 10) printf "%.1f\n", x
		else if (a >= 1) printf "%.2f\n", x
		else printf "%.3f\n", x
	}'
}

# meets VALUE OP LIMIT: print "met" or "missed".
meets() {
	awk -v x="$1" -v op="$2" -v l="$3" 'BEGIN {
		ok = op == "<=" ? (x <= l) : (x >= l)
		print (ok ? "met" : "missed")
	}'
}

# inside LOW HIGH LIMIT: succeed when LIMIT lies between LOW and HIGH.
inside() { awk -v lo="$1" -v hi="$2" -v l="$3" 'BEGIN { exit !(lo <= l && l <= hi) }'; }

report() {
	local settings r p v pn pm p25 p75 vn vm v25 v75 rn rm r25 r75 ratio paired result check limit

	echo "Vigil benchmarks: plain runc against vigil-runc, interleaved"
	echo
	echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC')"
	echo "- machine: $(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo), $(nproc) cores, $(awk '/^MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo) memory"
	echo "- kernel: $(uname -r)"
	echo "- runc: $(runc --version 2>/dev/null | head -1 | sed 's/^runc version //'); libseccomp $(runc --version 2>/dev/null | sed -n 's/^libseccomp: //p')"
	echo "- vigil: $("$VIGILD" --version 2>/dev/null | sed 's/^vigild //') ($(git -C "$VIGIL_SRCDIR" describe --always --dirty 2>/dev/null || echo "not a git checkout"))"
	settings=$(env | grep '^BENCH_' | sort | tr '\n' ' ')
	echo "- wall time: $(($(date +%s) - BENCH_BEGAN)) s; settings: ${settings:-the defaults}"
	echo
	echo "Medians of each side; vigil/plain is the ratio of the medians, and"
	echo "\"paired\" the median and IQR of the ratios of the two runs of each"
	echo "repetition.  A result marked \"(within IQR)\" has its target inside"
	echo "the paired IQR, so this run cannot tell met from missed."
	echo
	echo "| measure | unit | plain runc | vigil-runc | vigil/plain | paired | target | result | runs | IQR plain | IQR vigil |"
	echo "| --- | --- | ---: | ---: | ---: | --- | --- | --- | ---: | --- | --- |"
	for r in "${ROWS[@]}"; do
		read -r pn pm p25 p75 <<<"$(side_values "$r" plain | stats)"
		read -r vn vm v25 v75 <<<"$(side_values "$r" vigil | stats)"
		read -r rn rm r25 r75 <<<"$(paired_ratios "$r" | stats)"
		ratio="-"
		if [ "$pm" != - ] && [ "$vm" != - ]; then
			ratio=$(awk -v a="$vm" -v b="$pm" 'BEGIN { printf "%.3f", a / b }')
		fi
		paired="-"
		[ "$rm" != - ] && paired=$(awk -v m="$rm" -v a="$r25" -v b="$r75" 'BEGIN { printf "%.3f (%.3f-%.3f)", m, a, b }')
		check=${CHECK[$r]}
		limit=${check#*[<>]=}
		result="-"
		case $check in
		ratio*)
			if [ "$ratio" != - ]; then
				result=$(meets "$ratio" "<=" "$limit")
				[ "$rm" != - ] && inside "$r25" "$r75" "$limit" && result="$result (within IQR)"
			fi
			;;
		min*) [ "$vm" != - ] && result=$(meets "$vm" ">=" "$limit") ;;
		max*) [ "$vm" != - ] && result=$(meets "$vm" "<=" "$limit") ;;
		esac
		[ "$vn" = 0 ] && [ "$pn" = 0 ] && result="not run"
		p="-"
		v="-"
		[ "$p25" != - ] && p="$(format_value "$p25")-$(format_value "$p75")"
		[ "$v25" != - ] && v="$(format_value "$v25")-$(format_value "$v75")"
		printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "${LABEL[$r]}" "${UNIT[$r]}" \
			"$(format_value "$pm")" "$(format_value "$vm")" "$ratio" "$paired" "${TARGET[$r]}" "$result" \
			"$pn/$vn" "$p" "$v"
	done
	echo
	for r in "${ROWS[@]}"; do
		[ -n "${NOTE[$r]}" ] && echo "- ${LABEL[$r]%%. *}. ${NOTE[$r]}"
	done
}

echo
if [ -n "$BENCH_REPORT" ]; then
	report | tee "$BENCH_REPORT"
else
	report
fi
