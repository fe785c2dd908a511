// Schemas and entry points of the subcommands; one file each under src/app/.
#pragma once

#include "app/cli.hpp"
#include "core/config.hpp"

namespace rsdist::app {

OptionSchema version_schema();
int run_version(const Config& config, CommandIo& io);

OptionSchema synth_schema();
int run_synth(const Config& config, CommandIo& io);

OptionSchema train_schema();
int run_train(const Config& config, CommandIo& io);

// --run, --checkpoint, --corpus: which trained model, on which corpus (evaluate, recommend).
void add_trained_model_options(OptionSchema& schema);
OptionSchema evaluate_schema();
int run_evaluate(const Config& config, CommandIo& io);
OptionSchema recommend_schema();
int run_recommend(const Config& config, CommandIo& io);
OptionSchema preprocess_schema();
int run_preprocess(const Config& config, CommandIo& io);

OptionSchema inspect_schema();
int run_inspect(const Config& config, CommandIo& io);

}  // namespace rsdist::app
