#include "resulttable.h"
#include "scenario.h"

#include "../params/paramtable.h"

#include "../processes/childcontext.h"
#include "../processes/children.h"
#include "../processes/fdio.h"
#include "../processes/sharedsegment.h"
#include "../run/workers.h"
#include "../trace/systemerror.h"

#include <QJsonArray>
#include <QLocale>
#include <atomic>
#include <cerrno>
#include <cmath>
#include <cstddef>
#include <cstring>
#include <fcntl.h>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>

namespace tl {

namespace {
const QStringList kMechanisms { QStringLiteral("pipe"), QStringLiteral("socket"), QStringLiteral("shared_memory") };
constexpr qint64 kSmallest = qint64 { 4 } * 1024;
constexpr qint64 kStep = 16; // sizes 4 KiB, 64 KiB, 1 MiB, 16 MiB, 256 MiB
// The child's descriptors: data in over the pipe, acknowledgements back, and its end of the socket pair.
constexpr int kPipeIn = 3;
constexpr int kAckOut = 4;
constexpr int kSocket = 5;

std::vector<qint64> sizesUpTo(qint64 largest)
{
    std::vector<qint64> sizes;
    for (qint64 s = kSmallest; s <= largest; s *= kStep)
        sizes.push_back(s);
    return sizes;
}

// Enough transfers at each size to move `budget` bytes (at least one).
qint64 roundsFor(qint64 size, qint64 budget)
{
    return std::max<qint64>(1, budget / size);
}

// The shared segment: a hand-over counter pair, then the payload. The sender bumps `ready` after copying a
// payload in; the receiver bumps `taken` after copying it out. Both wait by spinning briefly, then yielding.
struct Handover {
    std::atomic<std::uint64_t> ready { 0 };
    alignas(64) std::atomic<std::uint64_t> taken { 0 };
    alignas(64) char payload[1];
};
constexpr std::size_t kPayloadOffset = offsetof(Handover, payload);

// Waits until `counter` reaches `value`; false if `gaveUp()` says to stop waiting.
template <typename GiveUp> bool waitFor(const std::atomic<std::uint64_t>& counter, std::uint64_t value, GiveUp&& gaveUp)
{
    for (unsigned spins = 0; counter.load(std::memory_order_acquire) < value; ++spins) {
        if (spins < 1000)
            continue;
        std::this_thread::yield();
        if (spins % 4096 == 0 && gaveUp())
            return false;
    }
    return true;
}

struct Fds {
    int pipeData[2] = { -1, -1 };
    int pipeAck[2] = { -1, -1 };
    int socket[2] = { -1, -1 };
    ~Fds()
    {
        for (int fd : { pipeData[0], pipeData[1], pipeAck[0], pipeAck[1], socket[0], socket[1] })
            if (fd >= 0)
                ::close(fd);
    }
};

struct Params {
    int largest = 0; // the index of the largest size: kSmallest × kStep^(largest + 1)
    std::int64_t megabytes = 0;
    bool killOne = false;
};
const ParamTable<Params> kParams {
    param(&Params::largest,
        ParamSpec::choice(QStringLiteral("largest"),
            { QStringLiteral("64k"), QStringLiteral("1m"), QStringLiteral("16m"), QStringLiteral("256m") }, 2,
            QStringLiteral("The largest payload; sizes grow ×16 from 4 KiB up to it"))),
    param(&Params::megabytes,
        ParamSpec::integer(QStringLiteral("megabytes"), 64, 1, 4096,
            QStringLiteral("How much to move at each size and mechanism (more: steadier figures, longer run)"),
            QStringLiteral("MiB"))),
    param(&Params::killOne, Children::killOneParam()),
};

struct Results {
    QJsonObject bytesPerS; // by mechanism, then by size
    QJsonArray sizes;
    std::optional<bool> receiverLost; // the receiving process was killed
    QJsonObject chart;
};
const ResultTable<Results> kResults {
    result(&Results::bytesPerS, QStringLiteral("bytes_per_s")),
    result(&Results::sizes, QStringLiteral("sizes")),
    result(&Results::receiverLost, QStringLiteral("receiver_lost")),
    result(&Results::chart, QStringLiteral("chart")),
};

// Throughput by size, for the window's results chart.
QJsonObject throughputChart(const QJsonObject& rates, const std::vector<qint64>& sizes)
{
    QJsonArray series;
    for (const QString& mechanism : kMechanisms) {
        QJsonArray points;
        for (const qint64 s : sizes)
            if (rates[mechanism][QString::number(s)].isDouble())
                points.append(QJsonArray { double(s) / 1024, rates[mechanism][QString::number(s)].toDouble() / 1e9 });
        series.append(QJsonObject {
            { QStringLiteral("name"), QString(mechanism).replace(u'_', u' ') }, { QStringLiteral("points"), points } });
    }
    return { { QStringLiteral("title"), QStringLiteral("Throughput by payload size") },
        { QStringLiteral("x_title"), QStringLiteral("payload (KiB)") },
        { QStringLiteral("y_title"), QStringLiteral("GB/s") }, { QStringLiteral("x_log"), true },
        { QStringLiteral("series"), series } };
}

// Moves payloads of growing size from ThreadLab to a child process through a pipe, a Unix-domain socket and
// shared memory, and measures bytes per second for each: the seed's "large data should go through shared
// memory rather than be pickled and copied", measured.
class IpcThroughput final : public Scenario {
public:
    ScenarioInfo info() const override
    {
        return {
            .name = QStringLiteral("ipc-throughput"),
            .title = QStringLiteral("Moving data between processes"),
            .summary
            = QStringLiteral("Bytes per second through a pipe, a local socket and shared memory, by payload size"),
            .topic
            = QStringLiteral("Child processes: for large data, use shared memory instead of pickling and copying"),
            .params = kParams.specs(),
            .chart = ScenarioInfo::Chart::Drawn,
            .results = kResults.keys() + kMechanisms,
        };
    }

    void run(RunContext& ctx) override
    {
        const Params p = kParams.read(ctx);
        const qint64 largest = kSmallest * qint64(std::pow(kStep, p.largest + 1));
        const qint64 budget = p.megabytes << 20;
        const auto sizes = sizesUpTo(largest);

        Fds fds;
        if (::pipe2(fds.pipeData, O_CLOEXEC) != 0 || ::pipe2(fds.pipeAck, O_CLOEXEC) != 0
            || ::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds.socket) != 0)
            throw std::runtime_error(std::string("cannot create a pipe or socket pair: ") + systemErrorText(errno));
        const auto segment = SharedSegment::create(QStringLiteral("payload"), qsizetype(kPayloadOffset) + largest);
        auto* handover = new (segment->data()) Handover;
        QByteArray payload(largest, Qt::Uninitialized);
        for (qint64 i = 0; i < largest; ++i)
            payload[i] = char(i * 131);

        Children children(ctx, info().name);
        QJsonObject rates;
        bool receiverLost = false;
        runAsWorker(ctx, children.parentWorker(), [&](std::uint32_t, Recorder& rec) {
            children.start({ QStringLiteral("Receiver"), QStringLiteral("receiver"),
                { QString::number(largest), QString::number(budget) }, {},
                QStringLiteral("receives payloads of 4 KiB..%1 KiB").arg(largest / 1024), { segment->key() },
                { { fds.pipeData[0], kPipeIn }, { fds.pipeAck[1], kAckOut }, { fds.socket[1], kSocket } } });
            // Only the child holds its ends now, so if it dies a write fails (EPIPE) and a read ends (EOF).
            for (int* fd : { &fds.pipeData[0], &fds.pipeAck[1], &fds.socket[1] })
                ::close(std::exchange(*fd, -1));
            const bool killOne = p.killOne;
            auto receiverGone = [&] {
                children.service(killOne);
                return children.info(0).ended() || ctx.stopRequested();
            };
            std::uint64_t handed = 0;
            for (const QString& mechanism : kMechanisms) {
                QJsonObject bySize;
                for (const qint64 size : sizes) {
                    if (receiverGone()) {
                        receiverLost = !ctx.stopRequested();
                        return;
                    }
                    const qint64 rounds = roundsFor(size, budget);
                    rec.record(EventKind::Mark, size);
                    ctx.beginPhase(QStringLiteral("%1 · %2").arg(
                        QString(mechanism).replace(u'_', u' '), QLocale::c().formattedDataSize(size, 0)));
                    const std::int64_t t0 = clock::monotonicNs();
                    bool ok = true;
                    char ack = 0;
                    // A stop ends the measurement within a chunk, whatever the size and the number of rounds.
                    const auto stopped = [&] { return ctx.stopRequested(); };
                    for (qint64 r = 0; r < rounds && ok && !ctx.stopRequested(); ++r) {
                        if (mechanism == u"pipe") {
                            ok = writeAll(fds.pipeData[1], payload.constData(), std::size_t(size), stopped)
                                && readAll(fds.pipeAck[0], &ack, 1, stopped);
                        } else if (mechanism == u"socket") {
                            ok = writeAll(fds.socket[0], payload.constData(), std::size_t(size), stopped)
                                && readAll(fds.socket[0], &ack, 1, stopped);
                        } else {
                            std::memcpy(handover->payload, payload.constData(), std::size_t(size));
                            handover->ready.store(++handed, std::memory_order_release);
                            ok = waitFor(handover->taken, handed, receiverGone);
                        }
                    }
                    if (!ok || ctx.stopRequested()) {
                        receiverLost = !ctx.stopRequested();
                        return;
                    }
                    const double seconds = double(clock::monotonicNs() - t0) / 1e9;
                    bySize.insert(QString::number(size), double(size * rounds) / seconds);
                }
                rates.insert(mechanism, bySize);
                ctx.setLiveResult(kResults.key(&Results::bytesPerS), rates);
            }
        });
        children.waitForAll(p.killOne);
        Results r;
        r.bytesPerS = rates;
        if (receiverLost)
            r.receiverLost = true;
        for (const qint64 s : sizes)
            r.sizes.append(s);
        r.chart = throughputChart(rates, sizes);
        kResults.report(ctx, r);
    }

    int runChild(const QString& role, ChildContext& child) override
    {
        if (role != u"receiver")
            return Scenario::runChild(role, child);
        const qint64 largest = child.arg(0).toLongLong();
        const qint64 budget = child.arg(1).toLongLong();
        const auto segment = SharedSegment::attach(child.sharedKey(0));
        auto* handover = std::launder(static_cast<Handover*>(segment->data()));
        const pid_t parent = getppid();
        auto parentGone = [parent] { return getppid() != parent; };
        std::uint64_t handed = 0;
        QByteArray received(largest, Qt::Uninitialized); // every mechanism ends with the data in this buffer
        Recorder& rec = child.recorder();
        const char ack = 1;
        for (const QString& mechanism : kMechanisms) {
            for (const qint64 size : sizesUpTo(largest)) {
                rec.record(EventKind::Mark, size);
                for (qint64 r = 0, rounds = roundsFor(size, budget); r < rounds; ++r) {
                    bool ok = true;
                    if (mechanism == u"pipe") {
                        ok = readAll(kPipeIn, received.data(), std::size_t(size)) && writeAll(kAckOut, &ack, 1);
                    } else if (mechanism == u"socket") {
                        ok = readAll(kSocket, received.data(), std::size_t(size)) && writeAll(kSocket, &ack, 1);
                    } else {
                        ok = waitFor(handover->ready, ++handed, parentGone);
                        std::memcpy(received.data(), handover->payload, std::size_t(size));
                        handover->taken.store(handed, std::memory_order_release);
                    }
                    if (!ok)
                        return 1;
                }
            }
        }
        return 0;
    }

    QString describeOutcome(const QJsonObject& summary) const override
    {
        const Results r = kResults.fromSummary(summary);
        const QJsonObject& rates = r.bytesPerS;
        const QJsonArray& sizes = r.sizes;
        if (rates.size() < kMechanisms.size())
            return r.receiverLost.value_or(false) ? QStringLiteral("The receiving process was killed before every "
                                                                   "measurement finished.")
                                                  : QStringLiteral("The run ended before every measurement finished.");
        auto fastestAt = [&](const QJsonValue& sizeValue) {
            const QString size = QString::number(sizeValue.toInteger());
            QString fastest;
            double best = 0;
            for (const QString& mechanism : kMechanisms)
                if (const double rate = rates[mechanism][size].toDouble(); rate > best)
                    best = rate, fastest = mechanism;
            return fastest;
        };
        auto at = [&](const QJsonValue& sizeValue) {
            const QString size = QString::number(sizeValue.toInteger());
            QStringList figures;
            for (const QString& mechanism : kMechanisms)
                figures << QStringLiteral("%1 %2 GB/s")
                               .arg(QString(mechanism).replace(u'_', u' '))
                               .arg(rates[mechanism][size].toDouble() / 1e9, 0, 'f', 2);
            return QStringLiteral("at %1 KiB per payload, %2 (fastest: <b>%3</b>)")
                .arg(groupedNumber(sizeValue.toInteger() / 1024), figures.join(QStringLiteral(", ")),
                    QString(fastestAt(sizeValue)).replace(u'_', u' '));
        };
        QString text
            = QStringLiteral("Measured %1; %2. A pipe or socket copies the data into the kernel and out again, "
                             "with a system call and a wake-up per chunk. ")
                  .arg(at(sizes.first()), at(sizes.last()));
        // Why the winners won, said only where they did.
        const bool smallToShared = fastestAt(sizes.first()) == u"shared_memory";
        const bool largeToShared = fastestAt(sizes.last()) == u"shared_memory";
        text += smallToShared
            ? QStringLiteral("Shared memory has none of that, which counts most for small payloads. ")
            : QStringLiteral("Shared memory has none of that, yet it did not lead at small payloads in "
                             "this run. ");
        if (!largeToShared)
            text += QStringLiteral(
                "With one buffer, the sender's copy and the receiver's copy take turns, while a socket "
                "or pipe overlaps them chunk by chunk on two cores: watch how the lead changes with "
                "size.");
        else if (!smallToShared)
            text += QStringLiteral("It led at large payloads instead.");
        return text;
    }
};
}

std::unique_ptr<Scenario> makeIpcThroughput()
{
    return std::make_unique<IpcThroughput>();
}

} // namespace tl
