#include "train/sequence_options.hpp"

namespace rsdist::train {

void add_sequence_model_options(OptionSchema& s) {
  if (s.has_group("sequence")) return;
  s.group("sequence")
      .add_int("hidden_size", 64, "item embedding and Transformer width")
      .at_least(1)
      .formerly_in("gcl4sr")
      .add_int("max_seq_length", 50, "items of the prefix the model reads (the last ones)")
      .at_least(1)
      .formerly_in("gcl4sr")
      .add_int("num_hidden_layers", 2, "Transformer layers")
      .at_least(1)
      .formerly_in("gcl4sr")
      .add_int("num_attention_heads", 2, "Transformer heads")
      .at_least(1)
      .formerly_in("gcl4sr")
      .add_float("hidden_dropout_prob", 0.5, "dropout of embeddings and hidden states")
      .at_least(0)
      .at_most(1)
      .formerly_in("gcl4sr");
}

SequenceModelSettings sequence_model_settings(const Config& c) {
  return {c.get_int("hidden_size"), c.get_int("max_seq_length"), c.get_int("num_hidden_layers"),
          c.get_int("num_attention_heads"), c.get_float("hidden_dropout_prob")};
}

}  // namespace rsdist::train
