#pragma once

#include <QUrl>
#include <atomic>
#include <chrono>
#include <memory>

class QThread;

namespace tl {

// A small HTTP server for I/O-bound tasks, on 127.0.0.1 only (a random free port), from its own thread; it
// stops when destroyed. Any local user can reach a loopback port, so it answers only requests whose path
// starts with the run's secret (url(), 128 random bits): GET <url>... gets `bytes` bytes of body after
// `delay`; anything else gets 404 and is not counted. A connection from another user's socket (the kernel's
// table of TCP sockets names each one's owner) is closed at once. A request head over kMaxHeadBytes gets 431 and the
// connection is closed (memory stays bounded whatever a client sends); beyond kMaxConnections open at once,
// a new connection is closed at once; a head not complete within kHeadTimeout is dropped.
class LoopbackHttpServer {
public:
    static constexpr qint64 kMaxHeadBytes = qint64 { 8 } * 1024;
    static constexpr int kMaxConnections = 64;
    static constexpr std::chrono::seconds kHeadTimeout { 30 };

    // Throws std::runtime_error when it cannot listen.
    LoopbackHttpServer(std::chrono::milliseconds delay, qint64 bytes);
    ~LoopbackHttpServer();
    LoopbackHttpServer(const LoopbackHttpServer&) = delete;
    LoopbackHttpServer& operator=(const LoopbackHttpServer&) = delete;

    // http://127.0.0.1:PORT/SECRET/ : append a page name to it.
    QUrl url() const { return m_url; }
    quint16 port() const { return quint16(m_url.port()); }
    // Requests answered with the body (requests without the secret are not counted).
    qint64 requestsServed() const { return m_served.load(); }
    // Connections closed at once because kMaxConnections were open.
    qint64 connectionsRefused() const { return m_refused.load(); }
    // Connections from another user's socket, closed at once.
    qint64 strangersRefused() const { return m_strangers.load(); }

private:
    QUrl m_url;
    QByteArray m_secretPath; // "/SECRET/"
    std::unique_ptr<QThread> m_thread;
    std::atomic<qint64> m_served { 0 };
    std::atomic<qint64> m_refused { 0 };
    std::atomic<qint64> m_strangers { 0 };
};

} // namespace tl
