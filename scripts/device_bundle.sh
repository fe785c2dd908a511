#!/usr/bin/env bash
# Downloads (apt-get download: nothing is installed) the Debian 12 packages that a bare GPU machine (the
# "device": Python + torch, nvcc, CMake, ninja, a host g++; none of our packages and no network) needs to
# BUILD and RUN rsdist, into <checkout>/.device/debs/. Only the working tree travels to the device, so
# the bundle has to fit the carry budget; on the device `source scripts/device_env.sh PREFIX` unpacks it.
#
#   scripts/device_bundle.sh [--budget-mib N] [--out DIR]
#
#   --budget-mib N   fail when the bundle exceeds N MiB (default 48; the carry limit is 64 MiB in all)
#   --out DIR        where the .deb files go (default: $RSDIST_DEVICE_DEBS or <checkout>/.device/debs)
#
# Run it here, on Debian 12 (bookworm) amd64, with apt's package lists present. A second run re-uses the
# files already downloaded (checked against the archive's size and SHA256) and removes stale ones.
#
# Which packages: the runtime dependency closure of the roots below, computed from one
#   apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts --no-breaks --no-replaces
#   --no-enhances
# walked here (first satisfiable alternative of each "a | b" group, first provider of a virtual package),
# minus three lists, each justified next to it:
#   base       in every Debian 12 / Ubuntu 24.04 base image with the same sonames (the device is assumed
#              to be Ubuntu 24.04-like: glibc >= 2.36; Debian 12's binaries need no newer glibc);
#   toolchain  the compiler tool chain, which the device brings (nvcc needs a host gcc/g++);
#   unused     reached only through -dev packages' static-link or packaging dependencies, or features
#              rsdist does not use (Fortran, HDF5 C++/HL bindings, ssh launching, hwloc GUI/GPU plugins).
# Pruning a package also prunes what only it needed. After the download every ELF file in the bundle is
# checked: each DT_NEEDED soname must come from the bundle or from a base package (the base packages'
# sonames are read from this machine's dpkg database), except for the few files listed in
# elf_unresolved_ok (Fortran/Java bindings, one UCX module). The newest glibc symbol version the bundle
# needs is printed. tests/scripts/device_bundle_test.sh tests scripts/device_env.sh on a fake bundle.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
out=${RSDIST_DEVICE_DEBS:-$repo/.device/debs}
budget_mib=48

usage() { sed -n '2,12p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }
while [ "$#" -gt 0 ]; do
  case $1 in
    --budget-mib) [ "$#" -ge 2 ] || { echo "device_bundle: --budget-mib needs a value" >&2; exit 2; }
                  budget_mib=$2; shift 2 ;;
    --budget-mib=*) budget_mib=${1#*=}; shift ;;
    --out) [ "$#" -ge 2 ] || { echo "device_bundle: --out needs a value" >&2; exit 2; }
           out=$2; shift 2 ;;
    --out=*) out=${1#*=}; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "device_bundle: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
case $budget_mib in ''|*[!0-9]*) echo "device_bundle: --budget-mib wants a whole number of MiB, not '$budget_mib'" >&2; exit 2 ;; esac

log() { printf '[device_bundle] %s\n' "$*"; }
die() { printf '[device_bundle] error: %s\n' "$*" >&2; exit 1; }

for tool in apt-cache apt-get dpkg-deb dpkg-query objdump file sha256sum awk; do
  command -v "$tool" >/dev/null 2>&1 || die "needs '$tool' (run this on the Debian 12 build machine, not on the device)"
done
[ "$(dpkg --print-architecture)" = amd64 ] || die "the device is x86_64: run this on an amd64 machine"

# What rsdist builds against (cmake/RsdistDependencies.cmake, cmake/RsdistTesting.cmake) and runs with.
roots=(
  libhdf5-dev libhdf5-103-1                                   # serial HDF5, C API (find_package(HDF5 COMPONENTS C))
  libboost-program-options-dev libboost-program-options1.74.0 # Boost.Program_options + BoostConfig.cmake
  libspdlog-dev libspdlog1.10 libfmt-dev libfmt9              # logging
  libgtest-dev                                                # GoogleTest (static libs + GTestConfig.cmake)
  nlohmann-json3-dev                                          # header-only JSON
  libopenmpi-dev libopenmpi3 openmpi-bin openmpi-common       # Open MPI 4.1: headers, libs, mpirun/orted, help files
)

# base: Essential/required packages of Debian 12 and the libraries apt itself links, all of which
# Ubuntu 24.04's base image carries too (some renamed by its 64-bit time_t transition, e.g. libgnutls30t64,
# libdb5.3t64, but with the same sonames). Deliberately NOT here, although some images have them: libssl3,
# libcurl4 and its libraries (libldap-2.5-0 is libldap.so.2 on Ubuntu 24.04), libunistring2 (Ubuntu
# 24.04 has libunistring.so.5), libcom-err2/libkeyutils1 (krb5's), libatomic1: cheap to carry.
base=(
  libc6 libc-bin libgcc-s1 libstdc++6 gcc-12-base zlib1g libzstd1 liblzma5 libbz2-1.0 liblz4-1 libcrypt1
  libselinux1 libpcre2-8-0 libacl1 libattr1 libmd0 libtinfo6 libgmp10 libaudit1 libaudit-common
  libcap-ng0 libcap2 libpam0g libpam-modules libpam-modules-bin libpam-runtime libsemanage2
  libsemanage-common libsepol2 libdb5.3 libudev1 libsystemd0 libffi8 libgnutls30 libhogweed6 libnettle8
  libidn2-0 libp11-kit0 libtasn1-6 libuuid1 libgcrypt20 libgpg-error0 libblkid1 libmount1
  base-files bash coreutils tar debianutils perl-base
  debconf dpkg passwd adduser install-info  # used only by maintainer scripts, which dpkg-deb -x never runs
)

# toolchain: the device compiles with its own gcc/g++ (nvcc needs one) and its own libc headers; Fortran
# and the autotools are only for mpifort/h5fc and rebuilding, which rsdist never does. Boost's headers
# depend on libstdc++-12-dev, for which the device's g++ brings its own libstdc++ headers.
toolchain=(
  gcc-12 g++-12 cpp-12 gcc cpp g++ gfortran gfortran-12 flang-16 flang-19 flang-22 binutils binutils-common
  binutils-x86-64-linux-gnu libbinutils libctf0 libctf-nobfd0 libgprofng0 libjansson4 libcc1-0 libisl23
  libmpc3 libmpfr6 libgcc-12-dev libstdc++-12-dev libgfortran-12-dev libasan8 libtsan2 liblsan0 libubsan1
  libitm1 libgomp1 libquadmath0 libc6-dev libc-dev-bin linux-libc-dev libcrypt-dev libnsl-dev libtirpc-dev
  rpcsvc-proto autoconf automake autotools-dev m4 perl perl-modules-5.36 libperl5.36 libgdbm6
  libgdbm-compat4 libltdl-dev
)

# unused by rsdist:
#  * HDF5's Fortran, C++ and high-level libraries (rsdist uses the C API only) and libgfortran5;
#  * libhdf5-dev's static-link dependencies (zlib1g-dev, libjpeg-dev, libaec-dev, libcurl4-openssl-dev,
#    libssl-dev): linking the shared libhdf5 needs only the runtime libraries, which are kept
#    (libhdf5-103-1 needs libcurl4, libssl3, libsz2/libaec0);
#  * libopenmpi-dev's dependencies on other -dev packages (mpi.h includes none of their headers; they are
#    for static linking and Open MPI's internal headers) and on jQuery (HTML docs);
#  * openssh-client (mpirun's rsh launcher, for other nodes; the device is one node);
#  * libhwloc-plugins (hwloc's optional PCI/OpenCL/NV-CONTROL/XML plugins, which pull X11, libxml2 and
#    ICU (9 MiB); hwloc's built-in CPU/memory topology is what Open MPI needs);
#  * catch2 (a Depends of libspdlog-dev for its own tests; spdlogConfig.cmake does not use it) and
#    googletest (GoogleTest's sources; libgtest-dev already ships the built libraries and CMake config).
# Kept on purpose, although a single node does not use them: the RDMA/fabric transports that
# libopenmpi3's plugins link (libucx0, libfabric1, libpsm*, libibverbs1, librdmacm1, libnl-*: about
# 3 MiB), so that every plugin loads and Open MPI prints no load errors; they are the first to drop if
# the budget gets tight (Open MPI's ob1 PML with the self/vader/tcp BTLs needs none of them).
unused=(
  libhdf5-fortran-102 libhdf5-hl-fortran-100 libhdf5-cpp-103-1 libhdf5-hl-cpp-100 libhdf5-hl-100 libgfortran5
  zlib1g-dev libjpeg-dev libjpeg62-turbo-dev libaec-dev libcurl4-openssl-dev libcurl4-gnutls-dev
  libcurl4-nss-dev libssl-dev
  libibverbs-dev libhwloc-dev libevent-dev libpmix-dev libnl-3-dev libnl-route-3-dev libnuma-dev
  libjs-jquery libjs-jquery-ui
  openssh-client
  libhwloc-plugins
  catch2 googletest
)

# Files in the bundle whose DT_NEEDED may stay unresolved: Open MPI's Fortran and Java bindings (their
# libgfortran / JVM are not carried; rsdist uses the C API) and UCX's RDMA-CM module (it finds libuct_ib
# through a RUNPATH of /usr/lib/x86_64-linux-gnu/ucx; UCX's modules load only when Open MPI uses UCX,
# which Debian's openmpi-mca-params.conf (pml = ^ucx) and RSDIST_DEVICE_MPIRUN (pml ob1) rule out).
elf_unresolved_ok='libmpi_mpifh\.so|libmpi_usempi|libmpi_java\.so|liboshmem\.so|/ucx/libuct_rdmacm\.so'

# ---- the closure --------------------------------------------------------------------------------------
rec=$(apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts --no-breaks \
        --no-replaces --no-enhances "${roots[@]}") || die "apt-cache depends failed (run apt-get update?)"

# Walks apt-cache's recursive listing from the roots. Each "Depends:"/"PreDepends:" line is one
# alternative; a line starting " |" continues an OR group onto the next line; an alternative written
# <virtual> is followed by its providers (4-space indent). Prints "package parent" lines.
walk_closure() {
  awk -v roots="${roots[*]}" -v skip="${base[*]} ${toolchain[*]} ${unused[*]}" '
    function sat(a,   c, j, pv) {
      if (a ~ /^</) { c = split(PROV[a], pv, " "); for (j = 1; j <= c; j++) if ((pv[j] in SKIP) || (pv[j] in OUT)) return pv[j]; return "" }
      return ((a in SKIP) || (a in OUT)) ? a : ""
    }
    function pick(a,   c, pv) {
      if (a ~ /^</) { c = split(PROV[a], pv, " "); return c > 0 ? pv[1] : "" }
      return a
    }
    BEGIN { n = split(roots, r, " "); for (i = 1; i <= n; i++) Q[++qt] = r[i]
            m = split(skip, s, " "); for (i = 1; i <= m; i++) SKIP[s[i]] = 1 }
    /^[^ ]/ { cur = $1; ng[cur] += 0; inor = 0; next }
    /^ [ |](Pre)?Depends: / {
      if (!inor) { ng[cur]++; na[cur, ng[cur]] = 0 }
      g = ng[cur]; k = ++na[cur, g]; A[cur, g, k] = $2; lastalt = $2
      inor = (substr($0, 2, 1) == "|"); next }
    /^    / { if (lastalt ~ /^</ && index(" " PROV[lastalt] " ", " " $1 " ") == 0) PROV[lastalt] = PROV[lastalt] " " $1; next }
    /^ / { inor = 0; lastalt = ""; next }
    END {
      while (qh < qt) {
        p = Q[++qh]; if ((p in SEEN) || (p in SKIP)) continue
        SEEN[p] = 1; OUT[p] = 1
        for (g = 1; g <= ng[p]; g++) {
          choice = ""
          for (k = 1; k <= na[p, g] && choice == ""; k++) choice = sat(A[p, g, k])
          for (k = 1; k <= na[p, g] && choice == ""; k++) choice = pick(A[p, g, k])
          if (choice != "" && !(choice in SKIP) && !(choice in OUT)) { Q[++qt] = choice; if (!(choice in PARENT)) PARENT[choice] = p }
        }
      }
      for (p in OUT) print p, ((p in PARENT) ? PARENT[p] : "(root)")
    }' <<<"$rec" | sort
}
mapfile -t closure < <(walk_closure)
[ "${#closure[@]}" -gt 0 ] || die "empty closure"
packages=()
for line in "${closure[@]}"; do packages+=("${line%% *}"); done
log "closure: ${#packages[@]} packages (roots ${#roots[@]}; pruned: base, toolchain, unused)"

# ---- download (idempotent) ------------------------------------------------------------------------------
mkdir -p "$out"
declare -A want_file=()
declare -A pkg_size=()
to_fetch=()
# The candidate versions' records (one apt-cache call: each takes most of a second): "package version
# architecture size sha256" lines.
declare -A meta=()
while read -r pkg rest; do meta[$pkg]=$rest; done < <(
  apt-cache show --no-all-versions "${packages[@]}" 2>/dev/null | awk '
    /^Package:/ {p = $2} /^Version:/ {v = $2} /^Architecture:/ {a = $2} /^Size:/ {s = $2} /^SHA256:/ {h = $2}
    /^$/ { if (p != "") print p, v, a, s, h; p = v = a = s = h = "" }
    END { if (p != "") print p, v, a, s, h }')
for pkg in "${packages[@]}"; do
  ver="" arch="" size="" sha=""
  read -r ver arch size sha <<<"${meta[$pkg]:-}"
  [ -n "${sha:-}" ] || die "no archive record for $pkg (apt-get update?)"
  file="${pkg}_${ver//:/%3a}_${arch}.deb"   # apt-get download's name: the epoch's ':' written %3a
  want_file[$file]=1
  pkg_size[$pkg]=$size
  if [ -f "$out/$file" ] && [ "$(stat -c %s "$out/$file")" = "$size" ] \
     && [ "$(sha256sum "$out/$file" | cut -d' ' -f1)" = "$sha" ]; then
    continue
  fi
  rm -f "$out/$file"
  to_fetch+=("$pkg=$ver")
done
for f in "$out"/*.deb; do
  [ -e "$f" ] || continue
  if [ -z "${want_file[$(basename "$f")]:-}" ]; then log "removing stale $(basename "$f")"; rm -f "$f"; fi
done
if [ "${#to_fetch[@]}" -gt 0 ]; then
  log "downloading ${#to_fetch[@]} packages into $out"
  (cd "$out" && apt-get download -q=2 -o APT::Sandbox::User=root "${to_fetch[@]}") || die "apt-get download failed"
else
  log "all ${#packages[@]} packages already downloaded in $out"
fi
for f in "${!want_file[@]}"; do [ -f "$out/$f" ] || die "missing after download: $f"; done

# ---- checks: every ELF's sonames resolve inside bundle + base ---------------------------------------
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
for f in "$out"/*.deb; do dpkg-deb -x "$f" "$scratch/root"; done
provided="$scratch/provided"
# The bundle's libraries as the loader finds them on the device: in the LD_LIBRARY_PATH directories that
# scripts/device_env.sh exports (keep the two lists in step).
for dir in usr/lib/x86_64-linux-gnu lib/x86_64-linux-gnu usr/lib/x86_64-linux-gnu/hdf5/serial \
           usr/lib/x86_64-linux-gnu/openmpi/lib; do
  if [ -d "$scratch/root/$dir" ]; then
    find "$scratch/root/$dir" -maxdepth 1 \( -type f -o -type l \) -name '*.so*' -printf '%f\n'
  fi
done >"$provided"
for pkg in "${base[@]}"; do
  dpkg-query -L "$pkg" 2>/dev/null | awk -F/ '/\.so/{print $NF}' >>"$provided" || true
done
# Debian's alternatives system makes a few links in its postinst, which dpkg -x does not run;
# scripts/device_env.sh makes them in the prefix (keep the two lists in step).
printf '%s\n' libpsm_infinipath.so.1 >>"$provided"
# The dynamic loader itself and glibc's libraries (libc6, base).
printf '%s\n' ld-linux-x86-64.so.2 libc.so.6 libm.so.6 libdl.so.2 libpthread.so.0 librt.so.1 libresolv.so.2 >>"$provided"
sort -u -o "$provided" "$provided"
mapfile -d '' elves < <(find "$scratch/root" -type f \( -perm -u+x -o -name '*.so*' \) -print0 \
                         | xargs -0 -r file -00 --mime-type 2>/dev/null \
                         | tr '\0' '\n' | paste - - | awk -F'\t' '$2 ~ /x-(sharedlib|executable|pie-executable)/ {printf "%s%c", $1, 0}')
[ "${#elves[@]}" -gt 0 ] || die "found no ELF files in the bundle (is 'file' installed?)"
# "FILE SONAME" for every DT_NEEDED of every ELF file (one objdump for all of them).
unresolved=()
while read -r elf soname; do
  if ! grep -qxF "$soname" "$provided"; then
    rel=${elf#"$scratch/root"}
    [[ $rel =~ $elf_unresolved_ok ]] || unresolved+=("$rel -> $soname")
  fi
done < <(objdump -p "${elves[@]}" 2>/dev/null | awk '/:[ \t]+file format/ {f = $1; sub(/:$/, "", f)} $1 == "NEEDED" {print f, $2}')
glibc_max=$(objdump -T "${elves[@]}" 2>/dev/null | grep -o 'GLIBC_[0-9.]*[0-9]' | sort -uV | tail -n1 || true)
if [ "${#unresolved[@]}" -gt 0 ]; then
  printf '[device_bundle] unresolved: %s\n' "${unresolved[@]}" >&2
  die "${#unresolved[@]} shared-library dependencies are neither in the bundle nor in the base set: add their packages"
fi
log "ELF check: every DT_NEEDED resolves inside the bundle or the base set; newest glibc symbol needed: ${glibc_max:-none}"

# ---- real data the check measures on ------------------------------------------------------------------
# ../shared/data does not travel: Amazon Home's sequences (3.3 MB) go next to the bundle, for the
# GCL4SR benchmark at the paper's data and the training call docs/gpu.md describes.
home=$repo/../shared/data/gcl4sr_home/home.txt
data_dir=$(dirname "$out")/data
if [ -f "$home" ]; then
  mkdir -p "$data_dir"
  cp -f "$home" "$data_dir/home.txt"
  log "data: $data_dir/home.txt (Amazon Home sequences, $(stat -c %s "$data_dir/home.txt") bytes)"
else
  log "data: $home not found; the device check will use synthetic sequences only"
fi
# Amazon Beauty with its item attributes (1.4 MB), for the S3-Rec benchmark.
beauty=$repo/../shared/data/s3rec
if [ -f "$beauty/Beauty.txt" ] && [ -f "$beauty/Beauty_item2attributes.json" ]; then
  mkdir -p "$data_dir"
  cp -f "$beauty/Beauty.txt" "$beauty/Beauty_item2attributes.json" "$data_dir/"
  log "data: $data_dir/Beauty.txt and Beauty_item2attributes.json (Amazon Beauty, S3-Rec)"
fi

# ---- size report and budget ---------------------------------------------------------------------------
total=0
for f in "${!want_file[@]}"; do total=$((total + $(stat -c %s "$out/$f"))); done
for f in home.txt Beauty.txt Beauty_item2attributes.json; do
  if [ -f "$data_dir/$f" ]; then total=$((total + $(stat -c %s "$data_dir/$f"))); fi
done
log "largest packages:"
for pkg in "${packages[@]}"; do printf '%s %s\n' "${pkg_size[$pkg]}" "$pkg"; done | sort -rn | head -n 10 \
  | awk '{printf "[device_bundle]   %7.2f MiB  %s\n", $1 / 1048576, $2}'
# Every package with its size and the package that pulled it in, next to the bundle.
listing=$(dirname "$out")/bundle.txt
for line in "${closure[@]}"; do
  pkg=${line%% *}
  printf '%10s  %-36s  pulled in by %s\n' "${pkg_size[$pkg]}" "$pkg" "${line#* }"
done | sort -rn >"$listing"
log "package list (bytes, package, parent): $listing"
total_mib=$(awk -v t="$total" 'BEGIN{printf "%.2f", t / 1048576}')
log "bundle: ${#packages[@]} packages, $total_mib MiB in $out (budget $budget_mib MiB)"
if [ "$total" -gt $((budget_mib * 1048576)) ]; then
  die "the bundle ($total_mib MiB) exceeds the budget of $budget_mib MiB: drop transports (libucx0, libfabric1, ...) from the closure or raise --budget-mib"
fi
# What else travels: the checkout's files that git does not ignore (the run tool's 64 MiB are for all).
if command -v git >/dev/null 2>&1 && git -C "$repo" rev-parse --git-dir >/dev/null 2>&1; then
  tree=$(git -C "$repo" ls-files -z --cached --others --exclude-standard \
         | (cd "$repo" && { xargs -0 -r stat -c %s 2>/dev/null || true; }) | awk '{s += $1} END {print s + 0}')
  log "with the checkout's other files ($(awk -v t="$tree" 'BEGIN{printf "%.2f", t / 1048576}') MiB): $(awk -v t="$((tree + total))" 'BEGIN{printf "%.2f", t / 1048576}') MiB of the 64 MiB that can travel"
fi
rel_out=${out#"$repo"/}
case $rel_out in
  /*) log "note: $out is outside the checkout; only paths inside it can be carried" ;;
  *)  log "carry: [\"${rel_out%%/*}\"]   (the run tool's carry list; then on the device: source scripts/device_env.sh PREFIX)" ;;
esac
