// ScenarioLedger: a case-event ledger for projection tests, filled event by event with the
// JSON of the event catalogue, then asked through the projector and the built-in plugins.
//
//   ScenarioLedger s(tmp.Sub("ledger"));
//   Position opened = s.Append("case-1", "CaseOpened", s.DaysAgo(40), "w-1", R"({...})");
//   s.Append("case-1", "RiskAssessed", s.DaysAgo(39), "w-1", R"({"level":"high"})");
//   s.Correct(opened, "CaseOpened", ...);                  // a correction of position `opened`
//   std::string csv = s.QueryCsv("caseload", "open_cases", {{"level", "county"}});
//
// Occurred-at times are relative to when the ledger was filled: recorded-at is the ledger's
// clock, so "as of" a moment (recorded-at <= T) of a test is always within seconds of now.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "caseledger/ledger.h"
#include "query_table.h"

namespace caseledger::testing {

class ScenarioLedger {
 public:
  // Creates a case-event ledger in `dir`, its master key beside it (dir + ".key").
  explicit ScenarioLedger(std::string dir);
  ~ScenarioLedger();

  // Appends one event to `stream` and returns its position. `occurred_at` is RFC 3339;
  // `actor_user` is the actor's user id (role "caseworker" unless `actor_role` says).
  // Fails the test (and returns 0) if the ledger refuses it.
  Position Append(const std::string& stream, const std::string& type,
                  const std::string& occurred_at, const std::string& actor_user,
                  const std::string& data_json, const std::string& actor_role = "caseworker");
  // Appends to `stream` an event of `type` that corrects position `corrects`.
  Position Correct(Position corrects, const std::string& stream, const std::string& type,
                   const std::string& occurred_at, const std::string& actor_user,
                   const std::string& data_json);

  // The time `days` (may be fractional) before the ledger was created, as RFC 3339.
  std::string DaysAgo(double days) const;
  Timestamp start() const { return start_; }
  const std::string& dir() const { return dir_; }
  Ledger& ledger() { return *ledger_; }

  // Closes the writer (the projector reads beside it anyway; this makes figures final).
  void Close() { ledger_.reset(); }

  // Asks `plugin` through a projector over the built-in plugins (BUILTIN_PLUGIN_DIR),
  // caught up. Fails the test on an error and returns an empty table.
  projector::QueryTable Query(const std::string& plugin, const std::string& query,
                              const std::vector<std::pair<std::string, std::string>>& params = {});
  // The same as CSV (header line, then rows; reals printed with up to 6 significant digits).
  std::string QueryCsv(const std::string& plugin, const std::string& query,
                       const std::vector<std::pair<std::string, std::string>>& params = {});
  // The error a query gives (OK if it succeeds).
  Status QueryStatus(const std::string& plugin, const std::string& query,
                     const std::vector<std::pair<std::string, std::string>>& params = {});

 private:
  // Append and Correct: `corrects` = 0 for a plain event.
  Position AppendEvent(const std::string& stream, const std::string& type,
                       const std::string& occurred_at, const std::string& actor_user,
                       const std::string& actor_role, const std::string& data_json,
                       Position corrects);

  std::string dir_;
  std::string key_file_;
  Timestamp start_;
  std::unique_ptr<Ledger> ledger_;
};

// A query result as CSV, the same way ScenarioLedger::QueryCsv prints it.
std::string ToCsv(const projector::QueryTable& table);

}  // namespace caseledger::testing
