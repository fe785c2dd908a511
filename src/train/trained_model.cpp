#include "train/trained_model.hpp"

#include "core/error.hpp"
#include "train/checkpoint.hpp"
#include "train/model_family.hpp"
#include "train/train_options.hpp"

namespace rsdist::train {
namespace fs = std::filesystem;

TrainedModel load_trained_model(const fs::path& run_dir, const fs::path& checkpoint,
                                const std::string& corpus, at::Device device,
                                ddp::Communicator& comm) {
  TrainedModel m;
  if (!checkpoint.empty()) {
    m.checkpoint = checkpoint;
  } else {
    RSDIST_CHECK(!run_dir.empty(), "give --run RUN_DIR or --checkpoint PATH");
    m.checkpoint = checkpoint_of(run_dir, "--run");
  }
  // A sharded table's rows as this rank of this job holds them (Note [Sharded tables in a
  // checkpoint]).
  const CheckpointState state =
      read_checkpoint_model(m.checkpoint, comm.rank(), comm.world_size());
  // The training configuration, through the train schema again (so defaults added since still
  // apply), with the corpus overridden when asked.
  const fs::path ini = m.checkpoint / "config.ini";
  std::vector<std::string> args = {"--config", ini.string()};
  if (!corpus.empty()) args.insert(args.end(), {"--corpus", corpus});
  m.config = std::make_unique<Config>(resolve_config(train_option_schema(), args));
  m.task = make_task(TaskContext{*m.config, device, comm.rank(), comm.world_size(), &comm});
  load_model_state(m.task->model(), state.model, m.checkpoint);
  m.task->load_state(state.task);
  return m;
}

}  // namespace rsdist::train
