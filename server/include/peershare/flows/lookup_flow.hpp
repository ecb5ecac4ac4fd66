// lookup (docs/protocol.md §2.2): the swarm's members from the directory (across instances when it
// spans them, never from this instance's view alone), the share's info from the swarm here or the
// store, and a reply listing at most max_lookup_peers members other than the asker, complete
// holders first, with the swarm's full size.
//
//   start ──▶ directory_members ──▶ finish                  (a swarm here knows the share)
//                              └──▶ store_get ──▶ finish   (otherwise)
#pragma once

#include "peershare/flows/context.hpp"
#include "peershare/flows/step.hpp"

#include <optional>
#include <cstdint>
#include <random>

namespace peershare::flows {

class lookup_flow {
public:
    // `seed` picks which members a long list shows (so that load spreads over the swarm).
    // `self`: the asking connection's peer id; it must outlive the flow.
    lookup_flow(const context& ctx, const peer_id& self, signaling::request_id id, signaling::lookup request,
                std::uint64_t seed);

    step start();
    step resume(result r);
    // The step the flow waits on now (start() and resume() return it when they stop at one): a
    // step names what it is about by reference into its flow, so a flow moved while it waits (to
    // the heap) is asked for it anew.
    step pending() const;

private:
    enum class state { created, listing, loading, done };

    step reply(const swarm_info& info);
    step fail(errc code);

    context ctx_;
    const peer_id& self_;
    signaling::request_id id_;
    signaling::lookup request_;
    // Cheap to seed per request (a Mersenne Twister is not), and good enough to spread load.
    std::minstd_rand rng_;
    state state_ = state::created;
    std::vector<member_view> members_;
    std::vector<note> notes_;
};

}  // namespace peershare::flows
