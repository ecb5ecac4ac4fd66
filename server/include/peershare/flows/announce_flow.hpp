// announce (docs/protocol.md §2.2): verify the metadata a client sends against the id, refuse what
// the swarm limits refuse before anything is stored, store or load the share when no swarm here
// holds it, record the membership in the directory (the swarm's size across instances is checked
// there), then join the tracker's swarm and push peer_joined; a join the tracker refuses after the
// directory took it is undone.
//
//   start ──▶ [store_put | store_load] ──▶ directory_join ──▶ finish
//         └─────────────(swarm active)────▶ directory_join ──▶ finish
#pragma once

#include "peershare/flows/context.hpp"
#include "peershare/flows/step.hpp"

#include <optional>

namespace peershare::flows {

class announce_flow {
public:
    // `self`: the announcing connection's peer id; it must outlive the flow.
    announce_flow(const context& ctx, const peer_id& self, signaling::request_id id, signaling::announce request);

    step start();
    step resume(result r);
    // The step the flow waits on now (start() and resume() return it when they stop at one): a
    // step names what it is about by reference into its flow, so a flow moved while it waits (to
    // the heap) is asked for it anew.
    step pending() const;

private:
    enum class state { created, storing, joining, done };

    step join();
    step finish_join(std::size_t across);
    step fail(errc code, std::string_view message = {});
    step fail_unavailable(std::string_view where, std::string_view why);

    context ctx_;
    const peer_id& self_;
    signaling::request_id id_;
    signaling::announce request_;
    state state_ = state::created;
    std::optional<swarm_info> info_;
    bool share_added_ = false;
    std::vector<note> notes_;
};

}  // namespace peershare::flows
