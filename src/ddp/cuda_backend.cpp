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

}  // namespace rsdist::ddp
