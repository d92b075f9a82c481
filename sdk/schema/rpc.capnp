# The network interface of `caseledger serve` (docs/server.md): what a remote
# caseledger::Client speaks. The bootstrap capability is a Gateway; presenting a token
# gives a Session that acts as that token's worker for as long as the connection lasts.
# Every answer carries a Status (code name as caseledger::StatusCodeName gives it, "" =
# OK, and a message); RPC exceptions mean only that the connection or message failed.
# Times are microseconds since the epoch, UTC; ids are 16 bytes; hashes 32.
@0xe1596ef17adbfb30;

using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("caseledger::rpc");
using Query = import "/schema/query.capnp";

struct Status @0xfa8a849aea8ac0fd {
  code @0 :Text;            # "" = OK, else e.g. "PermissionDenied"
  message @1 :Text;
  actualVersion @2 :Int64;  # WrongExpectedVersion: the stream's version (-1: no stream)
}

struct Actor @0xa8514453938e8245 {
  user @0 :Text;
  role @1 :Text;
  agency @2 :Text;
}

struct ProposedEvent @0xf797a83af1f6cce0 {
  id @0 :Data;
  type @1 :Text;
  schemaVersion @2 :UInt16;
  occurredAt @3 :Int64;      # 0 = not given
  actor @4 :Actor;
  correlationId @5 :Data;    # empty = none
  causationId @6 :Data;
  corrects @7 :UInt64;       # 0 = none
  correctionReason @8 :Text;
  payload @9 :Data;          # the event's capnp payload, personal fields in clear
}

struct AppendRequest @0xa7c889965105fc7e {
  stream @0 :Text;
  expectedVersion @1 :Text;  # "any" | "no_stream" | "stream_exists" | a version number
  events @2 :List(ProposedEvent);
}

struct AppendResult @0x9249dcf1123fdd92 {
  firstPosition @0 :UInt64;
  lastPosition @1 :UInt64;
  firstVersion @2 :Int64;
  lastVersion @3 :Int64;
  deduplicated @4 :Bool;
}

struct RecordedEvent @0xbc749a01d547a178 {
  position @0 :UInt64;
  stream @1 :Text;
  streamVersion @2 :Int64;
  recordedAt @3 :Int64;
  recordedBy @4 :Text;
  contentDigest @5 :Data;
  event @6 :ProposedEvent;
}

struct TreeHead @0x9484366bc58cab9c {
  size @0 :UInt64;
  root @1 :Data;
}

struct Proof @0xfe33e09e25ea5fe9 {
  # Inclusion: first = the leaf index (position - 1), second = the tree size.
  # Consistency: first and second = the two tree sizes.
  first @0 :UInt64;
  second @1 :UInt64;
  path @2 :List(Data);
}

# caseledger/history_as_of.h: the moment a case's history is read as of.
struct AsOf @0xb598b74dec1eac97 {
  union {
    latest @0 :Void;
    time @1 :Int64;        # what the ledger knew at this time
    position @2 :UInt64;   # the ledger's positions 1..position
  }
}

struct CaseHistory @0xaaffd8e140c20485 {
  stream @0 :Text;
  asked @1 :AsOf;
  position @2 :UInt64;        # the last ledger position that counts (0: none)
  recordedAt @3 :Int64;       # recorded-at of position
  ledgerPosition @4 :UInt64;  # the last committed position before this read was recorded
  thisRead @5 :RecordedEvent;
  events @6 :List(RecordedEvent);
  reads @7 :List(RecordedEvent);
}

struct Identity @0xeaccbd78a38e6bef {
  recordedBy @0 :Text;     # "worker:<id>"
  role @1 :Text;
  locationCode @2 :Text;
  agency @3 :Text;
  ledgerId @4 :Data;       # 16 bytes: the ledger's id
}

interface Gateway @0x8b92a53d7f0cc9c3 {
  # Unauthenticated: a token that is malformed, unknown, revoked, or names a worker the
  # ledger does not know. The same answer for each, so that tokens cannot be probed.
  authenticate @0 (token :Text) -> (status :Status, session :Session);
}

interface Session @0x8781324eaf90d0fc {
  whoAmI @0 () -> (status :Status, identity :Identity);
  # One request, or several as one atomic unit (Ledger::AppendBatch).
  append @1 (requests :List(AppendRequest)) -> (status :Status, results :List(AppendResult));
  streamVersion @2 (stream :Text) -> (status :Status, version :Int64);
  # A case stream needs a purpose; its read is recorded before the events are sent.
  readStream @3 (stream :Text, from :Int64, backward :Bool, limit :UInt32, purpose :Text)
      -> (status :Status, events :List(RecordedEvent));
  readAll @4 (from :UInt64, limit :UInt32) -> (status :Status, events :List(RecordedEvent));
  subscribe @5 (from :UInt64) -> (status :Status, subscription :EventSubscription);
  query @6 (plugin :Text, query :Text, params :List(Query.QueryParam))
      -> (status :Status, result :Query.QueryResult);
  # latest: over every committed event; else over positions 1..atSize.
  treeHead @7 (latest :Bool, atSize :UInt64) -> (status :Status, head :TreeHead);
  proveInclusion @8 (position :UInt64, treeSize :UInt64) -> (status :Status, proof :Proof);
  proveConsistency @9 (firstSize :UInt64, secondSize :UInt64) -> (status :Status, proof :Proof);
  latestCheckpoint @10 () -> (status :Status, checkpoint :Text);
  # A case's whole history as of a moment, its read recorded once, first (needs a purpose).
  readCaseHistory @11 (stream :Text, purpose :Text, asOf :AsOf)
      -> (status :Status, history :CaseHistory);
  # The record at a position as the Merkle tree hashed it (personal fields sealed), for an
  # inclusion proof document. Auditors only, as readAll.
  readRecord @12 (position :UInt64) -> (status :Status, record :Data);
  # Erases a child's personal data (the child's keys destroyed; docs/privacy.md). Admins.
  eraseChild @13 (childRef :Text, reason :Text)
      -> (status :Status, streams :List(Text), alreadyErased :Bool);
}

interface EventSubscription @0xdd28846e32b6c2ca {
  # Up to maxEvents events after the last ones returned, waiting up to timeoutMillis
  # (at most 30,000) for the first. Empty when the wait ran out.
  next @0 (maxEvents :UInt32, timeoutMillis :UInt32) -> (status :Status, events :List(RecordedEvent));
}
