#include "rpc_client.h"

#include <capnp/rpc-twoparty.h>
#include <fcntl.h>
#include <kj/async-io.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <thread>

#include "event_loop.h"
#include "projector_query.h"
#include "schema/projector_rpc.capnp.h"

namespace caseledger::projector {
namespace {

// True if something accepts connections on the socket.
bool Answers(const std::string& path) {
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::strncpy(address.sun_path, path.c_str(), sizeof(address.sun_path) - 1);
  const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0;
  ::close(fd);
  return ok;
}

std::string LastLine(const std::string& path) {
  std::ifstream in(path);
  std::string line, last;
  while (std::getline(in, line))
    if (!line.empty()) last = line;
  return last;
}

Hash256 ToHash(capnp::Data::Reader data) {
  Hash256 hash{};
  std::memcpy(hash.data(), data.begin(), std::min(data.size(), hash.size()));
  return hash;
}

}  // namespace

// On this thread's event loop, which it shares with any other connection the thread has
// (remote Clients, an embedded Client's queries).
struct ProjectorClient::Connection {
  explicit Connection(const std::string& socket) {
    auto address = loop->provider->getNetwork().parseAddress("unix:" + socket).wait(wait);
    stream = address->connect().wait(wait);
    rpc = kj::heap<capnp::TwoPartyClient>(*stream);
    projector = rpc->bootstrap().castAs<rpc::Projector>();
  }
  // Declared first, so destroyed last: everything below lives on its loop.
  std::shared_ptr<kj::AsyncIoContext> loop = client_internal::ThisThreadsEventLoop();
  kj::WaitScope& wait = loop->waitScope;
  kj::Own<kj::AsyncIoStream> stream;
  kj::Own<capnp::TwoPartyClient> rpc;
  rpc::Projector::Client projector = nullptr;
};

Result<std::unique_ptr<ProjectorClient>> ProjectorClient::Connect(
    const std::string& dir, const std::vector<std::string>& start_argv,
    std::chrono::seconds start_timeout) {
  std::error_code ec;
  if (!std::filesystem::is_directory(dir + "/meta", ec))
    return Status::NotFound(dir + " holds no ledger (no meta/)");
  const std::string socket = dir + "/run/projector.sock";
  std::unique_ptr<ProjectorClient> self(new ProjectorClient());
  if (!Answers(socket)) {
    std::filesystem::create_directories(dir + "/run", ec);
    const std::string log = dir + "/run/projector.log";
    const pid_t pid = ::fork();
    if (pid < 0) return Status::IOError(std::string("fork failed: ") + std::strerror(errno));
    if (pid == 0) {
      const int null = ::open("/dev/null", O_RDWR);
      const int err = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      if (null >= 0) ::dup2(null, STDIN_FILENO), ::dup2(null, STDOUT_FILENO);
      if (err >= 0) ::dup2(err, STDERR_FILENO);
      std::vector<char*> argv;
      for (const std::string& a : start_argv) argv.push_back(const_cast<char*>(a.c_str()));
      argv.push_back(nullptr);
      ::execv(argv[0], argv.data());
      _exit(127);
    }
    self->child_ = pid;
    const auto deadline = std::chrono::steady_clock::now() + start_timeout;
    while (!Answers(socket)) {
      int status = 0;
      if (::waitpid(pid, &status, WNOHANG) == pid) {
        self->child_ = -1;
        // Another projector may have won the race for DIR/views: use it if it answers.
        if (Answers(socket)) break;
        return Status::IOError("the projector started for this call exited: " + LastLine(log) +
                               " (log: " + log + ")");
      }
      if (std::chrono::steady_clock::now() > deadline)
        return Status::Timeout("the projector started for this call did not answer on " + socket +
                               " within " + std::to_string(start_timeout.count()) +
                               " s (log: " + log + ")");
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }
  try {
    self->connection_ = std::make_unique<Connection>(socket);
  } catch (const kj::Exception& e) {
    return Status::IOError("cannot connect to " + socket + ": " + e.getDescription().cStr());
  }
  return self;
}

ProjectorClient::~ProjectorClient() {
  connection_.reset();
  if (child_ > 0) {
    ::kill(child_, SIGTERM);
    int status = 0;
    while (::waitpid(child_, &status, 0) < 0 && errno == EINTR) {
    }
  }
}

Result<QueryTable> ProjectorClient::Query(
    const std::string& plugin, const std::string& query,
    const std::vector<std::pair<std::string, std::string>>& params) {
  return AskProjector(connection_->projector, connection_->wait, plugin, query, params);
}

Result<PluginList> ProjectorClient::Plugins(bool catch_up) {
  try {
    auto request = connection_->projector.pluginsRequest();
    request.setCatchUp(catch_up);
    auto response = request.send().wait(connection_->wait);
    CASELEDGER_RETURN_IF_ERROR(FromProjectorStatus(response.getStatus()));
    PluginList out;
    for (auto p : response.getPlugins()) {
      PluginStatus s;
      s.name = p.getName();
      s.version = p.getVersion();
      s.description = p.getDescription();
      s.path = p.getPath();
      s.sha256 = ToHash(p.getSha256());
      for (auto q : p.getQueries()) s.queries.emplace_back(q);
      if (p.getHasCheckpoint()) {
        Checkpoint c;
        c.position = p.getPosition();
        c.root = ToHash(p.getRoot());
        c.plugin_sha256 = ToHash(p.getCheckpointSha256());
        c.plugin_name = s.name;
        c.plugin_version = p.getCheckpointVersion();
        s.checkpoint = c;
      }
      s.lag = p.getLag();
      const std::string health = p.getHealth();
      s.health.state = health == "failed"        ? Health::State::kFailed
                       : health == "quarantined" ? Health::State::kQuarantined
                                                 : Health::State::kRunning;
      s.health.message = p.getHealthMessage();
      s.health.crashes = p.getCrashes();
      out.plugins.push_back(std::move(s));
    }
    for (auto r : response.getRefused()) out.refused.push_back({r.getPath(), r.getReason()});
    return out;
  } catch (const kj::Exception& e) {
    return ProjectorCallFailed(e);
  }
}

Status ProjectorClient::Rebuild(const std::string& plugin) {
  try {
    auto request = connection_->projector.rebuildRequest();
    request.setPlugin(plugin);
    auto response = request.send().wait(connection_->wait);
    return FromProjectorStatus(response.getStatus());
  } catch (const kj::Exception& e) {
    return ProjectorCallFailed(e);
  }
}

}  // namespace caseledger::projector
