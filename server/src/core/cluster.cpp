// Instance ids, member locations, pub/sub envelopes and lookup sampling for several instances.
#include "peershare/core/cluster.hpp"

#include <algorithm>

namespace peershare::cluster {
namespace {

// Splits `text` at single spaces.
std::vector<std::string_view> fields(std::string_view text) {
    std::vector<std::string_view> out;
    for (;;) {
        auto space = text.find(' ');
        out.push_back(text.substr(0, space));
        if (space == std::string_view::npos) return out;
        text.remove_prefix(space + 1);
    }
}

std::optional<signaling::signal_kind> kind_named(std::string_view name) {
    for (auto k : {signaling::signal_kind::offer, signaling::signal_kind::answer, signaling::signal_kind::candidate})
        if (signaling::name_of(k) == name) return k;
    return std::nullopt;
}

}  // namespace

std::string new_instance_id() { return peer_id::random().str(); }

std::string member_value(std::string_view instance, bool complete) {
    return std::string(instance) + (complete ? "|1" : "|0");
}

std::optional<member_location> parse_member_value(std::string_view value) {
    auto bar = value.find('|');
    if (bar == std::string_view::npos || bar == 0 || value.size() != bar + 2) return std::nullopt;
    char flag = value[bar + 1];
    if (flag != '0' && flag != '1') return std::nullopt;
    return member_location{std::string(value.substr(0, bar)), flag == '1'};
}

std::string membership_entry(const resource_id& resource, const peer_id& peer) {
    return resource.str() + " " + peer.str();
}

std::string encode(const envelope& e) {
    if (const auto* s = std::get_if<signal_envelope>(&e))
        return "S " + s->resource.str() + " " + s->from.str() + " " + s->to.str() + " " +
               std::string(signaling::name_of(s->kind)) + "\n" + s->text;
    if (const auto* j = std::get_if<joined_envelope>(&e))
        return "J " + j->resource.str() + " " + j->peer.str() + (j->complete ? " 1" : " 0");
    const auto& l = std::get<left_envelope>(e);
    return "L " + l.resource.str() + " " + l.peer.str();
}

std::optional<envelope> decode(std::string_view text) {
    auto newline = text.find('\n');
    auto head = fields(text.substr(0, newline));
    if (head.size() < 3) return std::nullopt;
    auto resource = resource_id::parse(head[1]);
    if (!resource) return std::nullopt;
    if (head[0] == "S" && head.size() == 5 && newline != std::string_view::npos) {
        auto from = peer_id::parse(head[2]);
        auto to = peer_id::parse(head[3]);
        auto kind = kind_named(head[4]);
        if (!from || !to || !kind) return std::nullopt;
        return signal_envelope{*resource, *from, *to, *kind, std::string(text.substr(newline + 1))};
    }
    if (newline != std::string_view::npos) return std::nullopt;
    auto peer = peer_id::parse(head[2]);
    if (!peer) return std::nullopt;
    if (head[0] == "J" && head.size() == 4 && (head[3] == "0" || head[3] == "1"))
        return joined_envelope{*resource, *peer, head[3] == "1"};
    if (head[0] == "L" && head.size() == 3) return left_envelope{*resource, *peer};
    return std::nullopt;
}

std::vector<member_view> live_members(const std::vector<std::pair<std::string, std::string>>& hash,
                                      const std::unordered_set<std::string>& alive) {
    std::vector<member_view> out;
    out.reserve(hash.size());
    for (const auto& [peer, value] : hash) {
        auto id = peer_id::parse(peer);
        auto where = parse_member_value(value);
        if (id && where && alive.contains(where->instance)) out.push_back({*id, where->complete});
    }
    return out;
}

}  // namespace peershare::cluster
