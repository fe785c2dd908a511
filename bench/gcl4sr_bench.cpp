// GCL4SR training-step benchmark on a sequence corpus: where a step's time goes (neighbour
// sampling, the rest of batch assembly, forward + losses, backward, Adam) and the samples/s that
// follow, run synchronously so that every phase is measured on its own.
//
//   build/bench/gcl4sr_bench --corpus DIR [--batch 2048 --steps 5 --warmup 1 --device cpu
//                            --sample_size 20 --threads 1 --json bench/gcl4sr_bench.json]
//
// In training the batches are built on loader threads while the model computes, so a step costs
// max(compute, build / threads) there; "sampling share" is sampling / (sampling + compute): the
// fraction of a step the sampler would take if it ran inline.
#include <ATen/core/grad_mode.h>
#include <ATen/ops/zeros.h>
#include <torch/optim/adam.h>

#include <algorithm>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>

#include "bench_support.hpp"
#include "core/config.hpp"
#include "core/error.hpp"
#include "core/rng.hpp"
#include "core/stopwatch.hpp"
#include "data/seq/seq_corpus.hpp"
#include "loader/seq/seq_batch_builder.hpp"
#include "models/gcl4sr_model.hpp"
#include "train/checkpoint.hpp"

namespace {
using namespace rsdist;

OptionSchema bench_schema() {
  OptionSchema s("gcl4sr_bench");
  s.add_string("corpus", std::nullopt, "sequence corpus ('rsdist preprocess seq')")
      .required()
      .add_int("batch", 2048, "examples per step")
      .at_least(1)
      .add_int("steps", 5, "timed steps")
      .at_least(1)
      .add_int("warmup", 1, "untimed steps")
      .at_least(0)
      .add_int("sample_size", 20, "neighbours per item position")
      .at_least(1)
      .add_int("threads", 1, "sampler threads")
      .at_least(1)
      .add_int("hidden", 64, "hidden size")
      .at_least(1)
      .add_int("max_len", 50, "max sequence length")
      .at_least(1)
      .add_string("device", "cpu", "cpu or cuda")
      .add_string("json", "bench/gcl4sr_bench.json", "JSON output")
      .add_string("export", "",
                  "also write the last batch, its views and the model's weights here for the "
                  "eager-PyTorch peer (bench/gcl4sr_pytorch_peer.py)");
  return s;
}

using bench::median;

// A copy to the host waits for the work queued on the current stream before it.
void synchronize(const at::Device& device) {
  if (device.is_cuda()) at::zeros({1}, at::TensorOptions().device(device)).cpu();
}

// The batch and weights in the parity test's format (tests/models/gcl4sr_reference.py), each view
// as the one block rsdist's model reads: n_id = the view's nodes, one hop of (edge_index, e_id =
// 0..E-1, [sources, B*L]), the edge weights as the graph's attributes.
void export_for_peer(const std::string& path, models::Gcl4srModelImpl& model,
                     const models::SeqBatch& batch, const models::Gcl4srOptions& o) {
  std::map<std::string, at::Tensor> out;
  const auto scalar = [](double v) { return at::scalar_tensor(v, at::kDouble); };
  out["config/hidden"] = scalar(static_cast<double>(o.hidden_size));
  out["config/max_len"] = scalar(static_cast<double>(o.max_seq_length));
  out["config/layers"] = scalar(static_cast<double>(o.num_layers));
  out["config/heads"] = scalar(static_cast<double>(o.num_heads));
  for (const auto& p : model.named_parameters()) out["params/" + p.key()] = p.value().detach().cpu();
  out["buffers/gate_item"] = model.gate_item.cpu();
  out["buffers/gate_user"] = model.gate_user.cpu();
  out["batch/users"] = batch.users;
  out["batch/inputs"] = batch.inputs;
  out["batch/targets"] = batch.targets;
  for (int v = 0; v < 2; ++v) {
    const models::GraphView& g = batch.views[static_cast<std::size_t>(v)];
    const std::string view = "view" + std::to_string(v) + "/";
    const std::int64_t edges = g.edge_index.size(1);
    out[view + "n_id"] = g.nodes;
    out[view + "hop0/edge_index"] = g.edge_index;
    out[view + "hop0/e_id"] = at::arange(edges, at::kLong);
    out[view + "hop0/size"] = at::tensor({g.nodes.size(0), batch.inputs.numel()}, at::kLong);
    out[view + "edge_attr"] = g.edge_weight;
  }
  train::export_weights_for_pytorch(path, out);
}

int run(const Config& c) {
  const at::Device device(c.get_string("device"));
  const seq::SeqCorpus corpus = seq::read_seq_corpus(c.get_string("corpus"));
  models::Gcl4srOptions o;
  o.num_users = static_cast<std::int64_t>(corpus.sequences.num_sequences());
  o.num_items = corpus.graph.num_nodes;
  o.hidden_size = c.get_int("hidden");
  o.max_seq_length = c.get_int("max_len");
  models::Gcl4srModel model(o);
  model->to(device);
  model->train();
  torch::optim::Adam adam(model->parameters(), torch::optim::AdamOptions(1e-3).weight_decay(5e-5));
  loader::SeqBatchOptions bo;
  bo.max_seq_length = o.max_seq_length;
  bo.sample_size = static_cast<int>(c.get_int("sample_size"));
  bo.sampler_threads = static_cast<int>(c.get_int("threads"));
  const std::int64_t batch = c.get_int("batch");
  const auto examples = static_cast<std::int64_t>(corpus.splits.train.size());

  std::map<std::string, std::vector<double>> t;
  std::int64_t edges = 0;
  models::SeqBatch last;
  const std::int64_t warmup = c.get_int("warmup"), steps = c.get_int("steps");
  for (std::int64_t step = 0; step < warmup + steps; ++step) {
    std::vector<std::int64_t> ids;
    Rng pick = Rng::stream(1, {static_cast<std::uint64_t>(step)});
    for (std::int64_t i = 0; i < batch; ++i)
      ids.push_back(static_cast<std::int64_t>(pick.uniform_below(examples)));
    Rng rng = Rng::stream(2, {static_cast<std::uint64_t>(step)});
    double sample = 0;
    auto start = SteadyClock::now();
    const models::SeqBatch host =
        loader::build_seq_batch(corpus, corpus.splits.train, ids, bo, rng, &sample);
    const double build = seconds_since(start);
    start = SteadyClock::now();
    const models::SeqBatch b = host.to(device);
    const models::Gcl4srLosses l = model->losses(b, {});
    synchronize(device);
    const double forward = seconds_since(start);
    start = SteadyClock::now();
    l.total.backward();
    synchronize(device);
    const double backward = seconds_since(start);
    start = SteadyClock::now();
    adam.step();
    adam.zero_grad();
    synchronize(device);
    const double optimizer = seconds_since(start);
    last = host;
    if (step < warmup) continue;
    edges = host.views[0].edge_index.size(1) + host.views[1].edge_index.size(1);
    t["sampling"].push_back(sample);
    t["assembly"].push_back(build - sample);
    t["forward+losses"].push_back(forward);
    t["backward"].push_back(backward);
    t["adam"].push_back(optimizer);
    t["compute"].push_back(forward + backward + optimizer);
  }
  if (!c.get_string("export").empty()) export_for_peer(c.get_string("export"), *model, last, o);
  const double compute = median(t["compute"]);
  const double sampling = median(t["sampling"]);
  const double build = sampling + median(t["assembly"]);
  std::cout << "GCL4SR step, batch " << batch << ", " << edges
            << " sampled edges (2 views), device " << device.str() << ", median of " << steps
            << " steps\n";
  nlohmann::ordered_json json;
  for (const char* phase : {"sampling", "assembly", "forward+losses", "backward", "adam"}) {
    const double m = median(t[phase]);
    std::cout << "  " << phase << std::string(16 - std::string(phase).size(), ' ') << m * 1e3
              << " ms\n";
    json["median_seconds"][phase] = m;
  }
  const double inline_rate = static_cast<double>(batch) / (build + compute);
  const double overlapped_rate = static_cast<double>(batch) / std::max(build, compute);
  const double share = sampling / (sampling + compute);
  std::cout << "  samples/s, batch built inline:       " << inline_rate << "\n"
            << "  samples/s, batch built on a thread:  " << overlapped_rate << "\n"
            << "  sampling share of an inline step:    " << share * 100 << " %\n";
  json["batch"] = batch;
  json["edges"] = edges;
  json["device"] = device.str();
  json["samples_per_second_inline"] = inline_rate;
  json["samples_per_second_overlapped"] = overlapped_rate;
  json["sampling_share"] = share;
  std::ofstream(c.get_string("json")) << json.dump(2) << "\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) { return bench::main_of(argc, argv, bench_schema(), run); }
