#include "train/train_options.hpp"

namespace rsdist::train {

OptionSchema train_option_schema() {
  OptionSchema s("rsdist train");
  add_common_options(s);
  s.add_flag("print_config", "print the resolved configuration (with origins) and exit");

  s.group("run")
      .add_string("model", std::nullopt, "model to train")
      .required()
      .choices({"naml", "gcl4sr"})
      .add_string("corpus", std::nullopt, "corpus directory written by 'rsdist preprocess'")
      .required()
      .add_string("out", std::nullopt, "run directory (config, metrics.jsonl, checkpoints/)")
      .required()
      .add_int("seed", 42, "seed of every random stream (sampler, negatives, dropout)")
      .at_least(0)
      .add_flag("resume", "continue the run in --out from its last checkpoint");

  s.group("train")
      .add_int("epochs", 16, "maximum number of epochs")
      .at_least(1)
      .add_int("batch_size", 64, "samples per rank per step")
      .at_least(1)
      .add_float("lr", 1e-4, "Adam learning rate")
      .at_least(0)
      .add_float("weight_decay", 0.0, "Adam weight decay")
      .at_least(0)
      .add_float("grad_clip", 4.0, "clip the global gradient norm to this (0: off)")
      .at_least(0)
      .add_int("early_stopping_patience", 5, "epochs without improvement before stopping")
      .at_least(1)
      .add_string("validation_metric", "auto",
                  "dev metric that decides early stopping (auto: the model's, NAML auc, GCL4SR "
                  "ndcg20)")
      .choices({"auto", "auc", "mrr", "ndcg5", "ndcg10", "recall10", "recall20", "ndcg20", "hr10",
                "hr20"})
      .add_bool("mixed_precision", false, "bf16 autocast on GPU")
      .add_int("loader_threads", 2, "background threads assembling batches")
      .at_least(0)
      .add_string("drop_last", "pad", "uneven data: pad (wrap around) or drop the remainder")
      .choices({"pad", "drop"})
      .add_bool("validate", true,
                "evaluate dev after each epoch (false: early stopping and best "
                "follow the training loss)")
      .add_int("max_steps_per_epoch", 0,
               "stop each epoch after this many steps (0: all; for "
               "benchmarks and smoke runs)")
      .at_least(0)
      .add_int("keep_checkpoints", 1, "newest epoch checkpoints kept (besides `best`)")
      .at_least(1);

  s.group("ddp")
      .add_string("backend", "auto",
                  "collective backend: auto (NCCL on GPU, MPI on CPU), nccl, "
                  "mpi, local (single process)")
      .choices({"auto", "nccl", "mpi", "local"})
      .add_float("bucket_cap_mb", 25.0, "gradient bucket size cap in MB")
      .at_least(0.001)
      .add_float("first_bucket_mb", 1.0, "size cap of the first (earliest reduced) bucket")
      .at_least(0.001)
      .add_int("collective_timeout_s", 600, "a collective taking longer ends the job")
      .at_least(1);

  // NAML as in the NNR framework's reference configuration (seed 000).
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

  // GCL4SR as in the official code's defaults (seed 004).
  s.group("gcl4sr")
      .add_int("hidden_size", 64, "embedding and hidden size")
      .at_least(1)
      .add_int("max_seq_length", 50, "items of the prefix the model reads")
      .at_least(1)
      .add_int("num_hidden_layers", 2, "Transformer layers")
      .at_least(1)
      .add_int("num_attention_heads", 2, "Transformer heads")
      .at_least(1)
      .add_float("hidden_dropout_prob", 0.5, "dropout")
      .at_least(0)
      .at_most(1)
      .add_int("sample_size_hop1", 20, "neighbours sampled at hop 1")
      .at_least(1)
      .add_int("sample_size_hop2", 20, "neighbours sampled at hop 2")
      .at_least(1)
      .add_float("lambda_gcl", 1.0, "weight of the graph contrastive loss")
      .at_least(0)
      .add_float("lambda_mmd", 0.1, "weight of the MMD loss")
      .at_least(0)
      .add_float("temperature", 0.5, "contrastive temperature")
      .at_least(1e-6)
      .add_float("lr_decay", 0.7, "learning-rate factor")
      .at_least(0)
      .add_int("lr_decay_every", 5, "epochs between learning-rate decays")
      .at_least(1);
  return s;
}

Config with_model_defaults(const Config& config) {
  const std::string& model = config.get_string("model");
  if (model == "gcl4sr") {
    return config.with_defaults({{"batch_size", "1024"},
                                 {"lr", "0.001"},
                                 {"weight_decay", "0.00005"},
                                 {"grad_clip", "0"},
                                 {"early_stopping_patience", "10"}},
                                "gcl4sr default");
  }
  return config;
}

}  // namespace rsdist::train
