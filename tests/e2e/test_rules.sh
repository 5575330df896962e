# Operator rules, their effects and reload; capabilities of a CI image;
# the hash feed and executions from temporary storage, on runc
# containers.

# rules_alert_has DESCRIPTION BEFORE NEEDLE...: exactly one new alert, and
# it contains every NEEDLE.
rules_alert_has() {
	desc=$1
	before=$2
	shift 2
	sleep 0.3
	now=$(alert_count)
	last=$(last_alert)
	if [ "$now" -ne $((before + 1)) ]; then
		fail "$desc" "expected 1 new alert, got $((now - before))" "$(tail -3 "$WORK/alerts.json" 2>/dev/null)"
		return
	fi
	for needle in "$@"; do
		if ! printf '%s' "$last" | grep -qF -- "$needle"; then
			fail "$desc" "\`$needle\` not in the alert" "$last"
			return
		fi
	done
	pass "$desc"
}

# write_rules BLOCKED_PROCESS: the rules of the group, blocking
# BLOCKED_PROCESS (a name) in the web image.
write_rules() {
	cat >"$WORK/rules.d/20-web.json" <<EOF
{
  "version": 1,
  "rules": [
    {
      "name": "stopper",
      "scope": { "containers": ["$E2E_PREFIX-rules-stop"] },
      "processes": { "effect": "block" }
    },
    {
      "name": "web",
      "scope": { "images": ["$E2E_PREFIX-web*"], "annotations": { "vigil.test/tier": "front*" } },
      "effect": "prevent",
      "processes": { "allowed": ["/bin/extra.sh"], "blocked": ["$1"] }
    },
    {
      "name": "untrusted",
      "scope": { "images": ["$E2E_PREFIX-untrusted"] },
      "effect": "prevent",
      "processes": { "blocked": ["nc"] },
      "network": { "blocked": [{ "protocol": "unix", "address": "/run/app.sock" }] },
      "files": { "blocked": ["/etc/blocked/"] }
    }
  ]
}
EOF
}

test_rules() {
	E2E_GROUP=rules
	conf="$WORK/rules.conf"
	denied="operation not permitted"
	web_image="$E2E_PREFIX-web"
	web_key="-/-/-/$web_image"
	ci_image="$E2E_PREFIX-jenkins-agent"
	ci_key="-/-/-/$ci_image"
	mal_image="$E2E_PREFIX-untrusted"
	mal_key="-/-/-/$mal_image"
	rt() { "$VIGIL_BUILDDIR/vigil-runc" --vigil-config "$conf" "$@"; }
	ctl() { "$VIGIL_BUILDDIR/vigilctl" --config "$conf" "$@"; }

	mkdir -p "$WORK/rules.d"
	write_rules no-such-program
	# Two files for the hash feed: a script whose SHA-256 is listed and
	# one whose MD5 is.  Both are in the image from the start, so only
	# their hashes make them malware.
	bundle="$WORK/rules-mal-bundle"
	mkdir -p "$bundle"
	build_rootfs "$bundle/rootfs"
	printf '#!/bin/sh\necho evil-sha-%s\n' "$E2E_PREFIX" >"$bundle/rootfs/bin/evil-sha"
	printf '#!/bin/sh\necho evil-md5-%s\n' "$E2E_PREFIX" >"$bundle/rootfs/bin/evil-md5"
	chmod 755 "$bundle/rootfs/bin/evil-sha" "$bundle/rootfs/bin/evil-md5"
	# A dynamic program run through the loader, which maps it without an
	# exec: made unique so that only this copy is listed.
	if [ -x "$WORK/dynhello" ]; then
		cp "$WORK/dynhello" "$bundle/rootfs/bin/evil-dyn"
		printf 'unique-%s' "$E2E_PREFIX" >>"$bundle/rootfs/bin/evil-dyn"
	fi
	# What the container writes later, listed as well.
	printf '#!/bin/sh\necho dropped-%s\n' "$E2E_PREFIX" >"$WORK/dropped"
	{
		echo "# test feed"
		echo "$(sha256sum <"$bundle/rootfs/bin/evil-sha" | cut -d' ' -f1) Test.Evil.Sha"
		echo "$(md5sum <"$bundle/rootfs/bin/evil-md5" | cut -d' ' -f1)"
		echo "$(sha256sum <"$WORK/dropped" | cut -d' ' -f1) Test.Dropped"
		echo "$(printf 'data-%s\n' "$E2E_PREFIX" | sha256sum | cut -d' ' -f1) Test.Data"
		[ -f "$bundle/rootfs/bin/evil-dyn" ] && echo "$(sha256sum <"$bundle/rootfs/bin/evil-dyn" | cut -d' ' -f1) Test.Dyn"
	} >"$WORK/hashes.txt"
	mkdir -p "$bundle/rootfs/etc/blocked" "$bundle/rootfs/run"
	# A program kept in /tmp of the image: run from temporary storage.
	cp -p "$BUSYBOX" "$bundle/rootfs/tmp/busybox"

	# A slow tick keeps the record of a stopped container until the next
	# one, as on a production node: the re-created container below needs it.
	write_config "$conf" "rules=$WORK/rules.d" "hash_feed=$WORK/hashes.txt" learning_seconds=3600 tick_ms=2000 \
		alert_outputs=file,syslog
	expect_ok "vigilctl rules check accepts the rules" ctl rules check "$WORK/rules.d"
	expect_contains "rules check lists them" "web " "$LAST_OUTPUT"

	# Syslog: vigild runs in a mount namespace of its own whose /dev has
	# a stand-in for /dev/log (glibc's syslog writes to that path), so the
	# machine's logging is not touched.
	mkdir -p "$WORK/dev"
	touch "$WORK/dev/null"
	"$WORK/nethelper" logsink "$WORK/dev/log" "$WORK/syslog.txt" &
	logsink=$!
	wait_until 5 test -S "$WORK/dev/log"
	cat >"$WORK/vigild-private-dev" <<EOF
#!/bin/sh
mount --make-rprivate / && mount --bind /dev/null "$WORK/dev/null" && mount --bind "$WORK/dev" /dev || exit 1
exec "$VIGILD" "\$@"
EOF
	chmod 755 "$WORK/vigild-private-dev"
	# unshare runs the script in place and the script execs vigild, so
	# AGENT_PID is vigild's pid.
	unshare -m "$WORK/vigild-private-dev" --config "$conf" --log-level debug >>"$WORK/vigild.log" 2>&1 &
	AGENT_PID=$!
	if ! wait_until 10 test -S "$WORK/run/vigild.sock"; then
		fail "agent starts" "no socket after 10 s" "$(tail -5 "$WORK/vigild.log")"
		return
	fi

	# --- The hash feed and temporary storage, while the model learns.
	write_bundle "$bundle" "$mal_image" sleep 600
	expect_ok_detached "untrusted container starts" rt run -d --bundle "$bundle" "$E2E_PREFIX-rules-mal"
	before=$(alert_count)
	expect_denied "a file whose SHA-256 is in the feed is denied while learning" "$denied" \
		rt exec "$E2E_PREFIX-rules-mal" /bin/evil-sha
	rules_alert_has "the SHA-256 match is alerted as malware" "$before" '"rule":"Malware"' \
		'"mode":"learning"' '"action":"denied"' "Test.Evil.Sha" "/bin/evil-sha"
	wait_until 5 grep -q "Test.Evil.Sha" "$WORK/syslog.txt"
	syslog_line=$(grep "Test.Evil.Sha" "$WORK/syslog.txt" 2>/dev/null)
	# <26>: facility daemon (3) times 8 plus priority crit (2).
	expect_contains "the alert went to syslog as daemon.crit" "<26>" "$syslog_line"
	expect_contains "as the same JSON line" '"rule":"Malware"' "$syslog_line"
	before=$(alert_count)
	expect_denied "a file whose MD5 is in the feed is denied while learning" "$denied" \
		rt exec "$E2E_PREFIX-rules-mal" /bin/evil-md5
	rules_alert_has "the MD5 match names the MD5" "$before" '"rule":"Malware"' \
		"whose MD5 $(md5sum <"$WORK/rules-mal-bundle/rootfs/bin/evil-md5" | cut -d' ' -f1) is in"
	loader=/lib64/ld-linux-x86-64.so.2
	if [ -f "$bundle/rootfs/bin/evil-dyn" ] && [ -e "$bundle/rootfs$loader" ]; then
		before=$(alert_count)
		expect_denied "a listed program run through the loader is denied" "$denied" \
			rt exec "$E2E_PREFIX-rules-mal" "$loader" /bin/evil-dyn
		rules_alert_has "the loader's program is alerted as malware" "$before" "Test.Dyn" "dynamic loader"
	else
		skip "a listed program run through the loader is denied" "no x86-64 loader in the root"
	fi
	before=$(alert_count)
	expect_ok "a file written with a listed hash is alerted" \
		rt exec "$E2E_PREFIX-rules-mal" sh -c "printf '#!/bin/sh\\necho dropped-$E2E_PREFIX\\n' >/root/dropped"
	rules_alert_has "the written malware is reported by the file sensor" "$before" '"sensor":"file"' \
		'"file":"/root/dropped"' "Test.Dropped"
	# Written and run by one process at once: two events, two alerts.
	before=$(alert_count)
	expect_denied "a listed file written and run at once is denied" "$denied" \
		rt exec "$E2E_PREFIX-rules-mal" sh -c "printf '#!/bin/sh\\necho dropped-$E2E_PREFIX\\n' >/root/w.sh; chmod +x /root/w.sh; exec /root/w.sh"
	sleep 0.5
	new_alerts=$(grep -v '"rule":"Alerts folded"' "$WORK/alerts.json" | tail -n +$((before + 1)))
	if [ "$(alert_count)" -eq $((before + 2)) ] &&
		printf '%s' "$new_alerts" | grep -q '"sensor":"file".*"action":"alerted"' &&
		printf '%s' "$new_alerts" | grep -q '"sensor":"process".*"action":"denied"'; then
		pass "the write and the exec are alerted apart"
	else
		fail "the write and the exec are alerted apart" "$(tail -3 "$WORK/alerts.json")"
	fi
	before=$(alert_count)
	expect_ok "a data file with a listed hash is not hashed when written" \
		rt exec "$E2E_PREFIX-rules-mal" sh -c "printf 'data-$E2E_PREFIX\\n' >/root/data"
	expect_no_new_alert "so it raises no alert" "$before"
	before=$(alert_count)
	expect_ok "a program in /tmp of the image runs while learning" \
		rt exec "$E2E_PREFIX-rules-mal" /tmp/busybox true
	rules_alert_has "running from /tmp is alerted" "$before" '"rule":"Execution from temporary storage"' \
		'"action":"alerted"'
	# Blocked entries apply while the model learns, before any threat
	# check that would only alert.
	expect_denied "a blocked program copied to /tmp is denied while learning" "$denied" \
		rt exec "$E2E_PREFIX-rules-mal" sh -c 'cp /bin/busybox /tmp/nc && exec /tmp/nc -h'
	expect_contains "by its rule" "blocked by rule \`untrusted\`" "$(last_alert)"
	expect_denied "a new file below a blocked prefix is denied" "$denied" \
		rt exec "$E2E_PREFIX-rules-mal" sh -c 'echo x >/etc/blocked/new'
	expect_denied "also through .. in its path" "$denied" \
		rt exec "$E2E_PREFIX-rules-mal" sh -c 'echo x >/tmp/../etc//blocked/new'
	expect_denied "and through a symlink to the directory" "$denied" \
		rt exec "$E2E_PREFIX-rules-mal" sh -c 'ln -s /etc/blocked /tmp/b && echo x >/tmp/b/new'
	expect_ok "writes elsewhere go through" rt exec "$E2E_PREFIX-rules-mal" sh -c 'echo x >/etc/other'
	# A blocked unix socket, by any spelling of its path.
	if [ -x "$bundle/rootfs/bin/nethelper" ]; then
		expect_denied "a blocked unix socket is refused" "$denied" \
			rt exec "$E2E_PREFIX-rules-mal" /bin/nethelper uconnect /run/app.sock
		expect_denied "also as /run//app.sock" "$denied" \
			rt exec "$E2E_PREFIX-rules-mal" /bin/nethelper uconnect /run//app.sock
		expect_denied "also relative to the working directory" "$denied" \
			rt exec --cwd /run "$E2E_PREFIX-rules-mal" /bin/nethelper uconnect app.sock
		expect_denied "and through a link to its directory" "$denied" \
			rt exec "$E2E_PREFIX-rules-mal" sh -c 'ln -s /run /tmp/r && exec /bin/nethelper uconnect /tmp/r/app.sock'
		expect_denied "another unix socket only meets the kernel" "No such file" \
			rt exec "$E2E_PREFIX-rules-mal" /bin/nethelper uconnect /run/other.sock
	else
		skip "a blocked unix socket is refused" "no network helper"
	fi
	ctl models show "$mal_key" >"$WORK/mal-model.txt" 2>&1
	expect_contains "the model is still learning" "learning" "$(grep '^Mode:' "$WORK/mal-model.txt")"
	if grep -q "evil-" "$WORK/mal-model.txt"; then
		fail "the learning model did not learn the malware" "$(grep evil- "$WORK/mal-model.txt")"
	else
		pass "the learning model did not learn the malware"
	fi
	rt delete -f "$E2E_PREFIX-rules-mal" >/dev/null 2>&1

	# --- A web container: allowed and blocked processes.
	bundle="$WORK/rules-web-bundle"
	write_bundle "$bundle" "$web_image" sleep 600
	printf '#!/bin/sh\necho extra-ran\n' >"$bundle/rootfs/bin/extra.sh"
	chmod 755 "$bundle/rootfs/bin/extra.sh"
	sed -i 's|"vigil.image": "[^"]*"|&, "vigil.test/tier": "frontend"|' "$bundle/config.json"
	id="$E2E_PREFIX-rules-web"
	expect_ok_detached "web container starts" rt run -d --bundle "$bundle" "$id"
	expect_ok "web learns id" rt exec "$id" id
	expect_ok "web learns cat" rt exec "$id" cat /etc/hostname
	expect_ok "models learn stop makes the model active" ctl models learn stop "$web_key"
	wait_for_active "$web_key" 10

	rules=$(ctl rules list)
	expect_contains "rules list shows the web rule on one container" "web                      prevent" "$rules"
	before=$(alert_count)
	expect_ok "an allowed entry runs outside the model" rt exec "$id" /bin/extra.sh
	expect_contains "the allowed script ran" "extra-ran" "$LAST_OUTPUT"
	expect_no_new_alert "an allowed entry raises no alert" "$before"
	expect_ok "learned id runs before it is blocked" rt exec "$id" id

	# Reload: id is blocked, although the model learned it.
	write_rules id
	expect_ok "vigilctl rules reload" ctl rules reload
	before=$(alert_count)
	expect_denied "a blocked entry denies a learned program" "$denied" rt exec "$id" id
	rules_alert_has "the block names the rule" "$before" '"rule":"Blocked by rule"' '"policy_rule":"web"' \
		"blocked by rule \`web\`"
	expect_ok "other learned programs still run" rt exec "$id" cat /etc/hostname

	# A rules file with an error is rejected; the rules in force stay.
	printf '{"rules": [{"name": "broken", "processes": {"blocked": "id"}}]}\n' >"$WORK/rules.d/30-broken.json"
	out=$(ctl rules reload 2>&1)
	expect_contains "a broken rules file is rejected with file and JSON path" \
		"30-broken.json: rules[0].processes.blocked: expected an array of strings, found a string" "$out"
	expect_denied "the previous rules stay in force" "$denied" rt exec "$id" id
	kill -HUP "$AGENT_PID"
	sleep 0.5
	expect_contains "SIGHUP reports the same error" "30-broken.json: rules[0]" "$(tail -20 "$WORK/vigild.log")"
	rm -f "$WORK/rules.d/30-broken.json"

	# --- The block effect stops the whole container.
	bundle="$WORK/rules-stop-bundle"
	write_bundle "$bundle" "$web_image" sleep 600
	stop_id="$E2E_PREFIX-rules-stop"
	expect_ok_detached "a second container of the image starts" rt run -d --bundle "$bundle" "$stop_id"
	before=$(alert_count)
	if rt exec "$stop_id" /bin/hello.sh >/dev/null 2>&1; then
		fail "an exec outside the model under a block effect fails" "it ran"
	else
		pass "an exec outside the model under a block effect fails"
	fi
	rules_alert_has "the block effect is alerted" "$before" '"action":"blocked"' '"effect":"block"' \
		'"policy_rule":"stopper"'
	if wait_until 10 sh -c "'$VIGIL_BUILDDIR/vigil-runc' --vigil-config '$conf' state '$stop_id' | grep -q '\"status\": \"stopped\"'"; then
		pass "the block effect stopped the container"
	else
		fail "the block effect stopped the container" "$(rt state "$stop_id" 2>&1 | grep status)"
	fi
	expect_ok "the other container of the model still runs" rt exec "$id" cat /etc/hostname

	# An engine's restart: the same id again, at once.  The new container
	# is watched and stopped by the same rule.
	rt delete -f "$stop_id" >/dev/null 2>&1
	expect_ok_detached "the container is created again under its id" rt run -d --bundle "$bundle" "$stop_id"
	rt delete -f "$stop_id" >/dev/null 2>&1
	expect_ok_detached "and again, before vigild saw the last one stop" rt run -d --bundle "$bundle" "$stop_id"
	sleep 1
	expect_contains "vigild watches the new container" "\"$stop_id\"" "$(ctl --json containers list)"
	rt exec "$stop_id" /bin/hello.sh >/dev/null 2>&1
	if wait_until 10 sh -c "'$VIGIL_BUILDDIR/vigil-runc' --vigil-config '$conf' state '$stop_id' | grep -q '\"status\": \"stopped\"'"; then
		pass "the block effect stops the new container too"
	else
		fail "the block effect stops the new container too" "$(rt state "$stop_id" 2>&1 | grep status)" \
			"$(grep "$stop_id" "$WORK/vigild.log" | tail -3)"
	fi
	rt delete -f "$stop_id" >/dev/null 2>&1
	rt delete -f "$id" >/dev/null 2>&1

	# --- A Jenkins-like image: recognised, and a freshly built binary runs.
	bundle="$WORK/rules-ci-bundle"
	write_bundle "$bundle" "$ci_image" sleep 600
	ci_id="$E2E_PREFIX-rules-ci"
	expect_ok_detached "CI container starts" rt run -d --bundle "$bundle" "$ci_id"
	expect_ok "CI learns its shell" rt exec "$ci_id" sh -c true
	expect_ok "models learn stop makes the CI model active" ctl models learn stop "$ci_key"
	wait_for_active "$ci_key" 10
	expect_ok "models show lists the capabilities" ctl models show "$ci_key"
	expect_contains "with the reason for them" \
		"writes-and-executes-binaries: recognised as a CI agent: image \`$ci_image\`" "$LAST_OUTPUT"
	before=$(alert_count)
	expect_ok "a binary the job builds runs in the CI container" \
		rt exec "$ci_id" sh -c 'mkdir -p /tmp/ws && cp /bin/busybox /tmp/ws/busybox && /tmp/ws/busybox echo built-and-ran'
	expect_contains "the built binary ran" "built-and-ran" "$LAST_OUTPUT"
	expect_no_new_alert "no alert for the CI job" "$before"
	rt delete -f "$ci_id" >/dev/null 2>&1

	# The same job in the web image is drift.
	bundle="$WORK/rules-web2-bundle"
	write_bundle "$bundle" "$web_image" sleep 600
	expect_ok_detached "a web container starts again" rt run -d --bundle "$bundle" "$E2E_PREFIX-rules-web2"
	expect_denied "the same job is denied in an image without the capability" "$denied" \
		rt exec "$E2E_PREFIX-rules-web2" sh -c 'cp /bin/busybox /tmp/tool && /tmp/tool echo built'
	rt delete -f "$E2E_PREFIX-rules-web2" >/dev/null 2>&1
	stop_agent
	kill "$logsink" 2>/dev/null
	wait "$logsink" 2>/dev/null
}
