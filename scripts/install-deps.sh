#!/bin/sh
# Install what building and testing Vigil needs on Debian 12 (run as root).
set -eu

export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends \
	build-essential autoconf automake libtool pkg-config \
	libseccomp-dev libyajl-dev libcap-dev libnl-3-dev libnl-idiag-3-dev libcmocka-dev \
	runc crun podman containerd busybox-static \
	ca-certificates iproute2 >/dev/null
