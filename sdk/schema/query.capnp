# A projection query's result as it travels: from the projector to the CLI and the
# server, and from the server to its clients, unchanged. Named, typed columns, then rows.
@0x951bffd1b5a3ee36;

using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("caseledger::schema");

struct QueryParam @0xc8f1e2a4b6d03957 {
  name @0 :Text;   # e.g. "as_of"
  value @1 :Text;  # e.g. "2026-03-01T00:00:00Z"
}

struct QueryColumn @0xe5a7c3b1d9f24680 {
  name @0 :Text;
  type @1 :Type;
  enum Type @0xb3d5f7a9c1e24608 {
    text @0;
    int @1;   # Int64
    real @2;  # Float64
  }
}

struct QueryCell @0xf2c4e6a8b0d13579 {
  union {
    null @0 :Void;
    text @1 :Text;
    int @2 :Int64;
    real @3 :Float64;
  }
}

struct QueryRow @0xd7e9f1a3b5c24681 {
  cells @0 :List(QueryCell);  # one per column, in column order
}

struct QueryResult @0xa9b1c3d5e7f02468 {
  columns @0 :List(QueryColumn);
  rows @1 :List(QueryRow);
}
