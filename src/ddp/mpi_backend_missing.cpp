#include "ddp/backend_missing.hpp"
#include "ddp/backends.hpp"

namespace rsdist::ddp {

std::string mpi_library_version() { RSDIST_BACKEND_MISSING("MPI", "RSDIST_WITH_MPI"); }

}  // namespace rsdist::ddp
