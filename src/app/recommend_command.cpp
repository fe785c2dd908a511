// `rsdist recommend`: top-k items for users with a trained model: for NAML, news from a split's
// candidate pool given the users' histories there; for GCL4SR, the next items after the split's
// prefix of each user's sequence, the prefix's own items excluded.
#include <fmt/format.h>

#include <ostream>
#include <sstream>

#include "app/commands.hpp"
#include "core/error.hpp"
#include "ddp/backends.hpp"
#include "ddp/in_process_communicator.hpp"
#include "train/trained_model.hpp"

namespace rsdist::app {

OptionSchema recommend_schema() {
  OptionSchema s("rsdist recommend");
  add_common_options(s);
  add_trained_model_options(s);
  s.add_string("split", "dev", "the split whose histories (and, for NAML, candidate pool) are used")
      .choices({"dev", "test"})
      .add_string("users", "", "comma-separated user ids (default: the split's first --max_users)")
      .add_int("k", 10, "recommendations per user")
      .at_least(1)
      .add_int("max_users", 10, "users when --users is not given")
      .at_least(1);
  return s;
}

int run_recommend(const Config& config, CommandIo& io) {
  const at::Device device =
      ddp::cuda_device_count() > 0 ? at::Device(at::kCUDA, 0) : at::Device(at::kCPU);
  // One process: a communicator of one rank (a sharded table is loaded whole).
  const auto group = ddp::InProcessGroup::create(1);
  const auto comm = group->communicator(0);
  train::TrainedModel m =
      train::load_trained_model(config.get_string("run"), config.get_string("checkpoint"),
                                config.get_string("corpus"), device, *comm);
  std::vector<std::string> users;
  std::stringstream list(config.get_string("users"));
  for (std::string u; std::getline(list, u, ',');) {
    if (!u.empty()) users.push_back(u);
  }
  const train::Split split =
      config.get_string("split") == "dev" ? train::Split::kDev : train::Split::kTest;
  for (const auto& r :
       m.task->recommend(split, users, config.get_int("k"), config.get_int("max_users"))) {
    io.out << r.user;
    for (std::size_t i = 0; i < r.items.size(); ++i)
      io.out << fmt::format("\t{}:{:.4f}", r.items[i], r.scores[i]);
    io.out << "\n";
  }
  return 0;
}

}  // namespace rsdist::app
