// Synthetic personal data and free text: plausible, invented, never a real person's.
// Names are pinyin built from syllable lists; notes, rationales, findings and comments
// are templates with drawn details. Every function appends to `out` (callers reuse one
// buffer per line) and writes only ASCII without quotes or backslashes.
#pragma once

#include <cstdint>
#include <string>

#include "gen/model.h"
#include "gen/random.h"

namespace caseledger::gen {

void AppendPersonName(std::string& out, Random& rng, Sex sex);  // "Wang Xiaoming"
void AppendPlaceName(std::string& out, Random& rng);            // "Zhangjiazhuang"
void AppendAddress(std::string& out, Random& rng, bool urban, const std::string& community_name);

void AppendRiskRationale(std::string& out, Random& rng, RiskLevel level, uint8_t vulnerabilities);
void AppendAssessmentFindings(std::string& out, Random& rng, uint8_t vulnerabilities);
void AppendApprovalComment(std::string& out, Random& rng, ApprovalKind kind, bool approved);
void AppendCaseNote(std::string& out, Random& rng);
void AppendFollowUpNote(std::string& out, Random& rng, bool done);
void AppendReferralRejection(std::string& out, Random& rng);
void AppendReferralOutcome(std::string& out, Random& rng, ServiceType type);
void AppendRevocationReason(std::string& out, Random& rng);
void AppendAssignmentReason(std::string& out, Random& rng);
void AppendTransferNote(std::string& out, Random& rng, bool accepted);
void AppendReopenReason(std::string& out, Random& rng);
// Protection concerns (a few of a fixed list) and case-plan interventions.
const char* ConcernName(uint32_t index);
inline constexpr uint32_t kConcernCount = 12;
const char* InterventionFor(ServiceType type, Random& rng);
const char* ActivityKind(Random& rng);

}  // namespace caseledger::gen
