// The event generator of `caseledger gen` (tools/caseledger/gen): deterministic bytes,
// lines ParseEventLine accepts with exact stream versions, DOMAIN.md's state machines
// kept by every line except the labelled anomalies (checked here by an independent
// replay of the rules), plausible shares, and both outputs (NDJSON + TSV, a ledger).
#include <gtest/gtest.h>
#include <xxhash.h>

#include <capnp/dynamic.h>
#include <capnp/serialize.h>

#include <stdlib.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "caseledger/case_events.h"
#include "caseledger/ledger.h"
#include "gen/generator.h"
#include "temp_dir.h"

namespace caseledger::gen {
namespace {

constexpr uint64_t kSeed = 20260301;
constexpr uint64_t kEvents = 50'000;

struct Generated {
  std::vector<std::string> lines;
  std::vector<Rule> anomalies;  // per line
  std::vector<bool> late;
  GeneratorSummary summary;
};

Generated Generate(const GeneratorOptions& options) {
  Generated out;
  Generator g(options);
  std::string_view line;
  LineInfo info;
  while (g.Next(line, info)) {
    EXPECT_EQ(info.number, out.lines.size() + 1);
    out.lines.emplace_back(line);
    out.anomalies.push_back(info.anomaly);
    out.late.push_back(info.late);
  }
  out.summary = g.summary();
  return out;
}

uint64_t Digest(const std::vector<std::string>& lines) {
  XXH3_state_t* state = XXH3_createState();
  XXH3_64bits_reset(state);
  for (const std::string& l : lines) {
    XXH3_64bits_update(state, l.data(), l.size());
    XXH3_64bits_update(state, "\n", 1);
  }
  const uint64_t digest = XXH3_64bits_digest(state);
  XXH3_freeState(state);
  return digest;
}

// A decoded line, with the payload's fields readable by name.
class Line {
 public:
  explicit Line(EventLine parsed) : parsed_(std::move(parsed)) {
    type_ = FindEventType(parsed_.event.type);
    words_ = kj::heapArray<capnp::word>(parsed_.event.payload.size() / 8);
    std::memcpy(words_.begin(), parsed_.event.payload.data(), words_.size() * sizeof(capnp::word));
    reader_.emplace(words_.asPtr());
    root_ = reader_->getRoot<capnp::DynamicStruct>(type_->schema);
  }
  const std::string& stream() const { return parsed_.stream; }
  const std::string& type() const { return parsed_.event.type; }
  const std::string& user() const { return parsed_.event.actor.user; }
  const std::string& role() const { return parsed_.event.actor.role; }
  Position corrects() const { return parsed_.event.corrects; }
  const EventLine& parsed() const { return parsed_; }
  int64_t occurred() const { return ToMicros(parsed_.event.occurred_at); }

  bool Has(const char* field) const { return root_.has(field); }
  std::string Text(const char* field) const { return root_.get(field).as<capnp::Text>().cStr(); }
  bool Bool(const char* field) const { return root_.get(field).as<bool>(); }
  uint64_t Unsigned(const char* field) const { return root_.get(field).as<uint64_t>(); }
  // The capnp name of an enum field ("casePlan", "leftBehind").
  std::string Enum(const char* field) const {
    KJ_IF_MAYBE (e, root_.get(field).as<capnp::DynamicEnum>().getEnumerant()) {
      return e->getProto().getName().cStr();
    }
    return "?";
  }
  std::vector<std::string> List(const char* field) const {
    std::vector<std::string> out;
    if (!root_.has(field)) return out;
    for (auto v : root_.get(field).as<capnp::DynamicList>()) {
      if (v.getType() == capnp::DynamicValue::TEXT) {
        out.push_back(v.as<capnp::Text>().cStr());
      } else {
        KJ_IF_MAYBE (e, v.as<capnp::DynamicEnum>().getEnumerant()) {
          out.push_back(e->getProto().getName().cStr());
        }
      }
    }
    return out;
  }

 private:
  EventLine parsed_;
  const EventType* type_;
  kj::Array<capnp::word> words_;
  std::optional<capnp::FlatArrayMessageReader> reader_;
  capnp::DynamicStruct::Reader root_;
};

// Replays DOMAIN.md's state machines over the lines in order and names the rule each line
// breaks ("" if none), with the ids of model.h's Rule where the generator labels them and
// other ids for breaks it must never produce. Lines that break a rule change no state
// (figures ignore them), nor do corrections and voids (they name earlier lines).
class StateChecker {
 public:
  std::string Check(const Line& l) {
    if (l.corrects() != 0 || l.type() == "EntryVoided") return "";
    const std::string& s = l.stream();
    if (s.rfind("case-", 0) == 0) return CheckCase(cases_[s], l);
    if (s.rfind("space-", 0) == 0) return CheckSpace(spaces_[s], l);
    if (!registered_.insert(s).second) return "registration.twice";
    return "";
  }

 private:
  struct Referral {
    std::string state, to_user;
  };
  struct Case {
    bool exists = false, open = false;
    std::map<std::string, Referral> referrals;
    std::set<std::string> planned, delivered, scheduled, completed;
    std::map<std::string, bool> pending_approval;  // by kind
    bool transfer = false;
    std::string transfer_to;
  };
  struct Space {
    bool exists = false, closed = false;
    std::unordered_set<std::string> enrolled;
  };

  static std::string CheckCase(Case& c, const Line& l) {
    const std::string& t = l.type();
    if (t == "CaseOpened") {
      if (c.exists) return "case.opened_twice";
      c.exists = c.open = true;
      return "";
    }
    if (!c.exists) return "case.event_before_opened";
    if (t == "CaseClosed") {
      if (!c.open) return "case.closed_twice";
      c.open = false;
    } else if (t == "CaseReopened") {
      if (c.open) return "case.reopened_while_open";
      c.open = true;
    } else if (t == "ReferralMade") {
      if (c.referrals.count(l.Text("referralId"))) return "referral.made_twice";
      c.referrals[l.Text("referralId")] = {"in_progress", l.Text("toUser")};
    } else if (t == "ReferralAccepted" || t == "ReferralRejected") {
      auto it = c.referrals.find(l.Text("referralId"));
      if (it == c.referrals.end()) return "referral.unknown";
      if (it->second.state != "in_progress") return "referral.answered_twice";
      if (l.user() != it->second.to_user) return "referral.not_recipient";
      it->second.state = t == "ReferralAccepted" ? "accepted" : "rejected";
    } else if (t == "ReferralCompleted") {
      auto it = c.referrals.find(l.Text("referralId"));
      if (it == c.referrals.end()) return "referral.unknown";
      if (it->second.state == "in_progress") return "referral.completed_before_accepted";
      if (it->second.state != "accepted") return "referral.completed_when_closed";
      if (l.user() != it->second.to_user) return "referral.completed_by_other";
      it->second.state = "completed";
    } else if (t == "ReferralRevoked") {
      auto it = c.referrals.find(l.Text("referralId"));
      if (it == c.referrals.end()) return "referral.unknown";
      if (it->second.state != "in_progress" && it->second.state != "accepted")
        return "referral.revoked_when_closed";
      it->second.state = "revoked";
    } else if (t == "ServicePlanned") {
      if (!c.planned.insert(l.Text("serviceId")).second) return "service.planned_twice";
    } else if (t == "ServiceDelivered") {
      if (!c.planned.count(l.Text("serviceId"))) return "service.delivered_unplanned";
      if (!c.delivered.insert(l.Text("serviceId")).second) return "service.delivered_twice";
    } else if (t == "FollowUpScheduled") {
      if (!c.scheduled.insert(l.Text("followUpId")).second) return "follow_up.scheduled_twice";
    } else if (t == "FollowUpCompleted") {
      if (!c.scheduled.count(l.Text("followUpId"))) return "follow_up.completed_unscheduled";
      if (!c.completed.insert(l.Text("followUpId")).second) return "follow_up.completed_twice";
    } else if (t == "ApprovalRequested") {
      bool& pending = c.pending_approval[l.Enum("kind")];
      if (pending) return "approval.requested_while_pending";
      pending = true;
    } else if (t == "ApprovalDecided") {
      bool& pending = c.pending_approval[l.Enum("kind")];
      if (!pending) return "approval.decided_without_request";
      pending = false;
    } else if (t == "TransferInitiated") {
      if (c.transfer) return "transfer.initiated_twice";
      c.transfer = true;
      c.transfer_to = l.Text("toUser");
    } else if (t == "TransferAccepted" || t == "TransferRejected") {
      if (!c.transfer)
        return t == "TransferAccepted" ? "transfer.accepted_without_transfer"
                                       : "transfer.rejected_without_transfer";
      if (l.user() != c.transfer_to) return "transfer.not_recipient";
      c.transfer = false;
    } else if (t == "TransferRevoked") {
      if (!c.transfer) return "transfer.revoked_without_transfer";
      c.transfer = false;
    }
    return "";
  }

  static std::string CheckSpace(Space& sp, const Line& l) {
    const std::string& t = l.type();
    if (t == "SpaceOpened") {
      if (sp.exists) return "space.opened_twice";
      sp.exists = true;
      return "";
    }
    if (!sp.exists) return "space.event_before_open";
    if (sp.closed) return "space.event_after_close";
    if (t == "SpaceClosed") {
      sp.closed = true;
    } else if (t == "ChildEnrolled") {
      sp.enrolled.insert(l.Text("childRef"));
    } else if (t == "AttendanceRecorded") {
      for (const std::string& ref : l.List("childRefs"))
        if (!sp.enrolled.count(ref)) return "attendance.child_not_enrolled";
    }
    return "";
  }

  std::unordered_map<std::string, Case> cases_;
  std::unordered_map<std::string, Space> spaces_;
  std::unordered_set<std::string> registered_;
};

// One generated data set, parsed once for the tests that read it.
class GeneratorOutput : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    data_ = new Generated(Generate({.seed = kSeed, .events = kEvents}));
    parsed_ = new std::vector<Line>();
    parsed_->reserve(data_->lines.size());
    for (size_t i = 0; i < data_->lines.size(); ++i) {
      auto line = ParseEventLine(data_->lines[i]);
      ASSERT_TRUE(line.ok()) << "line " << i + 1 << ": " << line.status().ToString() << "\n"
                             << data_->lines[i];
      parsed_->emplace_back(std::move(*line));
    }
  }
  static void TearDownTestSuite() {
    delete parsed_;
    delete data_;
  }
  static const Line& At(uint64_t number) {
    return (*parsed_)[number - 1];
  }  // 1-based, as positions

  static Generated* data_;
  static std::vector<Line>* parsed_;
};
Generated* GeneratorOutput::data_ = nullptr;
std::vector<Line>* GeneratorOutput::parsed_ = nullptr;

// ---- determinism ----

TEST(Generator, SameOptionsGiveTheSameBytesAndAnotherSeedOthers) {
  const Generated a = Generate({.seed = 7, .events = 20'000});
  const Generated b = Generate({.seed = 7, .events = 20'000});
  const Generated c = Generate({.seed = 8, .events = 20'000});
  ASSERT_EQ(a.lines.size(), 20'000u);
  EXPECT_EQ(a.lines, b.lines);
  EXPECT_NE(Digest(a.lines), Digest(c.lines));
  // Recorded from a run: any change to the generator's model changes it (and should be
  // deliberate); the random draws use no libm, so it holds on any platform.
  EXPECT_EQ(Digest(a.lines), 0x68ae192ea5c97262ULL) << std::hex << Digest(a.lines);
}

TEST(Generator, TheEventCountSizesTheWorldSoALongerRunIsNotAnExtension) {
  // --events sizes the world (communities) and the rates: the first lines of a longer run
  // are not the shorter run, except the very first (the administrator registers first).
  const Generated shorter = Generate({.seed = 7, .events = 30'000});
  const Generated longer = Generate({.seed = 7, .events = 60'000});
  EXPECT_EQ(shorter.lines.front(), longer.lines.front());
  EXPECT_FALSE(std::equal(shorter.lines.begin(), shorter.lines.end(), longer.lines.begin()));
}

TEST(Generator, RejectsOptionsOutOfRange) {
  EXPECT_EQ(ValidateOptions({.seed = 1, .events = 0}).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ValidateOptions({.seed = 1, .events = 10, .communities = 1}).code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(ValidateOptions({.seed = 1, .events = 10, .communities = 100'001}).code(),
            StatusCode::kInvalidArgument);
  EXPECT_TRUE(ValidateOptions({.seed = 1, .events = 10, .communities = 2}).ok());
}

TEST(Generator, TinyWorldsStillWork) {
  for (uint32_t communities : {2u, 3u, 7u}) {
    const Generated g = Generate({.seed = 3, .events = 3'000, .communities = communities});
    ASSERT_EQ(g.lines.size(), 3'000u);
    for (const std::string& l : g.lines) ASSERT_TRUE(ParseEventLine(l).ok()) << l;
    EXPECT_EQ(g.summary.communities, communities);
  }
}

// ---- the line format ----

TEST_F(GeneratorOutput, EveryLineParsesWithExactVersionsAndUniqueIds) {
  ASSERT_EQ(parsed_->size(), kEvents);
  std::unordered_map<std::string, int64_t> versions;  // current version per stream
  std::set<EventId> ids;
  for (uint64_t n = 1; n <= kEvents; ++n) {
    const EventLine& e = At(n).parsed();
    auto [it, fresh] = versions.try_emplace(e.stream, kNoStream);
    if (fresh) {
      EXPECT_EQ(e.expected_version.kind(), ExpectedVersion::Kind::kNoStream) << "line " << n;
    } else {
      ASSERT_EQ(e.expected_version.kind(), ExpectedVersion::Kind::kExact) << "line " << n;
      EXPECT_EQ(e.expected_version.version(), it->second) << "line " << n;
    }
    ++it->second;
    EXPECT_TRUE(ids.insert(e.event.id).second) << "line " << n << ": duplicate event id";
    EXPECT_NE(ToMicros(e.event.occurred_at), 0) << "line " << n;
    EXPECT_FALSE(e.event.actor.user.empty()) << "line " << n;
    const std::string& s = e.stream;
    EXPECT_TRUE(s.rfind("case-", 0) == 0 || s.rfind("space-", 0) == 0 ||
                s.rfind("community-", 0) == 0 || s.rfind("worker-", 0) == 0)
        << s;
  }
}

TEST_F(GeneratorOutput, LocationCodesNestAndCasesUseRegisteredCommunities) {
  std::set<std::string> communities, townships, locations;
  std::string province;
  for (const Line& l : *parsed_) {
    if (l.type() == "CommunityRegistered" && l.corrects() == 0) {
      const std::string code = l.Text("code");
      ASSERT_EQ(code.size(), 12u);
      if (province.empty()) province = code.substr(0, 2);
      EXPECT_EQ(code.substr(0, 2), province) << "one province";
      EXPECT_EQ(l.stream(), "community-" + code);
      communities.insert(code);
      townships.insert(code.substr(0, 9));
    }
    if (l.type() == "WorkerRegistered" && l.Has("locationCode"))
      locations.insert(l.Text("locationCode"));
    if (l.type() == "CaseOpened" || l.type() == "SpaceOpened") {
      EXPECT_TRUE(communities.count(l.Text("communityCode")))
          << l.stream() << ": community registered before";
    }
  }
  // A worker's scope is a registered community or a township (the prefix of one).
  for (const std::string& code : locations)
    EXPECT_TRUE(communities.count(code) || townships.count(code)) << code;
  EXPECT_EQ(communities.size(), data_->summary.communities);
  EXPECT_GT(townships.size(), 1u);
  std::set<std::string> counties;
  for (const std::string& t : townships) counties.insert(t.substr(0, 6));
  EXPECT_GE(counties.size(), 2u);
}

TEST_F(GeneratorOutput, WorkersOfEveryRoleAreRegistered) {
  std::map<std::string, int> roles;
  for (const Line& l : *parsed_)
    if (l.type() == "WorkerRegistered") ++roles[l.Enum("role")];
  EXPECT_EQ(roles["admin"], 1);
  EXPECT_GE(roles["auditor"], 1);
  EXPECT_EQ(roles["childrenDirector"], static_cast<int>(data_->summary.communities));
  EXPECT_GE(roles["supervisor"], 2);
  EXPECT_GE(roles["caseworker"], 4);
  EXPECT_GE(roles["serviceProvider"], 10);
}

// ---- state machines and labels ----

TEST_F(GeneratorOutput, StateMachinesHoldExceptOnLabelledAnomalies) {
  StateChecker checker;
  uint64_t labelled = 0;
  for (uint64_t n = 1; n <= kEvents; ++n) {
    const std::string broken = checker.Check(At(n));
    const Rule label = data_->anomalies[n - 1];
    labelled += label != Rule::kNone;
    EXPECT_EQ(broken, std::string(Describe(label).id))
        << "line " << n << " (" << At(n).stream() << " " << At(n).type() << ")";
  }
  EXPECT_GT(labelled, kEvents / 1000) << "anomalies are a visible share";
  EXPECT_LT(labelled, kEvents / 50);
}

TEST_F(GeneratorOutput, EveryAnomalyRuleOccurs) {
  std::set<Rule> seen(data_->anomalies.begin(), data_->anomalies.end());
  // A space closes rarely and leaves an anomaly less often still; the others are common.
  for (int r = 1; r < kRuleCount; ++r) {
    if (static_cast<Rule>(r) == Rule::kSpaceEventAfterClose) continue;
    EXPECT_TRUE(seen.count(static_cast<Rule>(r))) << Describe(static_cast<Rule>(r)).id;
  }
}

TEST_F(GeneratorOutput, ReferralResponsesFollowTheirReferralAndComeFromTheRecipient) {
  std::map<std::pair<std::string, std::string>, std::string> made;  // (stream, id) -> toUser
  uint64_t responses = 0;
  for (uint64_t n = 1; n <= kEvents; ++n) {
    const Line& l = At(n);
    if (l.type() == "ReferralMade") made[{l.stream(), l.Text("referralId")}] = l.Text("toUser");
    if (l.type().rfind("Referral", 0) != 0 || l.type() == "ReferralMade") continue;
    if (data_->anomalies[n - 1] != Rule::kNone) continue;
    ++responses;
    auto it = made.find({l.stream(), l.Text("referralId")});
    ASSERT_NE(it, made.end()) << "line " << n << ": " << l.type() << " before its ReferralMade";
    if (l.type() == "ReferralAccepted" || l.type() == "ReferralRejected" ||
        l.type() == "ReferralCompleted") {
      EXPECT_EQ(l.user(), it->second) << "line " << n;
      EXPECT_EQ(l.role(), "service_provider") << "line " << n;
    }
  }
  EXPECT_GT(responses, 500u);
}

TEST_F(GeneratorOutput, CorrectionsAndVoidsNameEarlierLinesOfTheirStream) {
  uint64_t corrections = 0, voids = 0;
  for (uint64_t n = 1; n <= kEvents; ++n) {
    const Line& l = At(n);
    if (l.corrects() != 0) {
      ++corrections;
      ASSERT_LT(l.corrects(), n) << "line " << n;
      const Line& original = At(l.corrects());
      EXPECT_EQ(original.stream(), l.stream()) << "line " << n;
      EXPECT_EQ(original.type(), l.type()) << "line " << n;
      EXPECT_EQ(original.occurred(), l.occurred())
          << "line " << n << ": a correction restates the occurredAt";
      EXPECT_EQ(original.corrects(), 0u) << "line " << n << ": corrects a correction";
      EXPECT_FALSE(l.parsed().event.correction_reason.empty());
    }
    if (l.type() == "EntryVoided") {
      ++voids;
      const uint64_t target = l.Unsigned("position");
      ASSERT_LT(target, n) << "line " << n;
      EXPECT_EQ(At(target).stream(), l.stream()) << "line " << n;
      EXPECT_TRUE(At(target).type() == "NoteAdded" || At(target).type() == "AttendanceRecorded")
          << At(target).type();
    }
  }
  EXPECT_EQ(corrections, data_->summary.corrections);
  EXPECT_EQ(voids, data_->summary.voided);
  for (uint64_t count : {corrections, voids}) {
    EXPECT_GT(count, kEvents / 2000);
    EXPECT_LT(count, kEvents / 20);
  }
}

// ---- plausibility ----

TEST_F(GeneratorOutput, TimesAdvanceWithinStreamsAndAFewLinesAreLate) {
  std::unordered_map<std::string, int64_t> last;  // per stream
  int64_t max_so_far = INT64_MIN;
  uint64_t late = 0;
  for (uint64_t n = 1; n <= kEvents; ++n) {
    const Line& l = At(n);
    const int64_t t = l.occurred();
    if (l.corrects() == 0) {
      auto [it, fresh] = last.try_emplace(l.stream(), t);
      EXPECT_GE(t, it->second) << "line " << n << ": occurredAt goes back within " << l.stream();
      it->second = t;
      const bool is_late = t < max_so_far;
      EXPECT_EQ(is_late, data_->late[n - 1]) << "line " << n;
      late += is_late;
    }
    max_so_far = std::max(max_so_far, t);
    // Working hours in China: 08:00-20:00 UTC+8.
    EXPECT_LT(t / 1'000'000 % 86400, 12 * 3600) << "line " << n;
  }
  EXPECT_GT(late, kEvents / 200);
  EXPECT_LT(late, kEvents / 20);
  const double days =
      static_cast<double>(data_->summary.last_occurred - data_->summary.first_occurred) / 86400;
  EXPECT_GT(days, 300) << "about 18 months";
  EXPECT_LT(days, 800);
}

TEST_F(GeneratorOutput, ShareOfLeftBehindChildrenIsPlausible) {
  uint64_t cases = 0, left_behind = 0, flagged = 0;
  std::map<std::string, int> channels;
  for (const Line& l : *parsed_) {
    if (l.type() != "CaseOpened") continue;
    ++cases;
    const auto v = l.List("vulnerabilities");
    left_behind += std::find(v.begin(), v.end(), "leftBehind") != v.end();
    flagged += !v.empty();
    ++channels[l.Enum("identificationChannel")];
  }
  ASSERT_GT(cases, 1000u);
  const double share = static_cast<double>(left_behind) / cases;
  EXPECT_GT(share, 0.25) << share;
  EXPECT_LT(share, 0.45) << share;
  EXPECT_GT(static_cast<double>(flagged) / cases, 0.5);
  EXPECT_GE(channels.size(), 5u);
}

TEST_F(GeneratorOutput, CoverageMeetsTheTargetInSomeCountiesAndNotInOthers) {
  std::map<std::string, std::set<std::string>> communities;  // county -> community codes
  std::map<std::string, std::string> space_community;
  std::map<std::string, int> open_spaces;  // community -> open places
  for (const Line& l : *parsed_) {
    if (l.type() == "CommunityRegistered" && l.corrects() == 0)
      communities[l.Text("code").substr(0, 6)].insert(l.Text("code"));
    if (l.type() == "SpaceOpened") {
      space_community[l.Text("spaceId")] = l.Text("communityCode");
      ++open_spaces[l.Text("communityCode")];
    }
    if (l.type() == "SpaceClosed") --open_spaces[space_community[l.Text("spaceId")]];
  }
  int above = 0, below = 0;
  for (const auto& [county, codes] : communities) {
    int covered = 0;
    for (const std::string& c : codes) covered += open_spaces[c] > 0;
    (static_cast<double>(covered) / codes.size() >= 0.9 ? above : below)++;
  }
  EXPECT_GE(above, 1);
  EXPECT_GE(below, 1);
}

TEST_F(GeneratorOutput, PersonalFieldsHoldSyntheticText) {
  for (const Line& l : *parsed_) {
    if (l.type() != "CaseOpened") continue;
    const auto json = PayloadToJson(*FindEventType("CaseOpened"), l.parsed().event.payload);
    ASSERT_TRUE(json.ok());
    EXPECT_NE(json->find(R"("name":")"), std::string::npos) << *json;
    EXPECT_NE(json->find(R"("address":")"), std::string::npos) << *json;
    break;
  }
}

// ---- outputs ----

TEST(Generator, WritesNdjsonAndAnAnomaliesTsvOfRealBreaks) {
  testing::TempDir dir;
  const std::string file = dir.Sub("events.ndjson"), tsv = file + ".anomalies.tsv";
  const GeneratorOptions options{.seed = 11, .events = 15'000};
  GeneratorSummary summary;
  ASSERT_TRUE(WriteNdjson(options, file, tsv, &summary).ok());
  EXPECT_EQ(summary.lines, 15'000u);

  std::ifstream in(file);
  std::vector<std::string> lines;
  for (std::string l; std::getline(in, l);) lines.push_back(l);
  EXPECT_EQ(lines, Generate(options).lines) << "the file holds the generator's lines";

  std::ifstream anomalies(tsv);
  std::string header;
  std::getline(anomalies, header);
  EXPECT_EQ(header, "line\tstream\ttype\trule\tdescription");
  std::map<uint64_t, std::string> listed;
  for (std::string row; std::getline(anomalies, row);) {
    std::istringstream fields(row);
    std::string number, stream, type, rule;
    std::getline(fields, number, '\t');
    std::getline(fields, stream, '\t');
    std::getline(fields, type, '\t');
    std::getline(fields, rule, '\t');
    const uint64_t n = std::stoull(number);
    ASSERT_LE(n, lines.size());
    EXPECT_NE(lines[n - 1].find("\"stream\":\"" + stream + "\",\"type\":\"" + type + "\""),
              std::string::npos);
    listed[n] = rule;
  }
  EXPECT_EQ(listed.size(), summary.anomalies);

  StateChecker checker;
  std::map<uint64_t, std::string> broken;
  for (uint64_t n = 1; n <= lines.size(); ++n) {
    auto parsed = ParseEventLine(lines[n - 1]);
    ASSERT_TRUE(parsed.ok());
    const std::string rule = checker.Check(Line(std::move(*parsed)));
    if (!rule.empty()) broken[n] = rule;
  }
  EXPECT_EQ(listed, broken);
}

TEST(Generator, AppendsToAnEmptyLedgerInFileOrder) {
  testing::TempDir dir;
  const std::string key = dir.Sub("master.key"), ledger_dir = dir.Sub("ledger");
  ASSERT_TRUE(CreateMasterKeyFile(key).ok());
  CreateOptions create;
  create.master_key_file = key;
  ASSERT_TRUE(Ledger::Create(ledger_dir, create).ok());
  LedgerOptions open;
  open.master_key_file = key;
  auto ledger = Ledger::Open(ledger_dir, open);
  ASSERT_TRUE(ledger.ok()) << ledger.status().ToString();

  const GeneratorOptions options{.seed = 5, .events = 4'000};
  GeneratorSummary summary;
  Status s = AppendToLedger(options, **ledger, 500, &summary);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ((*ledger)->CommittedPosition(), 4'000u);

  const Generated expected = Generate(options);
  auto recorded = (*ledger)->ReadAll(1, 4'000);
  ASSERT_TRUE(recorded.ok());
  ASSERT_EQ(recorded->size(), 4'000u);
  for (size_t i = 0; i < recorded->size(); ++i) {
    auto line = ParseEventLine(expected.lines[i]);
    ASSERT_TRUE(line.ok());
    const RecordedEvent& r = (*recorded)[i];
    EXPECT_EQ(r.position, i + 1);
    EXPECT_EQ(r.stream, line->stream);
    EXPECT_EQ(r.event.id, line->event.id);
    EXPECT_EQ(r.event.corrects, line->event.corrects);
  }

  // A second run would name positions that are taken: refused before anything is written.
  s = AppendToLedger(options, **ledger, 500, &summary);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << s.ToString();
  EXPECT_EQ((*ledger)->CommittedPosition(), 4'000u);
}

TEST(Generator, RefusesALedgerOpenedWithoutItsMasterKeyBeforeWriting) {
  ::unsetenv("CASELEDGER_MASTER_KEY_FILE");  // the library's fallback for the key
  testing::TempDir dir;
  const std::string key = dir.Sub("master.key"), ledger_dir = dir.Sub("ledger");
  ASSERT_TRUE(CreateMasterKeyFile(key).ok());
  CreateOptions create;
  create.master_key_file = key;
  ASSERT_TRUE(Ledger::Create(ledger_dir, create).ok());
  auto ledger = Ledger::Open(ledger_dir, {});
  ASSERT_TRUE(ledger.ok()) << ledger.status().ToString();
  const Status s = AppendToLedger({.seed = 5, .events = 1'000}, **ledger, 500, nullptr);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << s.ToString();
  EXPECT_EQ((*ledger)->CommittedPosition(), 0u);
}

}  // namespace
}  // namespace caseledger::gen
