// A test seam: ending one rank of a real run at a named moment, for the fault table
// (docs/reliability.md, tests/ddp/reliability_test.cpp).
//
// Note [Fault injection]
// RSDIST_FAULT=<point>:<rank>:<nth>:<signal>[:<marker file>] makes the process of rank <rank>
// raise <signal> (KILL, TERM, USR1 or INT) the <nth> time (from 1) it reaches <point>:
//   forward           the trainer, before a training step's forward pass
//   all_reduce        the reducer, just after a gradient bucket's all-reduce was launched (in
//                     flight, the other ranks inside it)
//   checkpoint_write  write_checkpoint, the data files written into the staging directory and
//                     the manifest not yet (only rank 0 writes checkpoints)
//   evaluate          the sharded ranking evaluation, before a chunk of users is scored
// Before raising it writes the steady clock's reading in seconds (CLOCK_MONOTONIC on Linux,
// shared by every process of the machine) to <marker file>, so that a test can time the job's
// end from the fault, and says on stderr what it does. Unset or empty, every point costs one
// pointer test. The variable is read once per process; a malformed value is an error naming it
// (`rsdist train` checks it at start-up). The call counter is process-wide mutable state, the
// only one besides StopSignals' flag, kept to this seam.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace rsdist {

enum class FaultPoint { kForward, kAllReduce, kCheckpointWrite, kEvaluate };

struct FaultSpec {
  FaultPoint point = FaultPoint::kForward;
  int rank = 0;
  long long nth = 1;
  int signal = 0;
  std::string marker_file;  // empty: none
};

inline constexpr const char* kFaultVariable = "RSDIST_FAULT";

// Parses a value of RSDIST_FAULT; nullopt for an empty one. Throws rsdist::Error naming the
// variable and the accepted form.
std::optional<FaultSpec> parse_fault_spec(std::string_view text);

// Reads and checks RSDIST_FAULT (once; later calls return at once).
void check_fault_injection();

// A named moment on `rank`: raises the signal RSDIST_FAULT asks for when it names this point,
// this rank and this call.
void fault_point(FaultPoint point, int rank);

}  // namespace rsdist
