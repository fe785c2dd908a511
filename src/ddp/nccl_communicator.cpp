#include "ddp/nccl_communicator.hpp"

#include <ATen/cuda/CUDAEvent.h>
#include <ATen/ops/empty.h>
#include <ATen/ops/empty_like.h>
#include <ATen/ops/ones.h>
#include <c10/cuda/CUDACachingAllocator.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>
#include <nccl.h>

#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <deque>
#include <exception>
#include <mutex>
#include <thread>

#include "core/error.hpp"
#include "ddp/mpi_session.hpp"

namespace rsdist::ddp {
namespace {

#define RSDIST_NCCL_CHECK(call)                                                         \
  do {                                                                                  \
    const ncclResult_t rsdist_nccl_rc = (call);                                         \
    if (rsdist_nccl_rc != ncclSuccess) {                                                \
      RSDIST_THROW("{} failed: {} ({})", #call, ncclGetErrorString(rsdist_nccl_rc),     \
                   ncclGetLastError(nullptr) ? ncclGetLastError(nullptr) : "");         \
    }                                                                                   \
  } while (false)

ncclDataType_t nccl_type(const at::Tensor& t) {
  switch (t.scalar_type()) {
    case at::kFloat: return ncclFloat32;
    case at::kDouble: return ncclFloat64;
    case at::kHalf: return ncclFloat16;
    case at::kBFloat16: return ncclBfloat16;
    case at::kInt: return ncclInt32;
    case at::kLong: return ncclInt64;
    case at::kByte: return ncclUint8;
    case at::kChar: return ncclInt8;
    default: break;
  }
  RSDIST_THROW("NCCL collectives do not support {} tensors",
               std::string(c10::toString(t.scalar_type())));
}

ncclRedOp_t nccl_op(ReduceOp op) {
  switch (op) {
    case ReduceOp::kSum: return ncclSum;
    case ReduceOp::kAverage: return ncclAvg;
    case ReduceOp::kMax: return ncclMax;
  }
  return ncclSum;
}

class EventWork final : public Work {
 public:
  EventWork(std::shared_ptr<at::cuda::CUDAEvent> done, int device)
      : done_(std::move(done)), device_(device) {}
  void wait() override { done_->block(c10::cuda::getCurrentCUDAStream(device_)); }

 private:
  std::shared_ptr<at::cuda::CUDAEvent> done_;
  int device_;
};

class NcclCommunicator final : public Communicator {
 public:
  NcclCommunicator(Communicator& bootstrap, int device, std::chrono::milliseconds timeout)
      : rank_(bootstrap.rank()),
        world_size_(bootstrap.world_size()),
        device_(device),
        timeout_(timeout),
        stream_(c10::cuda::getStreamFromPool(/*isHighPriority=*/true, device)) {
    ncclUniqueId id;
    if (rank_ == 0) RSDIST_NCCL_CHECK(ncclGetUniqueId(&id));
    at::Tensor bytes = at::empty({static_cast<int64_t>(sizeof(id))}, at::kByte);
    std::memcpy(bytes.data_ptr(), &id, sizeof(id));
    bootstrap.broadcast(bytes, 0);
    std::memcpy(&id, bytes.data_ptr(), sizeof(id));
    c10::cuda::CUDAGuard guard(static_cast<c10::DeviceIndex>(device_));
    RSDIST_NCCL_CHECK(ncclCommInitRank(&comm_, world_size_, id, rank_));
    watchdog_ = std::thread([this] { watch(); });
  }

  ~NcclCommunicator() override {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopping_ = true;
    }
    cv_.notify_all();
    watchdog_.join();
    if (std::uncaught_exceptions() == 0) ncclCommDestroy(comm_);
  }

  int rank() const override { return rank_; }
  int world_size() const override { return world_size_; }
  std::string backend_name() const override { return "nccl"; }

  std::unique_ptr<Work> all_reduce_async(at::Tensor tensor, ReduceOp op) override {
    check(tensor, "all_reduce");
    auto done = enqueue(tensor, [&](cudaStream_t s) {
      RSDIST_NCCL_CHECK(ncclAllReduce(tensor.data_ptr(), tensor.data_ptr(),
                                      static_cast<size_t>(tensor.numel()), nccl_type(tensor),
                                      nccl_op(op), comm_, s));
    });
    return std::make_unique<EventWork>(std::move(done), device_);
  }

  void broadcast(at::Tensor tensor, int root) override {
    check(tensor, "broadcast");
    auto done = enqueue(tensor, [&](cudaStream_t s) {
      RSDIST_NCCL_CHECK(ncclBroadcast(tensor.data_ptr(), tensor.data_ptr(),
                                      static_cast<size_t>(tensor.numel()), nccl_type(tensor), root,
                                      comm_, s));
    });
    EventWork(std::move(done), device_).wait();
  }

  at::Tensor all_gather(const at::Tensor& tensor) override {
    const at::Tensor input = tensor.contiguous();
    check(input, "all_gather");
    std::vector<int64_t> shape{world_size_};
    for (auto d : input.sizes()) shape.push_back(d);
    at::Tensor output = at::empty(shape, input.options());
    auto done = enqueue(output, [&](cudaStream_t s) {
      c10::cuda::CUDACachingAllocator::recordStream(input.storage().data_ptr(), stream_);
      RSDIST_NCCL_CHECK(ncclAllGather(input.data_ptr(), output.data_ptr(),
                                      static_cast<size_t>(input.numel()), nccl_type(input), comm_, s));
    });
    EventWork(std::move(done), device_).wait();
    return output;
  }

  // NCCL has no all-to-all call: one group of a send and a receive per peer (as
  // torch.distributed's all_to_all_single does).
  at::Tensor all_to_all(const at::Tensor& blocks) override {
    const at::Tensor input = blocks.contiguous();
    check(input, "all_to_all");
    RSDIST_CHECK(input.dim() >= 1 && input.size(0) == world_size_,
                 "all_to_all needs [world_size = {}, ...] blocks, got {} rows", world_size_,
                 input.dim() >= 1 ? input.size(0) : -1);
    at::Tensor output = at::empty_like(input);
    const auto count = static_cast<size_t>(input.numel() / world_size_);
    const std::size_t bytes = count * input.element_size();
    auto done = enqueue(output, [&](cudaStream_t s) {
      c10::cuda::CUDACachingAllocator::recordStream(input.storage().data_ptr(), stream_);
      RSDIST_NCCL_CHECK(ncclGroupStart());
      for (int peer = 0; peer < world_size_; ++peer) {
        const auto* send = static_cast<const char*>(input.data_ptr()) + peer * bytes;
        auto* receive = static_cast<char*>(output.data_ptr()) + peer * bytes;
        RSDIST_NCCL_CHECK(ncclSend(send, count, nccl_type(input), peer, comm_, s));
        RSDIST_NCCL_CHECK(ncclRecv(receive, count, nccl_type(input), peer, comm_, s));
      }
      RSDIST_NCCL_CHECK(ncclGroupEnd());
    });
    EventWork(std::move(done), device_).wait();
    return output;
  }

  void barrier() override {
    at::Tensor one = at::ones({1}, at::TensorOptions().dtype(at::kFloat).device(at::kCUDA, device_));
    all_reduce(one, ReduceOp::kSum);
    stream_.synchronize();  // a barrier is a host-side rendezvous by definition
  }

 private:
  void check(const at::Tensor& t, const char* op) const {
    RSDIST_CHECK(t.defined() && t.is_cuda() && t.get_device() == device_,
                 "NCCL {} needs a tensor on cuda:{} (use MPI for CPU tensors)", op, device_);
    RSDIST_CHECK(t.is_contiguous(), "NCCL {} needs a contiguous tensor", op);
  }

  // Orders the collective after the caller's stream, runs it on the communicator's stream, and
  // returns its completion event (also handed to the watchdog).
  template <class Launch>
  std::shared_ptr<at::cuda::CUDAEvent> enqueue(const at::Tensor& tensor, Launch&& launch) {
    c10::cuda::CUDAGuard guard(static_cast<c10::DeviceIndex>(device_));
    at::cuda::CUDAEvent ready;
    ready.record(c10::cuda::getCurrentCUDAStream(device_));
    ready.block(stream_);
    // The caching allocator must not hand this memory out again before the collective is done.
    c10::cuda::CUDACachingAllocator::recordStream(tensor.storage().data_ptr(), stream_);
    launch(stream_.stream());
    auto done = std::make_shared<at::cuda::CUDAEvent>();
    done->record(stream_);
    {
      std::lock_guard<std::mutex> lock(mutex_);
      in_flight_.push_back({done, std::chrono::steady_clock::now()});
    }
    cv_.notify_all();
    return done;
  }

  void watch() {
    std::unique_lock<std::mutex> lock(mutex_);
    while (!stopping_) {
      cv_.wait_for(lock, std::chrono::milliseconds(100));
      while (!in_flight_.empty() && in_flight_.front().done->query()) in_flight_.pop_front();
      ncclResult_t async_error = ncclSuccess;
      ncclCommGetAsyncError(comm_, &async_error);
      std::string problem;
      if (async_error != ncclSuccess && async_error != ncclInProgress) {
        problem = fmt::format("NCCL reported an asynchronous error: {}", ncclGetErrorString(async_error));
      } else if (!in_flight_.empty() &&
                 std::chrono::steady_clock::now() - in_flight_.front().started > timeout_) {
        problem = fmt::format("an NCCL collective has not finished after {} ms: a rank died or hangs",
                              timeout_.count());
      }
      if (!problem.empty()) {
        std::fprintf(stderr, "[rank %d/%d] [critical] %s; ending the job\n", rank_, world_size_,
                     problem.c_str());
        std::fflush(stderr);
        ncclCommAbort(comm_);
        abort_job(1);
      }
    }
  }

  struct InFlight {
    std::shared_ptr<at::cuda::CUDAEvent> done;
    std::chrono::steady_clock::time_point started;
  };

  int rank_;
  int world_size_;
  int device_;
  std::chrono::milliseconds timeout_;
  c10::cuda::CUDAStream stream_;
  ncclComm_t comm_ = nullptr;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<InFlight> in_flight_;
  bool stopping_ = false;
  std::thread watchdog_;
};

}  // namespace

std::unique_ptr<Communicator> make_nccl_communicator(Communicator& bootstrap, int cuda_device,
                                                     std::chrono::milliseconds timeout) {
  return std::make_unique<NcclCommunicator>(bootstrap, cuda_device, timeout);
}

}  // namespace rsdist::ddp
