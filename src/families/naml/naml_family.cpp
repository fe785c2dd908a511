// NAML (Wu et al., IJCAI 2019) on MIND, as the NNR framework trains it (seed 000): the family's
// options with NNR's reference values, its metrics and its registration.
#include "families/naml/naml_task.hpp"
#include "train/model_family.hpp"

namespace rsdist::train {
namespace {

void add_naml_options(OptionSchema& s) {
  s.group("naml")
      .add_int("max_history_num", 50, "history length (most recent clicks)")
      .at_least(1)
      .add_int("max_title_length", 32, "title tokens")
      .at_least(1)
      .add_int("max_abstract_length", 128, "abstract tokens")
      .at_least(1)
      .add_int("negative_sample_num", 4, "negatives per positive (K)")
      .at_least(1)
      .add_int("cnn_kernel_num", 400, "CNN filters")
      .at_least(1)
      .add_int("cnn_window_size", 3, "CNN window")
      .at_least(1)
      .add_int("attention_dim", 200, "additive attention size")
      .at_least(1)
      .add_int("category_embedding_dim", 50, "category/subcategory embedding size")
      .at_least(1)
      .add_float("dropout_rate", 0.2, "dropout")
      .at_least(0)
      .at_most(1)
      .add_bool("freeze_word_embedding", false, "keep the GloVe-initialised embedding fixed")
      .add_string("click_predictor", "dot_product", "click predictor")
      .choices({"dot_product", "mlp"})
      .add_bool("dedup_news", true, "encode each distinct news of a batch once")
      .add_bool("mask_history", true,
                "padded history slots get no user-attention weight (NNR: "
                "false)");
}

ModelFamily naml_family() {
  ModelFamily f;
  f.name = "naml";
  f.summary = "NAML news recommendation on a MIND corpus";
  f.corpus_kinds = {"mind"};
  f.add_options = &add_naml_options;
  // NNR's [train] values are the schema's own defaults.
  f.metrics = {{"auc"}, {"mrr"}, {"ndcg@"}};
  f.validation_metric = "auc";
  f.make_task = &make_naml_task;
  return f;
}

RSDIST_REGISTER_MODEL_FAMILY(naml, naml_family());

}  // namespace
}  // namespace rsdist::train
