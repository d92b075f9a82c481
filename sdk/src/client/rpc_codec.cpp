#include "rpc_codec.h"

#include <algorithm>
#include <cstring>
#include <string>

namespace caseledger::rpc_codec {
namespace {

capnp::Data::Reader Bytes(const uint8_t* data, size_t size) { return {data, size}; }

// An id field: 16 bytes, or empty (= the zero id) where `optional`.
Result<EventId> IdFromRpc(capnp::Data::Reader data, bool optional, const char* field) {
  EventId id;
  if (data.size() == 0 && optional) return id;
  if (data.size() != id.bytes.size())
    return Status::InvalidArgument(std::string(field) + ": " + std::to_string(data.size()) +
                                   " bytes where an id has 16");
  std::memcpy(id.bytes.data(), data.begin(), id.bytes.size());
  return id;
}

Result<Hash256> HashFromRpc(capnp::Data::Reader data, const char* field) {
  Hash256 hash{};
  if (data.size() != hash.size())
    return Status::InvalidArgument(std::string(field) + ": " + std::to_string(data.size()) +
                                   " bytes where a SHA-256 hash has 32");
  std::memcpy(hash.data(), data.begin(), hash.size());
  return hash;
}

void ToRpc(const ProposedEvent& e, rpc::ProposedEvent::Builder out) {
  out.setId(Bytes(e.id.bytes.data(), e.id.bytes.size()));
  out.setType(e.type);
  out.setSchemaVersion(e.schema_version);
  out.setOccurredAt(ToMicros(e.occurred_at));
  auto actor = out.initActor();
  actor.setUser(e.actor.user);
  actor.setRole(e.actor.role);
  actor.setAgency(e.actor.agency);
  if (!e.correlation_id.IsZero())
    out.setCorrelationId(Bytes(e.correlation_id.bytes.data(), e.correlation_id.bytes.size()));
  if (!e.causation_id.IsZero())
    out.setCausationId(Bytes(e.causation_id.bytes.data(), e.causation_id.bytes.size()));
  out.setCorrects(e.corrects);
  out.setCorrectionReason(e.correction_reason);
  out.setPayload(Bytes(reinterpret_cast<const uint8_t*>(e.payload.data()), e.payload.size()));
}

Result<ProposedEvent> FromRpc(rpc::ProposedEvent::Reader in) {
  ProposedEvent e;
  CASELEDGER_ASSIGN_OR_RETURN(e.id, IdFromRpc(in.getId(), false, "id"));
  e.type = in.getType();
  e.schema_version = in.getSchemaVersion();
  e.occurred_at = FromMicros(in.getOccurredAt());
  auto actor = in.getActor();
  e.actor = {actor.getUser(), actor.getRole(), actor.getAgency()};
  CASELEDGER_ASSIGN_OR_RETURN(e.correlation_id,
                              IdFromRpc(in.getCorrelationId(), true, "correlationId"));
  CASELEDGER_ASSIGN_OR_RETURN(e.causation_id, IdFromRpc(in.getCausationId(), true, "causationId"));
  e.corrects = in.getCorrects();
  e.correction_reason = in.getCorrectionReason();
  auto payload = in.getPayload();
  e.payload.assign(reinterpret_cast<const char*>(payload.begin()), payload.size());
  return e;
}

}  // namespace

void ToRpc(const Status& status, rpc::Status::Builder out) {
  if (status.ok()) return;
  out.setCode(StatusCodeName(status.code()));
  out.setMessage(status.message());
  if (status.code() == StatusCode::kWrongExpectedVersion)
    out.setActualVersion(status.actual_version().value_or(kNoStream));
}

Status FromRpc(rpc::Status::Reader status) {
  const std::string code = status.getCode();
  if (code.empty()) return Status::Ok();
  for (int c = 1; c <= static_cast<int>(StatusCode::kLastCode); ++c) {
    const auto known = static_cast<StatusCode>(c);
    if (code != StatusCodeName(known)) continue;
    if (known == StatusCode::kWrongExpectedVersion)
      return Status::WrongExpectedVersion(status.getMessage(), status.getActualVersion());
    return Status(known, status.getMessage());
  }
  return Status::IOError("the server answered with an unknown status " + code + ": " +
                         std::string(status.getMessage().cStr()));
}

void ToRpc(const AppendRequest& request, rpc::AppendRequest::Builder out) {
  out.setStream(request.stream);
  out.setExpectedVersion(request.expected_version.ToString());
  auto events = out.initEvents(static_cast<unsigned>(request.events.size()));
  for (unsigned i = 0; i < request.events.size(); ++i) ToRpc(request.events[i], events[i]);
}

Result<AppendRequest> FromRpc(rpc::AppendRequest::Reader in) {
  AppendRequest request;
  request.stream = in.getStream();
  auto expected = ExpectedVersion::Parse(in.getExpectedVersion().cStr());
  if (!expected.ok()) return expected.status().WithContext("expectedVersion");
  request.expected_version = *expected;
  unsigned index = 0;
  for (auto e : in.getEvents()) {
    auto event = FromRpc(e);
    if (!event.ok()) return event.status().WithContext("event " + std::to_string(index));
    request.events.push_back(std::move(*event));
    ++index;
  }
  return request;
}

void ToRpc(const AppendResult& result, rpc::AppendResult::Builder out) {
  out.setFirstPosition(result.first_position);
  out.setLastPosition(result.last_position);
  out.setFirstVersion(result.first_version);
  out.setLastVersion(result.last_version);
  out.setDeduplicated(result.deduplicated);
}

AppendResult FromRpc(rpc::AppendResult::Reader in) {
  return {in.getFirstPosition(), in.getLastPosition(), in.getFirstVersion(), in.getLastVersion(),
          in.getDeduplicated()};
}

void ToRpc(const RecordedEvent& event, rpc::RecordedEvent::Builder out) {
  out.setPosition(event.position);
  out.setStream(event.stream);
  out.setStreamVersion(event.stream_version);
  out.setRecordedAt(ToMicros(event.recorded_at));
  out.setRecordedBy(event.recorded_by);
  out.setContentDigest(Bytes(event.content_digest.data(), event.content_digest.size()));
  ToRpc(event.event, out.initEvent());
}

Result<RecordedEvent> FromRpc(rpc::RecordedEvent::Reader in) {
  RecordedEvent event;
  event.position = in.getPosition();
  event.stream = in.getStream();
  event.stream_version = in.getStreamVersion();
  event.recorded_at = FromMicros(in.getRecordedAt());
  event.recorded_by = in.getRecordedBy();
  CASELEDGER_ASSIGN_OR_RETURN(EventId digest,
                              IdFromRpc(in.getContentDigest(), false, "contentDigest"));
  event.content_digest = digest.bytes;
  CASELEDGER_ASSIGN_OR_RETURN(event.event, FromRpc(in.getEvent()));
  return event;
}

void ToRpc(const std::vector<RecordedEvent>& events, capnp::List<rpc::RecordedEvent>::Builder out) {
  for (unsigned i = 0; i < events.size(); ++i) ToRpc(events[i], out[i]);
}

Result<std::vector<RecordedEvent>> FromRpc(capnp::List<rpc::RecordedEvent>::Reader events) {
  std::vector<RecordedEvent> out;
  out.reserve(events.size());
  for (auto e : events) {
    auto event = FromRpc(e);
    if (!event.ok())
      return event.status().WithContext("event at position " + std::to_string(e.getPosition()));
    out.push_back(std::move(*event));
  }
  return out;
}

void ToRpc(const ClientIdentity& identity, rpc::Identity::Builder out) {
  out.setRecordedBy(identity.recorded_by);
  out.setRole(identity.role);
  out.setLocationCode(identity.location_code);
  out.setAgency(identity.agency);
  out.setLedgerId(Bytes(identity.ledger_id.data(), identity.ledger_id.size()));
}

Result<ClientIdentity> FromRpc(rpc::Identity::Reader in) {
  ClientIdentity identity{in.getRecordedBy(), in.getRole(), in.getLocationCode(), in.getAgency()};
  // Optional: a server older than ledgerId sends none (all zeros then).
  CASELEDGER_ASSIGN_OR_RETURN(EventId id, IdFromRpc(in.getLedgerId(), true, "ledgerId"));
  identity.ledger_id = id.bytes;
  return identity;
}

void ToRpc(const AsOf& as_of, rpc::AsOf::Builder out) {
  switch (as_of.kind) {
    case AsOf::Kind::kLatest:
      out.setLatest();
      break;
    case AsOf::Kind::kTime:
      out.setTime(ToMicros(as_of.time));
      break;
    case AsOf::Kind::kPosition:
      out.setPosition(as_of.position);
      break;
  }
}

AsOf FromRpc(rpc::AsOf::Reader in) {
  switch (in.which()) {
    case rpc::AsOf::TIME:
      return AsOf::Time(FromMicros(in.getTime()));
    case rpc::AsOf::POSITION:
      return AsOf::AtPosition(in.getPosition());
    default:  // latest, or a kind this side does not know
      return AsOf::Latest();
  }
}

void ToRpc(const CaseHistoryAsOf& history, rpc::CaseHistory::Builder out) {
  out.setStream(history.stream);
  ToRpc(history.asked, out.initAsked());
  out.setPosition(history.position);
  out.setRecordedAt(ToMicros(history.recorded_at));
  out.setLedgerPosition(history.ledger_position);
  ToRpc(history.this_read, out.initThisRead());
  ToRpc(history.events, out.initEvents(static_cast<unsigned>(history.events.size())));
  ToRpc(history.reads, out.initReads(static_cast<unsigned>(history.reads.size())));
}

Result<CaseHistoryAsOf> FromRpc(rpc::CaseHistory::Reader in) {
  CaseHistoryAsOf history;
  history.stream = in.getStream();
  history.asked = FromRpc(in.getAsked());
  history.position = in.getPosition();
  history.recorded_at = FromMicros(in.getRecordedAt());
  history.ledger_position = in.getLedgerPosition();
  auto this_read = FromRpc(in.getThisRead());
  if (!this_read.ok()) return this_read.status().WithContext("thisRead");
  history.this_read = std::move(*this_read);
  CASELEDGER_ASSIGN_OR_RETURN(history.events, FromRpc(in.getEvents()));
  CASELEDGER_ASSIGN_OR_RETURN(history.reads, FromRpc(in.getReads()));
  return history;
}

void ToRpc(const TreeHead& head, rpc::TreeHead::Builder out) {
  out.setSize(head.size);
  out.setRoot(Bytes(head.root.data(), head.root.size()));
}

Result<TreeHead> FromRpc(rpc::TreeHead::Reader in) {
  TreeHead head;
  head.size = in.getSize();
  CASELEDGER_ASSIGN_OR_RETURN(head.root, HashFromRpc(in.getRoot(), "root"));
  return head;
}

void ToRpc(uint64_t first, uint64_t second, const std::vector<Hash256>& path,
           rpc::Proof::Builder out) {
  out.setFirst(first);
  out.setSecond(second);
  auto list = out.initPath(static_cast<unsigned>(path.size()));
  for (unsigned i = 0; i < path.size(); ++i) list.set(i, Bytes(path[i].data(), path[i].size()));
}

Result<std::vector<Hash256>> PathFromRpc(rpc::Proof::Reader proof) {
  std::vector<Hash256> path;
  for (auto node : proof.getPath()) {
    CASELEDGER_ASSIGN_OR_RETURN(Hash256 hash, HashFromRpc(node, "proof path node"));
    path.push_back(hash);
  }
  return path;
}

void ToRpc(const QueryTable& table, schema::QueryResult::Builder out) {
  auto columns = out.initColumns(static_cast<unsigned>(table.columns.size()));
  for (unsigned i = 0; i < table.columns.size(); ++i) {
    columns[i].setName(table.columns[i].name);
    columns[i].setType(static_cast<schema::QueryColumn::Type>(table.columns[i].type));
  }
  auto rows = out.initRows(static_cast<unsigned>(table.rows.size()));
  for (unsigned r = 0; r < table.rows.size(); ++r) {
    auto cells = rows[r].initCells(static_cast<unsigned>(table.rows[r].size()));
    for (unsigned c = 0; c < table.rows[r].size(); ++c) {
      const QueryTable::Cell& cell = table.rows[r][c];
      if (const auto* s = std::get_if<std::string>(&cell))
        cells[c].setText(*s);
      else if (const auto* i = std::get_if<int64_t>(&cell))
        cells[c].setInt(*i);
      else if (const auto* d = std::get_if<double>(&cell))
        cells[c].setReal(*d);
      else
        cells[c].setNull();
    }
  }
}

Result<QueryTable> FromRpc(schema::QueryResult::Reader in) {
  QueryTable table;
  for (auto column : in.getColumns()) {
    const auto type = static_cast<unsigned>(column.getType());
    if (type > static_cast<unsigned>(QueryTable::Type::kReal))
      return Status::InvalidArgument("query result: column " + std::string(column.getName()) +
                                     " has an unknown type " + std::to_string(type));
    table.columns.push_back({column.getName(), static_cast<QueryTable::Type>(type)});
  }
  for (auto row : in.getRows()) {
    auto& cells = table.rows.emplace_back();
    if (row.getCells().size() != table.columns.size())
      return Status::InvalidArgument("query result: row " + std::to_string(table.rows.size()) +
                                     " has " + std::to_string(row.getCells().size()) +
                                     " cells for " + std::to_string(table.columns.size()) +
                                     " columns");
    for (auto cell : row.getCells()) {
      switch (cell.which()) {
        case schema::QueryCell::NULL_:
          cells.emplace_back(std::monostate{});
          break;
        case schema::QueryCell::TEXT:
          cells.emplace_back(std::string(cell.getText()));
          break;
        case schema::QueryCell::INT:
          cells.emplace_back(cell.getInt());
          break;
        case schema::QueryCell::REAL:
          cells.emplace_back(cell.getReal());
          break;
        default:
          return Status::InvalidArgument("query result: a cell of an unknown kind");
      }
    }
  }
  return table;
}

}  // namespace caseledger::rpc_codec
