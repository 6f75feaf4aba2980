#include "httpserver.h"

#include <QEventLoop>
#include <QFile>
#include <QRandomGenerator>
#include <QTcpServer>
#include <QTcpSocket>
#include <QThread>
#include <QTimer>
#include <future>
#include <stdexcept>
#include <sys/socket.h>
#include <unistd.h>

namespace tl {

namespace {
// The user whose socket connected to us, from the kernel's table of TCP sockets (the client's end is the row
// whose local port is the peer's and whose remote port is ours). -1 when the table cannot be read (then any
// local client is served, as before); -2 when the client's socket is gone already.
qint64 clientUid(quint16 peerPort, quint16 serverPort)
{
    QFile table(QStringLiteral("/proc/net/tcp"));
    if (!table.open(QIODevice::ReadOnly))
        return -1;
    const QByteArray local = ':' + QByteArray::number(peerPort, 16).toUpper().rightJustified(4, '0');
    const QByteArray remote = ':' + QByteArray::number(serverPort, 16).toUpper().rightJustified(4, '0');
    table.readLine(); // the header
    for (QByteArray row = table.readLine(); !row.isEmpty(); row = table.readLine()) {
        // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid ...
        const QList<QByteArray> f = row.simplified().split(' ');
        if (f.size() > 7 && f[1].endsWith(local) && f[2].endsWith(remote))
            return f[7].toLongLong();
    }
    return -2;
}

void answer(QTcpSocket* socket, const QByteArray& status, const QByteArray& payload)
{
    socket->write("HTTP/1.1 " + status + "\r\nContent-Type: application/octet-stream\r\nContent-Length: "
        + QByteArray::number(payload.size()) + "\r\nConnection: close\r\n\r\n");
    socket->write(payload);
    socket->disconnectFromHost();
}

struct Served {
    QByteArray secretPath;
    std::chrono::milliseconds delay;
    QByteArray body;
    std::atomic<qint64>& served;
};

// After a 431 the client may still be sending: closing now, with its bytes unread, would make the kernel
// reset the connection, and the client could lose the answer. So end our side after the answer, discard
// what still comes (up to kDiscardBytes, held nowhere), and abort only past that.
constexpr qint64 kDiscardBytes = 1 << 20;

void refuseHead(QTcpSocket* socket)
{
    socket->write("HTTP/1.1 431 Request Header Fields Too Large\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
    socket->flush();
    ::shutdown(int(socket->socketDescriptor()), SHUT_WR);
    auto discarded = std::make_shared<qint64>(0);
    auto discard = [socket, discarded] {
        char sink[16 * 1024];
        for (qint64 n; (n = socket->read(sink, sizeof sink)) > 0;)
            *discarded += n;
        if (*discarded > kDiscardBytes)
            socket->abort();
    };
    QObject::connect(socket, &QTcpSocket::readyRead, socket, discard);
    discard();
}

// Serves one connection: reads the request head (at most kMaxHeadBytes of it), answers, closes.
void serve(QTcpSocket* socket, const Served& how)
{
    auto head = std::make_shared<QByteArray>();
    auto headDone = std::make_shared<bool>(false);
    // Qt stops reading from the kernel once this much is buffered, so a flood waits in the kernel, not here.
    socket->setReadBufferSize(LoopbackHttpServer::kMaxHeadBytes);
    QObject::connect(socket, &QTcpSocket::disconnected, socket, &QObject::deleteLater);
    QTimer::singleShot(LoopbackHttpServer::kHeadTimeout, socket, [socket, headDone] {
        if (!*headDone)
            socket->abort(); // a slow client must not hold one of the connections for ever
    });
    QObject::connect(socket, &QTcpSocket::readyRead, socket, [socket, head, headDone, &how] {
        head->append(socket->read(LoopbackHttpServer::kMaxHeadBytes + 1 - head->size()));
        const qsizetype end = head->indexOf("\r\n\r\n");
        if (end < 0 && head->size() <= LoopbackHttpServer::kMaxHeadBytes)
            return;
        *headDone = true;
        QObject::disconnect(socket, &QTcpSocket::readyRead, nullptr, nullptr);
        if (end < 0 || end + 4 > LoopbackHttpServer::kMaxHeadBytes) {
            head->clear();
            refuseHead(socket);
            return;
        }
        const QList<QByteArray> requestLine = head->first(head->indexOf("\r\n")).split(' ');
        if (requestLine.size() != 3 || !requestLine[1].startsWith(how.secretPath)) {
            answer(socket, "404 Not Found", {});
            return;
        }
        const bool isGet = requestLine[0] == "GET";
        QTimer::singleShot(how.delay, socket, [socket, isGet, &how] {
            answer(socket, isGet ? "200 OK" : "405 Method Not Allowed", isGet ? how.body : QByteArray());
            how.served.fetch_add(isGet);
        });
    });
}
}

LoopbackHttpServer::LoopbackHttpServer(std::chrono::milliseconds delay, qint64 bytes)
{
    quint64 secret[2];
    QRandomGenerator::system()->fillRange(secret);
    m_secretPath = '/' + QByteArray::number(secret[0], 16).rightJustified(16, '0')
        + QByteArray::number(secret[1], 16).rightJustified(16, '0') + '/';
    std::promise<quint16> listening;
    auto port = listening.get_future();
    m_thread.reset(QThread::create([this, delay, bytes, &listening] {
        // Declared before the server, whose sockets (its children) use them until it is destroyed.
        const Served how { m_secretPath, delay, QByteArray(bytes, 'x'), m_served };
        int open = 0;
        QTcpServer server;
        if (!server.listen(QHostAddress::LocalHost, 0)) {
            listening.set_exception(std::make_exception_ptr(std::runtime_error(
                "cannot start the HTTP server on 127.0.0.1: " + server.errorString().toStdString())));
            return;
        }
        QObject::connect(&server, &QTcpServer::newConnection, &server, [&] {
            while (QTcpSocket* socket = server.nextPendingConnection()) {
                // Another user on the machine can reach a loopback port, but has no business here: without
                // this, 64 idle connections of theirs would take every slot of the run's own workers.
                const qint64 uid = clientUid(socket->peerPort(), server.serverPort());
                const bool stranger = uid != -1 && uid != qint64(::geteuid());
                m_strangers.fetch_add(stranger);
                if (!socket->peerAddress().isLoopback() || stranger || open >= kMaxConnections) {
                    m_refused.fetch_add(!stranger && open >= kMaxConnections);
                    socket->abort();
                    socket->deleteLater();
                    continue;
                }
                ++open;
                QObject::connect(socket, &QObject::destroyed, &server, [&open] { --open; });
                serve(socket, how);
            }
        });
        listening.set_value(server.serverPort());
        QEventLoop loop;
        loop.exec(); // until QThread::quit(), which also ends a loop not yet started
    }));
    m_thread->setObjectName(QStringLiteral("HTTP server"));
    m_thread->start();
    const quint16 p = port.get(); // rethrows when it could not listen
    m_url = QUrl(QStringLiteral("http://127.0.0.1:%1%2").arg(p).arg(QString::fromLatin1(m_secretPath)));
}

LoopbackHttpServer::~LoopbackHttpServer()
{
    m_thread->quit();
    m_thread->wait();
}

} // namespace tl
