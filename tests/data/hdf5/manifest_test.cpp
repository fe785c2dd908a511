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
  tmp.write("sequences.h5", "not really HDF5");
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
  EXPECT_EQ(back.files[0].size_bytes, 15u);
  EXPECT_EQ(back.files[0].sha256, sha256_hex("not really HDF5"));
}

// A corpus with two files whose manifest recorded their digests.
CorpusManifest two_file_corpus(const TempDir& tmp) {
  CorpusManifest m;
  m.kind = "ratings";
  m.files = {{"a.h5", "first"}, {"b.h5", "second"}};
  tmp.write("a.h5", std::string(1000, 'a'));
  tmp.write("b.h5", std::string(1000, 'b'));
  write_corpus_manifest(tmp.path(), m);
  return read_corpus_manifest(tmp.path());
}

std::string verify_error(const TempDir& tmp, const CorpusManifest& m, int rank = 0, int world = 1) {
  try {
    verify_corpus_files(tmp.path(), m, rank, world);
  } catch (const Error& e) {
    return e.message();
  }
  return "";
}

TEST(CorpusManifest, VerifiesFilesAgainstTheirRecordedDigests) {
  TempDir tmp;
  const CorpusManifest m = two_file_corpus(tmp);
  EXPECT_EQ(verify_error(tmp, m), "");

  std::filesystem::resize_file(tmp / "b.h5", 600);  // cut short
  const std::string truncated = verify_error(tmp, m);
  EXPECT_NE(truncated.find("corpus file " + (tmp / "b.h5").string() + " is 600 bytes, " +
                           (tmp / "manifest.json").string() + " records 1000 (truncated?)"),
            std::string::npos)
      << truncated;

  tmp.write("b.h5", std::string(1000, 'b'));
  std::string flipped(1000, 'a');
  flipped[517] = 'A';
  tmp.write("a.h5", flipped);
  const std::string corrupted = verify_error(tmp, m);
  EXPECT_NE(corrupted.find("corpus file " + (tmp / "a.h5").string() + " has SHA-256 " +
                           sha256_hex(flipped)),
            std::string::npos)
      << corrupted;
  EXPECT_NE(corrupted.find("(corrupted); the corpus was damaged after it was written"),
            std::string::npos);
  // Of two ranks, rank 0 hashes a.h5 and rank 1 b.h5: rank 1 sees nothing wrong.
  EXPECT_NE(verify_error(tmp, m, 0, 2), "");
  EXPECT_EQ(verify_error(tmp, m, 1, 2), "");

  std::filesystem::remove(tmp / "a.h5");
  EXPECT_NE(verify_error(tmp, m, 1, 2)
                .find("corpus file " + (tmp / "a.h5").string() + ", listed in " +
                      (tmp / "manifest.json").string() + ", cannot be read"),
            std::string::npos);  // presence and sizes: on every rank
}

TEST(CorpusManifest, OlderCorporaWithoutFileDigestsAreCheckedForPresenceOnly) {
  TempDir tmp;
  tmp.write("manifest.json", R"({"schema_version": 1, "kind": "seq", "inputs": [],
    "options": {}, "counts": {}, "files": [{"path": "sequences.h5", "role": "everything"}]})");
  const CorpusManifest m = read_corpus_manifest(tmp.path());
  EXPECT_TRUE(m.files.at(0).sha256.empty());
  EXPECT_NE(verify_error(tmp, m).find("cannot be read"), std::string::npos);
  tmp.write("sequences.h5", "anything");
  EXPECT_EQ(verify_error(tmp, m), "");
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
