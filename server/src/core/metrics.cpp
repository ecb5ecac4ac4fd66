// Counter updates and Prometheus text rendering.
#include "peershare/core/metrics.hpp"

#include <sstream>

namespace peershare {
namespace {
constexpr auto relaxed = std::memory_order_relaxed;

void header(std::ostringstream& o, const char* name, const char* type, const char* help) {
    o << "# HELP " << name << ' ' << help << "\n# TYPE " << name << ' ' << type << '\n';
}
}  // namespace

void metrics::connection_opened() noexcept {
    connections_.fetch_add(1, relaxed);
    connections_total_.fetch_add(1, relaxed);
}
void metrics::connection_closed() noexcept { connections_.fetch_sub(1, relaxed); }
void metrics::connection_refused(refusal r) noexcept { refused_[static_cast<std::size_t>(r)].fetch_add(1, relaxed); }
void metrics::message_in(signaling::client_type t) noexcept { in_[static_cast<std::size_t>(t)].fetch_add(1, relaxed); }
void metrics::message_out(signaling::server_type t) noexcept { out_[static_cast<std::size_t>(t)].fetch_add(1, relaxed); }
void metrics::error(errc e) noexcept { errors_[static_cast<std::size_t>(e)].fetch_add(1, relaxed); }
void metrics::http_response(unsigned status) noexcept {
    unsigned cls = status / 100;
    if (cls >= 1 && cls <= 5) http_[cls].fetch_add(1, relaxed);
}

void metrics::cluster_relayed(cluster_relay r) noexcept {
    cluster_relays_[static_cast<std::size_t>(r)].fetch_add(1, relaxed);
}
void metrics::cluster_message_in(bool valid) noexcept { cluster_in_[valid ? 0 : 1].fetch_add(1, relaxed); }
void metrics::cluster_link_state(cluster_link l, bool up) noexcept {
    auto i = static_cast<std::size_t>(l);
    bool was = cluster_up_[i].exchange(up, relaxed);
    if (was && !up) cluster_failures_[i].fetch_add(1, relaxed);
}

std::string metrics::render(const gauges& g) const {
    std::ostringstream o;
    header(o, "peershare_connections", "gauge", "Open WebSocket connections.");
    o << "peershare_connections " << connections_.load(relaxed) << '\n';
    header(o, "peershare_connections_total", "counter", "WebSocket connections accepted.");
    o << "peershare_connections_total " << connections_total_.load(relaxed) << '\n';
    header(o, "peershare_connections_refused_total", "counter", "Connections refused, by reason: WebSocket upgrades (origin, per_ip) and connections closed at the descriptor limit (descriptors).");
    o << "peershare_connections_refused_total{reason=\"origin\"} " << refused_[0].load(relaxed) << '\n';
    o << "peershare_connections_refused_total{reason=\"per_ip\"} " << refused_[1].load(relaxed) << '\n';
    o << "peershare_connections_refused_total{reason=\"descriptors\"} " << refused_[2].load(relaxed) << '\n';
    header(o, "peershare_swarms", "gauge", "Swarms with at least one member.");
    o << "peershare_swarms " << g.swarms << '\n';
    header(o, "peershare_peers_in_swarms", "gauge", "Swarm memberships (a peer in two swarms counts twice).");
    o << "peershare_peers_in_swarms " << g.peers_in_swarms << '\n';
    header(o, "peershare_resources", "gauge", "Shares known to the store.");
    o << "peershare_resources " << g.resources << '\n';
    header(o, "peershare_messages_in_total", "counter", "Signaling messages received, by type.");
    for (std::size_t i = 0; i < in_.size(); ++i)
        o << "peershare_messages_in_total{type=\"" << signaling::name_of(static_cast<signaling::client_type>(i))
          << "\"} " << in_[i].load(relaxed) << '\n';
    header(o, "peershare_messages_out_total", "counter", "Signaling messages sent, by type.");
    for (std::size_t i = 0; i < out_.size(); ++i)
        o << "peershare_messages_out_total{type=\"" << signaling::name_of(static_cast<signaling::server_type>(i))
          << "\"} " << out_[i].load(relaxed) << '\n';
    header(o, "peershare_errors_total", "counter", "Errors reported to clients, by code.");
    for (std::size_t i = 1; i < errors_.size(); ++i)
        o << "peershare_errors_total{code=\"" << code_name(static_cast<errc>(i)) << "\"} " << errors_[i].load(relaxed)
          << '\n';
    header(o, "peershare_http_requests_total", "counter", "HTTP responses, by status class.");
    for (unsigned cls = 1; cls <= 5; ++cls)
        o << "peershare_http_requests_total{status=\"" << cls << "xx\"} " << http_[cls].load(relaxed) << '\n';
    if (!g.cluster) return o.str();
    static constexpr const char* relay_results[] = {"delivered", "unknown_peer", "not_listening", "failed"};
    static constexpr const char* links[] = {"heartbeat", "subscriber"};
    header(o, "peershare_cluster_relays_total", "counter",
           "Signals for peers of other instances, routed through Redis, by result (failed: Redis did not answer).");
    for (std::size_t i = 0; i < cluster_relays_.size(); ++i)
        o << "peershare_cluster_relays_total{result=\"" << relay_results[i] << "\"} " << cluster_relays_[i].load(relaxed)
          << '\n';
    header(o, "peershare_cluster_messages_in_total", "counter",
           "Messages from other instances (relayed signals, swarm pushes), by result.");
    o << "peershare_cluster_messages_in_total{result=\"delivered\"} " << cluster_in_[0].load(relaxed) << '\n';
    o << "peershare_cluster_messages_in_total{result=\"malformed\"} " << cluster_in_[1].load(relaxed) << '\n';
    header(o, "peershare_cluster_redis_up", "gauge",
           "1 while a link of this instance to Redis works: heartbeat (its presence key) and subscriber (pub/sub).");
    for (std::size_t i = 0; i < cluster_up_.size(); ++i)
        o << "peershare_cluster_redis_up{link=\"" << links[i] << "\"} " << (cluster_up_[i].load(relaxed) ? 1 : 0) << '\n';
    header(o, "peershare_cluster_redis_failures_total", "counter", "Times a link to Redis went down, by link.");
    for (std::size_t i = 0; i < cluster_failures_.size(); ++i)
        o << "peershare_cluster_redis_failures_total{link=\"" << links[i] << "\"} " << cluster_failures_[i].load(relaxed)
          << '\n';
    return o.str();
}

}  // namespace peershare
