// Model families by name: everything the trainer, `rsdist evaluate`, `rsdist recommend` and the
// option schema need to know about a model, declared by the family in its own folder
// (src/families/<name>/, or a test's own file) and registered there:
//
//   ModelFamily naml_family() { ModelFamily f; f.name = "naml"; ...; return f; }
//   RSDIST_REGISTER_MODEL_FAMILY(naml, naml_family());
//
// `--model` choices, the metric names `--validation_metric` accepts, `--help` and the per-model
// [train] defaults are derived from what is registered (train_options.hpp). Families register
// during static initialisation and the registry is read-only afterwards (Note [Registration]).
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/config.hpp"
#include "core/options.hpp"
#include "train/task.hpp"

namespace rsdist::train {

enum class Direction { kHigherIsBetter, kLowerIsBetter };

// A metric a family reports. `pattern` is a metric name ("auc", "rmse") or a name with a cut-off,
// written "ndcg@" ("ndcg10", "ndcg20", ... any number).
struct MetricSpec {
  std::string pattern;
  Direction direction = Direction::kHigherIsBetter;
};

// What decides early stopping and `best`.
struct Criterion {
  std::string metric;
  Direction direction = Direction::kHigherIsBetter;
};

struct ModelFamily {
  std::string name;     // --model
  std::string summary;  // one line for --help
  // Corpus kinds the family trains on (manifest.json "kind": "mind", "seq", ...); the first names
  // the preprocess command a missing corpus is pointed at.
  std::vector<std::string> corpus_kinds;
  // Adds the family's option group ([name] in INI files) with the reference defaults; may be
  // empty.
  std::function<void(OptionSchema&)> add_options;
  // [train] values the user left at their defaults that this family replaces (origin "<name>
  // default"), e.g. GCL4SR's batch 1024.
  std::map<std::string, std::string> train_defaults;
  // When set, the [train] defaults for a given configuration instead (S3-Rec's pretraining and
  // fine-tuning stages train with different batches, epochs and checkpoints).
  std::function<std::map<std::string, std::string>(const Config&)> choose_train_defaults;
  // Metrics evaluate() reports and the one `--validation_metric auto` means.
  std::vector<MetricSpec> metrics;
  std::string validation_metric;
  // When set, what `auto` means for a given configuration (e.g. by corpus kind); else
  // validation_metric.
  std::function<std::string(const Config&)> choose_validation_metric;
  std::function<std::unique_ptr<Task>(const TaskContext&)> make_task;
};

// Note [Registration]: the one process-wide table besides StopSignals. It is filled by static
// initialisers (one per family, each in the family's own object file, linked whole into every
// executable: cmake/RsdistFamilies.cmake) before main() and never changed afterwards, so reading
// it needs no lock. Registering a name twice, or a family without a name or factory, throws.
bool register_model_family(ModelFamily family);

// Throws naming the model and the registered ones.
const ModelFamily& model_family(const std::string& name);
// Sorted by name.
std::vector<const ModelFamily*> model_families();

// Whether `family` reports `metric` (patterns with "@" match any number in its place), and in
// which direction it improves; nullopt when it does not report it.
std::optional<Direction> metric_direction(const ModelFamily& family, const std::string& metric);

// The criterion of a run: `--validation_metric` ("auto": the family's), checked against what the
// family reports; with `--validate false`, the training loss (lower is better).
Criterion run_criterion(const Config& config);

// The family's task on `config`'s corpus: checks that --corpus is a complete corpus of a kind the
// family trains on (naming the preprocess command that makes one), then calls its factory.
std::unique_ptr<Task> make_task(const TaskContext& context);

}  // namespace rsdist::train

#define RSDIST_MODEL_FAMILY_CONCAT_(a, b) a##b
#define RSDIST_MODEL_FAMILY_CONCAT(a, b) RSDIST_MODEL_FAMILY_CONCAT_(a, b)
// Registers the ModelFamily `expression` at static initialisation; `id` is a C++ identifier
// unique in its file.
#define RSDIST_REGISTER_MODEL_FAMILY(id, expression)                                             \
  [[maybe_unused]] static const bool RSDIST_MODEL_FAMILY_CONCAT(rsdist_family_registered_, id) = \
      ::rsdist::train::register_model_family(expression)
