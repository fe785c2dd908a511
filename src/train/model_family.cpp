#include "train/model_family.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cctype>
#include <filesystem>

#include "core/error.hpp"
#include "data/corpus_manifest.hpp"

namespace rsdist::train {
namespace {
namespace fs = std::filesystem;

std::map<std::string, ModelFamily>& registry() {
  static std::map<std::string, ModelFamily> families;  // Note [Registration]
  return families;
}

std::vector<std::string> family_names() {
  std::vector<std::string> names;
  for (const auto& [name, family] : registry()) names.push_back(name);
  return names;
}

bool matches(const std::string& pattern, const std::string& metric) {
  const auto at = pattern.find('@');
  if (at == std::string::npos) return pattern == metric;
  const std::string prefix = pattern.substr(0, at);
  if (metric.size() <= prefix.size() || metric.compare(0, prefix.size(), prefix) != 0) return false;
  for (std::size_t i = prefix.size(); i < metric.size(); ++i) {
    if (!std::isdigit(static_cast<unsigned char>(metric[i]))) return false;
  }
  return metric[prefix.size()] != '0';
}

std::string preprocess_command(const std::string& kind) {
  return fmt::format("'rsdist preprocess {}'", kind);
}

}  // namespace

const char* split_name(Split split) { return split == Split::kDev ? "dev" : "test"; }

void Task::fit(ddp::Communicator& /*comm*/) {
  RSDIST_THROW("this model trains by gradient: fit() is for closed-form tasks");
}
std::vector<std::int64_t> Task::shard_sizes() const {
  RSDIST_THROW("this model is fitted in closed form: it has no training samples to shard");
}
void Task::begin_epoch(EpochPlan /*plan*/) {
  RSDIST_THROW("this model is fitted in closed form: it has no training epochs");
}
std::optional<StepLoss> Task::next_loss() {
  RSDIST_THROW("this model is fitted in closed form: it has no training batches");
}

bool register_model_family(ModelFamily family) {
  RSDIST_CHECK(!family.name.empty(), "a model family needs a name");
  RSDIST_CHECK(family.make_task != nullptr, "model family '{}' has no factory", family.name);
  RSDIST_CHECK(!family.corpus_kinds.empty(), "model family '{}' names no corpus kind", family.name);
  RSDIST_CHECK(family.validation_metric.empty() ||
                   metric_direction(family, family.validation_metric).has_value(),
               "model family '{}': its validation metric '{}' is not among its metrics",
               family.name, family.validation_metric);
  const std::string name = family.name;
  RSDIST_CHECK(registry().emplace(name, std::move(family)).second,
               "model family '{}' is registered twice", name);
  return true;
}

const ModelFamily& model_family(const std::string& name) {
  const auto it = registry().find(name);
  RSDIST_CHECK(it != registry().end(), "--model {}: no such model family (registered: {})", name,
               fmt::join(family_names(), ", "));
  return it->second;
}

std::vector<const ModelFamily*> model_families() {
  std::vector<const ModelFamily*> out;
  for (const auto& [name, family] : registry()) out.push_back(&family);
  return out;
}

std::optional<Direction> metric_direction(const ModelFamily& family, const std::string& metric) {
  for (const MetricSpec& spec : family.metrics) {
    if (matches(spec.pattern, metric)) return spec.direction;
  }
  return std::nullopt;
}

Criterion run_criterion(const Config& config) {
  if (!config.get_bool("validate")) return {"train_loss", Direction::kLowerIsBetter};
  const ModelFamily& family = model_family(config.get_string("model"));
  std::string metric = config.get_string("validation_metric");
  if (metric == "auto") {
    metric = family.choose_validation_metric ? family.choose_validation_metric(config)
                                             : family.validation_metric;
  }
  const auto direction = metric_direction(family, metric);
  if (!direction) {
    std::vector<std::string> known;
    for (const MetricSpec& spec : family.metrics) known.push_back(spec.pattern);
    RSDIST_THROW(
        "--validation_metric {} ({}): the {} model reports no such metric (it reports: "
        "{}; '@' stands for a cut-off, e.g. ndcg20)",
        metric, config.origin("validation_metric"), family.name, fmt::join(known, ", "));
  }
  return {metric, *direction};
}

std::unique_ptr<Task> make_task(const TaskContext& context) {
  const ModelFamily& family = model_family(context.config.get_string("model"));
  const fs::path corpus = context.config.get_string("corpus");
  RSDIST_CHECK(fs::exists(corpus / data::kManifestFileName),
               "--corpus {}: no manifest.json (not a complete corpus from {})", corpus.string(),
               preprocess_command(family.corpus_kinds.front()));
  const data::CorpusManifest manifest = data::read_corpus_manifest(corpus);
  const std::string& kind = manifest.kind;
  const auto& kinds = family.corpus_kinds;
  RSDIST_CHECK(std::find(kinds.begin(), kinds.end(), kind) != kinds.end(),
               "--corpus {}: a '{}' corpus; {} trains on a '{}' corpus ({})", corpus.string(), kind,
               family.name, fmt::join(kinds, "' or '"), preprocess_command(kinds.front()));
  // A damaged file is named here, before the task reads it (the ranks share the hashing).
  data::verify_corpus_files(corpus, manifest, context.rank, context.world);
  return family.make_task(context);
}

}  // namespace rsdist::train
