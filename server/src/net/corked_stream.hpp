// The socket under a signaling connection's WebSocket, with its writes corked: once cork() is
// called, what the connection writes while it is busy handling messages is gathered and leaves in
// one send when it next waits for input (or as soon as it is written, if it is already waiting),
// so that a batch of requests read in one receive is answered in one send. The connection's own
// messages are framed straight into the buffer (append_text_frame, through core/ws_frame); Beast's
// writes (the handshake, pongs, pings, close) come through async_write_some, each taken whole, so
// the two never interleave within a frame. Writes are accepted into the buffer only up to
// `cork_limit`; beyond it they wait for the socket, so a client that does not read still fills the
// connection's bounded queue and is dropped.
#pragma once

#include "beast.hpp"

#include "peershare/core/ws_frame.hpp"

#include <boost/asio/compose.hpp>

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

namespace peershare::net {

class corked_stream {
    struct state;  // below

public:
    using next_layer_type = beast::tcp_stream;
    using executor_type = next_layer_type::executor_type;

    // Bytes gathered before they are sent even though the connection is still busy: one socket
    // send's worth, small enough that a connection's buffer stays a small share of its memory.
    static constexpr std::size_t cork_limit = 64 * 1024;
    // A sent buffer is kept for the next batch only while more is gathered and only up to this
    // size, so that an idle connection holds no memory for a burst it once had.
    static constexpr std::size_t kept_capacity = 4 * 1024;

    explicit corked_stream(next_layer_type&& next)
        : next_(std::move(next)), state_(std::make_shared<state>(next_.get_executor())) {
        state_->owner = this;
    }
    ~corked_stream() { state_->owner = nullptr; }
    corked_stream(const corked_stream&) = delete;
    corked_stream& operator=(const corked_stream&) = delete;

    executor_type get_executor() noexcept { return next_.get_executor(); }
    next_layer_type& next_layer() noexcept { return next_; }
    const next_layer_type& next_layer() const noexcept { return next_; }

    // From now on, gather writes (until then they go straight to the socket: the handshake).
    void cork() noexcept { state_->corked = true; }

    // Bytes the connection received after the upgrade request, read with it (a client that did not
    // wait for the handshake's answer): the first reads return them before the socket is read.
    void set_received(std::string bytes) { state_->received = std::move(bytes); }

    // Held while the connection awaits something other than input (the store, Redis): what is
    // gathered is sent now, and what it is sent meanwhile (pushes from other connections) goes
    // out at once, as while it waits for input.
    class waiting_scope {
    public:
        explicit waiting_scope(corked_stream& s);
        ~waiting_scope();
        waiting_scope(const waiting_scope&) = delete;
        waiting_scope& operator=(const waiting_scope&) = delete;

    private:
        std::shared_ptr<state> state_;
    };

    enum class append_result { appended, full, failed };

    // Appends one final text frame carrying `payload` (core/ws_frame). `full`: the frame would take
    // what is gathered past `cork_limit`, so it waits for the send in flight (async_wait_room);
    // `failed`: a send failed, the connection is broken. Only once corked, and only while the
    // WebSocket is open (after a close frame nothing may follow).
    append_result append_text_frame(std::string_view payload) {
        auto& st = *state_;
        if (st.failed) return append_result::failed;
        const std::size_t size = ws_frame::header_size(payload.size(), false) + payload.size();
        if (!st.pending.empty() && st.pending.size() + size > cork_limit) return append_result::full;
        ws_frame::append_server_frame(st.pending, ws_frame::opcode::text, payload);
        if (st.waiting || st.pending.size() >= cork_limit) flush();
        return append_result::appended;
    }

    // Calls `handler()` once the send in flight completes (after append_text_frame said `full`).
    template <class Handler>
    void async_wait_room(Handler&& handler) {
        flush();
        if (state_->failed || !state_->sending_now) {
            asio::post(next_.get_executor(), std::forward<Handler>(handler));
            return;
        }
        state_->flushed.async_wait([h = std::forward<Handler>(handler)](error_code) mutable { h(); });
    }

    template <class MutableBuffers, class Handler>
    auto async_read_some(const MutableBuffers& buffers, Handler&& handler) {
        if (!state_->received.empty())
            return asio::async_compose<Handler, void(error_code, std::size_t)>(received_op<MutableBuffers>{state_, buffers},
                                                                              handler, next_);
        if (!state_->corked) return next_.async_read_some(buffers, std::forward<Handler>(handler));
        return asio::async_compose<Handler, void(error_code, std::size_t)>(read_op<MutableBuffers>{state_, buffers},
                                                                          handler, next_);
    }

    template <class ConstBuffers, class Handler>
    auto async_write_some(const ConstBuffers& buffers, Handler&& handler) {
        if (!state_->corked) return next_.async_write_some(buffers, std::forward<Handler>(handler));
        return asio::async_compose<Handler, void(error_code, std::size_t)>(write_op<ConstBuffers>{state_, buffers},
                                                                          handler, next_);
    }

    // Blocking use is not part of the signaling connection; these exist for Beast's interface.
    template <class MutableBuffers>
    std::size_t read_some(const MutableBuffers& buffers, error_code& ec) {
        return next_.read_some(buffers, ec);
    }
    template <class ConstBuffers>
    std::size_t write_some(const ConstBuffers& buffers, error_code& ec) {
        return next_.write_some(buffers, ec);
    }

    // WebSocket teardown (found by Beast through argument-dependent lookup): what is gathered is
    // sent first, then the TCP teardown runs.
    template <class Handler>
    friend void async_teardown(beast::role_type role, corked_stream& s, Handler&& handler) {
        asio::async_compose<Handler, void(error_code)>(teardown_op{s.state_, role}, handler, s.next_);
    }
    friend void teardown(beast::role_type role, corked_stream& s, error_code& ec) {
        using beast::websocket::teardown;
        teardown(role, s.next_, ec);
    }

private:
    // Shared with the send in flight, which may complete after the stream is gone.
    struct state {
        explicit state(const executor_type& ex) : flushed(ex, std::chrono::steady_clock::time_point::max()) {}
        corked_stream* owner = nullptr;  // null once the stream is gone
        std::string received;  // read before the stream took over the socket, not yet read from it
        std::string pending;  // accepted, not yet handed to the socket
        std::string sending;  // being sent
        bool corked = false;
        bool waiting = false;  // the connection waits: for input, or on the store (waiting_scope)
        bool sending_now = false;
        error_code failed;  // a send failed: every later write reports it
        // Cancelled whenever a send completes: wakes writes waiting for room and the teardown.
        asio::steady_timer flushed;
    };

    // Hands what is gathered to the socket unless a send is already in flight.
    void flush() {
        auto& st = *state_;
        if (st.sending_now || st.pending.empty() || st.failed) return;
        st.sending_now = true;
        st.sending.swap(st.pending);
        send_from(0);
    }

    // One socket write of `sending` from `offset`. Its completion touches only the shared state
    // and, while it exists, the stream (the write itself keeps the socket alive; the stream object
    // may be gone by then: a composed async_write would use it after that).
    void send_from(std::size_t offset) {
        auto& st = *state_;
        next_.async_write_some(asio::buffer(st.sending.data() + offset, st.sending.size() - offset),
                               [s = state_, offset](error_code ec, std::size_t n) {
                                   if (!ec && !s->owner) ec = asio::error::operation_aborted;
                                   if (!ec && offset + n < s->sending.size()) return s->owner->send_from(offset + n);
                                   sent(*s, ec);
                               });
    }

    static void sent(state& s, error_code ec) {
        s.sending_now = false;
        // Kept for the next batch while the connection is busy; an idle one holds no buffer.
        if (s.pending.empty() || s.sending.capacity() > kept_capacity) std::string().swap(s.sending);
        else s.sending.clear();
        s.flushed.cancel();
        if (ec) {
            s.failed = ec;
            return;
        }
        // More was gathered meanwhile: send it if the connection waits for input (or if the
        // buffer is full); otherwise it leaves with the connection's next read.
        if (s.owner && !s.pending.empty() && (s.waiting || s.pending.size() >= cork_limit)) s.owner->flush();
    }

    // The operations below hold the state, never the stream, across a wait.
    template <class MutableBuffers>
    struct read_op {
        std::shared_ptr<state> st_;
        MutableBuffers buffers;
        bool started = false;

        template <class Self>
        void operator()(Self& self, error_code ec = {}, std::size_t n = 0) {
            if (!started) {
                started = true;
                st_->waiting = true;
                st_->owner->flush();
                st_->owner->next_.async_read_some(buffers, std::move(self));
                return;
            }
            st_->waiting = false;
            self.complete(ec, n);
        }
    };

    // A read served from `received`: no wait, so nothing gathered is sent for it.
    template <class MutableBuffers>
    struct received_op {
        std::shared_ptr<state> st_;
        MutableBuffers buffers;
        std::size_t n = 0;
        bool started = false;

        template <class Self>
        void operator()(Self& self) {
            if (!started) {
                started = true;
                n = asio::buffer_copy(buffers, asio::buffer(st_->received));
                st_->received.erase(0, n);
                asio::post(std::move(self));  // never complete inside the initiating call
                return;
            }
            self.complete(error_code{}, n);
        }
    };

    // Beast's writes. The state, not the stream, is held: one of them (Beast's idle ping) keeps
    // only a weak reference to the WebSocket, so the stream can be gone when it resumes.
    template <class ConstBuffers>
    struct write_op {
        std::shared_ptr<state> st_;
        ConstBuffers buffers;
        enum { start, waiting_for_room, accepted } step = start;
        std::size_t size = 0;

        template <class Self>
        void operator()(Self& self, error_code = {}) {
            auto& st = *st_;
            if (!st.owner) return self.complete(asio::error::operation_aborted, 0);
            corked_stream* s = st.owner;
            switch (step) {
                case start:
                    if (!st.failed && !take(st)) {
                        step = waiting_for_room;
                        s->flush();
                        st.flushed.async_wait(std::move(self));
                        return;
                    }
                    step = accepted;
                    asio::post(std::move(self));  // never complete inside the initiating call
                    return;
                case waiting_for_room:
                    if (!st.failed && !take(st)) {
                        s->flush();
                        st.flushed.async_wait(std::move(self));
                        return;
                    }
                    break;
                case accepted: break;
            }
            if (st.failed) return self.complete(st.failed, 0);
            self.complete(error_code{}, size);
        }

        // Appends the buffers if there is room (or nothing is gathered yet); sends at once when
        // the connection waits for input or the buffer is full.
        bool take(state& st) {
            size = asio::buffer_size(buffers);
            if (!st.pending.empty() && st.pending.size() + size > cork_limit) return false;
            auto at = st.pending.size();
            st.pending.resize(at + size);
            asio::buffer_copy(asio::buffer(st.pending.data() + at, size), buffers);
            if (st.waiting || st.pending.size() >= cork_limit) st.owner->flush();
            return true;
        }
    };

    struct teardown_op {
        std::shared_ptr<state> st_;
        beast::role_type role;
        bool flushed = false;

        template <class Self>
        void operator()(Self& self, error_code ec = {}) {
            auto& st = *st_;
            if (!st.owner) return self.complete(asio::error::operation_aborted);
            corked_stream* s = st.owner;
            if (!flushed) {
                if (!st.failed && (st.sending_now || !st.pending.empty())) {
                    s->flush();
                    st.flushed.async_wait(std::move(self));
                    return;
                }
                flushed = true;
                using beast::websocket::async_teardown;
                async_teardown(role, s->next_, std::move(self));
                return;
            }
            self.complete(ec);
        }
    };

    next_layer_type next_;
    std::shared_ptr<state> state_;
};

inline corked_stream::waiting_scope::waiting_scope(corked_stream& s) : state_(s.state_) {
    state_->waiting = true;
    s.flush();
}

inline corked_stream::waiting_scope::~waiting_scope() { state_->waiting = false; }

}  // namespace peershare::net
