// Start-up, the thread pool, signal handling and shutdown of the whole service.
#include "peershare/net/server.hpp"

#include "listener.hpp"
#include "service.hpp"
#include "stun_responder.hpp"

#include "peershare/core/descriptors.hpp"
#include "peershare/core/duration.hpp"
#include "peershare/core/log.hpp"

#include <boost/asio/signal_set.hpp>

#include <thread>

namespace peershare::net {
namespace {

std::string url_of(const tcp::endpoint& ep) {
    auto a = ep.address();
    std::string host = a.is_v6() ? "[" + a.to_string() + "]" : a.to_string();
    return "http://" + host + ":" + std::to_string(ep.port());
}

}  // namespace

int run_server(const server_config& given) {
    server_config config = given;  // the STUN port becomes the one actually bound
    log::set_level(config.log_level);
    error_code ec;
    auto address = asio::ip::make_address(config.host, ec);
    if (ec) {
        PS_LOG(error, "--host '" << config.host << "' is not an IP address");
        return 2;
    }

    auto descriptors = raise_descriptor_limit();
    asio::io_context ioc(static_cast<int>(config.threads));
    std::shared_ptr<stun_responder> stun;
    if (config.ice.stun) {
        try {
            stun = std::make_shared<stun_responder>(ioc, asio::ip::udp::endpoint(address, config.ice.stun_port));
        } catch (const boost::system::system_error& e) {
            PS_LOG(error, "cannot run the STUN responder on udp port " << config.ice.stun_port << ": " << e.code().message()
                                                                       << " (use --stun-port or --no-stun)");
            return 1;
        }
        config.ice.stun_port = stun->local_endpoint().port();
    }
    std::unique_ptr<service> svc;
    try {
        svc = std::make_unique<service>(config, ioc);
    } catch (const std::exception& e) {
        // Name the data directory or Redis once: most store errors already do.
        std::string why = e.what();
        std::string where = config.redis ? config.redis->str() : config.data_dir.string();
        if (why.find(where) == std::string::npos) why = " in " + where + ": " + why;
        else why = ": " + why;
        PS_LOG(error, "cannot open the store" << why);
        return 1;
    }

    // per-thread: the main io_context is the first of the pool; every other one has a thread of its own.
    std::vector<std::unique_ptr<asio::io_context>> extra;
    std::vector<asio::executor_work_guard<asio::io_context::executor_type>> keep_running;
    listener::executor_picker pick = [&ioc] { return asio::any_io_executor(asio::make_strand(ioc)); };
    if (config.io == server_config::io_model::per_thread) {
        for (unsigned i = 1; i < config.threads; ++i) {
            extra.push_back(std::make_unique<asio::io_context>(1));
            // Open its reactor's descriptors now: done lazily at its first connection, running out
            // of descriptors there would fail inside the accept loop instead of at start.
            asio::steady_timer open_reactor(*extra.back());
            keep_running.push_back(asio::make_work_guard(*extra.back()));
        }
        pick = [&ioc, &extra, next = std::size_t{0}]() mutable {
            auto i = next++ % (extra.size() + 1);
            return asio::any_io_executor(i == 0 ? ioc.get_executor() : extra[i - 1]->get_executor());
        };
    }

    std::shared_ptr<listener> accept;
    try {
        accept = std::make_shared<listener>(ioc, tcp::endpoint(address, config.port), *svc, std::move(pick));
    } catch (const boost::system::system_error& e) {
        PS_LOG(error, "cannot listen on " << url_of({address, config.port}) << ": " << e.code().message());
        return 1;
    }
    accept->start();
    if (stun) stun->start();
    svc->start();

    if (config.web_root) PS_LOG(info, "serving the web app from " << config.web_root->string());
    else if (svc->files().embedded_count() == 0) PS_LOG(warn, "this build has no embedded web app; use --web-root");
    PS_LOG(info, "store: " << svc->store_name() << ", " << svc->resource_count().load() << " share(s) stored");
    if (stun) PS_LOG(info, "STUN responder on udp port " << config.ice.stun_port);
    if (!config.ice.turn_urls.empty())
        PS_LOG(info, "TURN: " << config.ice.turn_urls.size() << " URL(s), credentials valid "
                              << format_duration(config.ice.turn_ttl) << (config.ice.relay_only ? ", relay only" : ""));
    PS_LOG(info, "file descriptor limit " << descriptors << " (connections beyond it are refused with HTTP 503)");
    PS_LOG(info, "listening on " << url_of(accept->local_endpoint()) << " with " << config.threads << " thread(s)"
                                 << (config.io == server_config::io_model::per_thread ? ", one event loop each" : ""));

    asio::signal_set signals(ioc, SIGINT, SIGTERM);
    signals.async_wait([&](error_code e, int signo) {
        if (e) return;
        PS_LOG(info, "received " << (signo == SIGINT ? "SIGINT" : "SIGTERM") << ": stopping");
        accept->stop();
        if (stun) stun->stop();
        svc->shutdown();
    });

    std::vector<std::thread> workers;
    if (extra.empty())
        for (unsigned i = 1; i < config.threads; ++i) workers.emplace_back([&] { ioc.run(); });
    else
        for (auto& context : extra) workers.emplace_back([&context] { context->run(); });
    ioc.run();  // returns once the service has stopped it: every connection is closed
    keep_running.clear();
    for (auto& context : extra) context->stop();
    for (auto& t : workers) t.join();
    svc.reset();    // waits for the store and directory threads, whose completions post to the loops
    extra.clear();  // only then may the loops (and handlers still queued there) go
    PS_LOG(info, "stopped");
    return 0;
}

}  // namespace peershare::net
