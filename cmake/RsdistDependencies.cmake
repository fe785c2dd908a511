# Finds rsdist's dependencies and resolves the RSDIST_WITH_* backend options.
#
# Results (all ON/OFF):  RSDIST_CUDA_ENABLED, RSDIST_NCCL_ENABLED, RSDIST_MPI_ENABLED
# Targets:               rsdist::torch, rsdist::hdf5, rsdist::mpi (if MPI), rsdist::nccl (if NCCL)
#
# LibTorch is found through CMAKE_PREFIX_PATH: scripts/build.sh passes the virtual environment's
# torch.utils.cmake_prefix_path; a user's own LibTorch works with -DCMAKE_PREFIX_PATH=/path/to/libtorch.

function(rsdist_resolve_option name found reason)
  set(value "${${name}}")
  if(value STREQUAL "AUTO")
    set(enabled ${found})
  elseif(value)
    if(NOT found)
      message(FATAL_ERROR "${name}=ON but ${reason}. Install it, or configure with -D${name}=OFF.")
    endif()
    set(enabled ON)
  else()
    set(enabled OFF)
  endif()
  if(enabled)
    set(enabled ON)
  else()
    set(enabled OFF)
  endif()
  string(REPLACE "RSDIST_WITH_" "RSDIST_" base "${name}")
  set(${base}_ENABLED ${enabled} PARENT_SCOPE)
endfunction()

find_package(Threads REQUIRED)
find_package(fmt REQUIRED)
find_package(spdlog REQUIRED)
find_package(Boost 1.71 REQUIRED COMPONENTS program_options)
find_package(nlohmann_json 3 REQUIRED)
find_package(HDF5 REQUIRED COMPONENTS C)
# TensorBoard event files (src/tensorboard/): Debian's protobuf (protoc + the lite runtime).
find_package(Protobuf REQUIRED)

add_library(rsdist_hdf5 INTERFACE)
target_include_directories(rsdist_hdf5 SYSTEM INTERFACE ${HDF5_C_INCLUDE_DIRS} ${HDF5_INCLUDE_DIRS})
target_link_libraries(rsdist_hdf5 INTERFACE ${HDF5_C_LIBRARIES} ${HDF5_LIBRARIES})
target_compile_definitions(rsdist_hdf5 INTERFACE ${HDF5_C_DEFINITIONS} ${HDF5_DEFINITIONS})
add_library(rsdist::hdf5 ALIAS rsdist_hdf5)

# ---- CUDA (must be decided before LibTorch is imported) -------------------------------------
find_package(CUDAToolkit QUIET)
set(_cuda_found OFF)
if(CUDAToolkit_FOUND AND CUDAToolkit_NVCC_EXECUTABLE)
  set(_cuda_found ON)
endif()
rsdist_resolve_option(RSDIST_WITH_CUDA "${_cuda_found}" "no CUDA toolkit (nvcc) was found")

# ---- LibTorch --------------------------------------------------------------------------------
if(NOT RSDIST_CUDA_ENABLED AND NOT TARGET torch::cudart)
  # A CUDA-built LibTorch (the PyPI wheel) insists on finding the CUDA toolkit when imported, although
  # a CPU build of rsdist links only torch_cpu and c10. Defining torch::cudart first makes LibTorch's
  # public/cuda.cmake take its include-guard exit, so a machine without CUDA can still use the wheel.
  add_library(torch::cudart INTERFACE IMPORTED)
endif()
if(RSDIST_CUDA_ENABLED)
  # LibTorch's cuda.cmake enables the CUDA language with the C++ standard (20), which CMake < 3.26
  # does not map for nvcc; rsdist's device code needs no more than C++17. Naming the architectures
  # (TORCH_CUDA_ARCH_LIST, Hopper by default) skips LibTorch's GPU probe, which cannot run on a build machine without one.
  if(NOT DEFINED CMAKE_CUDA_STANDARD)
    set(CMAKE_CUDA_STANDARD 17)
  endif()
  if(NOT DEFINED TORCH_CUDA_ARCH_LIST AND NOT DEFINED ENV{TORCH_CUDA_ARCH_LIST})
    set(TORCH_CUDA_ARCH_LIST "9.0" CACHE STRING "CUDA architectures for LibTorch's flags")
  endif()
endif()
find_package(Torch REQUIRED)
if(RSDIST_CUDA_ENABLED AND NOT TARGET torch_cuda)
  if(RSDIST_WITH_CUDA STREQUAL "AUTO")
    message(STATUS "LibTorch at ${TORCH_INSTALL_PREFIX} was built without CUDA: building rsdist for CPU")
    set(RSDIST_CUDA_ENABLED OFF)
  else()
    message(FATAL_ERROR "RSDIST_WITH_CUDA=ON but LibTorch at ${TORCH_INSTALL_PREFIX} was built without CUDA")
  endif()
endif()

# LibTorch's include directory also holds its private copy of {fmt} (a newer major version than the
# system's, which spdlog is built against). Mixing them breaks the link, so rsdist sees LibTorch's
# headers through a directory of links that leaves `fmt/` out; the few torch headers that use fmt
# (profiler, tunable GEMM, c10d internals) are not included by rsdist.
set(_torch_include "${TORCH_INSTALL_PREFIX}/include")
set(RSDIST_TORCH_INCLUDE "${CMAKE_BINARY_DIR}/torch-include")
file(MAKE_DIRECTORY "${RSDIST_TORCH_INCLUDE}")
file(GLOB _torch_include_entries RELATIVE "${_torch_include}" "${_torch_include}/*")
foreach(_entry IN LISTS _torch_include_entries)
  if(NOT _entry STREQUAL "fmt" AND NOT EXISTS "${RSDIST_TORCH_INCLUDE}/${_entry}")
    file(CREATE_LINK "${_torch_include}/${_entry}" "${RSDIST_TORCH_INCLUDE}/${_entry}" SYMBOLIC)
  endif()
endforeach()
foreach(_target torch torch_cpu torch_cuda torch_library c10 c10_cuda)
  if(TARGET ${_target})
    get_target_property(_dirs ${_target} INTERFACE_INCLUDE_DIRECTORIES)
    if(_dirs)
      get_filename_component(_real_include "${_torch_include}" REALPATH)
      set(_fixed "")
      foreach(_dir IN LISTS _dirs)
        if(NOT _dir MATCHES "^\\$<")
          get_filename_component(_dir_real "${_dir}" REALPATH)
          if(_dir_real STREQUAL _real_include)
            set(_dir "${RSDIST_TORCH_INCLUDE}")
          endif()
        endif()
        list(APPEND _fixed "${_dir}")
      endforeach()
      set_target_properties(${_target} PROPERTIES INTERFACE_INCLUDE_DIRECTORIES "${_fixed}")
    endif()
  endif()
endforeach()
string(REPLACE "${_torch_include}" "${RSDIST_TORCH_INCLUDE}" TORCH_INCLUDE_DIRS "${TORCH_INCLUDE_DIRS}")

add_library(rsdist_torch INTERFACE)
if(RSDIST_CUDA_ENABLED)
  target_link_libraries(rsdist_torch INTERFACE torch)
else()
  target_link_libraries(rsdist_torch INTERFACE torch_cpu c10)
  target_include_directories(rsdist_torch SYSTEM INTERFACE ${TORCH_INCLUDE_DIRS})
  if(TORCH_CXX_FLAGS)
    separate_arguments(_torch_flags UNIX_COMMAND "${TORCH_CXX_FLAGS}")
    target_compile_options(rsdist_torch INTERFACE ${_torch_flags})
  endif()
endif()
add_library(rsdist::torch ALIAS rsdist_torch)

# ---- CUDA runtime and NCCL as LibTorch loads them ---------------------------------------------
# The PyPI wheel ships its own CUDA runtime and NCCL (site-packages/nvidia/...), newer than a system
# toolkit may be. One process must load one libcudart.so.13 and one libnccl.so.2, and libtorch_cuda
# needs the wheel's (it calls NCCL symbols older releases lack), so rsdist links those and puts
# their directories first in the run path.
get_filename_component(_wheel_nvidia "${TORCH_INSTALL_PREFIX}/../nvidia" ABSOLUTE)
file(GLOB _wheel_cudart "${_wheel_nvidia}/cu*/lib/libcudart.so.*")
add_library(rsdist_cuda_runtime INTERFACE)
if(RSDIST_CUDA_ENABLED)
  if(_wheel_cudart)
    list(GET _wheel_cudart 0 _wheel_cudart)
    get_filename_component(_wheel_cudart_dir "${_wheel_cudart}" DIRECTORY)
    target_include_directories(rsdist_cuda_runtime SYSTEM INTERFACE ${CUDAToolkit_INCLUDE_DIRS})
    target_link_libraries(rsdist_cuda_runtime INTERFACE "${_wheel_cudart}")
    target_link_options(rsdist_cuda_runtime INTERFACE
      "LINKER:-rpath,${_wheel_cudart_dir}" "LINKER:-rpath-link,${_wheel_cudart_dir}")
  else()
    target_link_libraries(rsdist_cuda_runtime INTERFACE CUDA::cudart)
  endif()
endif()

set(_nccl_hints "${_wheel_nvidia}/nccl" "$ENV{NCCL_ROOT}" "${NCCL_ROOT}")
if(CUDAToolkit_FOUND)
  list(APPEND _nccl_hints "${CUDAToolkit_LIBRARY_ROOT}" "${CUDAToolkit_TARGET_DIR}")
endif()
find_path(RSDIST_NCCL_INCLUDE_DIR nccl.h HINTS ${_nccl_hints} PATH_SUFFIXES include NO_DEFAULT_PATH)
find_path(RSDIST_NCCL_INCLUDE_DIR nccl.h)
find_library(RSDIST_NCCL_LIBRARY NAMES nccl libnccl.so.2 NAMES_PER_DIR HINTS ${_nccl_hints}
  PATH_SUFFIXES lib lib64 NO_DEFAULT_PATH)
find_library(RSDIST_NCCL_LIBRARY NAMES nccl libnccl.so.2 NAMES_PER_DIR)
set(_nccl_found OFF)
if(RSDIST_NCCL_INCLUDE_DIR AND RSDIST_NCCL_LIBRARY)
  set(_nccl_found ON)
endif()
if(NOT RSDIST_CUDA_ENABLED)
  if(RSDIST_WITH_NCCL STREQUAL "ON")
    message(FATAL_ERROR "RSDIST_WITH_NCCL=ON needs CUDA, but RSDIST_WITH_CUDA resolved to OFF")
  endif()
  set(_nccl_found OFF)
endif()
rsdist_resolve_option(RSDIST_WITH_NCCL "${_nccl_found}" "nccl.h/libnccl were not found (set NCCL_ROOT)")
if(RSDIST_NCCL_ENABLED)
  get_filename_component(_nccl_dir "${RSDIST_NCCL_LIBRARY}" DIRECTORY)
  add_library(rsdist_nccl INTERFACE)
  target_include_directories(rsdist_nccl SYSTEM INTERFACE ${RSDIST_NCCL_INCLUDE_DIR})
  target_link_libraries(rsdist_nccl INTERFACE ${RSDIST_NCCL_LIBRARY} rsdist_cuda_runtime)
  add_library(rsdist::nccl ALIAS rsdist_nccl)
  # libtorch_cuda needs this NCCL too: first in the run path of everything that links torch.
  target_link_options(rsdist_torch INTERFACE "LINKER:-rpath,${_nccl_dir}" "LINKER:-rpath-link,${_nccl_dir}")
endif()
if(RSDIST_CUDA_ENABLED)
  target_link_libraries(rsdist_torch INTERFACE rsdist_cuda_runtime)
endif()

# ---- MPI -------------------------------------------------------------------------------------
find_package(MPI QUIET COMPONENTS C)
rsdist_resolve_option(RSDIST_WITH_MPI "${MPI_C_FOUND}" "no MPI (C bindings) was found")
if(RSDIST_MPI_ENABLED)
  add_library(rsdist_mpi INTERFACE)
  target_link_libraries(rsdist_mpi INTERFACE MPI::MPI_C)
  # The C API only: keep the deprecated C++ bindings out of C++ translation units.
  target_compile_definitions(rsdist_mpi INTERFACE OMPI_SKIP_MPICXX=1 MPICH_SKIP_MPICXX=1)
  add_library(rsdist::mpi ALIAS rsdist_mpi)
  find_program(RSDIST_MPIEXEC NAMES mpirun mpiexec HINTS ${MPI_HOME} PATH_SUFFIXES bin)
endif()
