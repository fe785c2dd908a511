#include "ddp/mpi_session.hpp"

#include <mpi.h>

#include <ATen/ops/empty.h>
#include <ATen/ops/empty_like.h>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <exception>

#include "core/error.hpp"
#include "ddp/comm_worker.hpp"

namespace rsdist::ddp {
namespace {

#define RSDIST_MPI_CHECK(call)                                                  \
  do {                                                                          \
    const int rsdist_mpi_rc = (call);                                           \
    if (rsdist_mpi_rc != MPI_SUCCESS) {                                         \
      char text[MPI_MAX_ERROR_STRING] = {};                                     \
      int length = 0;                                                           \
      MPI_Error_string(rsdist_mpi_rc, text, &length);                           \
      RSDIST_THROW("{} failed: {}", #call, std::string(text, length));          \
    }                                                                           \
  } while (false)

MPI_Datatype mpi_type(const at::Tensor& t) {
  switch (t.scalar_type()) {
    case at::kFloat: return MPI_FLOAT;
    case at::kDouble: return MPI_DOUBLE;
    case at::kInt: return MPI_INT32_T;
    case at::kLong: return MPI_INT64_T;
    case at::kByte: return MPI_UINT8_T;
    case at::kChar: return MPI_INT8_T;
    case at::kBool: return MPI_C_BOOL;
    default: break;
  }
  RSDIST_THROW("MPI collectives support float32/float64/int8/uint8/int32/int64/bool tensors, "
               "not {}",
               std::string(c10::toString(t.scalar_type())));
}

void check_cpu_contiguous(const at::Tensor& t, const char* op) {
  RSDIST_CHECK(t.defined() && t.device().is_cpu(), "MPI {} needs a CPU tensor (use NCCL for CUDA)",
               op);
  RSDIST_CHECK(t.is_contiguous(), "MPI {} needs a contiguous tensor", op);
}

// MPI counts are ints: large tensors travel in chunks.
template <class Fn>
void in_chunks(const at::Tensor& t, Fn&& fn) {
  const std::int64_t total = t.numel();
  const std::int64_t chunk = INT_MAX / 2;
  auto* base = static_cast<char*>(t.data_ptr());
  for (std::int64_t start = 0; start < total; start += chunk) {
    const auto count = static_cast<int>(std::min(chunk, total - start));
    fn(base + start * t.element_size(), count);
  }
}

class MpiCommunicator final : public Communicator {
 public:
  MpiCommunicator(MPI_Comm comm, std::chrono::milliseconds timeout)
      : comm_(comm),
        worker_(std::make_unique<CommWorker>(
            timeout, [this](std::chrono::milliseconds waited) { on_timeout(waited); })) {
    MPI_Comm_rank(comm_, &rank_);
    MPI_Comm_size(comm_, &world_size_);
  }

  ~MpiCommunicator() override {
    worker_.reset();  // no operation may still use comm_ once it is freed
    if (std::uncaught_exceptions() == 0) MPI_Comm_free(&comm_);
  }

  int rank() const override { return rank_; }
  int world_size() const override { return world_size_; }
  std::string backend_name() const override { return "mpi"; }

  std::unique_ptr<Work> all_reduce_async(at::Tensor tensor, ReduceOp op) override {
    check_cpu_contiguous(tensor, "all_reduce");
    const MPI_Datatype type = mpi_type(tensor);
    return worker_->submit([this, tensor, op, type]() mutable {
      const MPI_Op mpi_op = op == ReduceOp::kMax ? MPI_MAX : MPI_SUM;
      in_chunks(tensor, [&](void* data, int count) {
        RSDIST_MPI_CHECK(MPI_Allreduce(MPI_IN_PLACE, data, count, type, mpi_op, comm_));
      });
      if (op == ReduceOp::kAverage) tensor.div_(static_cast<double>(world_size_));
    });
  }

  void broadcast(at::Tensor tensor, int root) override {
    check_cpu_contiguous(tensor, "broadcast");
    const MPI_Datatype type = mpi_type(tensor);
    worker_->run([&] {
      in_chunks(tensor, [&](void* data, int count) {
        RSDIST_MPI_CHECK(MPI_Bcast(data, count, type, root, comm_));
      });
    });
  }

  at::Tensor all_gather(const at::Tensor& tensor) override {
    const at::Tensor input = tensor.contiguous();
    check_cpu_contiguous(input, "all_gather");
    RSDIST_CHECK(input.numel() <= INT_MAX, "all_gather of more than INT_MAX elements");
    std::vector<int64_t> shape{world_size_};
    for (auto d : input.sizes()) shape.push_back(d);
    at::Tensor output = at::empty(shape, input.options());
    const MPI_Datatype type = mpi_type(input);
    worker_->run([&] {
      const int count = static_cast<int>(input.numel());
      RSDIST_MPI_CHECK(MPI_Allgather(input.data_ptr(), count, type, output.data_ptr(), count, type, comm_));
    });
    return output;
  }

  at::Tensor all_to_all(const at::Tensor& blocks) override {
    const at::Tensor input = blocks.contiguous();
    check_cpu_contiguous(input, "all_to_all");
    RSDIST_CHECK(input.dim() >= 1 && input.size(0) == world_size_,
                 "all_to_all needs [world_size = {}, ...] blocks, got {} rows", world_size_,
                 input.dim() >= 1 ? input.size(0) : -1);
    RSDIST_CHECK(input.numel() <= INT_MAX, "all_to_all of more than INT_MAX elements");
    at::Tensor output = at::empty_like(input);
    const MPI_Datatype type = mpi_type(input);
    worker_->run([&] {
      const int count = static_cast<int>(input.numel() / world_size_);
      RSDIST_MPI_CHECK(MPI_Alltoall(input.data_ptr(), count, type, output.data_ptr(), count, type, comm_));
    });
    return output;
  }

  void barrier() override {
    worker_->run([&] { RSDIST_MPI_CHECK(MPI_Barrier(comm_)); });
  }

 private:
  void on_timeout(std::chrono::milliseconds waited) {
    std::fprintf(stderr,
                 "[rank %d/%d] [critical] an MPI collective has not finished after %lld ms: a rank "
                 "died or hangs; ending the job\n",
                 rank_, world_size_, static_cast<long long>(waited.count()));
    std::fflush(stderr);
    abort_job(1);
  }

  MPI_Comm comm_;
  int rank_ = 0;
  int world_size_ = 1;
  std::unique_ptr<CommWorker> worker_;
};

class MpiSessionImpl final : public MpiSession {
 public:
  MpiSessionImpl() {
    int initialized = 0;
    MPI_Initialized(&initialized);
    RSDIST_CHECK(!initialized, "MPI is already initialised in this process");
    int provided = 0;
    RSDIST_MPI_CHECK(MPI_Init_thread(nullptr, nullptr, MPI_THREAD_SERIALIZED, &provided));
    RSDIST_CHECK(provided >= MPI_THREAD_SERIALIZED,
                 "the MPI library provides thread level {} but rsdist needs MPI_THREAD_SERIALIZED",
                 provided);
    // Errors come back as codes and become rsdist::Error, instead of MPI aborting on its own.
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    MPI_Comm_rank(MPI_COMM_WORLD, &info_.rank);
    MPI_Comm_size(MPI_COMM_WORLD, &info_.world_size);
    MPI_Comm local;
    RSDIST_MPI_CHECK(MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, info_.rank,
                                         MPI_INFO_NULL, &local));
    MPI_Comm_rank(local, &info_.local_rank);
    MPI_Comm_size(local, &info_.local_world_size);
    MPI_Comm_free(&local);
    int leader = info_.local_rank == 0 ? 1 : 0;
    RSDIST_MPI_CHECK(MPI_Allreduce(&leader, &info_.node_count, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD));
    info_.launcher = detect_process_info(process_environment()).launcher;
  }

  ~MpiSessionImpl() override {
    if (std::uncaught_exceptions() == 0) MPI_Finalize();
  }

  ProcessInfo info() const override { return info_; }

  std::unique_ptr<Communicator> communicator(std::chrono::milliseconds timeout) override {
    MPI_Comm dup;
    RSDIST_MPI_CHECK(MPI_Comm_dup(MPI_COMM_WORLD, &dup));
    return std::make_unique<MpiCommunicator>(dup, timeout);
  }

 private:
  ProcessInfo info_;
};

}  // namespace

std::unique_ptr<MpiSession> MpiSession::initialize() { return std::make_unique<MpiSessionImpl>(); }

bool mpi_job_active() {
  int initialized = 0;
  int finalized = 0;
  MPI_Initialized(&initialized);
  MPI_Finalized(&finalized);
  return initialized && !finalized;
}

void abort_job(int exit_code) {
  int initialized = 0;
  int finalized = 0;
  MPI_Initialized(&initialized);
  MPI_Finalized(&finalized);
  if (initialized && !finalized) MPI_Abort(MPI_COMM_WORLD, exit_code);
  std::_Exit(exit_code);
}

}  // namespace rsdist::ddp
