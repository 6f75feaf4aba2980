#include "resulttable.h"
#include "scenario.h"

#include "../params/paramtable.h"

#include "../processes/childcontext.h"
#include "../processes/children.h"
#include "../processes/fdio.h"
#include "../processes/ipcregistry.h"
#include "../processes/objectserver.h"
#include "../run/workers.h"

#include <QJsonArray>
#include <QMap>
#include <array>
#include <fcntl.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <thread>
#include <unistd.h>

namespace tl {

namespace {
enum Mechanism : int { Pipe, Queue };
enum ConsumerKind : int { Blocking, CheckEmpty };
enum Order : int { Together, ProducersFirst };
// Every item is one fixed-size record: a pipe write of at most PIPE_BUF bytes is atomic, so records from
// several producers never interleave, and a read of one record gets exactly one.
constexpr std::size_t kRecordBytes = 64;
// Where a child finds its end of the pipe.
constexpr int kPipeFd = 3;

// Times a call that may block (a put into a full queue, a take from an empty one) as an I/O wait.
template <typename F> auto blocking(Recorder& rec, std::int64_t& waitedNs, F&& call)
{
    rec.record(EventKind::IoWait);
    const std::int64_t t0 = clock::monotonicNs();
    auto result = call();
    waitedNs += clock::monotonicNs() - t0;
    rec.record(EventKind::Running);
    return result;
}

// A child's end of the pipe, as its descriptor kPipeFd.
std::vector<std::pair<int, int>> pipeEnd(Mechanism mechanism, int fd)
{
    if (mechanism != Pipe)
        return {};
    return { { fd, kPipeFd } };
}

void sleepUs(std::int64_t us)
{
    std::this_thread::sleep_for(std::chrono::microseconds(us));
}

void closeFd(int& fd)
{
    if (fd >= 0)
        ::close(fd);
    fd = -1;
}

const QStringList kMechanismChoices { QStringLiteral("pipe"), QStringLiteral("queue") }; // by Mechanism

struct Params {
    Mechanism mechanism = Queue;
    int producers = 0;
    int consumers = 0;
    std::int64_t items = 0;
    std::int64_t capacity = 0;
    std::int64_t produceUs = 0;
    std::int64_t consumeUs = 0;
    ConsumerKind consumer = Blocking;
    Order order = Together;
    bool killOne = false;
};
const ParamTable<Params> kParams {
    param(&Params::mechanism,
        ParamSpec::choice(QStringLiteral("mechanism"), kMechanismChoices, Queue,
            QStringLiteral("pipe: one OS pipe the producers write and the consumers read; queue: a bounded "
                           "queue held by a server process, reached over a local socket"))),
    param(&Params::producers,
        ParamSpec::integer(QStringLiteral("producers"), 1, 1, 8, QStringLiteral("Producer processes"))),
    param(&Params::consumers,
        ParamSpec::integer(QStringLiteral("consumers"), 1, 1, 8, QStringLiteral("Consumer processes"))),
    param(&Params::items,
        ParamSpec::integer(
            QStringLiteral("items"), 5, 1, 100'000, QStringLiteral("Items each producer puts (the seed: 5)"))),
    param(&Params::capacity,
        ParamSpec::integer(QStringLiteral("capacity"), 4, 1, 10'000,
            QStringLiteral("How many items the queue holds before put() blocks (queue only; a pipe holds 64 KiB)"))),
    param(&Params::produceUs,
        ParamSpec::integer(QStringLiteral("produce_us"), 20'000, 0, 10'000'000,
            QStringLiteral("Time a producer takes to make each item"), QStringLiteral("µs"))),
    param(&Params::consumeUs,
        ParamSpec::integer(QStringLiteral("consume_us"), 5'000, 0, 10'000'000,
            QStringLiteral("Time a consumer takes to handle each item"), QStringLiteral("µs"))),
    param(&Params::consumer,
        ParamSpec::choice(QStringLiteral("consumer"), { QStringLiteral("blocking"), QStringLiteral("check-empty") },
            Blocking,
            QStringLiteral("blocking: get() waits for the next item until the producers are done; check-empty: "
                           "the seed's 'while not queue.empty(): get()', which stops at the first moment the "
                           "queue happens to be empty"))),
    param(&Params::order,
        ParamSpec::choice(QStringLiteral("order"), { QStringLiteral("together"), QStringLiteral("seed") }, Together,
            QStringLiteral("together: producers and consumers all start at once; seed: the seed's program, "
                           "which starts the producers, joins them, and only then starts the consumers"))),
    param(&Params::killOne, Children::killOneParam()),
};

// What a producer or a consumer reports.
struct ChildReport {
    std::optional<qint64> produced;
    std::optional<double> putWaitMs;
    std::optional<qint64> consumed;
    std::optional<QJsonObject> fromProducer; // items it got from each producer, by the producer's number
    std::optional<double> getWaitMs;
};
const ResultTable<ChildReport> kChildReport {
    result(&ChildReport::produced, QStringLiteral("produced")),
    result(&ChildReport::putWaitMs, QStringLiteral("put_wait_ms")),
    result(&ChildReport::consumed, QStringLiteral("consumed")),
    result(&ChildReport::fromProducer, QStringLiteral("from_producer")),
    result(&ChildReport::getWaitMs, QStringLiteral("get_wait_ms")),
};

// A row of `children`.
struct ChildRow {
    QString name;
    QString role;
    QJsonObject report; // ChildReport
};
const ResultTable<ChildRow> kChildRow {
    result(&ChildRow::name, QStringLiteral("name")),
    result(&ChildRow::role, QStringLiteral("role")),
    result(&ChildRow::report, QStringLiteral("report")),
};

struct Results {
    qint64 produced = 0;
    qint64 consumed = 0;
    // Items the producers set out to make that no consumer got (left in the queue or pipe, or refused because
    // every consumer had gone).
    qint64 missed = 0;
    qint64 leftUnread = 0;
    qint64 maxDepth = 0;
    double producersBlockedMs = 0;
    double consumersBlockedMs = 0;
    bool producersStuck = false;
    std::optional<QJsonArray> countedFromGauges; // the children that ended before they could report
    QJsonArray children; // of ChildRow
};
const ResultTable<Results> kResults {
    result(&Results::produced, QStringLiteral("produced")),
    result(&Results::consumed, QStringLiteral("consumed")),
    result(&Results::missed, QStringLiteral("missed")),
    result(&Results::leftUnread, QStringLiteral("left_unread")),
    result(&Results::maxDepth, QStringLiteral("max_depth")),
    result(&Results::producersBlockedMs, QStringLiteral("producers_blocked_ms")),
    result(&Results::consumersBlockedMs, QStringLiteral("consumers_blocked_ms")),
    result(&Results::producersStuck, QStringLiteral("producers_stuck")),
    result(&Results::countedFromGauges, QStringLiteral("counted_from_gauges")),
    result(&Results::children, QStringLiteral("children")),
};

// The parent side of one run, step by step: start the processes in the order the parameters ask for, see
// them end, and count what they did (the children's side is QueuePipe::runChild).
class QueuePipeParent {
public:
    QueuePipeParent(RunContext& ctx, const QString& scenario)
        : m_ctx(ctx)
        , m_params(kParams.read(ctx))
        , m_mechanism(m_params.mechanism)
        , m_producers(m_params.producers)
        , m_consumers(m_params.consumers)
        , m_items(QString::number(m_params.items))
        , m_produceUs(QString::number(m_params.produceUs))
        , m_consumeUs(QString::number(m_params.consumeUs))
        , m_checkEmpty(QString::number(m_params.consumer == CheckEmpty))
        , m_mechanismName(kMechanismChoices[m_mechanism])
        , m_seedOrder(m_params.order == ProducersFirst)
        , m_socket(QStringLiteral("queue"))
        , m_pipeFds(openPipe(m_mechanism))
        , m_children(ctx, scenario)
    {
    }

    // Items waiting: in the queue server, or bytes in the pipe (which this parent can still read the size of).
    std::int64_t depth()
    {
        int bytes = 0;
        if (m_mechanism == Pipe)
            return m_pipeFds[0] >= 0 && ::ioctl(m_pipeFds[0], FIONREAD, &bytes) == 0 ? bytes / int(kRecordBytes) : 0;
        return m_children.count() > 0 ? m_children.gauge(0) : 0;
    }
    // The "items waiting" counter's sample; the largest one is a result.
    std::int64_t sampleDepth()
    {
        const std::int64_t d = depth();
        m_maxDepth = std::max(m_maxDepth, d);
        return d;
    }
    std::uint32_t childrenWorker() const { return m_children.parentWorker(); }

    // The parent's lane: starts every process and waits for them all.
    void superviseChildren(Recorder& rec)
    {
        if (m_mechanism == Queue)
            startQueueServer();
        const int firstProducer = m_children.count();
        startProducers();
        const int firstConsumer = m_children.count();
        rec.record(EventKind::Sleeping);
        bool stuck = false;
        if (m_seedOrder)
            stuck = waitInSeedOrder(firstProducer, firstConsumer);
        m_results.producersStuck = stuck;
        // Set now, as it is known: a run that fails later still tells it.
        m_ctx.setResult(kResults.key(&Results::producersStuck), stuck);
        startConsumers();
        // Only the producers hold the write end now: when the last one exits, readers see end of file.
        closeFd(m_pipeFds[1]);
        waitForTheEnd(firstProducer, firstConsumer);
        rec.record(EventKind::Running);
    }

    void publishResults();

private:
    static std::array<int, 2> openPipe(Mechanism mechanism)
    {
        std::array<int, 2> fds = { -1, -1 };
        if (mechanism == Pipe && ::pipe2(fds.data(), O_CLOEXEC) != 0)
            throw std::runtime_error("cannot create a pipe");
        return fds;
    }

    void startQueueServer()
    {
        startObjectServer(m_children,
            { QStringLiteral("Queue"), QStringLiteral("queue"), { m_socket.path(), QString::number(m_params.capacity) },
                {}, QStringLiteral("holds a queue of %1 items").arg(m_params.capacity), {}, {} },
            m_socket.path());
    }

    void startProducers()
    {
        for (int p = 0; p < m_producers && !m_ctx.stopRequested(); ++p)
            m_children.start({ QStringLiteral("Producer-%1").arg(p + 1), QStringLiteral("producer"),
                { m_mechanismName, m_socket.path(), m_items, m_produceUs, QString::number(p + 1) }, {},
                QStringLiteral("puts %1 items, one per %2 µs").arg(m_items, m_produceUs), {},
                pipeEnd(m_mechanism, m_pipeFds[1]) });
    }

    // p1.join() before p2.start(). A full queue (or pipe) with items still to put can only wait for a
    // consumer that is not started yet: the seed's order then never ends, so start the consumers anyway.
    // Returns whether the producers got stuck so.
    bool waitInSeedOrder(int firstProducer, int firstConsumer)
    {
        auto producersDone = [&] { return m_children.ended(firstProducer, firstConsumer); };
        auto full = [&] {
            const std::int64_t room
                = m_mechanism == Queue ? m_params.capacity : ::fcntl(m_pipeFds[0], F_GETPIPE_SZ) / int(kRecordBytes);
            std::int64_t put = 0;
            for (int i = firstProducer; i < firstConsumer; ++i)
                put += m_children.gauge(i);
            return depth() >= room && put < std::int64_t(m_producers) * m_items.toLongLong();
        };
        m_children.waitUntil([&] { return producersDone() || full(); });
        return !producersDone() && !m_ctx.stopRequested();
    }

    void startConsumers()
    {
        for (int c = 0; c < m_consumers && !m_ctx.stopRequested(); ++c)
            m_children.start({ QStringLiteral("Consumer-%1").arg(c + 1), QStringLiteral("consumer"),
                { m_mechanismName, m_socket.path(), m_consumeUs, m_checkEmpty }, {},
                m_checkEmpty == u"1" ? QStringLiteral("while not queue.empty(): get()")
                                     : QStringLiteral("get() until done"),
                {}, pipeEnd(m_mechanism, m_pipeFds[0]) });
    }

    void waitForTheEnd(int firstProducer, int firstConsumer)
    {
        auto producersDone = [&] { return m_children.ended(firstProducer, firstConsumer); };
        auto consumersDone = [&] { return m_children.ended(firstConsumer, m_children.count()); };
        std::unique_ptr<ObjectProxy> queue;
        if (m_mechanism == Queue)
            queue = std::make_unique<ObjectProxy>(m_socket.path());
        // Closing tells consumers waiting on an empty queue that nothing more is coming, and refuses puts.
        auto closeQueue = [&] {
            if (queue && !m_children.info(0).ended())
                queue->call({ { QStringLiteral("op"), QStringLiteral("close") } });
        };
        m_children.waitUntil([&] { return producersDone() || consumersDone(); }, m_params.killOne);
        if (!producersDone()) {
            // Every consumer is gone and nobody will make room: a full queue or pipe would block the
            // producers for ever. Refuse their puts; for the pipe, the last reader closes (EPIPE).
            closeQueue();
            closeFd(m_pipeFds[0]);
            m_children.waitUntil(producersDone);
        }
        closeQueue();
        m_children.waitUntil(consumersDone);
        if (queue && !m_children.info(0).ended())
            m_serverEnd = queue->call({ { QStringLiteral("op"), QStringLiteral("shutdown") } });
        m_children.waitForAll();
    }

    // Items the consumers say they got from each producer, by its number.
    QMap<QString, qint64> consumedFromProducers() const
    {
        QMap<QString, qint64> consumedFrom;
        for (int i = 0; i < m_children.count(); ++i) {
            const QJsonObject from = kChildReport.fromObject(m_children.report(i)).fromProducer.value_or(QJsonObject());
            for (auto it = from.begin(); it != from.end(); ++it)
                consumedFrom[it.key()] += it.value().toInteger();
        }
        return consumedFrom;
    }

    RunContext& m_ctx;
    const Params m_params;
    const Mechanism m_mechanism;
    const int m_producers;
    const int m_consumers;
    const QString m_items;
    const QString m_produceUs;
    const QString m_consumeUs;
    const QString m_checkEmpty;
    const QString m_mechanismName;
    const bool m_seedOrder;
    const ScopedSocketPath m_socket;
    std::array<int, 2> m_pipeFds;
    Children m_children;
    std::int64_t m_maxDepth = 0;
    QJsonObject m_serverEnd;
    Results m_results;
};

void QueuePipeParent::publishResults()
{
    const QMap<QString, qint64> consumedFrom = consumedFromProducers();
    Results& r = m_results;
    QJsonArray unreported;
    for (int i = 0; i < m_children.count(); ++i) {
        const QJsonObject report = m_children.report(i);
        const ChildReport figures = kChildReport.fromObject(report);
        const QString name = m_children.info(i).name;
        const QString role = name.startsWith(u"Producer") ? QStringLiteral("producer")
            : name.startsWith(u"Consumer")                ? QStringLiteral("consumer")
                                                          : QStringLiteral("queue");
        if (report.isEmpty() && role != u"queue") {
            // Killed (or crashed) before it could report: count what it did from its live gauge, which it
            // moves after each item; a producer may have put one item more than that (if a consumer got it,
            // the consumers' tally shows it; if not, it may still be unread).
            const qint64 gauge = m_children.gauge(i);
            if (role == u"producer")
                r.produced += std::max(gauge, consumedFrom.value(name.section(u'-', 1)));
            else
                r.consumed += gauge;
            unreported.append(name);
        }
        r.produced += figures.produced.value_or(0);
        r.consumed += figures.consumed.value_or(0);
        r.producersBlockedMs += figures.putWaitMs.value_or(0);
        r.consumersBlockedMs += figures.getWaitMs.value_or(0);
        r.children.append(kChildRow.toObject({ name, role, report }));
    }
    if (!unreported.isEmpty())
        r.countedFromGauges = unreported;
    r.leftUnread = m_mechanism == Queue ? m_serverEnd[u"queued"].toInteger() : std::max<qint64>(depth(), 0);
    closeFd(m_pipeFds[0]);
    r.missed = qint64(m_producers) * m_params.items - r.consumed;
    r.maxDepth = m_maxDepth;
    kResults.report(m_ctx, r);
}

// The seed's producer and consumer processes, over a pipe or over a queue a server process holds (like
// Manager().Queue()): items produced and consumed, the queue's depth, blocked producers and consumers, and
// the seed's "while not queue.empty()" consumer, which quits early and misses items.
class QueuePipe final : public Scenario {
public:
    ScenarioInfo info() const override
    {
        return {
            .name = QStringLiteral("queue-pipe"),
            .title = QStringLiteral("Producers and consumers: pipe and queue"),
            .summary = QStringLiteral(
                "Producer and consumer processes pass items over a pipe or a queue; the empty() check misses items"),
            .topic = QStringLiteral("Child processes: Queue, Pipe, producer/consumer, while not queue.empty()"),
            .params = kParams.specs(),
            .results = kResults.keys() + kChildRow.keys(),
        };
    }

    void run(RunContext& ctx) override
    {
        QueuePipeParent parent(ctx, info().name);
        const auto depthCounter = ctx.addCounter(QStringLiteral("items waiting"), [&] { return parent.sampleDepth(); });
        runAsWorker(ctx, parent.childrenWorker(), [&](std::uint32_t, Recorder& rec) { parent.superviseChildren(rec); });
        parent.publishResults();
    }

    int runChild(const QString& role, ChildContext& child) override
    {
        if (role == u"queue")
            return runObjectServer(child, child.arg(0), child.arg(1).toInt());
        if (role != u"producer" && role != u"consumer")
            return Scenario::runChild(role, child);
        const bool overPipe = kMechanismChoices.indexOf(child.arg(0)) == Pipe;
        Recorder& rec = child.recorder();
        std::unique_ptr<ObjectProxy> queue;
        if (!overPipe)
            queue = std::make_unique<ObjectProxy>(child.arg(1));
        std::int64_t waitedNs = 0;

        if (role == u"producer") {
            const int items = child.arg(2).toInt();
            const std::int64_t produceUs = child.arg(3).toLongLong();
            int produced = 0;
            for (int i = 0; i < items; ++i) {
                sleepUs(produceUs);
                const QByteArray item = QStringLiteral("Item %1 from Producer-%2").arg(i).arg(child.arg(4)).toUtf8();
                bool sent = false;
                if (overPipe) {
                    QByteArray record = item.leftJustified(kRecordBytes, '\0', true);
                    sent = blocking(rec, waitedNs, [&] { return writeAll(kPipeFd, record.constData(), kRecordBytes); });
                } else {
                    sent = !blocking(rec, waitedNs, [&] {
                        return queue->call({ { QStringLiteral("op"), QStringLiteral("put") },
                            { QStringLiteral("item"), QString::fromUtf8(item) } });
                    }).contains(u"closed");
                }
                if (!sent) // no reader left (EPIPE) or the queue was closed: nobody would ever get it
                    break;
                ++produced;
                child.setGauge(produced); // the parent's view of how far it got, while it runs
            }
            ChildReport report;
            report.produced = produced;
            report.putWaitMs = double(waitedNs) / 1e6;
            kChildReport.report(child, report);
            return 0;
        }

        const std::int64_t consumeUs = child.arg(2).toLongLong();
        const bool checkEmpty = child.arg(3) == u"1";
        // Is there an item right now? Only the flawed consumer asks; it stops at the first "no".
        auto looksEmpty = [&] {
            if (overPipe) {
                pollfd pfd { kPipeFd, POLLIN, 0 };
                return ::poll(&pfd, 1, 0) <= 0 || !(pfd.revents & POLLIN);
            }
            return queue->call({ { QStringLiteral("op"), QStringLiteral("empty") } })[u"empty"].toBool();
        };
        // How many items came from each producer ("Item 3 from Producer-2"): what a killed producer put is then
        // known from the consumers' side too.
        QMap<QString, int> fromProducer;
        // The next item, waiting for one; false once the producers are done and nothing is left.
        auto take = [&] {
            QByteArray item;
            const bool got = blocking(rec, waitedNs, [&] {
                if (overPipe) {
                    char record[kRecordBytes];
                    const bool ok = readAll(kPipeFd, record, kRecordBytes);
                    item = QByteArray(record, qstrnlen(record, kRecordBytes));
                    return ok;
                }
                const QJsonObject reply = queue->call({ { QStringLiteral("op"), QStringLiteral("take") } });
                item = reply[u"item"].toString().toUtf8();
                return reply.contains(u"item");
            });
            if (got)
                ++fromProducer[QString::fromUtf8(item.mid(item.lastIndexOf('-') + 1))];
            return got;
        };
        int consumed = 0;
        while (!(checkEmpty && looksEmpty()) && take()) {
            ++consumed;
            child.setGauge(consumed); // what the parent counts for this consumer if it is killed
            sleepUs(consumeUs);
        }
        QJsonObject from;
        for (auto it = fromProducer.begin(); it != fromProducer.end(); ++it)
            from.insert(it.key(), it.value());
        ChildReport report;
        report.consumed = consumed;
        report.fromProducer = from;
        report.getWaitMs = double(waitedNs) / 1e6;
        kChildReport.report(child, report);
        return 0;
    }

    QString describeOutcome(const QJsonObject& summary) const override
    {
        const Params p = kParams.fromSummary(summary);
        const Results r = kResults.fromSummary(summary);
        const QString mechanism = kMechanismChoices.value(p.mechanism);
        const qint64 produced = r.produced;
        const qint64 consumed = r.consumed;
        const qint64 missed = r.missed;
        const qint64 toMake = p.producers * p.items;
        QString text
            = QStringLiteral("Over a <b>%1</b>, %2 producer(s) made %3 items and %4 consumer(s) handled <b>%5</b>. "
                             "At most %6 items were waiting at once. ")
                  .arg(mechanism)
                  .arg(p.producers)
                  .arg(groupedNumber(produced))
                  .arg(p.consumers)
                  .arg(groupedNumber(consumed))
                  .arg(r.maxDepth);
        if (r.producersStuck)
            text += QStringLiteral("In the seed's order the consumers start only once the producers are done, but the "
                                   "%1 filled up with items still to put: a producer can only wait for room that no "
                                   "consumer is there to make, so the program would never end. ThreadLab started the "
                                   "consumers anyway. ")
                        .arg(mechanism);
        else if (p.order == ProducersFirst)
            text += QStringLiteral("In the seed's order the producers were done before the first consumer started. ");
        QStringList killed;
        for (const auto& name : r.countedFromGauges.value_or(QJsonArray()))
            killed << name.toString();
        if (!killed.isEmpty())
            text += QStringLiteral(
                "%1 ended before it could report (killed): what it did is counted from the figure it "
                "published after each item, and a producer killed in the middle of a put may have put "
                "one more. ")
                        .arg(killed.join(QStringLiteral(", ")));
        else if (produced < toMake)
            text += QStringLiteral("The producers made only %1 of their %2 items: once every consumer had gone, the "
                                   "queue refused their puts (a pipe with no reader fails them). ")
                        .arg(groupedNumber(produced), groupedNumber(toMake));
        if (missed > 0 && p.consumer == CheckEmpty)
            text += QStringLiteral(
                "<b>%1 items were missed</b>: the consumer asked \"is it empty?\", got yes at a moment "
                "the producers had not put the next item yet, and stopped. empty() says what was "
                "true a moment ago, not whether more is coming; a blocking get() with an end "
                "marker (or a closed pipe) is the reliable way to know. ")
                        .arg(groupedNumber(missed));
        else if (missed > 0)
            text += QStringLiteral("%1 items were not consumed (a process was killed or the run stopped). ")
                        .arg(groupedNumber(missed));
        else if (p.consumer == CheckEmpty)
            text += QStringLiteral("Every item was consumed, this time: the queue was never empty before the producers "
                                   "were done, but empty() did not promise it. ");
        else
            text += QStringLiteral(
                "Every item was consumed: the consumers waited in get() until the producers were done. ");
        text += QStringLiteral("Producers spent %1 ms blocked putting (queue or pipe full), consumers %2 ms blocked "
                               "getting (nothing there yet).")
                    .arg(r.producersBlockedMs, 0, 'f', 1)
                    .arg(r.consumersBlockedMs, 0, 'f', 1);
        return text;
    }
};
}

std::unique_ptr<Scenario> makeQueuePipe()
{
    return std::make_unique<QueuePipe>();
}

} // namespace tl
