// The options of `rsdist train` (and the run/model keys that evaluate and recommend read back).
#pragma once

#include "core/config.hpp"
#include "core/options.hpp"

namespace rsdist::train {

// Model groups ([naml], [gcl4sr]) carry the reference implementations' defaults.
OptionSchema train_option_schema();

// `config` with the [train] options the user left at their defaults replaced by the chosen model's
// reference values (GCL4SR: the official code's batch 1024, lr 1e-3, weight decay 5e-5, no
// clipping, patience 10); origin "<model> default". NAML's are the schema defaults themselves.
Config with_model_defaults(const Config& config);

}  // namespace rsdist::train
