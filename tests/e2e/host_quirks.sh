# Adjustments of the test machine that the runtimes need, whatever Vigil
# does.  Each one names what it works around.

fix_host_quirks() {
	# crun refuses a hybrid cgroup layout while any controller is still
	# attached to the cgroup v2 hierarchy ("cgroups in hybrid mode not
	# supported, drop all controllers from cgroupv2"), even with
	# --cgroup-manager=disabled.  Mounting a v1 hierarchy for each such
	# controller (seen: hugetlb) moves it off v2.
	unified=/sys/fs/cgroup/unified
	if [ -f "$unified/cgroup.controllers" ] && [ -s "$unified/cgroup.controllers" ]; then
		for ctl in $(cat "$unified/cgroup.controllers"); do
			mkdir -p "/sys/fs/cgroup/$ctl"
			if mount -t cgroup -o "$ctl" cgroup "/sys/fs/cgroup/$ctl" 2>/dev/null; then
				note "host quirk: moved cgroup controller $ctl from v2 to a v1 hierarchy for crun"
			fi
		done
	fi
}
