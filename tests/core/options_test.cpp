#include "core/options.hpp"

#include <gtest/gtest.h>

#include "core/error.hpp"

namespace rsdist {
namespace {

TEST(Options, FormatNumberReadsBackExactly) {
  for (double v : {1e-4, 0.1, 4.0, 0.7, 5e-5, 1.0 / 3.0, 123456789.0}) {
    EXPECT_EQ(std::stod(format_number(v)), v) << format_number(v);
  }
  EXPECT_EQ(format_number(1e-4), "0.0001");
  EXPECT_EQ(format_number(4.0), "4");
}

TEST(Options, SchemaRecordsGroupsDefaultsAndModifiers) {
  OptionSchema s("rsdist demo");
  s.group("train").add_int("epochs", 3, "epochs").at_least(1).add_float("lr", 1e-3, "lr");
  s.group("run").add_string("kind", std::nullopt, "k").required().positional().choices({"a", "b"});
  const OptionSpec* epochs = s.find("epochs");
  ASSERT_NE(epochs, nullptr);
  EXPECT_EQ(epochs->group, "train");
  EXPECT_EQ(*epochs->default_text, "3");
  EXPECT_EQ(*epochs->min_value, 1.0);
  EXPECT_EQ(s.find("lr")->default_text, "0.001");
  EXPECT_EQ(s.find("kind")->type_name(), "a|b");
  ASSERT_EQ(s.positionals().size(), 1u);
  EXPECT_EQ(s.positionals()[0]->name, "kind");
  EXPECT_EQ(s.find("nope"), nullptr);
}

TEST(Options, DuplicateOrDashedNamesAreProgrammerErrors) {
  OptionSchema s("rsdist demo");
  s.add_int("epochs", 1, "");
  EXPECT_THROW(s.add_int("epochs", 1, ""), Error);
  EXPECT_THROW(s.add_int("batch-size", 1, ""), Error);
}

TEST(Options, HelpListsEveryOptionWithTypeDefaultAndSection) {
  OptionSchema s("rsdist demo");
  add_common_options(s);
  s.group("train").add_int("epochs", 3, "how many epochs").add_flag("force", "overwrite");
  const std::string help = s.help_text("Demo command.");
  for (const char* needle : {"Usage: rsdist demo [options]", "Demo command.", "[train]",
                             "--epochs integer", "how many epochs (default: 3)", "--force",
                             "--config", "--log_level", "[general]"}) {
    EXPECT_NE(help.find(needle), std::string::npos) << needle << "\n" << help;
  }
}

}  // namespace
}  // namespace rsdist
