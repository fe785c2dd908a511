// The corpus manifest and the file digests it records (data/corpus_manifest.hpp,
// data/file_digest.hpp; SHA-256 itself is tested in tests/core/sha256_test.cpp), kept beside the
// HDF5 tests as the other half of the corpus format.
#include <gtest/gtest.h>

#include <atomic>

#include "core/error.hpp"
#include "core/sha256.hpp"
#include "data/corpus_manifest.hpp"
#include "data/file_digest.hpp"
#include "support/temp_dir.hpp"

namespace rsdist::data {
namespace {
using rsdist::testing::read_file;
using rsdist::testing::TempDir;

TEST(FileDigest, StreamsFilesLargerThanItsBuffer) {
  TempDir tmp;
  std::string contents(3 * (1 << 20) + 17, '\0');
  for (std::size_t i = 0; i < contents.size(); ++i) contents[i] = static_cast<char>(i * 31 % 251);
  const std::string path = tmp.write("big.bin", contents);
  const FileDigest digest = digest_file(path);
  EXPECT_EQ(digest.size_bytes, contents.size());
  EXPECT_EQ(digest.sha256, sha256_hex(contents));
  EXPECT_EQ(digest_file(tmp.write("abc.txt", "abc")).sha256,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");  // FIPS 180-4
  EXPECT_THROW(digest_file(tmp / "missing"), Error);
  const std::atomic<bool> stop{true};
  try {
    digest_file(path, &stop);
    ADD_FAILURE() << "a set stop flag must abandon the checksum";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("checksum of " + path + " abandoned"), std::string::npos);
  }
  const std::atomic<bool> go{false};
  EXPECT_EQ(digest_file(path, &go).sha256, digest.sha256);
}

TEST(CorpusManifest, RoundTripsThroughJsonInAFixedOrder) {
  TempDir tmp;
  const std::string input = tmp.write("in.txt", "1 1,2,3\n");
  CorpusManifest m;
  m.kind = "seq";
  m.inputs.push_back(describe_input("sequences", input));
  m.options = {{"format", "auto"}, {"witg_normalization", "none"}};
  m.counts = {{"users", 1}, {"items", 3}};
  m.files.push_back({"sequences.h5", "everything"});
  write_corpus_manifest(tmp.path(), m);
  const std::string text = read_file(tmp / "manifest.json");
  EXPECT_LT(text.find("schema_version"), text.find("kind"));
  EXPECT_LT(text.find("\"users\""), text.find("\"items\""));  // insertion order, not sorted
  EXPECT_NE(text.find(sha256_hex("1 1,2,3\n")), std::string::npos);

  const CorpusManifest back = read_corpus_manifest(tmp.path());
  EXPECT_EQ(back.kind, "seq");
  ASSERT_EQ(back.inputs.size(), 1u);
  EXPECT_EQ(back.inputs[0].size_bytes, 8u);
  EXPECT_EQ(back.inputs[0].path, input);
  EXPECT_EQ(back.options, m.options);
  EXPECT_EQ(back.counts, m.counts);
  ASSERT_EQ(back.files.size(), 1u);
  EXPECT_EQ(back.files[0].role, "everything");
}

TEST(CorpusManifest, ADirectoryWithoutOneIsNotACompleteCorpus) {
  TempDir tmp;
  try {
    read_corpus_manifest(tmp.path());
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("is not a complete corpus: it has no manifest.json"),
              std::string::npos)
        << e.what();
  }
}

TEST(CorpusManifest, RejectsOtherSchemaVersionsAndMissingFields) {
  TempDir tmp;
  tmp.write("manifest.json", R"({"schema_version": 99, "kind": "seq"})");
  try {
    read_corpus_manifest(tmp.path());
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("corpus schema version 99"), std::string::npos)
        << e.what();
  }
  tmp.write("manifest.json", R"({"schema_version": 1, "kind": "seq"})");
  try {
    read_corpus_manifest(tmp.path());
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("missing field 'inputs'"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace rsdist::data
