// Covers core/duration: parse_duration's units, plain seconds and refusals (garbage, overflow), and format_duration.
#include "peershare/core/duration.hpp"

#include <gtest/gtest.h>

namespace peershare {
namespace {

using namespace std::chrono_literals;
using std::chrono::milliseconds;

TEST(parse_duration, reads_each_unit) {
    EXPECT_EQ(parse_duration("500ms"), milliseconds(500));
    EXPECT_EQ(parse_duration("30s"), milliseconds(30s));
    EXPECT_EQ(parse_duration("10m"), milliseconds(10min));
    EXPECT_EQ(parse_duration("24h"), milliseconds(24h));
    EXPECT_EQ(parse_duration("7d"), milliseconds(7 * 24h));
}

TEST(parse_duration, reads_a_plain_number_as_seconds) {
    EXPECT_EQ(parse_duration("45"), milliseconds(45s));
    EXPECT_EQ(parse_duration("0"), milliseconds(0));
    EXPECT_EQ(parse_duration("007"), milliseconds(7s));
}

TEST(parse_duration, reads_zero_in_any_unit) {
    EXPECT_EQ(parse_duration("0ms"), milliseconds(0));
    EXPECT_EQ(parse_duration("0d"), milliseconds(0));
}

TEST(parse_duration, rejects_garbage) {
    for (std::string_view text : {"", "s", "ms", "abc", "10x", "10sec", "10S", "10 s", " 10s", "10s ", "1.5s", "-1s", "+5s",
                                  "1h30m", "10ms5", "0x10", "1e3"})
        EXPECT_EQ(parse_duration(text), std::nullopt) << "'" << text << "'";
}

TEST(parse_duration, rejects_values_that_overflow) {
    EXPECT_EQ(parse_duration("99999999999999999999"), std::nullopt);    // beyond 64 bits
    EXPECT_EQ(parse_duration("18446744073709551615d"), std::nullopt);  // fits 64 bits, the product does not
    EXPECT_EQ(parse_duration("9223372036854775807ms"), std::nullopt);
}

TEST(parse_duration, accepts_up_to_2_pow_50_milliseconds_in_every_unit) {
    constexpr std::int64_t max_ms = std::int64_t{1} << 50;
    EXPECT_EQ(parse_duration(std::to_string(max_ms) + "ms"), milliseconds(max_ms));
    EXPECT_EQ(parse_duration(std::to_string(max_ms + 1) + "ms"), std::nullopt);
    constexpr std::int64_t day = 86'400'000;
    EXPECT_EQ(parse_duration(std::to_string(max_ms / day) + "d"), milliseconds(max_ms / day * day));
    EXPECT_EQ(parse_duration(std::to_string(max_ms / day + 1) + "d"), std::nullopt);
}

TEST(format_duration, uses_the_largest_unit_that_divides_exactly) {
    EXPECT_EQ(format_duration(7 * 24h), "7d");
    EXPECT_EQ(format_duration(24h), "1d");
    EXPECT_EQ(format_duration(36h), "36h");
    EXPECT_EQ(format_duration(90min), "90m");
    EXPECT_EQ(format_duration(10min), "10m");
    EXPECT_EQ(format_duration(90s), "90s");
    EXPECT_EQ(format_duration(1s), "1s");
    EXPECT_EQ(format_duration(1500ms), "1500ms");
    EXPECT_EQ(format_duration(1ms), "1ms");
}

TEST(format_duration, writes_zero_as_seconds) {
    EXPECT_EQ(format_duration(0ms), "0s");
}

TEST(format_duration, round_trips_through_parse_duration) {
    for (milliseconds d : {milliseconds(0), milliseconds(1), milliseconds(999), milliseconds(10s), milliseconds(61s),
                           milliseconds(120min), milliseconds(25h), milliseconds(30 * 24h)})
        EXPECT_EQ(parse_duration(format_duration(d)), d) << format_duration(d);
}

}  // namespace
}  // namespace peershare
