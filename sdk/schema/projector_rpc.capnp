# The projector's local RPC interface, served on the Unix socket DIR/run/projector.sock.
# Its clients are `caseledger query`, `caseledger plugins`, the server and the embedded
# Client: no plugin code runs in them. Part of the SDK's client library, so that an
# embedded Client asks a running projector the same way the tools do. Errors come back as a Status in the results (code name as in
# caseledger::StatusCodeName, and a message), never as RPC exceptions.
@0xf50764d4e9724a3b;

using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("caseledger::projector::rpc");
using Query = import "/schema/query.capnp";

struct Status @0xe1d3c5b7a9f08642 {
  code @0 :Text;     # "" = OK, else e.g. "NotFound"
  message @1 :Text;
}

struct PluginInfo @0xc6e8a0b2d4f13579 {
  name @0 :Text;
  version @1 :Text;
  description @2 :Text;
  path @3 :Text;
  sha256 @4 :Data;
  queries @5 :List(Text);
  hasCheckpoint @6 :Bool;
  position @7 :UInt64;        # the checkpoint: the view covers 1..position
  root @8 :Data;              # Merkle root over 1..position
  checkpointSha256 @9 :Data;  # the plugin file that made the checkpoint
  checkpointVersion @10 :Text;
  lag @11 :UInt64;
  health @12 :Text;           # running | failed | quarantined
  healthMessage @13 :Text;
  crashes @14 :UInt32;
}

struct RefusedPlugin @0xd9fb1d3f5a7c2e40 {
  path @0 :Text;
  reason @1 :Text;
}

interface Projector @0xa1c3e5f7b9d20864 {
  # Catches up with the committed position, then answers (see Projector::Query).
  query @0 (plugin :Text, query :Text, params :List(Query.QueryParam))
        -> (status :Status, result :Query.QueryResult);
  # Every plugin found, loaded or refused. With catchUp, after catching up with the
  # committed position; without, as they are now (a rebuild's progress shows as lag).
  plugins @1 (catchUp :Bool) -> (status :Status, plugins :List(PluginInfo), refused :List(RefusedPlugin));
  # Forgets the plugin's view and derives it again from position 1 (before returning).
  rebuild @2 (plugin :Text) -> (status :Status);
}
