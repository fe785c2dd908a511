#include "train/metrics_log.hpp"

#include <fstream>
#include <sstream>

#include "core/error.hpp"
#include "core/staging.hpp"

namespace rsdist::train {

void MetricsLog::append(const nlohmann::ordered_json& record) const {
  std::ofstream out(path_, std::ios::app);
  RSDIST_CHECK(out.good(), "cannot append to {}", path_.string());
  out << record.dump() << '\n';
  out.flush();
  RSDIST_CHECK(out.good(), "cannot write {}", path_.string());
}

void MetricsLog::truncate_after(std::int64_t epoch) const {
  std::ifstream in(path_);
  if (!in.good()) return;
  std::ostringstream kept;
  std::string line;
  std::int64_t number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (line.empty()) continue;
    nlohmann::json record;
    try {
      record = nlohmann::json::parse(line);
    } catch (const nlohmann::json::exception& e) {
      RSDIST_THROW("{}:{}: not a JSON record ({})", path_.string(), number, e.what());
    }
    const std::string kind = record.value("kind", "");
    if (record.contains("epoch") && record["epoch"].get<std::int64_t>() <= epoch &&
        (kind == "epoch" || kind == "fit")) {
      kept << line << '\n';
    }
  }
  write_file_atomically(path_, kept.str());
}

}  // namespace rsdist::train
