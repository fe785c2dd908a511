// `rsdist evaluate`: metrics of a trained run (or one checkpoint) on dev or test, optionally the
// MIND leaderboard prediction.txt. Runs alone or under mpirun (impressions sharded over ranks).
#include <nlohmann/json.hpp>
#include <ostream>

#include "app/commands.hpp"
#include "core/error.hpp"
#include "ddp/runtime.hpp"
#include "train/trained_model.hpp"

namespace rsdist::app {

void add_trained_model_options(OptionSchema& schema) {
  schema.add_string("run", "", "run directory of 'rsdist train' (its checkpoints/best is used)")
      .add_string("checkpoint", "", "a checkpoint directory instead of the run's best")
      .add_string("corpus", "", "corpus (default: the one the run trained on)");
}

OptionSchema evaluate_schema() {
  OptionSchema s("rsdist evaluate");
  add_common_options(s);
  add_trained_model_options(s);
  s.add_string("split", "dev", "split to score")
      .choices({"dev", "test"})
      .add_string("prediction", "", "also write MIND's leaderboard prediction.txt here")
      .add_string("backend", "auto", "collective backend")
      .choices({"auto", "nccl", "mpi", "local"});
  return s;
}

int run_evaluate(const Config& config, CommandIo& io) {
  RSDIST_CHECK(!config.get_string("run").empty() || !config.get_string("checkpoint").empty(),
               "rsdist evaluate: give --run RUN_DIR or --checkpoint PATH");
  ddp::RuntimeOptions runtime_options;
  runtime_options.backend = config.get_string("backend");
  auto runtime = ddp::Runtime::start(runtime_options);
  train::TrainedModel m = train::load_trained_model(
      config.get_string("run"), config.get_string("checkpoint"), config.get_string("corpus"),
      runtime->device(), runtime->comm());
  const train::Split split =
      config.get_string("split") == "dev" ? train::Split::kDev : train::Split::kTest;
  train::EvaluateOptions options{runtime->rank(), runtime->world_size(), std::nullopt};
  if (!config.get_string("prediction").empty())
    options.prediction_file = config.get_string("prediction");
  const train::Metrics metrics = m.task->evaluate(split, runtime->comm(), options);
  if (runtime->rank() == 0) {
    nlohmann::ordered_json out;
    out["checkpoint"] = m.checkpoint.string();
    out["split"] = config.get_string("split");
    if (metrics.empty()) {
      io.log.root->info("the {} split has no labels: no metrics", config.get_string("split"));
    }
    for (const auto& [name, value] : metrics) out[name] = value;
    io.out << out.dump(2) << "\n";
    if (options.prediction_file) io.log.root->info("wrote {}", options.prediction_file->string());
  }
  return 0;
}

}  // namespace rsdist::app
