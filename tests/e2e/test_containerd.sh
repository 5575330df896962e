# containerd, started by the test with its own root, state and socket.
# Containers run through ctr with the runc shim's binary set to the
# wrapper (ctr run --runc-binary).

# oci_image_tar ROOTFS OUT NAME: an OCI image layout archive of one
# uncompressed layer, named NAME for ctr images import.
oci_image_tar() {
	layout="$WORK/oci-layout"
	rm -rf "$layout"
	mkdir -p "$layout/blobs/sha256"
	tar -C "$1" -cf "$layout/layer.tar" .
	layer_digest=$(sha256sum "$layout/layer.tar" | cut -d' ' -f1)
	layer_size=$(stat -c %s "$layout/layer.tar")
	mv "$layout/layer.tar" "$layout/blobs/sha256/$layer_digest"

	printf '{"architecture":"amd64","os":"linux","config":{"Env":["PATH=/usr/sbin:/usr/bin:/sbin:/bin"],"Cmd":["sh"]},"rootfs":{"type":"layers","diff_ids":["sha256:%s"]}}' \
		"$layer_digest" >"$layout/config.json"
	if [ "$(uname -m)" = aarch64 ]; then
		sed -i 's/"amd64"/"arm64"/' "$layout/config.json"
	fi
	config_digest=$(sha256sum "$layout/config.json" | cut -d' ' -f1)
	config_size=$(stat -c %s "$layout/config.json")
	mv "$layout/config.json" "$layout/blobs/sha256/$config_digest"

	printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":%s},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"sha256:%s","size":%s}]}' \
		"$config_digest" "$config_size" "$layer_digest" "$layer_size" >"$layout/manifest.json"
	manifest_digest=$(sha256sum "$layout/manifest.json" | cut -d' ' -f1)
	manifest_size=$(stat -c %s "$layout/manifest.json")
	mv "$layout/manifest.json" "$layout/blobs/sha256/$manifest_digest"

	arch=$(sed -n 's/.*"architecture":"\([a-z0-9]*\)".*/\1/p' "$layout/blobs/sha256/$config_digest")
	printf '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%s","size":%s,"platform":{"architecture":"%s","os":"linux"},"annotations":{"io.containerd.image.name":"%s","org.opencontainers.image.ref.name":"e2e"}}]}' \
		"$manifest_digest" "$manifest_size" "$arch" "$3" >"$layout/index.json"
	echo '{"imageLayoutVersion":"1.0.0"}' >"$layout/oci-layout"
	tar -C "$layout" -cf "$2" oci-layout index.json blobs
}

start_containerd() {
	cd_dir="$WORK/containerd"
	mkdir -p "$cd_dir"
	cat >"$cd_dir/config.toml" <<EOF
version = 2
root = "$cd_dir/root"
state = "$cd_dir/state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = "$cd_dir/containerd.sock"
[ttrpc]
  address = "$cd_dir/containerd.sock.ttrpc"
EOF
	containerd --config "$cd_dir/config.toml" >"$cd_dir/containerd.log" 2>&1 &
	CONTAINERD_PID=$!
	CTR_ADDRESS="$cd_dir/containerd.sock"
	if ! wait_until 30 ctr --address "$CTR_ADDRESS" version; then
		fail "containerd starts" "$(tail -5 "$cd_dir/containerd.log")"
		return 1
	fi
}

stop_containerd() {
	[ -n "${CONTAINERD_PID:-}" ] || return 0
	kill -TERM "$CONTAINERD_PID" 2>/dev/null
	wait "$CONTAINERD_PID" 2>/dev/null
	CONTAINERD_PID=""
	# Snapshots that a killed task left mounted.
	grep -o " $WORK/containerd/[^ ]*" /proc/self/mounts | sort -r | while read -r m; do
		umount -l "$m" 2>/dev/null
	done
}

test_containerd() {
	E2E_GROUP=containerd
	conf="$WORK/containerd.conf"
	ns="$E2E_PREFIX"
	image="docker.io/library/$E2E_PREFIX:containerd"
	id="$E2E_PREFIX-ctr-1"
	denied="operation not permitted"

	write_config "$conf"
	start_agent "$conf" || return
	# The runc shim inherits containerd's environment and passes it on to
	# the binary it runs, so the wrapper finds its configuration there.
	VIGIL_CONFIG="$conf" start_containerd || return
	c() { ctr --address "$CTR_ADDRESS" --namespace "$ns" "$@"; }

	build_rootfs "$WORK/ctr-rootfs"
	oci_image_tar "$WORK/ctr-rootfs" "$WORK/ctr-image.tar" "$image"
	expect_ok "import the image from a tarball" c images import "$WORK/ctr-image.tar"

	expect_ok_detached "run a detached container" c run -d --runc-binary "$VIGIL_BUILDDIR/vigil-runc" \
		"$image" "$id" sh -c 'ls /; cat /etc/hostname; exec sleep 600'
	meta=$(grep -ho '"listenerMetadata":"[^}]*}' "$WORK/containerd/state/io.containerd.runtime.v2.task/$ns/$id/config.json" 2>/dev/null)
	expect_contains "model key derived from the snapshot's lower directories" 'lowerdir:' "$meta"
	key=$(printf '%s' "$meta" | sed -n 's/.*\\"key\\":\\"\([^\\]*\)\\".*/\1/p')

	expect_ok "exec session while learning" c task exec --exec-id learn1 "$id" ls /
	expect_ok "relative exec while learning" c task exec --exec-id learn2 "$id" sh -c 'cd /bin && ./cat /etc/hostname'
	wait_for_active "$key" || return
	expect_model_has "$key" /bin/sh /bin/cat /bin/ls /bin/sleep

	expect_ok "learned commands run" c task exec --exec-id ok1 "$id" sh -c 'ls /; cat /etc/hostname'
	expect_contains "learned commands print" "$E2E_PREFIX-host" "$LAST_OUTPUT"

	before=$(alert_count)
	expect_denied "wget from a shell is denied" "$denied" \
		c task exec --exec-id deny1 "$id" sh -c 'wget -q -O /dev/null http://127.0.0.1:9/'
	expect_one_alert "wget denial alerted once" "$before" /bin/wget "$id"

	before=$(alert_count)
	expect_denied "nc as an exec session is denied" "$denied" c task exec --exec-id deny2 "$id" nc 127.0.0.1 9
	expect_one_alert "nc denial alerted once" "$before" /bin/nc "$id"

	c task kill -s KILL "$id" >/dev/null 2>&1
	wait_until 10 sh -c "! ctr --address '$CTR_ADDRESS' --namespace '$ns' task ls -q | grep -qx '$id'"
	c task rm -f "$id" >/dev/null 2>&1
	c containers rm "$id" >/dev/null 2>&1
	c images rm "$image" >/dev/null 2>&1
	stop_containerd
	stop_agent
}
