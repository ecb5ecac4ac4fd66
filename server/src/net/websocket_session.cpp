// The signaling connection: handshake, message handling, bounded writes, close.
#include "websocket_session.hpp"

#include "service.hpp"

#include "peershare/core/encoding.hpp"
#include "peershare/core/log.hpp"
#include "peershare/core/metadata.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <random>

namespace peershare::net {
namespace {

using signaling::server_type;

swarm_info info_of(std::string_view metadata, const limits& lim) {
    swarm_info info;
    info.metadata_size = metadata.size();
    if (base64_length(metadata.size()) <= lim.max_inline_metadata)
        info.metadata_base64 = std::make_shared<const std::string>(to_base64(metadata));
    return info;
}

std::string short_id(const std::optional<peer_id>& id) { return id ? id->str().substr(0, 8) : std::string("-"); }

}  // namespace

websocket_session::websocket_session(beast::tcp_stream&& stream, service& svc, std::unique_ptr<address_slots::slot> slot)
    : ws_(std::move(stream)),
      svc_(svc),
      slot_(std::move(slot)),
      limiter_(svc.lim().messages_per_second, svc.lim().message_burst, rate_limiter::clock::now()) {}

void websocket_session::start(http::request<http::string_body> upgrade, std::string received) {
    ws_.next_layer().set_received(std::move(received));
    asio::co_spawn(ws_.get_executor(), run(std::move(upgrade)), [self = shared_from_this()](std::exception_ptr e) {
        if (!e) return;
        try {
            std::rethrow_exception(e);
        } catch (const std::exception& ex) {
            PS_LOG(error, "session " << short_id(self->id_) << " failed: " << ex.what());
        }
    });
}

asio::awaitable<void> websocket_session::run(http::request<http::string_body> upgrade) {
    const auto& lim = svc_.lim();
    beast::get_lowest_layer(ws_).expires_never();  // the WebSocket's own timeouts take over
    ws_.set_option(websocket::stream_base::timeout{lim.handshake_timeout, lim.idle_timeout, true});
    ws_.set_option(websocket::stream_base::decorator(
        [](websocket::response_type& res) { res.set(http::field::server, "peershare"); }));
    ws_.read_message_max(lim.max_message_bytes);

    host_ = host_of(upgrade[http::field::host]);
    error_code ec;
    co_await ws_.async_accept(upgrade, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
        PS_LOG(debug, "websocket handshake failed from " << slot_->address().to_string() << ": " << ec.message());
        co_return;
    }

    ws_.next_layer().cork();  // replies to the requests of one receive leave in one send
    auto& tracker = svc_.tracker();
    id_ = tracker.connect();
    svc_.add_session(*id_, weak_from_this());
    svc_.metrics().connection_opened();
    PS_LOG(debug, "peer " << short_id(id_) << " connected from " << slot_->address().to_string());
    {
        auto ice = ice_for(svc_.config(), host_, id_->str(), unix_now());
        reply(signaling::write_welcome(*id_, {ice.servers_json, ice.transport_policy, ice.expires}, lim),
              server_type::welcome);
    }
    if (svc_.shutting_down()) begin_close(websocket::close_code::going_away);

    beast::flat_buffer buffer;
    for (;;) {
        buffer.clear();
        co_await ws_.async_read(buffer, asio::redirect_error(asio::use_awaitable, ec));
        if (ec) break;
        if (closing_) continue;  // draining until the close handshake completes
        if (!limiter_.try_acquire(rate_limiter::clock::now())) {
            svc_.metrics().message_in(signaling::client_type::invalid);
            if (limiter_.refusals_in_a_row() >= static_cast<std::size_t>(lim.message_burst)) {
                PS_LOG(info, "peer " << short_id(id_) << " closed: rate limit exceeded " << lim.message_burst
                                     << " times in a row");
                svc_.metrics().error(errc::rate_limited);
                begin_close(websocket::close_code::policy_error);
            } else {
                reply_error(errc::rate_limited, {}, {});
            }
            continue;
        }
        if (!ws_.got_text()) {
            svc_.metrics().message_in(signaling::client_type::invalid);
            reply_error(errc::bad_message, "binary frames are not part of the signaling protocol", {});
            continue;
        }
        // A flat_buffer holds the message in one piece.
        const std::string_view text(static_cast<const char*>(buffer.data().data()), buffer.size());
        auto parsed = signaling::parse(text, lim);
        if (auto* failure = std::get_if<signaling::parse_failure>(&parsed)) {
            svc_.metrics().message_in(signaling::client_type::invalid);
            PS_LOG(debug, "peer " << short_id(id_) << ": refused message (" << code_name(failure->code) << ", "
                                  << text.size() << " bytes)");
            reply_error(failure->code, failure->message, failure->id);
            continue;
        }
        auto& message = std::get<signaling::client_message>(parsed);
        svc_.metrics().message_in(signaling::type_of(message.payload));
        try {
            co_await handle(message);
        } catch (const std::exception& e) {
            PS_LOG(error, "peer " << short_id(id_) << ": handling " << signaling::name_of(signaling::type_of(message.payload))
                                  << " failed: " << e.what());
            reply_error(errc::internal, {}, message.id);
        }
    }

    if (ec != websocket::error::closed && ec != asio::error::operation_aborted)
        PS_LOG(debug, "peer " << short_id(id_) << " disconnected: " << ec.message());
    closing_ = true;
    auto gone = tracker.disconnect(*id_);
    svc_.deliver(std::move(gone.out));
    svc_.cluster_leave(*id_, std::move(gone.left));
    svc_.swarms_emptied(std::move(gone.emptied));
    svc_.remove_session(*id_);
    svc_.metrics().connection_closed();
    // The socket may still be open (a peer that half-closed and does not read): close it, so that a
    // send stuck on it fails and releases the session.
    abort();
}

asio::awaitable<void> websocket_session::handle(signaling::client_message& message) {
    auto& id = message.id;
    if (auto* a = std::get_if<signaling::announce>(&message.payload)) co_await handle_announce(id, *a);
    else if (auto* l = std::get_if<signaling::lookup>(&message.payload)) co_await handle_lookup(id, *l);
    else if (auto* s = std::get_if<signaling::signal>(&message.payload)) co_await handle_signal(id, *s);
    else if (auto* v = std::get_if<signaling::leave>(&message.payload)) handle_leave(id, *v);
    else if (std::holds_alternative<signaling::ice_refresh>(message.payload)) handle_ice(id);
}

asio::awaitable<void> websocket_session::handle_announce(const signaling::request_id& id, signaling::announce& a) {
    if (a.metadata) {
        auto parsed = metadata::parse(*a.metadata);
        if (auto* bad = std::get_if<metadata::parse_error>(&parsed)) {
            reply_error(bad->code, bad->message, id);
            co_return;
        }
        if (resource_id::of_metadata(*a.metadata) != a.resource) {
            reply_error(errc::metadata_mismatch, {}, id);
            co_return;
        }
    }
    auto& tracker = svc_.tracker();
    // A swarm that exists needs no store access: its info is copied from it (still right if the
    // swarm empties meanwhile). One that does not is created with the share's info, loaded from
    // or saved to the store first.
    std::optional<swarm_info> info = tracker.active_info(a.resource);
    if (!info) {
        // An announce the swarm limits refuse stores nothing.
        if (auto refused = tracker.admits(*id_, a.resource); refused != errc::ok) {
            reply_error(refused, {}, id);
            co_return;
        }
        try {
            if (a.metadata) {
                bool inserted = co_await on_store(
                    [&](resource_store& s) { return store_share(s, a.resource, *a.metadata, unix_now()); });
                if (inserted) ++svc_.resource_count();
                info = info_of(*a.metadata, svc_.lim());
            } else {
                auto record = co_await on_store(
                    [&](resource_store& s) { return load_share(s, a.resource, unix_now()); });
                if (!record) {
                    reply_error(errc::metadata_required, {}, id);
                    co_return;
                }
                info = info_of(record->metadata, svc_.lim());
            }
        } catch (const store_error& e) {
            PS_LOG(warn, "store: announce of " << a.resource.str() << " failed: " << e.what());
            reply_error(errc::store_unavailable, {}, id);
            co_return;
        }
    }
    // Several instances: the membership is recorded in Redis first (the swarm's size is checked
    // there, across instances), then here.
    std::size_t across = 0;
    if (svc_.cluster()) {
        redis_swarms::join_result joined;
        const cluster::membership m{a.resource, *id_, a.complete};
        try {
            joined = co_await on_cluster([&](redis_swarms& c) { return c.join(m); });
        } catch (const store_error& e) {
            PS_LOG(warn, "cluster: announce of " << a.resource.str() << " failed: " << e.what());
            reply_error(errc::store_unavailable, {}, id);
            co_return;
        }
        if (joined.error != errc::ok) {
            reply_error(joined.error, {}, id);
            co_return;
        }
        across = joined.size;
    }
    auto result = tracker.announce(*id_, a.resource, a.complete, *info);
    if (result.error != errc::ok) {
        if (!tracker.is_member(*id_, a.resource)) svc_.cluster_leave(*id_, {a.resource});
        reply_error(result.error, {}, id);
        co_return;
    }
    reply(signaling::write_announced(id, a.resource, std::max(result.peers, across)), server_type::announced);
    svc_.deliver(std::move(result.out));
}

asio::awaitable<void> websocket_session::handle_lookup(const signaling::request_id& id, const signaling::lookup& l) {
    if (svc_.cluster()) {
        co_await lookup_across_instances(id, l);
        co_return;
    }
    auto r = svc_.tracker().lookup(*id_, l.resource);
    if (r.active) {
        reply(signaling::write_lookup_result(id, l.resource, r.info.metadata_base64.get(), r.info.metadata_size,
                                             r.peer_count, r.peers),
              server_type::lookup_result);
        co_return;
    }
    auto info = co_await stored_info(id, l.resource);
    if (!info) co_return;
    reply(signaling::write_lookup_result(id, l.resource, info->metadata_base64.get(), info->metadata_size, 0, {}),
          server_type::lookup_result);
}

asio::awaitable<std::optional<swarm_info>> websocket_session::stored_info(const signaling::request_id& id,
                                                                          const resource_id& resource) {
    std::optional<resource_record> record;
    try {
        record = co_await on_store([&](resource_store& s) { return s.get(resource); });
    } catch (const store_error& e) {
        PS_LOG(warn, "store: lookup of " << resource.str() << " failed: " << e.what());
        reply_error(errc::store_unavailable, {}, id);
        co_return std::nullopt;
    }
    if (!record) {
        reply_error(errc::not_found, {}, id);
        co_return std::nullopt;
    }
    co_return info_of(record->metadata, svc_.lim());
}

// Several instances: the swarm's members come from Redis (never from this instance's view alone,
// which lacks the others'); the share's info from the local swarm or the store.
asio::awaitable<void> websocket_session::lookup_across_instances(const signaling::request_id& id,
                                                                 const signaling::lookup& l) {
    std::vector<member_view> members;
    try {
        members = co_await on_cluster([&](redis_swarms& c) { return c.members(l.resource); });
    } catch (const store_error& e) {
        PS_LOG(warn, "cluster: lookup of " << l.resource.str() << " failed: " << e.what());
        reply_error(errc::store_unavailable, {}, id);
        co_return;
    }
    auto info = svc_.tracker().active_info(l.resource);
    if (!info) {
        info = co_await stored_info(id, l.resource);
        if (!info) co_return;
    }
    std::size_t count = members.size();
    for (const auto& m : members)
        if (m.peer == *id_) --count;
    thread_local std::mt19937_64 rng{std::random_device{}()};
    auto sampled = cluster::sample(std::move(members), *id_, svc_.lim().max_lookup_peers, rng);
    std::vector<signaling::peer_entry> peers;
    peers.reserve(sampled.size());
    for (auto& m : sampled) peers.push_back({std::move(m.peer), m.complete});
    reply(signaling::write_lookup_result(id, l.resource, info->metadata_base64.get(), info->metadata_size, count, peers),
          server_type::lookup_result);
}

void websocket_session::handle_leave(const signaling::request_id& id, const signaling::leave& l) {
    auto r = svc_.tracker().leave(*id_, l.resource);
    if (r.error != errc::ok) {
        reply_error(r.error, {}, id);
        return;
    }
    reply(signaling::write_left(id, l.resource), server_type::left);
    svc_.deliver(std::move(r.out));
    svc_.cluster_leave(*id_, {l.resource});
    if (r.emptied) svc_.swarms_emptied({l.resource});
}

asio::awaitable<void> websocket_session::handle_signal(const signaling::request_id& id, const signaling::signal& s) {
    auto r = svc_.tracker().relay(*id_, s, std::chrono::steady_clock::now(), svc_.cluster() != nullptr);
    if (r.error != errc::ok) {
        reply_error(r.error, {}, id);
        co_return;
    }
    PS_LOG(trace, "relay " << signaling::name_of(s.kind) << " " << short_id(id_) << " -> " << s.to.str().substr(0, 8)
                           << " (" << s.data_json.size() << " bytes" << (r.remote ? ", to another instance)" : ")"));
    if (!r.remote) {
        svc_.deliver(std::move(r.out));
        co_return;
    }
    // A recipient that is no member here: through Redis to its instance, if it is a member there.
    redis_swarms::route routed{};
    try {
        routed = co_await on_cluster([&](redis_swarms& c) { return c.relay(*r.remote); });
    } catch (const store_error& e) {
        PS_LOG(warn, "cluster: relay to " << s.to.str().substr(0, 8) << " failed: " << e.what());
        svc_.metrics().cluster_relayed(metrics::cluster_relay::failed);
        reply_error(errc::store_unavailable, {}, id);
        co_return;
    }
    svc_.metrics().cluster_relayed(routed == redis_swarms::route::delivered      ? metrics::cluster_relay::delivered
                                   : routed == redis_swarms::route::unknown_peer ? metrics::cluster_relay::unknown_peer
                                                                                 : metrics::cluster_relay::not_listening);
    if (routed == redis_swarms::route::unknown_peer) reply_error(errc::unknown_peer, {}, id);
    else if (routed == redis_swarms::route::not_listening)
        reply_error(errc::store_unavailable, "the peer's server instance is reconnecting to Redis; try again", id);
}

void websocket_session::handle_ice(const signaling::request_id& id) {
    auto ice = ice_for(svc_.config(), host_, id_->str(), unix_now());
    reply(signaling::write_ice_servers(id, {ice.servers_json, ice.transport_policy, ice.expires}), server_type::ice_servers);
}

void websocket_session::reply(std::string text, server_type type) {
    enqueue(std::make_shared<const std::string>(std::move(text)), type);
}

void websocket_session::reply_error(errc code, std::string_view message, const signaling::request_id& id) {
    svc_.metrics().error(code);
    reply(signaling::write_error(code, message.empty() ? describe(code) : message, id), server_type::error);
}

void websocket_session::send(std::shared_ptr<const std::string> text, server_type type) {
    asio::dispatch(ws_.get_executor(), [self = shared_from_this(), text = std::move(text), type]() mutable {
        self->enqueue(std::move(text), type);
    });
}

void websocket_session::close(websocket::close_code code) {
    asio::dispatch(ws_.get_executor(), [self = shared_from_this(), code] { self->begin_close(code); });
}

void websocket_session::enqueue(std::shared_ptr<const std::string> text, server_type type) {
    if (closing_) return;
    const auto& lim = svc_.lim();
    if (queue_.size() >= lim.max_write_queue_messages || queued_bytes_ + text->size() > lim.max_write_queue_bytes) {
        PS_LOG(info, "peer " << short_id(id_) << " dropped: it does not read (" << queue_.size() << " messages, "
                             << queued_bytes_ << " bytes queued)");
        abort();
        return;
    }
    queued_bytes_ += text->size();
    queue_.push_back({std::move(text), type});
    if (!writing_) write_next();
}

// Frames queued messages into the socket layer's buffer (corked_stream), as many as it takes;
// when it is full, waits for its send to complete and goes on.
void websocket_session::write_next() {
    auto& out = ws_.next_layer();
    while (!queue_.empty()) {
        if (!ws_.is_open()) {  // a close frame is on its way: nothing may follow it
            closing_ = true;
            queue_.clear();
            queued_bytes_ = 0;
            pending_close_.reset();
            break;
        }
        auto& front = queue_.front();
        auto result = out.append_text_frame(*front.text);
        if (result == corked_stream::append_result::full) {
            writing_ = true;
            out.async_wait_room([self = shared_from_this()] {
                self->writing_ = false;
                self->write_next();
            });
            return;
        }
        if (result == corked_stream::append_result::failed) {
            writing_ = false;
            abort();
            return;
        }
        svc_.metrics().message_out(front.type);
        queued_bytes_ -= front.text->size();
        queue_.pop_front();
    }
    writing_ = false;
    if (pending_close_) begin_close(*pending_close_);
}

void websocket_session::begin_close(websocket::close_code code) {
    if (writing_) {
        // Let queued replies (such as the error that explains the close) go out first.
        pending_close_ = code;
        closing_ = true;
        return;
    }
    closing_ = true;
    pending_close_.reset();
    writing_ = true;  // the close frame occupies the write side
    ws_.async_close(code, [self = shared_from_this()](error_code) {});
}

void websocket_session::abort() {
    closing_ = true;
    queue_.clear();
    queued_bytes_ = 0;
    beast::get_lowest_layer(ws_).close();
}

}  // namespace peershare::net
