#!/usr/bin/env bash
# Tests scripts/device_env.sh on a fake bundle (no network, no real packages, a few seconds):
#
#   tests/scripts/device_bundle_test.sh [CHECKOUT]
#
# A tiny .deb (usr/bin/fake, usr/lib/x86_64-linux-gnu/libfake.so) built with dpkg-deb stands in for
# .device/debs (RSDIST_DEVICE_DEBS). Checks: the files land under PREFIX and not under /; the caller's
# `set -euo pipefail` survives and its options are unchanged; PATH, LD_LIBRARY_PATH, CMAKE_PREFIX_PATH,
# OPAL_PREFIX and the CMake / mpirun strings point into PREFIX; the stamp makes a second source a no-op
# (and adds no second PATH entry); a changed bundle is unpacked again; PREFIX=/ (however spelled), a
# missing PREFIX or bundle fail the source without writing; running the script instead of sourcing it
# fails; the python3 unpacker (for a device without dpkg) gives the same tree.
set -euo pipefail

repo=${1:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
env_script=$repo/scripts/device_env.sh
[ -f "$env_script" ] || { echo "FAIL: no $env_script" >&2; exit 1; }
command -v dpkg-deb >/dev/null 2>&1 || { echo "SKIP: dpkg-deb is missing"; exit 77; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
pass() { echo "ok: $*"; }

# make_deb NAME FILE...: a .deb named NAME holding each FILE (a path under /) in $tmp/debs.
make_deb() {
  local name=$1 root=$tmp/build-$1 f
  shift
  mkdir -p "$root/DEBIAN" "$tmp/debs"
  printf 'Package: %s\nVersion: 1.0\nArchitecture: amd64\nMaintainer: rsdist tests <tests@invalid>\nDescription: fake package for device_bundle_test\n' \
    "$name" >"$root/DEBIAN/control"
  for f in "$@"; do
    mkdir -p "$root/$(dirname "$f")"
    case $f in
      */bin/*) printf '#!/bin/sh\necho %s-ran\n' "$name" >"$root/$f"; chmod 755 "$root/$f" ;;
      *) printf 'not really a library\n' >"$root/$f" ;;
    esac
  done
  dpkg-deb --root-owner-group -Zxz --build "$root" "$tmp/debs/${name}_1.0_amd64.deb" >/dev/null
}

make_deb fake usr/bin/fake usr/lib/x86_64-linux-gnu/libfake.so
export RSDIST_DEVICE_DEBS=$tmp/debs
prefix=$tmp/prefix
before_root=$( (ls -d /usr/bin/fake /usr/lib/x86_64-linux-gnu/libfake.so 2>/dev/null || true) | tr '\n' ' ')

# ---- first source, in a strict caller --------------------------------------------------------
out=$(bash -c '
  set -euo pipefail
  opts_before=$(set +o)
  PATH=/usr/bin:/bin; unset LD_LIBRARY_PATH CMAKE_PREFIX_PATH
  source "$1" "$2"
  [ "$(set +o)" = "$opts_before" ] || { echo "caller options changed"; exit 1; }
  printf "PATH=%s\nLD=%s\nCPP=%s\nOPAL=%s\nARGS=%s\nMPIRUN=%s\nPREFIX=%s\nRAN=%s\nARGV0=%s\n" \
    "$PATH" "$LD_LIBRARY_PATH" "$CMAKE_PREFIX_PATH" "$OPAL_PREFIX" "$RSDIST_DEVICE_CMAKE_ARGS" \
    "$RSDIST_DEVICE_MPIRUN" "$RSDIST_DEVICE_PREFIX" "$(fake)" "${RSDIST_DEVICE_CMAKE_ARGV[0]}"
' _ "$env_script" "$prefix" 2>"$tmp/err1") || fail "first source: $out $(cat "$tmp/err1")"
grep -q 'unpacking 1 packages' "$tmp/err1" || fail "first source did not report unpacking: $(cat "$tmp/err1")"
[ -f "$prefix/usr/bin/fake" ] || fail "usr/bin/fake is not under PREFIX"
[ -x "$prefix/usr/bin/fake" ] || fail "usr/bin/fake lost its mode"
[ -f "$prefix/usr/lib/x86_64-linux-gnu/libfake.so" ] || fail "libfake.so is not under PREFIX"
after_root=$( (ls -d /usr/bin/fake /usr/lib/x86_64-linux-gnu/libfake.so 2>/dev/null || true) | tr '\n' ' ')
[ "$before_root" = "$after_root" ] || fail "files appeared under /: $after_root"
[ -f "$prefix/.rsdist-device-stamp" ] || fail "no stamp file"
pass "unpacked under PREFIX, nothing under /, stamp written, caller's set -euo pipefail kept"

value() { sed -n "s|^$1=||p" <<<"$out"; }
[[ $(value PATH) == "$prefix/usr/bin:"* ]] || fail "PATH does not start with PREFIX/usr/bin: $(value PATH)"
[[ :$(value LD): == *":$prefix/usr/lib/x86_64-linux-gnu:"* ]] || fail "LD_LIBRARY_PATH lacks PREFIX's lib dir: $(value LD)"
[[ :$(value LD): == *":$prefix/usr/lib/x86_64-linux-gnu/openmpi/lib:"* ]] || fail "LD_LIBRARY_PATH lacks openmpi/lib: $(value LD)"
[ "$(value CPP)" = "$prefix/usr" ] || fail "CMAKE_PREFIX_PATH: $(value CPP)"
[ "$(value OPAL)" = "$prefix/usr" ] || fail "OPAL_PREFIX: $(value OPAL)"
[ "$(value PREFIX)" = "$prefix" ] || fail "RSDIST_DEVICE_PREFIX: $(value PREFIX)"
[ "$(value RAN)" = fake-ran ] || fail "the unpacked usr/bin/fake is not what PATH finds: $(value RAN)"
for want in "-DHDF5_ROOT=$prefix/usr/lib/x86_64-linux-gnu/hdf5/serial" "-DMPI_C_COMPILER=$prefix/usr/bin/mpicc.openmpi" \
            "-DGTest_DIR=$prefix/usr/lib/x86_64-linux-gnu/cmake/GTest" "-Dfmt_DIR=" "-Dspdlog_DIR=" "-Dnlohmann_json_DIR=" \
            "-DBoost_DIR="; do
  [[ " $(value ARGS) " == *" $want"* ]] || fail "RSDIST_DEVICE_CMAKE_ARGS lacks $want: $(value ARGS)"
done
[ "$(value ARGV0)" = "-DHDF5_ROOT=$prefix/usr/lib/x86_64-linux-gnu/hdf5/serial" ] || fail "RSDIST_DEVICE_CMAKE_ARGV[0]: $(value ARGV0)"
[[ $(value MPIRUN) == "$prefix/usr/bin/mpirun.openmpi --allow-run-as-root --oversubscribe"* ]] || fail "RSDIST_DEVICE_MPIRUN: $(value MPIRUN)"
pass "PATH, LD_LIBRARY_PATH, CMAKE_PREFIX_PATH, OPAL_PREFIX, CMake hints and mpirun point into PREFIX"

# ---- second source: a no-op (a removed file stays removed), no duplicate PATH entries -------------
rm "$prefix/usr/bin/fake"
out=$(bash -c 'set -euo pipefail; source "$1" "$2"; source "$1" "$2"; printf "%s\n" "$PATH"' _ "$env_script" "$prefix" 2>"$tmp/err2") \
  || fail "second source: $(cat "$tmp/err2")"
grep -q 'already unpacked' "$tmp/err2" || fail "second source did not say 'already unpacked': $(cat "$tmp/err2")"
! grep -q 'unpacking' "$tmp/err2" || fail "second source unpacked again: $(cat "$tmp/err2")"
[ ! -e "$prefix/usr/bin/fake" ] || fail "second source re-extracted the bundle"
n=$(tr ':' '\n' <<<"$out" | grep -cxF "$prefix/usr/bin")
[ "$n" = 1 ] || fail "PREFIX/usr/bin is $n times in PATH after sourcing twice"
pass "the stamp makes a second source a no-op; PATH gets PREFIX/usr/bin once"

# ---- a changed bundle is unpacked again ---------------------------------------------------------
make_deb fake2 usr/lib/x86_64-linux-gnu/libfake2.so
bash -c 'set -euo pipefail; source "$1" "$2"' _ "$env_script" "$prefix" 2>"$tmp/err3" || fail "third source: $(cat "$tmp/err3")"
grep -q 'unpacking 2 packages' "$tmp/err3" || fail "a changed bundle was not unpacked again: $(cat "$tmp/err3")"
[ -f "$prefix/usr/lib/x86_64-linux-gnu/libfake2.so" ] || fail "changed bundle: libfake2.so missing"
[ -f "$prefix/usr/bin/fake" ] || fail "changed bundle: usr/bin/fake not restored"
pass "a changed bundle is unpacked again"

# ---- refusals: /, no PREFIX, no bundle, executed instead of sourced --------------------------------
for bad in / // /tmp/.. /./; do
  if bash -c 'set -euo pipefail; source "$1" "$2"; echo after' _ "$env_script" "$bad" >"$tmp/out4" 2>"$tmp/err4"; then
    fail "PREFIX=$bad was accepted"
  fi
  ! grep -q after "$tmp/out4" || fail "PREFIX=$bad: the strict caller went on after a failed source"
  grep -q 'refusing to unpack into /' "$tmp/err4" || fail "PREFIX=$bad: no clear message: $(cat "$tmp/err4")"
done
after_root=$( (ls -d /usr/bin/fake /usr/lib/x86_64-linux-gnu/libfake.so /usr/lib/x86_64-linux-gnu/libfake2.so 2>/dev/null || true) | tr '\n' ' ')
[ "$before_root" = "$after_root" ] || fail "files appeared under / after PREFIX=/: $after_root"
if bash -c 'set -euo pipefail; source "$1"' _ "$env_script" 2>/dev/null; then fail "no PREFIX was accepted"; fi
if RSDIST_DEVICE_DEBS=$tmp/none bash -c 'set -euo pipefail; source "$1" "$2"' _ "$env_script" "$tmp/p2" 2>/dev/null; then
  fail "a missing bundle was accepted"
fi
if bash -c 'set -euo pipefail; source "$1" "$2"' _ "$env_script" "$tmp/with space" 2>/dev/null; then
  fail "a PREFIX with a space was accepted"
fi
set +e
bash "$env_script" "$tmp/p3" >/dev/null 2>&1
rc=$?
set -e
[ "$rc" = 2 ] || fail "running (not sourcing) device_env.sh exited $rc, want 2"
[ ! -e "$tmp/p3" ] || fail "running (not sourcing) device_env.sh wrote PREFIX"
pass "PREFIX=/ (/, //, /tmp/.., /./), no PREFIX, no bundle, a PREFIX with a space, and running it are refused"

# ---- the python3 unpacker gives the same tree ----------------------------------------------------
if command -v python3 >/dev/null 2>&1; then
  RSDIST_DEVICE_UNPACKER=python bash -c 'set -euo pipefail; source "$1" "$2"' _ "$env_script" "$tmp/pyprefix" 2>"$tmp/err5" \
    || fail "python unpacker: $(cat "$tmp/err5")"
  for f in usr/bin/fake usr/lib/x86_64-linux-gnu/libfake.so usr/lib/x86_64-linux-gnu/libfake2.so; do
    [ -f "$tmp/pyprefix/$f" ] || fail "python unpacker: $f missing"
  done
  [ -x "$tmp/pyprefix/usr/bin/fake" ] || fail "python unpacker: usr/bin/fake lost its mode"
  pass "the python3 unpacker gives the same files"
else
  echo "skip: python3 unpacker (no python3)"
fi
echo "device_bundle_test: all passed"
