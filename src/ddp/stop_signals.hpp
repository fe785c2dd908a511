// SIGTERM (scancel, a node draining) and SIGUSR1 (Slurm's warning before the time limit, see
// slurm/train.sbatch) ask a job to stop cleanly: the training loop polls requested(), agrees with
// the other ranks (ddp::any_rank), lets rank 0 write a checkpoint, and exits with
// kExitAfterSignal so that the batch script knows to requeue.
#pragma once

namespace rsdist::ddp {

// EX_TEMPFAIL: "try again later" - the job stopped on request and can be resumed.
constexpr int kExitAfterSignal = 75;

class StopSignals {
 public:
  StopSignals();   // installs the handlers
  ~StopSignals();  // restores the previous handlers
  StopSignals(const StopSignals&) = delete;
  StopSignals& operator=(const StopSignals&) = delete;

  bool requested() const;
  int signal_number() const;  // 0 when none arrived
};

}  // namespace rsdist::ddp
