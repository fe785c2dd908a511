// The options of `rsdist train` (and the run/model keys that evaluate and recommend read back).
#pragma once

#include "core/config.hpp"
#include "core/options.hpp"

namespace rsdist::train {

// The common groups ([run], [train], [ddp]) and each registered family's own group, which carries
// its reference implementation's defaults (model_family.hpp).
OptionSchema train_option_schema();

// `config` with the [train] options the user left at their defaults replaced by the chosen
// family's reference values (GCL4SR: the official code's batch 1024, lr 1e-3, weight decay 5e-5,
// no clipping, patience 10); origin "<model> default".
Config with_model_defaults(const Config& config);

}  // namespace rsdist::train
