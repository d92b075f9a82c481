#include "gen/world.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "gen/line_writer.h"
#include "gen/random.h"
#include "gen/texts.h"

namespace caseledger::gen {
namespace {

// Provinces with many left-behind children (statistical codes).
const char* const kProvinces[] = {"13", "34", "36", "41", "42", "43",
                                  "45", "50", "51", "52", "53", "62"};

std::string TwoDigits(uint32_t n) {
  char buf[4];
  std::snprintf(buf, sizeof buf, "%02u", n % 100);
  return buf;
}

std::string ThreeDigits(uint32_t n) {
  char buf[5];
  std::snprintf(buf, sizeof buf, "%03u", n % 1000);
  return buf;
}

// `total` split into `parts` counts of at least `minimum` each, in random proportions.
std::vector<uint32_t> Split(uint32_t total, uint32_t parts, uint32_t minimum, Random& rng) {
  std::vector<uint32_t> counts(parts, minimum);
  const uint32_t rest = total > parts * minimum ? total - parts * minimum : 0;
  std::vector<double> weights(parts);
  double sum = 0;
  for (double& w : weights) sum += (w = 0.4 + rng.Real() * 1.2);
  uint32_t given = 0;
  for (uint32_t i = 0; i < parts; ++i) {
    const auto share = static_cast<uint32_t>(rest * weights[i] / sum);
    counts[i] += share;
    given += share;
  }
  for (uint32_t i = 0; given < rest; i = (i + 1) % parts, ++given)
    ++counts[i];  // rounding leftovers
  return counts;
}

class Builder {
 public:
  Builder(uint64_t seed, uint32_t communities)
      : rng_(Random::For(seed, kWorldPurpose, 0)), target_(communities) {}

  World Build() {
    World& w = world_;
    w.province = kProvinces[rng_.Below(std::size(kProvinces))];
    w.start = DaysFromCivil(2025, 1, 6) * kDay;
    w.setup_end = w.start + 10 * kDay;
    w.cases_start = w.start + 14 * kDay;
    w.horizon = w.start + 540 * kDay;

    const uint32_t agency = AddAgency("pca-" + w.province, AgencyKind::kProvincialCivilAffairs);
    w.admin = AddWorker(Role::kAdmin, agency, 0, "");
    AddWorker(Role::kAuditor, AddAgency("audit-" + w.province, AgencyKind::kAudit), 0, "");
    AddWorker(Role::kAuditor, AddAgency("inspectorate-" + w.province, AgencyKind::kAudit), 0, "");

    // Sizes: ~11 communities a township, ~11 townships a county, ~9 counties a prefecture.
    const uint32_t townships = std::min(target_, std::max<uint32_t>(2, (target_ + 5) / 11));
    const uint32_t counties = std::min(townships, std::max<uint32_t>(2, (townships + 10) / 11));
    const uint32_t prefectures = std::max<uint32_t>(1, (counties + 8) / 9);
    const auto communities_per_township = Split(target_, townships, 1, rng_);
    const auto townships_per_county = Split(townships, counties, 1, rng_);
    const auto counties_per_prefecture = Split(counties, prefectures, 1, rng_);

    uint32_t next_county = 0, next_township = 0;
    for (uint32_t p = 0; p < prefectures; ++p) {
      const std::string prefecture = w.province + TwoDigits(p + 1);
      const uint32_t n = counties_per_prefecture[p];
      const uint32_t districts =
          n >= 3 ? std::max<uint32_t>(1, n / 4) : 0;  // urban districts come first
      for (uint32_t c = 0; c < n; ++c, ++next_county) {
        const bool district = c < districts;
        const std::string code = prefecture + TwoDigits(district ? 2 + c : 21 + (c - districts));
        std::vector<uint32_t> sizes(
            communities_per_township.begin() + next_township,
            communities_per_township.begin() + next_township + townships_per_county[next_county]);
        next_township += townships_per_county[next_county];
        AddCounty(code, district, sizes);
      }
    }
    PlanCoverage();
    w.open_spaces.assign(w.communities.size(), 0);
    return std::move(world_);
  }

 private:
  uint32_t AddAgency(std::string id, AgencyKind kind) {
    world_.agencies.push_back({std::move(id), kind, {}});
    return static_cast<uint32_t>(world_.agencies.size() - 1);
  }

  // A worker registered at setup: its registration line comes next in the setup order.
  uint32_t AddWorker(Role role, uint32_t agency, uint32_t county, std::string location) {
    const auto index = static_cast<uint32_t>(world_.workers.size());
    world_.workers.push_back(
        {"w-" + std::to_string(index + 1), role, agency, county, std::move(location), 0});
    world_.agencies[agency].workers.push_back(index);
    world_.setup.push_back({false, index});
    return index;
  }

  uint32_t AddAgencyWithWorkers(std::string id, AgencyKind kind, uint32_t workers, uint32_t county,
                                const std::string& location) {
    const uint32_t agency = AddAgency(std::move(id), kind);
    for (uint32_t i = 0; i < workers; ++i)
      AddWorker(Role::kServiceProvider, agency, county, location);
    return agency;
  }

  void AddCounty(const std::string& code, bool district,
                 const std::vector<uint32_t>& township_sizes) {
    World& w = world_;
    const auto county_index = static_cast<uint32_t>(w.counties.size());
    w.counties.emplace_back();
    w.counties.back().code = code;
    uint32_t subdistricts = 0, towns = 0, rural_townships = 0, county_communities = 0;
    for (uint32_t size : township_sizes) {
      // Subdistricts (urban) dominate city districts; counties are mostly towns and townships.
      const double urban_share = district ? 0.7 : 0.12;
      const uint32_t kind = rng_.Chance(urban_share) ? 0 : rng_.Chance(0.55) ? 1 : 2;
      const uint32_t number = kind == 0   ? 1 + subdistricts++
                              : kind == 1 ? 100 + towns++
                                          : 200 + rural_townships++;
      AddTownship(county_index, code + ThreeDigits(number), kind, size);
      county_communities += size;
    }
    County& county = w.counties[county_index];
    county.civil_affairs = AddAgency("ca-" + code, AgencyKind::kCivilAffairs);
    const uint32_t caseworkers = std::clamp<uint32_t>((county_communities + 15) / 30, 2, 40);
    for (uint32_t i = 0; i < caseworkers; ++i) {
      county.caseworkers.push_back(
          AddWorker(Role::kCaseworker, county.civil_affairs, county_index, ""));
    }
    if (rng_.Chance(0.4)) {
      const uint32_t ngo = AddAgency("ngo-" + code, AgencyKind::kNgo);
      county.ngo = ngo;
      for (uint32_t i = 0, n = 1 + rng_.Below(3); i < n; ++i)
        county.caseworkers.push_back(AddWorker(Role::kCaseworker, ngo, county_index, ""));
    }
    county.social_assistance = AddAgencyWithWorkers("sao-" + code, AgencyKind::kSocialAssistance,
                                                    1 + rng_.Below(2), county_index, "");
    county.psychosocial = AddAgencyWithWorkers("psy-" + code, AgencyKind::kPsychosocial,
                                               1 + rng_.Below(2), county_index, "");
    county.legal_aid =
        AddAgencyWithWorkers("legal-" + code, AgencyKind::kLegalAid, 1, county_index, "");
    county.child_protection = AddAgencyWithWorkers("cpc-" + code, AgencyKind::kChildProtection,
                                                   1 + rng_.Below(2), county_index, "");
    county.womens_federation =
        AddAgencyWithWorkers("wf-" + code, AgencyKind::kWomensFederation, 1, county_index, "");
    for (uint32_t t : county.townships) {
      Township& township = w.townships[t];
      const uint32_t schools = township.communities.size() >= 12 ? 2 : 1;
      for (uint32_t s = 0; s < schools; ++s)
        township.schools.push_back(AddAgencyWithWorkers(
            "school-" + township.code + "-" + std::to_string(s + 1), AgencyKind::kSchool,
            1 + rng_.Below(2), county_index, township.code));
      township.clinic = AddAgencyWithWorkers("clinic-" + township.code, AgencyKind::kClinic, 1,
                                             county_index, township.code);
    }
    // Caseworkers hired later in the period (0-2 a county), registered when they start.
    for (uint32_t i = 0, n = rng_.Pick({0.55, 0.3, 0.15}); i < n; ++i) {
      const auto index = static_cast<uint32_t>(w.workers.size());
      const int64_t hired = w.cases_start + rng_.Between(30 * kDay, 450 * kDay);
      w.workers.push_back({"w-" + std::to_string(index + 1), Role::kCaseworker,
                           county.civil_affairs, county_index, "", hired});
      w.later_hires.push_back(index);
    }
  }

  // kind: 0 subdistrict (urban communities), 1 town (a seat or two, then villages), 2 township.
  void AddTownship(uint32_t county, const std::string& code, uint32_t kind, uint32_t size) {
    World& w = world_;
    const auto index = static_cast<uint32_t>(w.townships.size());
    w.townships.push_back({code, county, {}, {}, {}, 0, 0});
    const uint32_t office = AddAgency("tso-" + code, AgencyKind::kTownshipOffice);
    w.townships[index].office = office;
    for (uint32_t i = 0, n = size >= 15 ? 2 : 1; i < n; ++i)
      w.townships[index].supervisors.push_back(AddWorker(Role::kSupervisor, office, county, code));
    // A town's seat has a residents' committee or two; its villages are rural.
    const uint32_t urban = kind == 0 ? size : kind == 1 && size >= 4 ? 1 + rng_.Below(2) : 0;
    for (uint32_t i = 0; i < size; ++i) {
      const bool is_urban = i < urban;
      Community c;
      c.code = code + ThreeDigits(is_urban ? 1 + i : 200 + (i - urban));
      AppendPlaceName(c.name, rng_);
      c.urban = is_urban;
      c.child_population = rng_.Chance(0.06) ? 0
                           : is_urban        ? static_cast<uint32_t>(rng_.Between(800, 3500))
                                             : static_cast<uint32_t>(rng_.Between(150, 1100));
      c.township = index;
      const auto community_index = static_cast<uint32_t>(w.communities.size());
      w.setup.push_back({true, community_index});
      c.committee = AddAgency("cc-" + c.code, AgencyKind::kCommunityCommittee);
      c.director = AddWorker(Role::kChildrenDirector, c.committee, county, c.code);
      w.communities.push_back(std::move(c));
      w.townships[index].communities.push_back(community_index);
    }
    w.counties[county].townships.push_back(index);
  }

  // Which communities get a children's place, and when. Each county aims at a share of its
  // communities: about half the counties (always the first) at 92-100%, the others (always
  // the second) at 35-85%, so that the 90% target is met in some counties and missed in
  // others. Places open over ~14 months of roll-out; a few close again, only in counties
  // below target (where the programme is weak), so the counties above target stay above.
  void PlanCoverage() {
    World& w = world_;
    for (uint32_t c = 0; c < w.counties.size(); ++c) {
      County& county = w.counties[c];
      county.meets_target = c == 0 ? true : c == 1 ? false : rng_.Chance(0.5);
      std::vector<uint32_t> members;
      for (uint32_t t : county.townships)
        members.insert(members.end(), w.townships[t].communities.begin(),
                       w.townships[t].communities.end());
      for (size_t i = members.size(); i > 1; --i)
        std::swap(members[i - 1], members[rng_.Below(static_cast<uint32_t>(i))]);
      const double share =
          county.meets_target ? 0.92 + 0.08 * rng_.Real() : 0.35 + 0.5 * rng_.Real();
      const auto covered = std::min<size_t>(
          members.size(),
          static_cast<size_t>(county.meets_target ? std::ceil(share * members.size())
                                                  : std::floor(share * members.size())));
      for (size_t i = 0; i < covered; ++i) {
        const Community& community = w.communities[members[i]];
        const int places =
            community.urban && community.child_population > 2000 && rng_.Chance(0.3) ? 2 : 1;
        for (int p = 0; p < places; ++p) {
          const uint32_t phase = rng_.Pick({0.55, 0.3, 0.15});
          const int64_t delay = phase == 0   ? rng_.Between(0, 90 * kDay)
                                : phase == 1 ? rng_.Between(90 * kDay, 240 * kDay)
                                             : rng_.Between(240 * kDay, 420 * kDay);
          const int64_t opens = w.setup_end + 2 * kDay + delay;
          const int64_t closes = !county.meets_target && rng_.Chance(0.06)
                                     ? opens + rng_.Between(60 * kDay, 400 * kDay)
                                     : 0;
          w.spaces.push_back({members[i], opens, closes});
        }
      }
    }
    std::stable_sort(
        w.spaces.begin(), w.spaces.end(),
        [](const PlannedSpace& a, const PlannedSpace& b) { return a.opens_at < b.opens_at; });
  }

  Random rng_;
  uint32_t target_;
  World world_;
};

}  // namespace

World BuildWorld(uint64_t seed, uint32_t communities) { return Builder(seed, communities).Build(); }

}  // namespace caseledger::gen
