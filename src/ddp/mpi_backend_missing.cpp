#include <cstdlib>

#include "ddp/backend_missing.hpp"
#include "ddp/backends.hpp"
#include "ddp/mpi_session.hpp"

namespace rsdist::ddp {

std::string mpi_library_version() { RSDIST_BACKEND_MISSING("MPI", "RSDIST_WITH_MPI"); }

std::unique_ptr<MpiSession> MpiSession::initialize() {
  RSDIST_BACKEND_MISSING("MPI", "RSDIST_WITH_MPI");
}

void abort_job(int exit_code) { std::_Exit(exit_code); }

bool mpi_job_active() { return false; }

}  // namespace rsdist::ddp
