#include "objectserver.h"

#include "../trace/systemerror.h"
#include "childcontext.h"
#include "children.h"
#include "fdio.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <cerrno>
#include <cstring>
#include <deque>
#include <map>
#include <poll.h>
#include <stdexcept>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <thread>
#include <unistd.h>

namespace tl {

namespace {
QByteArray line(const QJsonObject& o)
{
    return QJsonDocument(o).toJson(QJsonDocument::Compact) + '\n';
}

[[noreturn]] void fail(const std::string& what)
{
    throw std::runtime_error(what + ": " + systemErrorText(errno));
}

sockaddr_un addressOf(const QString& path)
{
    sockaddr_un address {};
    address.sun_family = AF_UNIX;
    const QByteArray encoded = path.toLocal8Bit();
    if (std::size_t(encoded.size()) >= sizeof(address.sun_path))
        throw std::runtime_error("socket path too long: " + encoded.toStdString());
    std::memcpy(address.sun_path, encoded.constData(), std::size_t(encoded.size()));
    return address;
}

class ObjectServer {
public:
    ObjectServer(ChildContext& child, int capacity)
        : m_child(child)
        , m_capacity(std::size_t(capacity))
    {
    }

    bool shuttingDown() const { return m_shutdown; }

    void handle(int client, const QJsonObject& request)
    {
        const QString op = request[u"op"].toString();
        const QString key = request[u"key"].toString();
        if (op == u"set") {
            m_dict.insert(key, request[u"value"]);
            reply(client, {});
        } else if (op == u"get") {
            reply(client, { { QStringLiteral("value"), m_dict.value(key) } });
        } else if (op == u"incr") {
            const qint64 value = m_dict.value(key).toInteger() + 1;
            m_dict.insert(key, value);
            reply(client, { { QStringLiteral("value"), value } });
        } else if (op == u"append") {
            m_list.append(request[u"value"]);
            reply(client, {});
        } else if (op == u"put" && m_closed) {
            reply(client, { { QStringLiteral("closed"), true } });
        } else if (op == u"put") {
            m_putters.push_back({ client, request[u"item"], false });
        } else if (op == u"take") {
            m_takers.push_back({ client, false });
        } else if (op == u"stats") {
            reply(client,
                { { QStringLiteral("queued"), qint64(m_queue.size()) },
                    { QStringLiteral("waiting_puts"), qint64(m_putters.size()) },
                    { QStringLiteral("waiting_takes"), qint64(m_takers.size()) } });
        } else if (op == u"empty") {
            reply(client, { { QStringLiteral("empty"), m_queue.empty() } });
        } else if (op == u"close") {
            m_closed = true;
            reply(client, {});
        } else if (op == u"shutdown") {
            reply(client,
                { { QStringLiteral("dict"), m_dict }, { QStringLiteral("list"), m_list },
                    { QStringLiteral("queued"), qint64(m_queue.size()) },
                    { QStringLiteral("max_queued"), m_maxQueued } });
            m_shutdown = true;
        } else {
            reply(client, { { QStringLiteral("error"), QStringLiteral("unknown op %1").arg(op) } });
        }
        serveQueue();
        // Whatever is still pending could not be served at once: its reply will say it waited.
        for (auto& putter : m_putters)
            putter.waited = true;
        for (auto& taker : m_takers)
            taker.waited = true;
    }

    // Hands out what waiting puts and takes can have now: a put waits while the queue is full (never, with
    // no capacity), a take while it is empty (and gets {"closed":true} once it is empty and closed).
    void serveQueue()
    {
        bool moved = true;
        while (moved) {
            moved = false;
            if (!m_putters.empty() && (m_capacity == 0 || m_queue.size() < m_capacity)) {
                m_queue.push_back(m_putters.front().item);
                reply(m_putters.front().client, waited(m_putters.front().waited));
                m_putters.pop_front();
                moved = true;
            }
            if (!m_takers.empty() && !m_queue.empty()) {
                QJsonObject answer = waited(m_takers.front().waited);
                answer.insert(QStringLiteral("item"), m_queue.front());
                reply(m_takers.front().client, answer);
                m_queue.pop_front();
                m_takers.pop_front();
                moved = true;
            }
        }
        if (m_closed) {
            // Puts still waiting for room are refused: closing means nobody will take more.
            for (const Putter& putter : std::exchange(m_putters, {}))
                reply(putter.client, closed(putter.waited));
            if (m_queue.empty())
                for (const Taker& taker : std::exchange(m_takers, {}))
                    reply(taker.client, closed(taker.waited));
        }
        // An item handed straight to a waiting take never waited in the queue: count depth once settled.
        m_maxQueued = std::max(m_maxQueued, qint64(m_queue.size()));
        m_child.setGauge(qint64(m_queue.size()));
    }

    void forget(int client)
    {
        std::erase_if(m_putters, [&](const Putter& p) { return p.client == client; });
        std::erase_if(m_takers, [&](const Taker& t) { return t.client == client; });
    }

private:
    struct Putter {
        int client;
        QJsonValue item;
        bool waited; // not served by the request that brought it
    };
    struct Taker {
        int client;
        bool waited;
    };

    static QJsonObject waited(bool w) { return w ? QJsonObject { { QStringLiteral("waited"), true } } : QJsonObject(); }
    static QJsonObject closed(bool w)
    {
        QJsonObject o = waited(w);
        o.insert(QStringLiteral("closed"), true);
        return o;
    }

    // A client that is gone gets nothing; its requests are forgotten when its end closes.
    static void reply(int client, const QJsonObject& o)
    {
        const QByteArray bytes = line(o);
        writeAll(client, bytes.constData(), std::size_t(bytes.size()));
    }

    ChildContext& m_child;
    std::size_t m_capacity;
    QJsonObject m_dict;
    QJsonArray m_list;
    std::deque<QJsonValue> m_queue;
    std::deque<Putter> m_putters;
    std::deque<Taker> m_takers;
    qint64 m_maxQueued = 0;
    bool m_closed = false;
    bool m_shutdown = false;
};
}

int runObjectServer(ChildContext& child, const QString& socketPath, int queueCapacity)
{
    ObjectServer objects(child, queueCapacity);
    const int listener = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (listener < 0)
        fail("socket");
    const sockaddr_un address = addressOf(socketPath);
    const mode_t previous = umask(0077); // owner-only socket file
    const int bound = ::bind(listener, reinterpret_cast<const sockaddr*>(&address), sizeof(address));
    umask(previous);
    if (bound != 0 || ::listen(listener, SOMAXCONN) != 0)
        fail("cannot listen on " + socketPath.toStdString());

    std::map<int, QByteArray> clients; // fd -> bytes received, not yet a whole line
    child.recorder().record(EventKind::IoWait); // serving: waiting for requests
    while (!objects.shuttingDown()) {
        std::vector<pollfd> fds { { listener, POLLIN, 0 } };
        for (const auto& [fd, buffer] : clients)
            fds.push_back({ fd, POLLIN, 0 });
        if (::poll(fds.data(), fds.size(), -1) < 0) {
            if (errno == EINTR)
                continue;
            fail("poll");
        }
        if (fds[0].revents & POLLIN) {
            const int client = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
            if (client >= 0)
                clients[client];
        }
        for (std::size_t i = 1; i < fds.size() && !objects.shuttingDown(); ++i) {
            if (!fds[i].revents)
                continue;
            char chunk[4096];
            const ssize_t n = ::recv(fds[i].fd, chunk, sizeof(chunk), 0);
            if (n <= 0) {
                objects.forget(fds[i].fd);
                ::close(fds[i].fd);
                clients.erase(fds[i].fd);
                continue;
            }
            QByteArray& buffer = clients[fds[i].fd];
            buffer.append(chunk, n);
            for (qsizetype end; (end = buffer.indexOf('\n')) >= 0 && !objects.shuttingDown();) {
                objects.handle(fds[i].fd, QJsonDocument::fromJson(buffer.first(end)).object());
                buffer.remove(0, end + 1);
            }
        }
    }
    child.recorder().record(EventKind::Running);
    for (const auto& [fd, buffer] : clients)
        ::close(fd);
    ::close(listener);
    ::unlink(address.sun_path);
    return 0;
}

void startObjectServer(Children& children, const ChildSpec& server, const QString& socketPath)
{
    children.start(server);
    if (!children.waitUntil([&] { return QFile::exists(socketPath); }))
        throw std::runtime_error(server.name.toStdString() + " process ended before it was ready");
}

ObjectProxy::ObjectProxy(const QString& socketPath)
{
    const sockaddr_un address = addressOf(socketPath);
    // The server may be between bind() and listen(): try for a few seconds.
    for (int attempt = 0; attempt < 500; ++attempt) {
        m_fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (m_fd < 0)
            fail("socket");
        if (::connect(m_fd, reinterpret_cast<const sockaddr*>(&address), sizeof(address)) == 0)
            return;
        ::close(m_fd);
        m_fd = -1;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    fail("cannot reach the manager at " + socketPath.toStdString());
}

ObjectProxy::~ObjectProxy()
{
    if (m_fd >= 0)
        ::close(m_fd);
}

QJsonObject ObjectProxy::call(const QJsonObject& request)
{
    const QByteArray bytes = line(request);
    if (!writeAll(m_fd, bytes.constData(), std::size_t(bytes.size())))
        throw std::runtime_error("the manager went away");
    qsizetype end;
    while ((end = m_received.indexOf('\n')) < 0) {
        char chunk[4096];
        const ssize_t n = ::recv(m_fd, chunk, sizeof(chunk), 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            throw std::runtime_error("the manager went away");
        m_received.append(chunk, n);
    }
    QJsonObject reply = QJsonDocument::fromJson(m_received.first(end)).object();
    m_received.remove(0, end + 1);
    return reply;
}

} // namespace tl
