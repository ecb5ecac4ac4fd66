// What a connection does that needs no store or directory: its welcome (docs/protocol.md §2.1),
// fresh ICE servers on request, leaving one swarm, and what its end does to every swarm it was in.
// Each is one decision, so each is a function from the facts to an outcome.
#pragma once

#include "peershare/core/ice_servers.hpp"
#include "peershare/flows/context.hpp"
#include "peershare/flows/step.hpp"

#include <cstdint>
#include <string_view>

namespace peershare::flows {

// The first frame a connection gets. `host`: the host the client reached the server at (the STUN
// URL names it); `now`: Unix seconds (TURN credentials expire from it).
std::string welcome(const peer_id& self, const ice_settings& ice, std::string_view host, const limits& lim,
                    std::int64_t now);

// The reply to `ice`: freshly minted ICE servers.
outcome ice_refresh(const peer_id& self, const signaling::request_id& id, const ice_settings& ice,
                    std::string_view host, std::int64_t now);

// leave: out of one swarm, with peer_left pushed to its members.
outcome leave(const context& ctx, const peer_id& self, const signaling::request_id& id,
              const signaling::leave& request);

// The connection closed: out of every swarm (peer_left pushed) and off the directory.
outcome disconnect(const context& ctx, const peer_id& self);

}  // namespace peershare::flows
