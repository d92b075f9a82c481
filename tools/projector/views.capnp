# The projector's records in DIR/views (RocksDB), beside each plugin's own state.
# Keys (default column family):
#   "c/" name           ProjectionCheckpoint: the last committed batch of plugin `name`
#   "h/" name           PluginHealth: running, failed or quarantined, and why
#   "s/" name "/" key   the plugin's state (its own bytes)
# A checkpoint and the state it covers are written in one WriteBatch (exactly once).
@0xa68d20b90853b094;

using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("caseledger::projector::schema");

# Which code derived which view from which log prefix.
struct ProjectionCheckpoint @0xd1a8e6b2c4f37a15 {
  position @0 :UInt64;       # the last position applied; the state covers 1..position
  root @1 :Data;             # Merkle root (32 bytes) of the tree over 1..position
  pluginSha256 @2 :Data;     # SHA-256 (32 bytes) of the plugin file that applied the batch
  pluginName @3 :Text;
  pluginVersion @4 :Text;
  stateSchema @5 :UInt32;
  committedAtMicros @6 :Int64;  # projector's clock, UTC
}

struct PluginHealth @0xf4b7c2a9e1d05b38 {
  state @0 :State;
  enum State @0xa6c3e9d2b1f47e05 {
    running @0;
    failed @1;       # returned an error: stopped at its last checkpoint until rebuilt
    quarantined @2;  # crashed the projector repeatedly: not loaded until rebuilt
  }
  message @1 :Text;       # why it failed or was quarantined
  position @2 :UInt64;    # the batch's last position when it failed or crashed
  crashes @3 :UInt32;     # crashes since its last checkpoint
}
