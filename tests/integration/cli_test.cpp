// The `caseledger` command-line tool, driven as a user would: every command's --help,
// init/append/read/stats/verify/reindex in every output format, and the failures a user
// meets (wrong expected version, no ledger, init twice, a damaged log).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include "envelope/envelope_codec.h"
#include "events.h"
#include "files.h"
#include "log/frame.h"
#include "log/segment.h"
#include "run_program.h"
#include "temp_dir.h"

namespace caseledger {
namespace {

using testing::Contains;
using testing::FrameOffset;
namespace fs = std::filesystem;
using testing::TempDir;

using CliRun = testing::ProgramRun;
using testing::Describe;

// Runs `caseledger args...` with stdout and stderr captured.
CliRun Cli(const std::vector<std::string>& args) {
  return testing::RunProgram(CASELEDGER_BIN, args);
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

std::vector<std::string> Split(const std::string& line, char sep) {
  std::vector<std::string> fields;
  std::string field;
  std::istringstream in(line);
  while (std::getline(in, field, sep)) fields.push_back(field);
  if (!line.empty() && line.back() == sep) fields.push_back("");
  return fields;
}

// A small JSON checker: true if `text` is one JSON value (plus whitespace). Counts the
// elements of a top-level array in `array_size`.
class Json {
 public:
  static bool Valid(const std::string& text, size_t* array_size = nullptr) {
    Json j(text);
    j.Ws();
    size_t n = 0;
    const bool top_array = j.Peek() == '[';
    if (!j.Value(top_array ? &n : nullptr)) return false;
    j.Ws();
    if (array_size) *array_size = top_array ? n : 0;
    return j.i_ == text.size();
  }

 private:
  explicit Json(const std::string& t) : t_(t) {}
  char Peek() const { return i_ < t_.size() ? t_[i_] : '\0'; }
  void Ws() {
    while (i_ < t_.size() && std::strchr(" \t\r\n", t_[i_])) ++i_;
  }
  bool Lit(const char* word) {
    size_t n = std::strlen(word);
    if (t_.compare(i_, n, word) != 0) return false;
    i_ += n;
    return true;
  }
  bool String() {
    if (Peek() != '"') return false;
    for (++i_; i_ < t_.size(); ++i_) {
      const auto c = static_cast<unsigned char>(t_[i_]);
      if (c == '"') {
        ++i_;
        return true;
      }
      if (c < 0x20) return false;  // control characters must be escaped
      if (c == '\\') {
        ++i_;
        if (i_ >= t_.size()) return false;
        if (t_[i_] == 'u') {
          for (int k = 0; k < 4; ++k)
            if (++i_ >= t_.size() || !std::isxdigit(static_cast<unsigned char>(t_[i_])))
              return false;
        } else if (!std::strchr("\"\\/bfnrt", t_[i_])) {
          return false;
        }
      }
    }
    return false;
  }
  bool Number() {
    size_t start = i_;
    if (Peek() == '-') ++i_;
    while (std::isdigit(static_cast<unsigned char>(Peek()))) ++i_;
    if (Peek() == '.') {
      ++i_;
      while (std::isdigit(static_cast<unsigned char>(Peek()))) ++i_;
    }
    return i_ > start && std::isdigit(static_cast<unsigned char>(t_[i_ - 1]));
  }
  bool Value(size_t* count = nullptr) {
    Ws();
    switch (Peek()) {
      case '{': {
        ++i_;
        Ws();
        if (Peek() == '}') return ++i_, true;
        while (true) {
          Ws();
          if (!String()) return false;
          Ws();
          if (Peek() != ':') return false;
          ++i_;
          if (!Value()) return false;
          Ws();
          if (Peek() == ',') {
            ++i_;
            continue;
          }
          if (Peek() == '}') return ++i_, true;
          return false;
        }
      }
      case '[': {
        ++i_;
        Ws();
        if (Peek() == ']') return ++i_, true;
        while (true) {
          if (!Value()) return false;
          if (count) ++*count;
          Ws();
          if (Peek() == ',') {
            ++i_;
            continue;
          }
          if (Peek() == ']') return ++i_, true;
          return false;
        }
      }
      case '"':
        return String();
      case 't':
        return Lit("true");
      case 'f':
        return Lit("false");
      case 'n':
        return Lit("null");
      default:
        return Number();
    }
  }
  const std::string& t_;
  size_t i_ = 0;
};

TEST(Cli, JsonCheckerItselfWorks) {
  size_t n = 0;
  EXPECT_TRUE(Json::Valid("[]", &n));
  EXPECT_EQ(n, 0u);
  EXPECT_TRUE(Json::Valid("[\n {\"a\": 1, \"b\": \"x\\\"y\"},\n {\"a\": null}\n]\n", &n));
  EXPECT_EQ(n, 2u);
  EXPECT_FALSE(Json::Valid("[{\"a\": 1,}]"));
  EXPECT_FALSE(Json::Valid("[{\"a\": \"\t\"}]"));
  EXPECT_FALSE(Json::Valid("[{\"a\": 1}"));
  EXPECT_FALSE(Json::Valid("[{\"a\": 1}] x"));
}

TEST(Cli, EveryCommandPrintsItsHelpAndExitsZero) {
  CliRun top = Cli({"--help"});
  EXPECT_EQ(top.exit_code, 0) << Describe(top);
  for (const char* command : {"init", "append", "read", "verify", "reindex", "stats"}) {
    EXPECT_TRUE(Contains(top.out, command)) << "top-level help does not list " << command;
    CliRun help = Cli({command, "--help"});
    EXPECT_EQ(help.exit_code, 0) << command << ": " << Describe(help);
    EXPECT_TRUE(Contains(help.out, "Usage")) << command << ": " << Describe(help);
    EXPECT_TRUE(Contains(help.out, std::string(command) + " ")) << command << ": " << help.out;
    EXPECT_TRUE(Contains(help.out, "DIR")) << command << ": " << help.out;
    EXPECT_TRUE(Contains(help.out, "--help")) << command << ": " << help.out;
    EXPECT_TRUE(help.err.empty()) << command << ": " << help.err;
  }
  for (const char* command : {"append", "read", "stats"})
    EXPECT_TRUE(Contains(Cli({command, "--help"}).out, "--format")) << command;
}

TEST(Cli, InitAppendReadStatsVerifyRoundTripInEveryFormat) {
  TempDir dir;
  const std::string ledger = dir.Sub("ledger");
  CliRun init = Cli({"init", ledger, "--opaque", "--segment-size", "64KiB"});
  ASSERT_EQ(init.exit_code, 0) << Describe(init);
  EXPECT_TRUE(Contains(init.out, "created ledger")) << init.out;
  EXPECT_TRUE(Contains(init.out, "65,536")) << init.out;

  // Three events; the data holds a comma, quotes, a tab and a backslash.
  const std::vector<std::string> data = {R"({"note":"a, \"quoted\" word"})", "tab\there",
                                         "back\\slash"};
  const char* expected[] = {"no_stream", "0", "1"};
  for (int i = 0; i < 3; ++i) {
    CliRun append = Cli(
        {"append", ledger, "--stream", "case-7", "--type", i == 0 ? "Opened" : "Noted", "--data",
         data[i], "--expected-version", expected[i], "--occurred-at", "2026-03-01T10:00:00+02:00",
         "--actor", R"({"user":"w-17","role":"caseworker","agency":"CA-01"})", "--format", "json"});
    ASSERT_EQ(append.exit_code, 0) << Describe(append);
    size_t rows = 0;
    ASSERT_TRUE(Json::Valid(append.out, &rows)) << append.out;
    EXPECT_EQ(rows, 1u);
    EXPECT_TRUE(Contains(append.out, "\"position\": " + std::to_string(i + 1))) << append.out;
    EXPECT_TRUE(Contains(append.out, "\"version\": " + std::to_string(i))) << append.out;
    EXPECT_TRUE(Contains(append.out, "\"stream\": \"case-7\"")) << append.out;
  }
  CliRun other = Cli({"append", ledger, "--stream", "case-8", "--type", "Opened", "--data", "{}"});
  ASSERT_EQ(other.exit_code, 0) << Describe(other);
  EXPECT_EQ(Lines(other.out).size(), 2u) << other.out;  // table: header and one row
  EXPECT_EQ(Lines(other.out)[0].rfind("position", 0), 0u) << other.out;

  // csv: RFC 4180 quoting.
  CliRun csv = Cli({"read", ledger, "case-7", "--format", "csv"});
  ASSERT_EQ(csv.exit_code, 0) << Describe(csv);
  auto lines = Lines(csv.out);
  ASSERT_EQ(lines.size(), 4u) << csv.out;
  EXPECT_EQ(lines[0],
            "position,stream,version,type,recorded_at,occurred_at,actor,recorded_by,event_id,"
            "corrects,reason,data");
  EXPECT_EQ(lines[1].rfind("1,case-7,0,Opened,", 0), 0u) << lines[1];
  EXPECT_TRUE(Contains(lines[1], ",2026-03-01T08:00:00Z,")) << lines[1];
  EXPECT_TRUE(Contains(lines[1], R"(,"{""note"":""a, \""quoted\"" word""}")")) << lines[1];
  EXPECT_EQ(lines[2].rfind("2,case-7,1,Noted,", 0), 0u) << lines[2];
  EXPECT_TRUE(lines[2].ends_with(",tab\there")) << lines[2];
  EXPECT_TRUE(lines[3].ends_with(",back\\slash")) << lines[3];

  // tsv: one field per column, tabs escaped.
  CliRun tsv = Cli({"read", ledger, "case-7", "--format", "tsv"});
  ASSERT_EQ(tsv.exit_code, 0) << Describe(tsv);
  lines = Lines(tsv.out);
  ASSERT_EQ(lines.size(), 4u) << tsv.out;
  for (const auto& line : lines) EXPECT_EQ(Split(line, '\t').size(), 12u) << line;
  EXPECT_EQ(Split(lines[2], '\t').back(), "tab\\there");
  EXPECT_EQ(Split(lines[3], '\t').back(), "back\\\\slash");
  EXPECT_EQ(Split(lines[1], '\t')[3], "Opened");

  // json: an array of three objects.
  CliRun json = Cli({"read", ledger, "case-7", "--format", "json"});
  ASSERT_EQ(json.exit_code, 0) << Describe(json);
  size_t rows = 0;
  ASSERT_TRUE(Json::Valid(json.out, &rows)) << json.out;
  EXPECT_EQ(rows, 3u);
  EXPECT_EQ(json.out.front(), '[');
  EXPECT_TRUE(Contains(json.out, R"("data": "{\"note\":\"a, \\\"quoted\\\" word\"}")")) << json.out;
  EXPECT_TRUE(Contains(json.out, R"("data": "tab\there")")) << json.out;
  EXPECT_TRUE(Contains(json.out, "\"position\": 3,")) << json.out;
  EXPECT_TRUE(Contains(json.out, "\"corrects\": null")) << json.out;

  // table: a header and one aligned line per event.
  CliRun table = Cli({"read", ledger, "case-7"});
  ASSERT_EQ(table.exit_code, 0) << Describe(table);
  lines = Lines(table.out);
  ASSERT_EQ(lines.size(), 4u) << table.out;
  EXPECT_EQ(lines[0].rfind("position", 0), 0u);
  EXPECT_TRUE(Contains(lines[1], "Opened"));

  // Reading all, from a position, backward, with limits.
  CliRun all = Cli({"read", ledger, "--all", "--format", "csv"});
  ASSERT_EQ(all.exit_code, 0) << Describe(all);
  EXPECT_EQ(Lines(all.out).size(), 5u) << all.out;
  CliRun from =
      Cli({"read", ledger, "--all", "--from-position", "2", "--limit", "2", "--format", "csv"});
  ASSERT_EQ(from.exit_code, 0) << Describe(from);
  lines = Lines(from.out);
  ASSERT_EQ(lines.size(), 3u) << from.out;
  EXPECT_EQ(lines[1].rfind("2,", 0), 0u);
  EXPECT_EQ(lines[2].rfind("3,", 0), 0u);
  CliRun backward =
      Cli({"read", ledger, "case-7", "--backward", "--limit", "1", "--format", "csv"});
  ASSERT_EQ(backward.exit_code, 0) << Describe(backward);
  lines = Lines(backward.out);
  ASSERT_EQ(lines.size(), 2u) << backward.out;
  EXPECT_EQ(lines[1].rfind("3,case-7,2,", 0), 0u) << lines[1];
  CliRun empty = Cli({"read", ledger, "case-unknown", "--format", "json"});
  ASSERT_EQ(empty.exit_code, 0) << Describe(empty);
  ASSERT_TRUE(Json::Valid(empty.out, &rows)) << empty.out;
  EXPECT_EQ(rows, 0u);

  // stats in every format.
  CliRun stats_json = Cli({"stats", ledger, "--format", "json"});
  ASSERT_EQ(stats_json.exit_code, 0) << Describe(stats_json);
  ASSERT_TRUE(Json::Valid(stats_json.out, &rows)) << stats_json.out;
  EXPECT_EQ(rows, 1u);
  EXPECT_TRUE(Contains(stats_json.out, "\"events\": 4,")) << stats_json.out;
  EXPECT_TRUE(Contains(stats_json.out, "\"streams\": 2,")) << stats_json.out;
  EXPECT_TRUE(Contains(stats_json.out, "\"segment_bytes\": 65536,")) << stats_json.out;
  EXPECT_TRUE(Contains(stats_json.out, "\"tree_size\": 4,")) << stats_json.out;
  CliRun stats_csv = Cli({"stats", ledger, "--format", "csv"});
  ASSERT_EQ(stats_csv.exit_code, 0) << Describe(stats_csv);
  lines = Lines(stats_csv.out);
  ASSERT_EQ(lines.size(), 2u) << stats_csv.out;
  EXPECT_EQ(lines[0],
            "ledger_id,events,streams,segments,segment_bytes,log_bytes,bytes_on_disk,tree_size,"
            "tree_root");
  auto fields = Split(lines[1], ',');
  ASSERT_EQ(fields.size(), 9u);
  EXPECT_EQ(fields[0].size(), 32u);
  EXPECT_EQ(fields[1], "4");
  EXPECT_EQ(fields[2], "2");
  EXPECT_EQ(fields[8].size(), 64u);
  CliRun stats_tsv = Cli({"stats", ledger, "--format", "tsv"});
  ASSERT_EQ(stats_tsv.exit_code, 0) << Describe(stats_tsv);
  EXPECT_EQ(Split(Lines(stats_tsv.out).at(1), '\t'), fields);
  CliRun stats_table = Cli({"stats", ledger});
  ASSERT_EQ(stats_table.exit_code, 0) << Describe(stats_table);
  EXPECT_TRUE(Contains(stats_table.out, fields[8])) << stats_table.out;

  CliRun verify = Cli({"verify", ledger});
  ASSERT_EQ(verify.exit_code, 0) << Describe(verify);
  EXPECT_TRUE(Contains(verify.out, "OK: 4 events")) << verify.out;
  EXPECT_TRUE(Contains(verify.out, fields[8]))
      << "verify prints the recomputed root: " << verify.out;

  // reindex rebuilds the index from the log: same tree root, same reads.
  fs::remove_all(ledger + "/index");
  CliRun reindex = Cli({"reindex", ledger});
  ASSERT_EQ(reindex.exit_code, 0) << Describe(reindex);
  EXPECT_TRUE(Contains(reindex.out, "reindexed 4 events")) << reindex.out;
  EXPECT_TRUE(Contains(reindex.out, fields[8])) << reindex.out;
  CliRun reread = Cli({"read", ledger, "case-7", "--format", "csv"});
  EXPECT_EQ(reread.out, csv.out);
}

TEST(Cli, RetryWithTheSameEventIdIsDeduplicated) {
  TempDir dir;
  const std::string ledger = dir.Sub("ledger");
  ASSERT_EQ(Cli({"init", ledger, "--opaque", "--segment-size", "64KiB"}).exit_code, 0);
  const std::string id = "00112233445566778899aabbccddeeff";
  std::vector<std::string> args = {"append", ledger, "--stream",   "case-1", "--type",   "Opened",
                                   "--data", "x",    "--event-id", id,       "--format", "csv"};
  CliRun first = Cli(args);
  ASSERT_EQ(first.exit_code, 0) << Describe(first);
  EXPECT_EQ(Lines(first.out).at(1), "1,case-1,0," + id + ",false");
  CliRun retry = Cli(args);
  ASSERT_EQ(retry.exit_code, 0) << Describe(retry);
  EXPECT_EQ(Lines(retry.out).at(1), "1,case-1,0," + id + ",true");
}

TEST(Cli, WrongExpectedVersionExitsOneNamingIt) {
  TempDir dir;
  const std::string ledger = dir.Sub("ledger");
  ASSERT_EQ(Cli({"init", ledger, "--opaque", "--segment-size", "64KiB"}).exit_code, 0);
  for (int i = 0; i < 2; ++i)
    ASSERT_EQ(Cli({"append", ledger, "--stream", "case-1", "--type", "E", "--data", "x"}).exit_code,
              0);
  for (const char* expected : {"5", "0", "no_stream"}) {
    CliRun r = Cli({"append", ledger, "--stream", "case-1", "--type", "E", "--data", "y",
                    "--expected-version", expected});
    EXPECT_EQ(r.exit_code, 1) << expected << ": " << Describe(r);
    EXPECT_TRUE(Contains(r.err, "WrongExpectedVersion")) << Describe(r);
    EXPECT_TRUE(Contains(r.err, "case-1")) << Describe(r);
    EXPECT_TRUE(r.out.empty()) << Describe(r);
  }
  CliRun r = Cli({"append", ledger, "--stream", "case-2", "--type", "E", "--data", "y",
                  "--expected-version", "stream_exists"});
  EXPECT_EQ(r.exit_code, 1) << Describe(r);
  EXPECT_TRUE(Contains(r.err, "WrongExpectedVersion")) << Describe(r);
  // Nothing was written by the refused appends.
  CliRun all = Cli({"read", ledger, "--all", "--format", "csv"});
  EXPECT_EQ(Lines(all.out).size(), 3u) << all.out;
  // A malformed expected version is refused before anything is opened.
  CliRun bad = Cli({"append", ledger, "--stream", "case-1", "--type", "E", "--data", "y",
                    "--expected-version", "latest"});
  EXPECT_EQ(bad.exit_code, 1) << Describe(bad);
  EXPECT_TRUE(Contains(bad.err, "latest")) << Describe(bad);
}

TEST(Cli, CommandsOnADirectoryWithoutALedgerExitOneWithAClearMessage) {
  TempDir dir;
  fs::create_directories(dir.Sub("empty"));
  for (const std::string& target : {dir.Sub("empty"), dir.Sub("does-not-exist")}) {
    CliRun r = Cli({"append", target, "--stream", "case-1", "--type", "E", "--data", "x"});
    EXPECT_EQ(r.exit_code, 1) << Describe(r);
    EXPECT_TRUE(Contains(r.err, "caseledger append:")) << Describe(r);
    EXPECT_TRUE(Contains(r.err, "no ledger")) << Describe(r);
    EXPECT_TRUE(Contains(r.err, target)) << Describe(r);
    for (const char* command : {"read", "stats", "verify"}) {
      std::vector<std::string> args = {command, target};
      if (std::string(command) == "read") args.push_back("--all");
      CliRun q = Cli(args);
      EXPECT_EQ(q.exit_code, 1) << command << ": " << Describe(q);
      EXPECT_TRUE(Contains(q.err, "no ledger")) << command << ": " << Describe(q);
    }
  }
  // Nothing was created in the directory that held no ledger.
  EXPECT_TRUE(fs::is_empty(dir.Sub("empty")));
  EXPECT_FALSE(fs::exists(dir.Sub("does-not-exist")));
}

TEST(Cli, InitOnAnExistingLedgerFailsAndLeavesItAlone) {
  TempDir dir;
  const std::string ledger = dir.Sub("ledger");
  ASSERT_EQ(Cli({"init", ledger, "--opaque", "--segment-size", "64KiB"}).exit_code, 0);
  ASSERT_EQ(Cli({"append", ledger, "--stream", "case-1", "--type", "E", "--data", "x"}).exit_code,
            0);
  CliRun stats = Cli({"stats", ledger, "--format", "csv"});
  CliRun again = Cli({"init", ledger});
  EXPECT_EQ(again.exit_code, 1) << Describe(again);
  EXPECT_TRUE(Contains(again.err, "AlreadyExists")) << Describe(again);
  EXPECT_TRUE(Contains(again.err, ledger)) << Describe(again);
  CliRun after = Cli({"stats", ledger, "--format", "csv"});
  EXPECT_EQ(Split(Lines(after.out).at(1), ',')[0], Split(Lines(stats.out).at(1), ',')[0])
      << "the ledger id changed";
  EXPECT_EQ(Split(Lines(after.out).at(1), ',')[1], "1");
}

TEST(Cli, BadUsageIsRefusedWithoutTouchingAnything) {
  TempDir dir;
  const std::string ledger = dir.Sub("ledger");
  ASSERT_EQ(Cli({"init", ledger, "--opaque", "--segment-size", "64KiB"}).exit_code, 0);
  const std::vector<std::vector<std::string>> bad = {
      {"append", ledger, "--type", "E", "--data", "x"},  // no --stream
      {"read", ledger, "--all", "--format", "xml"},
      {"read", ledger, "case-1", "--all"},
      {"frobnicate", ledger},
      {},
  };
  for (const auto& args : bad) {
    CliRun r = Cli(args);
    std::string joined;
    for (const auto& a : args) joined += a + " ";
    // tools/caseledger/command_support.h: "Exit codes: 0 success; 1 the operation failed
    // or found problems; 2 bad usage."
    EXPECT_EQ(r.exit_code, 2) << joined << Describe(r);
    EXPECT_FALSE(r.err.empty()) << joined;
  }
  CliRun all = Cli({"read", ledger, "--all", "--format", "csv"});
  EXPECT_EQ(Lines(all.out).size(), 1u) << all.out;
}

// Flips one byte inside the record of `position` in segment 0 of `ledger`.
void DamageRecord(const std::string& ledger, Position position) {
  const std::string segment = log::SegmentPath(ledger + "/log", 0);
  uint32_t record_bytes = 0;
  const uint64_t offset = FrameOffset(segment, position, &record_bytes);
  ASSERT_GT(offset, 0u);
  std::fstream f(segment, std::ios::in | std::ios::out | std::ios::binary);
  const auto at = static_cast<std::streamoff>(offset + log::kFrameHeaderBytes + record_bytes / 2);
  f.seekg(at);
  char c = 0;
  f.read(&c, 1);
  c = static_cast<char>(c ^ 0x20);
  f.seekp(at);
  f.write(&c, 1);
  ASSERT_TRUE(f.good());
}

TEST(Cli, VerifyExitsOneAfterAByteFlipAndNamesThePosition) {
  TempDir dir;
  const std::string ledger = dir.Sub("ledger");
  ASSERT_EQ(Cli({"init", ledger, "--opaque", "--segment-size", "1MiB"}).exit_code, 0);
  {
    // 100 events, quicker through the library than through 100 processes.
    auto opened = Ledger::Open(ledger, {});
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    for (int i = 0; i < 100; ++i)
      ASSERT_TRUE(
          (*opened)
              ->Append(testing::Request("case-1", ExpectedVersion::Any(),
                                        {testing::Event("E", "event " + std::to_string(i))}))
              .ok());
  }
  ASSERT_EQ(Cli({"verify", ledger}).exit_code, 0);
  DamageRecord(ledger, 3);
  CliRun verify = Cli({"verify", ledger});
  EXPECT_EQ(verify.exit_code, 1) << Describe(verify);
  EXPECT_TRUE(Contains(verify.out, "problem: position 3: checksum")) << Describe(verify);
  EXPECT_TRUE(Contains(verify.out, "FAILED")) << Describe(verify);
  CliRun read = Cli({"read", ledger, "--all"});
  EXPECT_EQ(read.exit_code, 1) << Describe(read);
  EXPECT_TRUE(Contains(read.err, "Corruption")) << Describe(read);
  EXPECT_TRUE(Contains(read.err, "position 3")) << Describe(read);
}

// The same near the end of the log, where the writer's recovery reads the damaged record
// too: verify must still get to report it.
TEST(Cli, VerifyReportsADamagedRecordNearTheEndOfTheLog) {
  TempDir dir;
  const std::string ledger = dir.Sub("ledger");
  ASSERT_EQ(Cli({"init", ledger, "--opaque", "--segment-size", "64KiB"}).exit_code, 0);
  for (int i = 0; i < 5; ++i)
    ASSERT_EQ(Cli({"append", ledger, "--stream", "case-1", "--type", "E", "--data",
                   "event number " + std::to_string(i)})
                  .exit_code,
              0);
  ASSERT_EQ(Cli({"verify", ledger}).exit_code, 0);
  DamageRecord(ledger, 3);
  CliRun verify = Cli({"verify", ledger});
  EXPECT_EQ(verify.exit_code, 1) << Describe(verify);
  EXPECT_TRUE(Contains(verify.out, "problem: position 3: checksum")) << Describe(verify);
  EXPECT_TRUE(Contains(verify.out, "FAILED")) << Describe(verify);
  CliRun read = Cli({"read", ledger, "--all"});
  EXPECT_EQ(read.exit_code, 1) << Describe(read);
  EXPECT_TRUE(Contains(read.err, "Corruption")) << Describe(read);
  EXPECT_TRUE(Contains(read.err, "position 3")) << Describe(read);
}

// `caseledger bench --format tsv` prints rows exactly in the peers' raw format (round,
// peer, workload, metric, unit, value; tab-separated) for ../shared/peers/combine.sh, with
// every workload of WORKLOAD.md and its correctness checks, all passing.
TEST(Cli, BenchPrintsEveryWorkloadInThePeersRawFormat) {
  TempDir dir;
  auto run = testing::RunProgram(CASELEDGER_BIN,
                                 {"bench", "--events", "3000", "--w1-seconds", "0.3", "--round",
                                  "7", "--format", "tsv", "--dir", dir.path()},
                                 120);
  ASSERT_EQ(run.exit_code, 0) << Describe(run);
  std::set<std::string> workloads, checks;
  for (const std::string& line : Lines(run.out)) {
    std::vector<std::string> fields;
    std::istringstream in(line);
    for (std::string f; std::getline(in, f, '\t');) fields.push_back(f);
    ASSERT_EQ(fields.size(), 6u) << line;
    EXPECT_EQ(fields[0], "7") << line;
    EXPECT_EQ(fields[1], "caseledger") << line;
    EXPECT_NO_THROW((void)std::stod(fields[5])) << line;
    if (fields[2] == "check") {
      checks.insert(fields[3]);
      if (fields[3] == "failures")
        EXPECT_EQ(fields[5], "0") << line;
      else
        EXPECT_EQ(fields[5], "1") << "a failed check: " << line;
    } else {
      workloads.insert(fields[2] + " " + fields[3]);
    }
  }
  for (const char* w :
       {"W1_1w events_per_s", "W1_1w syncs_per_commit", "W1_8w events_per_s",
        "W2_batch events_per_s", "W3_replay events_per_s", "W4_stream_reads streams_per_s",
        "W5_verify MB_per_s", "W6_rebuild events_per_s", "W6_rebuild peak_rss_mib",
        "S1_append_1w events_per_s", "S1_append_8w events_per_s", "S1_append_batch100 events_per_s",
        "S1_read_history_8r reads_per_s", "S1_subscribe events_per_s"})
    EXPECT_TRUE(workloads.contains(w)) << "no row " << w << "\n" << run.out;
  for (const char* c : {"W2_count_equals_N", "W5_verify_ok", "W6_rebuilt_all", "S1_no_errors",
                        "S1_subscriber_saw_every_event", "failures"})
    EXPECT_TRUE(checks.contains(c)) << "no check " << c << "\n" << run.out;
  EXPECT_TRUE(fs::is_empty(dir.path())) << "the scratch ledgers are removed";
}

// `caseledger users`: a case-event ledger with one registered worker, w-17.
class CliUsers : public ::testing::Test {
 protected:
  void SetUp() override {
    CliRun init = Cli({"init", ledger_, "--master-key-file", key_});
    ASSERT_EQ(init.exit_code, 0) << Describe(init);
    CliRun registered =
        Cli({"append", ledger_, "--stream", "worker-w-17", "--type", "WorkerRegistered", "--data",
             R"({"workerId":"w-17","role":"children_director","locationCode":"130111200201"})",
             "--master-key-file", key_});
    ASSERT_EQ(registered.exit_code, 0) << Describe(registered);
  }
  CliRun Users(std::vector<std::string> args) {
    args.insert(args.begin(), {"users", ledger_});
    return Cli(args);
  }

  TempDir dir_;
  const std::string ledger_ = dir_.Sub("ledger");
  const std::string key_ = dir_.Sub("master.key");
};

TEST_F(CliUsers, AddingATokenForAnUnregisteredWorkerFailsNamingTheWorker) {
  CliRun add = Users({"add", "w-99"});
  EXPECT_EQ(add.exit_code, 1) << Describe(add);
  EXPECT_TRUE(add.out.empty()) << add.out;
  EXPECT_TRUE(Contains(add.err, "worker w-99 has no registration")) << add.err;
  EXPECT_FALSE(fs::exists(ledger_ + "/meta/tokens")) << "nothing was issued";
}

TEST_F(CliUsers, AddListRevokeRoundTrip) {
  CliRun add = Users({"add", "w-17"});
  ASSERT_EQ(add.exit_code, 0) << Describe(add);
  // stdout is the token alone, so that it can be redirected to the worker's handover file.
  ASSERT_EQ(Lines(add.out).size(), 1u) << add.out;
  const std::string token = Lines(add.out)[0];
  EXPECT_EQ(token.size(), 68u) << token;
  EXPECT_EQ(token.rfind("clt_", 0), 0u) << token;
  EXPECT_TRUE(Contains(add.err, "shown only once")) << add.err;
  EXPECT_FALSE(Contains(testing::ReadFile(ledger_ + "/meta/tokens"), token.substr(4)));

  CliRun list = Users({"list", "--format", "csv"});
  ASSERT_EQ(list.exit_code, 0) << Describe(list);
  auto lines = Lines(list.out);
  ASSERT_EQ(lines.size(), 2u) << list.out;
  EXPECT_EQ(lines[0], "token_id,worker,role,scope,issued_at,revoked_at");
  auto fields = Split(lines[1], ',');
  ASSERT_EQ(fields.size(), 6u) << lines[1];
  const std::string token_id = fields[0];
  EXPECT_EQ(token_id.size(), 12u);
  EXPECT_EQ(fields[1], "w-17");
  EXPECT_EQ(fields[2], "children_director");
  EXPECT_EQ(fields[3], "130111200201");
  EXPECT_TRUE(fields[4].ends_with("Z")) << fields[4];
  EXPECT_EQ(fields[5], "");

  CliRun revoke = Users({"revoke", token_id});
  ASSERT_EQ(revoke.exit_code, 0) << Describe(revoke);
  EXPECT_TRUE(Contains(revoke.out, "revoked token " + token_id + " of worker w-17")) << revoke.out;
  CliRun after = Users({"list", "--format", "tsv"});
  ASSERT_EQ(after.exit_code, 0) << Describe(after);
  fields = Split(Lines(after.out).at(1), '\t');
  ASSERT_EQ(fields.size(), 6u);
  EXPECT_EQ(fields[0], token_id);
  EXPECT_TRUE(fields[5].ends_with("Z")) << "revoked at: " << fields[5];

  CliRun unknown = Users({"revoke", "0123456789ab"});
  EXPECT_EQ(unknown.exit_code, 1) << Describe(unknown);
  EXPECT_TRUE(Contains(unknown.err, "0123456789ab")) << unknown.err;
  EXPECT_EQ(Users({"add"}).exit_code, 1);
  EXPECT_EQ(Users({"list", "extra"}).exit_code, 1);
  EXPECT_EQ(Users({"remove", "w-17"}).exit_code, 2);
}

TEST_F(CliUsers, ListsAsJsonWithTheWorkersCurrentRole) {
  ASSERT_EQ(Users({"add", "w-17"}).exit_code, 0);
  // w-17 is promoted after the token was issued: the list shows the role the ledger says now.
  CliRun promoted =
      Cli({"append", ledger_, "--stream", "worker-w-17", "--type", "WorkerRoleChanged", "--data",
           R"({"workerId":"w-17","role":"supervisor","locationCode":"130111200"})"});
  ASSERT_EQ(promoted.exit_code, 0) << Describe(promoted);
  // A token of a worker whose registration is gone since: kept, shown as unregistered.
  const std::string tokens = ledger_ + "/meta/tokens";
  const std::string bytes = testing::ReadFile(tokens);
  std::string other = Lines(bytes).at(0);
  other.replace(other.find("\"w-17\""), 6, "\"w-18\"");
  other.replace(other.find("\"tokenId\":\"") + 11, 12, "000000000000");
  other.replace(other.find("\"sha256\":\"") + 10, 12, "000000000000");
  testing::WriteFile(tokens, bytes + other + "\n");

  CliRun json = Users({"list", "--format", "json"});
  ASSERT_EQ(json.exit_code, 0) << Describe(json);
  size_t rows = 0;
  ASSERT_TRUE(Json::Valid(json.out, &rows)) << json.out;
  EXPECT_EQ(rows, 2u);
  EXPECT_TRUE(Contains(json.out, R"("worker": "w-17", "role": "supervisor", "scope": "130111200")"))
      << json.out;
  EXPECT_TRUE(Contains(json.out, R"("worker": "w-18", "role": "unregistered", "scope": "")"))
      << json.out;
  EXPECT_TRUE(Contains(json.out, R"("revoked_at": "")")) << json.out;
}

TEST_F(CliUsers, HelpShowsTheActionsAndAnExample) {
  CliRun help = Cli({"users", "--help"});
  EXPECT_EQ(help.exit_code, 0) << Describe(help);
  for (const char* text : {"add WORKER_ID", "revoke TOKEN_ID", "list", "--format", "Example"})
    EXPECT_TRUE(Contains(help.out, text)) << text << "\n" << help.out;
}

}  // namespace
}  // namespace caseledger
