// The announce flow (flows/announce_flow.hpp).
#include "peershare/flows/announce_flow.hpp"

#include "peershare/core/invariant.hpp"
#include "peershare/core/metadata.hpp"

#include <algorithm>

namespace peershare::flows {

announce_flow::announce_flow(const context& ctx, const peer_id& self, signaling::request_id id,
                             signaling::announce request)
    : ctx_(ctx), self_(self), id_(std::move(id)), request_(std::move(request)) {}

step announce_flow::start() {
    PS_ASSERT(state_ == state::created, "a flow starts once");
    const auto& r = request_.resource;
    if (request_.metadata) {
        auto parsed = metadata::parse(*request_.metadata);
        if (auto* bad = std::get_if<metadata::parse_error>(&parsed)) return fail(bad->code, bad->message);
        if (resource_id::of_metadata(*request_.metadata) != r) return fail(errc::metadata_mismatch);
    }
    // A swarm that exists needs no store access: its info is copied from it (still right if the
    // swarm empties meanwhile). One that does not is created with the share's info, loaded from or
    // saved to the store first; an announce the swarm limits refuse stores nothing.
    info_ = ctx_.swarms.active_info(r);
    if (info_) return join();
    if (auto refused = ctx_.swarms.admits(self_, r); refused != errc::ok) return fail(refused);
    state_ = state::storing;
    return pending();
}

step announce_flow::resume(result in) {
    switch (state_) {
    case state::storing:
        if (auto* u = std::get_if<unavailable>(&in)) return fail_unavailable("store", u->why);
        if (auto* put = std::get_if<put_done>(&in)) {
            share_added_ = put->inserted;
            info_ = info_of(*request_.metadata, ctx_.lim);
            return join();
        }
        if (auto* load = std::get_if<load_done>(&in)) {
            if (!load->record) return fail(errc::metadata_required);
            info_ = info_of(load->record->metadata, ctx_.lim);
            return join();
        }
        break;
    case state::joining:
        if (auto* u = std::get_if<unavailable>(&in)) return fail_unavailable("cluster", u->why);
        if (auto* j = std::get_if<join_done>(&in)) {
            if (j->joined.error != errc::ok) return fail(j->joined.error);
            return finish_join(j->joined.size);
        }
        break;
    case state::created:
    case state::done: break;
    }
    PS_ASSERT(false, "the announce flow got a result it did not ask for");
    return fail(errc::internal);
}

step announce_flow::pending() const {
    const auto& r = request_.resource;
    switch (state_) {
    case state::storing:
        if (request_.metadata) return store_put{std::cref(r), *request_.metadata};
        return store_load{std::cref(r)};
    case state::joining: return directory_join{std::cref(r), std::cref(self_), request_.complete};
    case state::created:
    case state::done: break;
    }
    PS_ASSERT(false, "only a flow that waits has a pending step");
    return finish{error_outcome(errc::internal, id_)};
}

// The membership goes into the directory first: with several instances, the swarm's size is
// checked there, across instances; then here.
step announce_flow::join() {
    state_ = state::joining;
    return pending();
}

step announce_flow::finish_join(std::size_t across) {
    const auto& r = request_.resource;
    auto joined = ctx_.swarms.announce(self_, r, request_.complete, *info_);
    if (joined.error != errc::ok) {
        // The tracker refused what the directory took (its limits changed meanwhile): take the
        // directory's membership back, unless this peer was a member before.
        auto f = fail(joined.error);
        if (!ctx_.swarms.is_member(self_, r)) std::get<finish>(f).result.directory_leaves.push_back(r);
        return f;
    }
    state_ = state::done;
    outcome o;
    o.reply = signaling::write_announced(id_, r, std::max(joined.peers, across));
    o.reply_type = signaling::server_type::announced;
    o.deliveries = std::move(joined.out);
    o.share_added = share_added_;
    o.notes = std::move(notes_);
    return finish{std::move(o)};
}

step announce_flow::fail(errc code, std::string_view message) {
    state_ = state::done;
    auto o = error_outcome(code, id_, message);
    o.share_added = share_added_;  // stored before a later step failed: the store has it all the same
    o.notes = std::move(notes_);
    return finish{std::move(o)};
}

step announce_flow::fail_unavailable(std::string_view where, std::string_view why) {
    notes_.push_back({log::level::warn, std::string(where) + ": announce of " + request_.resource.str() + " failed: " +
                                            std::string(why)});
    return fail(errc::store_unavailable);
}

}  // namespace peershare::flows
