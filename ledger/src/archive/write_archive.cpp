// WriteArchive: the log up to a position and the ledger's checkpoints, in one file.
#include "archive/archive_format.h"
#include "caseledger/archive.h"
#include "caseledger/ledger.h"
#include "log/frame.h"
#include "merkle/frontier.h"
#include "merkle/hashing.h"
#include "util/file_util.h"

namespace caseledger {
inline namespace v1 {

Result<ArchiveSummary> WriteArchive(Ledger& ledger, const std::string& ledger_dir,
                                    const std::string& path, uint64_t events) {
  const Position committed = ledger.CommittedPosition();
  if (events == 0) events = committed;
  if (events > committed)
    return Status::InvalidArgument("cannot export " + std::to_string(events) +
                                   " events: the ledger has " + std::to_string(committed));
  CASELEDGER_ASSIGN_OR_RETURN(const TreeHead tree, ledger.GetTreeHeadAt(events));

  ArchiveSummary summary;
  summary.events = events;
  summary.tree = tree;
  CASELEDGER_ASSIGN_OR_RETURN(auto stored, ReadCheckpointStore(ledger_dir));
  std::string section;
  for (const Checkpoint& cp : stored.checkpoints) {
    if (cp.ledger_id != ledger.LedgerId() || cp.tree_size > events) continue;
    section += CheckpointToJson(cp);
    section += '\n';
    summary.checkpoints++;
    summary.vouched = std::max(summary.vouched, cp.tree_size);
  }

  archive::Header header;
  header.ledger_id = ledger.LedgerId();
  header.events = events;
  header.checkpoint_bytes = section.size();
  header.exported_at = Now();
  util::NewFile out;  // removed unless finished
  CASELEDGER_RETURN_IF_ERROR(out.Create(path, 0644));
  const auto encoded = archive::EncodeHeader(header);
  CASELEDGER_RETURN_IF_ERROR(out.Write(encoded.data(), encoded.size()));
  section.resize(archive::FramesOffset(section.size()) - archive::kHeaderBytes, '\0');
  CASELEDGER_RETURN_IF_ERROR(out.Write(section.data(), section.size()));

  // The records are hashed on the way out: an archive is written only of a log that still
  // has the tree the ledger stored (and signed).
  merkle::MerkleFrontier frontier;
  Status write_status;
  if (events > 0) {
    CASELEDGER_RETURN_IF_ERROR(ledger.ScanAll(1, events, [&](const EventView& v) {
      frontier.Append(merkle::LeafHash(v.record), {});
      auto frame = out.Extend(log::FramedSize(v.record.size()));
      if (frame.ok()) log::EncodeFrame(v.record, *frame);
      write_status = frame.status();
      return write_status.ok();
    }));
  }
  CASELEDGER_RETURN_IF_ERROR(write_status);
  if (frontier.size() != events)
    return Status::Corruption("only " + std::to_string(frontier.size()) + " of " +
                              std::to_string(events) + " events could be read from the log");
  if (frontier.Head().root != tree.root)
    return Status::Corruption("the log's records do not hash to the ledger's tree at size " +
                              std::to_string(events) + "; run `caseledger verify` first");
  CASELEDGER_ASSIGN_OR_RETURN(summary.bytes, out.Finish());
  util::SyncParentDir(path);
  return summary;
}

}  // namespace v1
}  // namespace caseledger
