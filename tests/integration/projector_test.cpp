// The projector: real plugin libraries loaded and refused, exactly-once views, attested
// checkpoints, failures and crashes confined to the plugin that caused them, as-of queries.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <thread>

#include "events.h"
#include "projector.h"
#include "run_program.h"
#include "temp_dir.h"

namespace caseledger {
namespace {

namespace fs = std::filesystem;
using projector::Health;
using projector::Projector;
using projector::ProjectorOptions;
using projector::QueryTable;
using testing::CreateAndOpen;
using testing::Event;
using testing::Request;
using testing::TempDir;

constexpr const char* kTypes[] = {"CaseOpened", "NoteAdded", "CaseClosed"};

// A ledger of `events` events cycling through kTypes, one stream per 10 events.
// Returns how many of each type it holds.
std::map<std::string, int64_t> FillLedger(const std::string& dir, int events) {
  auto ledger = CreateAndOpen(dir);
  std::map<std::string, int64_t> counts;
  for (int i = 0; i < events; ++i) {
    const std::string type = kTypes[i % 3];
    EXPECT_TRUE(ledger
                    ->Append(Request("case-" + std::to_string(i / 10), ExpectedVersion::Any(),
                                     {Event(type)}))
                    .ok());
    ++counts[type];
  }
  return counts;
}

// A plugin directory holding copies of the given test plugins (tests/plugins).
std::string PluginDir(const TempDir& tmp, std::initializer_list<const char*> plugins) {
  const std::string dir = tmp.Sub("plugins");
  fs::create_directories(dir);
  for (const char* name : plugins)
    fs::copy_file(std::string(TEST_PLUGIN_DIR) + "/test_plugin_" + name + ".so",
                  dir + "/" + name + ".so", fs::copy_options::overwrite_existing);
  return dir;
}

std::unique_ptr<Projector> OpenProjector(const std::string& ledger, const std::string& plugins,
                                         size_t batch = 100) {
  ProjectorOptions options;
  options.plugin_dirs = {plugins};
  options.batch_events = batch;
  auto p = Projector::Open(ledger, options);
  EXPECT_TRUE(p.ok()) << p.status().ToString();
  return p.ok() ? std::move(*p) : nullptr;
}

// The counter plugin's "counts" query as a map type -> events.
std::map<std::string, int64_t> Counts(
    Projector& p, const std::string& plugin,
    std::vector<std::pair<std::string, std::string>> params = {}) {
  auto table = p.Query(plugin, "counts", std::move(params));
  EXPECT_TRUE(table.ok()) << table.status().ToString();
  std::map<std::string, int64_t> out;
  if (!table.ok()) return out;
  for (const auto& row : table->rows)
    out[std::get<std::string>(row[0])] = std::get<int64_t>(row[1]);
  return out;
}

const projector::PluginStatus& StatusOf(const std::vector<projector::PluginStatus>& all,
                                        const std::string& name) {
  for (const auto& s : all)
    if (s.name == name) return s;
  static projector::PluginStatus none;
  ADD_FAILURE() << "no plugin " << name;
  return none;
}

TEST(Projector, LoadsARealPluginAndItsViewCountsEveryEvent) {
  TempDir tmp;
  const auto expected = FillLedger(tmp.Sub("ledger"), 250);
  auto p = OpenProjector(tmp.Sub("ledger"), PluginDir(tmp, {"counter"}));
  ASSERT_TRUE(p);
  auto applied = p->CatchUp();
  ASSERT_TRUE(applied.ok()) << applied.status().ToString();
  EXPECT_EQ(*applied, 3u);  // batches of 100: 100, 200, 250
  EXPECT_TRUE(p->CaughtUp());
  EXPECT_EQ(Counts(*p, "counter"), expected);
}

TEST(Projector, EachCheckpointAttestsPositionRootAndPluginFile) {
  TempDir tmp;
  FillLedger(tmp.Sub("ledger"), 130);
  const std::string plugins = PluginDir(tmp, {"counter"});
  auto p = OpenProjector(tmp.Sub("ledger"), plugins);
  ASSERT_TRUE(p);
  ASSERT_TRUE(p->CatchUp(/*max_batches=*/1).ok());
  auto status = StatusOf(p->Plugins(), "counter");
  ASSERT_TRUE(status.checkpoint);
  EXPECT_EQ(status.checkpoint->position, 100u);
  EXPECT_EQ(status.lag, 30u);
  auto root_at_100 = p->ledger().GetTreeHeadAt(100);
  ASSERT_TRUE(root_at_100.ok());
  EXPECT_EQ(status.checkpoint->root, root_at_100->root);
  auto sha = projector::FileSha256(plugins + "/counter.so");
  ASSERT_TRUE(sha.ok());
  EXPECT_EQ(status.checkpoint->plugin_sha256, *sha);
  EXPECT_EQ(status.checkpoint->plugin_name, "counter");
  EXPECT_EQ(status.checkpoint->plugin_version, "1.0.0");

  ASSERT_TRUE(p->CatchUp().ok());
  status = StatusOf(p->Plugins(), "counter");
  EXPECT_EQ(status.checkpoint->position, 130u);
  EXPECT_EQ(status.checkpoint->root, p->ledger().GetTreeHead().root);
  EXPECT_EQ(status.lag, 0u);
}

TEST(Projector, RefusesEveryAbiMismatchWithAMessageNamingIt) {
  TempDir tmp;
  FillLedger(tmp.Sub("ledger"), 3);
  auto p =
      OpenProjector(tmp.Sub("ledger"), PluginDir(tmp, {"counter", "wrong_major", "wrong_size",
                                                       "newer_minor", "foreign_tag", "no_symbol"}));
  ASSERT_TRUE(p);
  std::map<std::string, std::string> refused;
  for (const auto& r : p->refused()) refused[fs::path(r.path).stem()] = r.reason;
  ASSERT_EQ(refused.size(), 5u);
  EXPECT_NE(refused["wrong_major"].find("exports caseledger_plugin_v2"), std::string::npos)
      << refused["wrong_major"];
  EXPECT_NE(refused["wrong_size"].find("its table is 112 bytes; ABI 1.0 defines 96"),
            std::string::npos)
      << refused["wrong_size"];
  EXPECT_NE(
      refused["newer_minor"].find("built for plugin ABI 1.1, newer than this projector's 1.0"),
      std::string::npos)
      << refused["newer_minor"];
  EXPECT_NE(refused["foreign_tag"].find("built with \"msvc-19.29-capnp0.7\""), std::string::npos)
      << refused["foreign_tag"];
  EXPECT_NE(refused["no_symbol"].find("not a CaseLedger plugin"), std::string::npos)
      << refused["no_symbol"];
  ASSERT_EQ(p->Plugins().size(), 1u);
  EXPECT_EQ(p->Plugins()[0].name, "counter");
}

TEST(Projector, APluginThatThrowsIsStoppedAtItsLastCheckpointWhileTheOthersGoOn) {
  TempDir tmp;
  const auto expected = FillLedger(tmp.Sub("ledger"), 300);
  const std::string plugins = PluginDir(tmp, {"counter", "counter_b"});
  setenv("COUNTER_B_THROW_AT", "150", 1);
  {
    auto p = OpenProjector(tmp.Sub("ledger"), plugins);
    ASSERT_TRUE(p);
    ASSERT_TRUE(p->CatchUp().ok());
    const auto all = p->Plugins();
    EXPECT_EQ(StatusOf(all, "counter").checkpoint->position, 300u);
    EXPECT_EQ(StatusOf(all, "counter").health.state, Health::State::kRunning);
    const auto& failed = StatusOf(all, "counter-b");
    EXPECT_EQ(failed.health.state, Health::State::kFailed);
    EXPECT_EQ(failed.checkpoint->position, 100u);
    EXPECT_NE(failed.health.message.find("refusing position 150"), std::string::npos)
        << failed.health.message;
    EXPECT_NE(failed.health.message.find("positions 101..200"), std::string::npos)
        << failed.health.message;
    // It answers no query: its figures would silently stop at position 100.
    auto stopped = p->Query("counter-b", "counts", {});
    EXPECT_EQ(stopped.status().code(), StatusCode::kStopped);
    EXPECT_NE(stopped.status().message().find("its view stops at position 100"), std::string::npos)
        << stopped.status().ToString();
    EXPECT_EQ(Counts(*p, "counter"), expected);
  }
  unsetenv("COUNTER_B_THROW_AT");
  {  // It stays stopped in the next projector, until rebuilt.
    auto p = OpenProjector(tmp.Sub("ledger"), plugins);
    ASSERT_TRUE(p);
    ASSERT_TRUE(p->CatchUp().ok());
    EXPECT_EQ(StatusOf(p->Plugins(), "counter-b").health.state, Health::State::kFailed);
    ASSERT_TRUE(p->Rebuild("counter-b").ok());
    ASSERT_TRUE(p->CatchUp().ok());
    EXPECT_EQ(StatusOf(p->Plugins(), "counter-b").health.state, Health::State::kRunning);
    EXPECT_EQ(Counts(*p, "counter-b"), expected);
  }
}

TEST(Projector, ViewsSurviveReopeningAndAreAppliedExactlyOnce) {
  TempDir tmp;
  const auto expected = FillLedger(tmp.Sub("ledger"), 250);
  const std::string plugins = PluginDir(tmp, {"counter"});
  {
    auto p = OpenProjector(tmp.Sub("ledger"), plugins);
    ASSERT_TRUE(p);
    ASSERT_TRUE(p->CatchUp(/*max_batches=*/2).ok());
  }
  auto p = OpenProjector(tmp.Sub("ledger"), plugins);
  ASSERT_TRUE(p);
  EXPECT_EQ(StatusOf(p->Plugins(), "counter").checkpoint->position, 200u);
  ASSERT_TRUE(p->CatchUp().ok());
  EXPECT_EQ(Counts(*p, "counter"), expected);
}

TEST(Projector, ANewPluginVersionRebuildsItsViewFromPositionOne) {
  TempDir tmp;
  const auto expected = FillLedger(tmp.Sub("ledger"), 120);
  {
    auto p = OpenProjector(tmp.Sub("ledger"), PluginDir(tmp, {"counter"}));
    ASSERT_TRUE(p);
    ASSERT_TRUE(p->CatchUp().ok());
  }
  fs::remove_all(tmp.Sub("plugins"));
  auto p = OpenProjector(tmp.Sub("ledger"), PluginDir(tmp, {"counter_v2"}));
  ASSERT_TRUE(p);
  EXPECT_FALSE(StatusOf(p->Plugins(), "counter").checkpoint.has_value());
  ASSERT_TRUE(p->CatchUp().ok());
  EXPECT_EQ(StatusOf(p->Plugins(), "counter").checkpoint->plugin_version, "2.0.0");
  EXPECT_EQ(Counts(*p, "counter"), expected);  // not twice the events
}

TEST(Projector, AQueryAsOfAnEarlierMomentIsAnsweredExactly) {
  TempDir tmp;
  FillLedger(tmp.Sub("ledger"), 90);
  auto p = OpenProjector(tmp.Sub("ledger"), PluginDir(tmp, {"counter"}));
  ASSERT_TRUE(p);
  ASSERT_TRUE(p->CatchUp().ok());
  auto total = [&](std::vector<std::pair<std::string, std::string>> params) {
    auto t = p->Query("counter", "total", std::move(params));
    EXPECT_TRUE(t.ok()) << t.status().ToString();
    return t.ok() ? std::get<int64_t>(t->rows.at(0).at(0)) : -1;
  };
  EXPECT_EQ(total({}), 90);
  EXPECT_EQ(total({{"as_of_position", "37"}}), 37);
  EXPECT_EQ(total({{"as_of_position", "0"}}), 0);
  // As of a time: what the ledger knew then, i.e. up to the last event recorded by then.
  auto events = p->ledger().ReadAll(61, 1);
  ASSERT_TRUE(events.ok());
  EXPECT_GE(total({{"as_of", FormatTimestamp(events->at(0).recorded_at)}}), 61);
  EXPECT_EQ(total({{"as_of", "2000-01-01T00:00:00Z"}}), 0);
  // The view itself is untouched by the replays.
  EXPECT_EQ(total({}), 90);

  EXPECT_EQ(p->Query("counter", "total", {{"as_of_position", "91"}}).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(p->Query("counter", "total", {{"as_of", "yesterday"}}).status().code(),
            StatusCode::kInvalidArgument);
  auto unknown = p->Query("counter", "total", {{"colour", "red"}});
  EXPECT_EQ(unknown.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(unknown.status().message().find("unknown parameter \"colour\""), std::string::npos);
  EXPECT_EQ(p->Query("nobody", "total", {}).status().code(), StatusCode::kNotFound);
}

TEST(Projector, TwoPluginsExportingTheSameSymbolNamesEachCallTheirOwn) {
  TempDir tmp;
  FillLedger(tmp.Sub("ledger"), 3);
  auto p = OpenProjector(tmp.Sub("ledger"), PluginDir(tmp, {"counter", "counter_b"}));
  ASSERT_TRUE(p);
  for (const char* name : {"counter", "counter-b"}) {
    auto t = p->Query(name, "identity", {});
    ASSERT_TRUE(t.ok()) << t.status().ToString();
    EXPECT_EQ(std::get<std::string>(t->rows.at(0).at(0)), name);
  }
}

// The CLI, as a user runs it; the projector's code runs in a supervised child.
testing::ProgramRun Project(const std::string& ledger, const std::string& plugins,
                            std::vector<std::string> extra = {}) {
  std::vector<std::string> args = {"project", ledger, "--plugin-dir", plugins, "--batch", "100"};
  args.insert(args.end(), extra.begin(), extra.end());
  return testing::RunProgram(CASELEDGER_BIN, args, 120);
}

TEST(Projector, APluginThatSegfaultsTakesDownOnlyTheProjectorAndIsQuarantined) {
  TempDir tmp;
  const auto expected = FillLedger(tmp.Sub("ledger"), 300);
  const std::string plugins = PluginDir(tmp, {"counter", "counter_b"});
  setenv("COUNTER_B_CRASH_AT", "150", 1);
  auto run = Project(tmp.Sub("ledger"), plugins);
  unsetenv("COUNTER_B_CRASH_AT");
  EXPECT_EQ(run.exit_code, 1) << testing::Describe(run);
  // The supervisor saw its child die (of SIGSEGV; of SIGABRT under AddressSanitizer).
  EXPECT_NE(run.err.find("projector: died of"), std::string::npos) << run.err;
  EXPECT_NE(run.out.find("quarantined"), std::string::npos) << run.out;

  auto p = OpenProjector(tmp.Sub("ledger"), plugins);
  ASSERT_TRUE(p);
  const auto all = p->Plugins();
  EXPECT_EQ(StatusOf(all, "counter").checkpoint->position, 300u);
  EXPECT_EQ(Counts(*p, "counter"), expected);
  const auto& bad = StatusOf(all, "counter-b");
  EXPECT_EQ(bad.health.state, Health::State::kQuarantined);
  EXPECT_EQ(bad.health.crashes, 3u);
  EXPECT_EQ(bad.checkpoint->position, 100u);
  EXPECT_NE(bad.health.message.find("crashed the projector 3 times"), std::string::npos)
      << bad.health.message;
  // Quarantined: not even loaded into the next projector's queries until rebuilt.
  EXPECT_EQ(p->Query("counter-b", "counts", {}).status().code(), StatusCode::kStopped);
  ASSERT_TRUE(p->Rebuild("counter-b").ok());
  ASSERT_TRUE(p->CatchUp().ok());
  EXPECT_EQ(Counts(*p, "counter-b"), expected);
}

TEST(Projector, KillNineMidBatchThenRestartGivesTheViewOfAFromScratchRebuild) {
  TempDir tmp;
  const auto expected = FillLedger(tmp.Sub("ledger"), 2000);
  const std::string plugins = PluginDir(tmp, {"counter"});
  setenv("COUNTER_SLOW_MS", "20", 1);
  for (int round = 0; round < 3; ++round) {
    const pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      setpgid(0, 0);
      execl(CASELEDGER_BIN, CASELEDGER_BIN, "project", tmp.Sub("ledger").c_str(), "--plugin-dir",
            plugins.c_str(), "--batch", "50", "--follow", static_cast<char*>(nullptr));
      _exit(127);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(300 + 170 * round));
    kill(-pid, SIGKILL);  // the supervisor and the projector, wherever they are
    int status = 0;
    waitpid(pid, &status, 0);
    ASSERT_TRUE(WIFSIGNALED(status));
  }
  unsetenv("COUNTER_SLOW_MS");
  auto finish = Project(tmp.Sub("ledger"), plugins);
  ASSERT_EQ(finish.exit_code, 0) << testing::Describe(finish);

  auto p = OpenProjector(tmp.Sub("ledger"), plugins);
  ASSERT_TRUE(p);
  const auto resumed = Counts(*p, "counter");
  EXPECT_EQ(resumed, expected);
  ASSERT_TRUE(p->Rebuild("counter").ok());
  ASSERT_TRUE(p->CatchUp().ok());
  EXPECT_EQ(Counts(*p, "counter"), resumed);
}

testing::ProgramRun Cli(std::vector<std::string> args) {
  return testing::RunProgram(CASELEDGER_BIN, args, 120);
}

TEST(ProjectorCli, AQueryWithoutARunningProjectorStartsOneForTheCallAndStopsIt) {
  TempDir tmp;
  FillLedger(tmp.Sub("ledger"), 31);
  const std::string plugins = PluginDir(tmp, {"counter"});
  auto run = Cli({"query", tmp.Sub("ledger"), "counter", "counts", "--plugin-dir", plugins,
                  "--format", "csv"});
  ASSERT_EQ(run.exit_code, 0) << testing::Describe(run);
  EXPECT_EQ(run.out, "type,events\nCaseClosed,10\nCaseOpened,11\nNoteAdded,10\n");
  EXPECT_FALSE(fs::exists(tmp.Sub("ledger/run/projector.sock")));  // it stopped with the call

  run = Cli({"query", tmp.Sub("ledger"), "counter", "total", "--plugin-dir", plugins, "--param",
             "as_of_position=5", "--format", "json"});
  ASSERT_EQ(run.exit_code, 0) << testing::Describe(run);
  EXPECT_NE(run.out.find("\"events\": 5, \"last_position\": 5"), std::string::npos) << run.out;
}

TEST(ProjectorCli, QueriesGoToTheRunningProjectorAndSeeEveryCommittedEvent) {
  TempDir tmp;
  FillLedger(tmp.Sub("ledger"), 20);
  const std::string plugins = PluginDir(tmp, {"counter"});
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    const int null = open("/dev/null", O_WRONLY);
    dup2(null, STDOUT_FILENO);
    execl(CASELEDGER_BIN, CASELEDGER_BIN, "project", tmp.Sub("ledger").c_str(), "--plugin-dir",
          plugins.c_str(), "--follow", static_cast<char*>(nullptr));
    _exit(127);
  }
  for (int i = 0; i < 500 && !fs::exists(tmp.Sub("ledger/run/projector.sock")); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  {  // The writer appends beside the projector.
    LedgerOptions options;
    auto writer = Ledger::Open(tmp.Sub("ledger"), options);
    ASSERT_TRUE(writer.ok()) << writer.status().ToString();
    for (int i = 0; i < 7; ++i)
      ASSERT_TRUE(
          (*writer)->Append(Request("case-x", ExpectedVersion::Any(), {Event("NoteAdded")})).ok());
  }
  // The projector follows the writer's index as a RocksDB secondary, which can stay behind
  // after the writer flushed and closed; the writer's commit notice (DIR/run/committed)
  // tells it to look again, so the query sees all 27.
  auto run = Cli(
      {"query", tmp.Sub("ledger"), "counter", "total", "--plugin-dir", plugins, "--format", "csv"});
  EXPECT_EQ(run.exit_code, 0) << testing::Describe(run);
  EXPECT_EQ(run.out.substr(0, run.out.find(',', run.out.find('\n'))),
            "events,last_position,as_of\n27");
  EXPECT_TRUE(fs::exists(tmp.Sub("ledger/run/projector.sock")));  // still the running one

  kill(pid, SIGTERM);  // stops after its current batch, cleanly
  int status = 0;
  waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
  EXPECT_FALSE(fs::exists(tmp.Sub("ledger/run/projector.sock")));
}

TEST(ProjectorCli, PluginsListStatusAndRebuild) {
  TempDir tmp;
  FillLedger(tmp.Sub("ledger"), 40);
  const std::string plugins = PluginDir(tmp, {"counter", "counter_b", "wrong_major"});
  setenv("COUNTER_B_THROW_AT", "12", 1);
  auto run =
      Cli({"plugins", tmp.Sub("ledger"), "list", "--plugin-dir", plugins, "--format", "tsv"});
  unsetenv("COUNTER_B_THROW_AT");
  ASSERT_EQ(run.exit_code, 0) << testing::Describe(run);
  EXPECT_NE(run.out.find("counter\t1.0.0\tloaded\tCounts events per type"), std::string::npos)
      << run.out;
  EXPECT_NE(
      run.out.find("refused\tbuilt for another plugin ABI major (exports caseledger_plugin_v2)"),
      std::string::npos)
      << run.out;

  run = Cli({"plugins", tmp.Sub("ledger"), "status", "--plugin-dir", plugins, "--format", "csv"});
  ASSERT_EQ(run.exit_code, 0) << testing::Describe(run);
  EXPECT_NE(run.out.find("counter,1.0.0,40,0,running"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("counter-b,1.0.0,0,40,failed"), std::string::npos) << run.out;

  run = Cli({"plugins", tmp.Sub("ledger"), "rebuild", "counter-b", "--plugin-dir", plugins,
             "--format", "csv"});
  ASSERT_EQ(run.exit_code, 0) << testing::Describe(run);
  EXPECT_NE(run.out.find("counter-b,1.0.0,40,0,running"), std::string::npos) << run.out;
  EXPECT_EQ(run.out.find("counter,"), std::string::npos) << "rebuild shows only NAME: " << run.out;

  run = Cli({"plugins", tmp.Sub("ledger"), "rebuild", "nobody", "--plugin-dir", plugins});
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_NE(run.err.find("no plugin named \"nobody\""), std::string::npos) << run.err;
}

TEST(ProjectorCli, BadQueriesAreRefusedWithTheReason) {
  TempDir tmp;
  FillLedger(tmp.Sub("ledger"), 3);
  const std::string plugins = PluginDir(tmp, {"counter"});
  auto run = Cli({"query", tmp.Sub("ledger"), "counter", "colours", "--plugin-dir", plugins});
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_NE(run.err.find("counter colours: unknown query \"colours\""), std::string::npos)
      << run.err;
  run = Cli({"query", tmp.Sub("ledger"), "counter", "counts", "--plugin-dir", plugins, "--param",
             "as_of_position"});
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_NE(run.err.find("expected NAME=VALUE"), std::string::npos) << run.err;
  run = Cli({"query", tmp.Sub("nowhere"), "counter", "counts", "--plugin-dir", plugins});
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_NE(run.err.find("holds no ledger"), std::string::npos) << run.err;
  run = Cli({"query", tmp.Sub("ledger"), "counter", "counts", "--plugin-dir", tmp.Sub("none")});
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_NE(run.err.find("plugin directory " + tmp.Sub("none") + " does not exist"),
            std::string::npos)
      << run.err;
}

}  // namespace
}  // namespace caseledger
