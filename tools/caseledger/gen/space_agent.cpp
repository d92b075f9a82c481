// A children's place (stream space-<spaceId>): it opens, enrols children (a first wave,
// then a trickle up to capacity), holds attendance sessions a few times a week with
// activities, and a few close again.
//
// Children attend with a propensity of their own (regulars, occasional, rare), so some
// are "regular" (4+ attendances in 30 days) and some not. Rarely: an enrolment or
// activity recorded wrongly and corrected later (the original has the wrong age band or
// count, the correction the right one), an attendance entered twice and the duplicate
// voided, an attendance naming a child never enrolled (labelled anomaly), an activity after
// the place closed (labelled anomaly). The place closes only with nothing else pending,
// so no unlabelled line follows its SpaceClosed.
#include <algorithm>
#include <array>
#include <cstdio>

#include "gen/agent.h"
#include "gen/random.h"
#include "gen/texts.h"

namespace caseledger::gen {
namespace {

// Participants by sex (female, male, unknown) and age band.
using Counts = std::array<uint16_t, 12>;

class SpaceAgent final : public Agent {
 public:
  SpaceAgent(uint32_t number, const PlannedSpace& plan, uint64_t seed)
      : number_(number), plan_(plan), rng_(Random::For(seed, kSpacePurpose, number)) {
    char id[24];
    std::snprintf(id, sizeof id, "sp-%05u", number);
    id_ = id;
    stream_ = "space-" + id_;
  }

  std::optional<int64_t> Step(int64_t now, Emitter& out) override {
    if (!opened_) {
      Open(now, out);
    } else {
      switch (next_) {
        case Action::kPending:
          RunPending(now, out);
          break;
        case Action::kEnrol:
          Enrol(now, out);
          break;
        case Action::kSession:
          Session(now, out);
          break;
        case Action::kClose:
          Close(now, out);
          break;
      }
    }
    return Schedule(now);
  }

 private:
  enum class Action { kPending, kEnrol, kSession, kClose };
  enum class PendingKind {
    kActivity,
    kActivityCorrection,
    kDuplicateAttendance,
    kVoid,
    kEnrolCorrection,
    kStrayAttendance,
    kAfterClose,
  };
  struct Kid {
    std::array<char, 15>
        ref;  // "ch-" and 12 hex digits (AppendChildRef), kept: attendance lists repeat it
    uint32_t index;
    Sex sex;
    AgeBand band;
    bool left_behind;
    float propensity;
  };
  struct Pending {
    int64_t at = 0;
    PendingKind kind = PendingKind::kActivity;
    uint64_t line = 0;               // the line corrected or voided
    uint32_t kid = 0;                // kEnrolCorrection
    bool correct_later = false;      // kActivity: written with a wrong count, corrected afterwards
    Counts counts{};                 // kActivity, kActivityCorrection
    std::vector<uint32_t> present;   // kDuplicateAttendance: roster indexes
    int64_t day = 0;                 // kDuplicateAttendance, kStrayAttendance
    const char* activity = nullptr;  // kActivityCorrection
    int64_t occurred = 0;            // corrections restate the original's occurredAt
  };

  void Open(int64_t now, Emitter& out) {
    World& world = out.world;
    const Community& community = world.communities[plan_.community];
    const Township& township = world.townships[community.township];
    const County& county = world.counties[township.county];
    opened_ = true;
    ++world.open_spaces[plan_.community];
    capacity_ =
        static_cast<uint32_t>(community.urban ? rng_.Between(30, 121) : rng_.Between(20, 81));
    initial_ = static_cast<uint32_t>(capacity_ * (0.35 + 0.4 * rng_.Real()));
    sessions_per_week_ = out.rates.sessions_per_week * (0.6 + 0.8 * rng_.Real());
    director_ = community.director;
    next_enrol_ = now + rng_.Between(kDay, 4 * kDay);
    next_session_ = now + rng_.Between(5 * kDay, 10 * kDay);

    const uint32_t opener = rng_.Chance(0.75) ? director_ : township.supervisors.front();
    LineWriter& line = out.Begin(stream_, "SpaceOpened", Version(), now, opener);
    line.Text("spaceId", id_);
    line.Text("communityCode", community.code);
    line.OpenList("services");
    const double offered[] = {0.95, 0.6, 0.45, 0.7};
    bool any = false;
    for (int s = 0; s < 4; ++s) {
      if (rng_.Chance(offered[s]) || (s == 3 && !any)) {
        line.ListText(kSpaceServiceNames[s]);
        any = true;
      }
    }
    line.CloseList();
    const uint32_t op = rng_.Pick({0.65, 0.15, county.ngo >= 0 ? 0.2 : 0.0});
    const uint32_t operator_agency = op == 0   ? community.committee
                                     : op == 1 ? township.office
                                               : static_cast<uint32_t>(county.ngo);
    line.Text("operator", world.agencies[operator_agency].id);
    line.Number("capacity", capacity_);
    line.End();
  }

  void Enrol(int64_t now, Emitter& out) {
    const Community& community = out.world.communities[plan_.community];
    Kid kid;
    kid.index = static_cast<uint32_t>(roster_.size());
    kid.sex = rng_.Chance(0.005) ? Sex::kUnknown : rng_.Chance(0.5) ? Sex::kFemale : Sex::kMale;
    kid.band = static_cast<AgeBand>(rng_.Pick({0.2, 0.5, 0.3}));
    kid.left_behind = rng_.Chance(community.urban ? 0.15 : 0.4);
    const uint32_t habit = rng_.Pick({0.4, 0.35, 0.25});  // regular, occasional, rare
    kid.propensity = static_cast<float>(habit == 0   ? 0.7 + 0.25 * rng_.Real()
                                        : habit == 1 ? 0.25 + 0.35 * rng_.Real()
                                                     : 0.05 + 0.15 * rng_.Real());
    out.scratch.clear();
    AppendChildRef(out.scratch, out.seed, kEnrolledChild, (uint64_t{number_} << 20) | kid.index);
    std::copy_n(out.scratch.begin(), kid.ref.size(), kid.ref.begin());
    roster_.push_back(kid);
    const bool mistyped = rng_.Chance(0.01);
    // A mistyped enrolment shows the neighbouring age band; the correction the real one.
    const AgeBand written = mistyped ? static_cast<AgeBand>(static_cast<int>(kid.band) == 0
                                                                ? 1
                                                                : static_cast<int>(kid.band) - 1)
                                     : kid.band;
    WriteEnrolment(now, out, kid, written);
    if (mistyped) {
      Pending& p =
          AddPending(now + rng_.Between(2 * kHour, 7 * kDay), PendingKind::kEnrolCorrection);
      p.line = out.line_number();
      p.kid = kid.index;
      p.occurred = now;
    }
    if (roster_.size() < initial_) {
      next_enrol_ = now + rng_.Between(kHour, 16 * kHour);
    } else if (roster_.size() < capacity_) {
      next_enrol_ = now + static_cast<int64_t>(rng_.Exponential(12.0 * kDay)) + kHour;
    } else {
      next_enrol_ = kNever;
    }
  }

  void WriteEnrolment(int64_t now, Emitter& out, const Kid& kid, AgeBand band,
                      uint64_t corrects = 0) {
    LineWriter& line = out.Begin(stream_, "ChildEnrolled", Version(), now, director_, corrects,
                                 corrects ? "age band entered wrongly" : std::string_view{});
    line.Text("spaceId", id_);
    line.Text("childRef", RefOf(kid));
    line.Text("sex", kSexNames[static_cast<int>(kid.sex)]);
    line.Text("ageBand", kAgeBandNames[static_cast<int>(band)]);
    line.Bool("leftBehind", kid.left_behind);
    line.End();
  }

  void Session(int64_t now, Emitter& out) {
    std::vector<uint32_t> present;
    for (const Kid& kid : roster_)
      if (rng_.Real() < kid.propensity) present.push_back(kid.index);
    if (present.empty()) present.push_back(rng_.Below(static_cast<uint32_t>(roster_.size())));
    const int64_t day = DayOf(WallClock(now));
    WriteAttendance(now, out, day, present);
    if (rng_.Chance(0.6)) {
      Pending& activity =
          AddPending(now + rng_.Between(20 * kMinute, 2 * kHour), PendingKind::kActivity);
      for (uint32_t k : present)
        ++activity.counts[static_cast<int>(roster_[k].sex) * 4 + static_cast<int>(roster_[k].band)];
      activity.correct_later = rng_.Chance(0.01);
    }
    if (rng_.Chance(0.005)) {
      Pending& duplicate =
          AddPending(now + rng_.Between(5 * kMinute, kHour), PendingKind::kDuplicateAttendance);
      duplicate.present = present;
      duplicate.day = day;
    } else if (rng_.Chance(0.003)) {
      AddPending(now + rng_.Between(10 * kMinute, kHour), PendingKind::kStrayAttendance).day = day;
    }
    next_session_ =
        now + static_cast<int64_t>(kWeek / sessions_per_week_ * (0.6 + 0.8 * rng_.Real()));
  }

  void WriteAttendance(int64_t now, Emitter& out, int64_t day,
                       const std::vector<uint32_t>& present) {
    LineWriter& line = out.Begin(stream_, "AttendanceRecorded", Version(), now, director_);
    line.Text("spaceId", id_);
    line.Date("date", day);
    line.OpenList("childRefs");
    for (uint32_t k : present) line.ListText(RefOf(roster_[k]));
    line.CloseList();
    line.End();
  }

  void WriteActivity(int64_t now, Emitter& out, const Counts& counts, const char* kind,
                     uint64_t corrects = 0) {
    LineWriter& line =
        out.Begin(stream_, "ActivityHeld", Version(), now, director_, corrects,
                  corrects ? "participant count entered wrongly" : std::string_view{});
    line.Text("spaceId", id_);
    line.Text("kind", kind);
    line.OpenList("participants");
    for (int i = 0; i < 12; ++i) {
      if (counts[i] == 0) continue;
      line.OpenListObject();
      line.Text("sex", kSexNames[i / 4]);
      line.Text("ageBand", kAgeBandNames[i % 4]);
      line.Number("count", counts[i]);
      line.CloseObject();
    }
    line.CloseList();
    line.End();
  }

  void RunPending(int64_t now, Emitter& out) {
    Pending p = std::move(pending_.front());
    pending_.erase(pending_.begin());
    switch (p.kind) {
      case PendingKind::kActivity: {
        const char* kind = ActivityKind(rng_);
        if (!p.correct_later) {
          WriteActivity(now, out, p.counts, kind);
          break;
        }
        // Written with one participant too many; the correction restates it with the right counts.
        Counts wrong = p.counts;
        ++wrong[rng_.Below(12)];
        WriteActivity(now, out, wrong, kind);
        Pending& correction =
            AddPending(now + rng_.Between(kHour, 5 * kDay), PendingKind::kActivityCorrection);
        correction.line = out.line_number();
        correction.counts = p.counts;
        correction.activity = kind;
        correction.occurred = now;
        break;
      }
      case PendingKind::kActivityCorrection:
        WriteActivity(p.occurred, out, p.counts, p.activity, p.line);
        break;
      case PendingKind::kVoid: {
        LineWriter& line = out.Begin(stream_, "EntryVoided", Version(), now, director_);
        line.Number("position", p.line);
        line.Text("reason", "duplicate entry: the same attendance was recorded twice");
        line.End();
        break;
      }
      case PendingKind::kDuplicateAttendance:
        WriteAttendance(now, out, p.day, p.present);
        AddPending(now + rng_.Between(kDay, 5 * kDay), PendingKind::kVoid).line = out.line_number();
        break;
      case PendingKind::kEnrolCorrection: {
        const Kid& kid = roster_[p.kid];
        WriteEnrolment(p.occurred, out, kid, kid.band, p.line);
        break;
      }
      case PendingKind::kStrayAttendance: {
        // A visiting child recorded as present without being enrolled.
        LineWriter& line = out.Begin(stream_, "AttendanceRecorded", Version(), now, director_);
        out.Label(Rule::kAttendanceChildNotEnrolled);
        line.Text("spaceId", id_);
        line.Date("date", p.day);
        line.OpenList("childRefs");
        out.scratch.clear();
        AppendChildRef(out.scratch, out.seed, kStrayChild, (uint64_t{number_} << 20) | strays_++);
        line.ListText(out.scratch);
        line.CloseList();
        line.End();
        break;
      }
      case PendingKind::kAfterClose: {
        Counts counts{};
        counts[rng_.Below(8)] = static_cast<uint16_t>(3 + rng_.Below(10));
        WriteActivity(now, out, counts, ActivityKind(rng_));
        out.Label(Rule::kSpaceEventAfterClose);
        break;
      }
    }
  }

  void Close(int64_t now, Emitter& out) {
    closed_ = true;
    --out.world.open_spaces[plan_.community];
    LineWriter& line = out.Begin(stream_, "SpaceClosed", Version(), now, director_);
    line.Text("spaceId", id_);
    line.Text("reason", rng_.Chance(0.5) ? "premises no longer available" : "funding ended");
    line.End();
    if (rng_.Chance(0.4)) AddPending(now + rng_.Between(kDay, 20 * kDay), PendingKind::kAfterClose);
  }

  // The next action and its time: pending items first; enrolments and sessions while open
  // (and before the planned closing); the closing once nothing is pending.
  std::optional<int64_t> Schedule(int64_t now) {
    const int64_t close_at = plan_.closes_at == 0 || closed_ ? kNever : plan_.closes_at;
    int64_t best = kNever;
    if (!pending_.empty()) {
      best = pending_.front().at;
      next_ = Action::kPending;
    }
    if (!closed_) {
      if (next_enrol_ < close_at && next_enrol_ < best) {
        best = next_enrol_;
        next_ = Action::kEnrol;
      }
      if (!roster_.empty() && next_session_ < close_at && next_session_ < best) {
        best = next_session_;
        next_ = Action::kSession;
      }
      if (close_at != kNever && pending_.empty() && std::max(close_at, now) < best) {
        best = std::max(close_at, now);
        next_ = Action::kClose;
      }
    }
    if (best == kNever) return std::nullopt;
    if (!roster_.empty() && next_session_ < now)
      next_session_ = now;  // never schedule into the past
    return std::max(best, now);
  }

  // A new pending item at `at`, after those due at the same time; valid until the next call.
  Pending& AddPending(int64_t at, PendingKind kind) {
    auto it = std::upper_bound(pending_.begin(), pending_.end(), at,
                               [](int64_t t, const Pending& q) { return t < q.at; });
    it = pending_.insert(it, Pending{});
    it->at = at;
    it->kind = kind;
    return *it;
  }

  static std::string_view RefOf(const Kid& kid) { return {kid.ref.data(), kid.ref.size()}; }

  int64_t Version() { return version_++; }  // the version before the line being written

  static constexpr int64_t kNever = INT64_MAX;

  uint32_t number_;
  PlannedSpace plan_;
  Random rng_;
  std::string id_, stream_;
  bool opened_ = false, closed_ = false;
  int64_t version_ = -1;
  uint32_t capacity_ = 0, initial_ = 0, director_ = 0, strays_ = 0;
  double sessions_per_week_ = 1;
  int64_t next_enrol_ = 0, next_session_ = 0;
  Action next_ = Action::kEnrol;
  std::vector<Kid> roster_;
  std::vector<Pending> pending_;
};

}  // namespace

std::unique_ptr<Agent> NewSpaceAgent(uint32_t space_number, const PlannedSpace& plan,
                                     uint64_t seed) {
  return std::make_unique<SpaceAgent>(space_number, plan, seed);
}

double ExpectedSpaceLines(double weeks, double sessions_per_week, uint32_t capacity) {
  const double enrolments = std::min<double>(capacity, 0.55 * capacity + weeks * 7 / 12);
  return 1 + enrolments + weeks * sessions_per_week * 1.61;
}

}  // namespace caseledger::gen
