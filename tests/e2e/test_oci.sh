# runc and crun run directly through the wrapper: learn, become active,
# enforce in the first container, in exec sessions and in a new container.

# oci_lifecycle NAME WRAPPER GLOBAL_FLAGS...: the wrapper binary decides
# the delegate (vigil-runc runs runc, vigil-crun runs crun).
oci_lifecycle() {
	E2E_GROUP=$1
	wrapper=$2
	shift 2
	image="$E2E_PREFIX-$E2E_GROUP"
	key="-/-/-/$image"
	conf="$WORK/$E2E_GROUP.conf"
	bundle="$WORK/$E2E_GROUP-bundle"
	id1="$E2E_PREFIX-$E2E_GROUP-1"
	id2="$E2E_PREFIX-$E2E_GROUP-2"
	denied="operation not permitted"

	write_config "$conf"
	start_agent "$conf" || return
	rt() { "$wrapper" --vigil-config "$conf" "$@"; }

	write_bundle "$bundle" "$image" sh -c 'ls /; cat /etc/hostname; exec sleep 600'
	expect_ok_detached "run a detached container" rt "$@" run -d --bundle "$bundle" "$id1"
	expect_contains "listenerPath merged into config.json" "$WORK/run/vigild.sock" "$(cat "$bundle/config.json")"

	# Learning: what runs now goes into the model.
	expect_ok "exec session while learning" rt "$@" exec "$id1" ls /
	expect_ok "relative exec while learning" rt "$@" exec "$id1" sh -c 'cd /bin && ./cat /etc/hostname'
	if [ -x "$WORK/exec32" ]; then
		expect_ok "32-bit exec while learning" rt "$@" exec "$id1" /bin/exec32 /bin/echo learned
	fi
	expect_ok "execveat relative to a directory fd while learning" \
		rt "$@" exec "$id1" /bin/execat at /bin echo learned
	wait_for_active "$key" || return
	expect_model_has "$key" /bin/sh /bin/cat /bin/ls /bin/sleep /bin/execat /bin/echo
	[ -x "$WORK/exec32" ] && expect_model_has "$key" /bin/exec32 /bin/echo

	# Active: learned programs still run.
	expect_ok "learned commands run" rt "$@" exec "$id1" sh -c 'ls /; cat /etc/hostname'
	expect_contains "learned commands print" "$E2E_PREFIX-host" "$LAST_OUTPUT"
	expect_ok "learned exec session runs" rt "$@" exec "$id1" ls /
	expect_ok "learned relative exec runs" rt "$@" exec "$id1" sh -c 'cd /bin && ./cat /etc/hostname'

	# Active: anything else is denied with one alert per attempt.
	before=$(alert_count)
	expect_denied "wget from a shell is denied" "$denied" \
		rt "$@" exec "$id1" sh -c 'wget -q -O /dev/null http://127.0.0.1:9/'
	expect_one_alert "wget denial alerted once" "$before" /bin/wget "$id1"

	before=$(alert_count)
	expect_denied "nc as an exec session is denied" "$denied" rt "$@" exec "$id1" nc 127.0.0.1 9
	expect_one_alert "nc denial alerted once" "$before" /bin/nc "$id1"

	before=$(alert_count)
	expect_denied "relative exec of wget is denied" "$denied" \
		rt "$@" exec "$id1" sh -c 'cd /bin && ./wget'
	expect_one_alert "relative wget denial alerted once" "$before" /bin/wget "$id1"

	before=$(alert_count)
	expect_denied "a learned name under another path is denied" "$denied" \
		rt "$@" exec "$id1" sh -c 'ln -s /bin/busybox /tmp/ls && /tmp/ls /'
	expect_one_alert "copied applet alerted once" "$before" /tmp/ls "$id1"

	if [ -x "$WORK/exec32" ]; then
		before=$(alert_count)
		expect_denied "32-bit execve of wget is denied" "$denied" \
			rt "$@" exec "$id1" /bin/exec32 /bin/wget
		expect_one_alert "32-bit denial alerted once" "$before" /bin/wget "$id1"
	else
		skip "32-bit execve of wget is denied" "no static compiler or no IA-32 emulation"
	fi

	# execveat and fexecve: the path comes from a directory fd or is the
	# fd itself, and /proc/self/fd links name the file the fd refers to.
	expect_ok "learned execveat from a directory fd runs" rt "$@" exec "$id1" /bin/execat at /bin echo ok
	before=$(alert_count)
	expect_denied "execveat of wget from a directory fd is denied" "$denied" \
		rt "$@" exec "$id1" /bin/execat at /bin wget
	expect_one_alert "execveat denial alerted once" "$before" /bin/wget "$id1"
	expect_ok "fexecve of a learned binary runs" rt "$@" exec "$id1" /bin/execat fd /bin/execat at /bin echo ok
	before=$(alert_count)
	expect_denied "fexecve of busybox is denied" "$denied" rt "$@" exec "$id1" /bin/execat fd /bin/wget
	expect_one_alert "fexecve denial alerted once" "$before" /bin/busybox "$id1"
	before=$(alert_count)
	expect_denied "exec through /proc/self/fd is denied" "$denied" \
		rt "$@" exec "$id1" sh -c 'exec 3</bin/busybox; /proc/self/fd/3 wget'
	expect_one_alert "/proc/self/fd denial alerted once" "$before" /bin/busybox "$id1"

	# A new container of the same model is enforced from its first exec.
	write_bundle "$bundle" "$image" sh -c 'cat /etc/hostname; nc 127.0.0.1 9'
	before=$(alert_count)
	expect_denied "new container of an active model is enforced" "$denied" rt "$@" run --bundle "$bundle" "$id2"
	expect_contains "new container ran its learned commands" "$E2E_PREFIX-host" "$LAST_OUTPUT"
	expect_one_alert "new container's denial alerted once" "$before" /bin/nc "$id2"
	rt "$@" delete -f "$id2" >/dev/null 2>&1

	# The model survives an agent restart.
	stop_agent
	start_agent "$conf" || return
	write_bundle "$bundle" "$image" sh -c 'cat /etc/hostname; wget'
	before=$(alert_count)
	expect_denied "model enforced after agent restart" "$denied" rt "$@" run --bundle "$bundle" "$id2"
	expect_one_alert "restart denial alerted once" "$before" /bin/wget "$id2"

	rt "$@" delete -f "$id2" >/dev/null 2>&1
	rt "$@" delete -f "$id1" >/dev/null 2>&1
	stop_agent
}

test_runc() {
	oci_lifecycle runc "$VIGIL_BUILDDIR/vigil-runc"
}

test_crun() {
	# The wrapper picks crun when its name ends in "crun".
	ln -sf "$VIGIL_BUILDDIR/vigil-runc" "$WORK/vigil-crun"
	oci_lifecycle crun "$WORK/vigil-crun" --cgroup-manager=disabled
}
