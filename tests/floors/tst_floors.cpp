// The floors of the source tree: every directory of core/ and app/ stands on one, and its files include only
// their own directory and the floors below. Directories on one floor are peers and include none of each
// other. The check reads the sources instead of building them: an include that climbs compiles fine.
#include <QDir>
#include <QDirIterator>
#include <QFile>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>

namespace {

// The floor order, lowest first: the one place it is written (the README's Development section shows it).
const QList<QStringList> kFloors = {
    { "core/params" }, // ParamSpec, ParamSet, number and duration formatting: the ground floor
    { "core/trace" }, // what a run is: clock, recorder, chunks, spans, Trace, ProcessInfo, exporters
    { "core/abi" }, // the arena a traced program records into: Slot, LockEntry, CounterEntry (recorder beneath)
    { "core/sync" }, // instrumented locks, the lock registry, hand-overs
    { "core/run" }, // RunContext, workers, the Collector
    { "core/processes" }, // child processes, ChildContext, shared memory and semaphores
    { "core/pools" }, // task pools and what they run
    { "core/scenarios" }, // Scenario, the registry, the scenarios
    { "core/session" }, // Run, RunSource, RunController, the summary JSON, child mode
    { "app/models" }, // data behind the views: Qt Gui, no widgets
    { "app/timeline", "app/charts", "app/graph", "app/processes" }, // the views
    { "app/document" }, // RunDocument (the run on screen), its exports and background jobs, the action style
    { "app/panels", "app/cli" }, // what people use: the window's panels, and the command line
    { "app" }, // main(), the main window, themes
};

// The trees the floors cover, and the build's include directories.
const QStringList kRoots = { "core", "app" };

int floorOf(const QString& dir)
{
    for (qsizetype i = 0; i < kFloors.size(); ++i)
        if (kFloors[i].contains(dir))
            return int(i);
    return -1;
}

// The file an #include names, found as the build finds it: beside the includer for "quotes", then under
// core/ and app/ (the targets' include directories). Empty for one outside the tree (Qt, the C library).
QString resolve(const QDir& root, const QString& includer, const QString& name, bool quoted)
{
    QStringList candidates;
    if (quoted)
        candidates << QFileInfo(includer).path() + u'/' + name;
    for (const QString& top : kRoots)
        candidates << top + u'/' + name;
    for (const QString& candidate : candidates)
        if (const QString path = QDir::cleanPath(candidate); QFileInfo::exists(root.filePath(path)))
            return path;
    return {};
}

// Every include under `rootPath` that reaches a higher floor, a peer, or a directory on no floor, as
// "file:line: what", and every source in a directory on no floor.
QStringList floorViolations(const QString& rootPath)
{
    static const QRegularExpression include(QStringLiteral(R"(^\s*#\s*include\s*([<"])([^>"]+)[>"])"));
    const QDir root(rootPath);
    QStringList violations;
    for (const QString& top : kRoots) {
        QDirIterator it(
            root.filePath(top), { "*.h", "*.hpp", "*.cpp", "*.cc" }, QDir::Files, QDirIterator::Subdirectories);
        while (it.hasNext()) {
            const QString file = root.relativeFilePath(it.next());
            const QString dir = QFileInfo(file).path();
            const int floor = floorOf(dir);
            if (floor < 0) {
                violations << QStringLiteral("%1: %2 is on no floor").arg(file, dir);
                continue;
            }
            QFile source(root.filePath(file));
            if (!source.open(QIODevice::ReadOnly | QIODevice::Text)) {
                violations << QStringLiteral("%1: cannot be read").arg(file);
                continue;
            }
            for (int line = 1; !source.atEnd(); ++line) {
                const auto match = include.match(QString::fromUtf8(source.readLine()));
                if (!match.hasMatch())
                    continue;
                const QString target = resolve(root, file, match.captured(2), match.captured(1) == u"\"");
                const QString targetDir = QFileInfo(target).path();
                if (target.isEmpty() || targetDir == dir)
                    continue;
                const int targetFloor = floorOf(targetDir);
                const QString where = QStringLiteral("%1:%2: includes %3").arg(file).arg(line).arg(target);
                if (targetFloor < 0)
                    violations << QStringLiteral("%1, and %2 is on no floor").arg(where, targetDir);
                else if (targetFloor > floor)
                    violations << QStringLiteral("%1, a floor above %2").arg(where, dir);
                else if (targetFloor == floor)
                    violations << QStringLiteral("%1, a peer of %2 on the same floor").arg(where, dir);
            }
        }
    }
    violations.sort();
    return violations;
}

void writeFile(const QDir& root, const QString& path, const QByteArray& text)
{
    QVERIFY(root.mkpath(QFileInfo(path).path()));
    QFile file(root.filePath(path));
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write(text);
}

} // namespace

class TestFloors : public QObject {
    Q_OBJECT
private slots:
    void noIncludeClimbsAFloor();
    void plantedIncludesAreNamed();
};

void TestFloors::noIncludeClimbsAFloor()
{
    const QStringList violations = floorViolations(QStringLiteral(THREADLAB_SOURCE_DIR));
    for (const QString& violation : violations)
        qWarning().noquote() << violation;
    QVERIFY2(violations.isEmpty(),
        qPrintable(QStringLiteral("%1 include(s) break the floors (listed above); the order is kFloors in "
                                  "tests/floors/tst_floors.cpp")
                       .arg(violations.size())));
}

// The check itself, on a small tree: it must name what the real tree is kept free of.
void TestFloors::plantedIncludesAreNamed()
{
    QTemporaryDir tree;
    QVERIFY(tree.isValid());
    const QDir root(tree.path());
    writeFile(root, QStringLiteral("core/params/parameter.h"), {});
    writeFile(root, QStringLiteral("core/session/run.h"), {});
    writeFile(root, QStringLiteral("core/trace/clock.h"), {});
    writeFile(root, QStringLiteral("core/trace/clock.cpp"),
        "#include \"clock.h\"\n#include \"../params/parameter.h\"\n#include <QString>\n"
        "  #  include \"../session/run.h\"\n");
    writeFile(root, QStringLiteral("core/common/util.h"), {});
    writeFile(root, QStringLiteral("app/timeline/painter.h"), {});
    writeFile(root, QStringLiteral("app/charts/chart.cpp"), "#include <timeline/painter.h>\n");
    writeFile(root, QStringLiteral("app/models/data.cpp"), "#include <session/run.h>\n#include <common/util.h>\n");

    QCOMPARE(floorViolations(tree.path()),
        QStringList({
            QStringLiteral("app/charts/chart.cpp:1: includes app/timeline/painter.h, a peer of app/charts on the "
                           "same floor"),
            QStringLiteral("app/models/data.cpp:2: includes core/common/util.h, and core/common is on no floor"),
            QStringLiteral("core/common/util.h: core/common is on no floor"),
            QStringLiteral("core/trace/clock.cpp:4: includes core/session/run.h, a floor above core/trace"),
        }));
}

QTEST_GUILESS_MAIN(TestFloors)
#include "tst_floors.moc"
