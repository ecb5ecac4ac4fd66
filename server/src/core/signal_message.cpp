// Parsing and validation of client signaling messages; writing of server messages.
#include "peershare/core/signal_message.hpp"

#include "peershare/core/encoding.hpp"

#include <nlohmann/json.hpp>

#include <initializer_list>

namespace peershare::signaling {
namespace {

using json = nlohmann::json;

parse_failure fail(errc code, std::string message, request_id id = {}) {
    return {code, std::move(message), std::move(id)};
}

// Checks that `obj` has only the listed fields; returns the first unknown one.
std::optional<std::string> unknown_field(const json& obj, std::initializer_list<std::string_view> allowed) {
    for (const auto& [key, value] : obj.items()) {
        bool known = false;
        for (auto a : allowed) known = known || key == a;
        if (!known) return key;
    }
    return std::nullopt;
}

struct field_error {
    errc code;
    std::string message;
};

std::variant<resource_id, field_error> read_resource(const json& obj) {
    auto it = obj.find("resource");
    if (it == obj.end()) return field_error{errc::bad_message, "missing field 'resource'"};
    if (!it->is_string()) return field_error{errc::bad_message, "field 'resource' must be a string"};
    auto id = resource_id::parse(it->get_ref<const std::string&>());
    if (!id) return field_error{errc::bad_resource_id, "field 'resource' must be 64 lowercase hex digits"};
    return *id;
}

void put_id(json& j, const request_id& id) {
    if (auto* n = std::get_if<std::uint64_t>(&id)) j["id"] = *n;
    else if (auto* s = std::get_if<std::string>(&id)) j["id"] = *s;
}

std::string dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

}  // namespace

std::size_t json_nesting_depth(std::string_view text) noexcept {
    std::size_t depth = 0, deepest = 0;
    bool in_string = false, escaped = false;
    for (char c : text) {
        if (in_string) {
            if (escaped) escaped = false;
            else if (c == '\\') escaped = true;
            else if (c == '"') in_string = false;
            continue;
        }
        if (c == '"') in_string = true;
        else if (c == '[' || c == '{') deepest = std::max(deepest, ++depth);
        else if ((c == ']' || c == '}') && depth > 0) --depth;
    }
    return deepest;
}

std::variant<client_message, parse_failure> parse(std::string_view text, const limits& lim) {
    // The JSON library takes a NUL byte for the end of its input and would accept the object before
    // it; valid JSON never holds one (a string escapes it as \u0000).
    if (text.find('\0') != std::string_view::npos) return fail(errc::bad_json, "the message contains a NUL byte");
    if (json_nesting_depth(text) > lim.max_json_depth) return fail(errc::bad_json, "JSON nested too deeply");
    json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded() || !j.is_object()) return fail(errc::bad_json, "the message is not a JSON object");

    request_id id;
    if (auto it = j.find("id"); it != j.end()) {
        if (it->is_number_unsigned() && it->get<std::uint64_t>() <= (std::uint64_t{1} << 53) - 1)
            id = it->get<std::uint64_t>();
        else if (it->is_string() && it->get_ref<const std::string&>().size() <= max_request_id_chars)
            id = it->get<std::string>();
        else
            return fail(errc::bad_message, "field 'id' must be an integer 0..2^53-1 or a string of at most 64 characters");
    }

    auto type_it = j.find("type");
    if (type_it == j.end() || !type_it->is_string()) return fail(errc::bad_message, "missing string field 'type'", id);
    const auto& type = type_it->get_ref<const std::string&>();

    auto check_fields = [&](std::initializer_list<std::string_view> allowed) -> std::optional<parse_failure> {
        if (auto f = unknown_field(j, allowed)) return fail(errc::bad_message, "unknown field '" + *f + "'", id);
        return std::nullopt;
    };
    auto with_resource = [&](auto make) -> std::variant<client_message, parse_failure> {
        auto r = read_resource(j);
        if (auto* e = std::get_if<field_error>(&r)) return fail(e->code, e->message, id);
        return make(std::get<resource_id>(std::move(r)));
    };

    if (type == "announce") {
        if (auto f = check_fields({"type", "id", "resource", "complete", "metadata"})) return *f;
        auto c = j.find("complete");
        if (c == j.end() || !c->is_boolean()) return fail(errc::bad_message, "field 'complete' must be true or false", id);
        std::optional<std::string> metadata;
        if (auto m = j.find("metadata"); m != j.end()) {
            if (!m->is_string()) return fail(errc::bad_message, "field 'metadata' must be a base64 string", id);
            metadata = from_base64(m->get_ref<const std::string&>());
            if (!metadata) return fail(errc::bad_metadata, "field 'metadata' is not valid base64", id);
        }
        return with_resource([&](resource_id r) -> std::variant<client_message, parse_failure> {
            return client_message{id, announce{std::move(r), c->get<bool>(), std::move(metadata)}};
        });
    }
    if (type == "lookup" || type == "leave") {
        if (auto f = check_fields({"type", "id", "resource"})) return *f;
        bool is_lookup = type == "lookup";
        return with_resource([&](resource_id r) -> std::variant<client_message, parse_failure> {
            if (is_lookup) return client_message{id, lookup{std::move(r)}};
            return client_message{id, leave{std::move(r)}};
        });
    }
    if (type == "ice") {
        if (auto f = check_fields({"type", "id"})) return *f;
        return client_message{id, ice_refresh{}};
    }
    if (type == "signal") {
        if (auto f = check_fields({"type", "id", "resource", "to", "kind", "data"})) return *f;
        auto to_it = j.find("to");
        if (to_it == j.end() || !to_it->is_string()) return fail(errc::bad_message, "field 'to' must be a peer id string", id);
        auto to = peer_id::parse(to_it->get_ref<const std::string&>());
        if (!to) return fail(errc::unknown_peer, "field 'to' is not a peer id", id);
        auto kind_it = j.find("kind");
        if (kind_it == j.end() || !kind_it->is_string())
            return fail(errc::bad_message, "field 'kind' must be 'offer', 'answer' or 'candidate'", id);
        const auto& k = kind_it->get_ref<const std::string&>();
        signal_kind kind;
        if (k == "offer") kind = signal_kind::offer;
        else if (k == "answer") kind = signal_kind::answer;
        else if (k == "candidate") kind = signal_kind::candidate;
        else return fail(errc::bad_message, "field 'kind' must be 'offer', 'answer' or 'candidate'", id);
        auto data_it = j.find("data");
        if (data_it == j.end()) return fail(errc::bad_message, "missing field 'data'", id);
        std::string data = dump(*data_it);
        return with_resource([&](resource_id r) -> std::variant<client_message, parse_failure> {
            return client_message{id, signal{std::move(r), std::move(*to), kind, std::move(data)}};
        });
    }
    return fail(errc::unknown_type, "unknown message type '" + type.substr(0, 64) + "'", id);
}

std::string_view name_of(client_type t) noexcept {
    constexpr std::string_view names[] = {"announce", "lookup", "signal", "leave", "ice", "invalid"};
    return names[static_cast<int>(t)];
}

std::string_view name_of(server_type t) noexcept {
    constexpr std::string_view names[] = {"welcome", "announced", "lookup_result", "left", "signal",
                                          "peer_joined", "peer_left", "ice_servers", "error"};
    return names[static_cast<int>(t)];
}

client_type type_of(const body& b) noexcept { return static_cast<client_type>(b.index()); }

std::string_view name_of(signal_kind k) noexcept {
    constexpr std::string_view names[] = {"offer", "answer", "candidate"};
    return names[static_cast<int>(k)];
}

namespace {
void put_ice(json& j, const ice_view& ice) {
    j["ice_servers"] = json::parse(ice.servers_json.empty() ? std::string_view("[]") : ice.servers_json);
    j["ice_transport_policy"] = ice.transport_policy.empty() ? std::string_view("all") : ice.transport_policy;
    if (ice.expires != 0) j["ice_expires"] = ice.expires;
}
}  // namespace

std::string write_welcome(const peer_id& self, const ice_view& ice, const limits& lim) {
    json j{{"type", "welcome"},
           {"protocol", protocol_version},
           {"peer", self.str()},
           {"limits",
            {{"max_message_bytes", lim.max_message_bytes},
             {"max_swarms", lim.max_swarms},
             {"messages_per_second", lim.messages_per_second},
             {"message_burst", lim.message_burst},
             {"max_lookup_peers", lim.max_lookup_peers}}}};
    put_ice(j, ice);
    return dump(j);
}

std::string write_ice_servers(const request_id& id, const ice_view& ice) {
    json j{{"type", "ice_servers"}};
    put_ice(j, ice);
    put_id(j, id);
    return dump(j);
}

std::string write_announced(const request_id& id, const resource_id& resource, std::size_t peers) {
    json j{{"type", "announced"}, {"resource", resource.str()}, {"peers", peers}};
    put_id(j, id);
    return dump(j);
}

std::string write_lookup_result(const request_id& id, const resource_id& resource, const std::string* metadata_base64,
                                std::size_t metadata_size, std::size_t peer_count,
                                const std::vector<peer_entry>& peers) {
    json list = json::array();
    for (const auto& p : peers) list.push_back({{"peer", p.peer.str()}, {"complete", p.complete}});
    json j{{"type", "lookup_result"},
           {"resource", resource.str()},
           {"metadata_size", metadata_size},
           {"peer_count", peer_count},
           {"peers", std::move(list)}};
    if (metadata_base64) j["metadata"] = *metadata_base64;
    put_id(j, id);
    return dump(j);
}

std::string write_left(const request_id& id, const resource_id& resource) {
    json j{{"type", "left"}, {"resource", resource.str()}};
    put_id(j, id);
    return dump(j);
}

std::string write_signal(const resource_id& resource, const peer_id& from, signal_kind kind, std::string_view data_json) {
    // Ids are hex and kinds are fixed words, so only `data` needs JSON encoding, and it already is.
    std::string out;
    out.reserve(96 + resource.str().size() + data_json.size());
    out += R"({"type":"signal","resource":")";
    out += resource.str();
    out += R"(","from":")";
    out += from.str();
    out += R"(","kind":")";
    out += name_of(kind);
    out += R"(","data":)";
    out += data_json;
    out += '}';
    return out;
}

std::string write_peer_joined(const resource_id& resource, const peer_id& peer, bool complete) {
    return dump(json{{"type", "peer_joined"}, {"resource", resource.str()}, {"peer", peer.str()}, {"complete", complete}});
}

std::string write_peer_left(const resource_id& resource, const peer_id& peer) {
    return dump(json{{"type", "peer_left"}, {"resource", resource.str()}, {"peer", peer.str()}});
}

std::string write_error(errc code, std::string_view message, const request_id& id) {
    json j{{"type", "error"}, {"code", code_name(code)}, {"message", message}};
    put_id(j, id);
    return dump(j);
}

}  // namespace peershare::signaling
