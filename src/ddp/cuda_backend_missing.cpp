#include "ddp/backend_missing.hpp"
#include "ddp/backends.hpp"

namespace rsdist::ddp {

std::string cuda_runtime_version() { RSDIST_BACKEND_MISSING("CUDA", "RSDIST_WITH_CUDA"); }

int cuda_device_count() { return 0; }

void bind_cuda_device(int) { RSDIST_BACKEND_MISSING("CUDA", "RSDIST_WITH_CUDA"); }

std::int64_t cuda_free_memory_bytes() { RSDIST_BACKEND_MISSING("CUDA", "RSDIST_WITH_CUDA"); }

}  // namespace rsdist::ddp
