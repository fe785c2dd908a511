// Who talks: the collective operations a data-parallel job needs, on tensors.
//
// Implementations (one file each): InProcessCommunicator (ranks as threads of one process, for
// tests), MpiCommunicator (CPU tensors), NcclCommunicator (CUDA tensors). How gradients are
// reduced is the Reducer's business (ddp/reducer.hpp), not the communicator's.
//
// Note [Collective order]: every rank must issue the same collectives in the same order; an
// asynchronous operation is started in call order and completes in that order. Communicators
// never reorder work.
#pragma once

#include <ATen/core/Tensor.h>

#include <memory>
#include <string>

namespace rsdist::ddp {

enum class ReduceOp { kSum, kAverage, kMax };

// A started collective. wait() returns when its result may be used by the caller's stream (CUDA:
// the compute stream waits on an event; no host synchronisation) or memory (CPU). Errors of the
// collective are thrown from wait().
class Work {
 public:
  virtual ~Work() = default;
  virtual void wait() = 0;
};

class Communicator {
 public:
  virtual ~Communicator() = default;

  virtual int rank() const = 0;
  virtual int world_size() const = 0;
  virtual std::string backend_name() const = 0;

  // In place: every rank's `tensor` becomes the reduction over ranks. The tensor must stay alive
  // and untouched until wait() returns.
  virtual std::unique_ptr<Work> all_reduce_async(at::Tensor tensor, ReduceOp op) = 0;

  // In place: every rank's `tensor` becomes root's.
  virtual void broadcast(at::Tensor tensor, int root) = 0;

  // Returns [world_size, *tensor.shape]: row r is rank r's `tensor`.
  virtual at::Tensor all_gather(const at::Tensor& tensor) = 0;

  // `blocks` is [world_size, ...]: block s goes to rank s. Returns [world_size, ...] of the same
  // shape: row s is what rank s sent here (its blocks[rank]). Every rank passes the same shape;
  // uneven exchanges pad their blocks (ddp/item_sharding.cpp).
  virtual at::Tensor all_to_all(const at::Tensor& blocks) = 0;

  virtual void barrier() = 0;

  void all_reduce(at::Tensor tensor, ReduceOp op) { all_reduce_async(std::move(tensor), op)->wait(); }
};

}  // namespace rsdist::ddp
