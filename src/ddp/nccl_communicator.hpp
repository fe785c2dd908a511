// NCCL on CUDA tensors (nccl_communicator.cpp; stubs in nccl_backend_missing.cpp).
#pragma once

#include <chrono>
#include <memory>

#include "ddp/communicator.hpp"

namespace rsdist::ddp {

// One NCCL communicator for the job over the ranks of `bootstrap` (any CPU communicator, normally
// MPI): rank 0 creates the unique id and broadcasts it through `bootstrap`. Collectives run on the
// communicator's own CUDA stream, ordered after the caller's current stream by an event; Work::wait
// makes the caller's stream wait on the collective's completion event, never the host. A watchdog
// polls ncclCommGetAsyncError and the completion events; an NCCL error or a collective running
// longer than `timeout` aborts the communicator and ends the job with a message.
std::unique_ptr<Communicator> make_nccl_communicator(Communicator& bootstrap, int cuda_device,
                                                     std::chrono::milliseconds timeout);

}  // namespace rsdist::ddp
