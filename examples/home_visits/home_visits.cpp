// home_visits: home visits per children's director, an example projection plugin.
//
// A home visit is a FollowUpScheduled of kind home_visit; it is done when a
// FollowUpCompleted names its follow-up id. The query `by_user` lists, per worker, the
// home visits they scheduled and the ones they completed, and `pending` the visits
// scheduled and not yet completed, per case.
//
// Everything the plugin knows lives in its State (committed with each checkpoint by the
// projector), never in members of the class: that is what makes it exactly-once and lets
// the projector replay it for as-of queries.
#include <caseledger/projection.h>

#include <schema/case_events.capnp.h>

#include <map>
#include <string>
#include <utility>

namespace {

using caseledger::Event;
using caseledger::Payload;
using caseledger::State;
using caseledger::Table;
namespace schema = caseledger::schema;

// Keys of the state:
//   "visit/<stream>\x1f<follow-up id>" the worker who scheduled a pending home visit
//                                     (0x1F cannot occur in a stream id)
//   "scheduled/<worker>"             home visits the worker scheduled (decimal)
//   "completed/<worker>"             home visits the worker completed (decimal)
int64_t Number(const State& state, const std::string& key) {
  auto value = state.Get(key);
  return value ? std::stoll(*value) : 0;
}
void Increment(State& state, const std::string& key) {
  state.Put(key, std::to_string(Number(state, key) + 1));
}

class HomeVisits : public caseledger::Projection {
 public:
  static constexpr const char* kName = "home_visits";
  static constexpr const char* kVersion = "1.0.0";
  static constexpr uint32_t kStateSchema = 1;
  static constexpr const char* kDescription = "Home visits scheduled and completed per worker";
  static constexpr const char* kEventTypes[] = {"FollowUpScheduled", "FollowUpCompleted", nullptr};
  static constexpr const char* kQueries[] = {
      "by_user: home visits scheduled and completed, per worker",
      "pending: home visits scheduled and not completed, per case", nullptr};

  void Apply(std::span<const Event> events, State& state) override {
    for (const Event& e : events) {
      const std::string user(e.actor_user());
      if (e.type() == "FollowUpScheduled") {
        Payload<schema::FollowUpScheduled> scheduled(e.payload());
        if (scheduled->getKind() != schema::FollowUpKind::HOME_VISIT) continue;
        state.Put(VisitKey(e, scheduled->getFollowUpId()), user);
        Increment(state, "scheduled/" + user);
      } else {  // FollowUpCompleted
        Payload<schema::FollowUpCompleted> completed(e.payload());
        const std::string key = VisitKey(e, completed->getFollowUpId());
        if (!state.Get(key)) continue;  // not a home visit, or already completed
        state.Delete(key);
        Increment(state, "completed/" + user);
      }
    }
  }

  Table Query(std::string_view name, const caseledger::QueryParams& params, State& state) override {
    params.AllowOnly({"as_of", "as_of_position"});  // the projector answers those for us
    Table table;
    if (name == "by_user") {
      table.Column("user", Table::Type::kText)
          .Column("scheduled", Table::Type::kInt)
          .Column("completed", Table::Type::kInt);
      std::map<std::string, std::pair<int64_t, int64_t>> users;  // scheduled, completed
      state.Scan("scheduled/", [&](std::string_view key, std::string_view value) {
        users[std::string(key.substr(10))].first = std::stoll(std::string(value));
        return true;
      });
      state.Scan("completed/", [&](std::string_view key, std::string_view value) {
        users[std::string(key.substr(10))].second = std::stoll(std::string(value));
        return true;
      });
      for (const auto& [user, counts] : users) table.Row({user, counts.first, counts.second});
    } else if (name == "pending") {
      table.Column("case", Table::Type::kText)
          .Column("follow_up", Table::Type::kText)
          .Column("scheduled_by", Table::Type::kText);
      state.Scan("visit/", [&](std::string_view key, std::string_view user) {
        const std::string rest(key.substr(std::string_view("visit/").size()));
        const size_t separator = rest.find('\x1f');
        table.Row({rest.substr(0, separator), rest.substr(separator + 1), std::string(user)});
        return true;
      });
    } else {
      throw caseledger::PluginError("unknown query \"" + std::string(name) +
                                    "\" (home_visits answers by_user and pending)");
    }
    return table;
  }

 private:
  static std::string VisitKey(const Event& e, capnp::Text::Reader follow_up_id) {
    return "visit/" + std::string(e.stream()) + '\x1f' + std::string(follow_up_id.cStr());
  }
};

}  // namespace

CASELEDGER_REGISTER_PROJECTION(HomeVisits)
