#include "gen/texts.h"

#include <charconv>
#include <iterator>

namespace caseledger::gen {
namespace {

template <typename T, size_t N>
const T& PickOne(Random& rng, const T (&items)[N]) {
  return items[rng.Below(static_cast<uint32_t>(N))];
}

void AppendNumber(std::string& out, uint64_t n) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, n);
  out.append(buf, end);
}

// Surnames weighted by frequency: the common ones appear several times.
const char* const kSurnames[] = {
    "Wang", "Wang", "Wang", "Li",   "Li",   "Li",    "Zhang", "Zhang", "Zhang", "Liu",   "Liu",
    "Chen", "Chen", "Yang", "Yang", "Zhao", "Huang", "Zhou",  "Wu",    "Xu",    "Sun",   "Hu",
    "Zhu",  "Gao",  "Lin",  "He",   "Guo",  "Ma",    "Luo",   "Liang", "Song",  "Zheng", "Xie",
    "Han",  "Tang", "Feng", "Yu",   "Dong", "Xiao",  "Cheng", "Cao",   "Yuan",  "Deng",  "Xu",
    "Fu",   "Shen", "Zeng", "Peng", "Lu",   "Su",    "Jiang", "Cai",   "Jia",   "Ding",  "Wei",
    "Xue",  "Ye",   "Yan",  "Pan",  "Du",   "Dai",   "Xia",   "Zhong", "Tian",  "Ren",   "Fan",
    "Fang", "Shi",  "Yao",  "Tan",  "Qin",  "Hou"};
const char* const kGivenCommon[] = {"Xiao", "Zi",  "Yu",   "Hao", "Jun", "Chen", "Yi", "Xin",
                                    "Jia",  "Rui", "Ming", "Wen", "Jie", "Le",   "An", "Ke",
                                    "Yun",  "Qi",  "Si",   "Han", "Bo",  "Tian", "Ze", "Yan",
                                    "Hui",  "Kai", "Xuan", "Yue", "Shu", "Lin"};
const char* const kGivenFemale[] = {"Mei", "Ting", "Jing", "Fang", "Na",   "Li",   "Xue",
                                    "Lan", "Yan",  "Qian", "Yue",  "Shan", "Ling", "Hong",
                                    "Xia", "Min",  "Wei",  "Ying", "Rou",  "Man"};
const char* const kGivenMale[] = {"Wei",   "Lei", "Qiang", "Tao", "Peng", "Gang", "Bin",
                                  "Long",  "Hao", "Feng",  "Jun", "Yong", "Dong", "Liang",
                                  "Cheng", "Hua", "Ming",  "Bo",  "Fei",  "Kang"};
const char* const kPlaceSyllables[] = {
    "Dong", "Xi",  "Nan",  "Bei",   "Shang", "Xia",    "Da",    "Xiao", "Xin",  "Gu",
    "Shi",  "Ma",  "Li",   "Zhang", "Wang",  "Liu",    "Huang", "He",   "Qing", "Shan",
    "Shui", "Lin", "Tian", "Yang",  "Jia",   "Zhuang", "Ying",  "Qiao", "Tun",  "Gou",
    "Po",   "Wan", "Ping", "Hu",    "Quan",  "Tai",    "Feng",  "Hua",  "An",   "Kang",
    "Fu",   "Le",  "Ning", "Heng",  "Chang", "Song",   "Bai",   "Hong"};
const char* const kRoads[] = {"Renmin Road",    "Jiefang Road", "Zhongshan Road", "Heping Street",
                              "Xinhua Road",    "Jianshe Road", "Wenhua Street",  "Chaoyang Road",
                              "Yingbin Avenue", "Gongyuan Road"};
const char* const kRelatives[] = {"grandmother", "grandfather",  "aunt",
                                  "uncle",       "older sister", "neighbour"};
const char* const kParentsAway[] = {"Both parents work in Guangdong",
                                    "Both parents work in Zhejiang",
                                    "Father works in Beijing, mother in Shanghai",
                                    "Parents work in Jiangsu and return only at Spring Festival",
                                    "Mother works in Shenzhen; father's whereabouts unknown"};

void AppendLower(std::string& out, const char* syllable) {
  for (const char* p = syllable; *p; ++p)
    out.push_back(static_cast<char>(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p));
}

}  // namespace

void AppendPersonName(std::string& out, Random& rng, Sex sex) {
  out += PickOne(rng, kSurnames);
  out += ' ';
  const char* first = rng.Chance(0.5)       ? PickOne(rng, kGivenCommon)
                      : sex == Sex::kFemale ? PickOne(rng, kGivenFemale)
                                            : PickOne(rng, kGivenMale);
  out += first;
  if (rng.Chance(0.75)) {
    const char* second = sex == Sex::kFemale ? PickOne(rng, kGivenFemale)
                         : sex == Sex::kMale ? PickOne(rng, kGivenMale)
                                             : PickOne(rng, kGivenCommon);
    AppendLower(out, second);
  }
}

void AppendPlaceName(std::string& out, Random& rng) {
  out += PickOne(rng, kPlaceSyllables);
  AppendLower(out, PickOne(rng, kPlaceSyllables));
  if (rng.Chance(0.3)) AppendLower(out, PickOne(rng, kPlaceSyllables));
}

void AppendAddress(std::string& out, Random& rng, bool urban, const std::string& community_name) {
  if (urban) {
    out += "Building ";
    AppendNumber(out, 1 + rng.Below(40));
    out += ", Unit ";
    AppendNumber(out, 1 + rng.Below(6));
    out += ", Room ";
    AppendNumber(out, (1 + rng.Below(18)) * 100 + 1 + rng.Below(4));
    out += ", ";
    AppendNumber(out, 1 + rng.Below(300));
    out += ' ';
    out += PickOne(rng, kRoads);
    out += ", ";
    out += community_name;
    out += " Community";
  } else {
    out += "Group ";
    AppendNumber(out, 1 + rng.Below(12));
    out += ", No. ";
    AppendNumber(out, 1 + rng.Below(120));
    out += ", ";
    out += community_name;
    out += " Village";
  }
}

void AppendRiskRationale(std::string& out, Random& rng, RiskLevel level, uint8_t vulnerabilities) {
  if (vulnerabilities & kLeftBehind) {
    out += PickOne(rng, kParentsAway);
    out += "; child lives with ";
    out += PickOne(rng, kRelatives);
    out += " (";
    AppendNumber(out, 60 + rng.Below(25));
    out += "). ";
  } else if (vulnerabilities & kMissingGuardianship) {
    out += "No adult is currently responsible for the child; neighbours provide meals. ";
  } else if (vulnerabilities & kDisability) {
    out += "Child has a disability and receives no rehabilitation service. ";
  } else {
    out += "Household under strain after a family crisis. ";
  }
  if (vulnerabilities & kOutOfSchool) {
    out += "Missed ";
    AppendNumber(out, 10 + rng.Below(60));
    out += " school days this term. ";
  }
  switch (level) {
    case RiskLevel::kHigh:
      out += "Immediate safety concern: signs of injury or no care at night.";
      break;
    case RiskLevel::kMedium:
      out += "Basic needs met irregularly; caregiver struggling to cope.";
      break;
    case RiskLevel::kLow:
      out += "Basic needs met; needs monitoring and support.";
      break;
  }
}

void AppendAssessmentFindings(std::string& out, Random& rng, uint8_t vulnerabilities) {
  static const char* const kFindings[] = {
      "Caregiver willing but overwhelmed; child shows withdrawal at school.",
      "Household income below the subsistence line; eligible for minimum living allowance.",
      "Child reports loneliness and sleep problems; no signs of physical harm.",
      "Home conditions unsafe in winter; roof leaks and no heating.",
      "Child attends irregularly; teacher reports falling grades.",
      "Extended family can support if the caregiver receives parenting guidance.",
      "Child needs a medical check-up and follow-up for a chronic condition."};
  out += PickOne(rng, kFindings);
  if (vulnerabilities & kNoHouseholdRegistration)
    out += " No hukou registration: civil affairs to assist.";
  if (vulnerabilities & kDisability) out += " Disability certificate not yet issued.";
}

void AppendApprovalComment(std::string& out, Random& rng, ApprovalKind kind, bool approved) {
  static const char* const kApproved[] = {"Agreed.", "Approved; review at the next visit.",
                                          "Approved, with monthly reporting.",
                                          "Fine, proceed as planned."};
  static const char* const kRejectedPlan[] = {"Plan lacks a school re-enrolment step; revise.",
                                              "Due dates unrealistic; revise with the family.",
                                              "Please add the caregiver's support needs."};
  static const char* const kRejectedClosure[] = {"Follow-up visit still outstanding; keep open.",
                                                 "Service not yet confirmed delivered; keep open."};
  if (approved) {
    out += PickOne(rng, kApproved);
  } else if (kind == ApprovalKind::kClosure) {
    out += PickOne(rng, kRejectedClosure);
  } else {
    out += PickOne(rng, kRejectedPlan);
  }
}

void AppendCaseNote(std::string& out, Random& rng) {
  static const char* const kNotes[] = {
      "Phoned the mother; she plans to return for the summer.",
      "Child seen at the children's place, cheerful today.",
      "Teacher says attendance improved this month.",
      "Grandmother asked about the minimum living allowance application.",
      "Visited with the village doctor; medicine delivered.",
      "Child asked for help with homework; volunteer arranged.",
      "Caregiver hospitalised for two days; neighbour looked after the child.",
      "Father called from the city; agreed to weekly video calls."};
  out += PickOne(rng, kNotes);
}

void AppendFollowUpNote(std::string& out, Random& rng, bool done) {
  static const char* const kPlanned[] = {
      "Check school attendance and food at home.", "Confirm the service was received.",
      "Visit after the family reunion.", "Check on the caregiver's health."};
  static const char* const kDone[] = {
      "Home visit done; child well, food in the house.", "Service confirmed; family satisfied.",
      "Child back at school; caregiver coping better.",
      "Child not at home; spoke with the neighbour, will visit again."};
  out += done ? PickOne(rng, kDone) : PickOne(rng, kPlanned);
}

void AppendReferralRejection(std::string& out, Random& rng) {
  static const char* const kReasons[] = {"No capacity this month.", "Outside our service area.",
                                         "Child does not meet the eligibility criteria.",
                                         "Service better provided by the county centre."};
  out += PickOne(rng, kReasons);
}

void AppendReferralOutcome(std::string& out, Random& rng, ServiceType type) {
  switch (type) {
    case ServiceType::kEducation:
      out += "Child re-enrolled; attending since ";
      break;
    case ServiceType::kHealth:
      out += "Check-up done, treatment completed by ";
      break;
    case ServiceType::kSocialAssistance:
      out += "Allowance approved; first payment in ";
      break;
    case ServiceType::kPsychosocial:
      out += "Six counselling sessions completed by ";
      break;
    case ServiceType::kLegal:
      out += "Guardianship documents filed in ";
      break;
    default:
      out += "Service completed in ";
      break;
  }
  static const char* const kMonths[] = {"January",   "February", "March",    "April",
                                        "May",       "June",     "July",     "August",
                                        "September", "October",  "November", "December"};
  out += PickOne(rng, kMonths);
  out += '.';
}

void AppendRevocationReason(std::string& out, Random& rng) {
  static const char* const kReasons[] = {"Family moved out of the county.",
                                         "Need met by another service.",
                                         "Caregiver withdrew consent.", "Referral made in error."};
  out += PickOne(rng, kReasons);
}

void AppendAssignmentReason(std::string& out, Random& rng) {
  static const char* const kReasons[] = {
      "Nearest caseworker with capacity.", "Caseworker knows the family.",
      "Urgent case: assigned on duty.", "Balancing caseloads in the county."};
  out += PickOne(rng, kReasons);
}

void AppendTransferNote(std::string& out, Random& rng, bool accepted) {
  static const char* const kAccepted[] = {"Case file received; first visit planned next week.",
                                          "Accepted; we know the family already."};
  static const char* const kRejected[] = {"No capacity; please ask the county bureau.",
                                          "Family lives outside our area."};
  out += accepted ? PickOne(rng, kAccepted) : PickOne(rng, kRejected);
}

void AppendReopenReason(std::string& out, Random& rng) {
  static const char* const kReasons[] = {
      "Teacher reports the child stopped coming to school again.",
      "Caregiver fell ill; child alone at home.", "Neighbour called the hotline about the child.",
      "Parents left for work again; new care arrangement needed."};
  out += PickOne(rng, kReasons);
}

const char* ConcernName(uint32_t index) {
  static const char* const kConcerns[kConcernCount] = {
      "neglect",           "physical_abuse",      "emotional_abuse", "sexual_abuse",
      "child_labour",      "unaccompanied",       "school_dropout",  "domestic_violence",
      "caregiver_illness", "lack_of_supervision", "malnutrition",    "bullying"};
  return kConcerns[index % kConcernCount];
}

const char* InterventionFor(ServiceType type, Random& rng) {
  static const char* const kByType[kServiceTypeCount][2] = {
      {"apply for the minimum living allowance", "link to temporary assistance"},
      {"school re-enrolment", "homework support at the children's place"},
      {"medical check-up", "disability assessment"},
      {"psychosocial counselling", "peer support group"},
      {"legal aid for guardianship", "household registration (hukou)"},
      {"placement with kinship carers", "daily safety checks"},
      {"parenting sessions for the caregiver", "caregiver support group"},
      {"monthly home visits", "weekly phone calls with the parents"}};
  return kByType[static_cast<int>(type)][rng.Below(2)];
}

const char* ActivityKind(Random& rng) {
  static const char* const kKinds[] = {"games",
                                       "reading club",
                                       "homework support",
                                       "drawing and crafts",
                                       "life skills group",
                                       "psychosocial support group",
                                       "sports",
                                       "festival celebration",
                                       "parent-child day",
                                       "safety education"};
  return PickOne(rng, kKinds);
}

}  // namespace caseledger::gen
