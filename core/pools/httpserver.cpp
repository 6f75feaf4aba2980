#include "httpserver.h"

#include <QEventLoop>
#include <QTcpServer>
#include <QTcpSocket>
#include <QThread>
#include <QTimer>
#include <future>
#include <stdexcept>

namespace tl {

namespace {
// Serves one connection: reads the request head, answers after the delay, closes.
void serve(QTcpSocket* socket, std::chrono::milliseconds delay, const QByteArray& body, std::atomic<qint64>& served)
{
    auto head = std::make_shared<QByteArray>();
    QObject::connect(socket, &QTcpSocket::disconnected, socket, &QObject::deleteLater);
    QObject::connect(socket, &QTcpSocket::readyRead, socket, [=, &served] {
        head->append(socket->readAll());
        if (!head->contains("\r\n\r\n"))
            return;
        QObject::disconnect(socket, &QTcpSocket::readyRead, nullptr, nullptr);
        const bool isGet = head->startsWith("GET ");
        QTimer::singleShot(delay, socket, [=, &served] {
            const QByteArray status = isGet ? "200 OK" : "405 Method Not Allowed";
            const QByteArray payload = isGet ? body : QByteArray();
            socket->write("HTTP/1.1 " + status + "\r\nContent-Type: application/octet-stream\r\nContent-Length: "
                + QByteArray::number(payload.size()) + "\r\nConnection: close\r\n\r\n");
            socket->write(payload);
            socket->disconnectFromHost();
            served.fetch_add(1);
        });
    });
}
}

LoopbackHttpServer::LoopbackHttpServer(std::chrono::milliseconds delay, qint64 bytes)
{
    std::promise<quint16> listening;
    auto port = listening.get_future();
    m_thread.reset(QThread::create([this, delay, bytes, &listening] {
        QTcpServer server;
        if (!server.listen(QHostAddress::LocalHost, 0)) {
            listening.set_exception(std::make_exception_ptr(std::runtime_error(
                "cannot start the HTTP server on 127.0.0.1: " + server.errorString().toStdString())));
            return;
        }
        const QByteArray body(bytes, 'x');
        QObject::connect(&server, &QTcpServer::newConnection, &server, [&] {
            while (QTcpSocket* socket = server.nextPendingConnection()) {
                if (!socket->peerAddress().isLoopback()) {
                    socket->abort();
                    socket->deleteLater();
                    continue;
                }
                serve(socket, delay, body, m_served);
            }
        });
        listening.set_value(server.serverPort());
        QEventLoop loop;
        loop.exec(); // until QThread::quit(), which also ends a loop not yet started
    }));
    m_thread->setObjectName(QStringLiteral("HTTP server"));
    m_thread->start();
    const quint16 p = port.get(); // rethrows when it could not listen
    m_url = QUrl(QStringLiteral("http://127.0.0.1:%1/").arg(p));
}

LoopbackHttpServer::~LoopbackHttpServer()
{
    m_thread->quit();
    m_thread->wait();
}

} // namespace tl
