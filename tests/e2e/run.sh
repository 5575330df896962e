#!/bin/bash
# End-to-end tests: real containers through vigil-runc and vigild, with
# runc and crun directly, podman --runtime and containerd (ctr run
# --runc-binary).  Needs root and those tools; without them it skips
# (exit 77) unless VIGIL_E2E_REQUIRED=1, which CI sets.
#
# Usage: tests/e2e/run.sh [GROUP]...
#   groups: wrapper runc crun podman containerd lifecycle exec_hold
#           exec_hold_podman network network_podman rules

set -u

: "${VIGIL_SRCDIR:=$(cd "$(dirname "$0")/../.." && pwd)}"
# Run by hand, the tests use build/ (where scripts/build.sh builds) unless
# the tree itself was built.
if [ -z "${VIGIL_BUILDDIR:-}" ]; then
	VIGIL_BUILDDIR=$VIGIL_SRCDIR/build
	[ -x "$VIGIL_SRCDIR/vigild" ] && VIGIL_BUILDDIR=$VIGIL_SRCDIR
fi
VIGILD="$VIGIL_BUILDDIR/vigild"
BUSYBOX=${BUSYBOX:-/bin/busybox}

. "$VIGIL_SRCDIR/tests/e2e/lib.sh"
. "$VIGIL_SRCDIR/tests/e2e/host_quirks.sh"
. "$VIGIL_SRCDIR/tests/e2e/test_wrapper.sh"
. "$VIGIL_SRCDIR/tests/e2e/test_oci.sh"
. "$VIGIL_SRCDIR/tests/e2e/test_podman.sh"
. "$VIGIL_SRCDIR/tests/e2e/test_containerd.sh"
. "$VIGIL_SRCDIR/tests/e2e/test_lifecycle.sh"
. "$VIGIL_SRCDIR/tests/e2e/test_exec_hold.sh"
. "$VIGIL_SRCDIR/tests/e2e/test_network.sh"
. "$VIGIL_SRCDIR/tests/e2e/test_rules.sh"

cannot_run() {
	echo "e2e: $1" >&2
	if [ "${VIGIL_E2E_REQUIRED:-0}" = 1 ]; then
		exit 1
	fi
	exit 77
}

[ "$(id -u)" = 0 ] || cannot_run "needs root"
for tool in runc crun podman containerd ctr setpriv unshare nsenter "$BUSYBOX" "$VIGILD" "$VIGIL_BUILDDIR/vigil-runc" \
	"$VIGIL_BUILDDIR/vigilctl"; do
	command -v "$tool" >/dev/null 2>&1 || cannot_run "\`$tool\` not found"
done
"$BUSYBOX" --list 2>/dev/null | grep -qx wget || cannot_run "$BUSYBOX has no wget applet (install busybox-static)"

WORK=$(mktemp -d /tmp/vigil-e2e.XXXXXX)
AGENT_PID=""
CONTAINERD_PID=""

cleanup() {
	stop_agent
	stop_containerd
	# Helpers a group started on the host (servers in its network
	# namespace) and left behind when it ended early.
	for exe in /proc/[0-9]*/exe; do
		case $(readlink "$exe" 2>/dev/null) in
		"$WORK"/*)
			pid=${exe#/proc/}
			kill "${pid%/exe}" 2>/dev/null
			;;
		esac
	done
	for r in "$WORK"/runc-root /run/runc; do
		runc --root "$r" list -q 2>/dev/null | grep "^$E2E_PREFIX" | while read -r c; do
			runc --root "$r" delete -f "$c" >/dev/null 2>&1
		done
	done
	crun list -q 2>/dev/null | grep "^$E2E_PREFIX" | while read -r c; do
		crun delete -f "$c" >/dev/null 2>&1
	done
	grep -o " $WORK/[^ ]*" /proc/self/mounts | sort -r | while read -r m; do umount -l "$m" 2>/dev/null; done
	if [ "${VIGIL_E2E_KEEP:-0}" = 1 ]; then
		echo "# scratch directory kept: $WORK"
	else
		rm -rf "$WORK"
	fi
}
trap cleanup EXIT

fix_host_quirks
build_helpers

groups=${*:-wrapper runc crun podman containerd lifecycle exec_hold exec_hold_podman network network_podman rules}
for group in $groups; do
	note "group $group"
	"test_$group"
	stop_agent
done

if [ -s "$WORK/vigild.log" ] && [ "$E2E_FAILED" -gt 0 ]; then
	note "last lines of vigild's log:"
	tail -20 "$WORK/vigild.log" | sed 's/^/#   /'
fi
echo "e2e: $E2E_PASSED passed, $E2E_FAILED failed, $E2E_SKIPPED skipped"
[ "$E2E_FAILED" -eq 0 ]
