#pragma once

#include <QUrl>
#include <atomic>
#include <chrono>
#include <memory>

class QThread;

namespace tl {

// A small HTTP server for I/O-bound tasks: answers every GET after `delay` with `bytes` bytes of body, on
// 127.0.0.1 only (a random free port), from its own thread. It stops when destroyed.
class LoopbackHttpServer {
public:
    // Throws std::runtime_error when it cannot listen.
    LoopbackHttpServer(std::chrono::milliseconds delay, qint64 bytes);
    ~LoopbackHttpServer();
    LoopbackHttpServer(const LoopbackHttpServer&) = delete;
    LoopbackHttpServer& operator=(const LoopbackHttpServer&) = delete;

    QUrl url() const { return m_url; }
    quint16 port() const { return quint16(m_url.port()); }
    qint64 requestsServed() const { return m_served.load(); }

private:
    QUrl m_url;
    std::unique_ptr<QThread> m_thread;
    std::atomic<qint64> m_served { 0 };
};

} // namespace tl
