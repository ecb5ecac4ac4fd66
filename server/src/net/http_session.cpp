// HTTP request handling and WebSocket upgrade.
#include "http_session.hpp"

#include "service.hpp"
#include "websocket_session.hpp"

#include "peershare/api/http_api.hpp"
#include "peershare/core/clock.hpp"
#include "peershare/core/http_router.hpp"
#include "peershare/core/log.hpp"
#include "peershare/core/metadata.hpp"

#include <boost/asio/co_spawn.hpp>
#include <array>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace peershare::net {
namespace {

// A request body is accepted only where a route takes one; elsewhere a small allowance keeps
// clients that send an empty JSON body working.
constexpr std::size_t default_body_limit = 1024;

// After refusing an oversized body, at most this much of it is read and discarded (see drain()).
constexpr std::size_t max_drain_bytes = 2 * metadata::max_metadata_bytes;

// Applied to the web app's HTML: scripts, styles and connections only from this server.
constexpr std::string_view html_security_policy =
    "default-src 'self'; img-src 'self' data: blob:; connect-src 'self' ws: wss:; worker-src 'self' blob:; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

api::reply static_reply(const service& svc, const std::string& path) {
    auto f = svc.files().find(path);
    if (!f) return api::error_reply(errc::not_found, "no such page");
    api::reply r;
    r.content_type = std::string(f->content_type);
    r.cache_control = std::string(f->cache_control);
    r.body = std::move(f->body);
    return r;
}

template <typename Body>
void set_common(http::response<Body>& res, const api::reply& r, bool keep_alive) {
    res.set(http::field::server, "peershare");
    res.set(http::field::content_type, r.content_type);
    res.set(http::field::cache_control, r.cache_control);
    res.set("X-Content-Type-Options", "nosniff");
    if (r.content_type.starts_with("text/html")) res.set("Content-Security-Policy", html_security_policy);
    res.keep_alive(keep_alive);
}

// The connection's client: the TCP peer, or what X-Forwarded-For says when the peer is a trusted
// proxy (core/forwarded). Several X-Forwarded-For lines count as one comma-separated list.
asio::ip::address client_address(const asio::ip::address& peer, const http::request<http::string_body>& req,
                                  const forwarded::trusted_proxies& trusted) {
    if (trusted.empty()) return peer;
    auto peer_text = peer.to_string();
    auto canonical = forwarded::canonical_address(peer_text).value_or(peer_text);
    std::string header;
    auto [first, last] = req.equal_range("X-Forwarded-For");
    for (auto it = first; it != last; ++it) {
        if (!header.empty()) header += ',';
        header += it->value();
    }
    auto client = forwarded::client_address(canonical, header, trusted);
    if (client == canonical) return peer;
    error_code ec;
    auto a = asio::ip::make_address(client, ec);
    return ec ? peer : a;
}

}  // namespace

http_session::http_session(tcp::socket&& socket, service& svc) : stream_(std::move(socket)), svc_(svc) {}

void http_session::start() {
    asio::co_spawn(stream_.get_executor(), run(), [self = shared_from_this()](std::exception_ptr e) {
        if (!e) return;
        try {
            std::rethrow_exception(e);
        } catch (const std::exception& ex) {
            PS_LOG(error, "http session failed: " << ex.what());
        }
    });
}

asio::awaitable<void> http_session::run() {
    const auto& lim = svc_.lim();
    error_code ec;
    auto remote = stream_.socket().remote_endpoint(ec);
    if (ec) co_return;

    for (;;) {
        http::request_parser<http::string_body> parser;
        parser.header_limit(static_cast<std::uint32_t>(lim.max_http_header_bytes));
        // The largest body any route takes; Beast checks Content-Length against it with the header.
        parser.body_limit(metadata::max_metadata_bytes);
        stream_.expires_after(lim.handshake_timeout);
        co_await http::async_read_header(stream_, buffer_, parser, asio::redirect_error(asio::use_awaitable, ec));
        bool too_large = ec == http::error::body_limit;
        if (ec && !too_large) break;  // end of stream, timeout (slow headers), or garbage: drop the connection

        auto& header = parser.get();
        auto route = routing::match(header.method_string(), header.target());
        bool keep_alive = header.keep_alive();
        api::reply reply;

        if (!too_large) {
            bool takes_body = route.error == errc::ok && route.which == routing::route::resource_metadata_put;
            if (!takes_body) {
                too_large = parser.content_length().value_or(0) > default_body_limit;
                parser.body_limit(default_body_limit);
            }
        }
        if (!too_large) {
            co_await http::async_read(stream_, buffer_, parser, asio::redirect_error(asio::use_awaitable, ec));
            too_large = ec == http::error::body_limit;
            if (ec && !too_large) break;
        }
        if (too_large) {
            reply = route.which == routing::route::resource_metadata_put
                        ? api::error_reply(errc::metadata_too_large)
                        : api::error_reply(errc::bad_request, "this request takes no body");
            reply.status = 413;
            keep_alive = false;
        } else if (route.error != errc::ok) {
            reply = api::error_reply(route.error);
        } else if (route.which == routing::route::websocket) {
            auto& req = parser.get();
            auto address = client_address(remote.address(), req, svc_.trusted_proxies());
            if (!websocket::is_upgrade(req)) {
                reply = api::error_reply(errc::bad_request, "this path takes a WebSocket upgrade");
                reply.status = 426;
            } else if (svc_.shutting_down()) {
                reply = api::error_reply(errc::store_unavailable, "the server is shutting down");
            } else if (!svc_.origins().allows(req[http::field::origin], req[http::field::host])) {
                svc_.metrics().connection_refused(metrics::refusal::origin);
                PS_LOG(info, "refused WebSocket from " << address.to_string() << ": origin '" << req[http::field::origin]
                                                       << "' not allowed");
                reply = api::error_reply(errc::bad_request, "this origin may not connect");
                reply.status = 403;
                keep_alive = false;
            } else if (auto slot = svc_.acquire_address(address); !slot) {
                svc_.metrics().connection_refused(metrics::refusal::per_ip);
                PS_LOG(info, "refused WebSocket from " << address.to_string() << ": "
                                                       << lim.max_connections_per_ip << " connections already open");
                reply = api::error_reply(errc::rate_limited, "too many connections from your address");
                reply.status = 429;
                keep_alive = false;
            } else {
                svc_.metrics().http_response(101);
                std::make_shared<websocket_session>(std::move(stream_), svc_, std::move(slot))
                    ->start(parser.release(), beast::buffers_to_string(buffer_.data()));
                co_return;
            }
        } else {
            auto& req = parser.get();
            try {
                switch (route.which) {
                case routing::route::healthz:
                    reply = co_await svc_.store().call([](resource_store& s) { return api::healthz(s); });
                    break;
                case routing::route::metrics: {
                    auto c = svc_.tracker().stats();
                    reply = api::metrics_text(svc_.metrics(), {c.swarms, c.memberships, svc_.resource_count().load(),
                                                              svc_.clustered()});
                    break;
                }
                case routing::route::stats:
                    reply = api::stats({svc_.tracker().stats(), svc_.metrics().connections(), svc_.resource_count().load(),
                                        svc_.uptime_seconds(), PEERSHARE_VERSION_STRING});
                    break;
                case routing::route::resource_info:
                    reply = co_await svc_.store().call(
                        [&](resource_store& s) { return api::resource_info(s, svc_.tracker(), route.param); });
                    break;
                case routing::route::resource_metadata_get:
                    reply = co_await svc_.store().call([&](resource_store& s) { return api::metadata_get(s, route.param); });
                    break;
                case routing::route::resource_metadata_put: {
                    bool inserted = false;
                    reply = co_await svc_.store().call([&](resource_store& s) {
                        return api::metadata_put(s, route.param, req.body(), unix_now(), inserted);
                    });
                    if (inserted) ++svc_.resource_count();
                    break;
                }
                case routing::route::static_file:
                    reply = static_reply(svc_, route.path);
                    break;
                case routing::route::websocket:
                    break;
                }
            } catch (const store_error& e) {
                PS_LOG(warn, "store: " << header.method_string() << " " << route.path << " failed: " << e.what());
                reply = api::error_reply(errc::store_unavailable);
            }
        }

        svc_.metrics().http_response(reply.status);
        auto status = static_cast<http::status>(reply.status);
        unsigned version = parser.get().version();
        if (parser.get().method() == http::verb::head) {
            http::response<http::empty_body> res{status, version};
            set_common(res, reply, keep_alive);
            res.content_length(reply.body.size());
            co_await http::async_write(stream_, res, asio::redirect_error(asio::use_awaitable, ec));
        } else {
            http::response<http::string_body> res{status, version};
            set_common(res, reply, keep_alive);
            res.body() = std::move(reply.body);
            res.prepare_payload();
            co_await http::async_write(stream_, res, asio::redirect_error(asio::use_awaitable, ec));
        }
        if (ec) break;
        if (!keep_alive) {
            if (too_large) co_await drain();
            break;
        }
    }
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
}

asio::awaitable<void> http_session::drain() {
    // The client may still be sending the body we refused. Closing with unread data would reset
    // the connection and could destroy our reply before the client reads it, so finish sending,
    // then read and discard for a bounded time and amount.
    error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    stream_.expires_after(svc_.lim().handshake_timeout);
    std::array<char, 16 * 1024> scratch;
    std::size_t total = buffer_.size();
    buffer_.clear();
    while (total < max_drain_bytes) {
        auto n = co_await stream_.async_read_some(asio::buffer(scratch), asio::redirect_error(asio::use_awaitable, ec));
        if (ec) break;
        total += n;
    }
}

}  // namespace peershare::net
