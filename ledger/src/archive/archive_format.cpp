#include "archive/archive_format.h"

#include <xxhash.h>

#include <cstring>

#include "util/endian.h"

namespace caseledger::archive {
namespace {

constexpr std::array<std::byte, 8> kMagic{std::byte{'C'}, std::byte{'L'}, std::byte{'A'},
                                          std::byte{'R'}, std::byte{'C'}, std::byte{'H'},
                                          std::byte{0},   std::byte{1}};

uint64_t HeaderChecksum(const std::byte* bytes) { return XXH3_64bits(bytes, 56); }

}  // namespace

std::array<std::byte, kHeaderBytes> EncodeHeader(const Header& header) {
  std::array<std::byte, kHeaderBytes> out{};
  std::memcpy(out.data(), kMagic.data(), kMagic.size());
  StoreLE32(out.data() + 8, kFormatVersion);
  std::memcpy(out.data() + 16, header.ledger_id.data(), header.ledger_id.size());
  StoreLE64(out.data() + 32, header.events);
  StoreLE64(out.data() + 40, header.checkpoint_bytes);
  StoreLE64(out.data() + 48, static_cast<uint64_t>(header.exported_at.time_since_epoch().count()));
  StoreLE64(out.data() + 56, HeaderChecksum(out.data()));
  return out;
}

Result<Header> DecodeHeader(std::span<const std::byte, kHeaderBytes> bytes) {
  if (std::memcmp(bytes.data(), kMagic.data(), kMagic.size()) != 0)
    return Status::InvalidArgument("not a CaseLedger archive (it does not start with CLARCH)");
  const uint32_t version = LoadLE32(bytes.data() + 8);
  if (version != kFormatVersion)
    return Status::InvalidArgument("archive format version " + std::to_string(version) +
                                   "; this caseledger reads version 1");
  if (LoadLE64(bytes.data() + 56) != HeaderChecksum(bytes.data()))
    return Status::InvalidArgument("the archive's header is damaged (its checksum does not match)");
  if (LoadLE32(bytes.data() + 12) != 0)
    return Status::InvalidArgument("the archive's header is damaged (reserved bytes not zero)");
  Header h;
  std::memcpy(h.ledger_id.data(), bytes.data() + 16, h.ledger_id.size());
  h.events = LoadLE64(bytes.data() + 32);
  h.checkpoint_bytes = LoadLE64(bytes.data() + 40);
  h.exported_at =
      Timestamp(std::chrono::microseconds(static_cast<int64_t>(LoadLE64(bytes.data() + 48))));
  if (h.checkpoint_bytes > kMaxCheckpointBytes)
    return Status::InvalidArgument("the archive's header claims " +
                                   std::to_string(h.checkpoint_bytes) +
                                   " bytes of checkpoints, more than any ledger writes");
  return h;
}

}  // namespace caseledger::archive
