// Fuzz target of the signaling parser (signaling::parse, json_nesting_depth, the json_text reader) and of
// the replies written for what it accepts; the JSON library is the oracle of what is valid JSON.
#include "fuzz_check.hpp"

#include "peershare/core/encoding.hpp"
#include "peershare/core/signal_message.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <map>
#include <set>
#include <string>

namespace {

using namespace peershare;
using namespace peershare::signaling;
using fuzz::check;
using json = nlohmann::json;

// Nesting depth of valid JSON text, from the library's parse events: the oracle for
// json_nesting_depth. (Not from the parsed value: a repeated key's earlier values are not in it.)
struct depth_events : nlohmann::json_sax<json> {
    std::size_t depth = 0, deepest = 0;
    bool open() {
        deepest = std::max(deepest, ++depth);
        return true;
    }
    bool close() {
        --depth;
        return true;
    }
    bool null() override { return true; }
    bool boolean(bool) override { return true; }
    bool number_integer(number_integer_t) override { return true; }
    bool number_unsigned(number_unsigned_t) override { return true; }
    bool number_float(number_float_t, const string_t&) override { return true; }
    bool string(string_t&) override { return true; }
    bool binary(binary_t&) override { return true; }
    bool start_object(std::size_t) override { return open(); }
    bool key(string_t&) override { return true; }
    bool end_object() override { return close(); }
    bool start_array(std::size_t) override { return open(); }
    bool end_array() override { return close(); }
    bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) override { return false; }
};

std::size_t depth_of(std::string_view text) {
    depth_events events;
    json::sax_parse(text, &events);
    return events.deepest;
}

// A server frame must be a JSON object (strictly valid, so also valid UTF-8) of the given type.
json reply_of(const std::string& frame, std::string_view type) {
    json j = json::parse(frame, nullptr, /*allow_exceptions=*/false);
    check(j.is_object(), "a written frame is a JSON object");
    check(j.value("type", "") == type, "a written frame has its type");
    return j;
}

// The reply echoes the message's id exactly as the client sent it, and has none when it sent none.
void check_id_echo(const json& reply, const json& message) {
    bool sent = message.is_object() && message.contains("id");
    check(reply.contains("id") == sent, "a reply carries an id exactly when the message had one");
    if (sent) check(reply["id"] == message["id"], "a reply's id equals the message's id");
}

// What protocol.md §2.2 lets each message hold; anything else must have been refused.
void check_fields(const client_message& m, const json& message) {
    static const std::map<client_type, std::set<std::string>> allowed{
        {client_type::announce, {"type", "id", "resource", "complete", "metadata"}},
        {client_type::lookup, {"type", "id", "resource"}},
        {client_type::leave, {"type", "id", "resource"}},
        {client_type::signal, {"type", "id", "resource", "to", "kind", "data"}},
        {client_type::ice, {"type", "id"}},
    };
    const client_type type = type_of(m.payload);
    check(message["type"] == name_of(type), "an accepted message has the type it names");
    for (const auto& [key, value] : message.items())
        check(allowed.at(type).contains(key), "an accepted message holds only the fields of its type");
    if (type == client_type::announce) check(message["complete"].is_boolean(), "an announce says whether it is complete");
}

void check_replies(const client_message& m, const json& message) {
    const body& b = m.payload;
    if (auto* a = std::get_if<announce>(&b)) {
        json r = reply_of(write_announced(m.id, a->resource, 1), "announced");
        check(r["resource"] == a->resource.str(), "announced names the resource");
        check_id_echo(r, message);
        // from_base64 accepts only the canonical encoding, so it is the one the client sent.
        if (a->metadata) check(to_base64(*a->metadata) == message["metadata"], "metadata base64 is canonical");
    } else if (auto* l = std::get_if<lookup>(&b)) {
        json r = reply_of(write_lookup_result(m.id, l->resource, nullptr, 0, 0, {}), "lookup_result");
        check(r["resource"] == l->resource.str(), "lookup_result names the resource");
        check_id_echo(r, message);
    } else if (auto* s = std::get_if<signal>(&b)) {
        json r = reply_of(write_signal(s->resource, s->to, s->kind, s->data_json), "signal");
        check(r["data"] == message["data"], "a relayed signal carries the client's data unchanged");
        check(r["kind"] == message["kind"], "a relayed signal keeps its kind");
        check(r["resource"] == s->resource.str(), "a relayed signal names the resource");
    } else if (std::holds_alternative<leave>(b)) {
        json r = reply_of(write_left(m.id, std::get<leave>(b).resource), "left");
        check_id_echo(r, message);
    } else {
        check_id_echo(reply_of(write_ice_servers(m.id, {"[]", "all", 0}), "ice_servers"), message);
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text = fuzz::bytes(data, size);
    const limits lim;
    const std::size_t depth = json_nesting_depth(text);

    // Parsed independently of the server's parser, for the properties below. The JSON library
    // stops at a NUL byte, which valid JSON never holds, so such text is not valid here. The input
    // is at most a few KiB, so the library's recursion stays shallow.
    const json message = json::parse(text, nullptr, /*allow_exceptions=*/false);
    const bool valid_json = !message.is_discarded() && text.find('\0') == std::string_view::npos;
    if (valid_json) check(depth == depth_of(text), "json_nesting_depth counts the nesting of valid JSON");

    auto result = parse(text, lim);
    if (auto* m = std::get_if<client_message>(&result)) {
        check(valid_json && message.is_object(), "only a JSON object parses");
        check(depth <= lim.max_json_depth, "only JSON within the depth limit parses");
        check_fields(*m, message);
        check_replies(*m, message);
    } else {
        const auto& f = std::get<parse_failure>(result);
        check(f.code != errc::ok, "a failure has an error code");
        // The server's reader (json_text) accepts exactly the JSON the library does.
        if (valid_json && message.is_object() && depth <= lim.max_json_depth)
            check(f.code != errc::bad_json, "every JSON object within the depth limit is read");
        json r = reply_of(write_error(f.code, f.message, f.id), "error");
        check(r["code"] == code_name(f.code), "an error names its code");
        if (!std::holds_alternative<std::monostate>(f.id)) check_id_echo(r, message);
    }
    return 0;
}
