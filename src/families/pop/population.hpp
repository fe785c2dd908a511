// The most-popular baseline's view of one corpus kind (families/pop/pop_task.cpp): how a rank
// counts its share of the training interactions, and how a split is judged and recommended from
// the counts. One file per kind: seq_population.cpp, mind_population.cpp, ratings_population.cpp.
#pragma once

#include <ATen/core/Tensor.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "core/config.hpp"
#include "train/task.hpp"

namespace rsdist::train {

class Population {
 public:
  virtual ~Population() = default;
  virtual std::int64_t items() const = 0;
  // This rank's share of the training interactions, per item.
  virtual std::vector<double> local_counts(int rank, int world) const = 0;
  virtual bool has_split(Split split) const = 0;
  virtual bool split_labeled(Split split) const = 0;
  virtual Metrics evaluate(const at::Tensor& counts, Split split, ddp::Communicator& comm,
                           const EvaluateOptions& options) = 0;
  virtual std::vector<Recommendation> recommend(const at::Tensor& counts, Split split,
                                                const std::vector<std::string>& users,
                                                std::int64_t k, std::int64_t max_users) = 0;
};

std::unique_ptr<Population> make_seq_population(const Config& config, at::Device device);
std::unique_ptr<Population> make_mind_population(const Config& config, at::Device device);
std::unique_ptr<Population> make_ratings_population(const Config& config, at::Device device);

}  // namespace rsdist::train
