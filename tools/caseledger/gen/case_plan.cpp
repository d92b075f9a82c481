// Planning a case's timeline (case_agent.h), and the source that opens cases.
#include <algorithm>
#include <bit>
#include <cstdio>

#include "gen/case_agent.h"
#include "gen/random.h"

namespace caseledger::gen::cases {

CaseAgent::CaseAgent(uint32_t number, uint32_t community, int64_t open, const World& world,
                     uint64_t seed)
    : number_(number), community_(community), rng_(Random::For(seed, kCasePurpose, number)) {
  char id[16];
  std::snprintf(id, sizeof id, "%06u", number);
  id_ = id;
  stream_ = "case-" + id_;
  Build(world, open, seed);
}

uint32_t CaseAgent::Add(Kind kind, int64_t at, uint32_t actor, uint32_t ref, uint8_t flag,
                        int64_t when) {
  Item& item = items_.emplace_back();
  item.emit = item.occurred = at;
  item.when = when;
  item.actor = actor;
  item.ref = ref;
  item.order = static_cast<uint32_t>(items_.size() - 1);
  item.kind = kind;
  item.flag = flag;
  return item.order;
}

void CaseAgent::Build(const World& world, int64_t open, uint64_t seed) {
  const Community& community = world.communities[community_];
  const Township& township = world.townships[community.township];
  county_ = township.county;
  const County& county = world.counties[county_];
  director_ = community.director;
  supervisor_ =
      township.supervisors[rng_.Below(static_cast<uint32_t>(township.supervisors.size()))];
  seed_ = seed;

  // The child.
  sex_ = rng_.Chance(0.01) ? Sex::kUnknown : rng_.Chance(0.47) ? Sex::kFemale : Sex::kMale;
  static const double kAgeWeights[18] = {2, 2, 3, 4, 5, 6, 7, 8, 8, 8, 8, 8, 8, 7, 7, 6, 5, 4};
  age_ = static_cast<int>(rng_.Pick(kAgeWeights));
  const int64_t open_day = DayOf(WallClock(open));
  birth_day_ = open_day - age_ * 365 - rng_.Below(365);
  birth_known_ = age_ <= 2 || rng_.Chance(0.8);
  uint8_t v = 0;
  if (rng_.Chance(community.urban ? 0.2 : 0.45)) v |= kLeftBehind;
  if (rng_.Chance(0.08)) v |= kDisability;
  if (rng_.Chance(0.03)) v |= kNoHouseholdRegistration;
  if (rng_.Chance(age_ >= 12 ? 0.2 : age_ >= 6 ? 0.06 : 0)) v |= kOutOfSchool;
  if (rng_.Chance(0.06)) v |= kMissingGuardianship;
  if (rng_.Chance(0.1)) v |= kOtherVulnerability;
  vulnerabilities_ = v;
  const bool has_space = world.open_spaces[community_] > 0;
  channel_ = static_cast<Channel>(rng_.Pick({0.38, has_space ? 0.14 : 0.0, 0.2, 0.09, 0.07, 0.08}));

  // Who opens it and who owns it: directors find children on home visits and in the
  // children's place; referrals from schools, the hotline and the police reach a
  // caseworker (or the supervisor) directly. A case a director opens may wait for a
  // supervisor to assign an owner.
  const bool by_director = channel_ == Channel::kHomeVisit || channel_ == Channel::kSpace;
  const uint32_t caseworker = PickCaseworker(county);
  if (by_director) {
    opener_ = director_;
    owner_ = rng_.Chance(0.15) ? kNobody : caseworker;
  } else {
    opener_ = rng_.Chance(0.1) ? supervisor_ : caseworker;
    owner_ = caseworker;
  }
  agency_ = owner_ != kNobody ? world.workers[owner_].agency : county.civil_affairs;

  Add(Kind::kCaseOpened, open, opener_);
  int64_t owner_ready = open;
  uint32_t owner = owner_;
  if (owner == kNobody) {
    // Most within the 3 h Primero default; some wait longer (the awaiting_assignment figure).
    const int64_t wait = std::clamp<int64_t>(static_cast<int64_t>(rng_.LogNormal(2.5 * kHour, 0.9)),
                                             20 * kMinute, 3 * kDay);
    owner = caseworker;
    Add(Kind::kCaseAssigned, open + wait, supervisor_, owner);
    owner_ready = open + wait;
  }

  // Consent: a young child's caregiver; an older child, often the caregiver as well.
  const bool services = rng_.Chance(0.97), disclosure = rng_.Chance(0.94),
             reporting = rng_.Chance(0.93);
  const uint8_t consent = (services ? kForServices : 0) | (disclosure ? kDisclosure : 0) |
                          (reporting ? kForReporting : 0);
  const uint32_t recorder = opener_;
  int64_t t = open + rng_.Between(10 * kMinute, 2 * kDay);
  if (age_ >= 10) {
    Add(Kind::kConsentRecorded, t, recorder, 0, consent);
    if (rng_.Chance(0.6)) {
      t += rng_.Between(5 * kMinute, 3 * kDay);
      Add(Kind::kConsentRecorded, t, recorder, 0, consent | kCaregiverSubject);
    }
  } else {
    Add(Kind::kConsentRecorded, t, recorder, 0, consent | kCaregiverSubject);
  }
  bool urgent = false;
  if (rng_.Chance(0.6)) {
    urgent = rng_.Chance(0.12);
    Add(Kind::kProtectionConcernsRecorded, open + rng_.Between(20 * kMinute, 2 * kDay), recorder, 0,
        urgent);
  }

  // Risk and assessment.
  const int64_t ready = std::max(owner_ready, open) + 10 * kMinute;
  const int flags = std::popcount(v);
  risk_ = urgent
              ? RiskLevel::kHigh
              : static_cast<RiskLevel>(rng_.Pick({0.5 - 0.05 * flags, 0.36, 0.14 + 0.05 * flags}));
  int64_t t_risk = ready + (risk_ == RiskLevel::kHigh ? rng_.Between(30 * kMinute, 12 * kHour)
                                                      : rng_.Between(6 * kHour, 6 * kDay));
  if (rng_.Chance(0.96)) {
    Add(Kind::kRiskAssessed, t_risk, kOwner, 0, static_cast<uint8_t>(risk_));
  } else {
    t_risk = ready;
  }
  // A simple case (a low or medium risk met by one service or a few visits) skips the
  // formal assessment and plan and closes within weeks; the others take months.
  const bool simple = risk_ != RiskLevel::kHigh && rng_.Chance(0.25);
  int64_t t_base = t_risk;
  if (!simple && rng_.Chance(0.8)) {
    const int64_t requested = t_risk + rng_.Between(kHour, 2 * kDay);
    Add(Kind::kAssessmentRequested, requested, kOwner, 0, 0,
        requested + rng_.Between(7 * kDay, 30 * kDay));
    if (rng_.Chance(0.9)) {
      t_base = requested + rng_.Between(3 * kDay, 45 * kDay);
      Add(Kind::kAssessmentCompleted, t_base, kOwner);
      if (rng_.Chance(0.25))
        Approval(ApprovalKind::kAssessment, t_base + rng_.Between(kHour, kDay), 0.9);
    }
  }

  // The case plan, approved by the supervisor (a rejected plan is revised and resubmitted).
  int64_t services_from = t_base + rng_.Between(kDay, 4 * kDay);
  if (!simple && rng_.Chance(0.8)) {
    int64_t t_plan = t_base + rng_.Between(kDay, 7 * kDay);
    Add(Kind::kCasePlanSet, t_plan, kOwner, 0, 0, t_plan + rng_.Between(14 * kDay, 60 * kDay));
    int64_t decided =
        Decide(ApprovalKind::kCasePlan, t_plan + rng_.Between(10 * kMinute, kDay), 0.85);
    if (!last_approved_) {
      t_plan = decided + rng_.Between(2 * kDay, 10 * kDay);
      Add(Kind::kCasePlanSet, t_plan, kOwner, 0, 0, t_plan + rng_.Between(14 * kDay, 45 * kDay));
      decided = Decide(ApprovalKind::kCasePlan, t_plan + rng_.Between(10 * kMinute, kDay), 1.0);
    }
    services_from = decided;
  }
  const int64_t horizon =
      simple ? rng_.Between(5 * kDay, 20 * kDay)
             : std::clamp<int64_t>(static_cast<int64_t>(rng_.LogNormal(70.0 * kDay, 0.75)),
                                   12 * kDay, 500 * kDay);

  // Referrals: made by the owner, or with consent overridden by the supervisor.
  for (uint32_t i = 0, n = simple ? rng_.Pick({0.4, 0.6}) : rng_.Pick({0.15, 0.4, 0.3, 0.15});
       i < n; ++i) {
    const bool early = i == 0 && rng_.Chance(0.45);  // within days of opening, before any plan
    const int64_t made = early ? ready + rng_.Between(kHour, 6 * kDay)
                               : services_from + rng_.Between(kHour, simple ? 5 * kDay : 25 * kDay);
    const bool consent_ok = services && disclosure;
    if (!consent_ok && rng_.Chance(0.5)) continue;
    const ServiceType type = PickServiceType();
    const uint32_t agency = ProviderAgency(world, type);
    const auto& staff = world.agencies[agency].workers;
    Referral r{type,        agency, staff[rng_.Below(static_cast<uint32_t>(staff.size()))],
               !consent_ok, made,   0};
    const auto index = static_cast<uint32_t>(referrals_.size());
    Add(Kind::kReferralMade, made, consent_ok ? kOwner : supervisor_, index);
    const int64_t answered =
        made + std::clamp<int64_t>(static_cast<int64_t>(rng_.LogNormal(20.0 * kHour, 1.0)),
                                   20 * kMinute, 20 * kDay);
    switch (rng_.Pick({0.78, 0.12, 0.04, 0.06})) {
      case 0: {  // accepted; a service planned and delivered; completed (or revoked)
        r.answered_at = answered;
        Add(Kind::kReferralAccepted, answered, r.to_user, index);
        int64_t last = answered;
        if (rng_.Chance(0.85)) {
          const int64_t planned = answered + rng_.Between(30 * kMinute, 2 * kDay);
          const auto s = static_cast<uint32_t>(services_.size());
          services_.push_back({type, PickTimeframe(), agency, planned});
          Add(Kind::kServicePlanned, planned, kOwner, s);
          if (rng_.Chance(0.88)) {
            const int64_t frame = kTimeframeSeconds[static_cast<int>(services_.back().timeframe)];
            const int64_t delivered =
                frame == 0          ? planned + rng_.Between(kDay, 20 * kDay)
                : rng_.Chance(0.75) ? planned + 60 + static_cast<int64_t>(frame * 0.9 * rng_.Real())
                                    : planned + frame + rng_.Between(kHour, 10 * kDay);
            const int64_t delivered_at =
                std::max(planned + 60, delivered - rng_.Between(0, 2 * kHour));
            Add(Kind::kServiceDelivered, delivered + 5 * kMinute, r.to_user, s, 0, delivered_at);
            last = delivered + 5 * kMinute;
          }
        }
        const double u = rng_.Real();
        if (u < 0.8) {
          Add(Kind::kReferralCompleted, last + rng_.Between(kDay, 15 * kDay), r.to_user, index);
        } else if (u < 0.86) {
          Add(Kind::kReferralRevoked, last + rng_.Between(3 * kDay, 30 * kDay), kOwner, index);
        }
        break;
      }
      case 1:
        r.answered_at = answered;
        Add(Kind::kReferralRejected, answered, r.to_user, index);
        break;
      case 2:
        r.answered_at = made + rng_.Between(kDay, 6 * kDay);
        Add(Kind::kReferralRevoked, r.answered_at, kOwner, index);
        break;
      default:  // never answered: stays in progress
        break;
    }
    referrals_.push_back(r);
  }

  // Follow-ups, caregiver support, notes.
  for (uint32_t j = 0,
                n = simple ? rng_.Pick({0.3, 0.7}) : rng_.Pick({0.05, 0.3, 0.35, 0.18, 0.12});
       j < n; ++j) {
    const int64_t scheduled = ready + rng_.Between(kDay, horizon);
    AddFollowUp(scheduled, rng_.Chance(0.55) ? director_ : kOwner, horizon);
  }
  if (rng_.Chance(0.25))
    Add(Kind::kCaregiverSupportProvided, ready + rng_.Between(2 * kDay, horizon), kOwner, 0,
        static_cast<uint8_t>(rng_.Pick({0.4, 0.25, 0.25, 0.1})));
  for (uint32_t k = 0, n = rng_.Pick({0.35, 0.35, 0.2, 0.1}); k < n; ++k)
    Add(Kind::kNoteAdded, ready + rng_.Between(kHour, horizon),
        rng_.Chance(0.5) ? director_ : kOwner);

  // A transfer to a caseworker of another agency.
  if (rng_.Chance(0.05)) {
    const uint32_t to = TransferTarget(world, owner);
    if (to != kNobody) {
      transfer_to_ = to;
      transfer_overridden_ = !disclosure;
      transfer_at_ = ready + rng_.Between(3 * kDay, std::max(4 * kDay, horizon));
      Add(Kind::kTransferInitiated, transfer_at_, transfer_overridden_ ? supervisor_ : kOwner);
      switch (rng_.Pick({0.7, 0.2, 0.1})) {
        case 0:
          Add(Kind::kTransferAccepted, transfer_at_ + rng_.Between(4 * kHour, 5 * kDay), to);
          break;
        case 1:
          Add(Kind::kTransferRejected, transfer_at_ + rng_.Between(4 * kHour, 5 * kDay), to);
          break;
        default:
          Add(Kind::kTransferRevoked, transfer_at_ + rng_.Between(kDay, 5 * kDay), kOwner);
          break;
      }
    }
  }

  // Closure once the work is done: approved by the supervisor, then CaseClosed; a few
  // cases are reopened months later and closed again.
  int64_t work_end = 0;
  for (const Item& item : items_) work_end = std::max(work_end, item.emit);
  if (rng_.Chance(0.82)) {
    first_closure_request_ =
        work_end + (simple ? rng_.Between(kDay, 7 * kDay) : rng_.Between(2 * kDay, 30 * kDay));
    const int64_t approved = Approval(ApprovalKind::kClosure, first_closure_request_, 0.92);
    closed_at_ = approved + rng_.Between(10 * kMinute, 2 * kDay);
    Add(Kind::kCaseClosed, closed_at_, kOwner, 0, static_cast<uint8_t>(PickCloseReason()));
    if (rng_.Chance(0.08)) {
      reopened_at_ = closed_at_ + rng_.Between(20 * kDay, 150 * kDay);
      Add(Kind::kCaseReopened, reopened_at_, supervisor_);
      const int64_t reassessed = reopened_at_ + rng_.Between(kDay, 5 * kDay);
      Add(Kind::kRiskAssessed, reassessed, kOwner, 0,
          static_cast<uint8_t>(rng_.Pick({0.3, 0.5, 0.2})));
      const int64_t done =
          AddFollowUp(reassessed + rng_.Between(kHour, 3 * kDay), director_, 30 * kDay);
      const int64_t approved_again =
          Approval(ApprovalKind::kClosure,
                   std::max(done, reassessed) + rng_.Between(20 * kDay, 90 * kDay), 1.0);
      Add(Kind::kCaseClosed, approved_again + rng_.Between(10 * kMinute, 2 * kDay), kOwner, 0,
          static_cast<uint8_t>(CloseReason::kFormalClosing));
    }
  }
  const int64_t end = closed_at_ ? closed_at_ : open + horizon;

  if (rng_.Chance(0.1)) AddAnomaly(world, open, end);
  if (rng_.Chance(0.12)) AddCorrection();
  if (rng_.Chance(0.033)) {
    const int64_t noted = ready + rng_.Between(kHour, horizon);
    const uint32_t note = Add(Kind::kNoteAdded, noted, kOwner);
    items_[note].pinned = true;
    const uint32_t voided = Add(Kind::kEntryVoided, noted + rng_.Between(kHour, 5 * kDay), kOwner);
    items_[voided].target = note;
  }
  Finish();
}

int64_t CaseAgent::Approval(ApprovalKind kind, int64_t requested, double approve) {
  int64_t decided = Decide(kind, requested, approve);
  if (!last_approved_) decided = Decide(kind, decided + rng_.Between(7 * kDay, 30 * kDay), 1.0);
  return decided;
}

int64_t CaseAgent::Decide(ApprovalKind kind, int64_t requested, double approve) {
  Add(Kind::kApprovalRequested, requested, kOwner, 0, static_cast<uint8_t>(kind));
  const int64_t decided = requested + rng_.Between(4 * kHour, 5 * kDay);
  last_approved_ = rng_.Chance(approve);
  Add(Kind::kApprovalDecided, decided, supervisor_, 0,
      static_cast<uint8_t>(static_cast<int>(kind) | (last_approved_ ? 0 : 1 << 4)));
  return decided;
}

int64_t CaseAgent::AddFollowUp(int64_t scheduled, uint32_t actor, int64_t window) {
  const auto j = static_cast<uint32_t>(follow_ups_.size());
  FollowUpKind kind = FollowUpKind::kHomeVisit;
  if (!services_.empty() && rng_.Chance(0.35))
    kind = FollowUpKind::kForService;
  else if (rng_.Chance(0.15))
    kind = FollowUpKind::kForAssessment;
  else if ((vulnerabilities_ & (kMissingGuardianship | kLeftBehind)) && rng_.Chance(0.15))
    kind = FollowUpKind::kAfterReunification;
  follow_ups_.push_back({kind, scheduled});
  const int64_t needed =
      scheduled + rng_.Between(7 * kDay, std::max(8 * kDay, std::min(window, 30 * kDay)));
  Add(Kind::kFollowUpScheduled, scheduled, actor, j, static_cast<uint8_t>(kind), needed);
  if (!rng_.Chance(0.85)) return scheduled;
  const int64_t done = scheduled + rng_.Between(2 * kDay, needed - scheduled + 12 * kDay);
  Add(Kind::kFollowUpCompleted, done, actor, j, 0,
      std::max(scheduled + 60, done - rng_.Between(0, 8 * kHour)));
  return done;
}

void CaseAgent::AddAnomaly(const World& world, int64_t open, int64_t end) {
  std::vector<Rule> rules = {
      Rule::kCaseReopenedWhileOpen,         Rule::kReferralUnknown,
      Rule::kServiceDeliveredUnplanned,     Rule::kFollowUpCompletedUnscheduled,
      Rule::kApprovalDecidedWithoutRequest, Rule::kTransferAcceptedWithoutTransfer};
  if (closed_at_) rules.push_back(Rule::kCaseClosedTwice);
  std::vector<uint32_t> open_referrals;  // with time between made and answer
  for (uint32_t i = 0; i < referrals_.size(); ++i) {
    const Referral& r = referrals_[i];
    if (r.answered_at == 0 || r.answered_at - r.made_at > 4 * kMinute) open_referrals.push_back(i);
  }
  if (!open_referrals.empty()) {
    rules.push_back(Rule::kReferralNotRecipient);
    rules.push_back(Rule::kReferralCompletedBeforeAccepted);
  }
  const Rule rule = rules[rng_.Below(static_cast<uint32_t>(rules.size()))];
  const int64_t first = open + kHour;
  const int64_t last = std::max(first + kHour, end - kMinute);
  const County& county = world.counties[county_];
  uint32_t item = 0;
  switch (rule) {
    case Rule::kCaseClosedTwice:
      item = Add(Kind::kCaseClosed, closed_at_ + rng_.Between(kHour, 3 * kDay), kOwner, 0,
                 static_cast<uint8_t>(CloseReason::kFormalClosing));
      break;
    case Rule::kCaseReopenedWhileOpen:
      item = Add(Kind::kCaseReopened, rng_.Between(first, last), supervisor_);
      break;
    case Rule::kReferralUnknown: {
      const auto& staff = world.agencies[county.psychosocial].workers;
      item = Add(Kind::kReferralAccepted, rng_.Between(first, last),
                 staff[rng_.Below(static_cast<uint32_t>(staff.size()))],
                 static_cast<uint32_t>(referrals_.size()));
      break;
    }
    case Rule::kReferralNotRecipient:
    case Rule::kReferralCompletedBeforeAccepted: {
      const uint32_t i = open_referrals[rng_.Below(static_cast<uint32_t>(open_referrals.size()))];
      const Referral& r = referrals_[i];
      const int64_t until = r.answered_at ? r.answered_at - kMinute : r.made_at + 10 * kDay;
      const int64_t at = rng_.Between(r.made_at + kMinute, until);
      if (rule == Rule::kReferralCompletedBeforeAccepted) {
        item = Add(Kind::kReferralCompleted, at, r.to_user, i);
      } else {
        item = Add(Kind::kReferralAccepted, at, OtherProvider(world, r), i);
      }
      break;
    }
    case Rule::kServiceDeliveredUnplanned: {
      const int64_t at = rng_.Between(first, last);
      const auto& staff = world.agencies[county.social_assistance].workers;
      item =
          Add(Kind::kServiceDelivered, at, staff[rng_.Below(static_cast<uint32_t>(staff.size()))],
              static_cast<uint32_t>(services_.size()), 0, at - rng_.Between(0, 2 * kHour));
      break;
    }
    case Rule::kFollowUpCompletedUnscheduled: {
      const int64_t at = rng_.Between(first, last);
      item = Add(Kind::kFollowUpCompleted, at, director_, static_cast<uint32_t>(follow_ups_.size()),
                 0, at - rng_.Between(0, 8 * kHour));
      break;
    }
    case Rule::kApprovalDecidedWithoutRequest: {
      // Before the first closure request (or any time, if there is none): nothing pending.
      const int64_t until = first_closure_request_
                                ? std::max(first + kMinute, first_closure_request_ - kMinute)
                                : last;
      item = Add(Kind::kApprovalDecided, rng_.Between(first, until), supervisor_, 0,
                 static_cast<uint8_t>(ApprovalKind::kClosure));
      break;
    }
    case Rule::kTransferAcceptedWithoutTransfer: {
      const int64_t until = transfer_at_ ? std::max(first + kMinute, transfer_at_ - kMinute) : last;
      item = Add(Kind::kTransferAccepted, rng_.Between(first, until), PickCaseworker(county));
      break;
    }
    default:
      return;
  }
  items_[item].rule = rule;
}

void CaseAgent::AddCorrection() {
  std::vector<uint32_t> candidates;
  for (const Item& item : items_)
    if (item.rule == Rule::kNone && item.target == kNoTarget &&
        (item.kind == Kind::kRiskAssessed || item.kind == Kind::kServiceDelivered ||
         item.kind == Kind::kFollowUpCompleted))
      candidates.push_back(item.order);
  if (candidates.empty()) return;
  const Item original = items_[candidates[rng_.Below(static_cast<uint32_t>(candidates.size()))]];
  items_[original.order].pinned = true;
  const int64_t at = original.emit + rng_.Between(kHour, 10 * kDay);
  uint8_t flag = original.flag;
  int64_t when = original.when;
  switch (original.kind) {
    case Kind::kRiskAssessed:
      flag = static_cast<uint8_t>((original.flag + 1 + rng_.Below(2)) % 3);
      break;
    case Kind::kServiceDelivered:
      when = std::max(services_[original.ref].planned_at + 60,
                      original.when - rng_.Between(10 * kMinute, 90 * kMinute));
      break;
    default:  // kFollowUpCompleted
      when = std::max(follow_ups_[original.ref].scheduled_at + 60,
                      original.when - rng_.Between(kHour, 2 * kDay));
      break;
  }
  const uint32_t correction = Add(original.kind, at, original.actor, original.ref, flag, when);
  items_[correction].occurred = original.occurred;
  items_[correction].target = original.order;
}

void CaseAgent::Finish() {
  std::sort(items_.begin(), items_.end(), [](const Item& a, const Item& b) {
    return a.emit != b.emit ? a.emit < b.emit : a.order < b.order;
  });
  std::vector<uint32_t> position(items_.size());
  for (uint32_t i = 0; i < items_.size(); ++i) position[items_[i].order] = i;
  uint32_t owner = owner_;
  for (Item& item : items_) {
    if (item.target != kNoTarget) item.target = position[item.target];
    if (item.actor == kOwner) item.actor = owner != kNobody ? owner : supervisor_;
    if (item.rule != Rule::kNone) continue;
    if (item.kind == Kind::kCaseAssigned) owner = item.ref;
    if (item.kind == Kind::kTransferAccepted) owner = transfer_to_;
  }
  for (size_t i = 1; i < items_.size(); ++i) {
    Item& item = items_[i];
    if (item.pinned || item.rule != Rule::kNone || item.target != kNoTarget || !rng_.Chance(0.025))
      continue;
    // Late: written some time after it happened, but before the case's next line.
    const int64_t next = i + 1 < items_.size() ? items_[i + 1].emit : item.emit + 7 * kDay;
    const int64_t gap = next - item.occurred;
    if (gap < 2 * kHour) continue;
    item.emit = item.occurred + static_cast<int64_t>(std::min<double>(gap, 10.0 * kDay) *
                                                     (0.3 + 0.6 * rng_.Real()));
  }
}

uint32_t CaseAgent::PickCaseworker(const County& county) {
  return county.caseworkers[rng_.Below(static_cast<uint32_t>(county.caseworkers.size()))];
}

ServiceType CaseAgent::PickServiceType() {
  double w[kServiceTypeCount] = {1, 1, 1, 1, 0.3, 0.3, 0.6, 0.3};
  const uint8_t v = vulnerabilities_;
  if (v & kLeftBehind) w[3] += 2, w[6] += 1.5;
  if (v & kDisability) w[2] += 2, w[0] += 1.5;
  if (v & kNoHouseholdRegistration) w[4] += 3;
  if (v & kOutOfSchool) w[1] += 3;
  if (v & kMissingGuardianship) w[5] += 3, w[4] += 1;
  if (risk_ == RiskLevel::kHigh) w[5] += 1;
  return static_cast<ServiceType>(rng_.Pick(w));
}

uint32_t CaseAgent::ProviderAgency(const World& world, ServiceType type) {
  const Township& township = world.townships[world.communities[community_].township];
  const County& county = world.counties[county_];
  switch (type) {
    case ServiceType::kEducation:
      return township.schools[rng_.Below(static_cast<uint32_t>(township.schools.size()))];
    case ServiceType::kHealth:
      return township.clinic;
    case ServiceType::kSocialAssistance:
      return county.social_assistance;
    case ServiceType::kPsychosocial:
      return county.psychosocial;
    case ServiceType::kLegal:
      return county.legal_aid;
    case ServiceType::kTargetedProtection:
      return county.child_protection;
    case ServiceType::kCaregiverSupport:
      return county.womens_federation;
    case ServiceType::kOther:
      break;
  }
  return county.child_protection;
}

Timeframe CaseAgent::PickTimeframe() {
  if (rng_.Chance(0.1)) return Timeframe::kOther;
  switch (risk_) {
    case RiskLevel::kHigh:
      return rng_.Chance(0.4) ? Timeframe::k1h : Timeframe::k3h;
    case RiskLevel::kMedium:
      return static_cast<Timeframe>(1 + rng_.Pick({0.2, 0.6, 0.2}));
    case RiskLevel::kLow:
      return rng_.Chance(0.3) ? Timeframe::k1d : Timeframe::k3d;
  }
  return Timeframe::k3d;
}

CloseReason CaseAgent::PickCloseReason() {
  if (age_ >= 17 && rng_.Chance(0.3)) return CloseReason::kAgedOut;
  return static_cast<CloseReason>(rng_.Pick({0.78, 0.04, 0.04, 0.06, 0.003, 0.0, 0.07}));
}

uint32_t CaseAgent::OtherProvider(const World& world, const Referral& r) {
  for (uint32_t w : world.agencies[r.agency].workers)
    if (w != r.to_user) return w;
  const County& county = world.counties[county_];
  const uint32_t other = r.agency == county.legal_aid ? county.child_protection : county.legal_aid;
  return world.agencies[other].workers.front();
}

uint32_t CaseAgent::TransferTarget(const World& world, uint32_t owner) {
  const uint32_t own_agency = world.workers[owner].agency;
  std::vector<uint32_t> candidates;
  for (uint32_t w : world.counties[county_].caseworkers)
    if (world.workers[w].agency != own_agency) candidates.push_back(w);
  if (candidates.empty()) {
    const County& neighbour = world.counties[(county_ + 1) % world.counties.size()];
    for (uint32_t w : neighbour.caseworkers)
      if (world.workers[w].agency != own_agency) candidates.push_back(w);
  }
  if (candidates.empty()) return kNobody;
  return candidates[rng_.Below(static_cast<uint32_t>(candidates.size()))];
}

}  // namespace caseledger::gen::cases

namespace caseledger::gen {
namespace {

using cases::CaseAgent;

// Opens cases at exponential intervals (a Poisson process) in communities drawn in
// proportion to their child population, rural ones weighted up (more left-behind children).
class CaseSource final : public Agent {
 public:
  CaseSource(const World& world, uint64_t seed)
      : seed_(seed), rng_(Random::For(seed, kArrivalPurpose, 0)) {
    double total = 0;
    for (const Community& c : world.communities) {
      total += (c.child_population ? c.child_population : 500) * (c.urban ? 1.0 : 1.8);
      cumulative_.push_back(total);
    }
  }

  std::optional<int64_t> Step(int64_t now, Emitter& out) override {
    const double r = rng_.Real() * cumulative_.back();
    const auto community = static_cast<uint32_t>(
        std::upper_bound(cumulative_.begin(), cumulative_.end(), r) - cumulative_.begin());
    auto agent = std::make_unique<CaseAgent>(
        ++cases_, std::min<uint32_t>(community, cumulative_.size() - 1), now, out.world, seed_);
    out.Spawn(now, std::move(agent));
    return now + 1 + static_cast<int64_t>(rng_.Exponential(out.rates.case_arrival_gap));
  }

 private:
  uint64_t seed_;
  Random rng_;
  std::vector<double> cumulative_;
  uint32_t cases_ = 0;
};

}  // namespace

std::unique_ptr<Agent> NewCaseSource(const World& world, uint64_t seed) {
  return std::make_unique<CaseSource>(world, seed);
}

double MeanCaseLines(const World& world, uint64_t seed, int samples) {
  Random rng = Random::For(seed, kCalibrationPurpose, 0);
  double lines = 0;
  for (int i = 0; i < samples; ++i) {
    const uint32_t community = rng.Below(static_cast<uint32_t>(world.communities.size()));
    // Numbers far above any real case, so the samples share no stream with the output.
    lines += static_cast<double>(
        CaseAgent(0x80000000u + i, community, world.cases_start, world, seed).size());
  }
  return samples > 0 ? lines / samples : 0;
}

}  // namespace caseledger::gen
