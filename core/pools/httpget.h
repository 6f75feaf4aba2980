#pragma once

#include <QString>
#include <QUrl>
#include <chrono>
#include <functional>

namespace tl {

struct HttpResult {
    qint64 bytes = -1; // body size, or -1 on failure
    QString error; // why it failed, for people
};

// A blocking GET through QNetworkAccessManager on the calling thread (it runs a local event loop), with no
// proxy. Gives up after `timeout`, or soon after `stopped()` turns true.
HttpResult httpGet(const QUrl& url, std::chrono::milliseconds timeout, const std::function<bool()>& stopped);

} // namespace tl
