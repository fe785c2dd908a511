#include <nccl.h>

#include "core/error.hpp"
#include "ddp/backends.hpp"

namespace rsdist::ddp {

std::string nccl_library_version() {
  int version = 0;
  const ncclResult_t rc = ncclGetVersion(&version);
  RSDIST_CHECK(rc == ncclSuccess, "ncclGetVersion failed: {}", ncclGetErrorString(rc));
  // NCCL >= 2.9 encodes major*10000 + minor*100 + patch.
  return fmt::format("NCCL {}.{}.{}", version / 10000, (version % 10000) / 100, version % 100);
}

}  // namespace rsdist::ddp
