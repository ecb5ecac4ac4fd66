// Parsing, validation and serialization of share metadata (docs/protocol.md §1).
#include "peershare/core/metadata.hpp"

#include "peershare/core/encoding.hpp"

#include <bit>
#include <unordered_set>

namespace peershare::metadata {
namespace {

class reader {
public:
    explicit reader(std::string_view b) : bytes_(b) {}
    bool take(std::size_t n, std::string_view& out) {
        if (bytes_.size() - pos_ < n) return false;
        out = bytes_.substr(pos_, n);
        pos_ += n;
        return true;
    }
    template <typename T>
    bool take_uint(T& out) {
        std::string_view raw;
        if (!take(sizeof(T), raw)) return false;
        T v = 0;
        for (char c : raw) v = static_cast<T>(v << 8 | static_cast<unsigned char>(c));
        out = v;
        return true;
    }
    bool at_end() const { return pos_ == bytes_.size(); }

private:
    std::string_view bytes_;
    std::size_t pos_ = 0;
};

template <typename T>
void put_uint(std::string& out, T v) {
    for (int shift = (sizeof(T) - 1) * 8; shift >= 0; shift -= 8)
        out.push_back(static_cast<char>(static_cast<unsigned char>(v >> shift)));
}

parse_error bad(std::string message) { return {errc::bad_metadata, std::move(message)}; }

std::string check_characters(std::string_view text) {
    if (!is_valid_utf8(text)) return "is not valid UTF-8";
    for (unsigned char c : text) {
        if (c < 0x20 || c == 0x7f) return "contains a control character";
        if (c == '\\') return "contains a backslash";
    }
    return {};
}

}  // namespace

std::uint64_t share::total_size() const noexcept {
    std::uint64_t total = 0;
    for (const auto& f : files) total += f.size;
    return total;
}

std::uint32_t piece_size_for(std::uint64_t total_size) noexcept {
    for (std::uint64_t size = min_piece_size; size <= max_piece_size; size *= 2)
        if (piece_count_for(total_size, static_cast<std::uint32_t>(size)) <= max_piece_count)
            return static_cast<std::uint32_t>(size);
    return 0;
}

std::uint64_t piece_count_for(std::uint64_t total_size, std::uint32_t piece_size) noexcept {
    return piece_size == 0 ? 0 : (total_size + piece_size - 1) / piece_size;
}

std::string check_path(std::string_view path) {
    if (path.empty()) return "is empty";
    if (path.size() > max_path_bytes) return "is longer than 1024 bytes";
    if (auto why = check_characters(path); !why.empty()) return why;
    std::size_t start = 0;
    while (true) {
        std::size_t end = path.find('/', start);
        std::string_view part = path.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
        if (part.empty()) return "has an empty component";
        if (part == "." || part == "..") return "has a '.' or '..' component";
        if (end == std::string_view::npos) break;
        start = end + 1;
    }
    return {};
}

std::string check_name(std::string_view name) {
    if (name.empty()) return "is empty";
    if (name.size() > max_name_bytes) return "is longer than 255 bytes";
    if (name.find('/') != std::string_view::npos) return "contains '/'";
    if (name == "." || name == "..") return "is '.' or '..'";  // a client saves a share into a folder of this name
    return check_characters(name);
}

std::variant<share, parse_error> parse(std::string_view bytes) {
    if (bytes.size() > max_metadata_bytes)
        return parse_error{errc::metadata_too_large, "metadata is larger than 2 MiB"};
    reader r(bytes);
    std::string_view m;
    if (!r.take(4, m) || m != magic) return bad("does not start with PSH1");
    share s;
    if (!r.take_uint(s.piece_size)) return bad("truncated piece size");

    std::uint16_t name_length = 0;
    std::string_view name;
    if (!r.take_uint(name_length) || !r.take(name_length, name)) return bad("truncated name");
    if (auto why = check_name(name); !why.empty()) return bad("share name " + why);
    s.name = std::string(name);

    std::uint32_t file_count = 0;
    if (!r.take_uint(file_count)) return bad("truncated file count");
    if (file_count == 0) return bad("no files");
    if (file_count > max_files) return bad("more than 10000 files");
    s.files.reserve(file_count);
    std::unordered_set<std::string_view> paths;
    std::uint64_t total = 0;
    for (std::uint32_t i = 0; i < file_count; ++i) {
        std::uint16_t path_length = 0;
        std::string_view path;
        std::uint64_t size = 0;
        if (!r.take_uint(path_length) || !r.take(path_length, path) || !r.take_uint(size))
            return bad("truncated file table");
        if (auto why = check_path(path); !why.empty()) return bad("file path " + why);
        if (size > max_file_size) return bad("file larger than 2^53 - 1 bytes");
        if (!paths.insert(path).second) return bad("two files have the same path");
        total += size;
        if (total > max_total_size) return bad("share larger than 512 GiB");
        s.files.push_back({std::string(path), size});
    }
    // No path may be a directory of another: check every proper prefix ending before a '/'.
    for (std::string_view path : paths)
        for (std::size_t slash = path.find('/'); slash != std::string_view::npos; slash = path.find('/', slash + 1))
            if (paths.contains(path.substr(0, slash))) return bad("a file path is also used as a directory");

    if (s.piece_size != piece_size_for(total)) return bad("piece size does not follow the piece size rule");
    std::uint32_t piece_count = 0;
    if (!r.take_uint(piece_count)) return bad("truncated piece count");
    if (piece_count != piece_count_for(total, s.piece_size)) return bad("piece count does not match the total size");
    s.piece_hashes.resize(piece_count);
    for (auto& h : s.piece_hashes) {
        std::string_view raw;
        if (!r.take(h.size(), raw)) return bad("truncated piece hashes");
        std::copy(raw.begin(), raw.end(), h.begin());
    }
    if (!r.at_end()) return bad("trailing bytes after the piece hashes");
    return s;
}

std::string serialize(const share& s) {
    std::string out(magic);
    put_uint<std::uint32_t>(out, s.piece_size);
    put_uint<std::uint16_t>(out, static_cast<std::uint16_t>(s.name.size()));
    out += s.name;
    put_uint<std::uint32_t>(out, static_cast<std::uint32_t>(s.files.size()));
    for (const auto& f : s.files) {
        put_uint<std::uint16_t>(out, static_cast<std::uint16_t>(f.path.size()));
        out += f.path;
        put_uint<std::uint64_t>(out, f.size);
    }
    put_uint<std::uint32_t>(out, static_cast<std::uint32_t>(s.piece_hashes.size()));
    for (const auto& h : s.piece_hashes) out.append(reinterpret_cast<const char*>(h.data()), h.size());
    return out;
}

}  // namespace peershare::metadata
