// A plugin's state as the projector gives it: writes cached until committed with the
// checkpoint or discarded with a failed batch, reads and scans that see the cache over
// what is committed, and queries that may not write.
#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "state_cache.h"
#include "temp_dir.h"
#include "view_store.h"

namespace caseledger::projector {
namespace {

using testing::TempDir;

std::string_view View(caseledger_bytes b) { return {b.data, b.size}; }
caseledger_bytes Bytes(std::string_view s) { return {s.data(), s.size()}; }

// The calls a plugin makes, through the C callbacks it is given.
struct PluginView {
  const caseledger_host* host;
  std::optional<std::string> Get(std::string_view key) const {
    caseledger_bytes value{};
    const int found = host->state_get(host->context, Bytes(key), &value);
    return found == 1 ? std::optional<std::string>(View(value)) : std::nullopt;
  }
  int Put(std::string_view key, std::string_view value) {
    return host->state_put(host->context, Bytes(key), Bytes(value));
  }
  int Delete(std::string_view key) { return host->state_delete(host->context, Bytes(key)); }
  std::vector<std::pair<std::string, std::string>> Scan(std::string_view prefix) const {
    std::vector<std::pair<std::string, std::string>> out;
    host->state_scan(
        host->context, Bytes(prefix),
        [](void* c, caseledger_bytes k, caseledger_bytes v) {
          static_cast<decltype(out)*>(c)->emplace_back(View(k), View(v));
          return 0;
        },
        &out);
    return out;
  }
};

using Entries = std::vector<std::pair<std::string, std::string>>;

TEST(StateCache, WritesAreInvisibleToTheStoreUntilCommittedWithTheCheckpoint) {
  TempDir dir;
  auto store = ViewStore::Open(dir.Sub("views"));
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  StateCache cache(&(*store)->db(), ViewStore::StatePrefix("p"), "p");
  PluginView plugin{cache.host()};
  ASSERT_EQ(plugin.Put("a", "1"), 0);
  EXPECT_EQ(plugin.Get("a"), "1");  // the plugin sees its own write

  // Another reader of the store (each StateCache owns its prefix, so a fresh one each time).
  auto committed = [&](const char* key) {
    StateCache other(&(*store)->db(), ViewStore::StatePrefix("p"), "p");
    return PluginView{other.host()}.Get(key);
  };
  EXPECT_EQ(committed("a"), std::nullopt);  // nothing committed yet

  rocksdb::WriteBatch batch;
  cache.AddTo(batch);
  Checkpoint c;
  c.position = 7;
  (*store)->PutCheckpoint(batch, "p", c);
  ASSERT_TRUE((*store)->Commit(batch).ok());
  EXPECT_EQ(committed("a"), "1");
  auto checkpoint = (*store)->GetCheckpoint("p");
  ASSERT_TRUE(checkpoint.ok());
  EXPECT_EQ((*checkpoint)->position, 7u);
}

TEST(StateCache, RememberedReadsFollowTheCachesOwnCommitsAndDeletes) {
  TempDir dir;
  auto store = ViewStore::Open(dir.Sub("views"));
  ASSERT_TRUE(store.ok());
  StateCache cache(&(*store)->db(), ViewStore::StatePrefix("p"), "p");
  PluginView plugin{cache.host()};
  auto commit = [&] {
    rocksdb::WriteBatch batch;
    cache.AddTo(batch);
    ASSERT_TRUE((*store)->Commit(batch).ok());
  };
  plugin.Put("k", "1");
  commit();
  EXPECT_EQ(plugin.Get("k"), "1");                // read from the store, remembered
  EXPECT_EQ(plugin.Get("absent"), std::nullopt);  // remembered as absent
  plugin.Put("k", "2");
  plugin.Put("absent", "now");
  commit();
  EXPECT_EQ(plugin.Get("k"), "2");
  EXPECT_EQ(plugin.Get("absent"), "now");
  plugin.Delete("k");
  commit();
  EXPECT_EQ(plugin.Get("k"), std::nullopt);

  // A rebuild deletes the plugin's keys under the cache, then Discards it.
  rocksdb::WriteBatch wipe;
  (*store)->DeleteAll(wipe, "p");
  ASSERT_TRUE((*store)->Commit(wipe).ok());
  cache.Discard();
  EXPECT_EQ(plugin.Get("absent"), std::nullopt);
}

TEST(StateCache, DiscardForgetsTheFailedBatchsWrites) {
  TempDir dir;
  auto store = ViewStore::Open(dir.Sub("views"));
  ASSERT_TRUE(store.ok());
  StateCache cache(&(*store)->db(), ViewStore::StatePrefix("p"), "p");
  PluginView plugin{cache.host()};
  plugin.Put("kept", "1");
  rocksdb::WriteBatch batch;
  cache.AddTo(batch);
  ASSERT_TRUE((*store)->Commit(batch).ok());
  plugin.Put("lost", "2");
  plugin.Delete("kept");
  cache.Discard();
  EXPECT_EQ(plugin.Get("kept"), "1");
  EXPECT_EQ(plugin.Get("lost"), std::nullopt);
}

TEST(StateCache, ScanMergesCommittedAndPendingInKeyOrderWithDeletesHidden) {
  TempDir dir;
  auto store = ViewStore::Open(dir.Sub("views"));
  ASSERT_TRUE(store.ok());
  StateCache cache(&(*store)->db(), ViewStore::StatePrefix("p"), "p");
  PluginView plugin{cache.host()};
  for (const char* k : {"x/1", "x/3", "x/5", "y/1"}) plugin.Put(k, "old");
  rocksdb::WriteBatch batch;
  cache.AddTo(batch);
  ASSERT_TRUE((*store)->Commit(batch).ok());
  // Another plugin's keys never show.
  StateCache neighbour(&(*store)->db(), ViewStore::StatePrefix("p2"), "p2");
  PluginView{neighbour.host()}.Put("x/2", "theirs");
  rocksdb::WriteBatch theirs;
  neighbour.AddTo(theirs);
  ASSERT_TRUE((*store)->Commit(theirs).ok());

  plugin.Put("x/2", "new");  // between committed keys
  plugin.Put("x/3", "new");  // shadows a committed key
  plugin.Delete("x/5");      // hides a committed key
  plugin.Put("x/9", "new");  // after every committed key
  EXPECT_EQ(plugin.Scan("x/"),
            (Entries{{"x/1", "old"}, {"x/2", "new"}, {"x/3", "new"}, {"x/9", "new"}}));
  EXPECT_EQ(
      plugin.Scan(""),
      (Entries{{"x/1", "old"}, {"x/2", "new"}, {"x/3", "new"}, {"x/9", "new"}, {"y/1", "old"}}));
  EXPECT_EQ(plugin.Scan("z"), Entries{});
}

TEST(StateCache, ScratchStateLivesInMemoryOnly) {
  StateCache scratch(nullptr, "", "p");
  PluginView plugin{scratch.host()};
  plugin.Put("b", "2");
  plugin.Put("a", "1");
  plugin.Put("c", "3");
  plugin.Delete("c");
  EXPECT_EQ(plugin.Scan(""), (Entries{{"a", "1"}, {"b", "2"}}));
  rocksdb::WriteBatch batch;
  scratch.AddTo(batch);  // nowhere to go: kept
  EXPECT_EQ(batch.Count(), 0);
  EXPECT_EQ(plugin.Get("a"), "1");
}

TEST(StateCache, QueriesMayReadButNotWrite) {
  StateCache cache(nullptr, "", "p");
  PluginView plugin{cache.host()};
  plugin.Put("a", "1");
  cache.set_read_only(true);
  EXPECT_EQ(plugin.Put("a", "2"), -1);
  EXPECT_EQ(plugin.Delete("a"), -1);
  EXPECT_EQ(plugin.Get("a"), "1");
}

TEST(StateCache, FailReportsTheReasonOnceAndASentenceWhenThereIsNone) {
  StateCache cache(nullptr, "", "p");
  cache.host()->fail(cache.host()->context, Bytes("bad payload at 12"));
  EXPECT_EQ(cache.TakeFailure(), "bad payload at 12");
  EXPECT_EQ(cache.TakeFailure(), "the plugin returned an error without saying why");
}

}  // namespace
}  // namespace caseledger::projector
