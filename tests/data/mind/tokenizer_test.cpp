#include "data/mind/tokenizer.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/error.hpp"
#include "data/mind/utf8.hpp"

namespace rsdist::mind {
namespace {

using Tokens = std::vector<std::string>;

// Expected tokens were produced with Python 3.11.7:
//   re.findall(r'[\w]+|[.,!?;|]', text.lower())
TEST(MindTokenizer, MatchesPythonRegexOnTrickyStrings) {
  EXPECT_EQ(tokenize("Lakers win championship!"), (Tokens{"lakers", "win", "championship", "!"}));
  EXPECT_EQ(tokenize("Trump's 2020 bid: it's ON; a|b, c?"),
            (Tokens{"trump", "s", "2020", "bid", "it", "s", "on", ";", "a", "|", "b", ",", "c", "?"}));
  EXPECT_EQ(tokenize("Ünïcödé ÀÉÎ straße İstanbul"), (Tokens{"ünïcödé", "àéî", "straße", "i", "stanbul"}));
  EXPECT_EQ(tokenize("ΟΔΟΣ ΟΔΟΣ. Σ ΑΣ_Β"), (Tokens{"οδος", "οδος", ".", "σ", "ας_β"}));
  EXPECT_EQ(tokenize("Москва\u0301 e\u0301 中文新闻 한국어 العربية עברית"),
            (Tokens{"москва", "e", "中文新闻", "한국어", "العربية", "עברית"}));
  EXPECT_EQ(tokenize("x_1 __ 1_000 ½ ² ١٢٣ ..."), (Tokens{"x_1", "__", "1_000", "½", "²", "١٢٣", ".", ".", "."}));
  EXPECT_EQ(tokenize("tab\tnew\nline\u2014dash \u201cquote\u201d \u2019s"),
            (Tokens{"tab", "new", "line", "dash", "quote", "s"}));
  EXPECT_EQ(tokenize(""), Tokens{});
}

TEST(MindTokenizer, LowerMatchesPythonStrLower) {
  // "İ" lowers to "i" + U+0307 in Python; final sigma depends on the neighbours.
  EXPECT_EQ(to_lower("İ"), "i\u0307");
  EXPECT_EQ(to_lower("ΟΔΟΣ Σ"), "οδος σ");
  EXPECT_EQ(to_lower("ÀÉÎÕÜ ŁŽ ΑΒΓ АБВЁ"), "àéîõü łž αβγ абвё");
}

TEST(MindTokenizer, SpansPointIntoTheOriginalTextInCodePoints) {
  TokenizedText out;
  tokenize("Ölfeld's İx, ok", out);
  ASSERT_EQ(out.size(), 6u);  // ölfeld s i x , ok
  EXPECT_EQ(out.token(0), "ölfeld");
  EXPECT_EQ(out.tokens[0].char_begin, 0);
  EXPECT_EQ(out.tokens[0].char_end, 6);
  EXPECT_EQ(out.tokens[1].char_begin, 7);  // "s"
  EXPECT_EQ(out.token(2), "i");            // İ -> i + combining dot (not \w)
  EXPECT_EQ(out.tokens[2].char_begin, 9);
  EXPECT_EQ(out.tokens[2].char_end, 10);
  EXPECT_EQ(out.token(3), "x");
  EXPECT_EQ(out.tokens[3].char_begin, 10);
  EXPECT_EQ(out.tokens[5].char_begin, 13);
}

TEST(MindTokenizer, InvalidUtf8IsReportedWithItsByteOffset) {
  try {
    tokenize(std::string("ok \x92s"));
    FAIL() << "no error";
  } catch (const Error& error) {
    EXPECT_EQ(error.message(), "invalid UTF-8 at byte 3 (0x92)");
  }
  EXPECT_THROW(tokenize(std::string("\xC0\xAF")), Error);          // overlong '/'
  EXPECT_THROW(tokenize(std::string("\xED\xA0\x80")), Error);      // surrogate
  EXPECT_THROW(tokenize(std::string("\xF4\x90\x80\x80")), Error);  // above U+10FFFF
  EXPECT_THROW(tokenize(std::string("ab\xE2\x82")), Error);        // truncated
  EXPECT_EQ(find_invalid_utf8(std::string("abcdefghijklmnop\xF0\x9F\x98\x80 \xFF")), 21u);
  EXPECT_EQ(find_invalid_utf8("plain ascii text, long enough for the fast path"), std::nullopt);
}

// Expected values: Python 3.11.7, float(s) succeeds (NNR's is_number).
TEST(MindTokenizer, IsNumberFollowsPythonFloat) {
  for (const char* yes : {"1_000", "1e5", "1e1_0", "inf", "infinity", "nan", "１２", "١٢٣", "2019", "0"}) {
    EXPECT_TRUE(is_number(yes)) << yes;
  }
  for (const char* no : {"²", "½", "1__0", "_1", "nan_", "0x10", "1e", "12a", "e5", "", "1_"}) {
    EXPECT_FALSE(is_number(no)) << no;
  }
}

TEST(MindTokenizer, WordCharsFollowPythonRe) {
  EXPECT_TRUE(is_word_char(U'_'));
  EXPECT_TRUE(is_word_char(U'ß'));
  EXPECT_TRUE(is_word_char(U'中'));
  EXPECT_TRUE(is_word_char(U'²'));        // No: isdigit, so \w
  EXPECT_FALSE(is_word_char(0x301));      // combining acute: not \w in Python's re
  EXPECT_FALSE(is_word_char(U'\u2019'));  // right single quote
  EXPECT_FALSE(is_word_char(U'-'));
}

}  // namespace
}  // namespace rsdist::mind
