// IValues as PyTorch zip archives that Python's `torch.load` opens with weights_only=True.
//
// Why not torch::pickle_save: it wraps every dict and list in a
// `torch.jit._pickle.restore_type_tag` call, which torch.load's default (weights_only=True)
// refuses. This writes the same archive layout (data.pkl plus data/<i> per storage) with the type
// tags left out; plain dicts, lists, strings, ints and strided CPU tensors are what it is for.
#pragma once

#include <ATen/core/ivalue.h>

#include <string>
#include <string_view>

namespace rsdist::train {

std::string pickle_for_python(const c10::IValue& value);

// Reads what pickle_for_python wrote; torch's c10::Error propagates on malformed input.
c10::IValue unpickle_archive(std::string_view bytes);

}  // namespace rsdist::train
