#include "ddp/backend_missing.hpp"
#include "ddp/backends.hpp"

namespace rsdist::ddp {

std::string cuda_runtime_version() { RSDIST_BACKEND_MISSING("CUDA", "RSDIST_WITH_CUDA"); }

}  // namespace rsdist::ddp
