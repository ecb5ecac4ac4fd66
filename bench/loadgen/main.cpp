// peershare-loadgen: opens many WebSocket connections to a tracker and drives a workload, then
// reports throughput, latency percentiles and connection counts as JSON (bench/load.bench.mjs runs it).
//
// Connections speak WebSocket framed by core/ws_frame into one buffer per connection: every message
// a connection has to send by the end of an event-loop pass leaves in one write, and one read takes
// in all the frames that have arrived, so the generator spends little CPU per operation and leaves
// the cores to the tracker it measures.
//
// Modes: `ops` runs announce / lookup / relay operations, each connection keeping --depth operations
// in flight (closed loop) or, with --rate, issuing them at a fixed total rate (open loop); `idle` opens
// the connections, announces once, and holds them (answering the server's pings) for --duration.
//
// After an `ops` run the generator waits for the answers to what is still in flight, and reports
// per operation how many were sent, answered, refused and lost, so that a run can be checked.
#include "latency.hpp"
#include "peershare/core/descriptors.hpp"
#include "peershare/core/ws_frame.hpp"
#include "upgrade.hpp"
#include "workload.hpp"

#include <utility>  // before Asio: Boost 1.74's awaitable.hpp uses std::exchange

#include <boost/asio.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <CLI/CLI.hpp>

#include <array>
#include <chrono>
#include <cstdio>
#include <deque>
#include <iostream>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <unordered_map>
#include <variant>
#include <vector>

namespace peershare::loadgen {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using error_code = boost::system::error_code;
using clock = std::chrono::steady_clock;

using ws_frame::opcode;

// The largest server frame accepted: far above any tracker answer of the workload.
constexpr std::size_t max_server_frame_bytes = 16 * 1024 * 1024;

// Client frames must be masked (RFC 6455 §5.3); the generator's key is zero, which leaves the
// payload as it is. Masking keeps a script in a browser from choosing the bytes an intermediary
// sees; the generator talks straight to the tracker it measures, which unmasks with whatever key
// is sent at the same cost, so a zero key changes nothing measured and saves the generator work.
constexpr ws_frame::masking_key zero_key{};

std::int64_t now_ns() { return std::chrono::duration_cast<std::chrono::nanoseconds>(clock::now().time_since_epoch()).count(); }

struct options {
    std::string host = "127.0.0.1";
    // Tracker ports: connection i goes to ports[i % n] (several instances of one deployment);
    // relay partners are neighbours, so with two ports every relay crosses instances.
    std::vector<std::uint16_t> ports;
    std::string target = "/ws";
    tracker_kind tracker = tracker_kind::peershare;
    std::string mode = "ops";
    std::size_t connections = 100;
    std::size_t swarm_size = 10;
    double duration = 5;
    double warmup = 1;
    double rate = 0;  // operations per second in all; 0: closed loop, as fast as answers come
    std::array<unsigned, op_kinds> mix{20, 20, 60};
    std::size_t connect_concurrency = 200;
    std::size_t depth = 1;  // operations in flight per connection
};

class load;

class connection : public std::enable_shared_from_this<connection> {
public:
    // One thread runs every connection: no strands.
    connection(asio::io_context& ioc, load& owner, std::uint32_t index) : index_(index), socket_(ioc), owner_(owner) {}

    void start() { asio::co_spawn(socket_.get_executor(), run(), asio::detached); }
    // Queues a text message; it leaves with the others queued in this event-loop pass.
    void send(std::string_view message);

    const std::uint32_t index_;
    std::string peer;  // peershare peer id, from welcome
    connection* partner = nullptr;
    bool ready = false;
    bool open = false;
    // Operations in flight: announces and lookups wait for their answers in order; relays are
    // completed when the partner receives them (the signal carries its send time).
    std::deque<std::pair<op_kind, std::int64_t>> awaiting;
    std::size_t relays_in_flight = 0;
    std::uint64_t relays_sent = 0;
    std::size_t in_flight() const noexcept { return awaiting.size() + relays_in_flight; }
    std::minstd_rand rng{index_ + 1};

private:
    asio::awaitable<void> run();
    // Reads until `in_` holds at least one more byte; false on error or end of stream.
    asio::awaitable<bool> read_more(error_code& ec);
    // The frame at the start of what `in_` holds unparsed.
    std::variant<ws_frame::frame, ws_frame::need_more, ws_frame::error> next_frame() const;
    // Hands every complete frame in `in_` to the owner; false when the server closed or sent a
    // malformed frame.
    bool take_frames();
    void queue_frame(opcode op, std::string_view payload);
    void flush();

    tcp::socket socket_;
    load& owner_;
    std::vector<char> in_ = std::vector<char>(initial_read_buffer);
    std::size_t in_begin_ = 0, in_end_ = 0;
    std::string fragments_;  // a fragmented message being assembled
    std::string out_;        // frames queued for the next write
    std::string writing_;    // frames being written
    bool write_pending_ = false, flush_posted_ = false;

    // Small, so that 15,000 idle connections cost the generator little; grows for larger frames.
    static constexpr std::size_t initial_read_buffer = 4096;
};

class load {
public:
    load(asio::io_context& ioc, options opt) : ioc_(ioc), opt_(std::move(opt)), ticker_(ioc) {
        for (std::size_t s = 0; s < swarms(); ++s) {
            if (opt_.tracker == tracker_kind::peershare) shares_.push_back(make_fake_share(static_cast<std::uint32_t>(s)));
            else shares_.push_back({bittorrent_id('h', static_cast<std::uint32_t>(s)), {}});
        }
    }

    const options& opt() const { return opt_; }
    std::size_t swarms() const { return (opt_.connections + opt_.swarm_size - 1) / opt_.swarm_size; }
    const fake_share& share_of(const connection& c) const { return shares_[c.index_ / opt_.swarm_size]; }

    void begin() {
        for (std::uint32_t i = 0; i < opt_.connections; ++i)
            connections_.push_back(std::make_shared<connection>(ioc_, *this, i));
        for (std::size_t i = 0; i + 1 < connections_.size(); i += 2) {
            if (i / opt_.swarm_size != (i + 1) / opt_.swarm_size) continue;
            connections_[i]->partner = connections_[i + 1].get();
            connections_[i + 1]->partner = connections_[i].get();
        }
        for (std::size_t i = 0; i < std::min(opt_.connect_concurrency, connections_.size()); ++i) launch_next();
    }

    // --- called by connections ---

    // The first message after the upgrade: join the connection's swarm.
    std::string first_message(connection& c) {
        const auto& share = share_of(c);
        if (opt_.tracker == tracker_kind::bittorrent) return bittorrent_announce(share.id, bittorrent_id('p', c.index_), true);
        return announce_message(share.id, share.metadata_base64);
    }

    void on_welcome(connection& c) { by_peer_[c.peer] = &c; }

    void on_ready(connection& c) {
        c.ready = true;
        ++ready_;
        settled();
    }

    void on_failed(connection& c, const error_code& ec, std::string_view stage) {
        bool was_ready = c.ready;
        c.open = false;
        if (!was_ready) {
            ++failed_;
            if (failed_ <= 5) std::cerr << "connection " << c.index_ << " failed at " << stage << ": " << ec.message() << "\n";
            settled();
        } else {
            ++closed_;
            for (const auto& [op, started] : c.awaiting) ++lost_[static_cast<int>(op)];
            lost_[static_cast<int>(op_kind::relay)] += c.relays_in_flight;
            c.awaiting.clear();
            c.relays_in_flight = 0;
        }
    }

    void on_frame(connection& c, std::string_view frame) {
        auto kind = classify(opt_.tracker, frame);
        if (kind == frame_kind::signal) {
            auto from = signal_from(frame);
            auto sent = signal_sent_at(frame);
            auto it = from ? by_peer_.find(*from) : by_peer_.end();
            if (it != by_peer_.end() && sent && it->second->relays_in_flight > 0) {
                --it->second->relays_in_flight;
                complete(*it->second, op_kind::relay, now_ns() - *sent, false);
            }
            return;
        }
        if (kind == frame_kind::other || kind == frame_kind::welcome) return;
        if (!c.ready) {
            if (kind == frame_kind::error) {
                ++setup_errors_;
                if (setup_errors_ <= 5) std::cerr << "setup refused: " << frame.substr(0, 200) << "\n";
            }
            on_ready(c);
            return;
        }
        // Announces and lookups carry an id; a refused relay's error has none.
        bool answers_request = kind == frame_kind::response || opt_.tracker == tracker_kind::bittorrent ||
                               frame.find(R"("id":)") != std::string_view::npos;
        if (answers_request && !c.awaiting.empty()) {
            auto [op, started] = c.awaiting.front();
            c.awaiting.pop_front();
            complete(c, op, now_ns() - started, kind == frame_kind::error);
        } else if (!answers_request && c.relays_in_flight > 0) {
            --c.relays_in_flight;
            complete(c, op_kind::relay, 0, true);
        } else {
            ++stray_errors_;
        }
    }

    // --- the run ---

    std::string report();

private:
    void launch_next() {
        if (launched_ >= connections_.size()) return;
        connections_[launched_++]->start();
    }

    void settled() {
        launch_next();
        if (ready_ + failed_ < connections_.size()) return;
        std::cerr << "connected: " << ready_ << " ready, " << failed_ << " failed, " << setup_errors_ << " setup errors\n";
        if (opt_.mode == "idle") hold();
        else measure();
    }

    void hold() {
        std::cout << "READY " << ready_ << std::endl;
        phase_end_ = clock::now() + to_duration(opt_.duration);
        ticker_.expires_at(phase_end_);
        ticker_.async_wait([this](error_code) { ioc_.stop(); });
    }

    static clock::duration to_duration(double seconds) {
        return std::chrono::duration_cast<clock::duration>(std::chrono::duration<double>(seconds));
    }

    void measure() {
        measuring_from_ = clock::now() + to_duration(opt_.warmup);
        phase_end_ = measuring_from_ + to_duration(opt_.duration);
        if (opt_.rate > 0) {
            last_tick_ = clock::now();
            tick();
        } else {
            for (auto& c : connections_)
                for (std::size_t i = 0; i < opt_.depth && c->ready && c->open; ++i) issue(*c);
            ticker_.expires_at(phase_end_);
            ticker_.async_wait([this](error_code) { finish(); });
        }
    }

    // Open loop: every millisecond, hand out the operations the rate allows to idle connections.
    void tick() {
        auto now = clock::now();
        if (now >= phase_end_) return finish();
        budget_ += opt_.rate * std::chrono::duration<double>(now - last_tick_).count();
        last_tick_ = now;
        std::size_t scanned = 0;
        while (budget_ >= 1 && scanned < connections_.size()) {
            auto& c = *connections_[cursor_];
            cursor_ = (cursor_ + 1) % connections_.size();
            ++scanned;
            if (!c.ready || !c.open || c.in_flight() >= opt_.depth) continue;
            issue(c);
            budget_ -= 1;
        }
        if (budget_ > opt_.rate * 0.1) {  // more than 100 ms behind: the offered rate is not being met
            unmet_ += static_cast<std::uint64_t>(budget_);
            budget_ = 0;
        }
        ticker_.expires_after(std::chrono::milliseconds(1));
        ticker_.async_wait([this](error_code) { tick(); });
    }

    op_kind pick(connection& c) {
        if (opt_.tracker == tracker_kind::bittorrent) return op_kind::announce;
        unsigned total = opt_.mix[0] + opt_.mix[1] + (c.partner ? opt_.mix[2] : 0);
        unsigned roll = static_cast<unsigned>(c.rng() % total);
        if (roll < opt_.mix[0]) return op_kind::announce;
        if (roll < opt_.mix[0] + opt_.mix[1]) return op_kind::lookup;
        return op_kind::relay;
    }

    void issue(connection& c) {
        auto op = pick(c);
        auto started = now_ns();
        ++sent_[static_cast<int>(op)];
        const auto& share = share_of(c);
        switch (op) {
            case op_kind::announce:
                c.awaiting.emplace_back(op, started);
                c.send(opt_.tracker == tracker_kind::bittorrent ? bittorrent_announce(share.id, bittorrent_id('p', c.index_), false)
                                                                : announce_message(share.id, {}));
                break;
            case op_kind::lookup:
                c.awaiting.emplace_back(op, started);
                c.send(lookup_message(shares_[c.rng() % shares_.size()].id));
                break;
            case op_kind::relay:
                ++c.relays_in_flight;
                c.send(signal_message(share.id, c.partner->peer, c.relays_sent++ % 4 == 0, started));
                break;
        }
    }

    void complete(connection& c, op_kind op, std::int64_t latency_ns, bool error) {
        ++answered_[static_cast<int>(op)];
        if (error) ++refused_[static_cast<int>(op)];
        auto now = clock::now();
        bool counted = now >= measuring_from_ && now < phase_end_;
        if (counted) {
            if (error) ++errors_;
            else latency_[static_cast<int>(op)].add(latency_ns);
        }
        if (opt_.rate <= 0 && now < phase_end_ && c.open) issue(c);
    }

    // Measuring is over: no new operation starts; the run ends once what is in flight is answered
    // (so every operation sent is accounted for in the report) or after drain_timeout.
    void finish() {
        if (finished_) return;
        finished_ = true;
        drain_deadline_ = clock::now() + drain_timeout;
        drain();
    }

    void drain() {
        std::uint64_t out = 0;
        for (int k = 0; k < op_kinds; ++k) out += sent_[k] - answered_[k] - lost_[k];
        if (out == 0 || clock::now() >= drain_deadline_) return ioc_.stop();
        ticker_.expires_after(std::chrono::milliseconds(1));
        ticker_.async_wait([this](error_code) { drain(); });
    }

    // A tracker answers within milliseconds; what it has not answered in this long it has lost.
    static constexpr auto drain_timeout = std::chrono::seconds(5);

    asio::io_context& ioc_;
    options opt_;
    std::vector<fake_share> shares_;
    std::vector<std::shared_ptr<connection>> connections_;
    std::unordered_map<std::string, connection*> by_peer_;
    asio::steady_timer ticker_;
    std::size_t launched_ = 0, ready_ = 0, failed_ = 0, closed_ = 0, setup_errors_ = 0;
    std::uint64_t errors_ = 0, stray_errors_ = 0, unmet_ = 0;
    // Over the whole run (warm-up and drain included): operations sent, answered (a refusal is an
    // answer, counted in refused_ too), and lost with a connection that closed.
    std::array<std::uint64_t, op_kinds> sent_{}, answered_{}, refused_{}, lost_{};
    std::array<latency_samples, op_kinds> latency_;
    clock::time_point measuring_from_{}, phase_end_{}, last_tick_{}, drain_deadline_{};
    double budget_ = 0;
    std::size_t cursor_ = 0;
    bool finished_ = false;
};

void connection::send(std::string_view message) { queue_frame(opcode::text, message); }

void connection::queue_frame(opcode op, std::string_view payload) {
    if (!open) return;
    ws_frame::append_client_frame(out_, op, payload, zero_key);
    if (write_pending_ || flush_posted_) return;
    flush_posted_ = true;
    asio::post(socket_.get_executor(), [self = shared_from_this()] {
        self->flush_posted_ = false;
        self->flush();
    });
}

void connection::flush() {
    if (write_pending_ || out_.empty() || !open) return;
    write_pending_ = true;
    writing_.swap(out_);
    out_.clear();
    asio::async_write(socket_, asio::buffer(writing_), [self = shared_from_this()](error_code ec, std::size_t) {
        self->write_pending_ = false;
        self->writing_.clear();
        if (!ec) self->flush();
    });
}

asio::awaitable<bool> connection::read_more(error_code& ec) {
    if (in_begin_ > 0) {  // keep the unparsed tail at the front
        std::copy(in_.begin() + static_cast<std::ptrdiff_t>(in_begin_), in_.begin() + static_cast<std::ptrdiff_t>(in_end_), in_.begin());
        in_end_ -= in_begin_;
        in_begin_ = 0;
    }
    if (in_end_ == in_.size()) in_.resize(in_.size() * 2);
    auto n = co_await socket_.async_read_some(asio::buffer(in_.data() + in_end_, in_.size() - in_end_),
                                              asio::redirect_error(asio::use_awaitable, ec));
    in_end_ += n;
    co_return !ec;
}

std::variant<ws_frame::frame, ws_frame::need_more, ws_frame::error> connection::next_frame() const {
    return ws_frame::parse_frame(std::string_view(in_.data() + in_begin_, in_end_ - in_begin_), ws_frame::sender::server,
                                 max_server_frame_bytes);
}

bool connection::take_frames() {
    for (;;) {
        auto next = next_frame();
        if (std::holds_alternative<ws_frame::need_more>(next)) return true;
        if (const auto* e = std::get_if<ws_frame::error>(&next)) {
            std::cerr << "connection " << index_ << ": " << ws_frame::describe(*e) << "\n";
            return false;
        }
        const auto& frame = std::get<ws_frame::frame>(next);
        in_begin_ += frame.size();
        switch (frame.head.op) {
            case opcode::ping: queue_frame(opcode::pong, frame.payload); break;
            case opcode::pong: break;
            case opcode::close: return false;
            case opcode::text:
            case opcode::binary:
            case opcode::continuation:
                if (frame.head.fin && fragments_.empty()) {
                    owner_.on_frame(*this, frame.payload);
                } else {
                    fragments_.append(frame.payload);
                    if (frame.head.fin) {
                        owner_.on_frame(*this, fragments_);
                        fragments_.clear();
                    }
                }
                break;
        }
    }
}

asio::awaitable<void> connection::run() {
    auto self = shared_from_this();
    const auto& opt = owner_.opt();
    error_code ec;
    const auto port = opt.ports[index_ % opt.ports.size()];
    tcp::endpoint endpoint(asio::ip::make_address(opt.host), port);
    co_await socket_.async_connect(endpoint, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return owner_.on_failed(*this, ec, "connect");
    socket_.set_option(tcp::no_delay(true));
    co_await asio::async_write(socket_, asio::buffer(upgrade_request(opt.host + ":" + std::to_string(port), opt.target)),
                               asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return owner_.on_failed(*this, ec, "handshake");
    std::optional<std::size_t> head;
    while (!(head = response_head_length(std::string_view(in_.data(), in_end_)))) {
        if (!co_await read_more(ec)) co_return owner_.on_failed(*this, ec, "handshake");
    }
    if (!upgrade_accepted(std::string_view(in_.data(), *head)))
        co_return owner_.on_failed(*this, asio::error::connection_refused, "handshake");
    in_begin_ = *head;
    open = true;
    if (opt.tracker == tracker_kind::peershare) {
        auto next = next_frame();
        while (std::holds_alternative<ws_frame::need_more>(next)) {
            if (!co_await read_more(ec)) co_return owner_.on_failed(*this, ec, "welcome");
            next = next_frame();
        }
        const auto* welcome = std::get_if<ws_frame::frame>(&next);
        auto id = welcome ? welcome_peer(welcome->payload) : std::nullopt;
        if (!id) co_return owner_.on_failed(*this, asio::error::invalid_argument, "welcome");
        in_begin_ += welcome->size();
        peer = *id;
        owner_.on_welcome(*this);
    }
    send(owner_.first_message(*this));
    for (;;) {
        if (!take_frames()) {
            ec = asio::error::eof;
            break;
        }
        if (!co_await read_more(ec)) break;
    }
    socket_.close(ec);
    owner_.on_failed(*this, ec ? ec : asio::error::eof, ready ? "read" : "announce");
}

std::string load::report() {
    std::ostringstream out;
    out.setf(std::ios::fixed);
    out.precision(1);
    out << "{\"tracker\":\"" << (opt_.tracker == tracker_kind::peershare ? "peershare" : "bittorrent") << "\",\"mode\":\""
        << opt_.mode << "\",\"connections\":" << connections_.size() << ",\"ready\":" << ready_ << ",\"failed\":" << failed_
        << ",\"setup_errors\":" << setup_errors_ << ",\"closed\":" << closed_;
    std::size_t open_now = 0;
    for (auto& c : connections_) open_now += c->open ? 1 : 0;
    out << ",\"open_at_end\":" << open_now;
    if (opt_.mode == "ops") {
        double total = 0, responses = 0;
        out << ",\"duration_s\":" << opt_.duration << ",\"rate\":" << opt_.rate << ",\"errors\":" << errors_
            << ",\"stray_errors\":" << stray_errors_ << ",\"unmet\":" << unmet_ << ",\"ops\":{";
        for (int k = 0; k < op_kinds; ++k) {
            auto& l = latency_[k];
            double per_s = static_cast<double>(l.count()) / opt_.duration;
            total += per_s;
            if (k != static_cast<int>(op_kind::relay)) responses += per_s;
            out << (k ? "," : "") << "\"" << name_of(static_cast<op_kind>(k)) << "\":{\"count\":" << l.count()
                << ",\"per_s\":" << per_s << ",\"p50_us\":" << l.percentile_us(50) << ",\"p99_us\":" << l.percentile_us(99)
                << ",\"max_us\":" << l.percentile_us(100) << ",\"sent\":" << sent_[k] << ",\"answered\":" << answered_[k]
                << ",\"refused\":" << refused_[k] << ",\"lost\":" << lost_[k] << "}";
        }
        out << "},\"ops_per_s\":" << total << ",\"responses_per_s\":" << responses;
    }
    out << "}";
    return out.str();
}

tracker_kind parse_tracker(const std::string& s) {
    if (s == "peershare") return tracker_kind::peershare;
    if (s == "bittorrent") return tracker_kind::bittorrent;
    throw CLI::ValidationError("--tracker", "must be peershare or bittorrent");
}

}  // namespace
}  // namespace peershare::loadgen

int main(int argc, char** argv) {
    using namespace peershare::loadgen;
    options opt;
    std::string tracker = "peershare";
    std::string mix = "20,20,60";
    CLI::App app{"peershare-loadgen: drives a WebSocket tracker with many connections and reports JSON on stdout"};
    app.add_option("--host", opt.host, "Tracker address")->capture_default_str();
    app.add_option("--port", opt.ports, "Tracker TCP port; repeat for several instances (connections alternate)")->required();
    app.add_option("--target", opt.target, "WebSocket path")->capture_default_str();
    app.add_option("--tracker", tracker, "peershare or bittorrent (WebTorrent's bittorrent-tracker)")->capture_default_str();
    app.add_option("--mode", opt.mode, "ops (run operations) or idle (hold connections)")
        ->check(CLI::IsMember({"ops", "idle"}))
        ->capture_default_str();
    app.add_option("--connections", opt.connections, "Connections to open")->check(CLI::Range(1, 1000000))->capture_default_str();
    app.add_option("--swarm-size", opt.swarm_size, "Connections per swarm (even: relays go between pairs)")
        ->check(CLI::Range(2, 100000))
        ->capture_default_str();
    app.add_option("--duration", opt.duration, "Seconds measured (ops) or held (idle)")->capture_default_str();
    app.add_option("--warmup", opt.warmup, "Seconds run before measuring (ops)")->capture_default_str();
    app.add_option("--rate", opt.rate, "Operations per second in all; 0 runs closed loop, one in flight per connection")
        ->capture_default_str();
    app.add_option("--mix", mix, "Weights of announce,lookup,relay (peershare)")->capture_default_str();
    app.add_option("--connect-concurrency", opt.connect_concurrency, "Connections being opened at once")->capture_default_str();
    app.add_option("--depth", opt.depth, "Operations in flight per connection")->check(CLI::Range(1, 1000))->capture_default_str();
    CLI11_PARSE(app, argc, argv);
    try {
        if (opt.swarm_size % 2 != 0 || opt.connections % 2 != 0)
            throw CLI::ValidationError("--connections/--swarm-size", "must be even: relays go between neighbouring pairs");
        opt.tracker = parse_tracker(tracker);
        unsigned a = 0, l = 0, r = 0;
        char c1 = 0, c2 = 0;
        std::istringstream in(mix);
        if (!(in >> a >> c1 >> l >> c2 >> r) || c1 != ',' || c2 != ',' || a + l + r == 0)
            throw CLI::ValidationError("--mix", "three comma-separated weights, not all zero");
        opt.mix = {a, l, r};
    } catch (const CLI::Error& e) {
        return app.exit(e);
    }
    peershare::raise_descriptor_limit();
    boost::asio::io_context ioc(1);
    load run(ioc, opt);
    run.begin();
    ioc.run();
    std::cout << run.report() << std::endl;
    return 0;
}
