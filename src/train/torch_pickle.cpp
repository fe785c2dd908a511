#include "train/torch_pickle.hpp"

#include <caffe2/serialize/inline_container.h>
#include <torch/csrc/jit/serialization/pickle.h>
#include <torch/csrc/jit/serialization/pickler.h>
#include <torch/csrc/jit/serialization/pickler_helper.h>

#include <vector>

namespace rsdist::train {

std::string pickle_for_python(const c10::IValue& value) {
  std::string pickled;
  torch::jit::Pickler pickler([&](const char* data, size_t size) { pickled.append(data, size); },
                              /*tensor_table=*/nullptr, /*type_renamer=*/nullptr,
                              /*memoized_class_types=*/nullptr,
                              /*get_tensor_id=*/nullptr, /*tag_aggregates=*/false);
  pickler.protocol();
  pickler.pushIValue(value);
  pickler.stop();

  std::string archive;
  archive.reserve(pickled.size());
  {
    caffe2::serialize::PyTorchStreamWriter writer([&](const void* data, size_t size) {
      archive.append(static_cast<const char*>(data), size);
      return size;
    });
    // The pickler names storages by their index in tensorData(); torch.load looks them up as
    // records data/<index> next to data.pkl.
    const auto& tensors = pickler.tensorData();
    for (size_t i = 0; i < tensors.size(); ++i) {
      const auto bytes = torch::jit::getWriteableTensorData(tensors[i]);
      writer.writeRecord("data/" + std::to_string(i), bytes.data(), bytes.sizeInBytes());
    }
    writer.writeRecord("data.pkl", pickled.data(), pickled.size());
    writer.writeEndOfFile();
  }
  return archive;
}

c10::IValue unpickle_archive(std::string_view bytes) {
  // pickle_load_obj reads from a view (pickle_load wants its own std::vector<char> copy, which
  // for a large model would double the memory a resume needs).
  return torch::jit::pickle_load_obj(bytes);
}

}  // namespace rsdist::train
