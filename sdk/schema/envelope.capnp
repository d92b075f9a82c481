# The envelope: the bytes of one record in the segment log, and the leaf the Merkle tree
# hashes. Evolve only in Cap'n Proto's safe ways (add fields at the end, never renumber,
# never change a type); changes capnp cannot express bump `schemaVersion` of the payload
# and get an upcaster in the SDK. Byte framing around it: docs/format.md.
@0xf591806712a5deb3;

using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("caseledger::schema");

struct Actor @0xcab45b9a42d391e4 {
  # Who did it, as the source system states it (not checked by the ledger).
  user @0 :Text;
  role @1 :Text;
  agency @2 :Text;
}

struct Envelope @0x80c6d1dda9f3ce62 {
  position @0 :UInt64;        # dense from 1; leaf (position - 1) of the Merkle tree
  stream @1 :Text;            # printable ASCII, 1..256 bytes
  streamVersion @2 :UInt64;   # dense from 0 within the stream
  eventId @3 :Data;           # 16 bytes, chosen by the writer; idempotency key
  type @4 :Text;              # event type name, e.g. "ReferralMade"
  schemaVersion @5 :UInt16;   # version of the payload's schema
  recordedAt @6 :Int64;       # ledger time, microseconds since the Unix epoch, UTC
  occurredAt @7 :Int64;       # writer's time, same unit; 0 = not given
  actor @8 :Actor;            # as the source states it
  recordedBy @9 :Text;        # principal that appended it, set by the ledger
  correlationId @10 :Data;    # 16 bytes or empty
  causationId @11 :Data;      # 16 bytes or empty
  corrects @12 :UInt64;       # position this event corrects; 0 = none
  correctionReason @13 :Text; # why, when corrects != 0
  contentDigest @14 :Data;    # 16 bytes: keyed BLAKE2b of what the writer submitted
  payload @15 :Data;          # the event itself (a case-event struct, see case_events.capnp)
  appendLast @16 :UInt64;     # position of the last record of the atomic append (one
                              # request or batch) this record belongs to; recovery keeps an
                              # append only if all of it reached the disk
}
