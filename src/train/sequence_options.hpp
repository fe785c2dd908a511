// The [sequence] option group: the Transformer of the sequential recommenders (GCL4SR, S3-Rec,
// SASRec), under the names both official codes use (GCL4SR's builds on S3-Rec's). Each of those
// families calls add_sequence_model_options from its own add_options; the first declares the
// group, the others find it declared. The keys were GCL4SR's own [gcl4sr] keys before S3-Rec
// shared them, and config files (saved runs) that put them there are still read.
#pragma once

#include <cstdint>

#include "core/config.hpp"
#include "core/options.hpp"

namespace rsdist::train {

void add_sequence_model_options(OptionSchema& schema);

// The [sequence] values of a resolved configuration.
struct SequenceModelSettings {
  std::int64_t hidden_size = 64, max_seq_length = 50, num_layers = 2, num_heads = 2;
  double hidden_dropout = 0.5;
};
SequenceModelSettings sequence_model_settings(const Config& config);

}  // namespace rsdist::train
