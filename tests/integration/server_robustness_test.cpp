// `caseledger serve` against what a careless or hostile peer sends: raw bytes on a TCP
// connection (garbage, Cap'n Proto frame headers that lie about their size or count, a
// body cut short, nothing at all), and well-formed calls asking for what may not be
// given. Each is answered with a clear status or the connection is dropped; the server
// goes on serving everyone else and, at the end, stops cleanly (it never crashed).
#include <arpa/inet.h>
#include <capnp/rpc-twoparty.h>
#include <gtest/gtest.h>
#include <kj/async-io.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "caseledger/client.h"
#include "schema/rpc.capnp.h"
#include "server_fixture.h"

namespace caseledger {
namespace {

constexpr auto kPatience = std::chrono::seconds(10);

// The start of a Cap'n Proto frame (capnp/serialize.h): the segment count minus one, then
// each segment's size in words, all little-endian uint32, padded to a whole word.
std::string FrameHeader(const std::vector<uint32_t>& segment_words) {
  std::vector<uint32_t> words = {static_cast<uint32_t>(segment_words.size() - 1)};
  words.insert(words.end(), segment_words.begin(), segment_words.end());
  if (words.size() % 2 != 0) words.push_back(0);
  std::string bytes(words.size() * 4, '\0');
  for (size_t i = 0; i < words.size(); ++i)
    for (int b = 0; b < 4; ++b) bytes[i * 4 + b] = static_cast<char>((words[i] >> (8 * b)) & 0xff);
  return bytes;
}

// A plain TCP connection to "127.0.0.1:PORT", closed when it goes.
class RawConnection {
 public:
  explicit RawConnection(const std::string& address) {
    const size_t colon = address.rfind(':');
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(static_cast<uint16_t>(std::stoi(address.substr(colon + 1))));
    if (::inet_pton(AF_INET, address.substr(0, colon).c_str(), &to.sin_addr) != 1) return;
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd_ >= 0 && ::connect(fd_, reinterpret_cast<sockaddr*>(&to), sizeof(to)) != 0) {
      ::close(fd_);
      fd_ = -1;
    }
  }
  ~RawConnection() {
    if (fd_ >= 0) ::close(fd_);
  }
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;

  bool connected() const { return fd_ >= 0; }

  // Sends `bytes` (the server may hang up part way: that is not a failure).
  void Send(const std::string& bytes) {
    size_t sent = 0;
    while (sent < bytes.size()) {
      const ssize_t n = ::send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) return;
      sent += static_cast<size_t>(n);
    }
  }

  // Ends this side, then reads (and drops) whatever the server says until it ends its
  // side. False if it has not within kPatience.
  bool FinishAndAwaitServerClose() {
    ::shutdown(fd_, SHUT_WR);
    const auto give_up = std::chrono::steady_clock::now() + kPatience;
    char buffer[4096];
    while (std::chrono::steady_clock::now() < give_up) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 100) <= 0) continue;
      const ssize_t n = ::recv(fd_, buffer, sizeof(buffer), 0);
      if (n <= 0) return true;  // end of stream, or reset
    }
    return false;
  }

 private:
  int fd_ = -1;
};

// An rpc.capnp Status as the server answered it.
struct RawStatus {
  std::string code;  // "" = OK
  std::string message;
};

class ServerRobustness : public testing::Server {
 protected:
  // A worker's work goes on as before: a new connection authenticates, and appends.
  void ExpectStillServing() {
    auto client = Connect("cw-1");
    ASSERT_NE(client, nullptr) << "the server no longer accepts connections\n" << server_->log();
    auto me = client->WhoAmI();
    EXPECT_TRUE(me.ok()) << me.status().ToString();
    auto appended = client->Append(Request("case-1", {Event("NoteAdded", R"({"text":"ok"})")}));
    EXPECT_TRUE(appended.ok()) << appended.status().ToString();
  }

  void TearDown() override {
    // 0: stopped on SIGTERM as asked, after everything above; a crash would show here.
    if (server_) {
      EXPECT_EQ(server_->Stop(), 0) << server_->log();
    }
  }

  // Sends `bytes` on a raw connection and waits for the server to drop it.
  void SendRaw(const std::string& bytes) {
    RawConnection raw(server_->address());
    ASSERT_TRUE(raw.connected()) << server_->address();
    raw.Send(bytes);
    EXPECT_TRUE(raw.FinishAndAwaitServerClose()) << "the server kept the connection open";
  }

  // An append whose one event has an id of `id_bytes` bytes, which caseledger::Client
  // cannot send (its EventId has 16): written with rpc.capnp directly, on a thread of its
  // own (one Cap'n Proto event loop per thread, and this one's belongs to the Clients).
  RawStatus AppendWithIdOf(size_t id_bytes) {
    RawStatus answer;
    const std::string address = server_->address();
    const std::string token = tokens_.at("cw-1");
    const std::string payload = Event("NoteAdded", R"({"text":"short id"})").payload;
    std::thread([&] {
      KJ_IF_MAYBE (problem, kj::runCatchingExceptions([&] {
                     auto io = kj::setupAsyncIo();
                     auto to = io.provider->getNetwork().parseAddress(address).wait(io.waitScope);
                     auto stream = to->connect().wait(io.waitScope);
                     capnp::TwoPartyClient rpc(*stream);
                     auto gateway = rpc.bootstrap().castAs<rpc::Gateway>();
                     auto authenticate = gateway.authenticateRequest();
                     authenticate.setToken(token);
                     auto session = authenticate.send().wait(io.waitScope).getSession();
                     auto call = session.appendRequest();
                     auto request = call.initRequests(1)[0];
                     request.setStream("case-1");
                     request.setExpectedVersion("any");
                     auto event = request.initEvents(1)[0];
                     std::vector<kj::byte> id(id_bytes, 0x5a);
                     event.setId(kj::arrayPtr(id.data(), id.size()));
                     event.setType("NoteAdded");
                     event.setPayload(kj::arrayPtr(
                         reinterpret_cast<const kj::byte*>(payload.data()), payload.size()));
                     auto response = call.send().wait(io.waitScope);
                     answer.code = response.getStatus().getCode();
                     answer.message = response.getStatus().getMessage();
                   })) {
        answer.code = "exception";
        answer.message = problem->getDescription().cStr();
      }
    }).join();
    return answer;
  }
};

TEST_F(ServerRobustness, RandomBytesOnAConnectionDropItAndNothingElse) {
  std::mt19937 random(7);
  std::string garbage(4096, '\0');
  for (char& c : garbage) c = static_cast<char>(random());
  SendRaw(garbage);
  ExpectStillServing();
}

TEST_F(ServerRobustness, AFrameAnnouncingAHugeMessageIsRefusedWithoutAllocatingIt) {
  SendRaw(FrameHeader({0x7fffffff}));
  ExpectStillServing();
}

TEST_F(ServerRobustness, AFrameWhoseBodyIsCutShortIsDropped) {
  SendRaw(FrameHeader({16}) + std::string(5 * 8, '\x01'));
  ExpectStillServing();
}

TEST_F(ServerRobustness, AFrameAnnouncingSixHundredSegmentsIsRefused) {
  SendRaw(FrameHeader(std::vector<uint32_t>(600, 1)));
  ExpectStillServing();
}

TEST_F(ServerRobustness, AConnectionThatSaysNothingAndClosesIsForgotten) {
  {
    RawConnection silent(server_->address());
    ASSERT_TRUE(silent.connected());
  }
  SendRaw("");
  ExpectStillServing();
}

TEST_F(ServerRobustness, AnEventPayloadBeyondTheLimitIsRefusedWithAClearError) {
  auto client = Connect("cw-1");
  ASSERT_NE(client, nullptr);
  const std::string text(17u << 20, 'x');
  auto appended =
      client->Append(Request("case-1", {Event("NoteAdded", R"({"text":")" + text + "\"}")}));
  ASSERT_FALSE(appended.ok());
  EXPECT_EQ(appended.status().code(), StatusCode::kInvalidArgument)
      << appended.status().ToString().substr(0, 500);
  EXPECT_LT(appended.status().message().size(), 1000u) << "the refusal echoes the payload";
  EXPECT_NE(appended.status().message().find("payload"), std::string::npos)
      << appended.status().message();
  ExpectStillServing();
}

TEST_F(ServerRobustness, AMessageBeyondTheTransportLimitEndsOnlyItsOwnConnection) {
  // Cap'n Proto reads at most 64 MiB of one message: beyond that the server cannot even
  // read the request, and drops the connection that sent it.
  auto client = Connect("cw-1");
  ASSERT_NE(client, nullptr);
  const std::string text(70u << 20, 'x');
  auto appended =
      client->Append(Request("case-1", {Event("NoteAdded", R"({"text":")" + text + "\"}")}));
  ASSERT_FALSE(appended.ok());
  EXPECT_EQ(appended.status().code(), StatusCode::kIOError)
      << appended.status().ToString().substr(0, 500);
  EXPECT_LT(appended.status().message().size(), 1000u) << "the refusal echoes the payload";
  ExpectStillServing();
}

TEST_F(ServerRobustness, AnEventIdThatIsNotSixteenBytesIsRefusedNamingTheId) {
  const RawStatus answer = AppendWithIdOf(3);
  EXPECT_EQ(answer.code, "InvalidArgument") << answer.message;
  EXPECT_NE(answer.message.find("id"), std::string::npos) << answer.message;
  EXPECT_NE(answer.message.find("3 bytes"), std::string::npos) << answer.message;
  ExpectStillServing();
}

TEST_F(ServerRobustness, AnEventTypeOutsideTheCatalogueIsRefused) {
  auto client = Connect("cw-1");
  ASSERT_NE(client, nullptr);
  ProposedEvent odd = Event("NoteAdded", R"({"text":"x"})");
  odd.type = "ChildTeleported";
  auto appended = client->Append(Request("case-1", {odd}));
  ASSERT_FALSE(appended.ok());
  EXPECT_EQ(appended.status().code(), StatusCode::kInvalidArgument) << appended.status().ToString();
  EXPECT_NE(appended.status().message().find("ChildTeleported"), std::string::npos)
      << appended.status().message();
}

TEST_F(ServerRobustness, NoClientWritesTheRecordOfReads) {
  auto client = Connect("cw-1");
  ASSERT_NE(client, nullptr);
  auto into_access =
      client->Append(Request("access-case-1", {Event("NoteAdded", R"({"text":"x"})")}));
  ASSERT_FALSE(into_access.ok());
  EXPECT_EQ(into_access.status().code(), StatusCode::kPermissionDenied)
      << into_access.status().ToString();
  auto forged = client->Append(Request(
      "case-1", {Event("CaseHistoryRead", R"({"caseStream":"case-1","purpose":"forged"})")}));
  ASSERT_FALSE(forged.ok());
  EXPECT_EQ(forged.status().code(), StatusCode::kPermissionDenied) << forged.status().ToString();
}

TEST_F(ServerRobustness, AStreamOfNoKnownKindIsRefused) {
  auto client = Connect("cw-1");
  ASSERT_NE(client, nullptr);
  auto appended = client->Append(Request("ledger-1", {Event("NoteAdded", R"({"text":"x"})")}));
  ASSERT_FALSE(appended.ok());
  EXPECT_EQ(appended.status().code(), StatusCode::kInvalidArgument) << appended.status().ToString();
  EXPECT_NE(appended.status().message().find("ledger-1"), std::string::npos)
      << appended.status().message();
}

TEST_F(ServerRobustness, AnEnormousReadLimitIsCappedNotObeyed) {
  auto client = Connect("cw-1");
  auto auditor = Connect("aud-1");
  ASSERT_NE(client, nullptr);
  ASSERT_NE(auditor, nullptr);
  auto history = client->ReadStream("case-1", 0, Direction::kForward, 4'000'000'000u, "review");
  ASSERT_TRUE(history.ok()) << history.status().ToString();
  EXPECT_EQ(history->size(), 1u);
  auto log = auditor->ReadAll(1, 4'000'000'000u);
  ASSERT_TRUE(log.ok()) << log.status().ToString();
  auto head = auditor->GetTreeHead();
  ASSERT_TRUE(head.ok());
  EXPECT_EQ(log->size(), head->size);
  ExpectStillServing();
}

TEST_F(ServerRobustness, ASubscriptionAskedForNoEventsGivesNoneAndLosesNone) {
  auto auditor = Connect("aud-1");
  ASSERT_NE(auditor, nullptr);
  auto subscription = auditor->Subscribe(1);
  ASSERT_TRUE(subscription.ok()) << subscription.status().ToString();
  // As every Subscription: up to max_events, here none, however many are waiting.
  auto none = (*subscription)->Next(0, std::chrono::milliseconds(100));
  ASSERT_TRUE(none.ok()) << none.status().ToString();
  EXPECT_TRUE(none->empty()) << none->size() << " events for maxEvents 0, the first at position "
                             << none->front().position;
  EXPECT_EQ((*subscription)->last_position(), 0u);
  auto next = (*subscription)->Next(10, std::chrono::seconds(5));
  ASSERT_TRUE(next.ok()) << next.status().ToString();
  ASSERT_FALSE(next->empty());
  EXPECT_EQ(next->front().position, none->size() + 1) << "events were skipped";
  subscription->reset();
  ExpectStillServing();
}

}  // namespace
}  // namespace caseledger
