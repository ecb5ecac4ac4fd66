// Unit tests of the tree-free JSON reader and string escaping, with the JSON library as the oracle.
#include "peershare/core/json_text.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <string>
#include <utility>
#include <vector>

namespace peershare {
namespace {

using json = nlohmann::json;
using json_text::kind;

std::vector<std::pair<std::string, json_text::value>> members_of(std::string_view text, bool& ok) {
    std::vector<std::pair<std::string, json_text::value>> out;
    ok = json_text::read_object(text, [&](std::string_view key, const json_text::value& v) { out.emplace_back(key, v); });
    return out;
}

bool reads(std::string_view text) {
    bool ok = false;
    members_of(text, ok);
    return ok;
}

TEST(json_text, reads_members_in_order_with_kinds_and_exact_text) {
    bool ok = false;
    auto m = members_of(R"( {"s" : "a\"b", "n":-1.5e3,"t":true,"f":false,"z":null,"o":{"x":[1, 2]},"a":[]} )", ok);
    ASSERT_TRUE(ok);
    ASSERT_EQ(m.size(), 7u);
    EXPECT_EQ(m[0].first, "s");
    EXPECT_EQ(m[0].second.type, kind::string);
    EXPECT_EQ(m[0].second.text, R"("a\"b")");
    EXPECT_EQ(m[1].second.type, kind::number);
    EXPECT_EQ(m[1].second.text, "-1.5e3");
    EXPECT_EQ(m[2].second.type, kind::boolean);
    EXPECT_EQ(m[3].second.text, "false");
    EXPECT_EQ(m[4].second.type, kind::null);
    EXPECT_EQ(m[5].second.type, kind::object);
    EXPECT_EQ(m[5].second.text, R"({"x":[1, 2]})");
    EXPECT_EQ(m[6].second.type, kind::array);
}

TEST(json_text, decodes_escaped_keys_and_strings) {
    bool ok = false;
    auto m = members_of(R"({"t\u0079pe":"\u00e9\ud83d\ude00\n\/\\"})", ok);
    ASSERT_TRUE(ok);
    EXPECT_EQ(m[0].first, "type");
    EXPECT_EQ(json_text::decode_string(m[0].second), "\xC3\xA9\xF0\x9F\x98\x80\n/\\");
}

TEST(json_text, accepts_exactly_what_the_json_library_accepts_as_an_object) {
    const std::vector<std::string> cases = {
        "{}", " {} ", "{\"a\":1}", "[]", "1", "\"x\"", "", "{", "{\"a\"}", "{\"a\":}", "{\"a\":1,}", "{,}",
        "{\"a\":01}", "{\"a\":-}", "{\"a\":1.}", "{\"a\":.5}", "{\"a\":1e}", "{\"a\":1E+2}", "{\"a\":-0}",
        "{\"a\":tru}", "{\"a\":nulls}", "{\"a\":[1,]}", "{\"a\":[,1]}", "{\"a\":{\"b\":1,}}", "{\"a\":\"\t\"}",
        "{\"a\":\"\\x\"}", "{\"a\":\"\\u12\"}", "{\"a\":\"\\ud800\"}", "{\"a\":\"\\udc00\"}",
        "{\"a\":\"\\ud800\\u0041\"}", "{\"a\":\"\xC3\xA9\"}", "{\"a\":\"\xC3\"}", "{\"a\":\"\xED\xA0\x80\"}",
        "{\"a\":\"\xF4\x90\x80\x80\"}", "{\"a\":\"\xC0\xAF\"}", "{\"a\":1} x", "{\"a\":1}{}", "{'a':1}",
        "{\"a\":1\x0b}", "{\"a\" :\r\n [ true , false , null ] }",
        // Beyond the largest double (refused), at its edge, and below the smallest (read as 0).
        "{\"a\":1e309}", "{\"a\":-1.5e333}", "{\"a\":1.7976931348623157e308}", "{\"a\":1.8e308}",
        "{\"a\":0.0000001e315}", "{\"a\":1e-400}", "{\"a\":" + std::string(320, '9') + "}",
        "{\"a\":" + std::string(300, '9') + "}", "{\"a\":1e99999999999999999999}", "{\"a\":0e99999}",
    };
    for (const auto& text : cases) {
        json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
        bool expected = !j.is_discarded() && j.is_object();
        EXPECT_EQ(reads(text), expected) << text;
    }
}

TEST(json_text, unsigned_integers_only_without_sign_fraction_or_exponent) {
    bool ok = false;
    auto m = members_of(R"({"a":42,"b":-1,"c":1.0,"d":1e2,"e":9007199254740991,"f":9007199254740992,"g":"7"})", ok);
    ASSERT_TRUE(ok);
    const std::uint64_t max = (std::uint64_t{1} << 53) - 1;
    EXPECT_EQ(json_text::as_unsigned(m[0].second, max), 42u);
    EXPECT_FALSE(json_text::as_unsigned(m[1].second, max));
    EXPECT_FALSE(json_text::as_unsigned(m[2].second, max));
    EXPECT_FALSE(json_text::as_unsigned(m[3].second, max));
    EXPECT_EQ(json_text::as_unsigned(m[4].second, max), max);
    EXPECT_FALSE(json_text::as_unsigned(m[5].second, max));
    EXPECT_FALSE(json_text::as_unsigned(m[6].second, max));
}

TEST(json_text, compact_drops_whitespace_between_tokens_only) {
    bool ok = false;
    auto m = members_of("{\"d\": { \"sdp\" : \"v=0 \\\" x\" ,\n\"n\" : [ 1 , 2 ] } }", ok);
    ASSERT_TRUE(ok);
    auto c = json_text::compact(m[0].second);
    EXPECT_EQ(c, R"({"sdp":"v=0 \" x","n":[1,2]})");
    EXPECT_EQ(json::parse(c), json::parse(std::string(m[0].second.text)));
}

TEST(json_text, append_string_escapes_and_replaces_broken_utf8) {
    std::string out;
    json_text::append_string(out, std::string("a\"\\\n\x01\xC3\xA9\xC3", 8));
    EXPECT_EQ(out, "\"a\\\"\\\\\\n\\u0001\xC3\xA9\xEF\xBF\xBD\"");
    EXPECT_EQ(json::parse(out).get<std::string>(), "a\"\\\n\x01\xC3\xA9\xEF\xBF\xBD");
}

}  // namespace
}  // namespace peershare
