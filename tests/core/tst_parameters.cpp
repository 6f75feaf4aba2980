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
    QTest::newRow("choice case-insensitive") << "lock=Atomic" << true << "";
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

QTEST_GUILESS_MAIN(TestParameters)
#include "tst_parameters.moc"
