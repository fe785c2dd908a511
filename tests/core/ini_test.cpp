#include "core/ini.hpp"

#include <gtest/gtest.h>

#include <sstream>

#include "core/error.hpp"

namespace rsdist {
namespace {

std::vector<IniEntry> parse(const std::string& text) {
  std::istringstream in(text);
  return parse_ini(in, "x.ini");
}

std::string error_of(const std::string& text) {
  try {
    parse(text);
  } catch (const Error& e) {
    return e.message();
  }
  return "no error";
}

TEST(Ini, ReadsSectionsKeysValuesAndLines) {
  const auto entries = parse("# comment\nseed = 3\n\n[train]\nlr=1e-4   # Adam\n; c\nname = a b\n");
  ASSERT_EQ(entries.size(), 3u);
  EXPECT_EQ(entries[0].section, "");
  EXPECT_EQ(entries[0].key, "seed");
  EXPECT_EQ(entries[0].value, "3");
  EXPECT_EQ(entries[0].line, 2);
  EXPECT_EQ(entries[1].section, "train");
  EXPECT_EQ(entries[1].value, "1e-4");
  EXPECT_EQ(entries[1].where(), "x.ini:5");
  EXPECT_EQ(entries[2].value, "a b");
}

TEST(Ini, HashInsideAValueWithoutSpaceIsKept) {
  EXPECT_EQ(parse("url = http://a/b#c\n")[0].value, "http://a/b#c");
}

TEST(Ini, MissingEqualsNamesFileAndLine) {
  EXPECT_EQ(error_of("a = 1\njust words\n"), "x.ini:2: expected 'key = value', found 'just words'");
}

TEST(Ini, DuplicateKeyNamesBothLines) {
  EXPECT_EQ(error_of("a = 1\n[s]\na = 2\n"), "x.ini:3: key 'a' is already set at line 1");
}

TEST(Ini, MalformedSectionHeader) {
  EXPECT_NE(error_of("[train\n").find("x.ini:1: malformed section header"), std::string::npos);
}

TEST(Ini, MissingFileIsReported) {
  try {
    read_ini_file("/nonexistent/rsdist.ini");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.message(), "cannot open config file '/nonexistent/rsdist.ini'");
  }
}

}  // namespace
}  // namespace rsdist
