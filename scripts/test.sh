#!/bin/sh
# Set up a Debian 12 machine and run every test: the cmocka unit tests and
# the end-to-end tests on real runc, crun, podman and containerd
# containers, first in a normal build, then in an ASan + UBSan build.
# Run as root from the source tree.
set -eu

src=$(cd "$(dirname "$0")/.." && pwd)
cd "$src"
if [ "$(id -u)" != 0 ]; then
	echo "scripts/test.sh: run as root (the tests create containers)" >&2
	exit 1
fi

scripts/install-deps.sh
# Missing tools fail the end-to-end tests here instead of skipping them.
export VIGIL_E2E_REQUIRED=1

status=0
run_suite() {
	name=$1
	dir=$2
	echo "== $name"
	if make -C "$dir" check >"$dir/check.out" 2>&1; then
		grep -E '^(PASS|FAIL|SKIP|ERROR|XFAIL|XPASS):' "$dir/check.out"
	else
		status=1
		grep -E '^(PASS|FAIL|SKIP|ERROR|XFAIL|XPASS):' "$dir/check.out" || tail -30 "$dir/check.out"
		for log in "$dir"/tests/unit/*.log "$dir"/tests/e2e/*.log; do
			[ -f "$log" ] && grep -qE '^(FAIL|ERROR)|not ok|FAILED' "$log" && { echo "--- $log"; cat "$log"; }
		done
	fi
	# Each test program's own summary: cmocka's and the e2e runner's.
	grep -h -E '^\[  (PASSED|FAILED)  \] [0-9]+ test|^e2e: [0-9]+ passed' \
		"$dir"/tests/unit/*.log "$dir"/tests/e2e/*.log 2>/dev/null || true
}

BUILD_DIR="$src/build" scripts/build.sh
run_suite "build with -Werror" "$src/build"

BUILD_DIR="$src/build-asan" CONFIGURE_FLAGS=--enable-sanitizers scripts/build.sh
run_suite "build with AddressSanitizer and UndefinedBehaviorSanitizer" "$src/build-asan"

passed=$(cat "$src"/build/check.out "$src"/build-asan/check.out | sed -n 's/^# PASS: *//p' | awk '{s+=$1} END {print s+0}')
failed=$(cat "$src"/build/check.out "$src"/build-asan/check.out | sed -n -e 's/^# FAIL: *//p' -e 's/^# ERROR: *//p' | awk '{s+=$1} END {print s+0}')
echo "test programs: $passed passed, $failed failed"
exit $status
