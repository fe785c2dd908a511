// Which device and collective backends this binary was built with.
//
// Each backend's probe lives in its own file, chosen by CMake: `<name>_backend.cpp` when
// RSDIST_WITH_<NAME> resolved ON, `<name>_backend_missing.cpp` otherwise. The missing variants
// throw "rsdist was built without <NAME>" so a user asking for it gets a clear answer instead of
// a link error or a silent fallback.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace rsdist::ddp {

// Library versions, or rsdist::Error("rsdist was built without ...") for a backend not built.
std::string cuda_runtime_version();
std::string nccl_library_version();
std::string mpi_library_version();

struct BackendStatus {
  std::string name;  // "cuda", "nccl", "mpi"
  bool built = false;
  std::string detail;  // the version when built, the reason otherwise
};

std::vector<BackendStatus> backend_statuses();

// Throws unless `name` ("cuda", "nccl", "mpi") was built; "local" (threads in one process) always
// is.
void require_backend(const std::string& name);

// CUDA devices visible to this process (0 in builds without CUDA or on machines without a GPU).
int cuda_device_count();
// Makes `device` current for this process's CUDA work; throws in builds without CUDA.
void bind_cuda_device(int device);
// Free memory of the current CUDA device in bytes (cudaMemGetInfo; memory LibTorch's caching
// allocator holds but does not use is not counted); throws in builds without CUDA.
std::int64_t cuda_free_memory_bytes();

}  // namespace rsdist::ddp
