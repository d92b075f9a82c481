// GeneratedLedger: a case-event ledger filled by the event generator (tools/caseledger/gen),
// then by a tail of the test's own, copied out as raw events and asked through the projector
// and the built-in plugins. For the brute-force tests, which recompute the figures from the
// raw events and compare whole tables with the plugins' answers.
//
//   auto g = BuildGeneratedLedger(1, 15'000, MyTail, {"coverage"}, {"coverage"});
//   ASSERT_TRUE(g->error.empty()) << g->error;  // then g->events, g->projector->Query(...)
//
// When `error` is empty: positions 1..`events` hold the generator's lines for the seed, in
// order (so its corrections and voids name what they mean), and the tail follows them;
// `events` holds every position 1..n, in order, read back from the ledger (not from what
// was asked to be appended); the projector has caught up with position n; and every plugin
// named as one that must run is loaded and running. Otherwise `error` says the first thing
// that went wrong (or every plugin that is not running) and the rest may be partial.
//
// Beside it, what both brute-force tests read payloads, append their tails and compare
// tables with: DecodePayload, TextOf, SexName, AppendJsonEvent, NewTable, LineDiff.
#pragma once

#include <capnp/message.h>
#include <capnp/serialize.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>
#include <initializer_list>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "caseledger/ledger.h"
#include "projector.h"
#include "query_table.h"
#include "schema/case_events.capnp.h"
#include "temp_dir.h"

namespace caseledger::testing {

// One event as the ledger holds it, copied out (`actor` is the actor's user id).
struct RawEvent {
  Position position = 0;
  std::string stream, type, actor, payload;
  int64_t recorded = 0, occurred = 0;  // microseconds since the epoch; occurred 0 = not given
  Position corrects = 0;
};

// Appends the test's own events to `ledger`, which holds exactly `generated` (positions
// 1..events); returns "" or what went wrong.
using AppendTailFn =
    std::function<std::string(Ledger& ledger, const std::vector<RawEvent>& generated)>;

struct GeneratedLedger {
  TempDir tmp;                   // the ledger (and its key, and any plugin copies) live here
  std::vector<RawEvent> events;  // positions 1..n: the generated lines, then the tail
  Position half = 0;             // events / 2, a position before the tail
  Timestamp half_recorded_at{};  // the recorded-at of `half`
  std::unique_ptr<projector::Projector> projector;  // caught up with position n
  std::string error;                                // why it could not be built; "" if it was
};

// Creates a ledger (its master key beside it, as ScenarioLedger does), appends `events`
// generated lines of `seed`, then `append_tail`'s events, and opens a projector over the
// built-in plugins (BUILTIN_PLUGIN_DIR) and catches it up: every one of them when `plugins`
// is empty, else only the files whose name contains one of `plugins` (copied to a directory
// of their own). Each of `plugins_that_must_run` must be loaded and running.
std::unique_ptr<GeneratedLedger> BuildGeneratedLedger(
    uint64_t seed, size_t events, const AppendTailFn& append_tail,
    const std::vector<std::string>& plugins, const std::vector<std::string>& plugins_that_must_run);

// Appends `json` (the catalogue's JSON of `type`) as one event to `stream`, by `actor` (a
// correction of `corrects` if non-zero; an epoch `when` gives no occurred-at) and returns
// its position, 0 on a failure (described in `error`, after what it already holds).
Position AppendJsonEvent(Ledger& ledger, const std::string& stream, const std::string& type,
                         Timestamp when, const Actor& actor, const std::string& json,
                         Position corrects, std::string& error);

// Decodes `bytes` (an unpacked capnp message whose root is T, as RawEvent::payload) and
// hands the root to `use`.
template <typename T, typename F>
void DecodePayload(const std::string& bytes, F&& use) {
  std::vector<capnp::word> words((bytes.size() + sizeof(capnp::word) - 1) / sizeof(capnp::word));
  if (!bytes.empty()) std::memcpy(words.data(), bytes.data(), bytes.size());
  capnp::FlatArrayMessageReader reader(kj::ArrayPtr<const capnp::word>(words.data(), words.size()));
  use(reader.getRoot<T>());
}

// A text field of a payload.
std::string TextOf(capnp::Text::Reader text);
// The schema's Sex as the plugins name it: "female", "male" or "unknown".
std::string SexName(schema::Sex sex);

// An empty table with these columns.
projector::QueryTable NewTable(
    std::initializer_list<std::pair<const char*, projector::QueryTable::Type>> columns);

// What a CSV holds that the other does not, line by line (at most `limit` lines each), for
// a failure message: `expected` is the brute force's, `actual` the plugin's.
std::string LineDiff(const std::string& expected, const std::string& actual, size_t limit = 12);

}  // namespace caseledger::testing
