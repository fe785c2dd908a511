#include "ddp/stop_signals.hpp"

#include <atomic>
#include <csignal>

#include "core/error.hpp"

namespace rsdist::ddp {
namespace {

// The one piece of process-wide mutable state in rsdist: a signal handler can reach nothing
// else. Written only by the handler, read by StopSignals.
std::atomic<int> g_received_signal{0};
struct sigaction g_previous_term;
struct sigaction g_previous_usr1;

extern "C" void on_stop_signal(int signal_number) { g_received_signal.store(signal_number); }

}  // namespace

StopSignals::StopSignals() {
  g_received_signal.store(0);
  struct sigaction action = {};
  action.sa_handler = on_stop_signal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;
  RSDIST_CHECK(sigaction(SIGTERM, &action, &g_previous_term) == 0, "cannot install a SIGTERM handler");
  RSDIST_CHECK(sigaction(SIGUSR1, &action, &g_previous_usr1) == 0, "cannot install a SIGUSR1 handler");
}

StopSignals::~StopSignals() {
  sigaction(SIGTERM, &g_previous_term, nullptr);
  sigaction(SIGUSR1, &g_previous_usr1, nullptr);
}

bool StopSignals::requested() const { return g_received_signal.load() != 0; }

int StopSignals::signal_number() const { return g_received_signal.load(); }

}  // namespace rsdist::ddp
