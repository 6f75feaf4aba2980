#include "../support/runscenario.h"

#include <models/processtablemodel.h>

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QSet>
#include <QTest>
#include <atomic>
#include <thread>
#include <unistd.h>

using namespace tl;

namespace {
// The payload child-processes gives its children, computed here on its own: the same bytes by definition
// (byte i is (i * 2654435761) >> 13), and their FNV-1a, without the scenario's code.
QString expectedChecksum(qint64 bytes)
{
    quint64 h = 14695981039346656037ull;
    for (qint64 i = 0; i < bytes; ++i)
        h = (h ^ quint8(char((quint64(i) * 2654435761u) >> 13))) * 1099511628211ull;
    return QString::number(h, 16);
}

// The kernel's own list of this process's children, from every thread's /proc/self/task/TID/children (a
// child belongs to the thread that made it), each with the parent /proc/PID/stat names for it.
QMap<qint64, qint64> kernelChildren()
{
    QMap<qint64, qint64> children;
    const QStringList tasks = QDir(QStringLiteral("/proc/self/task")).entryList(QDir::Dirs | QDir::NoDotAndDotDot);
    for (const QString& task : tasks) {
        QFile file(QStringLiteral("/proc/self/task/%1/children").arg(task));
        if (!file.open(QIODevice::ReadOnly))
            continue;
        for (const QByteArray& pid : file.readAll().split(' ')) {
            if (pid.trimmed().isEmpty())
                continue;
            QFile stat(QStringLiteral("/proc/%1/stat").arg(QString::fromLatin1(pid.trimmed())));
            if (!stat.open(QIODevice::ReadOnly))
                continue;
            const QByteArray text = stat.readAll();
            // "pid (comm) state ppid ...": the name may hold spaces, so count from its closing parenthesis.
            const QList<QByteArray> fields = text.mid(text.lastIndexOf(')') + 2).split(' ');
            if (fields.size() > 1)
                children.insert(pid.trimmed().toLongLong(), fields[1].toLongLong());
        }
    }
    return children;
}

// Bytes this process has handed to write() and its kin so far, as the kernel counts them (/proc/self/io).
qint64 bytesWritten()
{
    QFile file(QStringLiteral("/proc/self/io"));
    if (!file.open(QIODevice::ReadOnly))
        return -1;
    for (const QByteArray& line : file.readAll().split('\n'))
        if (line.startsWith("wchar:"))
            return line.mid(6).trimmed().toLongLong();
    return -1;
}

// The process rows whose parent is this process: its children (ThreadLab's own row names its own parent).
QJsonArray childRows(const QJsonObject& summary)
{
    QJsonArray ours;
    for (const auto& row : summary[u"processes"].toArray())
        if (row[u"ppid"].toInteger() == getpid())
            ours.append(row);
    return ours;
}
}

// child-processes and threads-vs-processes start their children by fork (as Python on Linux) or by spawn:
// either way each child is the process the kernel says, gets its payload intact, and the table says how it
// started, how long that took and what was copied; a fork copies nothing, a spawn the whole payload.
class TestStartMethods : public QObject {
    Q_OBJECT
private slots:
    void initTestCase();
    void childrenAreTheKernelsChildren_data();
    void childrenAreTheKernelsChildren();
    void payloadArrivesAndIsCopiedOnlyBySpawn_data();
    void payloadArrivesAndIsCopiedOnlyBySpawn();
    void tableStatesTheStart_data();
    void tableStatesTheStart();
    void crashedForkedChildIsShownAndTheRunCarriesOn_data();
    void crashedForkedChildIsShownAndTheRunCarriesOn();
    void forkedChildrenLeaveNoZombie();
};

void TestStartMethods::initTestCase()
{
    QVERIFY2(QFile::exists(qEnvironmentVariable("THREADLAB_CHILD_EXE")), "THREADLAB_CHILD_EXE must name threadlab");
    QVERIFY2(QFile::exists(QStringLiteral("/proc/self/task/%1/children").arg(gettid())),
        "the kernel lists no children in /proc (CONFIG_PROC_CHILDREN)");
}

void TestStartMethods::childrenAreTheKernelsChildren_data()
{
    QTest::addColumn<QString>("start");
    QTest::newRow("fork") << "fork";
    QTest::newRow("spawn") << "spawn";
}

void TestStartMethods::childrenAreTheKernelsChildren()
{
    QFETCH(QString, start);
    // While the run goes on, note every child the kernel lists for this process, and its parent.
    std::atomic<bool> done { false };
    QMap<qint64, qint64> seen;
    std::thread watcher([&] {
        while (!done) {
            const auto now = kernelChildren();
            for (auto it = now.begin(); it != now.end(); ++it)
                seen.insert(it.key(), it.value());
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
        }
    });
    const RunOutcome outcome = test::runScenario(QStringLiteral("child-processes"),
        { QStringLiteral("start=") + start, QStringLiteral("children=3"), QStringLiteral("work_ms=400") });
    done = true;
    watcher.join();
    const QJsonObject summary = summaryJson(outcome);
    QCOMPARE(summary[u"status"].toString(), QStringLiteral("completed"));
    const QJsonArray reports = summary[u"results"][u"children"].toArray();
    QCOMPARE(reports.size(), 3);
    QSet<qint64> reported;
    for (const auto& r : reports) {
        const qint64 pid = r[u"pid"].toInteger();
        QVERIFY2(seen.contains(pid), qPrintable(QStringLiteral("pid %1 was never a child of ours").arg(pid)));
        QCOMPARE(seen.value(pid), qint64(getpid()));
        QCOMPARE(r[u"ppid"].toInteger(), qint64(getpid()));
        reported.insert(pid);
    }
    QCOMPARE(reported.size(), 3);
    // ...and the process table lists the same processes.
    QCOMPARE(childRows(summary).size(), 3);
    for (const auto& row : childRows(summary))
        QVERIFY(reported.contains(row[u"pid"].toInteger()));
}

void TestStartMethods::payloadArrivesAndIsCopiedOnlyBySpawn_data()
{
    childrenAreTheKernelsChildren_data();
}

void TestStartMethods::payloadArrivesAndIsCopiedOnlyBySpawn()
{
    QFETCH(QString, start);
    const bool copies = start == u"spawn";
    constexpr qint64 kPayload = qint64 { 8 } * 1024 * 1024;
    constexpr int kChildren = 2;
    const qint64 writtenBefore = bytesWritten();
    QVERIFY(writtenBefore >= 0);
    const QJsonObject summary = summaryJson(test::runScenario(QStringLiteral("child-processes"),
        { QStringLiteral("start=") + start, QStringLiteral("children=%1").arg(kChildren), QStringLiteral("work_ms=0"),
            QStringLiteral("payload_kb=%1").arg(kPayload / 1024) }));
    const qint64 written = bytesWritten() - writtenBefore;
    const QString checksum = expectedChecksum(kPayload);
    const QJsonArray reports = summary[u"results"][u"children"].toArray();
    QCOMPARE(reports.size(), kChildren);
    for (const auto& r : reports) {
        QCOMPARE(r[u"payload_bytes"].toInteger(), kPayload);
        QCOMPARE(r[u"payload_checksum"].toString(), checksum);
    }
    // The kernel's count of what this process wrote: a spawn writes every child its payload (and a newline
    // before it), a fork writes none of it.
    for (const auto& row : childRows(summary))
        QCOMPARE(row[u"copied_bytes"].toInteger(-1), copies ? kPayload + 1 : 0);
    // The account says what the figures show.
    const QString account = createScenario(QStringLiteral("child-processes"))
                                ->describeOutcome(summary)
                                .replace(QChar(0x202F), u' '); // groupedNumber's thin spaces
    QCOMPARE(account.contains(u"payload was <b>not copied</b>"), !copies);
    QCOMPARE(account.contains(u"Copying its 8 192 KiB payload into the child (8 388 609 bytes"), copies);
    if (copies)
        QVERIFY2(written >= kChildren * kPayload, qPrintable(QStringLiteral("wrote %1 bytes").arg(written)));
    else
        QVERIFY2(written < kPayload, qPrintable(QStringLiteral("wrote %1 bytes").arg(written)));
}

void TestStartMethods::tableStatesTheStart_data()
{
    QTest::addColumn<QString>("scenario");
    QTest::addColumn<QStringList>("assignments");
    QTest::addColumn<QString>("start");
    for (const char* start : { "fork", "spawn" }) {
        QTest::addRow("child-processes %s", start)
            << "child-processes" << QStringList { QStringLiteral("work_ms=0") } << QString::fromLatin1(start);
        QTest::addRow("threads-vs-processes %s", start)
            << "threads-vs-processes"
            << QStringList { QStringLiteral("workers=2"), QStringLiteral("job_ms=0"), QStringLiteral("crash=false") }
            << QString::fromLatin1(start);
    }
}

void TestStartMethods::tableStatesTheStart()
{
    QFETCH(QString, scenario);
    QFETCH(QStringList, assignments);
    QFETCH(QString, start);
    const RunOutcome outcome = test::runScenario(scenario, assignments << QStringLiteral("start=") + start);
    const QJsonObject summary = summaryJson(outcome);
    QCOMPARE(summary[u"status"].toString(), QStringLiteral("completed"));
    const QJsonArray rows = childRows(summary);
    QVERIFY(!rows.isEmpty());
    for (const auto& row : rows) {
        QCOMPARE(row[u"start"].toString(), start);
        QVERIFY(row[u"start_ms"].toDouble() > 0);
        QCOMPARE(row[u"exit_code"].toInt(-1), 0);
    }
    QVERIFY(!summary[u"processes"][0].toObject().contains(u"start")); // ThreadLab was not started by itself
    // The window's table says the same.
    ui::ProcessTableModel model;
    model.update(outcome.processes);
    QCOMPARE(model.rowCount(), int(outcome.processes.size()));
    for (int r = 1; r < model.rowCount(); ++r)
        QVERIFY(
            model.index(r, ui::ProcessTableModel::Start).data().toString().startsWith(start + QStringLiteral(", ")));
    if (start == u"fork")
        QCOMPARE(model.index(1, ui::ProcessTableModel::Copied).data().toString(), QStringLiteral("0 B"));
}

void TestStartMethods::crashedForkedChildIsShownAndTheRunCarriesOn_data()
{
    QTest::addColumn<QString>("scenario");
    QTest::addColumn<QStringList>("assignments");
    QTest::addColumn<QString>("signal");
    QTest::newRow("child-processes kill_one")
        << "child-processes" << QStringList { QStringLiteral("kill_one=true"), QStringLiteral("work_ms=2000") }
        << "SIGKILL";
    QTest::newRow("threads-vs-processes crash")
        << "threads-vs-processes"
        << QStringList { QStringLiteral("workers=3"), QStringLiteral("job_ms=0"), QStringLiteral("crash=true") }
        << "SIGABRT";
}

void TestStartMethods::crashedForkedChildIsShownAndTheRunCarriesOn()
{
    QFETCH(QString, scenario);
    QFETCH(QStringList, assignments);
    QFETCH(QString, signal);
    const QJsonObject summary = summaryJson(test::runScenario(scenario, assignments << QStringLiteral("start=fork")));
    QCOMPARE(summary[u"status"].toString(), QStringLiteral("completed"));
    int crashed = 0;
    int exited = 0;
    for (const auto& row : childRows(summary)) {
        if (row[u"signal"].toString() == signal && row[u"state"].toString().startsWith(u"crashed"))
            ++crashed;
        else if (row[u"exit_code"].toInt(-1) == 0)
            ++exited;
        // Gone for the kernel too: reaped, no zombie left.
        QVERIFY(!QFile::exists(QStringLiteral("/proc/%1").arg(row[u"pid"].toInteger())));
    }
    QCOMPARE(crashed, 1);
    QCOMPARE(exited, 2);
}

void TestStartMethods::forkedChildrenLeaveNoZombie()
{
    test::runScenario(QStringLiteral("child-processes"), { QStringLiteral("start=fork"), QStringLiteral("work_ms=0") });
    QCOMPARE(kernelChildren().size(), 0);
}

QTEST_GUILESS_MAIN(TestStartMethods)
#include "tst_startmethods.moc"
