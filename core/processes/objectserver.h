#pragma once

#include <QByteArray>
#include <QJsonObject>
#include <QString>

namespace tl {

class ChildContext;
class Children;
struct ChildSpec;

// Like multiprocessing's Manager: a server process owns shared objects (a dictionary, a list and a queue,
// bounded or not) and other processes change them through a proxy, one request per round trip over a Unix-domain
// socket (plain POSIX sockets: Qt Network would add ~3 ms to every child process's start-up).
// Requests and replies are one JSON object per line:
//   {"op":"set","key":k,"value":v}  {"op":"get","key":k}  {"op":"incr","key":k} -> {"value":new}
//   {"op":"append","value":v}        {"op":"put","item":v} (waits while full; {"closed":true} once closed)
//   {"op":"take"} -> {"item":v} | {"closed":true} (waits while empty)   {"op":"empty"} -> {"empty":bool}
//   {"op":"close"} (no more puts)   {"op":"stats"} -> {"queued":n,"waiting_puts":n,"waiting_takes":n}
//   {"op":"shutdown"} -> {"dict":{...},"list":[...],"queued":n,"max_queued":most ever held}, then exits
// A put or take that could not be served at once adds "waited":true to its reply. The server publishes its
// queue's depth as the child's gauge. A capacity of 0 means no limit, like multiprocessing.Queue().
int runObjectServer(ChildContext& child, const QString& socketPath, int queueCapacity);

// Starts `server` (a child whose role calls runObjectServer() on `socketPath`) and waits until it listens;
// throws when it ends first.
void startObjectServer(Children& children, const ChildSpec& server, const QString& socketPath);

class ObjectProxy {
public:
    // Connects to the server at `socketPath`; throws when it cannot within a few seconds.
    explicit ObjectProxy(const QString& socketPath);
    ~ObjectProxy();
    ObjectProxy(const ObjectProxy&) = delete;
    ObjectProxy& operator=(const ObjectProxy&) = delete;
    // One round trip; throws when the server is gone.
    QJsonObject call(const QJsonObject& request);

private:
    int m_fd = -1;
    QByteArray m_received;
};

} // namespace tl
