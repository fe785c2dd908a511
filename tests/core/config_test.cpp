#include "core/config.hpp"

#include <gtest/gtest.h>

#include "core/error.hpp"
#include "support/temp_dir.hpp"

namespace rsdist {
namespace {
using rsdist::testing::TempDir;

OptionSchema demo_schema() {
  OptionSchema s("rsdist demo");
  add_common_options(s);
  s.add_flag("print_config", "print");
  s.group("run")
      .add_string("corpus", std::nullopt, "corpus dir")
      .required()
      .add_string("model", "naml", "model")
      .choices({"naml", "gcl4sr"});
  s.group("train")
      .add_int("epochs", 16, "epochs")
      .at_least(1)
      .add_int("batch_size", 64, "batch")
      .at_least(1)
      .add_float("lr", 1e-4, "lr")
      .at_least(0)
      .add_bool("mixed_precision", false, "bf16");
  return s;
}

std::string error_of(const std::vector<std::string>& args) {
  try {
    resolve_config(demo_schema(), args);
  } catch (const Error& e) {
    return e.message();
  }
  return "no error";
}

TEST(Config, DefaultsCommandLineAndTypes) {
  const Config c =
      resolve_config(demo_schema(), {"--corpus", "/data/c", "--epochs=3", "--lr", "0.5"});
  EXPECT_EQ(c.get_string("corpus"), "/data/c");
  EXPECT_EQ(c.get_int("epochs"), 3);
  EXPECT_EQ(c.get_float("lr"), 0.5);
  EXPECT_EQ(c.get_int("batch_size"), 64);
  EXPECT_FALSE(c.get_bool("mixed_precision"));
  EXPECT_FALSE(c.get_bool("print_config"));
  EXPECT_EQ(c.origin("epochs"), "command line");
  EXPECT_EQ(c.origin("batch_size"), "default");
}

TEST(Config, DashesAndUnderscoresAreInterchangeable) {
  const Config c =
      resolve_config(demo_schema(), {"--corpus=x", "--batch-size", "8", "--print-config"});
  EXPECT_EQ(c.get_int("batch_size"), 8);
  EXPECT_TRUE(c.get_bool("print_config"));
}

TEST(Config, CommandLineWinsOverConfigFileWhichWinsOverDefaults) {
  TempDir tmp;
  const auto ini = tmp.write("run.ini",
                             "[run]\ncorpus = /from/file\n\n[train]\nepochs = 5\nbatch_size = 32\n"
                             "mixed_precision = true\n");
  const Config c = resolve_config(demo_schema(), {"--config", ini, "--epochs", "2"});
  EXPECT_EQ(c.get_int("epochs"), 2);
  EXPECT_EQ(c.origin("epochs"), "command line");
  EXPECT_EQ(c.get_int("batch_size"), 32);
  EXPECT_EQ(c.origin("batch_size"), ini + ":6");
  EXPECT_TRUE(c.get_bool("mixed_precision"));
  EXPECT_EQ(c.get_string("corpus"), "/from/file");
  EXPECT_EQ(c.get_float("lr"), 1e-4);
  EXPECT_EQ(c.origin("lr"), "default");
}

TEST(Config, WithDefaultsReplacesOnlyValuesLeftAtTheSchemaDefault) {
  TempDir tmp;
  const auto ini = tmp.write("run.ini", "[run]\ncorpus = c\n\n[train]\nlr = 0.01\n");
  const Config c = resolve_config(demo_schema(), {"--config", ini, "--epochs", "2"});
  const Config d =
      c.with_defaults({{"epochs", "9"}, {"lr", "0.5"}, {"batch_size", "1024"}}, "gcl4sr default");
  EXPECT_EQ(d.get_int("epochs"), 2);   // command line
  EXPECT_EQ(d.get_float("lr"), 0.01);  // file
  EXPECT_EQ(d.origin("lr"), ini + ":5");
  EXPECT_EQ(d.get_int("batch_size"), 1024);
  EXPECT_EQ(d.origin("batch_size"), "gcl4sr default");
  EXPECT_EQ(c.get_int("batch_size"), 64);  // the original is unchanged
  EXPECT_THROW(c.with_defaults({{"nope", "1"}}, "x"), Error);
  try {
    c.with_defaults({{"batch_size", "0"}}, "gcl4sr default");
    FAIL() << "a default below the option's minimum must throw";
  } catch (const Error& e) {
    EXPECT_NE(e.message().find("gcl4sr default"), std::string::npos) << e.message();
  }
}

TEST(Config, UnknownKeyInFileNamesFileAndLine) {
  TempDir tmp;
  const auto ini = tmp.write("bad.ini", "corpus = c\n[train]\nepochs = 2\nlearning_rate = 3\n");
  try {
    resolve_config(demo_schema(), {"--config", ini});
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.message(), ini +
                               ":4: unknown key 'learning_rate' for rsdist demo (see 'rsdist "
                               "demo --help')");
  }
}

TEST(Config, WrongTypeInFileNamesFileLineKeyAndType) {
  TempDir tmp;
  const auto ini = tmp.write("bad.ini", "corpus = c\n[train]\nepochs = many\n");
  try {
    resolve_config(demo_schema(), {"--config", ini});
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.message(), ini + ":3: invalid value 'many' for 'epochs': expected integer");
  }
}

TEST(Config, BadValueInFileIsReportedEvenWhenCommandLineOverridesIt) {
  TempDir tmp;
  const auto ini = tmp.write("bad.ini", "[train]\nlr = fast\n");
  EXPECT_NE(
      error_of({"--config", ini, "--corpus", "c", "--lr", "1"}).find(":2: invalid value 'fast'"),
      std::string::npos);
}

TEST(Config, KeyUnderTheWrongSectionIsRejected) {
  TempDir tmp;
  const auto ini = tmp.write("bad.ini", "[run]\ncorpus = c\nepochs = 2\n");
  EXPECT_EQ(error_of({"--config", ini}),
            ini + ":3: key 'epochs' belongs in section [train], not [run]");
}

TEST(Config, AKeyIsStillReadFromTheSectionItFormerlyBelongedTo) {
  TempDir tmp;
  OptionSchema s = demo_schema();
  EXPECT_FALSE(s.has_group("sequence"));
  s.group("sequence").add_int("hidden_size", 64, "width").formerly_in("gcl4sr");
  EXPECT_TRUE(s.has_group("sequence"));
  const auto old = tmp.write("old.ini", "corpus = c\n[gcl4sr]\nhidden_size = 32\n");
  EXPECT_EQ(resolve_config(s, {"--config", old}).get_int("hidden_size"), 32);
  const auto now = tmp.write("now.ini", "corpus = c\n[sequence]\nhidden_size = 16\n");
  EXPECT_EQ(resolve_config(s, {"--config", now}).get_int("hidden_size"), 16);
  const auto wrong = tmp.write("wrong.ini", "corpus = c\n[train]\nhidden_size = 16\n");
  try {
    resolve_config(s, {"--config", wrong});
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.message(), wrong + ":3: key 'hidden_size' belongs in section [sequence], not [train]");
  }
}

TEST(Config, CommandLineOnlyOptionsAreRejectedInFiles) {
  TempDir tmp;
  const auto ini = tmp.write("bad.ini", "corpus = c\nprint_config = true\n");
  EXPECT_EQ(error_of({"--config", ini}),
            ini + ":2: 'print_config' can only be given on the command line");
}

TEST(Config, WrongTypeOnCommandLineNamesTheOption) {
  EXPECT_EQ(error_of({"--corpus", "c", "--epochs", "2.5"}),
            "invalid value '2.5' for --epochs (command line): expected integer");
  EXPECT_EQ(error_of({"--corpus", "c", "--mixed_precision", "maybe"}),
            "invalid value 'maybe' for --mixed_precision (command line): expected true|false");
  EXPECT_EQ(error_of({"--corpus", "c", "--lr", "1e-3x"}),
            "invalid value '1e-3x' for --lr (command line): expected number");
}

TEST(Config, RangeAndChoiceViolationsAreRejected) {
  EXPECT_EQ(error_of({"--corpus", "c", "--epochs", "0"}),
            "invalid value '0' for --epochs (command line): must be >= 1");
  EXPECT_EQ(error_of({"--corpus", "c", "--model", "bert"}),
            "invalid value 'bert' for --model (command line): expected one of naml|gcl4sr");
}

TEST(Config, UnknownOptionMissingArgumentAndRepeats) {
  EXPECT_EQ(error_of({"--corpus", "c", "--epoch", "3"}),
            "unknown option '--epoch' for rsdist demo (see 'rsdist demo --help')");
  EXPECT_NE(error_of({"--corpus"}).find("corpus"), std::string::npos);
  EXPECT_NE(error_of({"--corpus", "a", "--corpus", "b"}).find("corpus"), std::string::npos);
  EXPECT_EQ(error_of({"--corpus", "c", "stray"}).find("too many positional"), 0u);
}

TEST(Config, MissingRequiredSaysHowToProvideIt) {
  EXPECT_EQ(error_of({}),
            "missing required option 'corpus' for rsdist demo: pass --corpus or set 'corpus = ...' "
            "under [run] in the --config file");
}

TEST(Config, ResolvedIniReadsBackToTheSameValues) {
  TempDir tmp;
  const Config first =
      resolve_config(demo_schema(), {"--corpus", "c", "--lr", "3e-05", "--epochs", "7"});
  const std::string text = first.to_ini(/*show_origins=*/true);
  EXPECT_NE(text.find("epochs = 7"), std::string::npos);
  EXPECT_NE(text.find("# command line"), std::string::npos);
  EXPECT_EQ(text.find("print_config"), std::string::npos);
  const auto ini = tmp.write("resolved.ini", text);
  const Config second = resolve_config(demo_schema(), {"--config", ini});
  EXPECT_EQ(second.to_ini(false), first.to_ini(false));
  EXPECT_EQ(second.get_float("lr"), 3e-05);
}

TEST(Config, PositionalArgumentsFillTheirOptions) {
  OptionSchema s("rsdist synth");
  s.add_string("kind", std::nullopt, "kind").required().positional().choices({"mind", "seq"});
  s.add_string("out", std::nullopt, "out").required();
  const Config c = resolve_config(s, {"seq", "--out", "/tmp/x"});
  EXPECT_EQ(c.get_string("kind"), "seq");
  try {
    resolve_config(s, {"--out", "/tmp/x"});
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.message(), "missing required option --kind for rsdist synth");
  }
}

TEST(Config, GettersCheckTypes) {
  const Config c = resolve_config(demo_schema(), {"--corpus", "c"});
  EXPECT_THROW(c.get_int("corpus"), Error);
  EXPECT_THROW(c.get_string("nonexistent"), Error);
  EXPECT_EQ(c.get_float("epochs"), 16.0);  // integers widen to numbers
}

TEST(Config, CommaSeparatedListsNameTheOptionAndOriginOnBadItems) {
  OptionSchema s("rsdist demo");
  s.group("model").add_string("layers", "64,32,16,8", "widths").add_string("runs", "", "runs");
  const Config c = resolve_config(s, {"--runs", " a/b , c "});
  EXPECT_EQ(c.get_int_list("layers", 1), (std::vector<std::int64_t>{64, 32, 16, 8}));
  EXPECT_EQ(c.get_string_list("runs"), (std::vector<std::string>{"a/b", "c"}));
  EXPECT_TRUE(resolve_config(s, {}).get_string_list("runs").empty());
  const auto message = [&](const std::vector<std::string>& args, bool ints) {
    try {
      const Config bad = resolve_config(s, args);
      if (ints) {
        bad.get_int_list("layers", 1);
      } else {
        bad.get_string_list("runs");
      }
    } catch (const Error& e) {
      return e.message();
    }
    return std::string("no error");
  };
  EXPECT_EQ(message({"--layers", "64,x"}, true),
            "invalid value '64,x' for --layers (command line): 'x' is not a whole number of at "
            "least 1");
  EXPECT_EQ(message({"--layers", "64,0"}, true),
            "invalid value '64,0' for --layers (command line): '0' is not a whole number of at "
            "least 1");
  EXPECT_EQ(message({"--runs", "a,,b"}, false),
            "invalid value 'a,,b' for --runs (command line): an empty list item");
}

}  // namespace
}  // namespace rsdist
