// The lookup flow (flows/lookup_flow.hpp).
#include "peershare/flows/lookup_flow.hpp"

#include "peershare/core/invariant.hpp"

#include <algorithm>

namespace peershare::flows {

lookup_flow::lookup_flow(const context& ctx, const peer_id& self, signaling::request_id id, signaling::lookup request,
                         std::uint64_t seed)
    : ctx_(ctx),
      self_(self),
      id_(std::move(id)),
      request_(std::move(request)),
      rng_(static_cast<std::minstd_rand::result_type>(seed % std::minstd_rand::modulus)) {}

step lookup_flow::start() {
    PS_ASSERT(state_ == state::created, "a flow starts once");
    state_ = state::listing;
    return pending();
}

step lookup_flow::resume(result in) {
    const auto& r = request_.resource;
    switch (state_) {
    case state::listing:
        if (auto* u = std::get_if<unavailable>(&in)) {
            notes_.push_back({log::level::warn, "cluster: lookup of " + r.str() + " failed: " + u->why});
            return fail(errc::store_unavailable);
        }
        if (auto* m = std::get_if<members_done>(&in)) {
            members_ = std::move(m->members);
            if (auto info = ctx_.swarms.active_info(r)) return reply(*info);
            state_ = state::loading;
            return pending();
        }
        break;
    case state::loading:
        if (auto* u = std::get_if<unavailable>(&in)) {
            notes_.push_back({log::level::warn, "store: lookup of " + r.str() + " failed: " + u->why});
            return fail(errc::store_unavailable);
        }
        if (auto* load = std::get_if<load_done>(&in)) {
            if (!load->record) return fail(errc::not_found);
            return reply(info_of(load->record->metadata, ctx_.lim));
        }
        break;
    case state::created:
    case state::done: break;
    }
    PS_ASSERT(false, "the lookup flow got a result it did not ask for");
    return fail(errc::internal);
}

step lookup_flow::pending() const {
    switch (state_) {
    case state::listing: return directory_members{std::cref(request_.resource)};
    case state::loading: return store_get{std::cref(request_.resource)};
    case state::created:
    case state::done: break;
    }
    PS_ASSERT(false, "only a flow that waits has a pending step");
    return finish{error_outcome(errc::internal, id_)};
}

step lookup_flow::reply(const swarm_info& info) {
    state_ = state::done;
    const auto asker = std::count_if(members_.begin(), members_.end(), [&](const member_view& m) { return m.peer == self_; });
    PS_ASSERT(asker <= 1, "a peer is a member of a swarm once");
    const std::size_t count = members_.size() - static_cast<std::size_t>(asker);
    auto sampled = cluster::sample(std::move(members_), self_, ctx_.lim.max_lookup_peers, rng_);
    std::vector<signaling::peer_entry> peers;
    peers.reserve(sampled.size());
    for (auto& m : sampled) peers.push_back({std::move(m.peer), m.complete});
    outcome o;
    o.reply = signaling::write_lookup_result(id_, request_.resource, info.metadata_base64.get(), info.metadata_size,
                                             count, peers);
    o.reply_type = signaling::server_type::lookup_result;
    o.notes = std::move(notes_);
    return finish{std::move(o)};
}

step lookup_flow::fail(errc code) {
    state_ = state::done;
    auto o = error_outcome(code, id_);
    o.notes = std::move(notes_);
    return finish{std::move(o)};
}

}  // namespace peershare::flows
