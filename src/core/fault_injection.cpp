#include "core/fault_injection.hpp"

#include <unistd.h>

#include <array>
#include <atomic>
#include <charconv>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <utility>

#include "core/error.hpp"

namespace rsdist {
namespace {

constexpr std::array<std::pair<const char*, FaultPoint>, 4> kPoints{{
    {"forward", FaultPoint::kForward},
    {"all_reduce", FaultPoint::kAllReduce},
    {"checkpoint_write", FaultPoint::kCheckpointWrite},
    {"evaluate", FaultPoint::kEvaluate},
}};
constexpr std::array<std::pair<const char*, int>, 4> kSignals{{
    {"KILL", SIGKILL},
    {"TERM", SIGTERM},
    {"USR1", SIGUSR1},
    {"INT", SIGINT},
}};

const char* point_name(FaultPoint point) {
  for (const auto& [name, p] : kPoints) {
    if (p == point) return name;
  }
  return "?";
}

const char* signal_name(int signal) {
  for (const auto& [name, s] : kSignals) {
    if (s == signal) return name;
  }
  return "?";
}

[[noreturn]] void malformed(std::string_view text, const std::string& why) {
  RSDIST_THROW(
      "{}='{}': {}; expected <point>:<rank>:<nth>:<signal>[:<marker file>] with point "
      "forward|all_reduce|checkpoint_write|evaluate, rank >= 0, nth >= 1 and signal "
      "KILL|TERM|USR1|INT (a test seam: unset it for a normal run)",
      kFaultVariable, text, why);
}

long long number(std::string_view text, std::string_view field, const char* what, long long least) {
  long long value = 0;
  const auto [end, ec] = std::from_chars(field.data(), field.data() + field.size(), value);
  if (field.empty() || ec != std::errc() || end != field.data() + field.size() || value < least) {
    malformed(text, fmt::format("{} '{}' is not an integer >= {}", what, field, least));
  }
  return value;
}

struct ArmedFault {
  FaultSpec spec;
  std::atomic<long long> calls{0};
};

// nullptr when RSDIST_FAULT is unset or empty. A throwing parse leaves the static uninitialised,
// so every later call throws again.
ArmedFault* armed_fault() {
  static const std::unique_ptr<ArmedFault> armed = []() -> std::unique_ptr<ArmedFault> {
    const char* value = std::getenv(kFaultVariable);
    const std::optional<FaultSpec> spec = parse_fault_spec(value == nullptr ? "" : value);
    if (!spec) return nullptr;
    auto fault = std::make_unique<ArmedFault>();
    fault->spec = *spec;
    return fault;
  }();
  return armed.get();
}

}  // namespace

std::optional<FaultSpec> parse_fault_spec(std::string_view text) {
  if (text.empty()) return std::nullopt;
  // Four fields, then the marker file, which may itself hold ':'.
  std::array<std::string_view, 5> fields;
  std::string_view rest = text;
  std::size_t count = 0;
  for (; count < 4 && !rest.empty(); ++count) {
    const std::size_t colon = rest.find(':');
    fields[count] = rest.substr(0, colon);
    rest = colon == std::string_view::npos ? std::string_view() : rest.substr(colon + 1);
  }
  if (count < 4) malformed(text, fmt::format("{} field(s) instead of 4 or 5", count));
  fields[4] = rest;

  FaultSpec spec;
  bool known_point = false;
  for (const auto& [name, point] : kPoints) {
    if (fields[0] == name) {
      spec.point = point;
      known_point = true;
    }
  }
  if (!known_point) malformed(text, fmt::format("unknown point '{}'", fields[0]));
  spec.rank = static_cast<int>(number(text, fields[1], "rank", 0));
  spec.nth = number(text, fields[2], "nth", 1);
  for (const auto& [name, signal] : kSignals) {
    if (fields[3] == name) spec.signal = signal;
  }
  if (spec.signal == 0) malformed(text, fmt::format("unknown signal '{}'", fields[3]));
  spec.marker_file = std::string(fields[4]);
  return spec;
}

void check_fault_injection() { armed_fault(); }

void fault_point(FaultPoint point, int rank) {
  ArmedFault* fault = armed_fault();
  if (fault == nullptr || fault->spec.point != point || fault->spec.rank != rank) return;
  const long long call = ++fault->calls;
  if (call != fault->spec.nth) return;
  if (!fault->spec.marker_file.empty()) {
    const double now =
        std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
    if (std::FILE* marker = std::fopen(fault->spec.marker_file.c_str(), "w")) {
      std::fprintf(marker, "%.6f\n", now);
      std::fclose(marker);
    }
  }
  std::fprintf(stderr, "[rank %d] %s: raising SIG%s at %s (call %lld)\n", rank, kFaultVariable,
               signal_name(fault->spec.signal), point_name(point), call);
  std::fflush(stderr);
  std::raise(fault->spec.signal);
}

}  // namespace rsdist
