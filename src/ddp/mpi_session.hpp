// MPI for the job, behind an interface that never shows MPI types: the same header serves builds
// with and without MPI (mpi_session.cpp or the stubs in mpi_backend_missing.cpp).
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "ddp/communicator.hpp"
#include "ddp/process_info.hpp"

namespace rsdist::ddp {

class MpiSession {
 public:
  // Initialises MPI with at least MPI_THREAD_SERIALIZED (every MPI call of rsdist is made by one
  // communicator thread at a time; see ddp/comm_worker.hpp). Throws "built without MPI" in builds
  // without it.
  static std::unique_ptr<MpiSession> initialize();

  // Finalizes MPI, except while an exception unwinds: then another rank may be blocked in a
  // collective, and the job is ended by abort_job() from main's handler instead.
  virtual ~MpiSession() = default;

  // Rank and size from MPI; local rank/size from the ranks sharing this host; node count.
  virtual ProcessInfo info() const = 0;

  // A communicator over all ranks for CPU tensors. Collectives running longer than `timeout` end
  // the job with a message naming the operation.
  virtual std::unique_ptr<Communicator> communicator(std::chrono::milliseconds timeout) = 0;
};

// Ends every rank of the job: MPI_Abort where MPI is initialised, else this process only.
[[noreturn]] void abort_job(int exit_code);

// True between MPI initialisation and finalisation: an error must then end the whole job
// (abort_job) rather than this process alone, or the other ranks would wait in a collective.
bool mpi_job_active();

}  // namespace rsdist::ddp
