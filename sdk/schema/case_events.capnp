# The event catalogue, version 1 (../DOMAIN.md of the project's brief; docs/events.md).
# An event's envelope `type` is the name of one of the structs below and its payload is
# that struct. Every struct, enum and the catalogue union carry explicit ids. Evolve
# only in Cap'n Proto's safe ways: add fields at the end, never renumber or retype;
# anything else is a new schemaVersion with an upcaster in the SDK.
#
# Personal data of a child (names, exact birth dates, addresses, free-text notes and
# rationales) is of type Sealed, from this first version on: the ledger encrypts it under
# the child's own key before it is written, so that destroying the key erases it without
# changing a single hashed byte. Sex, age band, location codes and vulnerability flags
# stay clear: the projections need them.
#
# JSON: field names as below (camelCase), enum values as their $Json.name (snake_case,
# as DOMAIN.md writes them), Time as RFC 3339 UTC ("2026-03-01T10:00:00Z"), Date as
# "2026-03-01", Sealed as a plain string. Fields marked $required must be present.
@0xb5a3c1f0d2e49a71;

using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("caseledger::schema");
using Json = import "/capnp/compat/json.capnp";

annotation required @0xca609028ae014081 (field) :Void;
# The field must be given (in JSON: present and not null; text: not empty).

struct Sealed @0xcae307e36e292e50 {
  # A personal field. Between the JSON codec and the sealer (inside the ledger process,
  # never on disk) it holds the clear text; the ledger stores only the sealed form.
  union {
    clear @0 :Text;
    locked :group {
      keyId @1 :Data;       # 16 bytes: which child key (DIR/keys)
      nonce @2 :Data;       # 24 bytes, random
      ciphertext @3 :Data;  # XChaCha20-Poly1305 of the UTF-8 text, tag included
    }
    erased @4 :Data;        # never stored: a payload opened for reading marks a field
                            # whose child key was destroyed (`caseledger erase`) with its
                            # key id (16 bytes); in JSON {"erased": "<key id>"}
    redacted @5 :Data;      # never stored: a payload handed to a reader who may not see
                            # the field in clear (docs/privacy.md) keeps only its key id
                            # (16 bytes), no ciphertext; in JSON {"redacted": "<key id>"}
  }
}

struct Time @0xebc74e13b8c78981 {
  # A moment, microseconds since the Unix epoch, UTC. JSON: "2026-03-01T10:00:00Z".
  micros @0 :Int64;
}

struct Date @0xd5e6605aab17a082 {
  # A calendar date (UTC). JSON: "2026-03-01".
  daysSinceEpoch @0 :Int32;
}

enum Sex @0xc2c605b694b24ef7 {
  female @0;
  male @1;
  unknown @2;
}

enum AgeBand @0xb9487244261766f3 {
  age0to5 @0 $Json.name("0-5");
  age6to11 @1 $Json.name("6-11");
  age12to17 @2 $Json.name("12-17");
  age18plus @3 $Json.name("18+");
}

enum Vulnerability @0x800b6e2a7e2cfee9 {
  leftBehind @0 $Json.name("left_behind");
  disability @1;
  noHouseholdRegistration @2 $Json.name("no_household_registration");
  outOfSchool @3 $Json.name("out_of_school");
  missingGuardianship @4 $Json.name("missing_guardianship");
  other @5;
}

enum IdentificationChannel @0xf093ffcb771a56c4 {
  homeVisit @0 $Json.name("home_visit");
  space @1;
  school @2;
  hotline @3;
  police @4;
  other @5;
}

enum ConsentSubject @0xf0952dfc811a713b {
  child @0;
  caregiver @1;
}

enum RiskLevel @0xf7c8858470f84650 {
  low @0;
  medium @1;
  high @2;
}

enum ApprovalKind @0xfebb98a2c9a33df4 {
  assessment @0;
  casePlan @1 $Json.name("case_plan");
  closure @2;
}

enum Decision @0x801019c72da9149e {
  approved @0;
  rejected @1;
}

enum ServiceType @0xca4960da0c2524e0 {
  socialAssistance @0 $Json.name("social_assistance");
  education @1;
  health @2;
  psychosocial @3;
  legal @4;
  targetedProtection @5 $Json.name("targeted_protection");
  caregiverSupport @6 $Json.name("caregiver_support");
  other @7;
}

enum ResponseTimeframe @0xffbb63920eb68058 {
  oneHour @0 $Json.name("1h");
  threeHours @1 $Json.name("3h");
  oneDay @2 $Json.name("1d");
  threeDays @3 $Json.name("3d");
  other @4;
}

enum FollowUpKind @0xf057da49aced3213 {
  homeVisit @0 $Json.name("home_visit");
  afterReunification @1 $Json.name("after_reunification");
  forService @2 $Json.name("for_service");
  forAssessment @3 $Json.name("for_assessment");
}

enum CaregiverSupportKind @0xf0f4f24bcc9e02dc {
  parenting @0;
  cashTransferLink @1 $Json.name("cash_transfer_link");
  counselling @2;
  other @3;
}

enum CloseReason @0x94573975eb15cf7f {
  formalClosing @0 $Json.name("formal_closing");
  transferred @1;
  repatriated @2;
  notSeenDuringVerification @3 $Json.name("not_seen_during_verification");
  deathOfChild @4 $Json.name("death_of_child");
  agedOut @5 $Json.name("aged_out");
  other @6;
}

enum Setting @0x9fc98eb2bf6c26f2 {
  urban @0;
  rural @1;
}

enum SpaceService @0xc819c96215c6311f {
  recreation @0;
  nonFormalEducation @1 $Json.name("non_formal_education");
  psychosocialSupport @2 $Json.name("psychosocial_support");
  referral @3;
}

enum Role @0xb7f3182bc7b39914 {
  childrenDirector @0 $Json.name("children_director");
  supervisor @1;
  caseworker @2;
  serviceProvider @3 $Json.name("service_provider");
  auditor @4;
  admin @5;
}

# ---- case streams: case-<id> ----

struct CaseOpened @0xf4de4f392b0fad08 {
  childRef @0 :Text $required;         # the child's pseudonymous reference
  name @1 :Sealed $required;
  sex @2 :Sex $required;
  birthDate @3 :Sealed;                # exact date, if known ("2015-04-02")
  estimatedAgeYears @4 :UInt8;         # when the birth date is not known; 0 = not given
  ageBand @5 :AgeBand $required;
  communityCode @6 :Text $required;    # 12-digit location code
  vulnerabilities @7 :List(Vulnerability);
  identificationChannel @8 :IdentificationChannel $required;
  owner @9 :Text;                      # worker id; empty = awaiting assignment
  agency @10 :Text $required;
  address @11 :Sealed;
}

struct ConsentRecorded @0xbef34205ef28aac4 {
  subject @0 :ConsentSubject $required;
  consentForServices @1 :Bool $required;
  disclosureToOtherOrgs @2 :Bool $required;
  consentForReporting @3 :Bool $required;
}

struct ProtectionConcernsRecorded @0xf091c76e56022d6b {
  concerns @0 :List(Text) $required;
  urgent @1 :Bool;
}

struct RiskAssessed @0xf4ec58dfb93c77fb {
  level @0 :RiskLevel $required;
  rationale @1 :Sealed;
}

struct AssessmentRequested @0xc017ad6f51dba684 {
  due @0 :Time $required;
}

struct AssessmentCompleted @0x82fb4cfe2aa2af59 {
  findings @0 :Sealed;
}

struct CasePlanSet @0xcdfa40ff616364bd {
  interventions @0 :List(Text) $required;
  due @1 :Time $required;
}

struct ApprovalRequested @0xf5862c188c0c28a7 {
  kind @0 :ApprovalKind $required;
}

struct ApprovalDecided @0xc739dcc7af695d01 {
  kind @0 :ApprovalKind $required;
  decision @1 :Decision $required;
  comment @2 :Sealed;
}

struct CaseAssigned @0xe2698b8e1e5f937d {
  newOwner @0 :Text $required;
  reason @1 :Sealed;
}

struct ReferralMade @0xa03333bcd8f40875 {
  referralId @0 :Text $required;
  serviceType @1 :ServiceType $required;
  toAgency @2 :Text $required;
  toUser @3 :Text;                     # the recipient who may accept or reject
  consentOverridden @4 :Bool;
}

struct ReferralAccepted @0x98d5e9c0517c499c {
  referralId @0 :Text $required;
}

struct ReferralRejected @0xc1f55995d2ee0ae1 {
  referralId @0 :Text $required;
  reason @1 :Sealed;
}

struct ReferralCompleted @0xbfd708ec54754c46 {
  referralId @0 :Text $required;
  outcomeNote @1 :Sealed;
}

struct ReferralRevoked @0xba8d44efb8eedd71 {
  referralId @0 :Text $required;
  reason @1 :Sealed;
}

struct ServicePlanned @0xe09713327e787422 {
  serviceId @0 :Text $required;
  serviceType @1 :ServiceType $required;
  responseTimeframe @2 :ResponseTimeframe $required;
  provider @3 :Text;
}

struct ServiceDelivered @0xd532af6094f49563 {
  serviceId @0 :Text $required;
  deliveredAt @1 :Time $required;
  provider @2 :Text;
}

struct FollowUpScheduled @0xbb0ed03ede94ce6b {
  followUpId @0 :Text $required;
  kind @1 :FollowUpKind $required;
  neededBy @2 :Time $required;
  note @3 :Sealed;
}

struct FollowUpCompleted @0xfc561a40c8bce1b2 {
  followUpId @0 :Text $required;
  doneAt @1 :Time $required;
  note @2 :Sealed;
}

struct TransferInitiated @0xf8eb6f07e328355c {
  toAgency @0 :Text $required;
  toUser @1 :Text $required;
  consentOverridden @2 :Bool;
}

struct TransferAccepted @0x905b16f217ae2415 {
  # Ownership moves to the toUser of the transfer in progress.
  note @0 :Sealed;
}

struct TransferRejected @0xea00aee43883da70 {
  reason @0 :Sealed;
}

struct TransferRevoked @0xeebad616b21fb387 {
  reason @0 :Sealed;
}

struct CaregiverSupportProvided @0x860e998c4bd07109 {
  kind @0 :CaregiverSupportKind $required;
}

struct NoteAdded @0xe612da9e306c4066 {
  text @0 :Sealed $required;
}

struct CaseClosed @0x8148c1c1c2a3ef43 {
  reason @0 :CloseReason $required;
}

struct CaseReopened @0x86975f0f173df9cb {
  reason @0 :Sealed;
}

struct ErasureRequested @0x8218d54964b52d40 {
  childRef @0 :Text $required;
  reason @1 :Text $required;
}

struct ErasureCompleted @0xbe4dcba3e8f61ebb {
  childRef @0 :Text $required;
}

# ---- communities, children's places, workers, the ledger itself ----

struct CommunityRegistered @0xcc0985d6a4d0b314 {
  code @0 :Text $required;             # 12-digit location code; stream community-<code>
  name @1 :Text $required;
  setting @2 :Setting $required;
  childPopulation @3 :UInt32;          # estimate; 0 = not registered
}

struct SpaceOpened @0xb87728f382b0720c {
  spaceId @0 :Text $required;
  communityCode @1 :Text $required;
  services @2 :List(SpaceService) $required;
  operator @3 :Text;
  capacity @4 :UInt32;
}

struct SpaceClosed @0xafee4d08dcde7bf4 {
  spaceId @0 :Text $required;
  reason @1 :Text;
}

struct ChildEnrolled @0xe4e75a71b0e42cb8 {
  spaceId @0 :Text $required;
  childRef @1 :Text $required;         # the child's reference (or case id)
  sex @2 :Sex $required;
  ageBand @3 :AgeBand $required;
  leftBehind @4 :Bool;
}

struct AttendanceRecorded @0xa9f265ac06f2f05d {
  spaceId @0 :Text $required;
  date @1 :Date $required;
  childRefs @2 :List(Text) $required;
}

struct ParticipantCount @0xaf1cd16b11230e88 {
  sex @0 :Sex $required;
  ageBand @1 :AgeBand $required;
  count @2 :UInt32 $required;
}

struct ActivityHeld @0xa1ddd3e3d08a6e7f {
  spaceId @0 :Text $required;
  kind @1 :Text $required;
  participants @2 :List(ParticipantCount);
}

struct WorkerRegistered @0xcff5343bb3c0cefd {
  workerId @0 :Text $required;
  role @1 :Role $required;
  locationCode @2 :Text;               # community (12) or township (9) code of the scope
  agency @3 :Text;
}

struct WorkerRoleChanged @0xb26df0860c026683 {
  workerId @0 :Text $required;
  role @1 :Role $required;
  locationCode @2 :Text;
  agency @3 :Text;
}

struct CaseHistoryRead @0xeecf0d71221ad7fc {
  # In stream access-<case stream>; the envelope's recordedBy says who read.
  caseStream @0 :Text $required;
  purpose @1 :Text $required;
}

struct LedgerExported @0x9d41b0e5cf7b7f6e {
  fromPosition @0 :UInt64 $required;
  toPosition @1 :UInt64 $required;
  purpose @2 :Text $required;
}

struct EntryVoided @0x9490c9df7eaf2cce {
  # Withdraws the event at `position` entirely; figures ignore it.
  position @0 :UInt64 $required;
  reason @1 :Text $required;
}

struct CaseEvent @0x869fe3949a340ca5 {
  # The catalogue: one member per event type. The envelope's `type` is the member's
  # struct name (e.g. "ReferralMade").
  union {
    caseOpened @0 :CaseOpened;
    consentRecorded @1 :ConsentRecorded;
    protectionConcernsRecorded @2 :ProtectionConcernsRecorded;
    riskAssessed @3 :RiskAssessed;
    assessmentRequested @4 :AssessmentRequested;
    assessmentCompleted @5 :AssessmentCompleted;
    casePlanSet @6 :CasePlanSet;
    approvalRequested @7 :ApprovalRequested;
    approvalDecided @8 :ApprovalDecided;
    caseAssigned @9 :CaseAssigned;
    referralMade @10 :ReferralMade;
    referralAccepted @11 :ReferralAccepted;
    referralRejected @12 :ReferralRejected;
    referralCompleted @13 :ReferralCompleted;
    referralRevoked @14 :ReferralRevoked;
    servicePlanned @15 :ServicePlanned;
    serviceDelivered @16 :ServiceDelivered;
    followUpScheduled @17 :FollowUpScheduled;
    followUpCompleted @18 :FollowUpCompleted;
    transferInitiated @19 :TransferInitiated;
    transferAccepted @20 :TransferAccepted;
    transferRejected @21 :TransferRejected;
    transferRevoked @22 :TransferRevoked;
    caregiverSupportProvided @23 :CaregiverSupportProvided;
    noteAdded @24 :NoteAdded;
    caseClosed @25 :CaseClosed;
    caseReopened @26 :CaseReopened;
    erasureRequested @27 :ErasureRequested;
    erasureCompleted @28 :ErasureCompleted;
    communityRegistered @29 :CommunityRegistered;
    spaceOpened @30 :SpaceOpened;
    spaceClosed @31 :SpaceClosed;
    childEnrolled @32 :ChildEnrolled;
    attendanceRecorded @33 :AttendanceRecorded;
    activityHeld @34 :ActivityHeld;
    workerRegistered @35 :WorkerRegistered;
    workerRoleChanged @36 :WorkerRoleChanged;
    caseHistoryRead @37 :CaseHistoryRead;
    ledgerExported @38 :LedgerExported;
    entryVoided @39 :EntryVoided;
  }
}
