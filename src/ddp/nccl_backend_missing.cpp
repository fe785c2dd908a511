#include "ddp/backend_missing.hpp"
#include "ddp/backends.hpp"
#include "ddp/nccl_communicator.hpp"

namespace rsdist::ddp {

std::string nccl_library_version() { RSDIST_BACKEND_MISSING("NCCL", "RSDIST_WITH_NCCL"); }

std::unique_ptr<Communicator> make_nccl_communicator(Communicator&, int,
                                                     std::chrono::milliseconds) {
  RSDIST_BACKEND_MISSING("NCCL", "RSDIST_WITH_NCCL");
}

}  // namespace rsdist::ddp
