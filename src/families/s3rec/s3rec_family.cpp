// S3-Rec (Zhou et al., CIKM 2020; official code aHuiWang/CIKM2020-S3Rec, seed 002) and SASRec
// (Kang & McAuley, ICDM 2018), the official S3-Rec code's fine-tuning without pretraining, on a
// sequence corpus: the [s3rec] options with the official defaults (the Transformer's are the
// shared [sequence] group), each stage's [train] defaults (pretraining: batch 100, 150 epochs,
// every 10th epoch kept; fine-tuning: batch 256, 200 epochs, patience 10), the metrics and the
// registrations.
#include "core/error.hpp"
#include "data/corpus_manifest.hpp"
#include "families/s3rec/s3rec_task.hpp"
#include "train/model_family.hpp"
#include "train/sequence_options.hpp"

namespace rsdist::train {
namespace {

void add_s3rec_options(OptionSchema& s) {
  add_sequence_model_options(s);
  if (s.has_group("s3rec")) return;  // sasrec and s3rec share it
  s.group("s3rec")
      .add_string("stage", "pretrain",
                  "s3rec: pretrain (AAP, MIP, MAP, SP on the item attributes) or finetune "
                  "(next-item prediction, usually with --init_from a pretraining run)")
      .choices({"pretrain", "finetune"})
      .add_float("attention_probs_dropout_prob", 0.5, "dropout of the attention weights")
      .at_least(0)
      .at_most(1)
      .add_float("initializer_range", 0.02, "std of the initial weights, N(0, this^2)")
      .at_least(0)
      .add_float("mask_p", 0.2, "pretraining: probability that an item is masked")
      .at_least(0)
      .at_most(1)
      .add_float("aap_weight", 0.2, "pretraining: weight of associated attribute prediction")
      .at_least(0)
      .add_float("mip_weight", 1.0, "pretraining: weight of masked item prediction")
      .at_least(0)
      .add_float("map_weight", 1.0, "pretraining: weight of masked attribute prediction")
      .at_least(0)
      .add_float("sp_weight", 0.5, "pretraining: weight of segment prediction")
      .at_least(0);
}

const std::map<std::string, std::string> kFinetuneDefaults = {
    {"batch_size", "256"}, {"lr", "0.001"},   {"weight_decay", "0"},
    {"grad_clip", "0"},    {"epochs", "200"}, {"early_stopping_patience", "10"},
    {"metrics_k", "1,5,10,20"}};
const std::map<std::string, std::string> kPretrainDefaults = {
    {"batch_size", "100"}, {"lr", "0.001"},   {"weight_decay", "0"},
    {"grad_clip", "0"},    {"epochs", "150"}, {"keep_every_epochs", "10"},
    {"metrics_k", "1,5,10,20"}};

bool pretraining(const Config& config) {
  return config.get_string("model") == "s3rec" && config.get_string("stage") == "pretrain";
}

// MRR on the stored candidates, as the official run_finetune_sample; NDCG@20 by full ranking
// (run_finetune_full) when the corpus has none.
std::string finetune_criterion(const Config& config) {
  const data::CorpusManifest manifest = data::read_corpus_manifest(config.get_string("corpus"));
  return manifest.counts.value("negatives_per_user", std::int64_t{0}) > 0 ? "sampled_mrr"
                                                                          : "ndcg20";
}

ModelFamily family(const std::string& name, const std::string& summary) {
  ModelFamily f;
  f.name = name;
  f.summary = summary;
  f.corpus_kinds = {"seq"};
  f.add_options = &add_s3rec_options;
  f.train_defaults = kFinetuneDefaults;
  f.choose_train_defaults = [](const Config& config) {
    return pretraining(config) ? kPretrainDefaults : kFinetuneDefaults;
  };
  f.metrics = {{"sampled_hr@"}, {"sampled_ndcg@"}, {"sampled_recall@"}, {"sampled_mrr"},
               {"hr@"},         {"recall@"},       {"ndcg@"},           {"mrr"}};
  f.validation_metric = "sampled_mrr";
  f.choose_validation_metric = &finetune_criterion;
  f.make_task = [name](const TaskContext& c) {
    if (name == "sasrec") {
      RSDIST_CHECK(c.config.origin("stage") == "default",
                   "--stage {} ({}) applies to --model s3rec only; sasrec is fine-tuning alone",
                   c.config.get_string("stage"), c.config.origin("stage"));
      return make_s3rec_task(c, S3RecStage::kFinetune);
    }
    return make_s3rec_task(c, pretraining(c.config) ? S3RecStage::kPretrain
                                                    : S3RecStage::kFinetune);
  };
  return f;
}

RSDIST_REGISTER_MODEL_FAMILY(
    s3rec, family("s3rec", "S3-Rec: self-supervised pretraining (--stage pretrain) and "
                           "fine-tuning of a Transformer on a sequence corpus"));
RSDIST_REGISTER_MODEL_FAMILY(
    sasrec, family("sasrec", "SASRec: S3-Rec's Transformer fine-tuned without pretraining, "
                             "on a sequence corpus"));

}  // namespace
}  // namespace rsdist::train
