#include <gtest/gtest.h>

#include <filesystem>
#include <sstream>

#include "app/cli.hpp"
#include "support/temp_dir.hpp"

namespace rsdist::app {
namespace {
using rsdist::testing::TempDir;

const std::string kConfigs = std::string(RSDIST_SOURCE_DIR) + "/configs/";

int run(const std::vector<std::string>& args, std::string* out, std::string* err) {
  std::ostringstream o, e;
  const int code = run_cli(args, o, e);
  *out = o.str();
  *err = e.str();
  return code;
}

TEST(TrainCommand, PrintConfigShowsResolvedValuesWithOrigins) {
  std::string out, err;
  const std::string ini = kConfigs + "naml_mind_small.ini";
  ASSERT_EQ(run({"train", "--config", ini, "--print-config", "--epochs", "2"}, &out, &err), 0) << err;
  EXPECT_NE(out.find("[train]"), std::string::npos);
  EXPECT_NE(out.find("model = naml"), std::string::npos);
  EXPECT_NE(out.find("epochs = 2"), std::string::npos);
  EXPECT_NE(out.find("# command line"), std::string::npos);
  EXPECT_NE(out.find("# " + ini + ":"), std::string::npos);
  EXPECT_NE(out.find("# default"), std::string::npos);
}

// Every INI file in configs/ (a new one is checked without editing this test); the synthetic ones
// leave --corpus and --out to the command line.
TEST(TrainCommand, ShippedConfigsResolve) {
  int checked = 0;
  for (const auto& entry : std::filesystem::directory_iterator(kConfigs)) {
    if (entry.path().extension() != ".ini") continue;
    std::string out, err;
    EXPECT_EQ(run({"train", "--config", entry.path().string(), "--corpus", "c", "--out", "o",
                   "--print_config"},
                  &out, &err),
              0)
        << entry.path() << ": " << err;
    ++checked;
  }
  EXPECT_GE(checked, 8);
}

TEST(TrainCommand, BadConfigFileFailsWithFileAndLine) {
  TempDir tmp;
  const auto ini = tmp.write("bad.ini", "[run]\nmodel = naml\ncorpus = c\nout = o\n[train]\nepochs = lots\n");
  std::string out, err;
  EXPECT_EQ(run({"train", "--config", ini, "--print_config"}, &out, &err), 1);
  EXPECT_NE(err.find(ini + ":6: invalid value 'lots' for 'epochs': expected integer"),
            std::string::npos)
      << err;
  EXPECT_TRUE(out.empty());
}

TEST(TrainCommand, MissingRequiredValueIsNamed) {
  std::string out, err;
  EXPECT_EQ(run({"train", "--model", "naml", "--out", "o", "--print_config"}, &out, &err), 1);
  EXPECT_NE(err.find("missing required option 'corpus'"), std::string::npos) << err;
}

TEST(TrainCommand, AMissingCorpusIsNamedWithTheCommandThatMakesIt) {
  TempDir tmp;
  std::string out, err;
  EXPECT_EQ(run({"train", "--config", kConfigs + "naml_mind_small.ini", "--backend", "local",
                 "--corpus", (tmp / "nowhere").string(), "--out", (tmp / "run").string()},
                &out, &err),
            1);
  EXPECT_NE(err.find("nowhere: no manifest.json (not a complete corpus from 'rsdist preprocess "
                     "mind')"),
            std::string::npos)
      << err;
  EXPECT_EQ(run({"train", "--config", kConfigs + "gcl4sr_home.ini", "--backend", "local", "--corpus",
                 (tmp / "c").string(), "--out", (tmp / "run2").string()},
                &out, &err),
            1);
  EXPECT_NE(err.find("c: no manifest.json (not a complete corpus from 'rsdist preprocess seq')"),
            std::string::npos)
      << err;
}

}  // namespace
}  // namespace rsdist::app
