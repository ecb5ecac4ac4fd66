// The signaling connection: handshake, the read loop, carrying out the request flows, bounded
// writes, close.
#include "websocket_session.hpp"

#include "service.hpp"

#include "peershare/core/clock.hpp"
#include "peershare/core/invariant.hpp"
#include "peershare/core/log.hpp"
#include "peershare/core/origin_policy.hpp"
#include "peershare/flows/announce_flow.hpp"
#include "peershare/flows/connection_flows.hpp"
#include "peershare/flows/intake.hpp"
#include "peershare/flows/lookup_flow.hpp"
#include "peershare/flows/signal_flow.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <random>

namespace peershare::net {
namespace {

using signaling::server_type;

std::string short_id(const std::optional<peer_id>& id) { return id ? id->str().substr(0, 8) : std::string("-"); }

// Seeds for the lookups of this thread's connections (which members a long list shows).
std::uint64_t lookup_seed() {
    thread_local std::mt19937_64 seeds{std::random_device{}()};
    return seeds();
}

}  // namespace

websocket_session::websocket_session(beast::tcp_stream&& stream, service& svc, std::unique_ptr<address_slots::slot> slot)
    : ws_(std::move(stream)), svc_(svc), slot_(std::move(slot)) {}

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
    id_ = svc_.tracker().connect();
    svc_.sessions().add(*id_, weak_from_this());
    svc_.metrics().connection_opened();
    PS_LOG(debug, "peer " << short_id(id_) << " connected from " << slot_->address().to_string());
    reply(flows::welcome(*id_, svc_.config().ice, host_, lim, unix_now()), server_type::welcome);
    if (svc_.shutting_down()) begin_close(websocket::close_code::going_away);

    flows::intake intake(lim, *id_, rate_limiter::clock::now());
    beast::flat_buffer buffer;
    for (;;) {
        buffer.clear();
        co_await ws_.async_read(buffer, asio::redirect_error(asio::use_awaitable, ec));
        if (ec) break;
        if (closing_) continue;  // draining until the close handshake completes
        // A flat_buffer holds the message in one piece.
        const std::string_view text(static_cast<const char*>(buffer.data().data()), buffer.size());
        auto verdict = intake.take(text, ws_.got_text(), rate_limiter::clock::now());
        svc_.metrics().message_in(flows::intake::counted_as(verdict));
        if (auto* h = std::get_if<flows::intake::handle>(&verdict)) {
            try {
                // Most requests finish here, without waiting; one that waits on the store or Redis
                // is awaited, the next frame read only after it.
                if (auto waiting = handle(h->message)) co_await waiting->finish(*this);
            } catch (const std::exception& e) {
                PS_LOG(error, "peer " << short_id(id_) << ": handling "
                                      << signaling::name_of(signaling::type_of(h->message.payload)) << " failed: " << e.what());
                apply(flows::error_outcome(errc::internal, h->message.id));
            }
        } else if (auto* r = std::get_if<flows::intake::refuse>(&verdict)) {
            apply(std::move(r->result));
        } else {
            apply(std::move(std::get<flows::intake::close>(verdict).result));
            begin_close(websocket::close_code::policy_error);
        }
    }

    if (ec != websocket::error::closed && ec != asio::error::operation_aborted)
        PS_LOG(debug, "peer " << short_id(id_) << " disconnected: " << ec.message());
    closing_ = true;
    apply(flows::disconnect(svc_.flow_context(), *id_));
    svc_.sessions().remove(*id_);
    svc_.metrics().connection_closed();
    // The socket may still be open (a peer that half-closed and does not read): close it, so that a
    // send stuck on it fails and releases the session.
    abort();
}

template <class Flow>
struct websocket_session::parked final : websocket_session::parked_flow {
    explicit parked(Flow&& f) : flow(std::move(f)) {}
    asio::awaitable<void> finish(websocket_session& session) override { co_await session.finish_waiting(flow); }
    Flow flow;
};

std::unique_ptr<websocket_session::parked_flow> websocket_session::handle(signaling::client_message& message) {
    const auto ctx = svc_.flow_context();
    auto& payload = message.payload;
    if (auto* a = std::get_if<signaling::announce>(&payload))
        return run_flow(flows::announce_flow(ctx, *id_, message.id, std::move(*a)));
    if (auto* l = std::get_if<signaling::lookup>(&payload))
        return run_flow(flows::lookup_flow(ctx, *id_, message.id, std::move(*l), lookup_seed()));
    if (auto* g = std::get_if<signaling::signal>(&payload))
        return run_flow(flows::signal_flow(ctx, *id_, message.id, std::move(*g), std::chrono::steady_clock::now()));
    if (auto* v = std::get_if<signaling::leave>(&payload)) apply(flows::leave(ctx, *id_, message.id, *v));
    else if (std::holds_alternative<signaling::ice_refresh>(payload))
        apply(flows::ice_refresh(*id_, message.id, svc_.config().ice, host_, unix_now()));
    return nullptr;
}

template <class Flow>
std::unique_ptr<websocket_session::parked_flow> websocket_session::run_flow(Flow&& flow) {
    flows::step s = flow.start();
    if (advance(flow, s)) return nullptr;
    // The step names what it is about inside the flow: the moved flow asks for it again.
    return std::make_unique<parked<Flow>>(std::move(flow));
}

template <class Flow>
bool websocket_session::advance(Flow& flow, flows::step& s) {
    for (;;) {
        if (auto* f = std::get_if<flows::finish>(&s)) {
            apply(std::move(f->result));
            return true;
        }
        auto r = carry_inline(s);
        if (!r) return false;
        s = flow.resume(std::move(*r));
    }
}

template <class Flow>
asio::awaitable<void> websocket_session::finish_waiting(Flow& flow) {
    flows::step s = flow.pending();
    do {
        auto r = co_await carry(s);  // g++ 12: the awaited value is named before it is used (see carry)
        s = flow.resume(std::move(r));
    } while (!advance(flow, s));
}

std::optional<flows::result> websocket_session::carry_inline(const flows::step& step) {
    auto& worker = svc_.directory();
    if (worker.hops()) return std::nullopt;  // store steps always wait: the store has its own thread
    auto& d = worker.inline_target();
    try {
        if (const auto* join = std::get_if<flows::directory_join>(&step))
            return flows::join_done{d.join(join->resource, join->peer, join->complete)};
        if (const auto* members = std::get_if<flows::directory_members>(&step))
            return flows::members_done{d.members(members->id)};
        if (const auto* relay = std::get_if<flows::directory_relay>(&step)) return flows::relay_done{d.relay(relay->envelope)};
    } catch (const store_error& e) {
        return flows::unavailable{e.what()};
    }
    return std::nullopt;
}

asio::awaitable<flows::result> websocket_session::carry(const flows::step& step) {
    // While the connection waits on another thread, what it gathered is sent, and what it is sent
    // meanwhile goes out at once (corked_stream::waiting_scope).
    corked_stream::waiting_scope waiting(ws_.next_layer());
    // Each awaited value is kept in a named local before it is wrapped: g++ 12 destroys temporaries
    // of a full-expression holding co_await twice.
    try {
        auto& store = svc_.store();
        auto& directory = svc_.directory();
        if (const auto* put = std::get_if<flows::store_put>(&step)) {
            bool inserted = co_await store.call([&](resource_store& s) { return store_share(s, put->id, put->metadata, unix_now()); });
            co_return flows::put_done{inserted};
        }
        if (const auto* load = std::get_if<flows::store_load>(&step)) {
            auto record = co_await store.call([&](resource_store& s) { return load_share(s, load->id, unix_now()); });
            co_return flows::load_done{std::move(record)};
        }
        if (const auto* get = std::get_if<flows::store_get>(&step)) {
            auto record = co_await store.call([&](resource_store& s) { return s.get(get->id); });
            co_return flows::load_done{std::move(record)};
        }
        if (const auto* join = std::get_if<flows::directory_join>(&step)) {
            auto joined = co_await directory.call([&](swarm_directory& d) { return d.join(join->resource, join->peer, join->complete); });
            co_return flows::join_done{joined};
        }
        if (const auto* members = std::get_if<flows::directory_members>(&step)) {
            auto listed = co_await directory.call([&](swarm_directory& d) { return d.members(members->id); });
            co_return flows::members_done{std::move(listed)};
        }
        if (const auto* relay = std::get_if<flows::directory_relay>(&step)) {
            auto route = co_await directory.call([&](swarm_directory& d) { return d.relay(relay->envelope); });
            co_return flows::relay_done{route};
        }
    } catch (const store_error& e) {
        co_return flows::unavailable{e.what()};
    }
    PS_ASSERT(false, "a flow asked for a step the session cannot carry out");
    co_return flows::unavailable{"internal error: unknown step"};
}

void websocket_session::apply(flows::outcome&& o) {
    for (const auto& n : o.notes)
        if (log::enabled(n.level)) log::write(n.level, n.text);
    auto& m = svc_.metrics();
    if (o.error != errc::ok) m.error(o.error);
    if (o.cluster_relayed) m.cluster_relayed(*o.cluster_relayed);
    if (o.share_added) ++svc_.resource_count();
    if (!o.reply.empty()) reply(std::move(o.reply), o.reply_type);
    svc_.sessions().deliver(std::move(o.deliveries));
    if (!o.directory_leaves.empty())
        svc_.directory().post([peer = *id_, leaves = std::move(o.directory_leaves)](swarm_directory& d) {
            for (const auto& r : leaves) d.leave(r, peer);
        });
    if (!o.emptied.empty())
        svc_.store().post([ids = std::move(o.emptied)](resource_store& s) {
            auto now = unix_now();
            for (const auto& id : ids) {
                try {
                    s.touch(id, now);
                } catch (const store_error& e) {
                    PS_LOG(warn, "store: cannot record that " << id.str() << " lost its last holder: " << e.what());
                }
            }
        });
}

void websocket_session::reply(std::string text, server_type type) {
    enqueue(std::make_shared<const std::string>(std::move(text)), type);
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
#ifdef PEERSHARE_INVARIANTS
    queue_.push_back({std::move(text), type, queued_seq_++});
#else
    queue_.push_back({std::move(text), type});
#endif
    check_queue();
    if (!writing_) write_next();
}

// Frames queued messages into the socket layer's buffer (corked_stream), as many as it takes;
// when it is full, waits for its send to complete and goes on. Messages leave in the order they
// were queued: only the front is ever taken.
void websocket_session::write_next() {
    auto& out = ws_.next_layer();
    while (!queue_.empty()) {
        if (!ws_.is_open()) {  // a close frame is on its way: nothing may follow it
            drop_queue();
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
#ifdef PEERSHARE_INVARIANTS
        PS_ASSERT(front.seq == sent_seq_, "messages leave in the order they were queued, none skipped");
        ++sent_seq_;
#endif
        PS_ASSERT(queued_bytes_ >= front.text->size(), "the queue's byte count covers its messages");
        queued_bytes_ -= front.text->size();
        queue_.pop_front();
    }
    writing_ = false;
    check_queue();
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
    drop_queue();
    beast::get_lowest_layer(ws_).close();
}

void websocket_session::drop_queue() {
    closing_ = true;
    queue_.clear();
    queued_bytes_ = 0;
#ifdef PEERSHARE_INVARIANTS
    sent_seq_ = queued_seq_;  // what was queued is gone, not sent out of order
#endif
}

void websocket_session::check_queue() const {
#ifdef PEERSHARE_INVARIANTS
    // O(queue): the queue is short unless the client stops reading, and then it is capped.
    std::size_t bytes = 0;
    for (const auto& q : queue_) bytes += q.text->size();
    PS_ASSERT(bytes == queued_bytes_, "the queue's byte count is the sum of its messages");
    PS_ASSERT(queue_.size() <= svc_.lim().max_write_queue_messages, "the queue stays within its cap");
#endif
}

}  // namespace peershare::net
