# shellcheck shell=bash
# Sourced on the device (a bare GPU machine: no Debian packages, no network) to use the bundle that
# scripts/device_bundle.sh downloaded here into .device/debs/:
#
#   source scripts/device_env.sh PREFIX
#
# unpacks every .device/debs/*.deb into PREFIX (dpkg-deb -x; never into /; once: PREFIX/.rsdist-device-stamp
# lists the bundle it holds, and a second source with the same bundle unpacks nothing) and exports what a
# CMake configure of rsdist and its runs need:
#
#   PATH                     PREFIX/usr/bin first (mpirun, orted, ompi_info)
#   LD_LIBRARY_PATH          PREFIX/usr/lib/x86_64-linux-gnu, PREFIX/lib/x86_64-linux-gnu, .../hdf5/serial,
#                            .../openmpi/lib first
#   CMAKE_PREFIX_PATH        PREFIX/usr first (the environment variable: ':'-separated)
#   OPAL_PREFIX              PREFIX/usr: relocates Open MPI (libdir, plugins in .../openmpi/lib/openmpi3,
#                            help files in usr/share/openmpi, the mpicc wrapper's flags), all of which
#                            Debian configured relative to ${prefix}
#   OPAL_SYSCONFDIR          PREFIX/etc/openmpi: Debian configured it as an absolute /etc/openmpi, which
#                            OPAL_PREFIX does not move; its openmpi-mca-params.conf holds Debian's defaults
#   PMIX_PREFIX, PMIX_LIBDIR, PMIX_PKGLIBDIR, PMIX_DATADIR, PMIX_PKGDATADIR
#                            the external PMIx (PREFIX/usr/lib/x86_64-linux-gnu/pmix2): Debian configured its
#                            directories as absolute paths, so each is moved (plugins, help files)
#   OMPI_MCA_plm=isolated    start processes on this node only: the rsh launcher, Open MPI's default,
#                            aborts every mpirun (and every singleton MPI_Init) where ssh/rsh is missing
#   OMPI_MCA_btl_vader_single_copy_mechanism=none
#                            containers often forbid the cross-memory attach (ptrace) that the
#                            shared-memory BTL uses for large messages; copy through the shared segment
#   RSDIST_DEVICE_PREFIX     PREFIX (absolute)
#   RSDIST_DEVICE_CMAKE_ARGS the -D hints, one string, words separated by spaces (PREFIX may not contain
#                            whitespace), for `cmake ... $RSDIST_DEVICE_CMAKE_ARGS`; the same as a bash
#                            array in RSDIST_DEVICE_CMAKE_ARGV (not exported: bash cannot export arrays)
#   RSDIST_DEVICE_MPIRUN     the relocated mpirun with the options a single-node container needs, one
#                            string (RSDIST_DEVICE_MPIRUN_ARGV: the same as an array)
#
# Environment: RSDIST_DEVICE_DEBS=DIR       the bundle (default: <checkout>/.device/debs)
#              RSDIST_DEVICE_UNPACKER=dpkg|python   how to unpack (default: dpkg-deb when present, else
#                                           a python3 reader of the .deb's ar + data.tar.{xz,gz,bz2})
#
# Safe under the caller's `set -euo pipefail`: failures are reported and make the `source` return 1;
# the caller's shell options are not changed. The bundle holds Debian 12 (bookworm) packages, which
# need glibc >= 2.36 (device_bundle.sh prints the newest glibc symbol they use); the device is assumed
# Ubuntu 24.04-like (glibc 2.39) and to bring its own gcc/g++ and libc headers. The prefix's libraries
# come first in LD_LIBRARY_PATH, so the bundled Open MPI is the one loaded; on a bare device none of them
# exists otherwise. Where the device has one too (libssl.so.3, libcurl.so.4), its own programs load the
# Debian 12 build of that soname (OpenSSL 3.0.x; curl 7.88, older than Ubuntu 24.04's 8.5) while this
# environment is set.

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  echo "device_env.sh: source it (source scripts/device_env.sh PREFIX), do not run it" >&2
  exit 2
fi

_rsdist_denv_log() { printf '[device_env] %s\n' "$*" >&2; }

# _rsdist_denv_unpack DEB DEST: extracts DEB's data into DEST.
_rsdist_denv_unpack() {
  local deb=$1 dest=$2 how=${RSDIST_DEVICE_UNPACKER:-}
  if [ -z "$how" ]; then
    if command -v dpkg-deb >/dev/null 2>&1; then how=dpkg; else how=python; fi
  fi
  case $how in
    dpkg) dpkg-deb -x "$deb" "$dest" ;;
    python)
      python3 - "$deb" "$dest" <<'PY'
import io, sys, tarfile
deb, dest = sys.argv[1], sys.argv[2]
with open(deb, "rb") as f:
    if f.read(8) != b"!<arch>\n":
        sys.exit(f"{deb}: not a .deb (ar) archive")
    while True:
        header = f.read(60)
        if len(header) < 60:
            sys.exit(f"{deb}: no data.tar member")
        name = header[:16].decode().strip().rstrip("/")
        size = int(header[48:58])
        body = f.read(size)
        f.read(size % 2)
        if name.startswith("data.tar"):
            with tarfile.open(fileobj=io.BytesIO(body), mode="r:*") as tar:
                if hasattr(tarfile, "tar_filter"):
                    tar.extractall(dest, filter="tar")
                else:
                    tar.extractall(dest)
            break
PY
      ;;
    *) _rsdist_denv_log "RSDIST_DEVICE_UNPACKER=$how: want dpkg or python"; return 1 ;;
  esac
}

# _rsdist_denv_fixups PREFIX: the links Debian's maintainer scripts (update-alternatives) would make,
# which dpkg-deb -x does not run. device_bundle.sh's ELF check counts on the first one.
_rsdist_denv_fixups() {
  local p=$1 lib=$1/usr/lib/x86_64-linux-gnu f tool
  # libfabric and mca_mtl_psm need libpsm_infinipath.so.1 (an alternative of libpsm-infinipath1).
  for f in "$p"/usr/lib/libpsm1/libpsm_infinipath.so.1.*; do
    if [ -e "$f" ] && [ ! -e "$lib/libpsm_infinipath.so.1" ]; then
      ln -sf "../libpsm1/${f##*/}" "$lib/libpsm_infinipath.so.1" || return 1
    fi
  done
  # The mpi alternative: mpirun, mpiexec, mpicc, ... -> *.openmpi.
  for tool in mpirun mpiexec mpicc mpicxx mpic++ mpiCC; do
    if [ -e "$p/usr/bin/$tool.openmpi" ] && [ ! -e "$p/usr/bin/$tool" ]; then
      ln -sf "$tool.openmpi" "$p/usr/bin/$tool" || return 1
    fi
  done
  return 0
}

# _rsdist_denv_prepend VAR SEP DIR...: puts DIRs (in this order) first in VAR, each once.
_rsdist_denv_prepend() {
  local var=$1 sep=$2 value rest entry i
  shift 2
  value=${!var:-}
  for ((i = $#; i >= 1; i--)); do
    entry=${!i}
    rest=$sep$value$sep
    rest=${rest//"$sep$entry$sep"/$sep}
    rest=${rest#"$sep"}
    rest=${rest%"$sep"}
    value=$entry${rest:+$sep$rest}
  done
  printf -v "$var" '%s' "$value"
  export "${var?}"
}

_rsdist_denv_main() {
  if [ "$#" -ne 1 ] || [ -z "$1" ]; then
    _rsdist_denv_log "usage: source scripts/device_env.sh PREFIX"
    return 1
  fi
  local here debs prefix stamp manifest f n deb
  here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd) || return 1
  debs=${RSDIST_DEVICE_DEBS:-$(dirname "$here")/.device/debs}
  if [ ! -d "$debs" ]; then
    _rsdist_denv_log "no bundle at $debs (run scripts/device_bundle.sh on the build machine and carry .device)"
    return 1
  fi
  case $1 in
    *[[:space:]:\;]*) _rsdist_denv_log "PREFIX '$1' may not contain whitespace, ':' or ';'"; return 1 ;;
  esac
  prefix=$(realpath -m -- "$1") || return 1
  if [ "$prefix" = / ]; then
    _rsdist_denv_log "refusing to unpack into / (give a private PREFIX, e.g. /tmp/rsdist-device-prefix)"
    return 1
  fi

  # The bundle's identity: name and size of every .deb, sorted.
  manifest=""
  n=0
  for f in "$debs"/*.deb; do
    [ -e "$f" ] || continue
    manifest+="${f##*/} $(stat -c %s "$f")"$'\n'
    n=$((n + 1))
  done
  if [ "$n" -eq 0 ]; then
    _rsdist_denv_log "no .deb files in $debs"
    return 1
  fi
  stamp=$prefix/.rsdist-device-stamp
  if [ -f "$stamp" ] && [ "$(cat "$stamp")"$'\n' = "$manifest" ]; then
    _rsdist_denv_log "$n packages already unpacked in $prefix"
  else
    mkdir -p "$prefix" || return 1
    rm -f "$stamp"
    _rsdist_denv_log "unpacking $n packages from $debs into $prefix"
    for deb in "$debs"/*.deb; do
      _rsdist_denv_unpack "$deb" "$prefix" || { _rsdist_denv_log "could not unpack $deb"; return 1; }
    done
    _rsdist_denv_fixups "$prefix" || { _rsdist_denv_log "could not make the alternatives' links"; return 1; }
    printf '%s' "$manifest" >"$stamp.tmp" && mv "$stamp.tmp" "$stamp" || return 1
  fi

  local usr=$prefix/usr lib=$prefix/usr/lib/x86_64-linux-gnu
  export RSDIST_DEVICE_PREFIX=$prefix
  _rsdist_denv_prepend PATH : "$usr/bin"
  # Debian 12 still ships some libraries in /lib/x86_64-linux-gnu (libcom_err, libkeyutils, ...).
  _rsdist_denv_prepend LD_LIBRARY_PATH : "$lib" "$prefix/lib/x86_64-linux-gnu" "$lib/hdf5/serial" "$lib/openmpi/lib"
  _rsdist_denv_prepend CMAKE_PREFIX_PATH : "$usr"
  export OPAL_PREFIX=$usr
  export OPAL_SYSCONFDIR=$prefix/etc/openmpi
  export PMIX_PREFIX=$lib/pmix2
  export PMIX_LIBDIR=$lib/pmix2/lib PMIX_PKGLIBDIR=$lib/pmix2/lib/pmix
  export PMIX_DATADIR=$lib/pmix2/share PMIX_PKGDATADIR=$lib/pmix2/share/pmix
  export OMPI_MCA_plm=isolated
  export OMPI_MCA_btl_vader_single_copy_mechanism=none

  # CMake hints. HDF5_ROOT is Debian's serial HDF5 root (include/ and lib/ links, no bin/): FindHDF5
  # then searches only there (NO_DEFAULT_PATH) and finds no h5cc, whose /usr paths are hard-coded.
  # MPI_C_COMPILER is the relocated wrapper (OPAL_PREFIX above): its --showme flags point into PREFIX.
  RSDIST_DEVICE_CMAKE_ARGV=(
    "-DHDF5_ROOT=$lib/hdf5/serial"
    "-DHDF5_NO_FIND_PACKAGE_CONFIG_FILE=ON"
    "-DMPI_HOME=$usr"
    "-DMPI_C_COMPILER=$usr/bin/mpicc.openmpi"
    "-DMPI_CXX_COMPILER=$usr/bin/mpicxx.openmpi"
    "-DMPIEXEC_EXECUTABLE=$usr/bin/mpirun.openmpi"
    "-DRSDIST_MPIEXEC=$usr/bin/mpirun.openmpi"
    "-DGTest_DIR=$lib/cmake/GTest"
    "-DBoost_DIR=$lib/cmake/Boost-1.74.0"
    "-Dboost_headers_DIR=$lib/cmake/boost_headers-1.74.0"
    "-Dboost_program_options_DIR=$lib/cmake/boost_program_options-1.74.0"
    "-DBOOST_ROOT=$usr"
    "-Dfmt_DIR=$lib/cmake/fmt"
    "-Dspdlog_DIR=$lib/cmake/spdlog"
    "-Dnlohmann_json_DIR=$usr/share/cmake/nlohmann_json"
  )
  export RSDIST_DEVICE_CMAKE_ARGS="${RSDIST_DEVICE_CMAKE_ARGV[*]}"

  # One node, in a container, as root: ob1 over self + shared memory (no UCX/fabric probing).
  # shellcheck disable=SC2054 # "self,vader" is one word, mpirun's list
  RSDIST_DEVICE_MPIRUN_ARGV=(
    "$usr/bin/mpirun.openmpi" --allow-run-as-root --oversubscribe
    --mca plm isolated --mca pml ob1 --mca btl self,vader --mca btl_vader_single_copy_mechanism none
  )
  export RSDIST_DEVICE_MPIRUN="${RSDIST_DEVICE_MPIRUN_ARGV[*]}"
  return 0
}

if _rsdist_denv_main "$@"; then _rsdist_denv_rc=0; else _rsdist_denv_rc=1; fi
unset -f _rsdist_denv_main _rsdist_denv_unpack _rsdist_denv_fixups _rsdist_denv_prepend _rsdist_denv_log
if [ "$_rsdist_denv_rc" -eq 0 ]; then unset _rsdist_denv_rc; return 0; fi
unset _rsdist_denv_rc
return 1
