#include "httpget.h"

#include "../trace/clock.h"
#include "../trace/systemerror.h"

#include <QByteArray>
#include <cerrno>
#include <cstring>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace tl {

namespace {
constexpr int kStopCheckMs = 20; // how soon a stop request is noticed while waiting on the socket
constexpr qsizetype kMaxHeadBytes = qsizetype { 64 } * 1024; // an answer's head beyond this is refused, not buffered

struct Fd {
    int fd = -1;
    ~Fd()
    {
        if (fd >= 0)
            ::close(fd);
    }
};

QString systemError(int error)
{
    return QString::fromStdString(systemErrorText(error));
}
}

QString shownUrl(const QUrl& url)
{
    const QString path = url.path();
    const qsizetype lastSlash = path.lastIndexOf(u'/');
    const QString shownPath = lastSlash > 0 ? QStringLiteral("/…") + path.mid(lastSlash) : path;
    return url.adjusted(QUrl::RemovePath | QUrl::RemoveQuery | QUrl::RemoveFragment | QUrl::RemoveUserInfo).toString()
        + shownPath;
}

namespace {

// One GET over a plain socket, step by step: each step returns false with the reason in why() when the
// exchange cannot go on.
class HttpExchange {
public:
    HttpExchange(const QUrl& url, std::chrono::milliseconds timeout, const std::function<bool()>& stopped)
        : m_url(url)
        , m_timeout(timeout)
        , m_stopped(stopped)
        , m_host(url.host().toUtf8())
        , m_port(QByteArray::number(url.port(80)))
    {
    }
    const QString& why() const { return m_why; }

    bool connect()
    {
        // Numeric hosts (the run's server is 127.0.0.1) resolve without a lookup; getaddrinfo blocks this
        // thread.
        addrinfo hints {};
        hints.ai_family = AF_UNSPEC;
        hints.ai_socktype = SOCK_STREAM;
        addrinfo* found = nullptr;
        if (const int rc = ::getaddrinfo(m_host.constData(), m_port.constData(), &hints, &found); rc != 0)
            return failed(QString::fromLocal8Bit(::gai_strerror(rc)));
        m_socket.fd = ::socket(found->ai_family, found->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, found->ai_protocol);
        const int connected = m_socket.fd < 0 ? -1 : ::connect(m_socket.fd, found->ai_addr, found->ai_addrlen);
        const int connectError = errno;
        ::freeaddrinfo(found);
        if (m_socket.fd < 0 || (connected != 0 && connectError != EINPROGRESS))
            return failed(systemError(connectError));
        if (connected == 0)
            return true;
        if (!waitFor(POLLOUT))
            return false;
        int error = 0;
        socklen_t size = sizeof error;
        ::getsockopt(m_socket.fd, SOL_SOCKET, SO_ERROR, &error, &size);
        return error == 0 || failed(systemError(error));
    }

    bool sendRequest()
    {
        QByteArray path = m_url.path(QUrl::FullyEncoded).toUtf8();
        if (path.isEmpty())
            path = "/";
        if (m_url.hasQuery())
            path += '?' + m_url.query(QUrl::FullyEncoded).toUtf8();
        const QByteArray request = "GET " + path + " HTTP/1.1\r\nHost: " + m_host + ':' + m_port
            + "\r\nConnection: close\r\nAccept: */*\r\n\r\n";
        for (qsizetype sent = 0; sent < request.size();) {
            if (!waitFor(POLLOUT))
                return false;
            // MSG_NOSIGNAL: a server that went away is an error here, not a SIGPIPE for the whole process.
            const ssize_t n
                = ::send(m_socket.fd, request.constData() + sent, std::size_t(request.size() - sent), MSG_NOSIGNAL);
            if (n < 0 && errno != EAGAIN && errno != EINTR)
                return failed(systemError(errno));
            sent += std::max<ssize_t>(n, 0);
        }
        return true;
    }

    // The answer: status line and headers, then the body until Content-Length bytes or the server closes.
    // `bytes`: the body's size.
    bool readAnswer(qint64* bytes)
    {
        QByteArray head;
        qint64 body = 0;
        qint64 length = -1;
        bool inBody = false;
        char buffer[16 * 1024];
        for (;;) {
            if (!waitFor(POLLIN))
                return false;
            const ssize_t n = ::recv(m_socket.fd, buffer, sizeof buffer, 0);
            if (n < 0) {
                if (errno == EAGAIN || errno == EINTR)
                    continue;
                return failed(systemError(errno));
            }
            if (n == 0)
                break; // closed by the server
            if (inBody) {
                body += n;
            } else {
                head.append(buffer, n);
                const qsizetype end = head.indexOf("\r\n\r\n");
                if (end < 0 && head.size() > kMaxHeadBytes)
                    return failed(QStringLiteral("the answer's head is over %1 KiB").arg(kMaxHeadBytes / 1024));
                if (end < 0)
                    continue;
                inBody = true;
                body = head.size() - (end + 4);
                head.truncate(end);
                if (!readHead(head, &length))
                    return false;
            }
            if (length >= 0 && body >= length)
                break;
        }
        if (!inBody)
            return failed(QStringLiteral("the server closed the connection without an answer"));
        if (length >= 0 && body < length)
            return failed(
                QStringLiteral("the server closed the connection after %1 of %2 bytes").arg(body).arg(length));
        *bytes = body;
        return true;
    }

private:
    bool failed(const QString& why)
    {
        m_why = why;
        return false;
    }

    // The status line must say 200; `length`: the Content-Length header's, if there is one.
    bool readHead(const QByteArray& head, qint64* length)
    {
        const QList<QByteArray> lines = head.split('\n');
        const QList<QByteArray> status = lines.first().trimmed().split(' ');
        if (status.size() < 2 || !status[0].startsWith("HTTP/"))
            return failed(QStringLiteral("not an HTTP answer"));
        if (status[1] != "200")
            return failed(QStringLiteral("the server answered %1").arg(QString::fromLatin1(lines.first().trimmed())));
        for (const QByteArray& line : lines) {
            const qsizetype colon = line.indexOf(':');
            if (colon > 0 && line.left(colon).trimmed().compare("content-length", Qt::CaseInsensitive) == 0)
                *length = line.mid(colon + 1).trimmed().toLongLong();
        }
        return true;
    }

    // Waits until the socket is ready for `events`: false with the reason when it is not within the timeout
    // (no progress for that long, like QNetworkRequest's transfer timeout) or the run was stopped.
    bool waitFor(short events)
    {
        const std::int64_t deadline = clock::monotonicNs() + std::chrono::nanoseconds(m_timeout).count();
        for (;;) {
            if (m_stopped())
                return failed(QStringLiteral("stopped"));
            const std::int64_t left = deadline - clock::monotonicNs();
            if (left <= 0)
                return failed(QStringLiteral("no answer within %1 ms").arg(m_timeout.count()));
            pollfd p { m_socket.fd, events, 0 };
            const int n = ::poll(&p, 1, int(std::min<std::int64_t>(kStopCheckMs, left / 1'000'000 + 1)));
            if (n > 0)
                return true;
            if (n < 0 && errno != EINTR)
                return failed(systemError(errno));
        }
    }

    const QUrl& m_url;
    const std::chrono::milliseconds m_timeout;
    const std::function<bool()>& m_stopped;
    const QByteArray m_host;
    const QByteArray m_port;
    Fd m_socket;
    QString m_why;
};

} // namespace

HttpResult httpGet(const QUrl& url, std::chrono::milliseconds timeout, const std::function<bool()>& stopped)
{
    HttpResult result;
    const auto fail = [&](const QString& why) {
        result.bytes = -1;
        result.error = why == u"stopped" ? why : QStringLiteral("GET %1 failed: %2").arg(shownUrl(url), why);
        return result;
    };
    if (url.scheme() != u"http" || url.host().isEmpty())
        return fail(QStringLiteral("only http:// URLs are supported"));
    HttpExchange get(url, timeout, stopped);
    if (!get.connect() || !get.sendRequest() || !get.readAnswer(&result.bytes))
        return fail(get.why());
    return result;
}

} // namespace tl
