// Strong types for the two kinds of id on the wire: a share's resource id (the SHA-256 of its
// metadata, 64 lowercase hex digits) and a connection's peer id (128 random bits, 32 lowercase hex
// digits, assigned by the server). Constructed only through the validating factories.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace peershare {

class resource_id {
public:
    static constexpr std::size_t hex_length = 64;
    static std::optional<resource_id> parse(std::string_view text);
    static resource_id of_metadata(std::string_view metadata);  // SHA-256, hex

    const std::string& str() const noexcept { return value_; }
    friend bool operator==(const resource_id&, const resource_id&) = default;
    friend auto operator<=>(const resource_id&, const resource_id&) = default;

private:
    explicit resource_id(std::string v) : value_(std::move(v)) {}
    std::string value_;
};

class peer_id {
public:
    static constexpr std::size_t hex_length = 32;
    static std::optional<peer_id> parse(std::string_view text);
    static peer_id random();  // from the system's CSPRNG, so ids cannot be guessed

    const std::string& str() const noexcept { return value_; }
    friend bool operator==(const peer_id&, const peer_id&) = default;
    friend auto operator<=>(const peer_id&, const peer_id&) = default;

private:
    explicit peer_id(std::string v) : value_(std::move(v)) {}
    std::string value_;
};

// True when `text` is exactly `n` lowercase hex digits.
bool is_lower_hex(std::string_view text, std::size_t n) noexcept;

}  // namespace peershare

template <>
struct std::hash<peershare::resource_id> {
    std::size_t operator()(const peershare::resource_id& id) const noexcept {
        return std::hash<std::string>{}(id.str());
    }
};
template <>
struct std::hash<peershare::peer_id> {
    std::size_t operator()(const peershare::peer_id& id) const noexcept {
        return std::hash<std::string>{}(id.str());
    }
};
