// The options of `rsdist train` (and the run/model keys that evaluate and recommend read back).
#pragma once

#include "core/options.hpp"

namespace rsdist::train {

// Model groups ([naml], [gcl4sr]) carry the reference implementations' defaults.
OptionSchema train_option_schema();

}  // namespace rsdist::train
