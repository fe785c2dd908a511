#include <cuda_runtime_api.h>

#include "core/error.hpp"
#include "ddp/backends.hpp"

namespace rsdist::ddp {

std::string cuda_runtime_version() {
  int version = 0;
  const cudaError_t rc = cudaRuntimeGetVersion(&version);
  RSDIST_CHECK(rc == cudaSuccess, "cudaRuntimeGetVersion failed: {}", cudaGetErrorString(rc));
  return fmt::format("CUDA runtime {}.{}", version / 1000, (version % 1000) / 10);
}

int cuda_device_count() {
  int count = 0;
  // No driver or no device is not an error here: the job then runs on CPU.
  if (cudaGetDeviceCount(&count) != cudaSuccess) {
    cudaGetLastError();  // clear the sticky error state
    return 0;
  }
  return count;
}

std::int64_t cuda_free_memory_bytes() {
  std::size_t free = 0, total = 0;
  const cudaError_t rc = cudaMemGetInfo(&free, &total);
  RSDIST_CHECK(rc == cudaSuccess, "cudaMemGetInfo failed: {}", cudaGetErrorString(rc));
  return static_cast<std::int64_t>(free);
}

void bind_cuda_device(int device) {
  const cudaError_t rc = cudaSetDevice(device);
  RSDIST_CHECK(rc == cudaSuccess, "cudaSetDevice({}) failed: {}", device, cudaGetErrorString(rc));
}

}  // namespace rsdist::ddp
