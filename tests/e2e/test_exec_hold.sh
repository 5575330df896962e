# Exec decisions that hold (fanotify on the file the kernel opens) and
# the file system sensor, in runc and podman containers.

# hold_checks RUN_EXEC CONTAINER DENIED: the checks on a learned, active
# model; RUN_EXEC is a command prefix that runs ARG... in the container.
hold_checks() {
	run=$1
	cid=$2
	denied=$3

	# The race: one thread execs /bin/permitted while another rewrites the
	# path to /bin/forbidden.  The seccomp check can pass the first and
	# the kernel then open the second; fanotify reports the second.
	out=$($run /bin/race "${E2E_RACE_TRIES:-10000}" /bin/permitted /bin/forbidden 2>&1)
	rc=$?
	note "race: $out"
	forbidden=$(printf '%s' "$out" | sed -n 's/.* forbidden \([0-9]*\).*/\1/p')
	if [ "$rc" -eq 0 ] && [ "$forbidden" = 0 ]; then
		pass "path swapped after the check never runs the forbidden file"
	else
		fail "path swapped after the check never runs the forbidden file" "exit $rc: $out"
	fi
	# The race raises more than 50 alerts a second; the count of those not
	# written arrives in one alert when the second is over.
	sleep 1.5
	expect_contains "alerts over the rate limit are counted" '"action":"suppressed"' "$(cat "$WORK/alerts.json")"

	expect_ok "learned script runs" $run /bin/hello.sh
	expect_contains "learned script output" "script-ran" "$LAST_OUTPUT"
	expect_ok "learned dynamic binary runs" $run /bin/dynhello
	expect_ok "learned binary through fexecve runs" $run /bin/execat fd /bin/permitted

	before=$(alert_count)
	expect_denied "binary dropped by cp is denied" "$denied" \
		$run sh -c 'cp /bin/permitted /tmp/dropped && /tmp/dropped'
	expect_one_alert "dropped binary alerted once" "$before" /tmp/dropped "$cid"
	expect_contains "dropped binary is drift" "modified binary" "$(last_alert)"

	before=$(alert_count)
	expect_denied "dropped script is denied" "$denied" \
		$run sh -c 'printf "#!/bin/sh\necho hi\n" >/tmp/s.sh && chmod +x /tmp/s.sh && /tmp/s.sh'
	expect_one_alert "dropped script alerted once" "$before" /tmp/s.sh "$cid"

	before=$(alert_count)
	expect_denied "a dropped script's forbidden command is denied" "$denied" \
		$run sh -c 'printf "nc 127.0.0.1 9\n" >/tmp/x && sh /tmp/x'
	expect_one_alert "sh /tmp/x alerted once" "$before" /bin/nc "$cid"

	before=$(alert_count)
	expect_denied "memfd execution is denied" "$denied" $run /bin/execat memfd /bin/permitted
	expect_one_alert "memfd execution alerted once" "$before" /proc/self/fd/ "$cid"
	expect_contains "memfd is fileless" "fileless execution" "$(last_alert)"

	before=$(alert_count)
	expect_denied "dropped binary through ld.so is denied" "$denied" \
		$run sh -c 'cp /bin/dynhello /tmp/dyn && /lib64/ld-linux-x86-64.so.2 /tmp/dyn'
	expect_one_alert "ld.so execution alerted once" "$before" /tmp/dyn "$cid"
	expect_ok "learned binary through ld.so runs" $run /lib64/ld-linux-x86-64.so.2 /bin/dynhello

	# Writing a binary of the model is denied; the binary stays intact.
	before=$(alert_count)
	expect_denied "overwriting a learned binary is denied" "$denied" \
		$run sh -c 'cp /bin/forbidden /bin/permitted'
	now=$(alert_count)
	last=$(last_alert)
	if [ "$now" -eq $((before + 1)) ] && printf '%s' "$last" | grep -q '"file":"/bin/permitted"' \
		&& printf '%s' "$last" | grep -q '"sensor":"file"' && printf '%s' "$last" | grep -q '"action":"denied"'; then
		pass "overwrite alerted once"
	else
		fail "overwrite alerted once" "$((now - before)) alerts" "$(tail -2 "$WORK/alerts.json")"
	fi
	expect_ok "the learned binary is intact" $run /bin/permitted

	# busybox is learned as the file behind /bin/sh, not as a program of
	# its own: "busybox APPLET" is not a way around the model.
	before=$(alert_count)
	expect_denied "busybox run by its own name is denied" "$denied" $run /bin/busybox nc 127.0.0.1 9
	expect_one_alert "busybox by its own name alerted once" "$before" /bin/busybox "$cid"

	# A write to a protected path is denied, a read of it is not noticed.
	before=$(alert_count)
	expect_denied "write to a protected path is denied" "$denied" $run sh -c 'echo x >>/etc/passwd'
	expect_contains "protected path alerted" '"reason":"write to a protected path"' "$(last_alert)"
	before=$(alert_count)
	expect_ok "read of a protected path runs" $run cat /etc/passwd
	expect_no_new_alert "read of a protected path is not alerted" "$before"

	# Putting another file at a learned path: a symlink or a hard link in
	# place of a learned link, or a rename over a learned file.  These
	# change the container for good, so they come last.
	before=$(alert_count)
	expect_denied "a symlink swapped under a learned name is denied" "$denied" \
		$run sh -c 'rm /bin/cp && ln -s /bin/forbidden /bin/cp && /bin/cp'
	expect_one_alert "swapped symlink alerted once" "$before" /bin/cp "$cid"
	expect_contains "swapped symlink is not the learned file" "not the learned file" "$(last_alert)"
	before=$(alert_count)
	expect_denied "a hard link under a learned name is denied" "$denied" \
		$run sh -c 'rm /bin/cp && ln /bin/forbidden /bin/cp && /bin/cp'
	expect_one_alert "hard link alerted once" "$before" /bin/cp "$cid"
	before=$(alert_count)
	expect_denied "a file renamed over a learned file is denied" "$denied" \
		$run sh -c 'touch /bin/forbidden && mv /bin/forbidden /bin/permitted && /bin/permitted'
	expect_one_alert "rename over a learned file alerted once" "$before" /bin/permitted "$cid"
}

test_exec_hold() {
	E2E_GROUP=exec-hold
	conf="$WORK/hold.conf"
	bundle="$WORK/hold-bundle"
	id="$E2E_PREFIX-hold"
	key="-/-/-/$E2E_PREFIX-hold"

	write_config "$conf" protected_paths=/etc/passwd,/etc/shadow
	start_agent "$conf" || return
	expect_contains "agent uses fanotify" "fanotify FAN_OPEN_EXEC_PERM" "$(cat "$WORK/vigild.log")"
	rt() { "$VIGIL_BUILDDIR/vigil-runc" --vigil-config "$conf" "$@"; }
	write_bundle "$bundle" "$E2E_PREFIX-hold" sh -c 'mkdir -p /var/app && echo x >/var/app/state && exec sleep 600'
	expect_ok_detached "run a detached container" rt run -d --bundle "$bundle" "$id"

	# Learning: the programs the checks use, and what the container writes.
	for cmd in "/bin/permitted" "/bin/hello.sh" "/bin/dynhello" "/bin/execat fd /bin/permitted" \
		"/lib64/ld-linux-x86-64.so.2 /bin/dynhello" "/bin/race 1 /bin/permitted /bin/permitted" \
		"cp /etc/hostname /tmp/h" "cat /etc/passwd"; do
		# shellcheck disable=SC2086
		rt exec "$id" $cmd >/dev/null 2>&1
	done
	before=$(alert_count)
	expect_ok "memfd execution runs while learning" rt exec "$id" /bin/execat memfd /bin/busybox true
	expect_one_alert "memfd alerted while learning" "$before" /proc/self/fd/ "$id" alerted
	wait_for_active "$key" || return
	expect_model_has "$key" /bin/permitted /bin/hello.sh /bin/dynhello /bin/race
	# The loader is learned from the kernel's open of it, on the file level.
	expect_model_has "$key" /lib64/ld-linux-x86-64.so.2
	expect_contains "written directory learned" '"path": "/var/app"' "$(cat "$(model_file "$key")")"

	hold_checks "rt exec $id" "$id" "operation not permitted"

	# A binary planted before the agent restarts is still denied after it.
	rt exec "$id" sh -c 'cp /bin/sleep /tmp/planted' >/dev/null 2>&1
	sleep 0.3
	stop_agent
	start_agent "$conf" || return
	before=$(alert_count)
	expect_denied "binary planted before an agent restart is denied" "operation not permitted" \
		rt exec "$id" /tmp/planted 1
	expect_one_alert "planted binary alerted once" "$before" /tmp/planted "$id"
	rt delete -f "$id" >/dev/null 2>&1
	stop_agent
}

test_exec_hold_podman() {
	E2E_GROUP=exec-hold-podman
	conf="$WORK/hold-podman.conf"
	name="$E2E_PREFIX-hold-podman"

	write_config "$conf" protected_paths=/etc/passwd
	start_agent "$conf" || return
	build_rootfs "$WORK/hold-podman-rootfs"
	tar -C "$WORK/hold-podman-rootfs" -cf "$WORK/hold-podman.tar" .
	expect_ok "import the image" pm import "$WORK/hold-podman.tar" "localhost/$E2E_PREFIX:hold"
	key="-/-/-/sha256:$(pm image inspect --format '{{.Id}}' "localhost/$E2E_PREFIX:hold")"
	# shellcheck disable=SC2046
	expect_ok "run a detached container" pm run -d --name "$name" $(podman_run_flags "$conf") \
		"localhost/$E2E_PREFIX:hold" sh -c 'exec sleep 600'
	cid=$(pm inspect --format '{{.Id}}' "$name")
	for cmd in "/bin/permitted" "/bin/hello.sh" "/bin/dynhello" "/bin/execat fd /bin/permitted" \
		"/lib64/ld-linux-x86-64.so.2 /bin/dynhello" "/bin/race 1 /bin/permitted /bin/permitted" \
		"cat /etc/passwd" "cp /etc/hostname /tmp/h"; do
		# shellcheck disable=SC2086
		pm exec "$name" $cmd >/dev/null 2>&1
	done
	wait_for_active "$key" || return
	# Files of the image on the overlay's lower layer are no drift.
	expect_ok "image binary after a copy-up runs" pm exec "$name" sh -c 'chmod 755 /bin/hello.sh && /bin/hello.sh'
	# podman grants CAP_SYS_CHROOT: a learned name inside a chroot is a
	# different path of the container.
	before=$(alert_count)
	expect_denied "a learned name inside a chroot is denied" "operation not permitted" \
		pm exec "$name" sh -c 'mkdir -p /tmp/r/bin && ln /bin/forbidden /tmp/r/bin/permitted && chroot /tmp/r /bin/permitted'
	expect_one_alert "chroot exec alerted once" "$before" /tmp/r/bin/permitted "$cid"
	E2E_RACE_TRIES=${E2E_RACE_TRIES_PODMAN:-2000} hold_checks "pm exec $name" "$cid" "operation not permitted"
	pm rm -f -t 0 "$name" >/dev/null 2>&1
	pm rmi -f "localhost/$E2E_PREFIX:hold" >/dev/null 2>&1
	stop_agent
}
