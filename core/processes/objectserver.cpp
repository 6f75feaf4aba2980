#include "objectserver.h"

#include "childcontext.h"

#include <QCoreApplication>
#include <QJsonArray>
#include <QJsonDocument>
#include <QLocalServer>
#include <deque>
#include <stdexcept>

namespace tl {

namespace {
QByteArray line(const QJsonObject& o)
{
    return QJsonDocument(o).toJson(QJsonDocument::Compact) + '\n';
}

class ObjectServer {
public:
    ObjectServer(ChildContext& child, int capacity)
        : m_child(child)
        , m_capacity(std::size_t(capacity))
    {
    }

    void handle(QLocalSocket* client, const QJsonObject& request)
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
        } else if (op == u"put") {
            m_putters.push_back({ client, request[u"item"] });
        } else if (op == u"take") {
            m_takers.push_back(client);
        } else if (op == u"empty") {
            reply(client, { { QStringLiteral("empty"), m_queue.empty() } });
        } else if (op == u"close") {
            m_closed = true;
            reply(client, {});
        } else if (op == u"shutdown") {
            reply(client,
                { { QStringLiteral("dict"), m_dict }, { QStringLiteral("list"), m_list },
                    { QStringLiteral("queued"), qint64(m_queue.size()) } });
            client->flush();
            QCoreApplication::quit();
        } else {
            reply(client, { { QStringLiteral("error"), QStringLiteral("unknown op %1").arg(op) } });
        }
        serveQueue();
    }

    // Hands out what waiting puts and takes can have now: a put waits while the queue is full, a take while
    // it is empty (and gets {"closed":true} once it is empty and closed).
    void serveQueue()
    {
        bool moved = true;
        while (moved) {
            moved = false;
            if (!m_putters.empty() && m_queue.size() < m_capacity) {
                m_queue.push_back(m_putters.front().second);
                reply(m_putters.front().first, {});
                m_putters.pop_front();
                moved = true;
            }
            if (!m_takers.empty() && !m_queue.empty()) {
                reply(m_takers.front(), { { QStringLiteral("item"), m_queue.front() } });
                m_queue.pop_front();
                m_takers.pop_front();
                moved = true;
            }
        }
        if (m_closed && m_queue.empty() && m_putters.empty())
            for (QLocalSocket* taker : std::exchange(m_takers, {}))
                reply(taker, { { QStringLiteral("closed"), true } });
        m_child.setGauge(qint64(m_queue.size()));
    }

    void forget(QLocalSocket* client)
    {
        std::erase_if(m_putters, [&](const auto& p) { return p.first == client; });
        std::erase(m_takers, client);
    }

private:
    static void reply(QLocalSocket* client, const QJsonObject& o) { client->write(line(o)); }

    ChildContext& m_child;
    std::size_t m_capacity;
    QJsonObject m_dict;
    QJsonArray m_list;
    std::deque<QJsonValue> m_queue;
    std::deque<std::pair<QLocalSocket*, QJsonValue>> m_putters;
    std::deque<QLocalSocket*> m_takers;
    bool m_closed = false;
};
}

int runObjectServer(ChildContext& child, const QString& socketPath, int queueCapacity)
{
    ObjectServer objects(child, queueCapacity);
    QLocalServer server;
    server.setSocketOptions(QLocalServer::UserAccessOption); // owner-only socket file
    if (!server.listen(socketPath))
        throw std::runtime_error(
            "cannot listen on " + socketPath.toStdString() + ": " + server.errorString().toStdString());
    QObject::connect(&server, &QLocalServer::newConnection, &server, [&] {
        while (QLocalSocket* client = server.nextPendingConnection()) {
            QObject::connect(client, &QLocalSocket::readyRead, client, [&objects, client] {
                while (client->canReadLine())
                    objects.handle(client, QJsonDocument::fromJson(client->readLine()).object());
            });
            QObject::connect(client, &QLocalSocket::disconnected, client, [&objects, client] {
                objects.forget(client);
                client->deleteLater();
            });
        }
    });
    child.recorder().record(EventKind::IoWait); // serving: waiting for requests
    const int code = QCoreApplication::exec();
    child.recorder().record(EventKind::Running);
    return code;
}

ObjectProxy::ObjectProxy(const QString& socketPath)
{
    constexpr int kConnectMs = 5000;
    m_socket.connectToServer(socketPath);
    if (!m_socket.waitForConnected(kConnectMs))
        throw std::runtime_error(
            "cannot reach the manager at " + socketPath.toStdString() + ": " + m_socket.errorString().toStdString());
}

QJsonObject ObjectProxy::call(const QJsonObject& request)
{
    m_socket.write(line(request));
    m_socket.flush();
    while (!m_socket.canReadLine())
        if (!m_socket.waitForReadyRead(-1))
            throw std::runtime_error("the manager went away: " + m_socket.errorString().toStdString());
    return QJsonDocument::fromJson(m_socket.readLine()).object();
}

} // namespace tl
