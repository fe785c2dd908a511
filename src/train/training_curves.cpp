#include "train/training_curves.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <torch/nn/module.h>

#include <sstream>

#include "train/model_family.hpp"

namespace rsdist::train {
namespace {
using Json = nlohmann::ordered_json;

// Markdown's code block: every line indented by four spaces.
std::string code_block(const std::string& text) {
  std::string out;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) out += "    " + line + "\n";
  return out;
}

void add_numbers(std::vector<std::pair<std::string, double>>& out, const std::string& prefix,
                 const Json& object) {
  if (!object.is_object()) return;
  for (const auto& [name, value] : object.items()) {
    if (value.is_number()) out.emplace_back(prefix + name, value.get<double>());
  }
}

std::string model_description(const Config& config, torch::nn::Module& model) {
  const std::string& name = config.get_string("model");
  std::int64_t total = 0, trainable = 0;
  std::string table = "| parameter | shape | elements |\n|---|---|---|\n";
  for (const auto& item : model.named_parameters(/*recurse=*/true)) {
    const std::int64_t n = item.value().numel();
    total += n;
    if (item.value().requires_grad()) trainable += n;
    table +=
        fmt::format("| {} | [{}] | {} |\n", item.key(), fmt::join(item.value().sizes(), ", "), n);
  }
  std::ostringstream tree;
  tree << model;
  return fmt::format("**{}** ({}): {} parameters, {} trainable\n\n{}\n{}", name,
                     model_family(name).summary, total, trainable, code_block(tree.str()), table);
}

}  // namespace

std::vector<std::pair<std::string, double>> curve_scalars(const Json& record) {
  std::vector<std::pair<std::string, double>> out;
  const std::string kind = record.value("kind", "");
  if (kind == "epoch") {
    for (const char* name : {"train_loss", "lr", "samples_per_second"}) {
      if (record.contains(name))
        out.emplace_back(std::string("epoch/") + name, record[name].get<double>());
    }
    if (record.contains("train_losses"))
      add_numbers(out, "epoch/train_losses/", record["train_losses"]);
  }
  if ((kind == "epoch" || kind == "fit") && record.contains("dev"))
    add_numbers(out, "dev/", record["dev"]);
  if (kind == "test" && record.contains("test")) add_numbers(out, "test/", record["test"]);
  return out;
}

TrainingCurves::TrainingCurves(const std::filesystem::path& directory, std::int64_t first_step)
    : writer_(directory), first_step_(first_step) {
  writer_.session_start(first_step_);
}

void TrainingCurves::describe_run(const Config& config, torch::nn::Module& model) {
  writer_.text("config", code_block(config.to_ini(/*show_origins=*/true)), first_step_);
  writer_.text("model", model_description(config, model), first_step_);
  writer_.flush();
}

void TrainingCurves::step_losses(std::int64_t step, std::span<const double> values,
                                 const std::vector<std::string>& part_names) {
  writer_.scalar("train/loss", values[0], step);
  for (std::size_t i = 0; i < part_names.size() && i + 1 < values.size(); ++i) {
    writer_.scalar("train/" + part_names[i], values[i + 1], step);
  }
}

void TrainingCurves::record(const Json& record, std::int64_t step) {
  for (const auto& [tag, value] : curve_scalars(record)) writer_.scalar(tag, value, step);
  writer_.flush();
}

std::unique_ptr<TrainingCurves> open_training_curves(const Config& config, torch::nn::Module& model,
                                                     int rank, std::int64_t global_step) {
  if (rank != 0 || !config.get_bool("tensorboard")) return nullptr;
  auto curves = std::make_unique<TrainingCurves>(
      std::filesystem::path(config.get_string("out")) / "tb", global_step + 1);
  curves->describe_run(config, model);
  return curves;
}

}  // namespace rsdist::train
