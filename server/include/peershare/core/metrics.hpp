// The server's counters, updated lock-free from any thread, and their rendering in the Prometheus
// text exposition format for GET /metrics.
#pragma once

#include "peershare/core/errors.hpp"
#include "peershare/core/signal_message.hpp"

#include <array>
#include <atomic>
#include <cstdint>
#include <string>

namespace peershare {

class metrics {
public:
    enum class refusal { origin, per_ip, descriptors, count };

    void connection_opened() noexcept;
    void connection_closed() noexcept;
    void connection_refused(refusal r) noexcept;
    void message_in(signaling::client_type t) noexcept;
    void message_out(signaling::server_type t) noexcept;
    void error(errc e) noexcept;
    void http_response(unsigned status) noexcept;

    // Several instances (--store redis://): signals routed to another instance through Redis, by
    // outcome; messages received from other instances; and the state of the two links to Redis.
    enum class cluster_relay { delivered, unknown_peer, not_listening, failed, count };
    enum class cluster_link { heartbeat, subscriber, count };
    void cluster_relayed(cluster_relay r) noexcept;
    void cluster_message_in(bool valid) noexcept;
    // Records the link's state; a change from up to down counts one failure.
    void cluster_link_state(cluster_link l, bool up) noexcept;

    std::int64_t connections() const noexcept { return connections_.load(std::memory_order_relaxed); }

    // Gauges owned elsewhere, read when rendering.
    struct gauges {
        std::size_t swarms = 0;
        std::size_t peers_in_swarms = 0;
        std::int64_t resources = 0;
        bool cluster = false;  // the cluster metrics are rendered only for --store redis://
    };
    std::string render(const gauges& g) const;

private:
    using counter = std::atomic<std::uint64_t>;
    std::atomic<std::int64_t> connections_{0};
    counter connections_total_{0};
    std::array<counter, static_cast<std::size_t>(refusal::count)> refused_{};
    std::array<counter, static_cast<std::size_t>(signaling::client_type::count)> in_{};
    std::array<counter, static_cast<std::size_t>(signaling::server_type::count)> out_{};
    std::array<counter, errc_count> errors_{};
    std::array<counter, 6> http_{};  // by status class: index 1..5
    std::array<counter, static_cast<std::size_t>(cluster_relay::count)> cluster_relays_{};
    std::array<counter, 2> cluster_in_{};  // [0] delivered, [1] malformed
    std::array<std::atomic<bool>, static_cast<std::size_t>(cluster_link::count)> cluster_up_{};
    std::array<counter, static_cast<std::size_t>(cluster_link::count)> cluster_failures_{};
};

}  // namespace peershare
