// Parsing and validation of client signaling messages; writing of server messages. The frequent
// messages are read and written without a JSON document tree (json_text.hpp); the rare welcome and
// ice_servers, which embed configured JSON, use the JSON library.
#include "peershare/core/signal_message.hpp"

#include "peershare/core/encoding.hpp"
#include "peershare/core/json_text.hpp"

#include <nlohmann/json.hpp>

#include <charconv>
#include <initializer_list>
#include <iterator>

namespace peershare::signaling {
namespace {

using json = nlohmann::json;

parse_failure fail(errc code, std::string message, request_id id = {}) {
    return {code, std::move(message), std::move(id)};
}

// The top-level fields a client message may hold.
enum class field { type, id, resource, complete, metadata, to, kind, data, count };
constexpr std::string_view field_names[] = {"type", "id", "resource", "complete", "metadata", "to", "kind", "data"};

std::optional<field> field_named(std::string_view key) noexcept {
    for (std::size_t i = 0; i < std::size(field_names); ++i)
        if (key == field_names[i]) return static_cast<field>(i);
    return std::nullopt;
}

// One message's top-level members, as read: the known fields (a repeated key keeps its last
// value, as JSON parsers commonly do) and the other keys.
struct members {
    std::optional<json_text::value> values[static_cast<int>(field::count)];
    std::optional<std::string> least_unknown;  // the alphabetically first key that is no field

    const std::optional<json_text::value>& operator[](field f) const { return values[static_cast<int>(f)]; }

    // The alphabetically first key that is not among `allowed`.
    std::optional<std::string> unknown(std::initializer_list<field> allowed) const {
        std::optional<std::string> first = least_unknown;
        for (std::size_t i = 0; i < std::size(values); ++i) {
            if (!values[i]) continue;
            bool known = false;
            for (auto a : allowed) known = known || static_cast<std::size_t>(a) == i;
            if (!known && (!first || field_names[i] < *first)) first = std::string(field_names[i]);
        }
        return first;
    }
};

bool is_string(const std::optional<json_text::value>& v) { return v && v->type == json_text::kind::string; }

struct field_error {
    errc code;
    std::string message;
};

std::variant<resource_id, field_error> read_resource(const members& m) {
    const auto& v = m[field::resource];
    if (!v) return field_error{errc::bad_message, "missing field 'resource'"};
    if (v->type != json_text::kind::string) return field_error{errc::bad_message, "field 'resource' must be a string"};
    auto id = resource_id::parse(json_text::decode_string(*v));
    if (!id) return field_error{errc::bad_resource_id, "field 'resource' must be 64 lowercase hex digits"};
    return *id;
}

std::string dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

// Hand-written server messages: keys in alphabetical order, as the JSON library writes them.
void put_key(std::string& out, std::string_view key) {
    out += out.back() == '{' ? "\"" : ",\"";  // the first key of an object has no comma
    out += key;
    out += "\":";
}

void put_string(std::string& out, std::string_view key, std::string_view value) {
    put_key(out, key);
    json_text::append_string(out, value);
}

void put_number(std::string& out, std::string_view key, std::uint64_t value) {
    put_key(out, key);
    char digits[24];
    auto [end, ec] = std::to_chars(std::begin(digits), std::end(digits), value);
    out.append(digits, end);
}

void put_bool(std::string& out, std::string_view key, bool value) {
    put_key(out, key);
    out += value ? "true" : "false";
}

void put_id(std::string& out, const request_id& id) {
    if (auto* n = std::get_if<std::uint64_t>(&id)) put_number(out, "id", *n);
    else if (auto* s = std::get_if<std::string>(&id)) put_string(out, "id", *s);
}

void put_id(json& j, const request_id& id) {
    if (auto* n = std::get_if<std::uint64_t>(&id)) j["id"] = *n;
    else if (auto* s = std::get_if<std::string>(&id)) j["id"] = *s;
}

// At most `n` bytes of `s`, not cutting a UTF-8 sequence.
std::string_view utf8_prefix(std::string_view s, std::size_t n) {
    if (s.size() <= n) return s;
    while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
    return s.substr(0, n);
}

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

namespace {

// A request id value: an integer 0..2^53-1 or a string of at most max_request_id_chars.
std::optional<request_id> read_id(const json_text::value& v) {
    if (auto n = json_text::as_unsigned(v, (std::uint64_t{1} << 53) - 1)) return request_id{*n};
    if (v.type != json_text::kind::string) return std::nullopt;
    auto s = json_text::decode_string(v);
    if (s.size() > max_request_id_chars) return std::nullopt;
    return request_id{std::move(s)};
}

// Reads the top-level members of a frame into `m`; the failure when it is not a JSON object the
// reader may take (a NUL byte, nesting past the limit, invalid JSON).
std::optional<parse_failure> read_members(std::string_view text, const limits& lim, members& m) {
    // Valid JSON never holds a NUL byte outside strings, nor raw inside one (it is escaped as \u0000).
    if (text.find('\0') != std::string_view::npos) return fail(errc::bad_json, "the message contains a NUL byte");
    // Bounds the reader's recursion.
    if (json_nesting_depth(text) > lim.max_json_depth) return fail(errc::bad_json, "JSON nested too deeply");
    bool valid = json_text::read_object(text, [&](std::string_view key, const json_text::value& v) {
        if (auto f = field_named(key)) m.values[static_cast<int>(*f)] = v;
        else if (!m.least_unknown || key < *m.least_unknown) m.least_unknown = std::string(key);
    });
    if (!valid) return fail(errc::bad_json, "the message is not a JSON object");
    return std::nullopt;
}

}  // namespace

request_id peek_id(std::string_view text, const limits& lim) {
    members m;
    if (read_members(text, lim, m)) return {};
    const auto& v = m[field::id];
    if (!v) return {};
    return read_id(*v).value_or(request_id{});
}

std::variant<client_message, parse_failure> parse(std::string_view text, const limits& lim) {
    members m;
    if (auto failure = read_members(text, lim, m)) return std::move(*failure);

    request_id id;
    if (const auto& v = m[field::id]) {
        auto read = read_id(*v);
        if (!read) return fail(errc::bad_message, "field 'id' must be an integer 0..2^53-1 or a string of at most 64 characters");
        id = std::move(*read);
    }

    if (!is_string(m[field::type])) return fail(errc::bad_message, "missing string field 'type'", id);
    const std::string type = json_text::decode_string(*m[field::type]);

    auto check_fields = [&](std::initializer_list<field> allowed) -> std::optional<parse_failure> {
        if (auto f = m.unknown(allowed)) return fail(errc::bad_message, "unknown field '" + *f + "'", id);
        return std::nullopt;
    };
    auto with_resource = [&](auto make) -> std::variant<client_message, parse_failure> {
        auto r = read_resource(m);
        if (auto* e = std::get_if<field_error>(&r)) return fail(e->code, e->message, id);
        return make(std::get<resource_id>(std::move(r)));
    };

    if (type == "announce") {
        if (auto f = check_fields({field::type, field::id, field::resource, field::complete, field::metadata})) return *f;
        const auto& c = m[field::complete];
        if (!c || c->type != json_text::kind::boolean) return fail(errc::bad_message, "field 'complete' must be true or false", id);
        std::optional<std::string> metadata;
        if (const auto& mv = m[field::metadata]) {
            if (mv->type != json_text::kind::string) return fail(errc::bad_message, "field 'metadata' must be a base64 string", id);
            metadata = from_base64(json_text::decode_string(*mv));
            if (!metadata) return fail(errc::bad_metadata, "field 'metadata' is not valid base64", id);
        }
        const bool complete = c->text == "true";
        return with_resource([&](resource_id r) -> std::variant<client_message, parse_failure> {
            return client_message{id, announce{std::move(r), complete, std::move(metadata)}};
        });
    }
    if (type == "lookup" || type == "leave") {
        if (auto f = check_fields({field::type, field::id, field::resource})) return *f;
        bool is_lookup = type == "lookup";
        return with_resource([&](resource_id r) -> std::variant<client_message, parse_failure> {
            if (is_lookup) return client_message{id, lookup{std::move(r)}};
            return client_message{id, leave{std::move(r)}};
        });
    }
    if (type == "ice") {
        if (auto f = check_fields({field::type, field::id})) return *f;
        return client_message{id, ice_refresh{}};
    }
    if (type == "signal") {
        if (auto f = check_fields({field::type, field::id, field::resource, field::to, field::kind, field::data})) return *f;
        if (!is_string(m[field::to])) return fail(errc::bad_message, "field 'to' must be a peer id string", id);
        auto to = peer_id::parse(json_text::decode_string(*m[field::to]));
        if (!to) return fail(errc::unknown_peer, "field 'to' is not a peer id", id);
        if (!is_string(m[field::kind])) return fail(errc::bad_message, "field 'kind' must be 'offer', 'answer' or 'candidate'", id);
        const auto k = json_text::decode_string(*m[field::kind]);
        signal_kind kind;
        if (k == "offer") kind = signal_kind::offer;
        else if (k == "answer") kind = signal_kind::answer;
        else if (k == "candidate") kind = signal_kind::candidate;
        else return fail(errc::bad_message, "field 'kind' must be 'offer', 'answer' or 'candidate'", id);
        const auto& data = m[field::data];
        if (!data) return fail(errc::bad_message, "missing field 'data'", id);
        return with_resource([&](resource_id r) -> std::variant<client_message, parse_failure> {
            return client_message{id, signal{std::move(r), std::move(*to), kind, json_text::compact(*data)}};
        });
    }
    return fail(errc::unknown_type, "unknown message type '" + std::string(utf8_prefix(type, 64)) + "'", id);
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
    std::string out = "{";
    put_id(out, id);
    put_number(out, "peers", peers);
    put_string(out, "resource", resource.str());
    put_string(out, "type", "announced");
    out += '}';
    return out;
}

std::string write_lookup_result(const request_id& id, const resource_id& resource, const std::string* metadata_base64,
                                std::size_t metadata_size, std::size_t peer_count,
                                const std::vector<peer_entry>& peers) {
    std::string out = "{";
    out.reserve(160 + (metadata_base64 ? metadata_base64->size() : 0) + peers.size() * 100);
    put_id(out, id);
    if (metadata_base64) put_string(out, "metadata", *metadata_base64);
    put_number(out, "metadata_size", metadata_size);
    put_number(out, "peer_count", peer_count);
    put_key(out, "peers");
    out += '[';
    for (std::size_t i = 0; i < peers.size(); ++i) {
        out += i == 0 ? "{" : ",{";
        put_bool(out, "complete", peers[i].complete);
        put_string(out, "peer", peers[i].peer.str());
        out += '}';
    }
    out += ']';
    put_string(out, "resource", resource.str());
    put_string(out, "type", "lookup_result");
    out += '}';
    return out;
}

std::string write_left(const request_id& id, const resource_id& resource) {
    std::string out = "{";
    put_id(out, id);
    put_string(out, "resource", resource.str());
    put_string(out, "type", "left");
    out += '}';
    return out;
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
    std::string out = "{";
    put_bool(out, "complete", complete);
    put_string(out, "peer", peer.str());
    put_string(out, "resource", resource.str());
    put_string(out, "type", "peer_joined");
    out += '}';
    return out;
}

std::string write_peer_left(const resource_id& resource, const peer_id& peer) {
    std::string out = "{";
    put_string(out, "peer", peer.str());
    put_string(out, "resource", resource.str());
    put_string(out, "type", "peer_left");
    out += '}';
    return out;
}

std::string write_error(errc code, std::string_view message, const request_id& id) {
    std::string out = "{";
    put_string(out, "code", code_name(code));
    put_id(out, id);
    put_string(out, "message", message);
    put_string(out, "type", "error");
    out += '}';
    return out;
}

}  // namespace peershare::signaling
