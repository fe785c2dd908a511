#include "train/trained_model.hpp"

#include <ATen/core/grad_mode.h>
#include <fmt/ranges.h>

#include <fstream>
#include <sstream>

#include "core/error.hpp"
#include "train/checkpoint.hpp"
#include "train/task_registry.hpp"
#include "train/train_options.hpp"

namespace rsdist::train {
namespace fs = std::filesystem;

void load_model_state(torch::nn::Module& model, const std::map<std::string, at::Tensor>& state,
                      const fs::path& source) {
  at::NoGradGuard no_grad;
  const auto load = [&](const std::string& name, at::Tensor& target) {
    const auto it = state.find(name);
    RSDIST_CHECK(it != state.end(), "{}: no tensor '{}' for this model (another model or config?)",
                 source.string(), name);
    RSDIST_CHECK(it->second.sizes() == target.sizes(),
                 "{}: '{}' has shape {} but the model (as configured) has {}", source.string(),
                 name, fmt::join(it->second.sizes(), "x"), fmt::join(target.sizes(), "x"));
    target.copy_(it->second);
  };
  for (auto& item : model.named_parameters(true)) load(item.key(), item.value());
  for (auto& item : model.named_buffers(true)) load(item.key(), item.value());
}

TrainedModel load_trained_model(const fs::path& run_dir, const fs::path& checkpoint,
                                const std::string& corpus, at::Device device, int rank, int world) {
  TrainedModel m;
  if (!checkpoint.empty()) {
    m.checkpoint = checkpoint;
  } else {
    RSDIST_CHECK(!run_dir.empty(), "give --run RUN_DIR or --checkpoint PATH");
    const auto best = resolve_best(run_dir / "checkpoints");
    RSDIST_CHECK(best.has_value(), "--run {}: no checkpoints/best (has the run finished an epoch?)",
                 run_dir.string());
    m.checkpoint = *best;
  }
  const CheckpointState state = read_checkpoint_model(m.checkpoint);
  // The training configuration, through the train schema again (so defaults added since still
  // apply), with the corpus overridden when asked.
  const fs::path ini = m.checkpoint / "config.ini";
  std::vector<std::string> args = {"--config", ini.string()};
  if (!corpus.empty()) args.insert(args.end(), {"--corpus", corpus});
  m.config = std::make_unique<Config>(resolve_config(train_option_schema(), args));
  m.task = make_task(m.config->get_string("model"), TaskContext{*m.config, device, rank, world});
  load_model_state(m.task->model(), state.model, m.checkpoint);
  return m;
}

}  // namespace rsdist::train
