#include <params/parameter.h>
#include <scenarios/registry.h>

#include <QTest>

using namespace tl;

class TestParameters : public QObject {
    Q_OBJECT
private slots:
    void everyScenarioDescribesItself();
    void validation_data();
    void validation();
    void unknownParameterListsTheValidOnes();
    void booleansAreTrueOrFalse_data();
    void booleansAreTrueOrFalse();
};

void TestParameters::everyScenarioDescribesItself()
{
    const auto catalog = scenarioCatalog();
    QVERIFY(catalog.size() >= 3);
    for (const auto& info : catalog) {
        QVERIFY(!info.name.isEmpty() && !info.summary.isEmpty() && !info.topic.isEmpty());
        QVERIFY(createScenario(info.name) != nullptr);
        for (const auto& p : info.params) {
            QVERIFY2(!p.help.isEmpty(), qPrintable(info.name + u'.' + p.name));
            QVERIFY(p.defaultValue >= p.min && p.defaultValue <= p.max);
        }
    }
    QVERIFY(createScenario(QStringLiteral("no-such-scenario")) == nullptr);
}

void TestParameters::validation_data()
{
    QTest::addColumn<QString>("assignment");
    QTest::addColumn<bool>("valid");
    QTest::addColumn<QString>("errorMentions"); // the parameter and its valid values

    QTest::newRow("workers in range") << "workers=64" << true << "";
    QTest::newRow("workers too many") << "workers=65" << false << "workers: expected an integer in 1..64";
    QTest::newRow("workers zero") << "workers=0" << false << "1..64";
    QTest::newRow("workers not a number") << "workers=lots" << false << "'lots' for workers";
    QTest::newRow("choice valid") << "lock=none" << true << "";
    QTest::newRow("choice in another case")
        << "lock=Atomic" << false << "one of none|mutex|atomic (did you mean 'atomic'?)";
    QTest::newRow("choice in capitals") << "lock=MUTEX" << false << "(did you mean 'mutex'?)";
    QTest::newRow("choice invalid") << "lock=semaphore" << false << "one of none|mutex|atomic";
    QTest::newRow("backend") << "backend=qthreadpool" << true << "";
    QTest::newRow("no equals sign") << "workers" << false << "key=value";
    QTest::newRow("negative") << "slow_motion=-1" << false << "0..100000";
}

void TestParameters::validation()
{
    QFETCH(QString, assignment);
    QFETCH(bool, valid);
    QFETCH(QString, errorMentions);
    ParamSet params(createScenario(QStringLiteral("race-counter"))->info().params);
    const auto before = params.asText();
    QString error;
    QCOMPARE(params.assign(assignment, &error), valid);
    if (!valid) {
        QVERIFY2(error.contains(errorMentions), qPrintable(error));
        QCOMPARE(params.asText(), before); // a rejected value changes nothing
    }
}

void TestParameters::unknownParameterListsTheValidOnes()
{
    ParamSet params(createScenario(QStringLiteral("lock-contention"))->info().params);
    QString error;
    QVERIFY(!params.assign(QStringLiteral("threads=3"), &error));
    QVERIFY(error.contains(u"unknown parameter 'threads'"));
    QVERIFY(error.contains(u"workers, iterations, work_us, hold_us, lock"));
}

void TestParameters::booleansAreTrueOrFalse_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<int>("value"); // -1: refused
    QTest::addColumn<QString>("meant");
    QTest::newRow("true") << "true" << 1 << "";
    QTest::newRow("false") << "false" << 0 << "";
    QTest::newRow("yes") << "yes" << -1 << "true";
    QTest::newRow("1") << "1" << -1 << "true";
    QTest::newRow("on") << "on" << -1 << "true";
    QTest::newRow("0") << "0" << -1 << "false";
    QTest::newRow("TRUE") << "TRUE" << -1 << "true";
    QTest::newRow("maybe") << "maybe" << -1 << "";
}

// One spelling per value: a script's `kill_one=yes` is refused with the word that is meant, instead of being
// read silently one way or the other.
void TestParameters::booleansAreTrueOrFalse()
{
    QFETCH(QString, text);
    QFETCH(int, value);
    QFETCH(QString, meant);
    ParamSet params(createScenario(QStringLiteral("child-processes"))->info().params);
    QString error;
    const bool accepted = params.assign(QStringLiteral("kill_one=") + text, &error);
    QCOMPARE(accepted, value >= 0);
    if (accepted) {
        QCOMPARE(params.value(QStringLiteral("kill_one")), value);
        return;
    }
    QVERIFY2(error.contains(u"for kill_one: expected one of true|false"), qPrintable(error));
    QCOMPARE(error.contains(u"did you mean"), !meant.isEmpty());
    if (!meant.isEmpty())
        QVERIFY2(error.contains(QStringLiteral("'%1'?").arg(meant)), qPrintable(error));
}

QTEST_GUILESS_MAIN(TestParameters)
#include "tst_parameters.moc"
