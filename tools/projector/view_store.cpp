#include "view_store.h"

#include <capnp/message.h>
#include <capnp/serialize.h>

#include <algorithm>
#include <cstring>

#include "views.capnp.h"

namespace caseledger::projector {
namespace {

Status FromRocks(const rocksdb::Status& s, const std::string& what) {
  if (s.ok()) return Status::Ok();
  if (s.IsCorruption()) return Status::Corruption(what + ": " + s.ToString());
  if (s.IsBusy() || s.IsTimedOut() || s.ToString().find("lock") != std::string::npos)
    return Status::Busy(what + ": " + s.ToString() + " (is another projector running?)");
  return Status::IOError(what + ": " + s.ToString());
}

std::string Key(char kind, std::string_view plugin) {
  std::string key{kind, '/'};
  key.append(plugin);
  return key;
}

std::string Encode(capnp::MessageBuilder& message) {
  kj::Array<capnp::word> words = capnp::messageToFlatArray(message);
  kj::ArrayPtr<const char> bytes = words.asChars();
  return std::string(bytes.begin(), bytes.size());
}

// Decodes a stored record; kCorruption naming the key if it does not decode.
template <typename T, typename Fill>
Status Decode(const std::string& bytes, const std::string& key, Fill&& fill) {
  if (bytes.empty() || bytes.size() % sizeof(capnp::word) != 0)
    return Status::Corruption("views: record " + key + " has " + std::to_string(bytes.size()) +
                              " bytes");
  kj::Array<capnp::word> words = kj::heapArray<capnp::word>(bytes.size() / sizeof(capnp::word));
  std::memcpy(words.begin(), bytes.data(), bytes.size());
  try {
    capnp::FlatArrayMessageReader reader(words);
    fill(reader.getRoot<T>());
    return Status::Ok();
  } catch (const kj::Exception& e) {
    return Status::Corruption("views: record " + key +
                              " does not decode: " + e.getDescription().cStr());
  }
}

Hash256 ToHash(capnp::Data::Reader data) {
  Hash256 hash{};
  std::memcpy(hash.data(), data.begin(), std::min(data.size(), hash.size()));
  return hash;
}

}  // namespace

const char* HealthStateName(Health::State state) {
  switch (state) {
    case Health::State::kRunning:
      return "running";
    case Health::State::kFailed:
      return "failed";
    case Health::State::kQuarantined:
      return "quarantined";
  }
  return "?";
}

Result<std::unique_ptr<ViewStore>> ViewStore::Open(const std::string& path) {
  rocksdb::Options options;
  options.create_if_missing = true;
  options.max_open_files = 256;
  rocksdb::DB* db = nullptr;
  rocksdb::Status s = rocksdb::DB::Open(options, path, &db);
  if (!s.ok()) return FromRocks(s, "cannot open views " + path);
  return std::unique_ptr<ViewStore>(new ViewStore(std::unique_ptr<rocksdb::DB>(db)));
}

std::string ViewStore::StatePrefix(std::string_view plugin) { return Key('s', plugin) + "/"; }

Result<std::optional<Checkpoint>> ViewStore::GetCheckpoint(std::string_view plugin) {
  const std::string key = Key('c', plugin);
  std::string bytes;
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), key, &bytes);
  if (s.IsNotFound()) return std::optional<Checkpoint>();
  if (!s.ok()) return FromRocks(s, "views: cannot read " + key);
  Checkpoint c;
  CASELEDGER_RETURN_IF_ERROR(Decode<schema::ProjectionCheckpoint>(bytes, key, [&](auto r) {
    c.position = r.getPosition();
    c.root = ToHash(r.getRoot());
    c.plugin_sha256 = ToHash(r.getPluginSha256());
    c.plugin_name = r.getPluginName();
    c.plugin_version = r.getPluginVersion();
    c.state_schema = r.getStateSchema();
    c.committed_at_micros = r.getCommittedAtMicros();
  }));
  return std::optional<Checkpoint>(std::move(c));
}

Result<Health> ViewStore::GetHealth(std::string_view plugin) {
  const std::string key = Key('h', plugin);
  std::string bytes;
  Health h;
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), key, &bytes);
  if (s.IsNotFound()) return h;
  if (!s.ok()) return FromRocks(s, "views: cannot read " + key);
  CASELEDGER_RETURN_IF_ERROR(Decode<schema::PluginHealth>(bytes, key, [&](auto r) {
    switch (r.getState()) {
      case schema::PluginHealth::State::RUNNING:
        h.state = Health::State::kRunning;
        break;
      case schema::PluginHealth::State::FAILED:
        h.state = Health::State::kFailed;
        break;
      case schema::PluginHealth::State::QUARANTINED:
        h.state = Health::State::kQuarantined;
        break;
    }
    h.message = r.getMessage();
    h.position = r.getPosition();
    h.crashes = r.getCrashes();
  }));
  return h;
}

void ViewStore::PutCheckpoint(rocksdb::WriteBatch& batch, std::string_view plugin,
                              const Checkpoint& c) {
  capnp::MallocMessageBuilder message;
  auto b = message.initRoot<schema::ProjectionCheckpoint>();
  b.setPosition(c.position);
  b.setRoot(kj::arrayPtr(c.root.data(), c.root.size()));
  b.setPluginSha256(kj::arrayPtr(c.plugin_sha256.data(), c.plugin_sha256.size()));
  b.setPluginName(c.plugin_name);
  b.setPluginVersion(c.plugin_version);
  b.setStateSchema(c.state_schema);
  b.setCommittedAtMicros(c.committed_at_micros);
  batch.Put(Key('c', plugin), Encode(message));
}

void ViewStore::PutHealth(rocksdb::WriteBatch& batch, std::string_view plugin,
                          const Health& health) {
  capnp::MallocMessageBuilder message;
  auto b = message.initRoot<schema::PluginHealth>();
  switch (health.state) {
    case Health::State::kRunning:
      b.setState(schema::PluginHealth::State::RUNNING);
      break;
    case Health::State::kFailed:
      b.setState(schema::PluginHealth::State::FAILED);
      break;
    case Health::State::kQuarantined:
      b.setState(schema::PluginHealth::State::QUARANTINED);
      break;
  }
  b.setMessage(health.message);
  b.setPosition(health.position);
  b.setCrashes(health.crashes);
  batch.Put(Key('h', plugin), Encode(message));
}

void ViewStore::DeleteAll(rocksdb::WriteBatch& batch, std::string_view plugin) {
  const std::string prefix = StatePrefix(plugin);
  std::string end = prefix;
  end.back() = static_cast<char>('/' + 1);  // "s/<name>0": just past every "s/<name>/..." key
  batch.DeleteRange(db_->DefaultColumnFamily(), prefix, end);
  batch.Delete(Key('c', plugin));
  batch.Delete(Key('h', plugin));
}

Status ViewStore::Commit(rocksdb::WriteBatch& batch) {
  return FromRocks(db_->Write(rocksdb::WriteOptions(), &batch), "views: write failed");
}

}  // namespace caseledger::projector
