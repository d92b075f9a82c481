#include "state_cache.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <memory>
#include <utility>

namespace caseledger::projector {
namespace {

std::string_view View(caseledger_bytes b) { return {b.data, b.size}; }
caseledger_bytes Bytes(std::string_view s) { return {s.data(), s.size()}; }

}  // namespace

StateCache::StateCache(rocksdb::DB* db, std::string prefix, std::string plugin)
    : db_(db), prefix_(std::move(prefix)), plugin_(std::move(plugin)) {
  host_.struct_size = sizeof(caseledger_host);
  host_.context = this;
  host_.log = &StateCache::Log;
  host_.fail = &StateCache::Fail;
  host_.state_get = &StateCache::Get;
  host_.state_put = &StateCache::Put;
  host_.state_delete = &StateCache::Delete;
  host_.state_scan = &StateCache::Scan;
}

void StateCache::AddTo(rocksdb::WriteBatch& batch) {
  if (db_ == nullptr) return;
  for (auto& [key, value] : pending_) {
    const std::string full = prefix_ + key;
    if (value)
      batch.Put(full, *value);
    else
      batch.Delete(full);
    if (committed_.count(key)) Remember(key, std::move(value));
  }
  pending_.clear();
}

void StateCache::Discard() {
  pending_.clear();
  committed_.clear();
  committed_bytes_ = 0;
}

void StateCache::Remember(const std::string& key, std::optional<std::string> value) {
  constexpr size_t kOverhead = 64;  // node, hash bucket, optional
  const size_t size = key.size() + (value ? value->size() : 0) + kOverhead;
  if (committed_bytes_ + size > kReadCacheBytes) {  // full: start again
    committed_.clear();
    committed_bytes_ = 0;
  }
  auto [it, inserted] = committed_.try_emplace(key);
  if (!inserted)
    committed_bytes_ -=
        std::min(committed_bytes_, key.size() + (it->second ? it->second->size() : 0) + kOverhead);
  it->second = std::move(value);
  committed_bytes_ += size;
}

std::string StateCache::TakeFailure() {
  std::string failure = std::exchange(failure_, std::string());
  return failure.empty() ? "the plugin returned an error without saying why" : failure;
}

void StateCache::Log(void* context, int level, caseledger_bytes message) {
  auto* self = static_cast<StateCache*>(context);
  const auto spd = static_cast<spdlog::level::level_enum>(
      std::clamp(level, int{CASELEDGER_LOG_TRACE}, int{CASELEDGER_LOG_ERROR}));
  spdlog::log(spd, "plugin {}: {}", self->plugin_, View(message));
}

void StateCache::Fail(void* context, caseledger_bytes message) {
  auto* self = static_cast<StateCache*>(context);
  if (!self->failure_.empty()) self->failure_ += "; ";
  self->failure_.append(View(message));
}

int StateCache::Get(void* context, caseledger_bytes key, caseledger_bytes* value) {
  auto* self = static_cast<StateCache*>(context);
  if (auto it = self->pending_.find(View(key)); it != self->pending_.end()) {
    if (!it->second) return 0;
    self->last_value_ = *it->second;
    *value = Bytes(self->last_value_);
    return 1;
  }
  if (self->db_ == nullptr) return 0;
  const std::string plain(View(key));
  if (auto it = self->committed_.find(plain); it != self->committed_.end()) {
    if (!it->second) return 0;
    *value = Bytes(*it->second);  // stable until the next state call, as documented
    return 1;
  }
  rocksdb::Status s =
      self->db_->Get(rocksdb::ReadOptions(), self->prefix_ + plain, &self->last_value_);
  if (s.IsNotFound()) {
    self->Remember(plain, std::nullopt);
    return 0;
  }
  if (!s.ok()) {
    spdlog::error("plugin {}: state read failed: {}", self->plugin_, s.ToString());
    return -1;
  }
  self->Remember(plain, self->last_value_);
  *value = Bytes(self->last_value_);
  return 1;
}

int StateCache::Put(void* context, caseledger_bytes key, caseledger_bytes value) {
  auto* self = static_cast<StateCache*>(context);
  if (self->read_only_) {
    Fail(context, Bytes("state_put during a query (state is read-only there)"));
    return -1;
  }
  self->pending_.insert_or_assign(std::string(View(key)), std::string(View(value)));
  return 0;
}

int StateCache::Delete(void* context, caseledger_bytes key) {
  auto* self = static_cast<StateCache*>(context);
  if (self->read_only_) {
    Fail(context, Bytes("state_delete during a query (state is read-only there)"));
    return -1;
  }
  // Scratch state has nothing below the cache: erasing is enough.
  if (self->db_ == nullptr)
    self->pending_.erase(std::string(View(key)));
  else
    self->pending_.insert_or_assign(std::string(View(key)), std::nullopt);
  return 0;
}

int StateCache::Scan(void* context, caseledger_bytes prefix, caseledger_scan_visitor visitor,
                     void* visitor_context) {
  return static_cast<StateCache*>(context)->ScanMerged(std::string(View(prefix)), visitor,
                                                       visitor_context);
}

// Merges the committed keys (from RocksDB) with the pending writes, pending first on ties.
int StateCache::ScanMerged(const std::string& prefix, caseledger_scan_visitor visitor,
                           void* visitor_context) {
  std::unique_ptr<rocksdb::Iterator> it;
  const std::string full_prefix = prefix_ + prefix;
  if (db_ != nullptr) {
    it.reset(db_->NewIterator(rocksdb::ReadOptions()));
    it->Seek(full_prefix);
  }
  auto committed_key = [&]() -> std::optional<std::string_view> {
    if (!it || !it->Valid() || !it->key().starts_with(full_prefix)) return std::nullopt;
    return std::string_view(it->key().data(), it->key().size()).substr(prefix_.size());
  };
  auto pending = pending_.lower_bound(prefix);
  auto pending_valid = [&] {
    return pending != pending_.end() && std::string_view(pending->first).starts_with(prefix);
  };
  // Views handed to the visitor must outlive the call only; copy pending keys the plugin
  // might change from inside the visitor (state writes during a scan are allowed).
  while (true) {
    const std::optional<std::string_view> ck = committed_key();
    const bool pv = pending_valid();
    if (!ck && !pv) break;
    if (pv && (!ck || pending->first <= *ck)) {
      const bool shadows = ck && pending->first == *ck;
      const std::string key = pending->first;
      const std::optional<std::string> value = pending->second;
      ++pending;
      if (shadows) it->Next();
      if (value && visitor(visitor_context, Bytes(key), Bytes(*value)) != 0) return 0;
      // A visitor that wrote may have invalidated `pending`: find the next key again.
      pending = pending_.upper_bound(key);
    } else {
      const std::string key(*ck);
      const std::string value(it->value().data(), it->value().size());
      it->Next();
      if (visitor(visitor_context, Bytes(key), Bytes(value)) != 0) return 0;
    }
  }
  if (it && !it->status().ok()) {
    spdlog::error("plugin {}: state scan failed: {}", plugin_, it->status().ToString());
    return -1;
  }
  return 0;
}

}  // namespace caseledger::projector
