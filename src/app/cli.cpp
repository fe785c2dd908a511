#include "app/cli.hpp"

#include <spdlog/sinks/ostream_sink.h>

#include <algorithm>
#include <ostream>

#include "app/commands.hpp"
#include "core/config.hpp"
#include "core/error.hpp"
#include "ddp/mpi_session.hpp"

namespace rsdist::app {
namespace {

constexpr const char* kOverview =
    "rsdist: train recommender models (NAML, GCL4SR, ...) on GPU clusters.\n\n"
    "Usage: rsdist <subcommand> [options]      rsdist <subcommand> --help\n\n"
    "Subcommands:\n";

std::string overview() {
  std::string text = kOverview;
  for (const auto& sub : subcommands()) {
    text += fmt::format("  {:<11} {}{}\n", sub.name, sub.summary,
                        sub.schema == nullptr ? " (not implemented yet)" : "");
  }
  return text;
}

bool wants_help(const std::vector<std::string>& args) {
  return std::any_of(args.begin(), args.end(),
                     [](const std::string& a) { return a == "--help" || a == "-h"; });
}

const Subcommand* find_subcommand(const std::string& name) {
  for (const auto& sub : subcommands()) {
    if (name == sub.name) return &sub;
  }
  return nullptr;
}

int dispatch(const std::vector<std::string>& args, std::ostream& out, Loggers& log) {
  if (args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
    out << overview();
    return args.empty() ? 1 : 0;
  }
  if (args[0] == "--version") return dispatch({"version"}, out, log);
  const Subcommand* sub = find_subcommand(args[0]);
  RSDIST_CHECK(sub != nullptr, "unknown subcommand '{}' (see 'rsdist --help')", args[0]);
  const std::vector<std::string> rest(args.begin() + 1, args.end());
  if (sub->schema == nullptr) {
    if (wants_help(rest)) {
      out << fmt::format("rsdist {}: {}\n\nNot implemented yet: {}.\n", sub->name, sub->summary,
                         sub->owner);
      return 0;
    }
    RSDIST_THROW("rsdist {}: not implemented yet ({})", sub->name, sub->owner);
  }
  const OptionSchema schema = sub->schema();
  if (wants_help(rest)) {
    out << schema.help_text(sub->summary);
    return 0;
  }
  const Config config = resolve_config(schema, rest);
  if (config.has("log_level")) {
    const auto level = parse_log_level(config.get_string("log_level"));
    log.root->set_level(level);
    log.world->set_level(level);
  }
  CommandIo io{out, log};
  return sub->run(config, io);
}

}  // namespace

const std::vector<Subcommand>& subcommands() {
  static const std::vector<Subcommand> kSubcommands = {
      {"preprocess", "raw MIND or sequence data -> sharded HDF5 corpus", &preprocess_schema,
       &run_preprocess, ""},
      {"train", "train a model on a corpus (under mpirun: one rank per GPU)", &train_schema,
       &run_train, ""},
      {"evaluate", "metrics of a trained run on dev or test (AUC, MRR, nDCG@5/10)",
       &evaluate_schema, &run_evaluate, ""},
      {"recommend", "top-k recommendations for users", &recommend_schema, &run_recommend, ""},
      {"inspect", "print a corpus manifest and summary statistics", &inspect_schema,
       &run_inspect, ""},
      {"synth", "write synthetic data in the MIND, sequence or MovieLens formats", &synth_schema,
       &run_synth, ""},
      {"version", "versions of rsdist, its libraries and built backends", &version_schema,
       &run_version, ""},
  };
  return kSubcommands;
}

int run_cli(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  // Until the distributed runtime knows better, this process is rank 0 of 1.
  auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(err, /*force_flush=*/true);
  Loggers log = make_loggers(0, 1, spdlog::level::info, {sink});
  try {
    return dispatch(args, out, log);
  } catch (const Error& e) {
    log.world->error("{}", e.what());
  } catch (const std::exception& e) {
    log.world->error("unexpected error: {}", e.what());
  }
  // Under MPI the other ranks may be waiting in a collective this rank will never join.
  if (ddp::mpi_job_active()) ddp::abort_job(1);
  return 1;
}

}  // namespace rsdist::app
