# podman with --runtime pointing at the wrapper, on an image imported from
# a tarball into a store of the test's own.

test_podman() {
	E2E_GROUP=podman
	conf="$WORK/podman.conf"
	name="$E2E_PREFIX-podman-1"
	# A second errno setting: the shell then prints "Permission denied".
	denied="permission denied"

	write_config "$conf" deny_errno=EACCES
	start_agent "$conf" || return

	run_flags=$(podman_run_flags "$conf")

	build_rootfs "$WORK/podman-rootfs"
	tar -C "$WORK/podman-rootfs" -cf "$WORK/podman-rootfs.tar" .
	expect_ok "import the image from a tarball" pm import "$WORK/podman-rootfs.tar" "localhost/$E2E_PREFIX:podman"
	image_id=$(pm image inspect --format '{{.Id}}' "localhost/$E2E_PREFIX:podman")
	key="-/-/-/sha256:$image_id"

	# shellcheck disable=SC2086
	expect_ok "run a detached container" pm run -d --name "$name" $run_flags \
		"localhost/$E2E_PREFIX:podman" sh -c 'ls /; cat /etc/hostname; exec sleep 600'
	expect_ok "exec session while learning" pm exec "$name" ls /
	expect_ok "relative exec while learning" pm exec "$name" sh -c 'cd /bin && ./cat /etc/hostname'

	wait_for_active "$key" || return
	f=$(model_file "$key")
	expect_contains "model key comes from containers-storage" "\"key_source\": \"image from containers-storage\"" "$(cat "$f")"
	expect_model_has "$key" /bin/sh /bin/cat /bin/ls /bin/sleep

	# podman mounts its own /etc/hostname: the container's hostname.
	hostname=$(pm inspect --format '{{.Config.Hostname}}' "$name")
	expect_ok "learned commands run" pm exec "$name" sh -c 'ls /; cat /etc/hostname'
	expect_contains "learned commands print" "$hostname" "$LAST_OUTPUT"
	expect_ok "learned exec session runs" pm exec "$name" ls /

	before=$(alert_count)
	expect_denied "wget from a shell is denied" "$denied" \
		pm exec "$name" sh -c 'wget -q -O /dev/null http://127.0.0.1:9/'
	expect_one_alert "wget denial alerted once" "$before" /bin/wget "$(pm inspect --format '{{.Id}}' "$name")"

	before=$(alert_count)
	expect_denied "nc from a shell is denied" "$denied" pm exec "$name" sh -c 'nc 127.0.0.1 9'
	expect_one_alert "nc denial alerted once" "$before" /bin/nc "$(pm inspect --format '{{.Id}}' "$name")"

	# The same image in a second container shares the model.
	before=$(alert_count)
	# shellcheck disable=SC2086
	expect_denied "second container of the image is enforced" "$denied" \
		pm run --rm --hostname "$E2E_PREFIX-second" $run_flags "localhost/$E2E_PREFIX:podman" \
		sh -c 'cat /etc/hostname; wget'
	expect_contains "second container ran its learned commands" "$E2E_PREFIX-second" "$LAST_OUTPUT"

	pm rm -f -t 0 "$name" >/dev/null 2>&1
	pm rmi -f "localhost/$E2E_PREFIX:podman" >/dev/null 2>&1
	stop_agent
}
