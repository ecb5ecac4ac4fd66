// Wire names and descriptions of peershare's error codes.
#include "peershare/core/errors.hpp"

#include <array>
#include <string>

namespace peershare {
namespace {

struct errc_text {
    std::string_view name;
    std::string_view text;
};

constexpr std::array<errc_text, errc_count> texts{{
    {"ok", "no error"},
    {"bad_json", "the message is not a JSON object"},
    {"bad_message", "the message does not follow the protocol"},
    {"unknown_type", "unknown message type"},
    {"bad_resource_id", "a resource id is 64 lowercase hex digits"},
    {"bad_metadata", "the metadata is not valid"},
    {"metadata_mismatch", "the metadata does not hash to the resource id"},
    {"metadata_too_large", "the metadata is larger than the server accepts"},
    {"metadata_required", "the server does not know this share: send its metadata"},
    {"not_found", "no such share"},
    {"not_in_swarm", "you have not announced this share"},
    {"unknown_peer", "that peer is not in this share's swarm"},
    {"no_offer", "there is no open negotiation with that peer"},
    {"too_many_offers", "too many open offers"},
    {"too_many_swarms", "this connection is in too many swarms"},
    {"swarm_full", "this share's swarm is full"},
    {"rate_limited", "too many messages: slow down"},
    {"store_unavailable", "the server's storage is unavailable: try again later"},
    {"bad_request", "the request is not valid"},
    {"method_not_allowed", "the method is not allowed on this path"},
    {"internal", "internal server error"},
}};

class category final : public std::error_category {
public:
    const char* name() const noexcept override { return "peershare"; }
    std::string message(int ev) const override {
        if (ev < 0 || ev >= errc_count) return "unknown error";
        return std::string(texts[static_cast<std::size_t>(ev)].text);
    }
};

}  // namespace

std::string_view code_name(errc e) noexcept { return texts[static_cast<std::size_t>(e)].name; }
std::string_view describe(errc e) noexcept { return texts[static_cast<std::size_t>(e)].text; }

const std::error_category& peershare_category() noexcept {
    static const category instance;
    return instance;
}

}  // namespace peershare
