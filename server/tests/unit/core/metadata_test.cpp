// Covers core/metadata: the docs/protocol.md §1.4 test vector, round trips, the piece size rule and every rejection rule of §1.1.
#include "peershare/core/metadata.hpp"

#include "peershare/core/encoding.hpp"
#include "test_support.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace peershare::metadata {
namespace {

using namespace std::string_literals;

constexpr std::uint64_t KiB = 1024, MiB = 1024 * KiB, GiB = 1024 * MiB;

// docs/protocol.md §1.4.
constexpr std::string_view vector_hex =
    "50534831000400000006766563746f72000000020005612e62696e0000000000"
    "0493e000096469722f622e74787400000000000000060000000231a1f9dea016"
    "9551092d05e8bf4a446228c8c3eb4c9b713c66adcb7fd53c89be7c25b2c404df"
    "bc6104e78cd6eea1fa847fa81e2374f949e045fddf95e893b35e";
constexpr std::string_view vector_id = "1ac032bd3e2e7814bc47c70a46001662acb652c376e5a608db6d65615e37356e";

// Builds a share the way a client does: cut the concatenated file contents into pieces and hash them.
share build_share(std::string name, const std::vector<std::pair<std::string, std::string>>& files) {
    share s;
    s.name = std::move(name);
    std::string content;
    for (const auto& [path, bytes] : files) {
        s.files.push_back({path, bytes.size()});
        content += bytes;
    }
    s.piece_size = piece_size_for(content.size());
    for (std::size_t offset = 0; offset < content.size(); offset += s.piece_size)
        s.piece_hashes.push_back(sha256(std::string_view(content).substr(offset, s.piece_size)));
    return s;
}

share vector_share() {
    std::string a(300000, '\0');
    for (std::size_t i = 0; i < a.size(); ++i) a[i] = static_cast<char>(i % 251);
    return build_share("vector", {{"a.bin", a}, {"dir/b.txt", "hello\n"}});
}

// A share with the given file table (file contents all zero bytes); hashes are placeholders of the right count.
share share_with(std::vector<file_entry> files, std::string name = "share") {
    share s;
    s.name = std::move(name);
    s.files = std::move(files);
    s.piece_size = piece_size_for(s.total_size());
    s.piece_hashes.resize(piece_count_for(s.total_size(), s.piece_size));
    return s;
}

errc code_of(std::string_view bytes) {
    auto result = parse(bytes);
    if (auto* e = std::get_if<parse_error>(&result)) {
        EXPECT_FALSE(e->message.empty()) << "a rejection says which rule failed";
        return e->code;
    }
    return errc::ok;
}
errc code_of(const share& s) { return code_of(serialize(s)); }

// --- the test vector ---

TEST(metadata_vector, built_from_the_input_has_the_documented_piece_layout) {
    auto s = vector_share();
    EXPECT_EQ(s.total_size(), 300006u);
    EXPECT_EQ(s.piece_size, 262144u);
    EXPECT_EQ(s.piece_hashes.size(), 2u);
}

TEST(metadata_vector, serializes_to_the_documented_bytes) {
    auto bytes = serialize(vector_share());
    EXPECT_EQ(bytes.size(), 122u);
    EXPECT_EQ(to_hex(bytes), vector_hex);
}

TEST(metadata_vector, hashes_to_the_documented_id) {
    EXPECT_EQ(resource_id::of_metadata(serialize(vector_share())).str(), vector_id);
}

TEST(metadata_vector, documented_bytes_parse_to_the_built_share) {
    auto bytes = from_hex(vector_hex);
    ASSERT_TRUE(bytes);
    auto parsed = parse(*bytes);
    ASSERT_TRUE(std::holds_alternative<share>(parsed)) << std::get<parse_error>(parsed).message;
    EXPECT_EQ(std::get<share>(parsed), vector_share());
}

TEST(metadata_vector, every_truncation_is_refused) {
    auto bytes = serialize(vector_share());
    for (std::size_t n = 0; n < bytes.size(); ++n)
        EXPECT_EQ(code_of(std::string_view(bytes).substr(0, n)), errc::bad_metadata) << "first " << n << " bytes";
}

// --- round trips ---

TEST(metadata_round_trip, parse_of_serialize_gives_the_same_share) {
    for (const auto& s : {vector_share(),
                          build_share("one empty file", {{"empty", ""}}),
                          build_share("naïve ✓ 😀", {{"x/y/z.txt", "abc"}, {"x/w", std::string(1000, 'q')}, {"ab/c", "d"}})}) {
        auto parsed = parse(serialize(s));
        ASSERT_TRUE(std::holds_alternative<share>(parsed)) << s.name << ": " << std::get<parse_error>(parsed).message;
        EXPECT_EQ(std::get<share>(parsed), s) << s.name;
    }
}

TEST(metadata_round_trip, share_of_only_empty_files_has_zero_pieces) {
    auto s = share_with({{"a", 0}, {"b", 0}});
    EXPECT_EQ(s.piece_size, 256 * KiB);
    EXPECT_TRUE(s.piece_hashes.empty());
    EXPECT_EQ(code_of(s), errc::ok);
}

// --- piece size rule (§1.2) ---

TEST(piece_size_rule, follows_the_documented_table_at_its_boundaries) {
    struct row {
        std::uint64_t total;
        std::uint32_t piece;
    };
    const row table[] = {
        {0, 256 * KiB},
        {1, 256 * KiB},
        {8 * GiB, 256 * KiB},
        {8 * GiB + 1, 512 * KiB},
        {16 * GiB, 512 * KiB},
        {16 * GiB + 1, 1 * MiB},
        {32 * GiB, 1 * MiB},
        {32 * GiB + 1, 2 * MiB},
        {256 * GiB, 8 * MiB},
        {256 * GiB + 1, 16 * MiB},
        {512 * GiB, 16 * MiB},
    };
    for (const auto& r : table) EXPECT_EQ(piece_size_for(r.total), r.piece) << "total " << r.total;
}

TEST(piece_size_rule, is_zero_above_512_gib) {
    EXPECT_EQ(max_total_size, 512 * GiB);
    EXPECT_EQ(piece_size_for(512 * GiB + 1), 0u);
    EXPECT_EQ(piece_size_for(max_file_size), 0u);
}

TEST(piece_size_rule, never_needs_more_than_32768_pieces) {
    for (std::uint64_t total : {8 * GiB, 8 * GiB + 1, 100 * GiB + 12345, 512 * GiB})
        EXPECT_LE(piece_count_for(total, piece_size_for(total)), max_piece_count) << "total " << total;
}

TEST(piece_count, rounds_up_and_is_zero_for_an_empty_share) {
    EXPECT_EQ(piece_count_for(0, 256 * KiB), 0u);
    EXPECT_EQ(piece_count_for(1, 256 * KiB), 1u);
    EXPECT_EQ(piece_count_for(256 * KiB, 256 * KiB), 1u);
    EXPECT_EQ(piece_count_for(256 * KiB + 1, 256 * KiB), 2u);
}

// --- rejection rules (§1.1) ---

TEST(metadata_rejects, bad_magic) {
    auto bytes = serialize(vector_share());
    for (std::size_t i = 0; i < 4; ++i) {
        auto bad = bytes;
        bad[i] = 'X';
        EXPECT_EQ(code_of(bad), errc::bad_metadata) << "byte " << i;
    }
    auto version2 = bytes;
    version2[3] = '2';
    EXPECT_EQ(code_of(version2), errc::bad_metadata);
}

TEST(metadata_rejects, zero_files) {
    EXPECT_EQ(code_of(share_with({})), errc::bad_metadata);
}

TEST(metadata_rejects, more_than_10000_files_but_accepts_10000) {
    std::vector<file_entry> files;
    for (std::uint32_t i = 0; i < max_files; ++i) files.push_back({"f" + std::to_string(i), 1});
    EXPECT_EQ(code_of(share_with(files)), errc::ok);
    files.push_back({"one-too-many", 1});
    EXPECT_EQ(code_of(share_with(files)), errc::bad_metadata);
}

TEST(metadata_rejects, empty_path) {
    EXPECT_EQ(code_of(share_with({{"", 1}})), errc::bad_metadata);
}

TEST(metadata_rejects, path_longer_than_1024_bytes_but_accepts_1024) {
    EXPECT_EQ(code_of(share_with({{std::string(1024, 'p'), 1}})), errc::ok);
    EXPECT_EQ(code_of(share_with({{std::string(1025, 'p'), 1}})), errc::bad_metadata);
}

TEST(metadata_rejects, control_characters_in_a_path) {
    for (std::string path : {"a\x01"s, "a\tb"s, "a\nb"s, "a\x1f"s, "a\x7f"s, "a\0b"s})
        EXPECT_EQ(code_of(share_with({{path, 1}})), errc::bad_metadata) << to_hex(path);
}

TEST(metadata_rejects, backslash_in_a_path) {
    EXPECT_EQ(code_of(share_with({{"dir\\file", 1}})), errc::bad_metadata);
    EXPECT_EQ(code_of(share_with({{"..\\..\\evil", 1}})), errc::bad_metadata);
}

TEST(metadata_rejects, dot_and_dot_dot_components) {
    for (std::string path : {".", "..", "./a", "a/.", "a/./b", "../a", "a/..", "a/../b"})
        EXPECT_EQ(code_of(share_with({{path, 1}})), errc::bad_metadata) << path;
}

TEST(metadata_accepts, components_that_only_start_with_dots) {
    EXPECT_EQ(code_of(share_with({{".hidden", 1}, {"a/...", 1}, {"..b/c", 1}})), errc::ok);
}

TEST(metadata_rejects, empty_components_including_leading_and_trailing_slash) {
    for (std::string path : {"/a", "a/", "a//b", "/", "//"})
        EXPECT_EQ(code_of(share_with({{path, 1}})), errc::bad_metadata) << path;
}

TEST(metadata_rejects, invalid_utf8_in_a_path) {
    for (std::string path : {"a\xff"s, "\xc0\xaf"s, "\xed\xa0\x80"s, "a\xe2\x82"s})
        EXPECT_EQ(code_of(share_with({{path, 1}})), errc::bad_metadata) << to_hex(path);
}

TEST(metadata_rejects, duplicate_paths) {
    EXPECT_EQ(code_of(share_with({{"a", 1}, {"b", 1}, {"a", 2}})), errc::bad_metadata);
}

TEST(metadata_rejects, a_file_path_used_as_a_directory_in_either_order) {
    EXPECT_EQ(code_of(share_with({{"a", 1}, {"a/b", 1}})), errc::bad_metadata);
    EXPECT_EQ(code_of(share_with({{"a/b", 1}, {"a", 1}})), errc::bad_metadata);
    EXPECT_EQ(code_of(share_with({{"x/y/z", 1}, {"x/y", 1}})), errc::bad_metadata);
}

TEST(metadata_accepts, a_path_that_is_a_string_prefix_but_not_a_directory_of_another) {
    EXPECT_EQ(code_of(share_with({{"a", 1}, {"ab/c", 1}, {"a.d/e", 1}})), errc::ok);
}

TEST(metadata_rejects, file_larger_than_2_pow_53_minus_1) {
    EXPECT_EQ(code_of(share_with({{"big", max_file_size + 1}})), errc::bad_metadata);
}

TEST(metadata_rejects, share_larger_than_512_gib) {
    EXPECT_EQ(code_of(share_with({{"a", 256 * GiB}, {"b", 256 * GiB}})), errc::ok);
    EXPECT_EQ(code_of(share_with({{"a", 256 * GiB}, {"b", 256 * GiB + 1}})), errc::bad_metadata);
}

TEST(metadata_rejects, empty_name) {
    EXPECT_EQ(code_of(share_with({{"a", 1}}, "")), errc::bad_metadata);
}

TEST(metadata_rejects, name_longer_than_255_bytes_but_accepts_255) {
    EXPECT_EQ(code_of(share_with({{"a", 1}}, std::string(255, 'n'))), errc::ok);
    EXPECT_EQ(code_of(share_with({{"a", 1}}, std::string(256, 'n'))), errc::bad_metadata);
}

TEST(metadata_rejects, name_with_a_slash) {
    EXPECT_EQ(code_of(share_with({{"a", 1}}, "my/share")), errc::bad_metadata);
}

TEST(metadata_rejects, name_with_control_characters_or_backslash) {
    for (std::string name : {"a\x01"s, "a\nb"s, "a\x7f"s, "a\\b"s})
        EXPECT_EQ(code_of(share_with({{"a", 1}}, name)), errc::bad_metadata) << to_hex(name);
}

TEST(metadata_rejects, invalid_utf8_in_the_name) {
    for (std::string name : {"\xff"s, "a\xc3"s, "\xf4\x90\x80\x80"s})
        EXPECT_EQ(code_of(share_with({{"a", 1}}, name)), errc::bad_metadata) << to_hex(name);
}

TEST(metadata_rejects, piece_size_other_than_the_rule) {
    auto s = vector_share();
    for (std::uint32_t wrong : {0u, 128u * 1024, 512u * 1024, 262145u}) {
        s.piece_size = wrong;
        EXPECT_EQ(code_of(s), errc::bad_metadata) << "piece size " << wrong;
    }
}

TEST(metadata_rejects, piece_count_that_does_not_match_the_total_size) {
    auto extra = vector_share();
    extra.piece_hashes.push_back({});
    EXPECT_EQ(code_of(extra), errc::bad_metadata);
    auto missing = vector_share();
    missing.piece_hashes.pop_back();
    EXPECT_EQ(code_of(missing), errc::bad_metadata);
}

TEST(metadata_rejects, trailing_bytes) {
    EXPECT_EQ(code_of(serialize(vector_share()) + '\0'), errc::bad_metadata);
    EXPECT_EQ(code_of(serialize(vector_share()) + serialize(vector_share())), errc::bad_metadata);
}

TEST(metadata_rejects, documents_over_2_mib_as_too_large_before_reading_them) {
    std::string huge(max_metadata_bytes + 1, '\0');
    huge.replace(0, magic.size(), magic);
    EXPECT_EQ(code_of(huge), errc::metadata_too_large);
    // At exactly the limit the layout is checked instead.
    huge.pop_back();
    EXPECT_EQ(code_of(huge), errc::bad_metadata);
}

// --- the character rules on their own ---

TEST(check_path, is_empty_for_a_valid_path_and_explains_a_refusal) {
    EXPECT_EQ(check_path("dir/sub/file.txt"), "");
    EXPECT_EQ(check_path("caf\xc3\xa9/\xf0\x9f\x98\x80"), "");
    EXPECT_NE(check_path("a//b"), "");
    EXPECT_NE(check_path("a\\b"), "");
}

TEST(check_name, allows_what_a_path_component_allows_but_no_slash) {
    EXPECT_EQ(check_name("holiday photos 2024"), "");
    EXPECT_NE(check_name("a/b"), "");
    EXPECT_NE(check_name(""), "");
}

TEST(check_name, refuses_dot_and_dot_dot_so_a_share_folder_cannot_escape_its_parent) {
    EXPECT_NE(check_name("."), "");
    EXPECT_NE(check_name(".."), "");
    EXPECT_EQ(check_name("..hidden"), "");
}

}  // namespace
}  // namespace peershare::metadata
