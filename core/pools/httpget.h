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

// A blocking HTTP/1.1 GET on the calling thread, over a plain socket with no proxy: the task's own thread waits
// for the network, as a blocking urllib call does (QNetworkAccessManager would do the I/O on a thread of its
// own). Gives up when nothing moves for `timeout`, or soon after `stopped()` turns true (error "stopped").
HttpResult httpGet(const QUrl& url, std::chrono::milliseconds timeout, const std::function<bool()>& stopped);

// A URL as ThreadLab shows it (errors, the process table, --json): scheme, host, port and the last path
// segment only, e.g. "http://127.0.0.1:4242/…/7". A path may carry a capability (the run's server answers only
// under its secret), and what is shown outlives the run.
QString shownUrl(const QUrl& url);

} // namespace tl
