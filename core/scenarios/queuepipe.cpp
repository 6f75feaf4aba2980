#include "resulttable.h"
#include "scenario.h"

#include "../params/paramtable.h"

#include "../processes/childcontext.h"
#include "../processes/children.h"
#include "../processes/ipcregistry.h"
#include "../processes/objectserver.h"
#include "../run/workers.h"

#include <QJsonArray>
#include <QMap>
#include <array>
#include <atomic>
#include <fcntl.h>
#include <mutex>
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

// A child's calls that could not go through at once (a put into a full queue or pipe, a get from an empty
// one): how many, and how long they waited. A call that went straight through is not a wait, however long
// its round trip took.
struct Waits {
    int count = 0;
    std::int64_t ns = 0;
    void add(std::int64_t fromNs)
    {
        ++count;
        ns += clock::monotonicNs() - fromNs;
    }
};

// A producer's gauge: the items it put, doubled, plus one while it waits for room in the pipe. The parent
// reads from it both how far a killed producer got and whether one waits for room only a consumer could
// make (the queue's server says that itself).
std::int64_t producerGauge(int produced, bool waitingForRoom)
{
    return 2 * std::int64_t(produced) + (waitingForRoom ? 1 : 0);
}
std::int64_t producedOf(std::int64_t gauge)
{
    return gauge / 2;
}

// The child's own non-blocking descriptor for the pipe in place of kPipeFd. Opened through /proc, it is a
// file description of its own, so O_NONBLOCK does not change the other processes' ends; with it a child
// knows whether a call had to wait instead of guessing from how long it took. -1 when the pipe has no
// reader left (a write end cannot be opened then).
int ownPipeEnd(int accessMode)
{
    const int fd = ::open("/proc/self/fd/3", accessMode | O_NONBLOCK | O_CLOEXEC);
    ::close(kPipeFd);
    return fd;
}

// Moves one record through a non-blocking pipe end, waiting in poll() only when the pipe is full (writing)
// or empty (reading); `waiting(true)` runs before that wait and `waiting(false)` after it. False when the
// other end is gone (no reader: EPIPE; no writer and nothing left: end of file).
template <typename OnWait>
bool pipeRecord(int fd, char* record, bool writing, Recorder& rec, Waits& waits, OnWait&& waiting)
{
    std::size_t done = 0;
    std::int64_t waitFrom = -1;
    while (done < kRecordBytes) {
        const ssize_t n = writing ? ::write(fd, record + done, kRecordBytes - done)
                                  : ::read(fd, record + done, kRecordBytes - done);
        if (n > 0) {
            done += std::size_t(n);
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n == 0 || errno != EAGAIN)
            break;
        if (waitFrom < 0) {
            waitFrom = clock::monotonicNs();
            waiting(true);
            rec.record(EventKind::IoWait);
        }
        pollfd pfd { fd, short(writing ? POLLOUT : POLLIN), 0 };
        ::poll(&pfd, 1, -1);
    }
    if (waitFrom >= 0) {
        rec.record(EventKind::Running);
        waiting(false);
        waits.add(waitFrom);
    }
    return done == kRecordBytes;
}

// One request to the queue's server, drawn as an I/O wait; counted as a wait when the server says it could
// not serve it at once.
QJsonObject queueCall(ObjectProxy& queue, const QJsonObject& request, Recorder& rec, Waits& waits)
{
    rec.record(EventKind::IoWait);
    const std::int64_t t0 = clock::monotonicNs();
    QJsonObject reply = queue.call(request);
    if (reply[u"waited"].toBool())
        waits.add(t0);
    rec.record(EventKind::Running);
    return reply;
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

// Items waiting in a pipe, from the bytes it holds (either end may ask).
std::int64_t recordsIn(int fd)
{
    int bytes = 0;
    return fd >= 0 && ::ioctl(fd, FIONREAD, &bytes) == 0 ? bytes / int(kRecordBytes) : 0;
}

const QStringList kMechanismChoices { QStringLiteral("pipe"), QStringLiteral("queue") }; // by Mechanism

struct Params {
    Mechanism mechanism = Queue;
    int producers = 0;
    int consumers = 0;
    std::int64_t items = 0;
    std::int64_t capacity = 0; // 0: no limit
    std::int64_t produceUs = 0;
    std::int64_t consumeUs = 0;
    ConsumerKind consumer = Blocking;
    Order order = Together;
    bool killOne = false;
};
const ParamTable<Params> kParams {
    param(&Params::mechanism,
        ParamSpec::choice(QStringLiteral("mechanism"), kMechanismChoices, Queue,
            QStringLiteral("pipe: one OS pipe the producers write and the consumers read; queue: a queue held by "
                           "a server process, reached over a local socket"))),
    param(&Params::producers,
        ParamSpec::integer(QStringLiteral("producers"), 1, 1, 8, QStringLiteral("Producer processes"))),
    param(&Params::consumers,
        ParamSpec::integer(QStringLiteral("consumers"), 1, 1, 8, QStringLiteral("Consumer processes"))),
    param(&Params::items,
        ParamSpec::integer(
            QStringLiteral("items"), 5, 1, 100'000, QStringLiteral("Items each producer puts (the seed: 5)"))),
    param(&Params::capacity,
        ParamSpec::integer(QStringLiteral("capacity"), 0, 0, 10'000,
            QStringLiteral("How many items the queue holds before put() blocks; 0: no limit, like the seed's "
                           "Queue() (queue only; a pipe holds 64 KiB)"))),
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
    std::optional<bool> refused; // its last put was refused: every consumer had gone
    std::optional<qint64> putsWaited;
    std::optional<double> putWaitMs;
    std::optional<qint64> mostInPipe; // the most records it saw in the pipe right after a write
    std::optional<qint64> consumed;
    std::optional<QJsonObject> fromProducer; // items it got from each producer, by the producer's number
    std::optional<qint64> getsWaited;
    std::optional<double> getWaitMs;
    std::optional<bool> stoppedOnEmpty; // check-empty: it stopped because empty() said yes
};
const ResultTable<ChildReport> kChildReport {
    result(&ChildReport::produced, QStringLiteral("produced")),
    result(&ChildReport::refused, QStringLiteral("refused")),
    result(&ChildReport::putsWaited, QStringLiteral("puts_waited")),
    result(&ChildReport::putWaitMs, QStringLiteral("put_wait_ms")),
    result(&ChildReport::mostInPipe, QStringLiteral("most_in_pipe")),
    result(&ChildReport::consumed, QStringLiteral("consumed")),
    result(&ChildReport::fromProducer, QStringLiteral("from_producer")),
    result(&ChildReport::getsWaited, QStringLiteral("gets_waited")),
    result(&ChildReport::getWaitMs, QStringLiteral("get_wait_ms")),
    result(&ChildReport::stoppedOnEmpty, QStringLiteral("stopped_on_empty")),
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
    qint64 missed = 0; // put, but no consumer got them
    qint64 refused = 0; // the producers' items that were never put: every consumer had gone, the queue full
    qint64 leftUnread = 0;
    qint64 maxDepth = 0;
    qint64 putsWaited = 0;
    double producersBlockedMs = 0;
    qint64 getsWaited = 0;
    double consumersBlockedMs = 0;
    int stoppedOnEmpty = 0; // consumers
    bool producersStuck = false; // seed order: full before any consumer started
    bool producersDoneFirst = false; // every producer had ended when the first consumer started
    std::optional<QJsonArray> countedFromGauges; // the children that ended before they could report
    QJsonArray children; // of ChildRow
};
const ResultTable<Results> kResults {
    result(&Results::produced, QStringLiteral("produced")),
    result(&Results::consumed, QStringLiteral("consumed")),
    result(&Results::missed, QStringLiteral("missed")),
    result(&Results::refused, QStringLiteral("refused")),
    result(&Results::leftUnread, QStringLiteral("left_unread")),
    result(&Results::maxDepth, QStringLiteral("max_depth")),
    result(&Results::putsWaited, QStringLiteral("puts_waited")),
    result(&Results::producersBlockedMs, QStringLiteral("producers_blocked_ms")),
    result(&Results::getsWaited, QStringLiteral("gets_waited")),
    result(&Results::consumersBlockedMs, QStringLiteral("consumers_blocked_ms")),
    result(&Results::stoppedOnEmpty, QStringLiteral("consumers_stopped_on_empty")),
    result(&Results::producersStuck, QStringLiteral("producers_stuck")),
    result(&Results::producersDoneFirst, QStringLiteral("producers_done_first")),
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

    // Items waiting: in the queue server, or in the pipe (which this parent can still read the size of).
    std::int64_t depth()
    {
        if (m_mechanism == Pipe)
            return recordsIn(m_pipeFds[0]);
        return m_children.count() > 0 ? m_children.gauge(0) : 0;
    }
    // The "items waiting" counter's sample, on the collector's thread; the largest one is a result. It must not
    // read the list of children while the run's thread adds to it, nor the pipe's read end while that thread
    // closes it: then the last sample stands.
    std::int64_t sampleDepth()
    {
        const std::unique_lock lock(m_sampling, std::try_to_lock);
        if (lock.owns_lock()) {
            m_lastDepth = depth();
            m_maxDepth = std::max<std::int64_t>(m_maxDepth, m_lastDepth);
        }
        return m_lastDepth;
    }
    std::uint32_t childrenWorker() const { return m_children.parentWorker(); }

    // The parent's lane: starts every process and waits for them all.
    void superviseChildren(Recorder& rec)
    {
        if (m_mechanism == Queue)
            startQueueServer();
        m_firstProducer = m_children.count();
        startProducers();
        m_firstConsumer = m_children.count();
        rec.record(EventKind::Sleeping);
        if (m_seedOrder) {
            // p1.join() before p2.start(). A producer waiting for room can only wait for a consumer that is not
            // started yet: the seed's order then never ends, so start the consumers anyway.
            m_children.waitUntil([&] { return producersDone() || producersBlocked(); });
            m_results.producersStuck = !producersDone() && !m_ctx.stopRequested();
            // Set now, as it is known: a run that fails later still tells it.
            m_ctx.setResult(kResults.key(&Results::producersStuck), m_results.producersStuck);
        }
        m_results.producersDoneFirst = producersDone();
        startConsumers();
        // Only the producers hold the write end now: when the last one exits, readers see end of file.
        closeFd(m_pipeFds[1]);
        waitForTheEnd();
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

    bool producersDone() const { return m_children.ended(m_firstProducer, m_firstConsumer); }
    bool consumersDone() const { return m_children.ended(m_firstConsumer, m_children.count()); }

    // Whether a producer waits for room: a put the queue's server holds back, a producer that said it found the
    // pipe full. With no consumer running, nobody will ever make that room.
    bool producersBlocked()
    {
        if (m_queue)
            return !m_children.info(0).ended()
                && m_queue->call({ { QStringLiteral("op"), QStringLiteral("stats") } })[u"waiting_puts"].toInteger()
                > 0;
        for (int i = m_firstProducer; i < m_firstConsumer; ++i)
            if (!m_children.info(i).ended() && m_children.gauge(i) % 2 == 1)
                return true;
        return false;
    }

    void startQueueServer()
    {
        const QString holds = m_params.capacity > 0 ? QStringLiteral("holds a queue of %1 items").arg(m_params.capacity)
                                                    : QStringLiteral("holds a queue with no limit");
        const std::lock_guard lock(m_sampling);
        startObjectServer(m_children,
            { QStringLiteral("Queue"), QStringLiteral("queue"), { m_socket.path(), QString::number(m_params.capacity) },
                {}, holds, {}, {} },
            m_socket.path());
        m_queue = std::make_unique<ObjectProxy>(m_socket.path());
    }

    void startProducers()
    {
        const std::lock_guard lock(m_sampling);
        for (int p = 0; p < m_producers && !m_ctx.stopRequested(); ++p)
            m_children.start({ QStringLiteral("Producer-%1").arg(p + 1), QStringLiteral("producer"),
                { m_mechanismName, m_socket.path(), m_items, m_produceUs, QString::number(p + 1) }, {},
                QStringLiteral("puts %1 items, one per %2 µs").arg(m_items, m_produceUs), {},
                pipeEnd(m_mechanism, m_pipeFds[1]) });
    }

    void startConsumers()
    {
        const std::lock_guard lock(m_sampling);
        for (int c = 0; c < m_consumers && !m_ctx.stopRequested(); ++c)
            m_children.start({ QStringLiteral("Consumer-%1").arg(c + 1), QStringLiteral("consumer"),
                { m_mechanismName, m_socket.path(), m_consumeUs, m_checkEmpty }, {},
                m_checkEmpty == u"1" ? QStringLiteral("while not queue.empty(): get()")
                                     : QStringLiteral("get() until done"),
                {}, pipeEnd(m_mechanism, m_pipeFds[0]) });
    }

    void waitForTheEnd()
    {
        // Closing tells consumers waiting on an empty queue that nothing more is coming, and refuses puts.
        auto closeQueue = [&] {
            if (m_queue && !m_children.info(0).ended())
                m_queue->call({ { QStringLiteral("op"), QStringLiteral("close") } });
        };
        m_children.waitUntil([&] { return producersDone() || consumersDone(); }, m_params.killOne);
        // Every consumer is gone. Producers whose puts go through finish (what they put stays unread, as in
        // CPython); one waiting for room would wait for ever: refuse its puts then (for the pipe, the last
        // reader closes: EPIPE).
        if (!producersDone())
            m_children.waitUntil([&] { return producersDone() || producersBlocked(); }, m_params.killOne);
        if (!producersDone()) {
            closeQueue();
            m_leftInPipe = recordsIn(m_pipeFds[0]);
            {
                const std::lock_guard lock(m_sampling);
                closeFd(m_pipeFds[0]);
            }
            m_children.waitUntil([&] { return producersDone(); });
        }
        closeQueue();
        m_children.waitUntil([&] { return consumersDone(); });
        if (m_queue && !m_children.info(0).ended())
            m_serverEnd = m_queue->call({ { QStringLiteral("op"), QStringLiteral("shutdown") } });
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
    std::unique_ptr<ObjectProxy> m_queue; // the parent's own connection to the queue's server
    int m_firstProducer = 0;
    int m_firstConsumer = 0;
    std::mutex m_sampling; // the collector's sampleDepth() against this run's thread starting children
    std::atomic<std::int64_t> m_lastDepth = 0;
    std::int64_t m_maxDepth = 0;
    std::int64_t m_leftInPipe = 0; // when the parent had to close the pipe's last read end
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
                r.produced += std::max<qint64>(producedOf(gauge), consumedFrom.value(name.section(u'-', 1)));
            else
                r.consumed += gauge;
            unreported.append(name);
        }
        r.produced += figures.produced.value_or(0);
        if (figures.refused.value_or(false))
            r.refused += m_params.items - figures.produced.value_or(0);
        r.consumed += figures.consumed.value_or(0);
        r.putsWaited += figures.putsWaited.value_or(0);
        r.producersBlockedMs += figures.putWaitMs.value_or(0);
        r.getsWaited += figures.getsWaited.value_or(0);
        r.consumersBlockedMs += figures.getWaitMs.value_or(0);
        r.stoppedOnEmpty += figures.stoppedOnEmpty.value_or(false) ? 1 : 0;
        m_maxDepth = std::max<std::int64_t>(m_maxDepth, figures.mostInPipe.value_or(0));
        r.children.append(kChildRow.toObject({ name, role, report }));
    }
    if (!unreported.isEmpty())
        r.countedFromGauges = unreported;
    if (m_mechanism == Queue) {
        r.leftUnread = m_serverEnd[u"queued"].toInteger();
        m_maxDepth = std::max<std::int64_t>(m_maxDepth, m_serverEnd[u"max_queued"].toInteger());
    } else {
        r.leftUnread = m_pipeFds[0] >= 0 ? depth() : m_leftInPipe;
    }
    closeFd(m_pipeFds[0]);
    r.missed = std::max<qint64>(r.produced - r.consumed, 0);
    r.maxDepth = m_maxDepth;
    kResults.report(m_ctx, r);
}

// How many: "1 item", "3 items".
QString count(qint64 n, const char* one, const char* many)
{
    return QStringLiteral("%1 %2").arg(groupedNumber(n), QLatin1String(n == 1 ? one : many));
}

// The account of one run, sentence by sentence; each says only what the run's own figures show.
class QueuePipeAccount {
public:
    explicit QueuePipeAccount(const QJsonObject& summary)
        : p(kParams.fromSummary(summary))
        , r(kResults.fromSummary(summary))
        , queue(p.mechanism == Queue)
        , toMake(qint64(p.producers) * p.items)
    {
        for (const auto& name : r.countedFromGauges.value_or(QJsonArray()))
            killed << name.toString();
    }

    QString text() const { return what() + depth() + order() + kills() + refusals() + missed() + puts() + gets(); }

private:
    QString container() const
    {
        if (!queue)
            return QStringLiteral("pipe");
        return p.capacity > 0 ? QStringLiteral("queue of %1").arg(count(p.capacity, "item", "items"))
                              : QStringLiteral("queue");
    }

    QString what() const
    {
        const QString over = !queue ? QStringLiteral("a <b>pipe</b>")
            : p.capacity > 0 ? QStringLiteral("a <b>queue of at most %1</b>").arg(count(p.capacity, "item", "items"))
                             : QStringLiteral("a <b>queue with no limit</b> (like the seed's <code>Queue()</code>)");
        return QStringLiteral("Over %1, %2 put <b>%3</b> of %4 %5 and %6 got <b>%7</b>. ")
            .arg(over, count(p.producers, "producer", "producers"), groupedNumber(r.produced),
                p.producers == 1 ? QStringLiteral("its") : QStringLiteral("their"), count(toMake, "item", "items"),
                count(p.consumers, "consumer", "consumers"), groupedNumber(r.consumed));
    }

    QString depth() const
    {
        if (r.produced == 0)
            return {};
        // The queue's server counts exactly: an item handed to a get() already waiting never sat in it. The
        // pipe's count is what the producers (after each write) and the chart saw: the fullest may be missed.
        if (r.maxDepth > 0)
            return QStringLiteral("%1 %2 waiting at once. ")
                .arg(queue ? QStringLiteral("At the fullest,") : QStringLiteral("As many as"),
                    r.maxDepth == 1 ? QStringLiteral("1 item was")
                                    : QStringLiteral("%1 items were").arg(groupedNumber(r.maxDepth)));
        return queue ? QStringLiteral("No item ever waited in the queue: each went straight to a consumer already "
                                      "waiting in get(). ")
                     : QStringLiteral("No item was seen waiting in the pipe. ");
    }

    QString order() const
    {
        if (r.producersStuck)
            return QStringLiteral("In the seed's order the consumers start only once the producers are done, but the "
                                  "%1 was full with items still to put: a producer waited for room that no consumer "
                                  "was there to make, so the program would never end. ThreadLab started the "
                                  "consumers anyway. ")
                .arg(container());
        if (p.order == ProducersFirst && r.producersDoneFirst)
            return QStringLiteral("In the seed's order the producers were done before the first consumer started: "
                                  "all %1 they put were waiting for the consumers. ")
                .arg(groupedNumber(r.produced));
        return {};
    }

    QString kills() const
    {
        if (killed.isEmpty())
            return {};
        return QStringLiteral("%1 ended before it could report (killed): what it did is counted from the figure it "
                              "published after each item, and a producer killed in the middle of a put may have put "
                              "one more. ")
            .arg(killed.join(QStringLiteral(", ")));
    }

    QString refusals() const
    {
        if (r.refused == 0)
            return {};
        return QStringLiteral("Every consumer had gone while %1 still had %2 to put and the %3 was full: "
                              "%4 would have waited for room for ever, so ThreadLab refused those puts (%5). ")
            .arg(p.producers == 1 ? QStringLiteral("the producer") : QStringLiteral("the producers"),
                count(r.refused, "item", "items"), container(),
                p.producers == 1 ? QStringLiteral("it") : QStringLiteral("they"),
                queue ? QStringLiteral("it closed the queue") : QStringLiteral("it closed the pipe's last read end"));
    }

    QString missed() const
    {
        if (r.missed == 0 && p.consumer == CheckEmpty)
            return QStringLiteral("Every item put was got this time, but empty() promised nothing: had it said yes "
                                  "while the producers were still at work, the consumer asking would have stopped "
                                  "there and missed what came after. ");
        if (r.missed == 0)
            return QStringLiteral("Every item put was got: a blocking get() waits until an item comes or the "
                                  "producers are done. ");
        QString text = QStringLiteral("<b>%1 put but never got</b>")
                           .arg(r.missed == 1 ? QStringLiteral("1 item was")
                                              : QStringLiteral("%1 items were").arg(groupedNumber(r.missed)));
        text += r.leftUnread > 0 ? QStringLiteral(" (%1 still in the %2 at the end). ")
                                       .arg(groupedNumber(r.leftUnread), queue ? "queue" : "pipe")
                                 : QStringLiteral(". ");
        // Unless a process was killed, an item nobody got was put after every consumer's last empty() said
        // yes: it was never there for them to see.
        if (p.consumer == CheckEmpty && killed.isEmpty() && r.stoppedOnEmpty == p.consumers)
            text += QStringLiteral("%1 asked empty(), got yes while the producers were still at work, and "
                                   "stopped. empty() says what was true a moment ago, not whether more is coming; a "
                                   "blocking get() with an end marker (or a closed pipe) is the reliable way to know. ")
                        .arg(p.consumers == 1 ? QStringLiteral("The consumer") : QStringLiteral("Each consumer"));
        return text;
    }

    QString puts() const
    {
        if (r.putsWaited > 0)
            return QStringLiteral("A put found the %1 full and waited %2, %3 ms in all: a full %4 blocks the "
                                  "producer until a consumer takes an item. ")
                .arg(container(), count(r.putsWaited, "time", "times"))
                .arg(r.producersBlockedMs, 0, 'f', 1)
                .arg(queue ? "queue" : "pipe");
        if (queue && p.capacity == 0)
            return QStringLiteral("The queue has no limit, so no put ever waited for room. ");
        return QStringLiteral("No put found the %1 full. ").arg(container());
    }

    QString gets() const
    {
        if (r.getsWaited > 0)
            return QStringLiteral("A get() found nothing there and waited %1, %2 ms in all.")
                .arg(count(r.getsWaited, "time", "times"))
                .arg(r.consumersBlockedMs, 0, 'f', 1);
        return r.consumed > 0 ? QStringLiteral("No get() had to wait for an item.") : QString();
    }

    const Params p;
    const Results r;
    const bool queue;
    const qint64 toMake;
    QStringList killed;
};

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
        {
            // Frozen at the end of this block: publishResults() then has the parent to itself.
            const auto depthCounter
                = ctx.addCounter(QStringLiteral("items waiting"), [&] { return parent.sampleDepth(); });
            runAsWorker(
                ctx, parent.childrenWorker(), [&](std::uint32_t, Recorder& rec) { parent.superviseChildren(rec); });
        }
        parent.publishResults();
    }

    int runChild(const QString& role, ChildContext& child) override
    {
        if (role == u"queue")
            return runObjectServer(child, child.arg(0), child.arg(1).toInt());
        if (role == u"producer")
            return produce(child);
        if (role == u"consumer")
            return consume(child);
        return Scenario::runChild(role, child);
    }

    QString describeOutcome(const QJsonObject& summary) const override { return QueuePipeAccount(summary).text(); }

private:
    static int produce(ChildContext& child)
    {
        const bool overPipe = kMechanismChoices.indexOf(child.arg(0)) == Pipe;
        Recorder& rec = child.recorder();
        std::unique_ptr<ObjectProxy> queue;
        const int fd = overPipe ? ownPipeEnd(O_WRONLY) : -1;
        if (!overPipe)
            queue = std::make_unique<ObjectProxy>(child.arg(1));
        const int items = child.arg(2).toInt();
        const std::int64_t produceUs = child.arg(3).toLongLong();
        Waits waits;
        ChildReport report;
        int produced = 0;
        qint64 mostInPipe = 0;
        // No reader left (EPIPE, or none to open the pipe for) or the queue was closed: nobody would ever get it.
        bool refused = overPipe && fd < 0;
        for (int i = 0; i < items && !refused; ++i) {
            sleepUs(produceUs);
            const QByteArray item = QStringLiteral("Item %1 from Producer-%2").arg(i).arg(child.arg(4)).toUtf8();
            if (overPipe) {
                QByteArray record = item.leftJustified(kRecordBytes, '\0', true);
                refused = !pipeRecord(fd, record.data(), true, rec, waits,
                    [&](bool waiting) { child.setGauge(producerGauge(produced, waiting)); });
                mostInPipe = std::max<qint64>(mostInPipe, recordsIn(fd));
            } else {
                refused = queueCall(*queue,
                    { { QStringLiteral("op"), QStringLiteral("put") },
                        { QStringLiteral("item"), QString::fromUtf8(item) } },
                    rec, waits)
                              .contains(u"closed");
            }
            if (refused)
                break;
            ++produced;
            child.setGauge(producerGauge(produced, false)); // the parent's view of how far it got, while it runs
        }
        report.produced = produced;
        report.refused = refused;
        report.putsWaited = waits.count;
        report.putWaitMs = double(waits.ns) / 1e6;
        if (overPipe)
            report.mostInPipe = mostInPipe;
        return finish(child, fd, report);
    }

    static int consume(ChildContext& child)
    {
        const bool overPipe = kMechanismChoices.indexOf(child.arg(0)) == Pipe;
        Recorder& rec = child.recorder();
        std::unique_ptr<ObjectProxy> queue;
        const int fd = overPipe ? ownPipeEnd(O_RDONLY) : -1;
        if (overPipe && fd < 0)
            throw std::runtime_error("cannot open the pipe's read end");
        if (!overPipe)
            queue = std::make_unique<ObjectProxy>(child.arg(1));
        const std::int64_t consumeUs = child.arg(2).toLongLong();
        const bool checkEmpty = child.arg(3) == u"1";
        Waits waits;
        // Is there an item right now? Only the flawed consumer asks; it stops at the first "no".
        auto looksEmpty = [&] {
            if (overPipe) {
                pollfd pfd { fd, POLLIN, 0 };
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
            bool got = false;
            if (overPipe) {
                std::array<char, kRecordBytes> record {};
                got = pipeRecord(fd, record.data(), false, rec, waits, [](bool) {});
                item = QByteArray(record.data(), qstrnlen(record.data(), kRecordBytes));
            } else {
                const QJsonObject reply
                    = queueCall(*queue, { { QStringLiteral("op"), QStringLiteral("take") } }, rec, waits);
                item = reply[u"item"].toString().toUtf8();
                got = reply.contains(u"item");
            }
            if (got)
                ++fromProducer[QString::fromUtf8(item.mid(item.lastIndexOf('-') + 1))];
            return got;
        };
        int consumed = 0;
        bool stoppedOnEmpty = false;
        for (;;) {
            if (checkEmpty && looksEmpty()) {
                stoppedOnEmpty = true;
                break;
            }
            if (!take())
                break;
            ++consumed;
            child.setGauge(consumed); // what the parent counts for this consumer if it is killed
            sleepUs(consumeUs);
        }
        ChildReport report;
        report.consumed = consumed;
        report.fromProducer = QJsonObject();
        for (auto it = fromProducer.begin(); it != fromProducer.end(); ++it)
            report.fromProducer->insert(it.key(), it.value());
        report.getsWaited = waits.count;
        report.getWaitMs = double(waits.ns) / 1e6;
        if (checkEmpty)
            report.stoppedOnEmpty = stoppedOnEmpty;
        return finish(child, fd, report);
    }

    // A producer's or consumer's last step: its pipe end closed (so readers may see end of file), its report.
    static int finish(ChildContext& child, int fd, const ChildReport& report)
    {
        if (fd >= 0)
            ::close(fd);
        kChildReport.report(child, report);
        return 0;
    }
};
}

std::unique_ptr<Scenario> makeQueuePipe()
{
    return std::make_unique<QueuePipe>();
}

} // namespace tl
