// S3-Rec training-step benchmark on a sequence corpus with item attributes (Beauty): the median
// pretraining step (batch 100: building the batch on the host, forward + the four losses,
// backward, Adam) and fine-tuning step (batch 256), as the trainer runs them (fused Adam, dropout
// 0.5), synchronously so that each phase is measured on its own; samples/s per rank.
//
//   build/bench/s3rec_bench --corpus DIR [--steps 10 --warmup 2 --device cpu --threads 0
//                           --json bench/s3rec_bench.json --export PATH]
//
// --export writes the last batches and the initial weights in the parity test's format
// (tests/models/s3rec_reference.py) for the eager-PyTorch peer (bench/s3rec_pytorch_peer.py),
// which trains the official module structure on the very same batches: bench/s3rec_bench.sh
// runs both and prints the ratio.
#include <ATen/ATen.h>
#include <ATen/Parallel.h>

#include <iostream>
#include <nlohmann/json.hpp>

#include "bench_support.hpp"
#include "core/config.hpp"
#include "core/error.hpp"
#include "core/rng.hpp"
#include "core/staging.hpp"
#include "core/stopwatch.hpp"
#include "data/seq/seq_corpus.hpp"
#include "loader/seq/s3rec_batches.hpp"
#include "models/s3rec_model.hpp"
#include "support/s3rec_export.hpp"
#include "train/checkpoint.hpp"
#include "train/fused_adam.hpp"

namespace {
using namespace rsdist;
using bench::median;

OptionSchema bench_schema() {
  OptionSchema s("s3rec_bench");
  s.add_string("corpus", std::nullopt, "sequence corpus with attributes (preprocess seq --attributes)")
      .required()
      .add_int("pretrain_batch", 100, "pretraining samples per step")
      .at_least(1)
      .add_int("finetune_batch", 256, "fine-tuning users per step")
      .at_least(1)
      .add_int("steps", 10, "timed steps per stage")
      .at_least(1)
      .add_int("warmup", 2, "untimed steps per stage")
      .at_least(0)
      .add_int("threads", 0, "intra-op threads (0: LibTorch's choice)")
      .at_least(0)
      .add_string("device", "cpu", "cpu or cuda")
      .add_string("json", "bench/s3rec_bench.json", "JSON output")
      .add_string("export", "", "also write the batches and initial weights for the peer here");
  return s;
}

void synchronize(const at::Device& device) {
  if (device.is_cuda()) at::zeros({1}, at::TensorOptions().device(device)).cpu();
}

struct StageTimes {
  std::vector<double> build, forward, backward, adam;
};

// Times `steps` steps after `warmup`; `step` returns the loss of a host batch built inside.
template <class Build, class Loss>
StageTimes time_stage(std::int64_t warmup, std::int64_t steps, at::Device device,
                      train::FusedAdam& adam, Build build, Loss loss_of) {
  StageTimes t;
  for (std::int64_t s = 0; s < warmup + steps; ++s) {
    auto start = SteadyClock::now();
    auto host = build(s);
    const double built = seconds_since(start);
    start = SteadyClock::now();
    const at::Tensor loss = loss_of(host.to(device));
    synchronize(device);
    const double forward = seconds_since(start);
    start = SteadyClock::now();
    loss.backward();
    synchronize(device);
    const double backward = seconds_since(start);
    start = SteadyClock::now();
    adam.step();
    adam.zero_grad();
    synchronize(device);
    if (s < warmup) continue;
    t.build.push_back(built);
    t.forward.push_back(forward);
    t.backward.push_back(backward);
    t.adam.push_back(seconds_since(start));
  }
  return t;
}

int run(const Config& c) {
  if (c.get_int("threads") > 0) at::set_num_threads(static_cast<int>(c.get_int("threads")));
  const at::Device device(c.get_string("device"));
  const seq::SeqCorpus corpus = seq::read_seq_corpus(c.get_string("corpus"));
  RSDIST_CHECK(!corpus.attributes.empty(), "--corpus {}: no item attributes",
               c.get_string("corpus"));
  models::S3RecOptions o;
  o.num_items = corpus.sequences.max_item();
  o.num_attributes = corpus.attributes.num_attributes;
  o.pretraining = true;
  o.init_seed = 1;
  models::S3RecModel model(o);
  model->to(device);
  model->set_item_attributes(at::tensor(corpus.attributes.offsets),
                             at::tensor(corpus.attributes.attributes));
  std::map<std::string, at::Tensor> exported;
  for (const auto& p : model->named_parameters()) {
    exported["params/" + p.key()] = p.value().detach().cpu().clone();
  }
  model->train();

  const auto samples = loader::s3rec_pretrain_samples(corpus, o.max_seq_length);
  const auto rows = loader::s3rec_finetune_rows(corpus);
  const auto pick = [](std::int64_t step, std::int64_t n, std::int64_t count) {
    Rng rng = Rng::stream(7, {static_cast<std::uint64_t>(step)});
    std::vector<std::int64_t> ids;
    for (std::int64_t i = 0; i < count; ++i) ids.push_back(static_cast<std::int64_t>(rng.uniform_below(static_cast<std::uint64_t>(n))));
    return ids;
  };
  loader::S3RecBatchOptions bo;
  bo.max_seq_length = o.max_seq_length;
  const std::int64_t pb = c.get_int("pretrain_batch"), fb = c.get_int("finetune_batch");
  const std::int64_t warmup = c.get_int("warmup"), steps = c.get_int("steps");
  models::S3RecPretrainBatch last_pretrain;
  models::S3RecFinetuneBatch last_finetune;

  train::FusedAdam adam(model->parameters(), torch::optim::AdamOptions(1e-3));
  const StageTimes pre = time_stage(
      warmup, steps, device, adam,
      [&](std::int64_t s) {
        bo.epoch = s;
        last_pretrain = loader::build_s3rec_pretrain_batch(
            corpus, samples, pick(s, static_cast<std::int64_t>(samples.size()), pb), bo);
        return last_pretrain;
      },
      [&](const models::S3RecPretrainBatch& b) { return model->pretrain_losses(b, {}).joint; });
  const StageTimes fine = time_stage(
      warmup, steps, device, adam,
      [&](std::int64_t s) {
        bo.epoch = s;
        last_finetune = loader::build_s3rec_finetune_batch(
            corpus, rows, pick(s, static_cast<std::int64_t>(rows.size()), fb), bo);
        return last_finetune;
      },
      [&](const models::S3RecFinetuneBatch& b) { return model->finetune_loss(b); });

  nlohmann::ordered_json json;
  json["device"] = device.str();
  json["threads"] = at::get_num_threads();
  json["corpus"] = c.get_string("corpus");
  std::cout << "S3-Rec steps on " << c.get_string("corpus") << ", device " << device.str() << ", "
            << at::get_num_threads() << " thread(s), median of " << steps << " steps\n";
  std::cout << "  stage      batch   build ms  forward ms  backward ms  adam ms  step ms  samples/s\n";
  for (const auto& [name, t, batch] : {std::tuple{"pretrain", &pre, pb}, {"finetune", &fine, fb}}) {
    const double step = median(t->forward) + median(t->backward) + median(t->adam);
    const double rate = static_cast<double>(batch) / step;
    std::cout << fmt::format("  {:<9} {:>6} {:>10.1f} {:>11.1f} {:>12.1f} {:>8.1f} {:>8.1f} {:>10.0f}\n",
                             name, batch, median(t->build) * 1e3, median(t->forward) * 1e3,
                             median(t->backward) * 1e3, median(t->adam) * 1e3, step * 1e3, rate);
    json[name] = {{"batch", batch},
                  {"median_build_ms", median(t->build) * 1e3},
                  {"median_step_ms", step * 1e3},
                  {"samples_per_s", rate},
                  {"samples_per_s_with_inline_build",
                   static_cast<double>(batch) / (step + median(t->build))}};
  }
  write_file_atomically(c.get_string("json"), json.dump(2) + "\n");

  if (!c.get_string("export").empty()) {
    rsdist::testing::add_s3rec_export_inputs(exported, o, corpus.attributes, last_pretrain,
                                             last_finetune);
    train::export_weights_for_pytorch(c.get_string("export"), exported);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) { return bench::main_of(argc, argv, bench_schema(), run); }
