// Covers core/signal_message: parsing and strict validation of client messages, request id echo, and the server message writers.
#include "peershare/core/signal_message.hpp"

#include "test_support.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cctype>
#include <string>

namespace peershare::signaling {
namespace {

using json = nlohmann::json;

const std::string R = "1ac032bd3e2e7814bc47c70a46001662acb652c376e5a608db6d65615e37356e";
const std::string P = "0123456789abcdef0123456789abcdef";

class signal_message : public ::testing::Test {
protected:
    limits lim;

    // Parses `text` and expects success.
    client_message accept_text(std::string_view text) {
        auto r = parse(text, lim);
        if (auto* f = std::get_if<parse_failure>(&r)) {
            ADD_FAILURE() << "refused with " << code_name(f->code) << " (" << f->message << "): " << text;
            return {{}, lookup{*resource_id::parse(R)}};
        }
        return std::get<client_message>(std::move(r));
    }
    // Parses `text` and expects a failure.
    parse_failure refuse_text(std::string_view text) {
        auto r = parse(text, lim);
        if (std::holds_alternative<client_message>(r)) {
            ADD_FAILURE() << "accepted: " << text;
            return {errc::ok, {}, {}};
        }
        auto f = std::get<parse_failure>(std::move(r));
        EXPECT_FALSE(f.message.empty()) << "a failure carries a message for people";
        return f;
    }
    errc code_of_text(std::string_view text) { return refuse_text(text).code; }

    client_message accept(const json& j) { return accept_text(j.dump()); }
    parse_failure refuse(const json& j) { return refuse_text(j.dump()); }
    errc code_of(const json& j) { return refuse(j).code; }

    static json announce_msg() { return {{"type", "announce"}, {"id", 1}, {"resource", R}, {"complete", false}}; }
    static json signal_msg() {
        return {{"type", "signal"}, {"id", 3}, {"resource", R}, {"to", P}, {"kind", "offer"}, {"data", {{"sdp", "v=0"}}}};
    }
};

// --- accepted messages ---

TEST_F(signal_message, announce_without_metadata) {
    auto m = accept(json{{"type", "announce"}, {"id", 1}, {"resource", R}, {"complete", true}});
    EXPECT_EQ(m.id, request_id{std::uint64_t{1}});
    ASSERT_TRUE(std::holds_alternative<announce>(m.payload));
    const auto& a = std::get<announce>(m.payload);
    EXPECT_EQ(a.resource.str(), R);
    EXPECT_TRUE(a.complete);
    EXPECT_FALSE(a.metadata.has_value());
    EXPECT_EQ(type_of(m.payload), client_type::announce);
}

TEST_F(signal_message, announce_with_metadata_carries_the_decoded_bytes) {
    auto j = announce_msg();
    j["metadata"] = "UFNIMQD/";
    auto m = accept(j);
    ASSERT_TRUE(std::holds_alternative<announce>(m.payload));
    const auto& a = std::get<announce>(m.payload);
    EXPECT_FALSE(a.complete);
    EXPECT_EQ(a.metadata, std::string("PSH1\0\xff", 6));
}

TEST_F(signal_message, lookup) {
    auto m = accept(json{{"type", "lookup"}, {"id", 2}, {"resource", R}});
    ASSERT_TRUE(std::holds_alternative<lookup>(m.payload));
    EXPECT_EQ(std::get<lookup>(m.payload).resource.str(), R);
    EXPECT_EQ(type_of(m.payload), client_type::lookup);
}

TEST_F(signal_message, leave) {
    auto m = accept(json{{"type", "leave"}, {"id", 4}, {"resource", R}});
    ASSERT_TRUE(std::holds_alternative<leave>(m.payload));
    EXPECT_EQ(std::get<leave>(m.payload).resource.str(), R);
    EXPECT_EQ(type_of(m.payload), client_type::leave);
}

TEST_F(signal_message, signal_offer_with_object_data) {
    auto data = json{{"sdp", "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\n"}, {"type", "offer"}};
    auto j = signal_msg();
    j["data"] = data;
    auto m = accept(j);
    ASSERT_TRUE(std::holds_alternative<signal>(m.payload));
    const auto& s = std::get<signal>(m.payload);
    EXPECT_EQ(s.resource.str(), R);
    EXPECT_EQ(s.to.str(), P);
    EXPECT_EQ(s.kind, signal_kind::offer);
    EXPECT_EQ(json::parse(s.data_json), data);
    EXPECT_EQ(type_of(m.payload), client_type::signal);
}

TEST_F(signal_message, signal_answer_and_candidate_kinds) {
    auto j = signal_msg();
    j["kind"] = "answer";
    EXPECT_EQ(std::get<signal>(accept(j).payload).kind, signal_kind::answer);
    j["kind"] = "candidate";
    EXPECT_EQ(std::get<signal>(accept(j).payload).kind, signal_kind::candidate);
}

TEST_F(signal_message, signal_candidate_with_string_data) {
    auto j = signal_msg();
    j["kind"] = "candidate";
    j["data"] = "candidate:1 1 udp 2122260223 192.0.2.1 54321 typ host";
    auto s = std::get<signal>(accept(j).payload);
    EXPECT_EQ(s.data_json, R"("candidate:1 1 udp 2122260223 192.0.2.1 54321 typ host")");
}

TEST_F(signal_message, signal_data_may_be_any_json_value_including_null) {
    for (const json& data : {json(nullptr), json(42), json::array({1, "two", nullptr}), json(false)}) {
        auto j = signal_msg();
        j["data"] = data;
        EXPECT_EQ(json::parse(std::get<signal>(accept(j).payload).data_json), data) << data.dump();
    }
}

TEST_F(signal_message, fields_may_come_in_any_order) {
    auto m = accept_text(R"({"resource":")" + R + R"(","complete":false,"id":5,"type":"announce"})");
    EXPECT_TRUE(std::holds_alternative<announce>(m.payload));
}

TEST_F(signal_message, message_without_id_has_no_request_id) {
    auto m = accept(json{{"type", "lookup"}, {"resource", R}});
    EXPECT_TRUE(std::holds_alternative<std::monostate>(m.id));
}

// --- bad_json ---

TEST_F(signal_message, text_that_is_not_json_is_bad_json) {
    EXPECT_EQ(code_of_text("not json"), errc::bad_json);
    EXPECT_EQ(code_of_text(""), errc::bad_json);
    EXPECT_EQ(code_of_text(R"({"type":"lookup")"), errc::bad_json);
    EXPECT_EQ(code_of_text(R"({"type":"lookup"} {})"), errc::bad_json);
}

TEST_F(signal_message, a_nul_byte_and_what_follows_it_are_bad_json) {
    // The JSON library would stop reading at the NUL and accept the object before it.
    using namespace std::string_literals;
    EXPECT_EQ(code_of_text(R"({"type":"ice"})"s + '\0' + "trailing"), errc::bad_json);
    EXPECT_EQ(code_of_text(R"({"type":"ice"})"s + '\0'), errc::bad_json);
}

TEST_F(signal_message, json_that_is_not_an_object_is_bad_json) {
    EXPECT_EQ(code_of_text("[]"), errc::bad_json);
    EXPECT_EQ(code_of_text(R"([{"type":"lookup"}])"), errc::bad_json);
    EXPECT_EQ(code_of_text(R"("lookup")"), errc::bad_json);
    EXPECT_EQ(code_of_text("42"), errc::bad_json);
    EXPECT_EQ(code_of_text("null"), errc::bad_json);
}

TEST_F(signal_message, nesting_deeper_than_max_json_depth_is_bad_json) {
    // The message object is level 1; `data` adds the rest.
    auto nested = [](std::size_t levels) {
        return std::string(levels, '[') + std::string(levels, ']');
    };
    auto with_data = [&](std::size_t depth) {
        return R"({"type":"signal","resource":")" + R + R"(","to":")" + P + R"(","kind":"offer","data":)" +
               nested(depth - 1) + "}";
    };
    EXPECT_EQ(json_nesting_depth(with_data(lim.max_json_depth)), lim.max_json_depth);
    accept_text(with_data(lim.max_json_depth));
    EXPECT_EQ(code_of_text(with_data(lim.max_json_depth + 1)), errc::bad_json);
    EXPECT_EQ(code_of_text(std::string(100000, '[')), errc::bad_json);
}

TEST_F(signal_message, nesting_limit_follows_the_configured_limit) {
    lim.max_json_depth = 2;
    auto j = signal_msg();
    j["data"] = json::object();
    accept(j);
    j["data"] = {{"a", json::object()}};
    EXPECT_EQ(code_of(j), errc::bad_json);
}

TEST(json_nesting_depth, ignores_brackets_inside_strings_and_escaped_quotes) {
    EXPECT_EQ(json_nesting_depth(R"({"a":"[[[{{{","b":"\"[[[","c":[1]})"), 2u);
    EXPECT_EQ(json_nesting_depth(R"("\\"[[)"), 2u);  // the escaped backslash does not escape the quote
    EXPECT_EQ(json_nesting_depth("{}"), 1u);
    EXPECT_EQ(json_nesting_depth("[[],[[]]]"), 3u);
    EXPECT_EQ(json_nesting_depth("42"), 0u);
}

// --- bad_message ---

TEST_F(signal_message, missing_type_is_bad_message) {
    EXPECT_EQ(code_of(json{{"id", 1}, {"resource", R}}), errc::bad_message);
    EXPECT_EQ(code_of_text("{}"), errc::bad_message);
}

TEST_F(signal_message, non_string_type_is_bad_message) {
    for (const json& type : {json(1), json(nullptr), json::array({"lookup"}), json{{"lookup", true}}})
        EXPECT_EQ(code_of(json{{"type", type}, {"resource", R}}), errc::bad_message) << type.dump();
}

TEST_F(signal_message, missing_required_field_is_bad_message) {
    for (const char* field : {"resource", "complete"}) {
        auto j = announce_msg();
        j.erase(std::string(field));
        EXPECT_EQ(code_of(j), errc::bad_message) << "announce without " << field;
    }
    for (const char* field : {"resource", "to", "kind", "data"}) {
        auto j = signal_msg();
        j.erase(std::string(field));
        EXPECT_EQ(code_of(j), errc::bad_message) << "signal without " << field;
    }
    EXPECT_EQ(code_of(json{{"type", "lookup"}}), errc::bad_message);
    EXPECT_EQ(code_of(json{{"type", "leave"}}), errc::bad_message);
}

TEST_F(signal_message, wrong_field_type_is_bad_message) {
    auto j = announce_msg();
    j["complete"] = "true";
    EXPECT_EQ(code_of(j), errc::bad_message);
    j["complete"] = 1;
    EXPECT_EQ(code_of(j), errc::bad_message);

    j = announce_msg();
    j["resource"] = 12;
    EXPECT_EQ(code_of(j), errc::bad_message);

    j = announce_msg();
    j["metadata"] = json::array({1, 2});
    EXPECT_EQ(code_of(j), errc::bad_message);

    j = signal_msg();
    j["to"] = 7;
    EXPECT_EQ(code_of(j), errc::bad_message);

    j = signal_msg();
    j["kind"] = 0;
    EXPECT_EQ(code_of(j), errc::bad_message);

    EXPECT_EQ(code_of(json{{"type", "lookup"}, {"resource", nullptr}}), errc::bad_message);
}

TEST_F(signal_message, unknown_signal_kind_is_bad_message) {
    auto j = signal_msg();
    for (const char* kind : {"bye", "Offer", "", "renegotiate"}) {
        j["kind"] = kind;
        EXPECT_EQ(code_of(j), errc::bad_message) << kind;
    }
}

TEST_F(signal_message, field_the_type_does_not_define_is_bad_message) {
    auto j = announce_msg();
    j["extra"] = 1;
    EXPECT_EQ(code_of(j), errc::bad_message);
    // `to` belongs to signal, not to lookup.
    EXPECT_EQ(code_of(json{{"type", "lookup"}, {"resource", R}, {"to", P}}), errc::bad_message);
    EXPECT_EQ(code_of(json{{"type", "leave"}, {"resource", R}, {"complete", true}}), errc::bad_message);
}

TEST_F(signal_message, peer_or_from_field_is_bad_message_so_a_client_cannot_act_as_another_peer) {
    for (const char* field : {"peer", "from"}) {
        auto s = signal_msg();
        s[field] = P;
        EXPECT_EQ(code_of(s), errc::bad_message) << "signal with " << field;
        auto a = announce_msg();
        a[field] = P;
        EXPECT_EQ(code_of(a), errc::bad_message) << "announce with " << field;
        EXPECT_EQ(code_of(json{{"type", "leave"}, {"resource", R}, {field, P}}), errc::bad_message) << "leave with " << field;
        EXPECT_EQ(code_of(json{{"type", "lookup"}, {"resource", R}, {field, P}}), errc::bad_message) << "lookup with " << field;
    }
}

// --- unknown_type, bad_resource_id, bad_metadata, unknown_peer ---

TEST_F(signal_message, type_naming_no_client_message_is_unknown_type) {
    for (const char* type : {"hello", "welcome", "announced", "peer_joined", "Announce", ""})
        EXPECT_EQ(code_of(json{{"type", type}, {"resource", R}}), errc::unknown_type) << type;
}

TEST_F(signal_message, resource_that_is_not_64_lowercase_hex_digits_is_bad_resource_id) {
    std::string upper = R;
    for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    for (const std::string& bad : {upper, R.substr(1), R + "0", std::string(), std::string(64, 'g'), R.substr(0, 63) + " "}) {
        EXPECT_EQ(code_of(json{{"type", "lookup"}, {"resource", bad}}), errc::bad_resource_id) << bad;
        auto a = announce_msg();
        a["resource"] = bad;
        EXPECT_EQ(code_of(a), errc::bad_resource_id) << bad;
        auto s = signal_msg();
        s["resource"] = bad;
        EXPECT_EQ(code_of(s), errc::bad_resource_id) << bad;
    }
}

TEST_F(signal_message, metadata_that_is_not_canonical_base64_is_bad_metadata) {
    // "UFNIMQ==" is "PSH1"; each of these deviates from it.
    for (const char* bad : {"@@@@", "UFNIMQ", "UFNIMR==", "UFNI MQ==", "UFNIMQ=", "UFNIMQ==="}) {
        auto j = announce_msg();
        j["metadata"] = bad;
        EXPECT_EQ(code_of(j), errc::bad_metadata) << bad;
    }
}

TEST_F(signal_message, malformed_to_is_unknown_peer) {
    std::string upper = P;
    for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    for (const std::string& bad : {upper, P.substr(1), P + "0", std::string(), R}) {
        auto j = signal_msg();
        j["to"] = bad;
        EXPECT_EQ(code_of(j), errc::unknown_peer) << bad;
    }
}

// --- request ids ---

TEST_F(signal_message, integer_id_is_echoed) {
    auto j = announce_msg();
    j["id"] = 0;
    EXPECT_EQ(accept(j).id, request_id{std::uint64_t{0}});
    j["id"] = (std::uint64_t{1} << 53) - 1;
    EXPECT_EQ(accept(j).id, request_id{(std::uint64_t{1} << 53) - 1});
}

TEST_F(signal_message, string_id_is_echoed_up_to_64_characters) {
    auto j = announce_msg();
    j["id"] = "req-1";
    EXPECT_EQ(accept(j).id, request_id{std::string("req-1")});
    j["id"] = "";
    EXPECT_EQ(accept(j).id, request_id{std::string()});
    j["id"] = std::string(max_request_id_chars, 'x');
    EXPECT_EQ(accept(j).id, request_id{std::string(64, 'x')});
}

TEST_F(signal_message, string_id_longer_than_64_characters_is_bad_message) {
    auto j = announce_msg();
    j["id"] = std::string(max_request_id_chars + 1, 'x');
    auto f = refuse(j);
    EXPECT_EQ(f.code, errc::bad_message);
    EXPECT_TRUE(std::holds_alternative<std::monostate>(f.id)) << "an id that is refused is not echoed";
}

TEST_F(signal_message, negative_fractional_or_too_large_id_is_bad_message) {
    for (const char* id : {"-1", "1.5", "1e3", "9007199254740992", "18446744073709551616", "true", "null", "[1]", "{}"}) {
        std::string text = R"({"type":"lookup","resource":")" + R + R"(","id":)" + id + "}";
        auto f = refuse_text(text);
        EXPECT_EQ(f.code, errc::bad_message) << id;
        EXPECT_TRUE(std::holds_alternative<std::monostate>(f.id)) << id;
    }
}

TEST_F(signal_message, failures_after_the_id_is_read_carry_it) {
    auto with_id = [](json j, json id) {
        j["id"] = id;
        return j;
    };
    const json cases[] = {
        json{{"resource", R}},                                               // missing type: bad_message
        json{{"type", "hello"}},                                             // unknown_type
        json{{"type", "lookup"}, {"resource", "ABC"}},                      // bad_resource_id
        json{{"type", "lookup"}, {"resource", R}, {"peer", P}},             // unknown field: bad_message
        json{{"type", "announce"}, {"resource", R}, {"complete", 1}},       // wrong type: bad_message
        json{{"type", "announce"}, {"resource", R}, {"complete", true}, {"metadata", "!"}},  // bad_metadata
        json{{"type", "signal"}, {"resource", R}, {"to", "x"}, {"kind", "offer"}, {"data", 1}},  // unknown_peer
    };
    for (const auto& c : cases) {
        EXPECT_EQ(refuse(with_id(c, 77)).id, request_id{std::uint64_t{77}}) << c.dump();
        EXPECT_EQ(refuse(with_id(c, "abc")).id, request_id{std::string("abc")}) << c.dump();
    }
}

TEST_F(signal_message, bad_json_carries_no_id) {
    EXPECT_TRUE(std::holds_alternative<std::monostate>(refuse_text(R"([{"id":5}])").id));
    EXPECT_TRUE(std::holds_alternative<std::monostate>(refuse_text(R"({"id":5,)").id));
}

// --- writers ---

TEST(signal_writers, welcome_has_the_documented_fields) {
    limits lim;
    lim.max_swarms = 7;
    auto self = *peer_id::parse(P);
    auto j = json::parse(write_welcome(self, {R"([{"urls":["stun:example.org:3478"]}])", "all", 0}, lim));
    EXPECT_EQ(j["type"], "welcome");
    EXPECT_EQ(j["protocol"], 1);
    EXPECT_EQ(j["peer"], P);
    EXPECT_EQ(j["ice_servers"], json::parse(R"([{"urls":["stun:example.org:3478"]}])"));
    EXPECT_EQ(j["ice_transport_policy"], "all");
    EXPECT_FALSE(j.contains("ice_expires")) << "no TURN credentials, nothing expires";
    const auto& l = j["limits"];
    EXPECT_EQ(l["max_message_bytes"], lim.max_message_bytes);
    EXPECT_EQ(l["max_swarms"], 7);
    EXPECT_EQ(l["messages_per_second"], lim.messages_per_second);
    EXPECT_EQ(l["message_burst"], lim.message_burst);
    EXPECT_EQ(l["max_lookup_peers"], lim.max_lookup_peers);
}

TEST(signal_writers, welcome_without_ice_servers_has_an_empty_list) {
    auto j = json::parse(write_welcome(*peer_id::parse(P), {}, limits{}));
    EXPECT_EQ(j["ice_servers"], json::array());
}

TEST(signal_writers, ice_servers_carries_the_list_policy_expiry_and_request_id) {
    auto j = json::parse(write_ice_servers(request_id{std::uint64_t{9}}, {R"([{"urls":["turn:t.example"],"username":"u","credential":"c"}])", "relay", 1700000000}));
    EXPECT_EQ(j["type"], "ice_servers");
    EXPECT_EQ(j["id"], 9);
    EXPECT_EQ(j["ice_transport_policy"], "relay");
    EXPECT_EQ(j["ice_expires"], 1700000000);
    EXPECT_EQ(j["ice_servers"][0]["username"], "u");
}

TEST(signal_parse, ice_asks_for_fresh_ice_servers_and_takes_no_other_field) {
    auto ok = parse(R"({"type":"ice","id":3})", limits{});
    ASSERT_TRUE(std::holds_alternative<client_message>(ok));
    EXPECT_TRUE(std::holds_alternative<ice_refresh>(std::get<client_message>(ok).payload));
    auto bad = parse(R"({"type":"ice","peer":"x"})", limits{});
    ASSERT_TRUE(std::holds_alternative<parse_failure>(bad));
    EXPECT_EQ(std::get<parse_failure>(bad).code, errc::bad_message);
}

TEST(signal_writers, announced_echoes_the_id_of_either_kind_and_omits_a_missing_one) {
    auto r = *resource_id::parse(R);
    auto j = json::parse(write_announced(std::uint64_t{5}, r, 3));
    EXPECT_EQ(j, (json{{"type", "announced"}, {"id", 5}, {"resource", R}, {"peers", 3}}));
    EXPECT_EQ(json::parse(write_announced(std::string("a\"b"), r, 1))["id"], "a\"b");
    EXPECT_FALSE(json::parse(write_announced({}, r, 1)).contains("id"));
}

TEST(signal_writers, lookup_result_has_the_documented_fields) {
    auto r = *resource_id::parse(R);
    std::string b64 = "UFNIMQ==";
    std::vector<peer_entry> peers{{*peer_id::parse(P), true}};
    auto j = json::parse(write_lookup_result(std::uint64_t{2}, r, &b64, 4, 3, peers));
    EXPECT_EQ(j, (json{{"type", "lookup_result"},
                       {"id", 2},
                       {"resource", R},
                       {"metadata", b64},
                       {"metadata_size", 4},
                       {"peer_count", 3},
                       {"peers", json::array({{{"peer", P}, {"complete", true}}})}}));
}

TEST(signal_writers, lookup_result_omits_metadata_when_not_inline) {
    auto j = json::parse(write_lookup_result({}, *resource_id::parse(R), nullptr, 5'000'000, 0, {}));
    EXPECT_FALSE(j.contains("metadata"));
    EXPECT_FALSE(j.contains("id"));
    EXPECT_EQ(j["metadata_size"], 5'000'000);
    EXPECT_EQ(j["peers"], json::array());
}

TEST(signal_writers, left_peer_joined_and_peer_left_have_the_documented_fields) {
    auto r = *resource_id::parse(R);
    auto p = *peer_id::parse(P);
    EXPECT_EQ(json::parse(write_left(std::string("x"), r)), (json{{"type", "left"}, {"id", "x"}, {"resource", R}}));
    EXPECT_EQ(json::parse(write_peer_joined(r, p, false)),
              (json{{"type", "peer_joined"}, {"resource", R}, {"peer", P}, {"complete", false}}));
    EXPECT_EQ(json::parse(write_peer_left(r, p)), (json{{"type", "peer_left"}, {"resource", R}, {"peer", P}}));
}

TEST(signal_writers, error_carries_the_code_name_message_and_id) {
    auto j = json::parse(write_error(errc::no_offer, "no \"offer\"\n", std::uint64_t{9}));
    EXPECT_EQ(j, (json{{"type", "error"}, {"code", "no_offer"}, {"message", "no \"offer\"\n"}, {"id", 9}}));
    EXPECT_FALSE(json::parse(write_error(errc::bad_json, "x", {})).contains("id"));
}

TEST(signal_writers, error_message_with_invalid_utf8_still_yields_valid_json) {
    auto text = write_error(errc::unknown_type, "unknown message type '\xff'", {});
    EXPECT_TRUE(json::accept(text)) << text;
}

TEST(signal_writers, signal_has_the_server_set_from_and_passes_data_through_untouched) {
    const std::string data = R"({"sdp":"v=0\r\n\u00e9","n":[1,2.5e300,null,true],"s":"\"}"})";
    auto text = write_signal(*resource_id::parse(R), *peer_id::parse(P), signal_kind::candidate, data);
    EXPECT_NE(text.find(data), std::string::npos) << "data is copied verbatim";
    auto j = json::parse(text);
    EXPECT_EQ(j["type"], "signal");
    EXPECT_EQ(j["resource"], R);
    EXPECT_EQ(j["from"], P);
    EXPECT_EQ(j["kind"], "candidate");
    EXPECT_EQ(j["data"], json::parse(data));
    EXPECT_EQ(j.size(), 5u);
}

TEST_F(signal_message, parsed_signal_data_relays_to_an_equal_json_value) {
    auto data = json::parse(R"({"sdp":"a=candidate \"quoted\" \\ é 😀","nested":{"deep":[[[1]]]},"x":-0.5})");
    auto j = signal_msg();
    j["data"] = data;
    auto s = std::get<signal>(accept(j).payload);
    auto out = json::parse(write_signal(s.resource, *peer_id::parse(P), s.kind, s.data_json));
    EXPECT_EQ(out["data"], data);
}

TEST(signal_names, kinds_and_types_have_their_wire_names) {
    EXPECT_EQ(name_of(signal_kind::offer), "offer");
    EXPECT_EQ(name_of(signal_kind::answer), "answer");
    EXPECT_EQ(name_of(signal_kind::candidate), "candidate");
    EXPECT_EQ(name_of(client_type::announce), "announce");
    EXPECT_EQ(name_of(client_type::leave), "leave");
    EXPECT_EQ(name_of(server_type::lookup_result), "lookup_result");
    EXPECT_EQ(name_of(server_type::error), "error");
}

}  // namespace
}  // namespace peershare::signaling
