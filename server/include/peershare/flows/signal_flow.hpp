// signal (docs/protocol.md §2.2): the tracker checks that both peers share the swarm and that the
// negotiation allows this kind, records it, and writes the frame the recipient gets; a recipient
// that is a member here gets it at once, one that is a member on another instance through the
// directory. A successful relay has no reply; a refused one gets an error with the request's id.
//
//   start ──▶ finish                              (refused, or a recipient here)
//        └──▶ directory_relay ──▶ finish          (a recipient elsewhere)
#pragma once

#include "peershare/flows/context.hpp"
#include "peershare/flows/step.hpp"

#include <chrono>
#include <optional>

namespace peershare::flows {

class signal_flow {
public:
    // `now`: the negotiation clock (steady), for the tracker's expiries.
    // `self`: the sending connection's peer id; it must outlive the flow.
    signal_flow(const context& ctx, const peer_id& self, signaling::request_id id, signaling::signal request,
                tracker::clock::time_point now);

    step start();
    step resume(result r);
    // The step the flow waits on now (start() and resume() return it when they stop at one): a
    // step names what it is about by reference into its flow, so a flow moved while it waits (to
    // the heap) is asked for it anew.
    step pending() const;

private:
    enum class state { created, relaying, done };

    step done(outcome o);

    context ctx_;
    const peer_id& self_;
    signaling::request_id id_;
    signaling::signal request_;
    tracker::clock::time_point now_;
    state state_ = state::created;
    std::optional<cluster::signal_envelope> envelope_;  // for a recipient on another instance
    std::vector<note> notes_;
};

}  // namespace peershare::flows
