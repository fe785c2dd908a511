#include <ostream>

#include "app/commands.hpp"
#include "core/error.hpp"
#include "core/fault_injection.hpp"
#include "ddp/backends.hpp"
#include "train/train_options.hpp"
#include "train/trainer.hpp"

namespace rsdist::app {

OptionSchema train_schema() { return train::train_option_schema(); }

int run_train(const Config& given, CommandIo& io) {
  const Config config = train::with_model_defaults(given);
  if (config.get_bool("print_config")) {
    io.out << config.to_ini(/*show_origins=*/true);
    return 0;
  }
  const std::string& backend = config.get_string("backend");
  if (backend != "auto") ddp::require_backend(backend);
  check_fault_injection();  // a malformed RSDIST_FAULT fails before the run starts
  return train::run_training(config, io.log);
}

}  // namespace rsdist::app
