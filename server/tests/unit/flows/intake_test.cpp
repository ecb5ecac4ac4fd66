// Covers flows/intake: valid frames go on to their flow, binary and malformed frames get typed
// errors, and the rate limit refuses with the refused message's id (when it can be read), then
// closes a client that keeps pushing.
#include "peershare/flows/intake.hpp"

#include "test_support.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace peershare {
namespace {

using flows::intake;
using json = nlohmann::json;
using namespace std::chrono_literals;

const rate_limiter::clock::time_point t0{std::chrono::hours(1000)};

class intake_test : public ::testing::Test {
protected:
    intake_test() : self(test::peer(1)) {
        lim.messages_per_second = 1;
        lim.message_burst = 3;
    }
    static std::string lookup(std::string id) {
        return R"({"type":"lookup","id":)" + id + R"(,"resource":")" + test::resource(1).str() + R"("})";
    }
    static json reply_of(const intake::verdict& v) {
        if (const auto* r = std::get_if<intake::refuse>(&v)) return json::parse(r->result.reply);
        return nullptr;
    }

    limits lim;
    peer_id self;
};

TEST_F(intake_test, a_valid_frame_goes_on_to_its_flow_and_counts_as_its_type) {
    intake in(lim, self, t0);
    auto v = in.take(lookup("1"), true, t0);
    ASSERT_TRUE(std::holds_alternative<intake::handle>(v));
    EXPECT_TRUE(std::holds_alternative<signaling::lookup>(std::get<intake::handle>(v).message.payload));
    EXPECT_EQ(intake::counted_as(v), signaling::client_type::lookup);
}

TEST_F(intake_test, a_binary_frame_is_bad_message_and_counts_as_invalid) {
    intake in(lim, self, t0);
    auto v = in.take(lookup("1"), false, t0);
    EXPECT_EQ(reply_of(v)["code"], "bad_message");
    EXPECT_EQ(intake::counted_as(v), signaling::client_type::invalid);
}

TEST_F(intake_test, a_malformed_frame_gets_the_parsers_error_with_the_id_it_could_read) {
    intake in(lim, self, t0);
    auto v = in.take(R"({"type":"lookup","id":5,"resource":"nope"})", true, t0);
    EXPECT_EQ(reply_of(v)["code"], "bad_resource_id");
    EXPECT_EQ(reply_of(v)["id"], 5);
    EXPECT_EQ(std::get<intake::refuse>(v).result.error, errc::bad_resource_id);
}

TEST_F(intake_test, a_message_past_the_rate_limit_is_refused_with_its_own_id) {
    lim.message_burst = 4;  // room for the three refusals below before the connection is closed
    intake in(lim, self, t0);
    for (int i = 0; i < 4; ++i) ASSERT_TRUE(std::holds_alternative<intake::handle>(in.take(lookup("1"), true, t0)));
    auto numbered = in.take(lookup("42"), true, t0);
    EXPECT_EQ(reply_of(numbered)["code"], "rate_limited");
    EXPECT_EQ(reply_of(numbered)["id"], 42) << "the client can tell which request was refused";
    auto named = in.take(lookup(R"("lookup-7")"), true, t0);
    EXPECT_EQ(reply_of(named)["id"], "lookup-7");
    auto unreadable = in.take("not json", true, t0);
    EXPECT_EQ(reply_of(unreadable)["code"], "rate_limited");
    EXPECT_FALSE(reply_of(unreadable).contains("id")) << "no id can be read";
    EXPECT_EQ(intake::counted_as(unreadable), signaling::client_type::invalid);
}

TEST_F(intake_test, the_rate_limit_refills_with_time) {
    intake in(lim, self, t0);
    for (int i = 0; i < 3; ++i) in.take(lookup("1"), true, t0);
    ASSERT_TRUE(std::holds_alternative<intake::refuse>(in.take(lookup("1"), true, t0)));
    EXPECT_TRUE(std::holds_alternative<intake::handle>(in.take(lookup("1"), true, t0 + 1100ms)));
}

TEST_F(intake_test, a_client_refused_message_burst_times_in_a_row_is_closed) {
    intake in(lim, self, t0);
    for (int i = 0; i < 3; ++i) in.take(lookup("1"), true, t0);
    for (int i = 0; i < 2; ++i) ASSERT_TRUE(std::holds_alternative<intake::refuse>(in.take(lookup("1"), true, t0)));
    auto v = in.take(lookup("1"), true, t0);
    ASSERT_TRUE(std::holds_alternative<intake::close>(v));
    const auto& o = std::get<intake::close>(v).result;
    EXPECT_TRUE(o.reply.empty()) << "the close says it; no more replies";
    EXPECT_EQ(o.error, errc::rate_limited) << "counted as a rate_limited error";
    ASSERT_EQ(o.notes.size(), 1u);
    EXPECT_EQ(o.notes[0].text, "peer " + self.str().substr(0, 8) + " closed: rate limit exceeded 3 times in a row");
}

}  // namespace
}  // namespace peershare
