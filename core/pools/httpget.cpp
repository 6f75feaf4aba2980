#include "httpget.h"

#include <QEventLoop>
#include <QNetworkAccessManager>
#include <QNetworkProxy>
#include <QNetworkReply>
#include <QTimer>
#include <memory>

namespace tl {

HttpResult httpGet(const QUrl& url, std::chrono::milliseconds timeout, const std::function<bool()>& stopped)
{
    QNetworkAccessManager manager;
    manager.setProxy(QNetworkProxy::NoProxy); // the server is on loopback; an http_proxy must not apply
    QNetworkRequest request(url);
    request.setTransferTimeout(int(timeout.count()));
    const std::unique_ptr<QNetworkReply> reply(manager.get(request));
    QEventLoop loop;
    QObject::connect(reply.get(), &QNetworkReply::finished, &loop, &QEventLoop::quit);
    QTimer stopWatch;
    QObject::connect(&stopWatch, &QTimer::timeout, reply.get(), [&] {
        if (stopped())
            reply->abort();
    });
    stopWatch.start(20);
    if (!reply->isFinished())
        loop.exec();
    HttpResult result;
    if (reply->error() != QNetworkReply::NoError) {
        result.error = reply->error() == QNetworkReply::OperationCanceledError && stopped()
            ? QStringLiteral("stopped")
            : QStringLiteral("GET %1 failed: %2").arg(url.toString(), reply->errorString());
        return result;
    }
    result.bytes = reply->readAll().size();
    return result;
}

} // namespace tl
