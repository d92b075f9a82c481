#include "caseledger/embedded_client.h"

#include "caseledger/case_events.h"
#include "caseledger/checkpoint.h"
#include "caseledger/read_record.h"
#include "projector_query.h"

namespace caseledger {
inline namespace v1 {
namespace {

class EmbeddedClient final : public Client {
 public:
  EmbeddedClient(std::string dir, std::unique_ptr<Ledger> ledger, std::string principal)
      : dir_(std::move(dir)), ledger_(std::move(ledger)), principal_(std::move(principal)) {}

  Result<ClientIdentity> WhoAmI() override {
    return ClientIdentity{principal_, "", "", "", ledger_->LedgerId()};
  }

  Result<AppendResult> Append(const AppendRequest& request) override {
    return ledger_->Append(request);
  }

  Result<std::vector<AppendResult>> AppendBatch(std::span<const AppendRequest> requests) override {
    return ledger_->AppendBatch(requests);
  }

  Result<StreamVersion> GetStreamVersion(std::string_view stream) override {
    return ledger_->GetStreamVersion(stream);
  }

  Result<std::vector<RecordedEvent>> ReadStream(std::string_view stream, StreamVersion from,
                                                Direction direction, size_t limit,
                                                std::string_view purpose) override {
    if (!IsCaseStream(stream)) return ledger_->ReadStream(stream, from, direction, limit);
    const Actor actor{principal_, "", ""};
    CASELEDGER_RETURN_IF_ERROR(
        RecordCaseHistoryRead(*ledger_, stream, purpose, actor, {}).status());
    CASELEDGER_ASSIGN_OR_RETURN(auto events, ledger_->ReadStream(stream, from, direction, limit));
    OpenPersonalFieldsWherePossible(*ledger_, events);
    return events;
  }

  Result<CaseHistoryAsOf> ReadCaseHistory(std::string_view case_stream, std::string_view purpose,
                                          const AsOf& as_of) override {
    CASELEDGER_ASSIGN_OR_RETURN(auto history,
                                caseledger::ReadCaseHistory(*ledger_, case_stream, purpose, as_of,
                                                            Actor{principal_, "", ""}, {}));
    OpenPersonalFieldsWherePossible(*ledger_, history.events);
    return history;
  }

  Result<std::vector<RecordedEvent>> ReadAll(Position from, size_t limit) override {
    return ledger_->ReadAll(from, limit);
  }

  Result<std::string> ReadRecord(Position position) override {
    return caseledger::ReadRecord(*ledger_, position);
  }

  Result<std::unique_ptr<Subscription>> Subscribe(Position from) override {
    return ledger_->Subscribe(from);
  }

  Result<QueryTable> Query(
      std::string_view plugin, std::string_view query,
      const std::vector<std::pair<std::string, std::string>>& params) override {
    return QueryRunningProjector(dir_, plugin, query, params);
  }

  Result<TreeHead> GetTreeHead() override { return ledger_->GetTreeHead(); }
  Result<TreeHead> GetTreeHeadAt(uint64_t size) override { return ledger_->GetTreeHeadAt(size); }
  Result<InclusionProof> ProveInclusion(Position position, uint64_t tree_size) override {
    return ledger_->ProveInclusion(position, tree_size);
  }
  Result<ConsistencyProof> ProveConsistency(uint64_t first_size, uint64_t second_size) override {
    return ledger_->ProveConsistency(first_size, second_size);
  }

  Result<ErasureResult> EraseChild(std::string_view child_ref, std::string_view reason) override {
    CASELEDGER_ASSIGN_OR_RETURN(auto erased,
                                ledger_->EraseChild(child_ref, reason, Actor{principal_, "", ""}));
    return ErasureResult{erased.streams, erased.already_erased()};
  }

  Result<std::string> LatestCheckpoint() override {
    CASELEDGER_ASSIGN_OR_RETURN(auto store, ReadCheckpointStore(dir_));
    if (store.checkpoints.empty())
      return Status::NotFound("no checkpoint has been signed for " + dir_ + " yet");
    return CheckpointToJson(store.checkpoints.back());
  }

 private:
  std::string dir_;
  std::unique_ptr<Ledger> ledger_;
  std::string principal_;
};

}  // namespace

Result<std::unique_ptr<Client>> OpenEmbeddedClient(const std::string& dir,
                                                   const LedgerOptions& options) {
  CASELEDGER_ASSIGN_OR_RETURN(auto ledger, Ledger::Open(dir, options));
  // The recorded-by the ledger gives this process's appends (LedgerOptions).
  std::string principal =
      options.local_principal.empty() ? DefaultLocalPrincipal() : options.local_principal;
  return std::unique_ptr<Client>(new EmbeddedClient(dir, std::move(ledger), principal));
}

}  // namespace v1
}  // namespace caseledger
