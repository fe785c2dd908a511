#!/usr/bin/env bash
# Installs everything rsdist needs on a fresh Debian/Ubuntu machine, idempotently:
#   * system packages (compiler tool chain, Open MPI, HDF5, Boost.Program_options, spdlog, GoogleTest, ccache,
#     protobuf for TensorBoard's event files, and munge + Slurm for the one-node cluster the tests start);
#   * LibTorch, from the pinned PyPI torch wheel, in a virtual environment inside the checkout (.venv/).
# A second run only confirms. Run as root or as a user with sudo.
#
# Environment:
#   RSDIST_VENV=DIR          where the virtual environment lives (default: <checkout>/.venv)
#   RSDIST_LIBTORCH=DIR      use your own LibTorch (an unpacked official libtorch zip, or any directory that
#                            holds share/cmake/Torch); the torch wheel is then not installed
#   RSDIST_SKIP_APT=1        do not touch system packages (you installed them yourself)
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
venv=${RSDIST_VENV:-$repo/.venv}
python=${PYTHON:-python3}

apt_packages=(
  build-essential cmake ninja-build ccache pkg-config git
  libopenmpi-dev openmpi-bin
  libhdf5-dev
  libboost-program-options-dev
  libspdlog-dev libfmt-dev
  libgtest-dev
  nlohmann-json3-dev
  shellcheck procps
  clang libclang-rt-14-dev
  python3-venv
  libprotobuf-dev protobuf-compiler
  munge slurmctld slurmd slurm-client
  libpmix-dev  # srun --mpi=pmix loads pmix2/lib/libpmix.so, which only the -dev package ships
)

log() { printf '[setup] %s\n' "$*"; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

install_system_packages() {
  if [ "${RSDIST_SKIP_APT:-0}" = 1 ]; then
    log "system packages: skipped (RSDIST_SKIP_APT=1)"
    return
  fi
  local missing=()
  local pkg
  for pkg in "${apt_packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
      missing+=("$pkg")
    fi
  done
  if [ "${#missing[@]}" -eq 0 ]; then
    log "system packages: all ${#apt_packages[@]} present"
    return
  fi
  log "system packages: installing ${missing[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

torch_pin() {
  sed -n 's/^torch==\(.*\)$/\1/p' "$repo/scripts/requirements.txt"
}

venv_is_complete() {
  [ -x "$venv/bin/python" ] || return 1
  "$venv/bin/python" - "$(torch_pin)" <<'PY' >/dev/null 2>&1
import sys, torch, numpy, h5py, tensorboard
assert torch.__version__.split("+")[0] == sys.argv[1]
PY
}

install_libtorch() {
  if [ -n "${RSDIST_LIBTORCH:-}" ]; then
    if [ -f "$RSDIST_LIBTORCH/share/cmake/Torch/TorchConfig.cmake" ]; then
      log "LibTorch: using $RSDIST_LIBTORCH (RSDIST_LIBTORCH)"
      return
    fi
    echo "[setup] error: RSDIST_LIBTORCH=$RSDIST_LIBTORCH has no share/cmake/Torch/TorchConfig.cmake" >&2
    exit 1
  fi
  if venv_is_complete; then
    log "LibTorch: torch $(torch_pin) present in $venv"
    return
  fi
  log "LibTorch: installing torch $(torch_pin) into $venv (about 5 GB with its CUDA libraries)"
  [ -x "$venv/bin/python" ] || "$python" -m venv "$venv"
  "$venv/bin/python" -m pip install -q --upgrade pip
  "$venv/bin/python" -m pip install -q -r "$repo/scripts/requirements.txt"
  venv_is_complete || { echo "[setup] error: torch in $venv does not import after installation" >&2; exit 1; }
  log "LibTorch: torch $(torch_pin) installed"
}

install_system_packages
install_libtorch
log "done"
