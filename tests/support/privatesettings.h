#pragma once

#include <QCoreApplication>
#include <QSettings>
#include <QString>
#include <QTemporaryDir>

namespace tl::test {

// Settings of this test process alone, empty at the start: another suite or a second run of this one at the
// same time (a developer's build beside CI's) cannot change the parameters the window restores.
inline void usePrivateSettings(const QString& testName)
{
    static QTemporaryDir dir;
    QCoreApplication::setOrganizationName(QStringLiteral("ThreadLabTests"));
    QCoreApplication::setApplicationName(testName);
    QSettings::setPath(QSettings::NativeFormat, QSettings::UserScope, dir.path());
    QSettings().clear();
}

} // namespace tl::test
