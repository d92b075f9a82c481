#include "seal/key_store.h"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "util/endian.h"

namespace caseledger::seal {
namespace {

constexpr char kCheckMagic[8] = {'C', 'L', 'K', 'E', 'Y', 'S', '0', '1'};
constexpr std::string_view kCheckText = "caseledger key store check";
constexpr size_t kNonce = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;  // 24
constexpr size_t kTag = crypto_aead_xchacha20poly1305_ietf_ABYTES;       // 16
constexpr size_t kSealedKey = 32 + kTag;
constexpr uint32_t kMaxBody = 4096;

std::string Errno(const std::string& what) { return what + ": " + std::strerror(errno); }

// Associated data binds a sealed key to its ledger and its id, so that a sealed key
// copied to another ledger or to another id does not open.
std::string KeyAd(const log::LedgerId& ledger, const KeyId& id) {
  std::string ad = "caseledger child key v1";
  ad.append(reinterpret_cast<const char*>(ledger.data()), ledger.size());
  ad.append(reinterpret_cast<const char*>(id.data()), id.size());
  return ad;
}

std::string CheckAd(const log::LedgerId& ledger) {
  std::string ad = "caseledger key store v1";
  ad.append(reinterpret_cast<const char*>(ledger.data()), ledger.size());
  return ad;
}

Status WriteAll(int fd, std::string_view bytes, const std::string& path) {
  while (!bytes.empty()) {
    ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return Status::IOError(Errno("cannot write " + path));
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return Status::Ok();
}

Status SyncDir(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return Status::IOError(Errno("cannot open " + dir));
  const int rc = ::fsync(fd);
  ::close(fd);
  return rc == 0 ? Status::Ok() : Status::IOError(Errno("cannot sync " + dir));
}

void PutU16(std::string& out, size_t v) {
  out.push_back(static_cast<char>(v & 0xff));
  out.push_back(static_cast<char>((v >> 8) & 0xff));
}

}  // namespace

ChildKey::~ChildKey() { sodium_memzero(key.data(), key.size()); }

Status KeyStore::Create(const std::string& keys_dir, const MasterKey& master,
                        const log::LedgerId& ledger_id) {
  std::error_code ec;
  if (std::filesystem::exists(keys_dir + "/check", ec))
    return Status::AlreadyExists(keys_dir + " already exists");
  std::filesystem::create_directories(keys_dir, ec);
  if (ec) return Status::IOError("cannot create " + keys_dir + ": " + ec.message());
  ::chmod(keys_dir.c_str(), 0700);
  std::string check(kCheckMagic, sizeof kCheckMagic);
  uint8_t nonce[kNonce];
  randombytes_buf(nonce, sizeof nonce);
  check.append(reinterpret_cast<const char*>(nonce), sizeof nonce);
  std::string sealed(kCheckText.size() + kTag, '\0');
  const std::string ad = CheckAd(ledger_id);
  crypto_aead_xchacha20poly1305_ietf_encrypt(
      reinterpret_cast<uint8_t*>(sealed.data()), nullptr,
      reinterpret_cast<const uint8_t*>(kCheckText.data()), kCheckText.size(),
      reinterpret_cast<const uint8_t*>(ad.data()), ad.size(), nullptr, nonce, master.bytes.data());
  check += sealed;
  for (const auto& [name, bytes] :
       {std::pair<std::string, std::string>{"/journal", ""}, {"/check", check}}) {
    const std::string path = keys_dir + name;
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) return Status::IOError(Errno("cannot create " + path));
    Status s = WriteAll(fd, bytes, path);
    if (s.ok() && ::fsync(fd) != 0) s = Status::IOError(Errno("cannot sync " + path));
    ::close(fd);
    CASELEDGER_RETURN_IF_ERROR(s);
  }
  return SyncDir(keys_dir);
}

Result<std::unique_ptr<KeyStore>> KeyStore::Open(const std::string& keys_dir,
                                                 const MasterKey& master,
                                                 const log::LedgerId& ledger_id, bool writable) {
  std::unique_ptr<KeyStore> store(new KeyStore());
  store->dir_ = keys_dir;
  store->master_ = master.bytes;
  store->ledger_id_ = ledger_id;
  store->writable_ = writable;

  // The check file: is this the master key the store was created with?
  const std::string check_path = keys_dir + "/check";
  int cfd = ::open(check_path.c_str(), O_RDONLY | O_CLOEXEC);
  if (cfd < 0)
    return Status::NotFound(Errno("this ledger has no key store (" + check_path + ")") +
                            "; it was created without one, or DIR/keys was removed");
  std::string check(256, '\0');
  const ssize_t n = ::read(cfd, check.data(), check.size());
  ::close(cfd);
  const size_t expected = sizeof kCheckMagic + kNonce + kCheckText.size() + kTag;
  if (n != static_cast<ssize_t>(expected) ||
      std::memcmp(check.data(), kCheckMagic, sizeof kCheckMagic) != 0)
    return Status::Corruption(check_path + " is damaged (wrong size or magic)");
  const auto* nonce = reinterpret_cast<const uint8_t*>(check.data() + sizeof kCheckMagic);
  const auto* sealed = nonce + kNonce;
  std::string clear(kCheckText.size(), '\0');
  const std::string ad = CheckAd(ledger_id);
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(reinterpret_cast<uint8_t*>(clear.data()), nullptr,
                                                 nullptr, sealed, kCheckText.size() + kTag,
                                                 reinterpret_cast<const uint8_t*>(ad.data()),
                                                 ad.size(), nonce, master.bytes.data()) != 0 ||
      clear != kCheckText)
    return Status::InvalidArgument("wrong master key: it does not open this ledger's key store (" +
                                   check_path + ")");

  const std::string journal = keys_dir + "/journal";
  store->fd_ = ::open(journal.c_str(), (writable ? O_RDWR : O_RDONLY) | O_CLOEXEC);
  if (store->fd_ < 0) return Status::IOError(Errno("cannot open " + journal));
  std::lock_guard lock(store->mutex_);
  CASELEDGER_RETURN_IF_ERROR(store->ReadNewRecords());
  if (writable) {
    // Drop a torn final record: its fsync never returned, so no event uses its key.
    struct stat st {};
    if (::fstat(store->fd_, &st) == 0 && static_cast<uint64_t>(st.st_size) > store->read_end_) {
      if (::ftruncate(store->fd_, static_cast<off_t>(store->read_end_)) != 0 ||
          ::fsync(store->fd_) != 0)
        return Status::IOError(Errno("cannot cut the torn end of " + journal));
    }
  }
  return store;
}

KeyStore::~KeyStore() {
  sodium_memzero(master_.data(), master_.size());
  if (fd_ >= 0) ::close(fd_);
}

// Record: u32 body length (LE), body, u64 XXH3-64 of the body (LE). Body: key id (16),
// u16 stream length, stream, u16 child-ref length, child ref, nonce (24), sealed key (48).
Status KeyStore::ReadNewRecords() {
  const std::string journal = dir_ + "/journal";
  struct stat st {};
  if (::fstat(fd_, &st) != 0) return Status::IOError(Errno("cannot stat " + journal));
  const uint64_t size = static_cast<uint64_t>(st.st_size);
  if (size <= read_end_) return Status::Ok();
  std::string bytes(size - read_end_, '\0');
  ssize_t n = ::pread(fd_, bytes.data(), bytes.size(), static_cast<off_t>(read_end_));
  if (n < 0) return Status::IOError(Errno("cannot read " + journal));
  bytes.resize(static_cast<size_t>(n));
  size_t at = 0;
  while (bytes.size() - at >= 4) {
    const uint32_t length = LoadLE32(reinterpret_cast<const std::byte*>(bytes.data() + at));
    const uint64_t offset = read_end_ + at;
    if (length == 0 || length > kMaxBody)
      return Status::Corruption(journal + " is damaged at offset " + std::to_string(offset) +
                                " (record length " + std::to_string(length) + ")");
    if (bytes.size() - at < 4 + length + 8)
      break;  // incomplete: a torn tail, or a write in progress
    std::string_view body(bytes.data() + at + 4, length);
    uint64_t stored = 0;
    std::memcpy(&stored, bytes.data() + at + 4 + length, 8);
    if (stored != XXH3_64bits(body.data(), body.size())) {
      if (at + 4 + length + 8 == bytes.size()) break;  // the final record is torn
      return Status::Corruption(journal + " is damaged at offset " + std::to_string(offset) +
                                " (checksum)");
    }
    CASELEDGER_ASSIGN_OR_RETURN(auto key, Decode(body, offset));
    std::string id(reinterpret_cast<const char*>(key->id.data()), key->id.size());
    by_stream_[key->stream] = key;
    by_id_[id] = std::move(key);
    at += 4 + length + 8;
  }
  read_end_ += at;
  return Status::Ok();
}

Result<std::shared_ptr<const ChildKey>> KeyStore::Decode(std::string_view body,
                                                         uint64_t offset) const {
  auto bad = [&](const char* what) {
    return Status::Corruption(dir_ + "/journal is damaged at offset " + std::to_string(offset) +
                              " (" + what + ")");
  };
  auto key = std::make_shared<ChildKey>();
  size_t at = 0;
  auto take = [&](size_t n) -> std::string_view {
    if (body.size() - at < n) return {};
    std::string_view out = body.substr(at, n);
    at += n;
    return out;
  };
  auto take_u16 = [&]() -> int {
    auto b = take(2);
    return b.size() == 2 ? (static_cast<uint8_t>(b[0]) | (static_cast<uint8_t>(b[1]) << 8)) : -1;
  };
  auto id = take(16);
  if (id.size() != 16) return bad("key id");
  std::memcpy(key->id.data(), id.data(), 16);
  int length = take_u16();
  if (length < 0 || body.size() - at < static_cast<size_t>(length)) return bad("stream");
  key->stream = std::string(take(static_cast<size_t>(length)));
  length = take_u16();
  if (length < 0 || body.size() - at < static_cast<size_t>(length)) return bad("child ref");
  key->child_ref = std::string(take(static_cast<size_t>(length)));
  auto nonce = take(kNonce);
  auto sealed = take(kSealedKey);
  if (sealed.size() != kSealedKey || at != body.size()) return bad("sealed key");
  const std::string ad = KeyAd(ledger_id_, key->id);
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(
          key->key.data(), nullptr, nullptr, reinterpret_cast<const uint8_t*>(sealed.data()),
          sealed.size(), reinterpret_cast<const uint8_t*>(ad.data()), ad.size(),
          reinterpret_cast<const uint8_t*>(nonce.data()), master_.data()) != 0)
    return bad("a sealed key the master key does not open");
  return std::shared_ptr<const ChildKey>(std::move(key));
}

Result<std::vector<std::shared_ptr<const ChildKey>>> KeyStore::EnsureKeys(
    std::span<const KeyRequest> requests) {
  std::lock_guard lock(mutex_);
  std::vector<std::shared_ptr<const ChildKey>> out(requests.size());
  std::string records;
  std::vector<std::shared_ptr<ChildKey>> created;
  std::unordered_map<std::string_view, std::shared_ptr<const ChildKey>>
      fresh;  // by stream, this call
  for (size_t i = 0; i < requests.size(); ++i) {
    const KeyRequest& r = requests[i];
    if (auto it = by_stream_.find(std::string(r.stream)); it != by_stream_.end()) {
      out[i] = it->second;
      continue;
    }
    if (auto it = fresh.find(r.stream); it != fresh.end()) {
      out[i] = it->second;
      continue;
    }
    if (!writable_)
      return Status::InvalidArgument("the key store is open read-only; no key can be created");
    if (r.stream.size() > 0xffff || r.child_ref.size() > 0xffff)
      return Status::InvalidArgument("stream or child ref too long for a key record");
    auto key = std::make_shared<ChildKey>();
    randombytes_buf(key->id.data(), key->id.size());
    randombytes_buf(key->key.data(), key->key.size());
    key->stream = std::string(r.stream);
    key->child_ref = std::string(r.child_ref);
    std::string body(reinterpret_cast<const char*>(key->id.data()), key->id.size());
    PutU16(body, key->stream.size());
    body += key->stream;
    PutU16(body, key->child_ref.size());
    body += key->child_ref;
    uint8_t nonce[kNonce];
    randombytes_buf(nonce, sizeof nonce);
    body.append(reinterpret_cast<const char*>(nonce), sizeof nonce);
    uint8_t sealed[kSealedKey];
    const std::string ad = KeyAd(ledger_id_, key->id);
    crypto_aead_xchacha20poly1305_ietf_encrypt(sealed, nullptr, key->key.data(), key->key.size(),
                                               reinterpret_cast<const uint8_t*>(ad.data()),
                                               ad.size(), nullptr, nonce, master_.data());
    body.append(reinterpret_cast<const char*>(sealed), sizeof sealed);
    const uint32_t length = static_cast<uint32_t>(body.size());
    records.append(reinterpret_cast<const char*>(&length), 4);
    records += body;
    const uint64_t checksum = XXH3_64bits(body.data(), body.size());
    records.append(reinterpret_cast<const char*>(&checksum), 8);
    fresh[key->stream] = key;
    out[i] = key;
    created.push_back(std::move(key));
  }
  if (created.empty()) return out;
  const std::string journal = dir_ + "/journal";
  // Appends at the end the store has read: a torn tail was cut on open, and only this
  // process writes.
  size_t done = 0;
  while (done < records.size()) {
    ssize_t n = ::pwrite(fd_, records.data() + done, records.size() - done,
                         static_cast<off_t>(read_end_ + done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return Status::IOError(Errno("cannot write " + journal));
    done += static_cast<size_t>(n);
  }
  if (::fdatasync(fd_) != 0) return Status::IOError(Errno("cannot sync " + journal));
  read_end_ += records.size();
  for (auto& key : created) {
    by_id_[std::string(reinterpret_cast<const char*>(key->id.data()), key->id.size())] = key;
    by_stream_[key->stream] = key;
  }
  return out;
}

std::shared_ptr<const ChildKey> KeyStore::Find(const KeyId& id) {
  std::lock_guard lock(mutex_);
  const std::string k(reinterpret_cast<const char*>(id.data()), id.size());
  if (auto it = by_id_.find(k); it != by_id_.end()) return it->second;
  if (!ReadNewRecords().ok()) return nullptr;
  auto it = by_id_.find(k);
  return it == by_id_.end() ? nullptr : it->second;
}

}  // namespace caseledger::seal
