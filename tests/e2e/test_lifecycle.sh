# Model identity and lifecycle on real runc containers, with the agent's
# clock running 3600 times as fast (an hour a second), and vigilctl.

# cri_bundle DIR NAMESPACE POD ARG...: a bundle annotated like a container
# of containerd's CRI plugin, for a kubelet-passed image id.
cri_bundle() {
	dir=$1
	ns=$2
	pod=$3
	shift 3
	write_bundle "$dir" unused "$@"
	sed -i "s|\"annotations\": {\"vigil.image\": \"unused\"}|\"annotations\": {\"io.kubernetes.cri.container-type\": \"container\", \"io.kubernetes.cri.image-name\": \"$LC_IMAGE\", \"io.kubernetes.cri.sandbox-namespace\": \"$ns\", \"io.kubernetes.cri.sandbox-name\": \"$pod\", \"io.kubernetes.cri.container-name\": \"app\"}|" \
		"$dir/config.json"
}

ctl() { "$VIGIL_BUILDDIR/vigilctl" --config "$LC_CONF" "$@"; }
lc_runc() { "$VIGIL_BUILDDIR/vigil-runc" --vigil-config "$LC_CONF" "$@"; }

# model_field KEY FIELD: a field of the model's summary, from vigilctl --json.
model_field() {
	ctl --json models show "$1" 2>/dev/null | grep -m1 "\"$2\":" | sed 's/.*": *//; s/[",]//g'
}

model_count() {
	ctl --json models list | grep -c "\"key\": \"$1"
}

now_ms() { echo $(($(date +%s%N) / 1000000)); }

# enforcing KEY: active and past the dry run.
enforcing() {
	[ "$(model_field "$1" mode)" = active ] && [ "$(model_field "$1" dry_run)" = false ]
}

test_lifecycle() {
	E2E_GROUP=lifecycle
	LC_CONF="$WORK/lifecycle.conf"
	LC_IMAGE="sha256:$(printf '%064d' 7)"
	# On the scaled clock: learn 4 h (4 s), dry run 3 h, learn again 1 h,
	# archive after 2 h idle, keep archived models 3 h.
	write_config "$LC_CONF" clock_scale=3600 learning_seconds=14400 dry_run_seconds=10800 \
		relearn_seconds=3600 archive_after_seconds=7200 archive_keep_seconds=10800
	start_agent "$LC_CONF" || return
	b="$WORK/lc-bundle"
	id="$E2E_PREFIX-lc"
	denied="operation not permitted"

	# Identity: namespaces and deployments split models, pods of one
	# deployment share one.
	cri_bundle "$b" shop "web-7d4b9c5f6-x2x9z" sh -c 'cat /etc/hostname'
	expect_ok "pod of web in shop runs" lc_runc run --bundle "$b" "$id-a1"
	cri_bundle "$b" shop "web-7d4b9c5f6-k8m2p" sh -c 'cat /etc/hostname'
	expect_ok "second pod of web in shop runs" lc_runc run --bundle "$b" "$id-a2"
	cri_bundle "$b" staging "web-7d4b9c5f6-x2x9z" sh -c 'cat /etc/hostname'
	expect_ok "pod of web in staging runs" lc_runc run --bundle "$b" "$id-a3"
	cri_bundle "$b" shop "api-6c8f7d9b4-qwz7k" sh -c 'cat /etc/hostname'
	expect_ok "pod of api in shop runs" lc_runc run --bundle "$b" "$id-a4"
	for c in a1 a2 a3 a4; do lc_runc delete -f "$id-$c" >/dev/null 2>&1; done
	if [ "$(model_count "-/shop/web/$LC_IMAGE")" = 1 ] && [ "$(model_count "-/staging/web/$LC_IMAGE")" = 1 ] \
		&& [ "$(model_count "-/shop/api/$LC_IMAGE")" = 1 ] \
		&& [ "$(ctl --json models list | grep -c "\"key\": \"-/.*/$LC_IMAGE\"")" = 3 ]; then
		pass "one model per namespace and deployment"
	else
		fail "one model per namespace and deployment" "$(ctl models list)"
	fi
	ctl models show shop/ >/dev/null 2>&1
	rc=$?
	[ "$rc" = 1 ] && pass "ambiguous key exits 1" || fail "ambiguous key exits 1" "exit $rc"
	expect_contains "key source recorded" "deployment from the pod name" \
		"$(ctl models show "-/shop/web/$LC_IMAGE")"
	expect_contains "static entry from config.json" "/bin/sh                                  static" \
		"$(ctl models show "-/shop/web/$LC_IMAGE")"

	# Learning time adds up over containers: one runs 2 h (2 s) and stops,
	# a second then needs only the remaining 2 h.
	key="-/shop/sum/$LC_IMAGE"
	cri_bundle "$b" shop "sum-7d4b9c5f6-x2x9z" sh -c 'cat /etc/hostname; sleep 2'
	expect_ok "first container runs 2 h" lc_runc run --bundle "$b" "$id-s1"
	lc_runc delete -f "$id-s1" >/dev/null 2>&1
	learned=$(model_field "$key" learning_ms)
	if [ "$(model_field "$key" mode)" = learning ] && [ "${learned:-0}" -ge 7000000 ]; then
		pass "learning after one container: ${learned} ms of 14400000"
	else
		fail "learning after one container" "mode $(model_field "$key" mode), learning_ms $learned"
	fi
	cri_bundle "$b" shop "sum-7d4b9c5f6-k8m2p" sh -c 'cat /etc/hostname; exec sleep 600'
	start=$(now_ms)
	expect_ok_detached "second container starts" lc_runc run -d --bundle "$b" "$id-s2"
	if wait_until 10 sh -c "[ \"\$($VIGIL_BUILDDIR/vigilctl --config $LC_CONF --json models show $key | grep -m1 '\"mode\"' | grep -c active)\" = 1 ]"; then
		took=$(($(now_ms) - start))
		if [ "$took" -lt 3600 ]; then
			pass "second container completes the learning time (${took} ms, not 4000)"
		else
			fail "second container completes the learning time" "took ${took} ms: time did not add up"
		fi
	else
		fail "second container completes the learning time" "never active" "$(ctl models list)"
	fi

	# Dry run: behaviour outside the model sends it back to Learning and
	# runs; once learned again and past the dry run, it is enforced.
	before=$(alert_count)
	expect_ok "wget in the dry run runs" lc_runc exec "$id-s2" sh -c 'wget -q -O /dev/null http://127.0.0.1:9/ 2>/dev/null; true'
	expect_no_new_alert "dry run anomaly raises no alert" "$before"
	expect_contains "dry run anomaly returns to learning" '"mode": "learning"' "$(ctl --json models show "$key")"
	expect_contains "the anomaly was learned" '/bin/wget' "$(ctl models show "$key")"
	if wait_until 15 enforcing "$key"; then
		pass "active again after relearning and the dry run"
	else
		fail "active again after relearning and the dry run" "$(ctl models list)"
	fi
	expect_ok "relearned wget runs" lc_runc exec "$id-s2" sh -c 'wget -q -O /dev/null http://127.0.0.1:9/ 2>/dev/null; true'
	before=$(alert_count)
	expect_denied "after the dry run nc is denied" "$denied" lc_runc exec "$id-s2" nc 127.0.0.1 9
	expect_one_alert "after the dry run nc is alerted" "$before" /bin/nc "$id-s2"

	# Relearn keeps entries; manual learning has no time limit.
	expect_ok "models relearn" ctl models relearn "$key"
	expect_contains "relearn keeps old entries" '/bin/wget' "$(ctl models show "$key")"
	expect_ok "models learn start" ctl models learn start "$key"
	sleep 5
	expect_contains "manual learning outlasts the learning time" 'learning (manual)' "$(ctl models list)"
	expect_ok "nc runs while learning by hand" lc_runc exec "$id-s2" sh -c 'nc 127.0.0.1 9 2>/dev/null; true'
	expect_ok "models learn stop" ctl models learn stop "$key"
	expect_contains "manual learning added nc" '/bin/nc' "$(ctl models show "$key")"
	expect_contains "stopped learning is active" 'active (dry run' "$(ctl models list)"

	# vigilctl: containers, alerts --follow, errors, root only.
	expect_contains "containers list shows the container" "$id-s2" "$(ctl containers list)"
	wait_until 15 enforcing "$key"
	ctl alerts --follow --container "$id-s2" >"$WORK/follow.out" 2>&1 &
	follower=$!
	sleep 0.5
	lc_runc exec "$id-s2" /bin/busybox true >/dev/null 2>&1
	sleep 0.5
	kill "$follower" 2>/dev/null
	wait "$follower" 2>/dev/null
	expect_contains "alerts --follow streams alerts" "\"container_id\":\"$id-s2\"" "$(cat "$WORK/follow.out")"
	ctl models show no-such-model >/dev/null 2>&1
	rc=$?
	[ "$rc" = 1 ] && pass "unknown model exits 1" || fail "unknown model exits 1" "exit $rc"
	ctl models frobnicate >/dev/null 2>&1
	rc=$?
	[ "$rc" = 2 ] && pass "usage error exits 2" || fail "usage error exits 2" "exit $rc"
	for cmd in "" "models" "containers" "alerts"; do
		# shellcheck disable=SC2086
		if ctl $cmd --help | grep -q '^Usage: vigilctl'; then
			pass "\`vigilctl $cmd --help\`"
		else
			fail "\`vigilctl $cmd --help\`"
		fi
	done
	out=$(setpriv --reuid=65534 --regid=65534 --clear-groups "$VIGIL_BUILDDIR/vigilctl" --config /dev/null \
		--socket "$WORK/run/control.sock" models list 2>&1)
	rc=$?
	if [ "$rc" = 1 ] && printf '%s' "$out" | grep -q 'root only'; then
		pass "non-root is rejected"
	else
		fail "non-root is rejected" "exit $rc: $out"
	fi
	expect_denied "a model with containers cannot be deleted" "running containers" ctl models delete "$key"

	# Archive when idle, come back without learning, removal after the
	# keep time.
	lc_runc delete -f "$id-s2" >/dev/null 2>&1
	if wait_until 10 sh -c "$VIGIL_BUILDDIR/vigilctl --config $LC_CONF models list | grep -F -- '$key' | grep -q archived"; then
		pass "idle model is archived"
	else
		fail "idle model is archived" "$(ctl models list)"
	fi
	cri_bundle "$b" shop "sum-7d4b9c5f6-t7w4n" /bin/busybox true
	before=$(alert_count)
	expect_denied "archived model comes back active" "$denied" lc_runc run --bundle "$b" "$id-s3"
	expect_one_alert "returning model enforces at once" "$before" /bin/busybox "$id-s3"
	lc_runc delete -f "$id-s3" >/dev/null 2>&1
	if wait_until 20 sh -c "! $VIGIL_BUILDDIR/vigilctl --config $LC_CONF models show '$key' >/dev/null 2>&1"; then
		pass "archived model is removed after the keep time"
	else
		fail "archived model is removed after the keep time" "$(ctl models list)"
	fi
	if [ -z "$(model_file "$key")" ]; then
		pass "removed model's file is gone"
	else
		fail "removed model's file is gone" "$(model_file "$key")"
	fi

	if ! ctl models show "-/staging/web/$LC_IMAGE" >/dev/null 2>&1; then
		pass "the first pods' idle models were archived and removed meanwhile"
	else
		fail "the first pods' idle models were archived and removed meanwhile" "$(ctl models list)"
	fi

	# Operator archive and delete.
	okey="-/shop/ops/$LC_IMAGE"
	cri_bundle "$b" shop "ops-7d4b9c5f6-x2x9z" sh -c 'cat /etc/hostname'
	expect_ok "pod of ops runs" lc_runc run --bundle "$b" "$id-o1"
	lc_runc delete -f "$id-o1" >/dev/null 2>&1
	expect_ok "models archive" ctl models archive "$okey"
	expect_contains "archived by hand" 'archived' "$(ctl models list)"
	expect_ok "models delete" ctl models delete "$okey"
	if ! ctl models show "$okey" >/dev/null 2>&1 && [ -z "$(model_file "$okey")" ]; then
		pass "deleted model is gone"
	else
		fail "deleted model is gone" "$(ctl models list)"
	fi
	stop_agent
}
