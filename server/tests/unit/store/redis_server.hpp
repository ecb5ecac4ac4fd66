// A redis-server of the test's own: on a free loopback port, without persistence, in a temporary
// directory, stopped by its pid. A missing redis-server fails the test with how to install it.
#pragma once

#include "peershare/store/redis_url.hpp"

#include "store/temp_dir.hpp"

#include <hiredis.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <initializer_list>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace peershare::test {

class redis_server {
public:
    // Starts redis-server on a free port; throws std::runtime_error when it cannot.
    redis_server() {
        path_ = find_redis_server();
        // Redis cannot pick a port itself: take one the system says is free. Another process may take
        // it before Redis binds it; then Redis exits with "Address already in use" and we try another.
        for (int attempt = 1;; ++attempt) {
            port_ = free_port();
            try {
                start();
                return;
            } catch (const std::runtime_error&) {
                if (attempt == 3) throw;
            }
        }
    }
    ~redis_server() { stop(); }
    redis_server(const redis_server&) = delete;
    redis_server& operator=(const redis_server&) = delete;

    std::uint16_t port() const { return port_; }
    redis_url url(int db = 0) const { return {"127.0.0.1", port_, db}; }
    bool running() const { return pid_ > 0; }

    // Starts it (again) on the same port, and returns once it answers PING.
    void start() {
        if (pid_ > 0) return;
        const auto log = dir_.path() / "redis.log";
        const std::string port = std::to_string(port_), dir = dir_.path().string();
        std::vector<std::string> args{path_, "--port", port, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                                      "--dir", dir, "--daemonize", "no", "--logfile", ""};
        pid_t pid = ::fork();
        if (pid < 0) throw std::runtime_error("fork failed");
        if (pid == 0) {
            ::prctl(PR_SET_PDEATHSIG, SIGKILL);  // never outlives a crashed test
            std::FILE* out = std::freopen(log.c_str(), "w", stdout);
            if (out) ::dup2(::fileno(out), STDERR_FILENO);
            std::vector<char*> argv;
            for (auto& a : args) argv.push_back(a.data());
            argv.push_back(nullptr);
            ::execv(path_.c_str(), argv.data());
            std::_Exit(127);
        }
        pid_ = pid;
        // Poll until it answers, or fail with its log if it exits.
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
        for (;;) {
            int status = 0;
            if (::waitpid(pid_, &status, WNOHANG) == pid_) {
                pid_ = -1;
                throw std::runtime_error("redis-server exited at start on port " + port + ": " + read_file(log));
            }
            if (command({"PING"}) == "PONG") return;
            if (std::chrono::steady_clock::now() > deadline) {
                stop();
                throw std::runtime_error("redis-server did not answer PING within 20 s: " + read_file(log));
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(10));  // poll interval
        }
    }

    // Stops it and waits until it has exited (and so no longer listens).
    void stop() {
        if (pid_ <= 0) return;
        ::kill(pid_, SIGCONT);  // a paused server could not act on SIGTERM
        ::kill(pid_, SIGTERM);
        int status = 0;
        ::waitpid(pid_, &status, 0);
        pid_ = -1;
    }

    // Freezes it: connections stay open and accepted, nothing is answered. resume() undoes it.
    void pause() { ::kill(pid_, SIGSTOP); }
    void resume() { ::kill(pid_, SIGCONT); }

    // Runs one command on a connection of its own; the reply as text: a status, string or integer as
    // itself, nil as "(nil)", an error as "error: ...", an array as its elements one per line;
    // "(no connection)" when the server does not answer.
    std::string command(std::initializer_list<std::string> args) const {
        timeval tv{1, 0};
        std::unique_ptr<redisContext, void (*)(redisContext*)> c(redisConnectWithTimeout("127.0.0.1", port_, tv), redisFree);
        if (!c || c->err) return "(no connection)";
        redisSetTimeout(c.get(), tv);
        std::vector<const char*> argv;
        std::vector<std::size_t> lens;
        for (const auto& a : args) {
            argv.push_back(a.data());
            lens.push_back(a.size());
        }
        auto* r = static_cast<redisReply*>(redisCommandArgv(c.get(), static_cast<int>(argv.size()), argv.data(), lens.data()));
        if (!r) return "(no connection)";
        std::string text = render(*r);
        freeReplyObject(r);
        return text;
    }

private:
    static std::string render(const redisReply& r) {
        switch (r.type) {
            case REDIS_REPLY_STATUS:
            case REDIS_REPLY_STRING: return std::string(r.str, r.len);
            case REDIS_REPLY_ERROR: return "error: " + std::string(r.str, r.len);
            case REDIS_REPLY_INTEGER: return std::to_string(r.integer);
            case REDIS_REPLY_NIL: return "(nil)";
            case REDIS_REPLY_ARRAY: {
                std::string out;
                for (std::size_t i = 0; i < r.elements; ++i) out += (i ? "\n" : "") + render(*r.element[i]);
                return out;
            }
        }
        return "(unknown reply)";
    }

    static std::string find_redis_server() {
        const char* path_env = std::getenv("PATH");
        std::stringstream dirs(path_env ? path_env : "");
        for (std::string dir; std::getline(dirs, dir, ':');) {
            if (dir.empty()) continue;
            auto candidate = dir + "/redis-server";
            if (::access(candidate.c_str(), X_OK) == 0) return candidate;
        }
        throw std::runtime_error(
            "redis-server was not found in PATH, and the Redis store tests run against a real one: install it with "
            "'apt-get install redis-server' (scripts/setup.sh --with-test-tools does)");
    }

    static std::uint16_t free_port() {
        int fd = ::socket(AF_INET, SOCK_STREAM, 0);
        if (fd < 0) throw std::runtime_error("socket failed");
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        a.sin_port = 0;
        socklen_t len = sizeof a;
        bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
                  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0;
        ::close(fd);
        if (!ok) throw std::runtime_error("cannot find a free port");
        return ntohs(a.sin_port);
    }

    static std::string read_file(const std::filesystem::path& p) {
        std::ifstream in(p);
        std::stringstream s;
        s << in.rdbuf();
        return s.str();
    }

    temp_dir dir_;
    std::string path_;
    std::uint16_t port_ = 0;
    pid_t pid_ = -1;
};

}  // namespace peershare::test
