// Fuzz target of the share metadata parser (metadata::parse) and its canonical writer (metadata::serialize).
#include "fuzz_check.hpp"

#include "peershare/core/metadata.hpp"

#include <iterator>
#include <set>

namespace {
using namespace peershare::metadata;
using peershare::fuzz::check;
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view bytes = peershare::fuzz::bytes(data, size);
    auto result = parse(bytes);
    if (auto* e = std::get_if<parse_error>(&result)) {
        check(e->code == peershare::errc::bad_metadata || e->code == peershare::errc::metadata_too_large,
              "a refusal is bad_metadata or metadata_too_large");
        check(!e->message.empty(), "a refusal says which rule failed");
        return 0;
    }
    const share& s = std::get<share>(result);
    // The layout has no padding, no trailing data and one encoding per field (protocol.md §1.1), so
    // the bytes of an accepted share are exactly what the writer produces for it.
    check(serialize(s) == bytes, "serialize(parse(x)) == x");
    check(bytes.size() <= max_metadata_bytes, "accepted metadata is within max_metadata_bytes");
    check(check_name(s.name).empty(), "an accepted name obeys the name rules");
    check(!s.files.empty() && s.files.size() <= max_files, "an accepted share has 1..max_files files");
    std::set<std::string_view> paths;
    for (const auto& f : s.files) {
        check(check_path(f.path).empty(), "an accepted path obeys the path rules");
        check(f.size <= max_file_size, "an accepted file is at most 2^53 - 1 bytes");
        check(paths.insert(f.path).second, "no two accepted files have the same path");
    }
    // In sorted order, the paths that start with a given path follow it directly.
    for (auto it = paths.begin(); it != paths.end(); ++it)
        for (auto next = std::next(it); next != paths.end() && next->starts_with(*it); ++next)
            check((*next)[it->size()] != '/', "no accepted path is a directory of another");
    const auto total = s.total_size();
    check(total <= max_total_size, "an accepted share is at most 512 GiB");
    check(s.piece_size == piece_size_for(total), "an accepted piece size follows the piece size rule");
    check(s.piece_hashes.size() == piece_count_for(total, s.piece_size), "one hash per piece");
    return 0;
}
