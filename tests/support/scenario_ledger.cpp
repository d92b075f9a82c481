#include "scenario_ledger.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <sstream>

#include "caseledger/case_events.h"
#include "caseledger/json.h"
#include "projector.h"

namespace caseledger::testing {

ScenarioLedger::ScenarioLedger(std::string dir)
    : dir_(std::move(dir)), key_file_(dir_ + ".key"), start_(Now()) {
  EXPECT_TRUE(CreateMasterKeyFile(key_file_).ok());
  CreateOptions create;
  create.segment_bytes = 1 << 20;
  create.master_key_file = key_file_;
  Status created = Ledger::Create(dir_, create);
  EXPECT_TRUE(created.ok()) << created.ToString();
  LedgerOptions options;
  options.master_key_file = key_file_;
  auto opened = Ledger::Open(dir_, options);
  EXPECT_TRUE(opened.ok()) << opened.status().ToString();
  if (opened.ok()) ledger_ = std::move(*opened);
}

ScenarioLedger::~ScenarioLedger() = default;

std::string ScenarioLedger::DaysAgo(double days) const {
  const auto micros = static_cast<int64_t>(std::llround(days * 86'400'000'000.0));
  return FormatTimestamp(start_ - std::chrono::microseconds(micros));
}

Position ScenarioLedger::Append(const std::string& stream, const std::string& type,
                                const std::string& occurred_at, const std::string& actor_user,
                                const std::string& data_json, const std::string& actor_role) {
  return AppendEvent(stream, type, occurred_at, actor_user, actor_role, data_json, 0);
}

Position ScenarioLedger::Correct(Position corrects, const std::string& stream,
                                 const std::string& type, const std::string& occurred_at,
                                 const std::string& actor_user, const std::string& data_json) {
  return AppendEvent(stream, type, occurred_at, actor_user, "caseworker", data_json, corrects);
}

Position ScenarioLedger::AppendEvent(const std::string& stream, const std::string& type,
                                     const std::string& occurred_at, const std::string& actor_user,
                                     const std::string& actor_role, const std::string& data_json,
                                     Position corrects) {
  if (!ledger_) {
    ADD_FAILURE() << "the ledger is closed";
    return 0;
  }
  auto event_type = LookupEventType(type);
  if (!event_type.ok()) {
    ADD_FAILURE() << event_type.status().ToString();
    return 0;
  }
  auto payload = PayloadFromJson(**event_type, data_json);
  if (!payload.ok()) {
    ADD_FAILURE() << type << " " << data_json << ": " << payload.status().ToString();
    return 0;
  }
  auto when = ParseTimestamp(occurred_at);
  EXPECT_TRUE(when.ok()) << occurred_at;
  AppendRequest request;
  request.stream = stream;
  ProposedEvent& e = request.events.emplace_back();
  e.id = EventId::Random();
  e.type = type;
  e.occurred_at = when.ok() ? *when : Timestamp{};
  e.actor = Actor{actor_user, actor_role, "agency-of-" + actor_user};
  e.corrects = corrects;
  if (corrects != 0) e.correction_reason = "test correction";
  e.payload = std::move(*payload);
  auto appended = ledger_->Append(request);
  if (!appended.ok()) {
    ADD_FAILURE() << stream << " " << type << ": " << appended.status().ToString();
    return 0;
  }
  return appended->last_position;
}

namespace {

Result<projector::QueryTable> Ask(const std::string& dir, const std::string& plugin,
                                  const std::string& query,
                                  const std::vector<std::pair<std::string, std::string>>& params) {
  projector::ProjectorOptions options;
  options.plugin_dirs = {BUILTIN_PLUGIN_DIR};
  CASELEDGER_ASSIGN_OR_RETURN(auto p, projector::Projector::Open(dir, options));
  CASELEDGER_RETURN_IF_ERROR(p->CatchUp().status());
  for (const auto& s : p->Plugins())
    if (s.name == plugin && s.health.state != projector::Health::State::kRunning)
      return Status::Stopped(plugin + " is " + projector::HealthStateName(s.health.state) + ": " +
                             s.health.message);
  return p->Query(plugin, query, params);
}

}  // namespace

projector::QueryTable ScenarioLedger::Query(
    const std::string& plugin, const std::string& query,
    const std::vector<std::pair<std::string, std::string>>& params) {
  auto table = Ask(dir_, plugin, query, params);
  if (!table.ok()) {
    ADD_FAILURE() << plugin << " " << query << ": " << table.status().ToString();
    return {};
  }
  return std::move(*table);
}

std::string ScenarioLedger::QueryCsv(
    const std::string& plugin, const std::string& query,
    const std::vector<std::pair<std::string, std::string>>& params) {
  return ToCsv(Query(plugin, query, params));
}

Status ScenarioLedger::QueryStatus(const std::string& plugin, const std::string& query,
                                   const std::vector<std::pair<std::string, std::string>>& params) {
  return Ask(dir_, plugin, query, params).status();
}

std::string ToCsv(const projector::QueryTable& table) {
  std::ostringstream out;
  for (size_t c = 0; c < table.columns.size(); ++c) out << (c ? "," : "") << table.columns[c].name;
  out << "\n";
  for (const auto& row : table.rows) {
    for (size_t c = 0; c < row.size(); ++c) {
      if (c) out << ",";
      if (const auto* s = std::get_if<std::string>(&row[c]))
        out << *s;
      else if (const auto* i = std::get_if<int64_t>(&row[c]))
        out << *i;
      else if (const auto* d = std::get_if<double>(&row[c])) {
        char buffer[32];
        std::snprintf(buffer, sizeof(buffer), "%.6g", *d);
        out << buffer;
      }
    }
    out << "\n";
  }
  return out.str();
}

}  // namespace caseledger::testing
