#include "caseledger/json.h"

#include <capnp/compat/json.h>
#include <capnp/message.h>
#include <kj/exception.h>

#include "schema/envelope.capnp.h"

namespace caseledger {
inline namespace v1 {

Result<Actor> ActorFromJson(std::string_view json) {
  capnp::JsonCodec codec;
  codec.setRejectUnknownFields(true);
  capnp::MallocMessageBuilder message;
  auto builder = message.initRoot<schema::Actor>();
  Actor actor;
  KJ_IF_MAYBE(e, kj::runCatchingExceptions([&] {
                codec.decode(kj::ArrayPtr<const char>(json.data(), json.size()), builder);
                actor.user = builder.getUser().cStr();
                actor.role = builder.getRole().cStr();
                actor.agency = builder.getAgency().cStr();
              })) {
    return Status::InvalidArgument("actor " + std::string(json) +
                                   " is not {\"user\",\"role\",\"agency\"} JSON: " +
                                   e->getDescription().cStr());
  }
  return actor;
}

std::string ActorToJson(const Actor& actor) {
  capnp::JsonCodec codec;
  capnp::MallocMessageBuilder message;
  auto builder = message.initRoot<schema::Actor>();
  builder.setUser(actor.user);
  builder.setRole(actor.role);
  builder.setAgency(actor.agency);
  return codec.encode(builder.asReader()).cStr();
}

}  // namespace v1
}  // namespace caseledger
