#!/bin/sh
# Build Vigil out of tree: in build/, or in BUILD_DIR with CONFIGURE_FLAGS.
#   scripts/build.sh                   warnings as errors, in build/
#   BUILD_DIR=build-asan CONFIGURE_FLAGS=--enable-sanitizers scripts/build.sh
set -eu

src=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$src/build}
cd "$src"
[ -x configure ] || ./autogen.sh >/dev/null
mkdir -p "$build"
cd "$build"
# shellcheck disable=SC2086
"$src/configure" --sysconfdir=/etc --localstatedir=/var --enable-werror ${CONFIGURE_FLAGS:-} >/dev/null
make -j"$(nproc)" >/dev/null
echo "built in $build"
