// The static side of the generated province: location codes, communities, agencies,
// workers, the children's places to open, and the registration lines that set it all up.
//
// One province (a real 2-digit code chosen by the seed) with prefectures (4 digits),
// counties (6), townships (9) and communities (12), every code the prefix of the codes
// below it, numbered as the national statistical codes are: city districts 02.., counties
// 21..; subdistricts 001.., towns 100.., townships 200..; urban residents' committees
// 001.., villages 200.. (e.g. 130111200201).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "gen/model.h"

namespace caseledger::gen {

enum class AgencyKind : uint8_t {
  kProvincialCivilAffairs,  // the administrator's
  kAudit,
  kCommunityCommittee,  // village / residents' committee: the children's director
  kTownshipOffice,      // the township supervisors
  kCivilAffairs,        // county civil-affairs bureau: caseworkers
  kNgo,                 // social-work NGO: caseworkers
  kSchool,
  kClinic,
  kSocialAssistance,
  kPsychosocial,
  kLegalAid,
  kChildProtection,   // county child-protection centre: targeted protection
  kWomensFederation,  // caregiver support
};

struct Agency {
  std::string id;  // e.g. "ca-130111", "school-130111200-1"
  AgencyKind kind;
  std::vector<uint32_t> workers;  // registered at setup
};

struct Worker {
  std::string id;  // "w-17"; its stream is "worker-w-17"
  Role role;
  uint32_t agency;
  uint32_t county;  // where the worker works (the province's first county for province-wide roles)
  std::string location_code;  // community (12) or township (9) code of the scope, or empty
  int64_t hired_at = 0;  // simulated time of a registration after setup; 0 = registered at setup
};

struct Community {
  std::string code, name;
  bool urban;
  uint32_t child_population;  // 0 = not registered
  uint32_t township;
  uint32_t director;   // worker
  uint32_t committee;  // agency
};

struct Township {
  std::string code;
  uint32_t county;
  std::vector<uint32_t> communities, supervisors, schools;  // schools: agencies
  uint32_t office, clinic;                                  // agencies
};

struct County {
  std::string code;
  std::vector<uint32_t> townships;
  uint32_t civil_affairs;
  int64_t ngo = -1;  // agency, if the county has a social-work NGO
  uint32_t social_assistance, psychosocial, legal_aid, child_protection, womens_federation;
  bool meets_target;  // the planned coverage of children's places is >= 90%
  // Caseworkers who may own cases: those of setup, and later hires once registered.
  std::vector<uint32_t> caseworkers;
};

struct PlannedSpace {
  uint32_t community;
  int64_t opens_at;
  int64_t closes_at;  // 0 = stays open
};

// One registration line of the setup phase: a worker or a community.
struct SetupStep {
  bool community;
  uint32_t index;
};

struct World {
  std::string province;  // 2-digit code
  int64_t start;         // simulated time of the first line
  int64_t setup_end;     // registrations are done
  int64_t cases_start;   // first CaseOpened
  int64_t horizon;       // the rates aim to spread the output up to here (~18 months)
  std::vector<County> counties;
  std::vector<Township> townships;
  std::vector<Community> communities;
  std::vector<Agency> agencies;
  std::vector<Worker> workers;
  uint32_t admin;
  std::vector<SetupStep> setup;
  std::vector<PlannedSpace> spaces;   // in opening order
  std::vector<uint32_t> later_hires;  // workers registered after setup, in hiring order

  // Simulation state, changed as lines are written: children's places open per community.
  std::vector<uint16_t> open_spaces;
};

// The province for `communities` communities (>= 2), drawn from `seed`.
World BuildWorld(uint64_t seed, uint32_t communities);

// What `Random::For` streams are for, so that no two parts share one.
enum Purpose : uint64_t {
  kWorldPurpose = 1,
  kCasePurpose,
  kSpacePurpose,
  kArrivalPurpose,
  kCorrectionPurpose,
  kCalibrationPurpose,
};

}  // namespace caseledger::gen
