# The wrapper on its own: what happens without an agent, with bad
# bundles, and for commands that must pass through untouched.

test_wrapper() {
	E2E_GROUP=wrapper
	wrap="$VIGIL_BUILDDIR/vigil-runc"
	bundle="$WORK/wrapper-bundle"
	id="$E2E_PREFIX-wrapper"
	root="$WORK/runc-root"
	log="$WORK/wrapper-log.json"

	# No agent, fail-closed: create fails with a clear error, in runc's
	# JSON log format too, and config.json is left as it was.
	write_config "$WORK/closed.conf"
	write_bundle "$bundle" "$E2E_PREFIX-wrapper" sh -c 'echo ran'
	cp "$bundle/config.json" "$WORK/config.orig"
	if out=$("$wrap" --vigil-config "$WORK/closed.conf" --root "$root" --log "$log" --log-format json \
		run --bundle "$bundle" "$id" 2>&1); then
		fail "fail-closed refuses without an agent" "the container ran: $out"
	else
		expect_contains "fail-closed refuses without an agent" "on_agent_unreachable is fail-closed" "$out"
	fi
	expect_contains "error written to --log as JSON" '{"level":"error","msg":"' "$(cat "$log" 2>/dev/null)"
	if cmp -s "$bundle/config.json" "$WORK/config.orig"; then
		pass "fail-closed leaves config.json unchanged"
	else
		fail "fail-closed leaves config.json unchanged"
	fi

	# No agent, fail-open: the container runs unprotected, with a warning.
	write_config "$WORK/open.conf" on_agent_unreachable=fail-open listener_socket="$WORK/no-agent/vigild.sock"
	rm -f "$log"
	expect_ok "fail-open runs without an agent" "$wrap" --vigil-config "$WORK/open.conf" --root "$root" \
		--log "$log" --log-format json run --bundle "$bundle" "$id"
	expect_contains "fail-open output" "ran" "$LAST_OUTPUT"
	expect_contains "fail-open warning logged" '"level":"warning"' "$(cat "$log" 2>/dev/null)"
	if cmp -s "$bundle/config.json" "$WORK/config.orig"; then
		pass "fail-open leaves config.json unchanged"
	else
		fail "fail-open leaves config.json unchanged"
	fi
	runc --root "$root" delete -f "$id" >/dev/null 2>&1

	write_config "$WORK/wrapper.conf"
	start_agent "$WORK/wrapper.conf" || return

	# A bundle merged once can be created again: with the agent up, and
	# with it down and failing open, when the wrapper takes its listener
	# out again.
	expect_ok "run a container" "$wrap" --vigil-config "$WORK/wrapper.conf" --root "$root" \
		run --bundle "$bundle" "$id"
	"$wrap" --vigil-config "$WORK/wrapper.conf" --root "$root" delete -f "$id" >/dev/null 2>&1
	expect_ok "run it again from the merged bundle" "$wrap" --vigil-config "$WORK/wrapper.conf" \
		--root "$root" run --bundle "$bundle" "$id"
	"$wrap" --vigil-config "$WORK/wrapper.conf" --root "$root" delete -f "$id" >/dev/null 2>&1
	expect_ok "merged bundle fails open without an agent" "$wrap" --vigil-config "$WORK/open.conf" \
		--root "$root" run --bundle "$bundle" "$id"
	expect_contains "fail-open says it removed the listener" "removed the seccomp listener" "$LAST_OUTPUT"
	if grep -q listenerPath "$bundle/config.json"; then
		fail "fail-open leaves no listener in the bundle" "$(grep -o '"listenerPath":"[^"]*"' "$bundle/config.json")"
	else
		pass "fail-open leaves no listener in the bundle"
	fi
	"$wrap" --vigil-config "$WORK/wrapper.conf" --root "$root" delete -f "$id" >/dev/null 2>&1

	# A bundle whose profile already has a listener: a clear error naming
	# it, and the bundle is not touched.
	sed 's|"linux": {|"linux": {"seccomp": {"defaultAction": "SCMP_ACT_ALLOW", "listenerPath": "/run/other-agent.sock", "syscalls": [{"names": ["mkdirat"], "action": "SCMP_ACT_NOTIFY"}]},|' \
		"$WORK/config.orig" >"$bundle/config.json"
	cp "$bundle/config.json" "$WORK/config.foreign"
	expect_denied "foreign listenerPath is rejected" "/run/other-agent.sock" \
		"$wrap" --vigil-config "$WORK/wrapper.conf" --root "$root" run --bundle "$bundle" "$id"
	if cmp -s "$bundle/config.json" "$WORK/config.foreign"; then
		pass "rejected bundle is unchanged"
	else
		fail "rejected bundle is unchanged"
	fi

	# Malformed config.json: the parser's reason, nothing rewritten.
	printf '{"ociVersion": "1.0.2", "process": ' >"$bundle/config.json"
	expect_denied "malformed config.json is rejected" "invalid JSON" \
		"$wrap" --vigil-config "$WORK/wrapper.conf" --root "$root" create --bundle "$bundle" "$id"
	expect_contains "malformed config.json left as it was" '"process": ' "$(cat "$bundle/config.json")"

	# A bad configuration file names the file, the line and the value; it
	# stops create, but not the commands that clean up.
	printf 'learning_seconds = soon\n' >"$WORK/bad.conf"
	cp "$WORK/config.orig" "$bundle/config.json"
	expect_denied "invalid configuration stops create" "bad.conf:1" \
		"$wrap" --vigil-config "$WORK/bad.conf" --root "$root" create --bundle "$bundle" "$id"
	expect_ok "invalid configuration leaves list working" \
		"$wrap" --vigil-config "$WORK/bad.conf" --root "$root" list
	expect_contains "invalid configuration warns" "bad.conf:1" "$LAST_OUTPUT"

	# Other commands are plain execs of runc: same output.
	cp "$WORK/config.orig" "$bundle/config.json"
	expect_ok_detached "create through the wrapper" "$wrap" --vigil-config "$WORK/wrapper.conf" --root "$root" \
		create --bundle "$bundle" "$id"
	for cmd in "state $id" "list" "ps $id"; do
		# shellcheck disable=SC2086
		a=$("$wrap" --vigil-config "$WORK/wrapper.conf" --root "$root" $cmd 2>&1)
		# shellcheck disable=SC2086
		b=$(runc --root "$root" $cmd 2>&1)
		if [ "$a" = "$b" ]; then
			pass "\`$cmd\` passes through"
		else
			fail "\`$cmd\` passes through" "wrapper: $a" "runc: $b"
		fi
	done
	a=$("$wrap" --vigil-config "$WORK/wrapper.conf" features 2>&1)
	b=$(runc features 2>&1)
	if [ "$a" = "$b" ]; then pass "\`features\` passes through"; else fail "\`features\` passes through"; fi
	a=$("$wrap" --version 2>&1)
	b=$(runc --version 2>&1)
	if [ "$a" = "$b" ]; then pass "\`--version\` passes through"; else fail "\`--version\` passes through"; fi
	expect_ok "start through the wrapper" "$wrap" --vigil-config "$WORK/wrapper.conf" --root "$root" start "$id"
	wait_until 10 sh -c "runc --root '$root' state '$id' | grep -q stopped"
	expect_ok "delete through the wrapper" "$wrap" --vigil-config "$WORK/wrapper.conf" --root "$root" delete "$id"
	stop_agent
}
