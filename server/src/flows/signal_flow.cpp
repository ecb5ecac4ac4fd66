// The signal flow (flows/signal_flow.hpp).
#include "peershare/flows/signal_flow.hpp"

#include "peershare/core/invariant.hpp"

namespace peershare::flows {

signal_flow::signal_flow(const context& ctx, const peer_id& self, signaling::request_id id, signaling::signal request,
                         tracker::clock::time_point now)
    : ctx_(ctx), self_(self), id_(std::move(id)), request_(std::move(request)), now_(now) {}

step signal_flow::start() {
    PS_ASSERT(state_ == state::created, "a flow starts once");
    auto relayed = ctx_.swarms.relay(self_, request_, now_, ctx_.spans_instances);
    if (relayed.error != errc::ok) return done(error_outcome(relayed.error, id_));
    if (log::enabled(log::level::trace))  // built only when it is written: this is the busiest path
        notes_.push_back({log::level::trace, "relay " + std::string(signaling::name_of(request_.kind)) + " " +
                                                 self_.str().substr(0, 8) + " -> " + request_.to.str().substr(0, 8) +
                                                 " (" + std::to_string(request_.data_json.size()) + " bytes" +
                                                 (relayed.remote ? ", to another instance)" : ")")});
    if (!relayed.remote) {
        outcome o;
        o.deliveries = std::move(relayed.out);
        return done(std::move(o));
    }
    state_ = state::relaying;
    envelope_ = std::move(relayed.remote);
    return pending();
}

step signal_flow::resume(result in) {
    if (state_ != state::relaying) {
        PS_ASSERT(false, "the signal flow got a result it did not ask for");
        return done(error_outcome(errc::internal, id_));
    }
    if (auto* u = std::get_if<unavailable>(&in)) {
        notes_.push_back({log::level::warn, "cluster: relay to " + request_.to.str().substr(0, 8) + " failed: " + u->why});
        auto o = error_outcome(errc::store_unavailable, id_);
        o.cluster_relayed = metrics::cluster_relay::failed;
        return done(std::move(o));
    }
    auto* relayed = std::get_if<relay_done>(&in);
    if (!relayed) {
        PS_ASSERT(false, "the signal flow got a result it did not ask for");
        return done(error_outcome(errc::internal, id_));
    }
    outcome o;
    switch (relayed->route) {
    case swarm_directory::route::delivered: o.cluster_relayed = metrics::cluster_relay::delivered; break;
    case swarm_directory::route::unknown_peer:
        o = error_outcome(errc::unknown_peer, id_);
        o.cluster_relayed = metrics::cluster_relay::unknown_peer;
        break;
    case swarm_directory::route::not_listening:
        o = error_outcome(errc::store_unavailable, id_, "the peer's server instance is reconnecting to Redis; try again");
        o.cluster_relayed = metrics::cluster_relay::not_listening;
        break;
    }
    return done(std::move(o));
}

step signal_flow::pending() const {
    if (state_ == state::relaying && envelope_) return directory_relay{std::cref(*envelope_)};
    PS_ASSERT(false, "only a flow that waits has a pending step");
    return finish{error_outcome(errc::internal, id_)};
}

step signal_flow::done(outcome o) {
    state_ = state::done;
    o.notes = std::move(notes_);
    return finish{std::move(o)};
}

}  // namespace peershare::flows
